"""The organisation rules: what each one refuses, where it applies and how to fix it.

Each rule reads one resource of a stack's resolved Terraform configuration and yields what is wrong
with it; :func:`evaluate` runs the rules of one environment over a whole configuration.
``constructs_lib.policy.organisation`` applies them to stacks (the Aspect, ``check_app``, suppressions);
what a rule is made of lives in :mod:`constructs_lib.policy.model` (re-exported here).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from constructs_lib._runtime.validation import is_secret_like
from constructs_lib.compute.ecr_repo import AUTH_TOKEN_ACTION
from constructs_lib.environment import (
    MOVING_TAGS,
    PINNED_TAG_ENVIRONMENTS,
    SHARED,
    Environment,
    PolicyEnvironment,
    check_environment,
)
from constructs_lib.policy.load_balancer_rules import (
    LOAD_BALANCER_RULES,
    container_env_names,
    container_images,
)
from constructs_lib.policy.model import Json, Resource, Rule, Violation, blocks, strings

__all__ = ["RULES", "RULE_IDS", "Resource", "Rule", "Violation", "evaluate", "image_tag_of", "resources_of"]

# Actions AWS only accepts on the resource "*" (the Service Authorization Reference lists no resource
# type for them): the registry login; ECS's DescribeTaskDefinition and RegisterTaskDefinition (a new
# revision has no ARN before the call); ListTasks, scoped in practice by its ecs:cluster condition.
ACTIONS_REQUIRING_STAR = frozenset(
    {AUTH_TOKEN_ACTION, "ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition", "ecs:ListTasks"}
)
MIN_PRD_LOG_RETENTION_DAYS = 30
STRICT_CORS_ENVIRONMENTS = frozenset({Environment.STG, Environment.PRD})
PRODUCTION = frozenset({Environment.PRD})
# Environments whose stateful resources an ordinary apply must not destroy ("shared": the state buckets).
PROTECTED_ENVIRONMENTS = frozenset({Environment.STG, Environment.PRD})
# Environments whose users reach the app and the API at the project's own names.
CUSTOM_DOMAIN_ENVIRONMENTS = frozenset({Environment.STG, Environment.PRD})
STATEFUL_TYPES = ("aws_ecr_repository", "aws_secretsmanager_secret", "aws_s3_bucket")


# -- the rules ---------------------------------------------------------------------------------------
def _cors_no_wildcard(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type != "aws_apigatewayv2_api":
        return
    for cors in blocks(resource.config.get("cors_configuration")):
        if "*" in strings(cors.get("allow_origins")):
            yield f"CORS allow_origins is '*'; {environment} admits only explicit https origins"


def _ecr_immutable(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type != "aws_ecr_repository":
        return
    mutability = resource.config.get("image_tag_mutability", "MUTABLE")  # the provider's default
    if mutability != "IMMUTABLE":
        yield f"image_tag_mutability is {mutability!r}; {environment} requires immutable tags"


def image_tag_of(identifier: str) -> str | None:
    """The tag of an image identifier (``<repository>:<tag>``); ``None`` for a digest or a token tag."""
    if "@" in identifier:
        return None  # <repository>@sha256:...: pinned by content
    _repository, colon, tag = identifier.rpartition(":")
    if not colon or "/" in tag or "}" in tag or "${" in tag:
        return None  # no tag (a registry port), or the tag itself is only known to Terraform
    return tag


def _images(resource: Resource) -> Iterator[str]:
    """The image identifiers of an App Runner service or an ECS task definition."""
    if resource.type == "aws_ecs_task_definition":
        yield from container_images(resource)
    if resource.type != "aws_apprunner_service":
        return
    for source in blocks(resource.config.get("source_configuration")):
        for repository in blocks(source.get("image_repository")):
            identifier = repository.get("image_identifier")
            if isinstance(identifier, str):
                yield identifier


def _pinned_image_tag(resource: Resource, environment: str) -> Iterator[str]:
    for identifier in _images(resource):
        tag = image_tag_of(identifier)
        if tag is not None and tag.lower() in MOVING_TAGS:
            yield (
                f"the image tag {tag!r} is a moving tag; {environment} deploys a pinned tag, so a "
                "deploy can be repeated and rolled back"
            )


def _access_logs(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type not in {"aws_apigatewayv2_stage", "aws_api_gateway_stage"}:
        return
    settings = blocks(resource.config.get("access_log_settings"))
    if not any(s.get("destination_arn") and s.get("format") for s in settings):
        yield "the API stage writes no access logs (access_log_settings with destination_arn and format)"


def _throttling(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type != "aws_apigatewayv2_stage":
        return
    settings = blocks(resource.config.get("default_route_settings"))
    missing = [
        key
        for key in ("throttling_burst_limit", "throttling_rate_limit")
        if not any(s.get(key) is not None for s in settings)
    ]
    if missing:
        yield f"the API stage sets no {' or '.join(missing)} (default_route_settings)"


def _log_retention(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type != "aws_cloudwatch_log_group":
        return
    days = resource.config.get("retention_in_days")
    # Absent or 0 means "never expire", which keeps logs at least as long as required.
    if isinstance(days, int) and 0 < days < MIN_PRD_LOG_RETENTION_DAYS:
        yield (
            f"retention_in_days is {days}; {environment} keeps logs at least "
            f"{MIN_PRD_LOG_RETENTION_DAYS} days"
        )


def _env_var_maps(value: object) -> Iterator[Mapping[str, object]]:
    """Every ``runtime_environment_variables`` map anywhere in a resource's configuration."""
    for block in blocks(value):
        for key, child in block.items():
            if key == "runtime_environment_variables" and isinstance(child, dict):
                yield child
            elif isinstance(child, dict | list):
                yield from _env_var_maps(child)


