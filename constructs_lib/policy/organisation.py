"""Organisation rules as code: a stack validation that refuses unsafe infrastructure at synth time.

Every stack of ours applies :class:`OrganisationPolicy` (``apply_policy(stack, environment=...)``). It
reads the stack's resolved Terraform configuration, so it judges what will be deployed, whichever
construct (ours or a raw provider resource) made it. A violation is one line::

    prd/web-repository/repository: ecr-immutable-tags: image_tag_mutability is 'MUTABLE'; prd requires
    immutable tags. Fix: set EcrRepoProps.tag_mutability to TagMutability.IMMUTABLE

``check_app(app)`` runs the rules of every stack before anything is written and raises
:class:`PolicyViolationError` listing every violation (``main.py`` calls it before ``app.synth()``).
Without it, cdktf's own synth still refuses the stack: the policy is the stack's validation (cdktf
runs it once per stack; it also works as an Aspect) and adds an error annotation per violation.
(When ``check_app`` has just passed a stack and no construct was added to it since, synth does not
evaluate it a second time; call ``check_app`` last, right before ``app.synth()``.)

A construct (and everything below it) opts out of one rule only with a written reason, like a cdk-nag
suppression::

    suppress(api, "api-throttling", reason="Load test stack: throttling would skew the results")

The reason lands in the synthesized JSON, in the ``//`` comment of each resource it excused:
``"//": {"cora-infra": {"suppressed": [{"rule": ..., "reason": ..., "declared_at": ...}]}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import jsii
from cdktf import Annotations, App, IAspect, TerraformStack
from constructs import IConstruct, IValidation

from constructs_lib._runtime.validation import one_of
from constructs_lib.environment import PolicyEnvironment, check_environment
from constructs_lib.errors import CoraInfraError
from constructs_lib.policy.model import Resource, Rule, Violation
from constructs_lib.policy.rules import PROTECTED_ENVIRONMENTS, RULE_IDS, RULES, evaluate, resources_of

__all__ = [
    "PROTECTED_ENVIRONMENTS",
    "RULES",
    "RULE_IDS",
    "OrganisationPolicy",
    "PolicyViolationError",
    "Resource",
    "Rule",
    "Suppression",
    "Violation",
    "apply_policy",
    "check_app",
    "evaluate",
    "find_violations",
    "resources_of",
    "suppress",
]

MIN_REASON_LENGTH = 10
METADATA_KEY = "cora-infra"


class PolicyViolationError(CoraInfraError):
    """Synth refused: one line per violation (construct path, rule, what is wrong, how to fix it)."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        count = len(self.violations)
        lines = "\n".join(f"  {v}" for v in self.violations)
        super().__init__(f"{count} policy violation{'s' if count != 1 else ''}:\n{lines}")


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


@jsii.implements(IAspect, IValidation)
class OrganisationPolicy:
    """The organisation rules for one stack of one environment (``dev``, ``stg``, ``prd``, ...).

    :func:`apply_policy` registers it as the stack's validation, which cdktf runs once per stack at
    synth; it also works as an Aspect (``Aspects.of(stack).add(policy)``), which cdktf calls for every
    construct of the stack (a round trip from the jsii kernel each, so the validation is cheaper).
    """

    def __init__(self, *, environment: PolicyEnvironment, rules: Sequence[Rule] = RULES) -> None:
        self.environment = check_environment(environment, field="OrganisationPolicy.environment", shared=True)
        self.rules = tuple(rules)
        # Constructs in the stack when it last passed: synth skips a second, identical evaluation
        # (resolving a stack costs ~20 ms) unless constructs were added since ``check_app``.
        self._passed_at: int | None = None
        self._stack: TerraformStack | None = None
        # Set by ``checked_synth.synth_app`` while it synthesizes: it checks the written JSON itself.
        self._deferred = False

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
        """As an Aspect: cdktf calls this for every construct; the rules run once, at the stack."""
        if isinstance(node, TerraformStack):
            self._annotate(node)

    def validate(self) -> list[str]:
        """As the stack's validation (see :func:`apply_policy`): cdktf calls this once, at synth.

        Violations become error annotations on the offending constructs, which make cdktf refuse the
        stack with ``[<path>] <rule>: <message>`` lines, so nothing is returned here."""
        if self._stack is not None and not self._deferred:
            self._annotate(self._stack)
        return []

    def _annotate(self, stack: TerraformStack) -> None:
        if self._passed_at is not None and self._passed_at == len(stack.node.find_all()):
            return  # check_app just passed this stack and nothing was added since
        for violation in self.violations(stack):
            target = _find(stack, violation.path) or stack
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
    stack: TerraformStack, *, environment: PolicyEnvironment, rules: Sequence[Rule] = RULES
) -> OrganisationPolicy:
    """Enforce the organisation rules of ``environment`` on ``stack`` (once per stack).

    ``environment`` is an :class:`~constructs_lib.Environment` (or its value; ``"shared"`` for stacks
    several environments share); anything else, such as ``"production"``, is refused.
    """
    environment = check_environment(environment, field="apply_policy", shared=True)
    if stack in _POLICIES:
        raise CoraInfraError(f"apply_policy: stack {stack.node.id!r} already has the organisation policy")
    policy = OrganisationPolicy(environment=environment, rules=rules)
    policy._stack = stack
    # A validation, not an Aspect: cdktf calls it once per stack, an Aspect once per construct.
    stack.node.add_validation(policy)
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
