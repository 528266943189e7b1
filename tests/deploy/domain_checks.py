"""What the deployed custom domains must look like on the emulators, read back with boto3 and compared
with the environment's config (not with the synthesized JSON: the config is what users write)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from constructs_lib.stacks import EnvConfig

Client = Callable[[str], Any]


def _fqdn(name: str) -> str:
    return name if name.endswith(".") else f"{name}."


def zone_id(aws: Client, zone: str) -> str:
    """The ID of the public hosted zone named ``zone`` (exactly one)."""
    zones = aws("route53").list_hosted_zones_by_name(DNSName=zone)["HostedZones"]
    (found,) = [z for z in zones if z["Name"] == _fqdn(zone) and not z["Config"]["PrivateZone"]]
    return str(found["Id"]).rsplit("/", 1)[-1]


def records(aws: Client, zone: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(name with trailing dot, type) → record set, for every record of the zone."""
    pages = (
        aws("route53").get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id(aws, zone))
    )
    return {(r["Name"], r["Type"]): r for page in pages for r in page["ResourceRecordSets"]}


def _values(record: dict[str, Any]) -> list[str]:
    return [r["Value"] for r in record.get("ResourceRecords", [])]


def service_arn(aws: Client, name: str) -> str:
    (service,) = [
        s for s in aws("apprunner").list_services()["ServiceSummaryList"] if s["ServiceName"] == name
    ]
    return str(service["ServiceArn"])


def check_api_domain(aws: Client, config: EnvConfig) -> None:
    """Certificate issued and validated in the zone, domain name, mapping and aliases agree with config."""
    assert config.domain is not None
    host, zone = config.domain.api_host, config.domain.zone
    found = records(aws, zone)
    acm = aws("acm")
    (summary,) = [c for c in acm.list_certificates()["CertificateSummaryList"] if c["DomainName"] == host]
    certificate = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
    assert certificate["Status"] == "ISSUED"
    (option,) = certificate["DomainValidationOptions"]
    assert option["ValidationMethod"] == "DNS"
    validation = found[(_fqdn(option["ResourceRecord"]["Name"]), "CNAME")]
    assert _values(validation) == [option["ResourceRecord"]["Value"]]

    apigw = aws("apigatewayv2")
    domain = apigw.get_domain_name(DomainName=host)
    (configuration,) = domain["DomainNameConfigurations"]
    assert configuration["CertificateArn"] == summary["CertificateArn"]
    assert configuration["EndpointType"] == "REGIONAL"
    assert configuration["SecurityPolicy"] == "TLS_1_2"
    api = next(a for a in apigw.get_apis()["Items"] if a["Name"] == config.name("api"))
    assert api["DisableExecuteApiEndpoint"] is config.domain.disable_execute_api_endpoint
    (mapping,) = apigw.get_api_mappings(DomainName=host)["Items"]
    assert (mapping["ApiId"], mapping["Stage"], mapping.get("ApiMappingKey", "")) == (
        api["ApiId"],
        "$default",
        "",
    )
    for kind in ("A", "AAAA"):
        alias = found[(_fqdn(host), kind)]["AliasTarget"]
        assert alias["DNSName"].rstrip(".") == configuration["ApiGatewayDomainName"]
        assert alias["HostedZoneId"] == configuration["HostedZoneId"]


def check_app_domain(aws: Client, config: EnvConfig) -> None:
    """The association is active, and its validation CNAMEs and traffic record are in the zone."""
    assert config.domain is not None
    host, zone = config.domain.app_host, config.domain.zone
    described = aws("apprunner").describe_custom_domains(ServiceArn=service_arn(aws, config.name("web")))
    (domain,) = described["CustomDomains"]
    assert domain["DomainName"] == host
    assert domain["EnableWWWSubdomain"] is config.domain.www
    found = records(aws, zone)
    validation = domain["CertificateValidationRecords"]
    assert len(validation) == (3 if config.domain.www else 2)
    for record in validation:
        assert _values(found[(_fqdn(record["Name"]), "CNAME")]) == [record["Value"]], record["Name"]
    # The emulator validates once every CNAME resolves in the zone, as App Runner does.
    assert domain["Status"] == "active"
    assert {r["Status"] for r in validation} == {"SUCCESS"}
    target = described["DNSTarget"]
    if host == zone:
        alias = found[(_fqdn(host), "A")]["AliasTarget"]
        assert alias["DNSName"].rstrip(".") == target
    else:
        assert _values(found[(_fqdn(host), "CNAME")]) == [target]


def check_app_urls(aws: Client, config: EnvConfig) -> None:
    """The service's plain environment and the API's CORS carry the URLs derived from [domain]."""
    service = aws("apprunner").describe_service(ServiceArn=service_arn(aws, config.name("web")))["Service"]
    variables = service["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"][
        "RuntimeEnvironmentVariables"
    ]
    assert variables["NEXTAUTH_URL"] == config.app_url
    assert variables["NEXT_PUBLIC_API_URL"] == config.api_url
    api = next(a for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == config.name("api"))
    assert api["CorsConfiguration"]["AllowOrigins"] == list(config.cors_config.allow_origins)


def check_domains_gone(aws: Client, config: EnvConfig) -> None:
    """After destroy: only the zone's own SOA and NS records are left; no certificate or domain name."""
    assert config.domain is not None
    assert set(records(aws, config.domain.zone)) == {
        (_fqdn(config.domain.zone), "SOA"),
        (_fqdn(config.domain.zone), "NS"),
    }
    hosts = {config.domain.api_host}
    assert not [
        c for c in aws("acm").list_certificates()["CertificateSummaryList"] if c["DomainName"] in hosts
    ]
    assert not [d for d in aws("apigatewayv2").get_domain_names()["Items"] if d["DomainName"] in hosts]
