"""The environment stacks' custom domains: built from [domain] alone, so the URLs the app, NextAuth and
CORS use cannot disagree with the names the DNS serves."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from cdktf import Testing

from constructs_lib.stacks import CoraAppStack, EnvConfig
from constructs_lib.stacks.config_domain import DomainConfig
from tests.conftest import ALL_ENVIRONMENTS, Synthesized, only, resources

WITH_DOMAIN = ("stg", "prd", "local")


def _env_vars(doc: Synthesized) -> dict[str, str]:
    service = only(resources(doc, "aws_apprunner_service"))
    variables: dict[str, str] = service["source_configuration"]["image_repository"]["image_configuration"][
        "runtime_environment_variables"
    ]
    return variables


def _domain(config: EnvConfig) -> DomainConfig:
    assert config.domain is not None
    return config.domain


@pytest.mark.parametrize("env", WITH_DOMAIN)
def test_urls_cors_and_dns_names_agree(
    synthesized: dict[str, Synthesized], configs: dict[str, EnvConfig], env
):
    doc, domain = synthesized[env], _domain(configs[env])
    variables = _env_vars(doc)
    origins = only(resources(doc, "aws_apigatewayv2_api"))["cors_configuration"]["allow_origins"]
    association = only(resources(doc, "aws_apprunner_custom_domain_association"))
    api_domain = only(resources(doc, "aws_apigatewayv2_domain_name"))
    # NextAuth's URL is the association's name and an origin CORS admits ...
    app = urlsplit(variables["NEXTAUTH_URL"])
    assert (app.scheme, app.hostname, app.path) == ("https", association["domain_name"], "")
    assert variables["NEXTAUTH_URL"] in origins
    # ... the www name too when it is served ...
    assert association["enable_www_subdomain"] is domain.www
    assert (f"https://www.{association['domain_name']}" in origins) is domain.www
    # ... and the app calls the API at the name its domain and certificate carry.
    api = urlsplit(variables["NEXT_PUBLIC_API_URL"])
    assert (api.scheme, api.hostname, api.path) == ("https", api_domain["domain_name"], "")
    assert only(resources(doc, "aws_acm_certificate"))["domain_name"] == api_domain["domain_name"]
    assert doc["output"]["app_url"]["value"] == variables["NEXTAUTH_URL"]
    assert doc["output"]["api_url"]["value"] == variables["NEXT_PUBLIC_API_URL"]
    assert doc["output"]["app_origins"]["value"] == origins


@pytest.mark.parametrize("env", WITH_DOMAIN)
def test_domains_use_the_configured_zone_and_switch_off_execute_api(
    synthesized: dict[str, Synthesized], configs: dict[str, EnvConfig], env
):
    doc, domain = synthesized[env], _domain(configs[env])
    (lookup_id, lookup) = only(list(doc["data"]["aws_route53_zone"].items()))
    assert (lookup["name"], lookup["private_zone"]) == (domain.zone, False)
    zone_ref = f"${{data.aws_route53_zone.{lookup_id}.zone_id}}"
    assert {r["zone_id"] for r in resources(doc, "aws_route53_record")} == {zone_ref}
    api = only(resources(doc, "aws_apigatewayv2_api"))
    assert api["disable_execute_api_endpoint"] is True
    assert "execute-api URL (disabled" in doc["output"]["api_endpoint"]["description"]


@pytest.mark.parametrize(("env", "kind"), [("stg", "A"), ("prd", "A"), ("local", "CNAME")])
def test_apex_apps_get_an_alias_and_subdomains_a_cname(
    synthesized: dict[str, Synthesized], configs: dict[str, EnvConfig], env, kind
):
    doc, domain = synthesized[env], _domain(configs[env])
    (traffic,) = [r for r in resources(doc, "aws_route53_record") if r["name"] == domain.app_host]
    assert traffic["type"] == kind
    assert ("alias" in traffic) is (kind == "A")
    assert ("aws_apprunner_hosted_zone_id" in doc.get("data", {})) is (kind == "A")


def test_dev_without_a_domain_uses_aws_urls_and_says_so(synthesized: dict[str, Synthesized]):
    doc = synthesized["dev"]
    for kind in (
        "aws_apprunner_custom_domain_association",
        "aws_apigatewayv2_domain_name",
        "aws_route53_record",
    ):
        assert not resources(doc, kind)
    variables = _env_vars(doc)
    assert "NEXTAUTH_URL" not in variables
    assert variables["AUTH_TRUST_HOST"] == "true"
    assert variables["NEXT_PUBLIC_API_URL"].endswith(".api_endpoint}")
    assert doc["output"]["api_url"]["value"] == variables["NEXT_PUBLIC_API_URL"]
    assert doc["output"]["app_url"]["value"].endswith(".service_url}")
    assert "no [domain]" in doc["output"]["app_url"]["description"]
    assert "disable_execute_api_endpoint" not in only(resources(doc, "aws_apigatewayv2_api"))


def _phase_one(config: EnvConfig) -> dict[str, Any]:
    first = config.model_copy(update={"app": config.app.model_copy(update={"create_service": False})})
    stack = CoraAppStack(Testing.app(), first)
    result: dict[str, Any] = json.loads(Testing.synth(stack))
    return result


def test_the_first_phase_brings_the_api_domain_and_not_the_app_domain(configs: dict[str, EnvConfig]):
    doc = _phase_one(configs["stg"])
    assert not resources(doc, "aws_apprunner_service")
    assert not resources(doc, "aws_apprunner_custom_domain_association")
    assert only(resources(doc, "aws_apigatewayv2_domain_name"))["domain_name"] == "api.stg.cora.example.com"
    assert only(resources(doc, "aws_apigatewayv2_api_mapping"))
    assert doc["output"]["app_url"]["value"] == "https://stg.cora.example.com"


def test_a_given_zone_id_is_used_without_a_lookup(configs: dict[str, EnvConfig]):
    config = configs["stg"]
    domain = _domain(config).model_copy(update={"zone_id": "Z0123456789ABCDEFGHIJ"})
    doc = json.loads(Testing.synth(CoraAppStack(Testing.app(), config.model_copy(update={"domain": domain}))))
    assert "aws_route53_zone" not in doc.get("data", {})
    assert {r["zone_id"] for r in resources(doc, "aws_route53_record")} == {"Z0123456789ABCDEFGHIJ"}


@pytest.mark.parametrize("env", ALL_ENVIRONMENTS)
def test_every_stack_admits_its_own_app_origin(synthesized: dict[str, Synthesized], env):
    doc = synthesized[env]
    origins = only(resources(doc, "aws_apigatewayv2_api"))["cors_configuration"]["allow_origins"]
    url = _env_vars(doc).get("NEXTAUTH_URL")
    assert (origins == ["*"]) if url is None else (url in origins)
