"""FargateCustomDomain: certificate, validation records, HTTPS on the load balancer, alias records; and
a whole Fargate stack (literal network ids, service, domain) is valid Terraform."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cdktf import App, TerraformStack

from constructs_lib import EcrRepo, EcrRepoProps, HostedZone, HostedZoneProps
from constructs_lib._aws import AwsProvider
from constructs_lib.api.custom_domain import VALIDATION_TIMEOUT
from constructs_lib.compute.fargate_domain import FargateCustomDomain, FargateCustomDomainProps
from constructs_lib.compute.fargate_service import FargateService, FargateServiceProps
from constructs_lib.compute.web_service import WebDomain
from constructs_lib.network.load_balancer import HTTPS_POLICY
from tests.conftest import Synthesized, only, resources
from tests.constructs.test_load_balancer import NETWORK

ZONE_ID = "Z0123456789ABCDEFGHIJ"


def build(
    *,
    domain_name: str = "cora.example.com",
    www: bool = False,
    kept: list[Any] | None = None,
    **overrides: Any,
):
    def run(stack: TerraformStack) -> None:
        repo = EcrRepo(stack, "repo", props=EcrRepoProps(name="cora-dev-web"))
        values: dict[str, Any] = {
            "service_name": "cora-dev-web",
            "repository": repo,
            "image_tag": "abc1234",
            "network": NETWORK,
            **overrides,
        }
        web = FargateService(stack, "web", props=FargateServiceProps(**values))
        zone = HostedZone(stack, "zone", props=HostedZoneProps(name="cora.example.com", zone_id=ZONE_ID))
        domain = web.add_custom_domain(
            stack, "web-domain", zone=zone, domain_name=domain_name, enable_www=www
        )
        if kept is not None:
            kept.extend([web, domain])

    return run


def records(doc: Synthesized, kind: str) -> list[dict[str, Any]]:
    return [r for r in resources(doc, "aws_route53_record") if r["type"] == kind]


def test_the_certificate_is_dns_validated_and_names_www_when_asked(synth):
    doc = synth(build(www=True))
    certificate = only(resources(doc, "aws_acm_certificate"))
    assert certificate["domain_name"] == "cora.example.com"
    assert certificate["subject_alternative_names"] == ["www.cora.example.com"]
    assert certificate["validation_method"] == "DNS"
    assert certificate["lifecycle"] == {"create_before_destroy": True}
    assert "subject_alternative_names" not in only(resources(synth(build()), "aws_acm_certificate"))


def test_one_validation_record_per_name_and_the_validation_waits_for_them(synth):
    doc = synth(build(www=True))
    validation = [r for r in resources(doc, "aws_route53_record") if "resource_record_name" in r["name"]]
    assert len(validation) == 2
    picked = sorted(r["name"].split('o.domain_name == "')[1].split('"')[0] for r in validation)
    assert picked == ["cora.example.com", "www.cora.example.com"]
    assert all(r["zone_id"] == ZONE_ID and r["allow_overwrite"] is True for r in validation)
    issued = only(resources(doc, "aws_acm_certificate_validation"))
    assert len(issued["validation_record_fqdns"]) == 2
    assert issued["timeouts"] == {"create": VALIDATION_TIMEOUT}


def test_https_uses_the_issued_certificate_and_http_redirects(synth):
    doc = synth(build())
    (issued_id,) = doc["resource"]["aws_acm_certificate_validation"]
    listeners = {item["port"]: item for item in resources(doc, "aws_lb_listener")}
    assert (
        listeners[443]["certificate_arn"]
        == f"${{aws_acm_certificate_validation.{issued_id}.certificate_arn}}"
    )
    assert listeners[443]["ssl_policy"] == HTTPS_POLICY
    assert listeners[80]["default_action"][0]["redirect"]["status_code"] == "HTTP_301"


def test_alias_a_records_point_at_the_load_balancer_and_there_is_no_aaaa(synth):
    doc = synth(build(www=True))
    (alb_id,) = doc["resource"]["aws_lb"]
    aliases = records(doc, "A")
    assert sorted(r["name"] for r in aliases) == ["cora.example.com", "www.cora.example.com"]
    for record in aliases:
        assert record["alias"] == {
            "name": f"${{aws_lb.{alb_id}.dns_name}}",
            "zone_id": f"${{aws_lb.{alb_id}.zone_id}}",
            "evaluate_target_health": True,
        }
    assert records(doc, "AAAA") == []


def test_the_domain_is_a_web_domain_with_its_url_and_the_load_balancer_as_target(synth):
    kept: list[Any] = []
    synth(build(domain_name="app.cora.example.com", kept=kept))
    web, domain = kept
    assert isinstance(domain, WebDomain)
    assert isinstance(domain, FargateCustomDomain)
    assert domain.url == "https://app.cora.example.com"
    assert domain.dns_target == web.load_balancer.dns_name
    assert web.service_url.startswith("https://")


def test_a_name_outside_the_zone_is_refused(synth):
    with pytest.raises(ValueError, match="domain_name"):
        synth(build(domain_name="cora.example.org"))


def test_a_domain_can_come_before_the_service(synth):
    """The load balancer exists in the first deploy phase, so its certificate and records can too."""
    doc = synth(build(create_service=False))
    assert resources(doc, "aws_ecs_service") == []
    assert len(resources(doc, "aws_lb_listener")) == 2


def test_props_keep_the_names_in_order(synth):
    kept: list[Any] = []
    synth(build(www=True, kept=kept))
    web, domain = kept
    again = FargateCustomDomainProps(
        service=web, zone=domain.props.zone, domain_name="cora.example.com", enable_www=True
    )
    assert again.names == ("cora.example.com", "www.cora.example.com")


@pytest.mark.terraform
def test_a_fargate_stack_with_a_domain_is_valid_terraform(terraform_env, tmp_path):
    app = App(outdir=str(tmp_path / "out"))
    stack = TerraformStack(app, "fargate")
    AwsProvider(stack, "aws", region="eu-west-1")
    # The mirror holds 5.100: the library's constraint, not the bindings' exact version.
    stack.add_override("terraform.required_providers.aws.version", "~> 5.99")
    build(www=True, protected=True)(stack)
    app.synth()
    work = tmp_path / "validate"
    work.mkdir()
    shutil.copy(Path(app.outdir) / "stacks" / "fargate" / "cdk.tf.json", work / "cdk.tf.json")

    def terraform(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["terraform", *args], cwd=work, env=terraform_env, capture_output=True, text=True, check=False
        )

    init = terraform("init", "-backend=false", "-input=false", "-no-color")
    assert init.returncode == 0, init.stdout + init.stderr
    result = json.loads(terraform("validate", "-json", "-no-color").stdout)
    assert result["valid"] is True, json.dumps(result["diagnostics"], indent=2)
    assert (result["error_count"], result["warning_count"]) == (0, 0), json.dumps(result["diagnostics"])
