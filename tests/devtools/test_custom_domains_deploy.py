"""Custom domains apply, re-plan empty and destroy with the AWS provider against the emulators.

A hand-written Terraform JSON in a temp folder, in the shape the lead's constructs synthesize: an App
Runner service with a custom domain association (``enable_www_subdomain = false``) whose validation
records are built with ``count = 2`` over the sorted record names (the set is unknown at plan time,
so ``for_each`` over it cannot plan), a CNAME to its ``dns_target``; an ACM certificate for
``api.<zone>``, its validation record and ``aws_acm_certificate_validation``; an API Gateway v2 domain
name mapped to an API with ``disable_execute_api_endpoint``, and alias A/AAAA records to it. The zone
is ``devtools.emulators.LOCAL_ZONE``, seeded outside Terraform as in AWS.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.emulators import LOCAL_ZONE, Emulators, running, seed_hosted_zone
from tests.deploy.terraform_cli import terraform

pytestmark = [pytest.mark.deploy, pytest.mark.terraform]

APP_DOMAIN = f"app.{LOCAL_ZONE}"
API_DOMAIN = f"api.{LOCAL_ZONE}"
SERVICE = "cora-domains-web"
RECORDS = "aws_apprunner_custom_domain_association.web.certificate_validation_records"
ZONE_ID = "${data.aws_route53_zone.zone.zone_id}"
TARGET = "aws_apigatewayv2_domain_name.api.domain_name_configuration[0]"


def stack(emulators: Emulators) -> dict[str, Any]:
    """The Terraform JSON of the custom domain resources, pointed at ``emulators``."""
    moto = emulators.moto_url
    services = ("acm", "apigatewayv2", "iam", "route53", "sts")
    alias = {"name": f"${{{TARGET}.target_domain_name}}", "zone_id": f"${{{TARGET}.hosted_zone_id}}"}
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "~> 5.99"}}},
        "provider": {
            "aws": [
                {
                    "region": emulators.region,
                    "access_key": "test",
                    "secret_key": "test",
                    "skip_credentials_validation": True,
                    "skip_requesting_account_id": True,
                    "skip_metadata_api_check": "true",
                    "skip_region_validation": True,
                    "endpoints": [{**dict.fromkeys(services, moto), "apprunner": emulators.apprunner_url}],
                }
            ]
        },
        "data": {"aws_route53_zone": {"zone": {"name": LOCAL_ZONE, "private_zone": False}}},
        "resource": {
            "aws_apprunner_service": {
                "web": {
                    "service_name": SERVICE,
                    "source_configuration": {
                        "auto_deployments_enabled": False,
                        "image_repository": {
                            "image_identifier": "public.ecr.aws/aws-containers/hello-app-runner:latest",
                            "image_repository_type": "ECR_PUBLIC",
                            "image_configuration": {"port": "3000"},
                        },
                    },
                }
            },
            "aws_apprunner_custom_domain_association": {
                "web": {
                    "domain_name": APP_DOMAIN,
                    "service_arn": "${aws_apprunner_service.web.arn}",
                    "enable_www_subdomain": False,
                }
            },
            "aws_acm_certificate": {
                "api": {
                    "domain_name": API_DOMAIN,
                    "validation_method": "DNS",
                    "lifecycle": {"create_before_destroy": True},
                }
            },
            "aws_acm_certificate_validation": {
                "api": {
                    "certificate_arn": "${aws_acm_certificate.api.arn}",
                    "validation_record_fqdns": "${[for r in aws_route53_record.api_validation : r.fqdn]}",
                }
            },
            "aws_apigatewayv2_api": {
                "api": {
                    "name": "cora-domains-api",
                    "protocol_type": "HTTP",
                    "disable_execute_api_endpoint": True,
                }
            },
            "aws_apigatewayv2_stage": {
                "api": {"api_id": "${aws_apigatewayv2_api.api.id}", "name": "$default", "auto_deploy": True}
            },
            "aws_apigatewayv2_domain_name": {
                "api": {
                    "domain_name": API_DOMAIN,
                    "domain_name_configuration": {
                        "certificate_arn": "${aws_acm_certificate_validation.api.certificate_arn}",
                        "endpoint_type": "REGIONAL",
                        "security_policy": "TLS_1_2",
                    },
                }
            },
            "aws_apigatewayv2_api_mapping": {
                "api": {
                    "api_id": "${aws_apigatewayv2_api.api.id}",
                    "domain_name": "${aws_apigatewayv2_domain_name.api.id}",
                    "stage": "${aws_apigatewayv2_stage.api.id}",
                }
            },
            "aws_route53_record": {
                "web_validation": {
                    "count": 2,
                    "zone_id": ZONE_ID,
                    "name": f"${{sort([for r in {RECORDS} : r.name])[count.index]}}",
                    "records": [
                        f"${{{{for r in {RECORDS} : r.name => r.value}}"
                        f"[sort([for r in {RECORDS} : r.name])[count.index]]}}"
                    ],
                    "type": "CNAME",
                    "ttl": 300,
                    "allow_overwrite": True,
                },
                "web": {
                    "zone_id": ZONE_ID,
                    "name": APP_DOMAIN,
                    "type": "CNAME",
                    "ttl": 300,
                    "records": ["${aws_apprunner_custom_domain_association.web.dns_target}"],
                },
                "api_validation": {
                    "for_each": (
                        "${{for o in aws_acm_certificate.api.domain_validation_options : o.domain_name => o}}"
                    ),
                    "zone_id": ZONE_ID,
                    "name": "${each.value.resource_record_name}",
                    "records": ["${each.value.resource_record_value}"],
                    "type": "${each.value.resource_record_type}",
                    "ttl": 300,
                    "allow_overwrite": True,
                },
                "api_a": {
                    "zone_id": ZONE_ID,
                    "name": API_DOMAIN,
                    "type": "A",
                    "alias": {**alias, "evaluate_target_health": False},
                },
                "api_aaaa": {
                    "zone_id": ZONE_ID,
                    "name": API_DOMAIN,
                    "type": "AAAA",
                    "alias": {**alias, "evaluate_target_health": False},
                },
            },
        },
    }


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    # Without the provider's fixed 15 s wait after each Route 53 change (see devtools.moto_domains).
    with running(apprunner_ready_delay=0.1, dns_change_wait=False) as started:
        yield started
        # moto's backends are global to the process: leave them empty for the next deploy tests.
        urllib.request.urlopen(urllib.request.Request(f"{started.moto_url}/moto-api/reset", method="POST"))


def records(emulators: Emulators, zone_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    pages = (
        emulators.client("route53").get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
    )
    return {(r["Name"], r["Type"]): r for page in pages for r in page["ResourceRecordSets"]}


def test_custom_domains_apply_replan_empty_and_destroy(tmp_path: Path, emulators, terraform_env):
    env = {**terraform_env, **emulators.env}
    zone_id = seed_hosted_zone(emulators)
    (tmp_path / "main.tf.json").write_text(json.dumps(stack(emulators), indent=2))
    terraform("init", "-input=false", cwd=tmp_path, env=env)
    terraform("apply", "-auto-approve", "-input=false", cwd=tmp_path, env=env)

    apprunner = emulators.client("apprunner")
    (service,) = [s for s in apprunner.list_services()["ServiceSummaryList"] if s["ServiceName"] == SERVICE]
    (domain,) = apprunner.describe_custom_domains(ServiceArn=service["ServiceArn"])["CustomDomains"]
    assert (domain["DomainName"], domain["Status"]) == (APP_DOMAIN, "active")
    (certificate,) = emulators.client("acm").list_certificates()["CertificateSummaryList"]
    assert (certificate["DomainName"], certificate["Status"]) == (API_DOMAIN, "ISSUED")
    (api_domain,) = emulators.client("apigatewayv2").get_domain_names()["Items"]
    target = api_domain["DomainNameConfigurations"][0]["ApiGatewayDomainName"]
    in_zone = records(emulators, zone_id)
    assert in_zone[(f"{APP_DOMAIN}.", "CNAME")]["ResourceRecords"] == [{"Value": service["ServiceUrl"]}]
    for record in domain["CertificateValidationRecords"]:
        assert in_zone[(record["Name"], "CNAME")]["ResourceRecords"] == [{"Value": record["Value"]}]
    for kind in ("A", "AAAA"):
        assert in_zone[(f"{API_DOMAIN}.", kind)]["AliasTarget"]["DNSName"].rstrip(".") == target
    (mapping,) = emulators.client("apigatewayv2").get_api_mappings(DomainName=API_DOMAIN)["Items"]
    assert mapping["Stage"] == "$default"

    plan = terraform("plan", "-detailed-exitcode", "-input=false", cwd=tmp_path, env=env, check=False)
    assert plan.returncode == 0, f"second plan is not empty:\n{plan.stdout[-4000:]}{plan.stderr[-2000:]}"

    terraform("destroy", "-auto-approve", "-input=false", cwd=tmp_path, env=env)
    assert not [s for s in apprunner.list_services()["ServiceSummaryList"] if s["ServiceName"] == SERVICE]
    assert emulators.client("acm").list_certificates()["CertificateSummaryList"] == []
    assert set(records(emulators, zone_id)) == {(f"{LOCAL_ZONE}.", "NS"), (f"{LOCAL_ZONE}.", "SOA")}
