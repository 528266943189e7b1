"""Organisation rules as code: a cdktf Aspect that refuses unsafe infrastructure at synth time.

Every stack of ours applies :class:`OrganisationPolicy` (``apply_policy(stack, environment=...)``). It
reads the stack's resolved Terraform configuration, so it judges what will be deployed, whichever
construct (ours or a raw provider resource) made it. A violation is one line::

    prd/web-repository/repository: ecr-immutable-tags: image_tag_mutability is 'MUTABLE'; prd requires
    immutable tags. Fix: set EcrRepoProps.tag_mutability to TagMutability.IMMUTABLE

``check_app(app)`` runs the rules of every stack before anything is written and raises
:class:`PolicyViolationError` listing every violation (``main.py`` calls it before ``app.synth()``).
Without it, cdktf's own synth still refuses the stack: the Aspect adds an error annotation per
violation. (When ``check_app`` has just passed a stack and no construct was added to it since, synth
does not evaluate it a second time; call ``check_app`` last, right before ``app.synth()``.)

A construct (and everything below it) opts out of one rule only with a written reason, like a cdk-nag
suppression::

    suppress(api, "api-throttling", reason="Load test stack: throttling would skew the results")

The reason lands in the synthesized JSON, in the ``//`` comment of each resource it excused:
``"//": {"cora-infra": {"suppressed": [{"rule": ..., "reason": ..., "declared_at": ...}]}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import jsii
from cdktf import Annotations, App, Aspects, IAspect, TerraformStack
from constructs import IConstruct

from constructs_lib._validation import is_secret_like, one_of
from constructs_lib.ecr_repo import AUTH_TOKEN_ACTION
from constructs_lib.errors import CoraInfraError

# Actions AWS only accepts on the resource "*": they act on no particular resource.
ACTIONS_REQUIRING_STAR = frozenset({AUTH_TOKEN_ACTION})
MIN_PRD_LOG_RETENTION_DAYS = 30
STRICT_CORS_ENVIRONMENTS = frozenset({"stg", "prd"})
PRODUCTION = frozenset({"prd"})
MIN_REASON_LENGTH = 10
METADATA_KEY = "cora-infra"

Json = dict[str, Any]


class PolicyViolationError(CoraInfraError):
    """Synth refused: one line per violation (construct path, rule, what is wrong, how to fix it)."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        count = len(self.violations)
        lines = "\n".join(f"  {v}" for v in self.violations)
        super().__init__(f"{count} policy violation{'s' if count != 1 else ''}:\n{lines}")


@dataclass(frozen=True)
class Violation:
    """One broken rule at one resource."""

    path: str
    """Construct path of the resource, e.g. ``prd/web-repository/repository``."""
    rule: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}: {self.message}. Fix: {self.fix}"


@dataclass(frozen=True)
class Resource:
    """One resource or data source of the resolved Terraform configuration."""

    kind: str
    """``resource`` or ``data``."""
    type: str
    name: str
    config: Json

    @property
    def path(self) -> str:
        """The construct path cdktf records in the ``//`` metadata (the logical address otherwise)."""
        meta = self.config.get("//", {}).get("metadata", {})
        return str(meta.get("path") or f"{self.type}.{self.name}")


Check = Callable[[Resource, str], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    """A named organisation rule: which resources it reads, where it applies and how to fix it."""

    id: str
    description: str
    fix: str
    check: Check
    environments: frozenset[str] | None = None
    """Where the rule applies; ``None``: every environment."""

    def applies_to(self, environment: str) -> bool:
        """True when the rule is enforced in ``environment``."""
        return self.environments is None or environment in self.environments


def _blocks(value: object) -> list[Json]:
    """A nested block as a list of dicts (the JSON holds one object or a list of them)."""
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, dict)]


def _strings(value: object) -> list[str]:
    """A string or a list of strings (IAM JSON allows both) as a list."""
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]


