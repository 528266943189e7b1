"""The organisation rules of the ECS backend, on hand-written Terraform JSON as AWS's docs describe it:
stg and prd answer HTTPS only, keep their load balancer and its access logs; everywhere invalid headers
are dropped and TLS is 1.2+; task definition containers obey the image-tag and secret rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from constructs_lib.policy import evaluate

LB = "${aws_lb.web.arn}"


def _config(
    *, lb: dict[str, Any] | None = None, listeners: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    good_lb = {
        "load_balancer_type": "application",
        "drop_invalid_header_fields": True,
        "enable_deletion_protection": True,
        "access_logs": {"bucket": "${aws_s3_bucket.logs.id}", "enabled": True},
    }
    good_listeners = {
        "http": {
            "load_balancer_arn": LB,
            "port": 80,
            "protocol": "HTTP",
            "default_action": [
                {
                    "type": "redirect",
                    "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
                }
            ],
        },
        "https": {
            "load_balancer_arn": LB,
            "port": 443,
            "protocol": "HTTPS",
            "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "default_action": [{"type": "forward", "target_group_arn": "${aws_lb_target_group.web.arn}"}],
        },
    }
    return {
        "resource": {
            "aws_lb": {"web": {**good_lb, **(lb or {})}},
            "aws_lb_listener": listeners if listeners is not None else good_listeners,
        }
    }


def _rules(config: dict[str, Any], env: str) -> set[str]:
    return {v.rule for v in evaluate(config, env)}


@pytest.mark.parametrize("env", ["dev", "stg", "prd"])
def test_a_load_balancer_built_as_aws_documents_passes(env: str) -> None:
    assert _rules(_config(), env) == set()


def test_stg_and_prd_refuse_plain_http_but_dev_may_serve_it() -> None:
    forward = {
        "load_balancer_arn": LB,
        "port": 80,
        "protocol": "HTTP",
        "default_action": [{"type": "forward"}],
    }
    config = _config(listeners={"http": forward})
    assert {"lb-https-only"} <= _rules(config, "prd")
    messages = [v.message for v in evaluate(config, "stg") if v.rule == "lb-https-only"]
    assert any("plain HTTP" in m for m in messages) and any("no HTTPS listener" in m for m in messages)
    assert "lb-https-only" not in _rules(config, "dev")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"enable_deletion_protection": False}, "lb-deletion-protection"),
        ({"access_logs": {"bucket": "logs", "enabled": False}}, "lb-access-logs"),
        ({"access_logs": None}, "lb-access-logs"),
    ],
)
def test_stg_and_prd_keep_their_load_balancer_and_its_logs(change: dict[str, Any], rule: str) -> None:
    config = _config(lb=change)
    assert rule in _rules(config, "prd") and rule in _rules(config, "stg")
    assert rule not in _rules(config, "dev")


def test_invalid_headers_are_dropped_everywhere() -> None:
    assert "lb-drop-invalid-headers" in _rules(_config(lb={"drop_invalid_header_fields": False}), "dev")


@pytest.mark.parametrize(
    ("policy", "refused"),
    [
        ("ELBSecurityPolicy-TLS13-1-2-2021-06", False),
        ("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", False),
        ("ELBSecurityPolicy-2016-08", True),
        ("ELBSecurityPolicy-TLS-1-1-2017-01", True),
    ],
)
def test_https_listeners_negotiate_tls_1_2_or_later(policy: str, refused: bool) -> None:
    config = _config()
    config["resource"]["aws_lb_listener"]["https"]["ssl_policy"] = policy
    assert ("lb-tls12" in _rules(config, "dev")) is refused


def _task(image: str, env_names: list[str]) -> dict[str, Any]:
    containers = [
        {"name": "web", "image": image, "environment": [{"name": n, "value": "x"} for n in env_names]}
    ]
    return {
        "resource": {"aws_ecs_task_definition": {"web": {"container_definitions": json.dumps(containers)}}}
    }


def test_task_definitions_deploy_pinned_tags_in_stg_and_prd() -> None:
    moving = _task("${aws_ecr_repository.web.repository_url}:latest", [])
    assert "pinned-image-tag" in _rules(moving, "prd")
    assert "pinned-image-tag" not in _rules(
        _task("${aws_ecr_repository.web.repository_url}:0.1.0", []), "prd"
    )


def test_task_definitions_keep_secret_names_out_of_plain_environment() -> None:
    violations = evaluate(_task("repo:0.1.0", ["NODE_ENV", "NEXTAUTH_SECRET"]), "dev")
    assert [v.rule for v in violations] == ["no-secret-env"]
    assert "NEXTAUTH_SECRET" in violations[0].message
