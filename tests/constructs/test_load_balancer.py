"""WebLoadBalancer: names that fit, security groups that admit only the path in, listeners, protection."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from cdktf import TerraformStack

from constructs_lib.compute.app_runner_service import HealthCheck, HealthCheckProtocol
from constructs_lib.network.access_logs import bucket_prefix
from constructs_lib.network.load_balancer import (
    HTTPS_POLICY,
    WebLoadBalancer,
    WebLoadBalancerProps,
    alb_health_check,
    fit_name,
    lb_name,
)
from constructs_lib.network.placement import Network
from tests.conftest import Synthesized, data_sources, only, resources

NETWORK = Network(
    vpc_id="vpc-0123456789abcdef0",
    public_subnet_ids=("subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"),
    private_subnet_ids=("subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"),
)
ALB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")  # AWS: 1-32, no '-' at the ends


def build(*, certificate: str | None = None, **overrides: Any):
    def run(stack: TerraformStack) -> WebLoadBalancer:
        values: dict[str, Any] = {"name": "cora-dev-web", "network": NETWORK, **overrides}
        lb = WebLoadBalancer(stack, "lb", props=WebLoadBalancerProps(**values))
        if certificate:
            lb.use_certificate(certificate)
        return lb

    return run


def sg_ref(doc: Synthesized, suffix: str) -> str:
    """The reference to the id of the security group whose name ends with ``suffix``."""
    (id_,) = [i for i, sg in doc["resource"]["aws_security_group"].items() if sg["name"].endswith(suffix)]
    return f"${{aws_security_group.{id_}.id}}"


def rules(doc: Synthesized, kind: str, group: str) -> list[dict[str, Any]]:
    return [
        r for r in resources(doc, f"aws_vpc_security_group_{kind}_rule") if r["security_group_id"] == group
    ]


def listener(doc: Synthesized, port: int) -> dict[str, Any]:
    return only([item for item in resources(doc, "aws_lb_listener") if item["port"] == port])


# -- names --------------------------------------------------------------------------------------------


def test_short_names_are_kept_and_underscores_become_hyphens():
    assert lb_name("cora-dev-web") == "cora-dev-web"
    assert lb_name("cora_dev_web") == "cora-dev-web"
    assert lb_name("a" * 32) == "a" * 32


def test_long_names_are_25_characters_a_hyphen_and_6_hex_of_the_sha256():
    name = "cora-analytics-platform-staging-web"
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    assert lb_name(name) == f"{name[:25]}-{digest}"
    assert len(lb_name(name)) == 32


@pytest.mark.parametrize(
    "name", ["x" * 33, "a_" * 40, "-" + "b" * 40, "z" * 24 + "-" + "q" * 20, "A" * 255, "internal_web"]
)
def test_every_shortened_name_is_a_valid_load_balancer_name(name):
    assert ALB_NAME.fullmatch(lb_name(name)), lb_name(name)


def test_names_sharing_their_first_25_characters_stay_distinct():
    base = "cora-analytics-platform-s"
    assert lb_name(base + "taging-web") != lb_name(base + "taging-api")


def test_fit_name_keeps_the_suffix_and_the_limit():
    assert fit_name("cora-dev-web", 64, "-execution") == "cora-dev-web-execution"
    long = fit_name("n" * 100, 64, "-execution")
    assert len(long) == 64
    assert long.endswith("-execution")


def test_the_access_log_bucket_prefix_is_a_lowercase_s3_prefix():
    assert bucket_prefix("Cora_Dev_Web") == "cora-dev-web-alb-logs-"
    assert len(bucket_prefix("x" * 255)) <= 37


def test_the_resources_carry_the_shortened_name(synth):
    name = "cora-analytics-platform-staging-web"
    doc = synth(build(name=name))
    assert only(resources(doc, "aws_lb"))["name"] == lb_name(name)
    assert only(resources(doc, "aws_lb_target_group"))["name"] == lb_name(name)


# -- health check -------------------------------------------------------------------------------------


def test_the_default_health_check_maps_to_the_alb_ranges():
    check = alb_health_check(HealthCheck())
    assert (check.path, check.interval_seconds, check.timeout_seconds) == ("/api/health", 10, 5)
    assert (check.healthy_threshold, check.unhealthy_threshold) == (2, 5)  # ALB: at least 2


def test_out_of_range_values_are_clamped():
    check = alb_health_check(
        HealthCheck(interval_seconds=1, timeout_seconds=20, healthy_threshold=20, unhealthy_threshold=1)
    )
    assert check.interval_seconds == 5
    assert check.timeout_seconds == 4  # shorter than the interval
    assert (check.healthy_threshold, check.unhealthy_threshold) == (10, 2)


def test_a_tcp_check_becomes_http_on_root():
    assert alb_health_check(HealthCheck(protocol=HealthCheckProtocol.TCP, path="/api/health")).path == "/"


def test_the_target_group_is_ip_http_with_the_mapped_check(synth):
    doc = synth(build(port=8080, health_check=HealthCheck(path="/healthz", healthy_threshold=3)))
    group = only(resources(doc, "aws_lb_target_group"))
    assert (group["target_type"], group["protocol"], group["port"]) == ("ip", "HTTP", 8080)
    assert group["deregistration_delay"] == "30"
    assert group["vpc_id"] == NETWORK.vpc_id
    check = group["health_check"]
    assert (check["path"], check["matcher"], check["protocol"]) == ("/healthz", "200-399", "HTTP")
    assert (check["interval"], check["timeout"], check["healthy_threshold"]) == (10, 5, 3)


# -- security groups ----------------------------------------------------------------------------------


def test_the_tasks_admit_only_the_load_balancer_on_the_app_port(synth):
    doc = synth(build(port=3000))
    alb, tasks = sg_ref(doc, "-alb"), sg_ref(doc, "-tasks")
    (ingress,) = rules(doc, "ingress", tasks)
    assert ingress["referenced_security_group_id"] == alb
    assert (ingress["ip_protocol"], ingress["from_port"], ingress["to_port"]) == ("tcp", 3000, 3000)
    assert "cidr_ipv4" not in ingress
    assert "cidr_ipv6" not in ingress
    (egress,) = rules(doc, "egress", tasks)
    assert (egress["cidr_ipv4"], egress["from_port"], egress["to_port"]) == ("0.0.0.0/0", 443, 443)


def test_the_load_balancer_admits_80_and_443_and_sends_only_to_the_tasks(synth):
    doc = synth(build(port=3000))
    alb, tasks = sg_ref(doc, "-alb"), sg_ref(doc, "-tasks")
    admitted = {
        (r["from_port"], r["to_port"], r.get("cidr_ipv4") or r.get("cidr_ipv6"))
        for r in rules(doc, "ingress", alb)
    }
    assert admitted == {(80, 80, "0.0.0.0/0"), (80, 80, "::/0"), (443, 443, "0.0.0.0/0"), (443, 443, "::/0")}
    (egress,) = rules(doc, "egress", alb)
    assert egress["referenced_security_group_id"] == tasks
    assert (egress["from_port"], egress["to_port"]) == (3000, 3000)


def test_the_load_balancer_is_internet_facing_in_the_public_subnets(synth):
    doc = synth(build())
    alb = only(resources(doc, "aws_lb"))
    assert alb["internal"] is False
    assert alb["load_balancer_type"] == "application"
    assert alb["subnets"] == list(NETWORK.public_subnet_ids)
    assert alb["drop_invalid_header_fields"] is True
    assert alb["security_groups"] == [sg_ref(doc, "-alb")]


# -- listeners ----------------------------------------------------------------------------------------


def test_without_a_certificate_port_80_forwards_to_the_tasks(synth):
    doc = synth(build())
    (action,) = listener(doc, 80)["default_action"]
    assert action["type"] == "forward"
    assert action["target_group_arn"].startswith("${aws_lb_target_group.")
    assert len(resources(doc, "aws_lb_listener")) == 1


def test_a_certificate_adds_https_with_tls13_and_turns_80_into_a_301(synth):
    arn = "arn:aws:acm:eu-west-1:111111111111:certificate/abc"
    doc = synth(build(certificate=arn))
    https = listener(doc, 443)
    assert (https["protocol"], https["ssl_policy"], https["certificate_arn"]) == ("HTTPS", HTTPS_POLICY, arn)
    assert HTTPS_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["default_action"][0]["type"] == "forward"
    (redirect,) = listener(doc, 80)["default_action"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}


def test_the_url_turns_https_with_a_certificate(synth):
    seen: list[str] = []

    def run(stack: TerraformStack) -> None:
        lb = build()(stack)
        seen.append(lb.url)
        lb.use_certificate("arn:aws:acm:eu-west-1:111111111111:certificate/abc")
        seen.append(lb.url)

    synth(run)
    assert seen[0].startswith("http://${aws_lb.")
    assert seen[1].startswith("https://${aws_lb.")


def test_a_second_certificate_is_refused(synth):
    def run(stack: TerraformStack) -> None:
        lb = build(certificate="arn:aws:acm:eu-west-1:111111111111:certificate/a")(stack)
        lb.use_certificate("arn:aws:acm:eu-west-1:111111111111:certificate/b")

    with pytest.raises(ValueError, match="already serves HTTPS"):
        synth(run)


# -- protection ---------------------------------------------------------------------------------------


def test_unprotected_has_no_deletion_protection_and_no_access_logs(synth):
    doc = synth(build())
    alb = only(resources(doc, "aws_lb"))
    assert alb["enable_deletion_protection"] is False
    assert "access_logs" not in alb
    assert resources(doc, "aws_s3_bucket") == []


def test_protected_has_deletion_protection_and_access_logs_in_its_own_bucket(synth):
    doc = synth(build(protected=True))
    alb = only(resources(doc, "aws_lb"))
    assert alb["enable_deletion_protection"] is True
    (bucket_id,) = doc["resource"]["aws_s3_bucket"]
    assert alb["access_logs"] == {"bucket": f"${{aws_s3_bucket.{bucket_id}.id}}", "enabled": True}
    assert only(resources(doc, "aws_s3_bucket"))["bucket_prefix"] == "cora-dev-web-alb-logs-"
    sse = only(resources(doc, "aws_s3_bucket_server_side_encryption_configuration"))
    assert sse["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    block = only(resources(doc, "aws_s3_bucket_public_access_block"))
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls"))
    ownership = only(resources(doc, "aws_s3_bucket_ownership_controls"))
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"
    (rule,) = only(resources(doc, "aws_s3_bucket_lifecycle_configuration"))["rule"]
    assert rule["expiration"] == [{"days": 90}]


def test_only_the_regional_elb_account_may_write_under_this_accounts_prefix(synth):
    doc = synth(build(protected=True))
    (bucket_id,) = doc["resource"]["aws_s3_bucket"]
    (elb_id,) = data_sources(doc, "aws_elb_service_account")
    (account_id,) = data_sources(doc, "aws_caller_identity")
    policy = only(resources(doc, "aws_s3_bucket_policy"))
    doc_id = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(.+)\.json\}", policy["policy"])
    assert doc_id
    allow, deny = data_sources(doc, "aws_iam_policy_document")[doc_id[1]]["statement"]
    assert allow["actions"] == ["s3:PutObject"]
    assert allow["principals"] == [
        {"type": "AWS", "identifiers": [f"${{data.aws_elb_service_account.{elb_id}.arn}}"]}
    ]
    assert allow["resources"] == [
        f"${{aws_s3_bucket.{bucket_id}.arn}}/AWSLogs/${{data.aws_caller_identity.{account_id}.account_id}}/*"
    ]
    assert deny["effect"] == "Deny"
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    assert only(resources(doc, "aws_lb"))["depends_on"] == [f"aws_s3_bucket_policy.{policy_id(doc)}"]


def policy_id(doc: Synthesized) -> str:
    (id_,) = doc["resource"]["aws_s3_bucket_policy"]
    return str(id_)