# -- the rules ---------------------------------------------------------------------------------------
def _cors_no_wildcard(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type != "aws_apigatewayv2_api":
        return
    for cors in _blocks(resource.config.get("cors_configuration")):
        if "*" in _strings(cors.get("allow_origins")):
            yield f"CORS allow_origins is '*'; {environment} admits only explicit https origins"


def _ecr_immutable(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type != "aws_ecr_repository":
        return
    mutability = resource.config.get("image_tag_mutability", "MUTABLE")  # the provider's default
    if mutability != "IMMUTABLE":
        yield f"image_tag_mutability is {mutability!r}; {environment} requires immutable tags"


def _access_logs(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type not in {"aws_apigatewayv2_stage", "aws_api_gateway_stage"}:
        return
    settings = _blocks(resource.config.get("access_log_settings"))
    if not any(s.get("destination_arn") and s.get("format") for s in settings):
        yield "the API stage writes no access logs (access_log_settings with destination_arn and format)"


def _throttling(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type != "aws_apigatewayv2_stage":
        return
    settings = _blocks(resource.config.get("default_route_settings"))
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
    for block in _blocks(value):
        for key, child in block.items():
            if key == "runtime_environment_variables" and isinstance(child, dict):
                yield child
            elif isinstance(child, dict | list):
                yield from _env_var_maps(child)


def _no_secret_env(resource: Resource, environment: str) -> Iterator[str]:
    if resource.type != "aws_apprunner_service":
        return
    for variables in _env_var_maps(resource.config):
        for name in sorted(variables):
            if is_secret_like(name):
                yield f"plain environment variable {name!r} looks like a secret"


def _statements(resource: Resource) -> Iterator[Json]:
    """Allow statements of an IAM policy: policy-document data sources and literal JSON policies."""
    if resource.kind == "data" and resource.type == "aws_iam_policy_document":
        for statement in _blocks(resource.config.get("statement")):
            if statement.get("effect", "Allow") == "Allow":
                yield {
                    "sid": statement.get("sid"),
                    "actions": _strings(statement.get("actions")),
                    "resources": _strings(statement.get("resources")),
                    "not_actions": _strings(statement.get("not_actions")),
                    "not_resources": _strings(statement.get("not_resources")),
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
    for statement in _blocks(document.get("Statement") if isinstance(document, dict) else None):
        if statement.get("Effect") == "Allow":
            yield {
                "sid": statement.get("Sid"),
                "actions": _strings(statement.get("Action")),
                "resources": _strings(statement.get("Resource")),
                "not_actions": _strings(statement.get("NotAction")),
                "not_resources": _strings(statement.get("NotResource")),
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


RULES: tuple[Rule, ...] = (
    Rule(
        "cors-no-wildcard",
        "stg and prd admit only explicit CORS origins",
        "list the app's https origins in CorsConfig.allow_origins (cors.allow_origins in config)",
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
        "pass the value through AppRunnerServiceProps.secrets (Secrets Manager), not environment",
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


def evaluate(config: Mapping[str, Any], environment: str, rules: Sequence[Rule] = RULES) -> list[Violation]:
    """The violations of ``rules`` in a resolved Terraform configuration, suppressions not applied."""
    found: list[Violation] = []
    for resource in resources_of(config):
        for rule in rules:
            if rule.applies_to(environment):
                found.extend(
                    Violation(resource.path, rule.id, message, rule.fix)
                    for message in rule.check(resource, environment)
                )
    return found


# -- suppressions ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suppression:
    """A construct's written opt-out of one rule, for itself and everything below it."""

    rule: str
    reason: str
    declared_at: str
    """Path of the construct the suppression was declared on."""


# stack -> construct path -> suppressions declared there
_SUPPRESSIONS: WeakKeyDictionary[TerraformStack, dict[str, list[Suppression]]] = WeakKeyDictionary()


def suppress(construct: IConstruct, rule: str, *, reason: str) -> Suppression:
    """Opt ``construct`` and its children out of ``rule``; ``reason`` says why and is synthesized."""
    if rule not in RULE_IDS:
        raise CoraInfraError(f"suppress: rule {rule!r} is unknown; known rules: {one_of(RULE_IDS)}")
    text = " ".join(reason.split())
    if len(text) < MIN_REASON_LENGTH:
        raise CoraInfraError(
            f"suppress: reason {reason!r} for rule {rule!r} is too short; write why the rule does not "
            f"apply here (at least {MIN_REASON_LENGTH} characters)"
        )
    path = construct.node.path
    suppression = Suppression(rule=rule, reason=text, declared_at=path)
    stack = TerraformStack.of(construct)
    _SUPPRESSIONS.setdefault(stack, {}).setdefault(path, []).append(suppression)
    return suppression


def _suppression_for(stack: TerraformStack, path: str, rule: str) -> Suppression | None:
    declared = _SUPPRESSIONS.get(stack)
    if not declared:
        return None
    parts = path.split("/")
    for end in range(len(parts), 0, -1):  # the resource itself first, then its ancestors
        for suppression in declared.get("/".join(parts[:end]), ()):
            if suppression.rule == rule:
                return suppression
    return None


def _find(stack: TerraformStack, path: str) -> IConstruct | None:
    """The construct at ``path`` (``<stack>/<id>/<id>...``) in ``stack``."""
    node: IConstruct = stack
    for part in path.split("/")[1:]:
        child = node.node.try_find_child(part)
        if child is None:
            return None
        node = child
    return node


# -- the Aspect --------------------------------------------------------------------------------------
_POLICIES: WeakKeyDictionary[TerraformStack, OrganisationPolicy] = WeakKeyDictionary()


@jsii.implements(IAspect)
class OrganisationPolicy:
    """The organisation rules for one stack of one environment (``dev``, ``stg``, ``prd``, ...)."""

    def __init__(self, *, environment: str, rules: Sequence[Rule] = RULES) -> None:
        self.environment = environment
        self.rules = tuple(rules)
        # Constructs in the stack when it last passed: synth skips a second, identical evaluation
        # (resolving a stack costs ~20 ms) unless constructs were added since ``check_app``.
        self._passed_at: int | None = None

    def violations(self, stack: TerraformStack) -> list[Violation]:
        """Unsuppressed violations in ``stack``; suppressed ones are recorded in its JSON metadata."""
        self._passed_at = None
        config = stack.to_terraform()
        remaining: list[Violation] = []
        excused: dict[str, list[Suppression]] = {}
        for violation in evaluate(config, self.environment, self.rules):
            suppression = _suppression_for(stack, violation.path, violation.rule)
            if suppression is None:
                remaining.append(violation)
            elif suppression not in excused.setdefault(violation.path, []):
                excused[violation.path].append(suppression)
        for path, suppressions in sorted(excused.items()):
            _record(stack, path, suppressions)
        if not remaining:
            self._passed_at = len(stack.node.find_all())
        return remaining

    def visit(self, node: IConstruct) -> None:
        """cdktf calls this for every construct of the stack; the rules run once, at the stack."""
        if not isinstance(node, TerraformStack):
            return
        if self._passed_at is not None and self._passed_at == len(node.node.find_all()):
            return  # check_app just passed this stack and nothing was added since
        for violation in self.violations(node):
            target = _find(node, violation.path) or node
            Annotations.of(target).add_error(f"{violation.rule}: {violation.message}. Fix: {violation.fix}")


def _record(stack: TerraformStack, path: str, suppressions: Sequence[Suppression]) -> None:
    """Write the suppressions that excused the resource at ``path`` into its ``//`` comment."""
    resource = _find(stack, path)
    if resource is None or not hasattr(resource, "add_override"):
        return
    resource.add_override(
        f"//.{METADATA_KEY}.suppressed",
        [{"rule": s.rule, "reason": s.reason, "declared_at": s.declared_at} for s in suppressions],
    )


def apply_policy(
    stack: TerraformStack, *, environment: str, rules: Sequence[Rule] = RULES
) -> OrganisationPolicy:
    """Enforce the organisation rules of ``environment`` on ``stack`` (once per stack)."""
    if stack in _POLICIES:
        raise CoraInfraError(f"apply_policy: stack {stack.node.id!r} already has the organisation policy")
    policy = OrganisationPolicy(environment=environment, rules=rules)
    Aspects.of(stack).add(policy)
    _POLICIES[stack] = policy
    return policy


def find_violations(app: App) -> list[Violation]:
    """Unsuppressed violations in every stack of ``app`` that applies the organisation policy."""
    found: list[Violation] = []
    for child in app.node.children:
        if isinstance(child, TerraformStack) and child in _POLICIES:
            found.extend(_POLICIES[child].violations(child))
    return found


def check_app(app: App) -> None:
    """Raise :class:`PolicyViolationError` listing every violation in ``app``; call before ``synth``."""
    found = find_violations(app)
    if found:
        raise PolicyViolationError(found)
