"""Policy as code: the organisation's rules (``rules``, on the resources of ``model``), the Aspect that
applies them (``organisation``) and the synth that refuses a violating app (``checked_synth``).

``constructs_lib.policy`` is a documented path: everything it exported as a module is exported here.
"""

from constructs_lib.policy.organisation import (
    PROTECTED_ENVIRONMENTS,
    RULE_IDS,
    RULES,
    OrganisationPolicy,
    PolicyViolationError,
    Resource,
    Rule,
    Suppression,
    Violation,
    apply_policy,
    check_app,
    evaluate,
    find_violations,
    resources_of,
    suppress,
)

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
