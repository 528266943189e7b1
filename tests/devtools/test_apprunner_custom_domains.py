"""App Runner emulator: custom domains as App Runner associates them, validated through moto's Route 53.

``AssociateCustomDomain`` → ``creating``; the next ``DescribeCustomDomains`` → ``pending_certificate_dns
_validation``; ``active`` once every validation CNAME is in a public hosted zone with its value;
``DisassociateCustomDomain`` → ``deleting``, then gone.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devtools.apprunner.backend import AppRunnerBackend
from devtools.apprunner.validation import ApiError
from tests.devtools.standalone import standalone_apprunner

PUBLIC_IMAGE = "public.ecr.aws/aws-containers/hello-app-runner:latest"
ZONE = "cora.example.com"
HEX32 = "_[0-9a-f]{32}"
VALUE = re.compile(rf"{HEX32}\.[a-z]{{10}}\.acm-validations\.aws\.")

Client = Callable[[str], Any]


def create_service(apprunner: Any, name: str | None = None) -> dict[str, Any]:
    """A running public-image service (no roles, no secrets: nothing for moto to refuse)."""
    service: dict[str, Any] = apprunner.create_service(
        ServiceName=name or f"web-{uuid.uuid4().hex[:8]}",
        SourceConfiguration={
            "AutoDeploymentsEnabled": False,
            "ImageRepository": {"ImageIdentifier": PUBLIC_IMAGE, "ImageRepositoryType": "ECR_PUBLIC"},
        },
    )["Service"]
    deadline = time.monotonic() + 10
    while apprunner.describe_service(ServiceArn=service["ServiceArn"])["Service"]["Status"] != "RUNNING":
        assert time.monotonic() < deadline, "the service never reached RUNNING"
        time.sleep(0.02)
    return service


def delete_service(apprunner: Any, arn: str) -> None:
    apprunner.delete_service(ServiceArn=arn)
    deadline = time.monotonic() + 10
    while arn in [s["ServiceArn"] for s in apprunner.list_services()["ServiceSummaryList"]]:
        assert time.monotonic() < deadline, "the service was never deleted"
        time.sleep(0.02)


def domain_of(apprunner: Any, arn: str, name: str) -> dict[str, Any]:
    (domain,) = [
        d
        for d in apprunner.describe_custom_domains(ServiceArn=arn)["CustomDomains"]
        if d["DomainName"] == name
    ]
    return domain


def backend_service(backend: AppRunnerBackend) -> str:
    """CreateService on a backend without HTTP; returns the new service's ARN."""
    source = {"ImageRepository": {"ImageIdentifier": PUBLIC_IMAGE, "ImageRepositoryType": "ECR_PUBLIC"}}
    created = backend.handle("CreateService", {"ServiceName": "web-app", "SourceConfiguration": source})
    arn: str = created["Service"]["ServiceArn"]
    return arn


def public_zone(aws: Client, name: str = ZONE) -> str:
    zone_id: str = aws("route53").create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)[
        "HostedZone"
    ]["Id"]
    return zone_id


def put_cname(aws: Client, zone_id: str, name: str, value: str) -> None:
    aws("route53").change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": "CNAME",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": value}],
                    },
                }
            ]
        },
    )


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def service(aws: Client) -> Any:
    apprunner = aws("apprunner")
    created = create_service(apprunner)
    yield created
    delete_service(apprunner, created["ServiceArn"])


def test_associate_answers_creating_with_the_service_url_and_three_records_by_default(aws, service):
    apprunner = aws("apprunner")
    domain = f"app.{ZONE}"
    answer = apprunner.associate_custom_domain(ServiceArn=service["ServiceArn"], DomainName=domain)
    assert answer["DNSTarget"] == service["ServiceUrl"]
    assert answer["ServiceArn"] == service["ServiceArn"]
    custom = answer["CustomDomain"]
    assert (custom["DomainName"], custom["EnableWWWSubdomain"], custom["Status"]) == (
        domain,
        True,
        "creating",
    )
    names = sorted(r["Name"] for r in custom["CertificateValidationRecords"])
    patterns = (
        rf"{HEX32}\.2a57j78[a-z0-9]{{24}}\.{re.escape(domain)}\.",
        rf"{HEX32}\.www\.{re.escape(domain)}\.",
        rf"{HEX32}\.{re.escape(domain)}\.",
    )
    assert len(names) == 3
    for pattern in patterns:
        assert len([n for n in names if re.fullmatch(pattern, n)]) == 1, (pattern, names)
    for record in custom["CertificateValidationRecords"]:
        assert record["Type"] == "CNAME"
        assert VALUE.fullmatch(record["Value"]), record["Value"]
        assert record["Status"] == "PENDING_VALIDATION"


