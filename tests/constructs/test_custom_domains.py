"""HostedZone, AppRunnerCustomDomain and ApiCustomDomain: records, certificates, mappings, bad names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting
from pydantic import ValidationError

from constructs_lib import (
    ApiCustomDomain,
    ApiCustomDomainProps,
    AppRunnerCustomDomain,
    AppRunnerCustomDomainProps,
    AppRunnerService,
    AppRunnerServiceProps,
    CorsConfig,
    EcrRepo,
    EcrRepoProps,
    HostedZone,
    HostedZoneProps,
    ModularApiGateway,
    ModularApiGatewayProps,
)
from tests.conftest import Synthesized, data_sources, only, resources

Build = Callable[[Callable[[TerraformStack], object]], Synthesized]
ZONE = "cora.example.com"


def web(stack: TerraformStack, *, create_service: bool = True) -> AppRunnerService:
    repo = EcrRepo(stack, "repo", props=EcrRepoProps(name="cora-test-web"))
    return AppRunnerService(
        stack,
        "web",
        props=AppRunnerServiceProps(
            service_name="cora-test-web", repository=repo, image_tag="0.1.0", create_service=create_service
        ),
    )


def zone(stack: TerraformStack, zone_id: str | None = None) -> HostedZone:
    return HostedZone(stack, "zone", props=HostedZoneProps(name=ZONE, zone_id=zone_id))


def app_domain(stack: TerraformStack, domain: str, **props: Any) -> AppRunnerCustomDomain:
    return AppRunnerCustomDomain(
        stack,
        "web-domain",
        props=AppRunnerCustomDomainProps(service=web(stack), zone=zone(stack), domain_name=domain, **props),
    )


def api(stack: TerraformStack, **props: Any) -> ModularApiGateway:
    return ModularApiGateway(
        stack,
        "api",
        props=ModularApiGatewayProps(name="cora-test-api", cors=CorsConfig(allow_origins=("*",)), **props),
    )


def records(doc: Synthesized) -> dict[str, dict[str, Any]]:
    return dict(doc["resource"]["aws_route53_record"])


def ref(doc: Synthesized, kind: str, attribute: str) -> str:
    (id_,) = doc["resource"][kind]
    return f"${{{kind}.{id_}.{attribute}}}"


# -- HostedZone --------------------------------------------------------------------------------------
def test_zone_is_looked_up_by_name_among_public_zones(synth: Build) -> None:
    doc = synth(lambda s: app_domain(s, "app.cora.example.com"))
    lookup = only(list(data_sources(doc, "aws_route53_zone").values()))
    assert lookup["name"] == ZONE
    assert lookup["private_zone"] is False
    (lookup_id,) = data_sources(doc, "aws_route53_zone")
    assert {r["zone_id"] for r in records(doc).values()} == {
        f"${{data.aws_route53_zone.{lookup_id}.zone_id}}"
    }


def test_zone_given_by_id_is_not_looked_up(synth: Build) -> None:
    def build(stack: TerraformStack) -> None:
        AppRunnerCustomDomain(
            stack,
            "d",
            props=AppRunnerCustomDomainProps(
                service=web(stack),
                zone=zone(stack, "Z0123456789ABCDEFGHIJ"),
                domain_name="app.cora.example.com",
            ),
        )

    doc = synth(build)
    assert "aws_route53_zone" not in doc.get("data", {})
    assert {r["zone_id"] for r in records(doc).values()} == {"Z0123456789ABCDEFGHIJ"}


@pytest.mark.parametrize(
    ("props", "says"),
    [
        ({"name": "Cora.example.com"}, "uppercase"),
        ({"name": "cora.example.com."}, "root dot"),
        ({"name": ZONE, "zone_id": "/hostedzone/Z123"}, "without '/hostedzone/'"),
    ],
)
def test_bad_zone_props_are_refused(props: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        HostedZoneProps(**props)


# -- AppRunnerCustomDomain ---------------------------------------------------------------------------
def test_subdomain_gets_association_validation_records_and_a_cname(synth: Build) -> None:
    doc = synth(lambda s: app_domain(s, "app.cora.example.com"))
    association = only(resources(doc, "aws_apprunner_custom_domain_association"))
    assert association["domain_name"] == "app.cora.example.com"
    assert association["enable_www_subdomain"] is False  # the API's default is true
    assert association["service_arn"] == ref(doc, "aws_apprunner_service", "arn")
    found = records(doc)
    validation = [r for r in found.values() if r["name"].startswith("${sort(")]
    assert len(validation) == 2
    assert all(r["type"] == "CNAME" and r["allow_overwrite"] is True for r in validation)
    # Each takes one position of the sorted names, and the value of that same name.
    assert sorted(r["name"][-4:] for r in validation) == ["[0]}", "[1]}"]
    for record in validation:
        (value,) = record["records"]
        assert value.endswith(f"[{record['name'][2:-1]}]}}")
    (cname,) = [r for r in found.values() if r["name"] == "app.cora.example.com"]
    assert cname["type"] == "CNAME"
    assert cname["records"] == [ref(doc, "aws_apprunner_custom_domain_association", "dns_target")]
    assert "aws_apprunner_hosted_zone_id" not in doc.get("data", {})


def test_validation_records_are_not_a_for_each_over_the_unknown_set(synth: Build) -> None:
    """The trap: for_each over certificate_validation_records fails at the first plan."""
    doc = synth(lambda s: app_domain(s, "app.cora.example.com", enable_www=True))
    for record in records(doc).values():
        assert "for_each" not in record and "count" not in record


def test_apex_gets_an_alias_to_app_runners_zone_and_www_a_cname(synth: Build) -> None:
    doc = synth(lambda s: app_domain(s, ZONE, enable_www=True))
    assert only(resources(doc, "aws_apprunner_custom_domain_association"))["enable_www_subdomain"] is True
    found = records(doc)
    assert len([r for r in found.values() if r["name"].startswith("${sort(")]) == 3
    (apex,) = [r for r in found.values() if r["name"] == ZONE]
    assert apex["type"] == "A"
    assert "records" not in apex and "ttl" not in apex
    (zone_id,) = data_sources(doc, "aws_apprunner_hosted_zone_id")
    assert apex["alias"] == {
        "name": ref(doc, "aws_apprunner_custom_domain_association", "dns_target"),
        "zone_id": f"${{data.aws_apprunner_hosted_zone_id.{zone_id}.id}}",
        "evaluate_target_health": True,
    }
    (www,) = [r for r in found.values() if r["name"] == f"www.{ZONE}"]
    assert www["type"] == "CNAME"
    assert www["records"] == [ref(doc, "aws_apprunner_custom_domain_association", "dns_target")]


def test_a_different_record_count_stops_the_apply_with_the_fix(synth: Build) -> None:
    doc = synth(lambda s: app_domain(s, "app.cora.example.com", validation_record_count=4))
    association = only(resources(doc, "aws_apprunner_custom_domain_association"))
    (condition,) = association["lifecycle"]["postcondition"]
    assert condition["condition"] == "${length(self.certificate_validation_records) == 4}"
    assert "validation_record_count" in condition["error_message"]
    assert len([r for r in records(doc).values() if r["name"].startswith("${sort(")]) == 4


@pytest.mark.parametrize(
    ("domain", "says"),
    [
        ("app.other.example.com", "is not inside the hosted zone 'cora.example.com'"),
        ("badcora.example.com", "is not inside the hosted zone"),
        ("App.cora.example.com", "uppercase letters"),
        ("app.cora.example.com.", "ends with a dot"),
        ("app.cora.example.com/", "contains '/'"),
        ("bücher.cora.example.com", "xn--bcher-kva.cora.example.com"),
    ],
)
def test_bad_domains_are_refused_before_synth(domain: str, says: str) -> None:
    stack = TerraformStack(CdktfTesting.app(), "t")
    with pytest.raises(ValidationError, match=says):
        AppRunnerCustomDomainProps(service=web(stack), zone=zone(stack), domain_name=domain)


def test_a_service_not_created_yet_cannot_have_a_domain() -> None:
    stack = TerraformStack(CdktfTesting.app(), "t")
    with pytest.raises(
        ValidationError, match="create_service=False; a domain is associated with the service"
    ):
        AppRunnerCustomDomainProps(
            service=web(stack, create_service=False), zone=zone(stack), domain_name="app.cora.example.com"
        )


# -- ApiCustomDomain ---------------------------------------------------------------------------------
def api_domain(stack: TerraformStack, **props: Any) -> ApiCustomDomain:
    return ApiCustomDomain(
        stack,
        "api-domain",
        props=ApiCustomDomainProps(
            api=api(stack, disable_execute_api_endpoint=True),
            zone=zone(stack),
            domain_name="api.cora.example.com",
            **props,
        ),
    )


def test_api_domain_certificate_is_dns_validated_before_the_domain_uses_it(synth: Build) -> None:
    doc = synth(api_domain)
    certificate = only(resources(doc, "aws_acm_certificate"))
    assert certificate["domain_name"] == "api.cora.example.com"
    assert certificate["validation_method"] == "DNS"
    assert certificate["lifecycle"] == {"create_before_destroy": True}
    (validation_record,) = [r for r in records(doc).values() if r["type"] != "A" and r["type"] != "AAAA"]
    cert = ref(doc, "aws_acm_certificate", "domain_validation_options")
    assert validation_record["name"] == f"${{tolist({cert[2:-1]})[0].resource_record_name}}"
    assert validation_record["records"] == [f"${{tolist({cert[2:-1]})[0].resource_record_value}}"]
    issued = only(resources(doc, "aws_acm_certificate_validation"))
    assert issued["certificate_arn"] == ref(doc, "aws_acm_certificate", "arn")
    # The provider waits 75 minutes by default, longer than a deploy job runs: fail while it can say why.
    assert issued["timeouts"] == {"create": "45m"}
    (record_id,) = [i for i, r in records(doc).items() if r is validation_record]
    assert issued["validation_record_fqdns"] == [f"${{aws_route53_record.{record_id}.fqdn}}"]
    domain = only(resources(doc, "aws_apigatewayv2_domain_name"))
    assert domain["domain_name"] == "api.cora.example.com"
    assert domain["domain_name_configuration"] == {
        "certificate_arn": ref(doc, "aws_acm_certificate_validation", "certificate_arn"),
        "endpoint_type": "REGIONAL",
        "security_policy": "TLS_1_2",
        # The AAAA alias points at the domain's IPv6 addresses: they exist only for a dualstack domain.
        "ip_address_type": "dualstack",
    }


def test_api_domain_maps_the_default_stage_and_aliases_a_and_aaaa(synth: Build) -> None:
    doc = synth(api_domain)
    mapping = only(resources(doc, "aws_apigatewayv2_api_mapping"))
    assert mapping["api_id"] == ref(doc, "aws_apigatewayv2_api", "id")
    assert mapping["domain_name"] == ref(doc, "aws_apigatewayv2_domain_name", "id")
    assert mapping["stage"] == ref(doc, "aws_apigatewayv2_stage", "id")
    aliases = {r["type"]: r for r in records(doc).values() if r["type"] in {"A", "AAAA"}}
    assert set(aliases) == {"A", "AAAA"}
    configuration = ref(doc, "aws_apigatewayv2_domain_name", "domain_name_configuration")[2:-1]
    for alias in aliases.values():
        assert alias["name"] == "api.cora.example.com"
        assert alias["alias"] == {
            "name": f"${{{configuration}[0].target_domain_name}}",
            "zone_id": f"${{{configuration}[0].hosted_zone_id}}",
            "evaluate_target_health": False,
        }
    assert only(resources(doc, "aws_apigatewayv2_api"))["disable_execute_api_endpoint"] is True


def test_api_domain_without_ipv6_has_only_an_a_alias(synth: Build) -> None:
    doc = synth(lambda s: api_domain(s, ipv6=False))
    assert len(records(doc)) == 2  # the certificate's validation record and the A alias
    assert [r["type"] for r in records(doc).values() if r["type"] in {"A", "AAAA"}] == ["A"]
    assert only(resources(doc, "aws_apigatewayv2_domain_name"))["domain_name_configuration"][
        "ip_address_type"
    ] == ("ipv4")


def test_execute_api_endpoint_stays_on_by_default(synth: Build) -> None:
    doc = synth(api)
    assert "disable_execute_api_endpoint" not in only(resources(doc, "aws_apigatewayv2_api"))


def test_api_domain_outside_the_zone_is_refused() -> None:
    stack = TerraformStack(CdktfTesting.app(), "t")
    with pytest.raises(
        ValidationError, match=r"domain_name: 'api\.example\.org' is not inside the hosted zone"
    ):
        ApiCustomDomainProps(api=api(stack), zone=zone(stack), domain_name="api.example.org")
