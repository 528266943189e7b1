"""What the organisation rules are made of: a rule, the resource it reads, the violation it reports.

:mod:`constructs_lib.policy.rules` defines the rules themselves; :mod:`constructs_lib.policy.organisation`
applies them to stacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


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
# A rule about what a stack lacks reads all of its resources: (resource, message) per violation.
StackCheck = Callable[[Sequence[Resource], str], Iterable[tuple[Resource, str]]]


@dataclass(frozen=True)
class Rule:
    """A named organisation rule: which resources it reads, where it applies and how to fix it."""

    id: str
    description: str
    fix: str
    check: Check
    environments: frozenset[str] | None = None
    """Where the rule applies; ``None``: every environment."""
    stack_check: StackCheck | None = None
    """Also (or only) a check over the whole stack, for what must exist next to a resource."""

    def applies_to(self, environment: str) -> bool:
        """True when the rule is enforced in ``environment``."""
        return self.environments is None or environment in self.environments


def blocks(value: object) -> list[Json]:
    """A nested block as a list of dicts (the JSON holds one object or a list of them)."""
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, dict)]


def strings(value: object) -> list[str]:
    """A string or a list of strings (IAM JSON allows both) as a list."""
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
