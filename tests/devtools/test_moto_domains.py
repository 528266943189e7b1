"""``devtools.moto_domains`` (installed by ``running()``): ACM issues a certificate once its validation
CNAME is in Route 53, API Gateway v2 domain names are shaped and refused as AWS's; and ``seed()``
creates the ``local`` environment's public hosted zone."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import settings as moto_settings

from devtools import moto_domains
from devtools.emulators import LOCAL_ZONE, seed, seed_hosted_zone

Client = Callable[[str], Any]
ZONE = "cora.example.com"


def request_certificate(aws: Client, domain: str) -> str:
    arn: str = aws("acm").request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    return arn


def describe(aws: Client, arn: str) -> dict[str, Any]:
    certificate: dict[str, Any] = aws("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    return certificate


def zone(aws: Client, name: str = ZONE, *, private: bool = False) -> str:
    extra: dict[str, Any] = {}
    if private:
        extra = {
            "HostedZoneConfig": {"PrivateZone": True},
            "VPC": {"VPCRegion": "us-east-1", "VPCId": "vpc-1"},
        }
    zone_id: str = aws("route53").create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex, **extra)[
        "HostedZone"
    ]["Id"]
    return zone_id


def put_cname(aws: Client, zone_id: str, name: str, value: str) -> None:
    record = {"Name": name, "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": value}]}
    aws("route53").change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]}
    )


def validate(aws: Client, zone_id: str, arn: str) -> None:
    for option in describe(aws, arn)["DomainValidationOptions"]:
        put_cname(aws, zone_id, option["ResourceRecord"]["Name"], option["ResourceRecord"]["Value"])


def create_domain_name(aws: Client, domain: str, certificate_arn: str) -> dict[str, Any]:
    created: dict[str, Any] = aws("apigatewayv2").create_domain_name(
        DomainName=domain,
        DomainNameConfigurations=[
            {"CertificateArn": certificate_arn, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}
        ],
    )
    return created


def refusal(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_certificate_is_issued_only_once_its_validation_cname_is_in_a_public_zone(aws, monkeypatch):
    # moto would issue it as soon as this many seconds have passed, records or not.
    monkeypatch.setattr(moto_settings, "ACM_VALIDATION_WAIT", 0)
    arn = request_certificate(aws, f"api.{ZONE}")
    certificate = describe(aws, arn)
    assert (certificate["Type"], certificate["Status"]) == ("AMAZON_ISSUED", "PENDING_VALIDATION")
    (option,) = certificate["DomainValidationOptions"]
    assert option["ValidationStatus"] == "PENDING_VALIDATION"
    record = option["ResourceRecord"]

    put_cname(aws, zone(aws, ZONE, private=True), record["Name"], record["Value"])
    assert describe(aws, arn)["Status"] == "PENDING_VALIDATION"  # a private zone is not public DNS
    public = zone(aws)
    put_cname(aws, public, record["Name"], "_0123.wrong.acm-validations.aws.")
    assert describe(aws, arn)["Status"] == "PENDING_VALIDATION"
    put_cname(aws, public, record["Name"], record["Value"])
    issued = describe(aws, arn)
    assert issued["Status"] == "ISSUED"
    assert issued["DomainValidationOptions"][0]["ValidationStatus"] == "SUCCESS"


def test_the_most_specific_zone_answers_for_the_validation_record(aws):
    arn = request_certificate(aws, f"api.{ZONE}")
    (option,) = describe(aws, arn)["DomainValidationOptions"]
    parent, child = zone(aws, "example.com"), zone(aws, ZONE)
    put_cname(aws, parent, option["ResourceRecord"]["Name"], option["ResourceRecord"]["Value"])
    assert describe(aws, arn)["Status"] == "PENDING_VALIDATION"  # DNS asks the delegated child zone
    put_cname(aws, child, option["ResourceRecord"]["Name"], option["ResourceRecord"]["Value"])
    assert describe(aws, arn)["Status"] == "ISSUED"


def test_a_domain_name_is_refused_unless_its_certificate_is_issued_and_covers_it(aws):
    domain = f"api.{ZONE}"
    arn = request_certificate(aws, domain)
    with pytest.raises(ClientError) as caught:
        create_domain_name(aws, domain, arn)
    assert refusal(caught) == (
        "BadRequestException",
        f"Invalid certificate ARN: {arn}. Certificate must be in 'ISSUED' state (it is PENDING_VALIDATION).",
    )
    missing = arn.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    with pytest.raises(ClientError) as caught:
        create_domain_name(aws, domain, missing)
    assert refusal(caught)[0] == "BadRequestException"
    assert missing in refusal(caught)[1]

    validate(aws, zone(aws), arn)
    with pytest.raises(ClientError) as caught:
        create_domain_name(aws, f"app.{ZONE}", arn)
    assert refusal(caught) == (
        "BadRequestException",
        f"The certificate {arn} does not cover the domain name app.{ZONE}.",
    )
    assert aws("apigatewayv2").get_domain_names()["Items"] == []


def test_a_domain_name_with_an_issued_certificate_is_available_with_its_regional_target(aws):
    domain = f"api.{ZONE}"
    arn = request_certificate(aws, domain)
    validate(aws, zone(aws), arn)
    created = create_domain_name(aws, domain, arn)
    (configuration,) = created["DomainNameConfigurations"]
    assert re.fullmatch(
        r"d-[a-z0-9]{10}\.execute-api\.us-east-1\.amazonaws\.com", configuration["ApiGatewayDomainName"]
    )
    assert configuration["HostedZoneId"] == "Z1UJRXOUMOOFQ8"
    assert configuration["DomainNameStatus"] == "AVAILABLE"
    assert (configuration["EndpointType"], configuration["SecurityPolicy"]) == ("REGIONAL", "TLS_1_2")
    assert configuration["CertificateArn"] == arn
    read = aws("apigatewayv2").get_domain_name(DomainName=domain)
    assert read["DomainNameConfigurations"] == created["DomainNameConfigurations"]
    assert "MutualTlsAuthentication" not in read  # no mutual TLS: AWS leaves the member out


def test_a_wildcard_certificate_covers_one_label(aws):
    arn = request_certificate(aws, f"*.{ZONE}")
    validate(aws, zone(aws), arn)
    assert describe(aws, arn)["Status"] == "ISSUED"
    create_domain_name(aws, f"api.{ZONE}", arn)
    with pytest.raises(ClientError) as caught:
        create_domain_name(aws, f"v1.api.{ZONE}", arn)
    assert refusal(caught)[0] == "BadRequestException"


def test_seed_creates_the_local_public_hosted_zone_once(aws, emulators):
    seed(emulators)
    route53 = aws("route53")
    zones = [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == f"{LOCAL_ZONE}."]
    assert len(zones) == 1
    assert zones[0]["Config"]["PrivateZone"] is False
    assert seed_hosted_zone(emulators) == zones[0]["Id"]  # idempotent: the same zone, not a second one
    assert len(route53.list_hosted_zones()["HostedZones"]) == 1


def test_route53_changes_can_be_answered_without_change_info_so_the_provider_does_not_wait(aws):
    zone_id = zone(aws)
    record = {"Name": f"a.{ZONE}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}
    batch = {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]}
    route53 = aws("route53")
    assert route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)["ChangeInfo"][
        "Status"
    ] == ("INSYNC")
    moto_domains.set_instant_dns_changes(True)
    try:
        answer = route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)
    finally:
        moto_domains.set_instant_dns_changes(False)
    assert "ChangeInfo" not in answer