def test_without_www_there_are_two_records_and_they_are_the_same_on_every_association(aws, service):
    apprunner = aws("apprunner")
    arn, domain = service["ServiceArn"], f"app.{ZONE}"
    first = apprunner.associate_custom_domain(ServiceArn=arn, DomainName=domain, EnableWWWSubdomain=False)
    records = first["CustomDomain"]["CertificateValidationRecords"]
    assert first["CustomDomain"]["EnableWWWSubdomain"] is False
    assert len(records) == 2
    assert not [r for r in records if ".www." in r["Name"]]

    apprunner.disassociate_custom_domain(ServiceArn=arn, DomainName=domain)
    apprunner.describe_custom_domains(ServiceArn=arn)  # the describe that finds it gone
    again = apprunner.associate_custom_domain(ServiceArn=arn, DomainName=domain, EnableWWWSubdomain=False)
    assert again["CustomDomain"]["CertificateValidationRecords"] == records

    other = apprunner.associate_custom_domain(
        ServiceArn=arn, DomainName=f"www2.{ZONE}", EnableWWWSubdomain=False
    )
    assert {r["Name"] for r in other["CustomDomain"]["CertificateValidationRecords"]}.isdisjoint(
        r["Name"] for r in records
    )


def test_the_association_is_active_only_once_every_validation_cname_is_in_route53(aws, service):
    apprunner = aws("apprunner")
    arn, domain = service["ServiceArn"], f"app.{ZONE}"
    apprunner.associate_custom_domain(ServiceArn=arn, DomainName=domain, EnableWWWSubdomain=False)
    pending = domain_of(apprunner, arn, domain)
    assert pending["Status"] == "pending_certificate_dns_validation"
    assert {r["Status"] for r in pending["CertificateValidationRecords"]} == {"PENDING_VALIDATION"}
    first, second = sorted(pending["CertificateValidationRecords"], key=lambda r: r["Name"])

    # No zone at all, then a private zone for the name, then one record only, then a wrong value.
    assert domain_of(apprunner, arn, domain)["Status"] == "pending_certificate_dns_validation"
    aws("route53").create_hosted_zone(
        Name=ZONE,
        CallerReference=uuid.uuid4().hex,
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
    )
    zone_id = public_zone(aws)
    put_cname(aws, zone_id, first["Name"], first["Value"])
    partly = domain_of(apprunner, arn, domain)
    assert partly["Status"] == "pending_certificate_dns_validation"
    assert {r["Name"]: r["Status"] for r in partly["CertificateValidationRecords"]} == {
        first["Name"]: "SUCCESS",
        second["Name"]: "PENDING_VALIDATION",
    }
    wrong = "_0123456789abcdef0123456789abcdef.wrongvalue.acm-validations.aws."
    put_cname(aws, zone_id, second["Name"], wrong)
    assert domain_of(apprunner, arn, domain)["Status"] == "pending_certificate_dns_validation"

    put_cname(aws, zone_id, second["Name"], second["Value"].rstrip("."))  # Route 53 adds the root dot
    active = domain_of(apprunner, arn, domain)
    assert active["Status"] == "active"
    assert {r["Status"] for r in active["CertificateValidationRecords"]} == {"SUCCESS"}


def test_disassociate_answers_deleting_then_the_domain_is_gone(aws, service):
    apprunner = aws("apprunner")
    arn, domain = service["ServiceArn"], f"app.{ZONE}"
    apprunner.associate_custom_domain(ServiceArn=arn, DomainName=domain)
    answer = apprunner.disassociate_custom_domain(ServiceArn=arn, DomainName=domain)
    assert (answer["DNSTarget"], answer["CustomDomain"]["Status"]) == (service["ServiceUrl"], "deleting")
    with pytest.raises(ClientError) as caught:
        apprunner.disassociate_custom_domain(ServiceArn=arn, DomainName=domain)
    assert error_of(caught)[0] == "InvalidStateException"
    assert apprunner.describe_custom_domains(ServiceArn=arn)["CustomDomains"] == []
    with pytest.raises(ClientError) as caught:
        apprunner.disassociate_custom_domain(ServiceArn=arn, DomainName=domain)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        f"Domain name {domain} is not associated with service {arn}",
    )


