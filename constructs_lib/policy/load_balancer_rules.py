"""The organisation rules for the ECS backend: its load balancer, and the containers of its tasks.

A load balancer that users reach in stg and prd answers HTTPS only (plain HTTP may only redirect),
cannot be deleted by an ordinary apply and writes access logs; everywhere it drops invalid header
fields and its HTTPS listeners negotiate TLS 1.2 or later. The task definitions' containers are read
by the general rules (``pinned-image-tag``, ``no-secret-env``) through :func:`container_images` and
:func:`container_env_names`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from constructs_lib.environment import Environment
from constructs_lib.policy.model import Json, Resource, Rule, blocks

__all__ = ["LOAD_BALANCER_RULES", "container_env_names", "container_images"]

USER_FACING = frozenset({Environment.STG, Environment.PRD})
# ELB's predefined policies that offer nothing below TLS 1.2 (AWS: "Security policies for your
# Application Load Balancer"): the TLS 1.3 family and the TLS-1-2 ones.
TLS12_POLICY_PREFIXES = ("ELBSecurityPolicy-TLS13-", "ELBSecurityPolicy-TLS-1-2", "ELBSecurityPolicy-FS-1-2")


def _containers(resource: Resource) -> list[Json]:
    if resource.type != "aws_ecs_task_definition":
        return []
    text = resource.config.get("container_definitions")
    try:
        parsed = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return []  # a Terraform expression: the values are not known here
    return blocks(parsed)


def container_images(resource: Resource) -> Iterator[str]:
    """The image of every container of an ``aws_ecs_task_definition``."""
    for container in _containers(resource):
        image = container.get("image")
        if isinstance(image, str):
            yield image


def container_env_names(resource: Resource) -> Iterator[str]:
    """The plain environment variable names of every container of an ``aws_ecs_task_definition``."""
    for container in _containers(resource):
        for variable in blocks(container.get("environment")):
            name = variable.get("name")
            if isinstance(name, str):
                yield name


def _is_application_lb(resource: Resource) -> bool:
    return (
        resource.type in {"aws_lb", "aws_alb"}
        and resource.config.get("load_balancer_type", "application") == "application"
    )


def _deletion_protection(resource: Resource, environment: str) -> Iterator[str]:
    if _is_application_lb(resource) and resource.config.get("enable_deletion_protection") is not True:
        yield f"the load balancer can be deleted by an apply; {environment} turns on deletion protection"


def _access_logs(resource: Resource, environment: str) -> Iterator[str]:
    if not _is_application_lb(resource):
        return
    if not any(
        block.get("enabled") is True and block.get("bucket")
        for block in blocks(resource.config.get("access_logs"))
    ):
        yield f"the load balancer writes no access logs; {environment} keeps them (access_logs with a bucket)"


def _drop_invalid_headers(resource: Resource, environment: str) -> Iterator[str]:
    if _is_application_lb(resource) and resource.config.get("drop_invalid_header_fields") is not True:
        yield "the load balancer forwards invalid header fields (request smuggling): drop them"


def _redirects_to_https(listener: Json) -> bool:
    actions = blocks(listener.get("default_action"))
    return bool(actions) and all(
        a.get("type") == "redirect" and any(r.get("protocol") == "HTTPS" for r in blocks(a.get("redirect")))
        for a in actions
    )


def _https_only(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type not in {"aws_lb_listener", "aws_alb_listener"}:
        return
    if resource.config.get("protocol", "HTTP") == "HTTP" and not _redirects_to_https(resource.config):
        yield f"the listener serves plain HTTP; {environment} answers HTTP only with a redirect to HTTPS"


def _tls12(resource: Resource, environment: str) -> Iterator[str]:
    if (
        resource.type not in {"aws_lb_listener", "aws_alb_listener"}
        or resource.config.get("protocol") != "HTTPS"
    ):
        return
    policy = resource.config.get("ssl_policy")
    if not isinstance(policy, str) or not policy.startswith(TLS12_POLICY_PREFIXES):
        yield f"the HTTPS listener's ssl_policy {policy!r} admits TLS below 1.2"


def _has_https_listener(resources: Sequence[Resource], environment: str) -> Iterator[tuple[Resource, str]]:
    listeners = [
        r for r in resources if r.kind == "resource" and r.type in {"aws_lb_listener", "aws_alb_listener"}
    ]
    for lb in resources:
        if lb.kind != "resource" or not _is_application_lb(lb):
            continue
        arn = f"${{{lb.type}.{lb.name}.arn}}"
        if not any(
            x.config.get("load_balancer_arn") == arn and x.config.get("protocol") == "HTTPS"
            for x in listeners
        ):
            yield (
                lb,
                f"the load balancer has no HTTPS listener; {environment} serves the app over HTTPS",
            )


LOAD_BALANCER_RULES: tuple[Rule, ...] = (
    Rule(
        "lb-https-only",
        "stg and prd load balancers answer HTTPS, and plain HTTP only with a redirect",
        "add a custom domain to the service (FargateService.add_custom_domain adds the certificate, the "
        "HTTPS listener and the redirect of :80)",
        _https_only,
        USER_FACING,
        stack_check=_has_https_listener,
    ),
    Rule(
        "lb-deletion-protection",
        "stg and prd load balancers are protected from deletion",
        "set enable_deletion_protection (FargateServiceProps.protected; CoraAppStack sets it in stg and prd)",
        _deletion_protection,
        USER_FACING,
    ),
    Rule(
        "lb-access-logs",
        "stg and prd load balancers write access logs",
        "enable access_logs to an S3 bucket (FargateServiceProps.protected: stg and prd)",
        _access_logs,
        USER_FACING,
    ),
    Rule(
        "lb-drop-invalid-headers",
        "load balancers drop invalid HTTP header fields",
        "set drop_invalid_header_fields = true on the load balancer (WebLoadBalancer always does)",
        _drop_invalid_headers,
    ),
    Rule(
        "lb-tls12",
        "HTTPS listeners negotiate TLS 1.2 or later",
        "set ssl_policy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS13/TLS-1-2 policy)",
        _tls12,
    ),
)