def _no_secret_env(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type == "aws_ecs_task_definition":
        names = sorted(container_env_names(resource))
    elif resource.type == "aws_apprunner_service":
        names = [name for variables in _env_var_maps(resource.config) for name in sorted(variables)]
    else:
        return
    for name in names:
        if is_secret_like(name):
            yield f"plain environment variable {name!r} looks like a secret"


def _statements(resource: Resource) -> Iterator[Json]:
    """Allow statements of an IAM policy: policy-document data sources and literal JSON policies."""
    if resource.kind == "data" and resource.type == "aws_iam_policy_document":
        for statement in blocks(resource.config.get("statement")):
            if statement.get("effect", "Allow") == "Allow":
                yield {
                    "sid": statement.get("sid"),
                    "actions": strings(statement.get("actions")),
                    "resources": strings(statement.get("resources")),
                    "not_actions": strings(statement.get("not_actions")),
                    "not_resources": strings(statement.get("not_resources")),
                }
        return
    if resource.type not in {"aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy"}:
        return
    text = resource.config.get("policy")
    if not isinstance(text, str) or "${" in text:
        return  # a reference to a policy document: that data source is checked itself
    try:
        document = json.loads(text)
    except ValueError:
        return
    for statement in blocks(document.get("Statement") if isinstance(document, dict) else None):
        if statement.get("Effect") == "Allow":
            yield {
                "sid": statement.get("Sid"),
                "actions": strings(statement.get("Action")),
                "resources": strings(statement.get("Resource")),
                "not_actions": strings(statement.get("NotAction")),
                "not_resources": strings(statement.get("NotResource")),
            }


def _label(statement: Json) -> str:
    return f"statement {statement['sid']!r}" if statement.get("sid") else "a statement"


def _iam_no_wildcard_action(resource: Resource, environment: str) -> Iterator[str]:
    for statement in _statements(resource):
        wild = [a for a in statement["actions"] if a == "*" or a.endswith(":*")]
        if wild:
            yield f"{_label(statement)} allows the wildcard action {', '.join(wild)}"
        if statement["not_actions"]:
            yield f"{_label(statement)} allows everything except {', '.join(statement['not_actions'])}"


def _iam_no_wildcard_resource(resource: Resource, environment: str) -> Iterator[str]:
    for statement in _statements(resource):
        actions = set(statement["actions"])
        if "*" in statement["resources"] and not (actions and actions <= ACTIONS_REQUIRING_STAR):
            needing = sorted(actions - ACTIONS_REQUIRING_STAR)
            yield f"{_label(statement)} allows {', '.join(needing) or 'its actions'} on resource '*'"
        if statement["not_resources"]:
            others = ", ".join(statement["not_resources"])
            yield f"{_label(statement)} applies to every resource except {others}"


def _prevent_destroy(resource: Resource, environment: str) -> Iterator[str]:
    if resource.kind != "resource" or resource.type not in STATEFUL_TYPES:
        return
    lifecycle = blocks(resource.config.get("lifecycle"))
    if not any(block.get("prevent_destroy") is True for block in lifecycle):
        yield (
            f"{resource.type} can be destroyed or replaced by an ordinary apply; {environment} keeps its "
            "images, secret values and state"
        )


def _no_check(resource: Resource, environment: str) -> Iterator[str]:
    yield from ()


def _reference(resource: Resource, attribute: str) -> str:
    return f"${{{resource.type}.{resource.name}.{attribute}}}"


def _custom_domains(resources: Sequence[Resource], environment: str) -> Iterator[tuple[Resource, str]]:
    """Every App Runner service needs a domain association, every HTTP API a domain mapping."""
    by_type: dict[str, list[Resource]] = {}
    for resource in resources:
        if resource.kind == "resource":
            by_type.setdefault(resource.type, []).append(resource)
    associated = {
        r.config.get("service_arn") for r in by_type.get("aws_apprunner_custom_domain_association", [])
    }
    mapped = {r.config.get("api_id") for r in by_type.get("aws_apigatewayv2_api_mapping", [])}
    for service in by_type.get("aws_apprunner_service", []):
        if _reference(service, "arn") not in associated:
            yield (
                service,
                f"the App Runner service has no custom domain; {environment} serves the app at its own name",
            )
    for api in by_type.get("aws_apigatewayv2_api", []):
        if api.config.get("protocol_type") == "HTTP" and _reference(api, "id") not in mapped:
            yield (
                api,
                f"the HTTP API has no custom domain mapping; {environment} serves the API at its own name",
            )


RULES: tuple[Rule, ...] = (
    Rule(
        "cors-no-wildcard",
        "stg and prd admit only explicit CORS origins",
        "list the app's https origins in CorsConfig.allow_origins (ModularApiGatewayProps.cors)",
        _cors_no_wildcard,
        STRICT_CORS_ENVIRONMENTS,
    ),
    Rule(
        "ecr-immutable-tags",
        "prd image tags are immutable",
        "set EcrRepoProps.tag_mutability to TagMutability.IMMUTABLE",
        _ecr_immutable,
        PRODUCTION,
    ),
    Rule(
        "pinned-image-tag",
        "stg and prd deploy pinned image tags",
        "set AppRunnerServiceProps.image_tag to a git SHA or a version ('0.1.0') (on ECS: "
        "FargateServiceProps.image_tag); moving tags: " + ", ".join(sorted(MOVING_TAGS)),
        _pinned_image_tag,
        PINNED_TAG_ENVIRONMENTS,
    ),
    Rule(
        "api-access-logs",
        "API stages write access logs",
        "set access_log_settings on the stage (ModularApiGateway always does)",
        _access_logs,
    ),
    Rule(
        "api-throttling",
        "API stages throttle requests",
        "set throttling_burst_limit and throttling_rate_limit in default_route_settings "
        "(ModularApiGatewayProps.throttling)",
        _throttling,
    ),
    Rule(
        "log-retention",
        f"prd keeps logs at least {MIN_PRD_LOG_RETENTION_DAYS} days",
        f"set retention_in_days to {MIN_PRD_LOG_RETENTION_DAYS} or more "
        f"(allowed periods from {MIN_PRD_LOG_RETENTION_DAYS}: 30, 60, 90, 120, 150, 180, 365, ...)",
        _log_retention,
        PRODUCTION,
    ),
    Rule(
        "no-secret-env",
        "secret-looking names never travel as plain environment variables",
        "pass the value through AppRunnerServiceProps.secrets (on ECS: FargateServiceProps.secrets), "
        "from Secrets Manager, not environment",
        _no_secret_env,
    ),
    Rule(
        "iam-no-wildcard-action",
        "IAM Allow statements name their actions",
        "list the exact actions the principal needs (e.g. ecr:BatchGetImage), not '*' or 'service:*'",
        _iam_no_wildcard_action,
    ),
    Rule(
        "iam-no-wildcard-resource",
        "IAM Allow statements name their resources",
        "scope the statement to the resource ARNs it needs; '*' is only accepted for actions that "
        f"AWS requires it for ({', '.join(sorted(ACTIONS_REQUIRING_STAR))})",
        _iam_no_wildcard_resource,
    ),
    Rule(
        "prevent-destroy",
        "stateful resources of stg and prd (ECR repositories, secrets, state buckets) survive any apply",
        "set prevent_destroy=True on EcrRepoProps / AppSecretsProps / SecretProps / StateBucketProps "
        "(the stacks do in stg and prd); to really replace one, follow the README's 'Replacing a "
        "stateful resource' steps",
        _prevent_destroy,
        PROTECTED_ENVIRONMENTS | {SHARED},
    ),
    Rule(
        "custom-domain",
        "stg and prd serve the app and the API at custom domains",
        "add AppRunnerCustomDomain (AppRunnerCustomDomainProps) for the service and ApiCustomDomain "
        "(ApiCustomDomainProps) for the API to the stack (CoraAppStack adds both when its config has a "
        "domain)",
        _no_check,
        CUSTOM_DOMAIN_ENVIRONMENTS,
        stack_check=_custom_domains,
    ),
    *LOAD_BALANCER_RULES,
)
RULE_IDS = tuple(rule.id for rule in RULES)


def resources_of(config: Mapping[str, Any]) -> Iterator[Resource]:
    """Every resource and data source of a Terraform JSON configuration."""
    for kind in ("resource", "data"):
        for type_, named in (config.get(kind) or {}).items():
            if not isinstance(named, dict):
                continue
            for name, body in named.items():
                if name != "//" and isinstance(body, dict):
                    yield Resource(kind, type_, name, body)


def evaluate(
    config: Mapping[str, Any], environment: PolicyEnvironment, rules: Sequence[Rule] = RULES
) -> list[Violation]:
    """The violations of ``rules`` in a resolved Terraform configuration, suppressions not applied."""
    environment = check_environment(environment, field="evaluate", shared=True)
    found: list[Violation] = []
    active = [rule for rule in rules if rule.applies_to(environment)]
    every = list(resources_of(config))
    for resource in every:
        for rule in active:
            found.extend(
                Violation(resource.path, rule.id, message, rule.fix)
                for message in rule.check(resource, environment)
            )
    for rule in active:
        if rule.stack_check is not None:
            found.extend(
                Violation(resource.path, rule.id, message, rule.fix)
                for resource, message in rule.stack_check(every, environment)
            )
    return found