def test_describe_pages_the_domains(aws, service):
    apprunner = aws("apprunner")
    arn = service["ServiceArn"]
    domains = [f"d{i}.{ZONE}" for i in range(3)]
    for domain in domains:
        apprunner.associate_custom_domain(ServiceArn=arn, DomainName=domain)
    first = apprunner.describe_custom_domains(ServiceArn=arn, MaxResults=2)
    second = apprunner.describe_custom_domains(ServiceArn=arn, MaxResults=2, NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert [d["DomainName"] for d in first["CustomDomains"] + second["CustomDomains"]] == domains
    assert first["DNSTarget"] == second["DNSTarget"] == service["ServiceUrl"]


def test_associate_refuses_what_app_runner_refuses(aws, service):
    apprunner = aws("apprunner")
    arn, domain = service["ServiceArn"], f"app.{ZONE}"
    missing = arn.rsplit("/", 1)[0] + "/0123456789abcdef0123456789abcdef"
    with pytest.raises(ClientError) as caught:
        apprunner.associate_custom_domain(ServiceArn=missing, DomainName=domain)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        f"Service with the provided ARN doesn't exist: {missing}",
    )

    with pytest.raises(ClientError) as caught:
        apprunner.associate_custom_domain(ServiceArn=arn, DomainName="app_cora.example.com")
    assert error_of(caught) == (
        "InvalidRequestException",
        "1 validation error detected: Value 'app_cora.example.com' at 'DomainName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [A-Za-z0-9*.-]{1,255}",
    )

    apprunner.associate_custom_domain(ServiceArn=arn, DomainName=domain)
    with pytest.raises(ClientError) as caught:
        apprunner.associate_custom_domain(ServiceArn=arn, DomainName=domain.upper())
    assert error_of(caught) == (
        "InvalidRequestException",
        f"Domain name {domain.upper()} is already associated with service {arn}",
    )


def test_a_service_in_progress_refuses_an_association_and_a_deleted_one_takes_its_domains() -> None:
    clock = [1000.0]
    backend = AppRunnerBackend(ready_delay=1.0, clock=lambda: clock[0])
    arn = backend_service(backend)
    with pytest.raises(ApiError) as caught:
        backend.handle("AssociateCustomDomain", {"ServiceArn": arn, "DomainName": f"app.{ZONE}"})
    assert (caught.value.type_name, caught.value.message) == (
        "InvalidStateException",
        "A custom domain cannot be associated in the service's current state: OPERATION_IN_PROGRESS.",
    )

    clock[0] += 5
    backend.handle("AssociateCustomDomain", {"ServiceArn": arn, "DomainName": f"app.{ZONE}"})
    backend.handle("DeleteService", {"ServiceArn": arn})
    clock[0] += 5
    with pytest.raises(ApiError) as caught:
        backend.handle("DescribeCustomDomains", {"ServiceArn": arn})
    assert caught.value.type_name == "ResourceNotFoundException"
    # A new service of the same name starts without the old one's domains.
    arn = backend_service(backend)
    assert backend.handle("DescribeCustomDomains", {"ServiceArn": arn})["CustomDomains"] == []


def test_without_a_dns_check_the_records_count_as_present_after_the_pending_state() -> None:
    clock = [1000.0]
    backend = AppRunnerBackend(ready_delay=1.0, clock=lambda: clock[0])
    arn = backend_service(backend)
    clock[0] += 5
    request = {"ServiceArn": arn, "DomainName": f"app.{ZONE}"}
    assert backend.handle("AssociateCustomDomain", request)["CustomDomain"]["Status"] == "creating"
    statuses = [
        backend.handle("DescribeCustomDomains", {"ServiceArn": arn})["CustomDomains"][0]["Status"]
        for _ in range(3)
    ]
    assert statuses == ["pending_certificate_dns_validation", "active", "active"]


def test_the_standalone_cli_validates_domains_against_moto(emulators, aws):
    with standalone_apprunner(emulators.moto_url) as apprunner:
        arn = create_service(apprunner, "cli-web")["ServiceArn"]
        domain = f"cli.{ZONE}"
        apprunner.associate_custom_domain(ServiceArn=arn, DomainName=domain, EnableWWWSubdomain=False)
        records = domain_of(apprunner, arn, domain)["CertificateValidationRecords"]
        assert domain_of(apprunner, arn, domain)["Status"] == "pending_certificate_dns_validation"
        zone_id = public_zone(aws)
        for record in records:
            put_cname(aws, zone_id, record["Name"], record["Value"])
        assert domain_of(apprunner, arn, domain)["Status"] == "active"
