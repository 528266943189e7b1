"""A small IAM policy evaluator: would these identity-based policies allow this request?

It answers what the deploy tests ask ("is every AWS call the deploy tool made allowed by the policy the
stack gives its role?"), following AWS's "Policy evaluation logic" for identity-based policies within
one account: an explicit ``Deny`` wins, else any ``Allow``, else the request is implicitly denied.

Why not a library: moto's evaluator (``moto.iam.access_control.IAMPolicy``, the only one that installs
here) answers an ``Allow`` whose condition fails as an explicit deny, matches ``Action``/``Resource``
as unescaped regular expressions (a ``.`` in an ARN matches any character; ``?`` is no wildcard),
compares actions case-sensitively, knows only ``StringEquals`` and lets a condition on a missing key
pass. This one is small, covers the operators our policies use, and refuses any other operator rather
than guessing (``tests/devtools/test_iam_policy.py`` checks it against AWS's documented examples).

- ``Action``/``NotAction``: case-insensitive; ``*`` and ``?`` wildcards.
- ``Resource``/``NotResource``: case-sensitive; ``*`` (any run of characters, ``:`` and ``/`` included)
  and ``?`` wildcards.
- ``Condition``: every operator must hold, and within one every key; a key with several values holds
  when any matches (negated operators: when none does). A key missing from the request fails the
  condition, except for negated operators and ``...IfExists`` (AWS: they hold).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

__all__ = ["Decision", "Request", "evaluate", "explain"]

Decision = Literal["allow", "explicit-deny", "implicit-deny"]


@dataclass(frozen=True)
class Request:
    """One authorisation request: the action (``service:Operation``), the resource ARN, and the
    condition keys the request carries (``iam:PassedToService``, ``kms:ViaService``...)."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


@lru_cache(maxsize=512)
def _pattern(text: str, *, ignore_case: bool) -> re.Pattern[str]:
    # fnmatch.translate also reads [..] as a class; IAM has no classes: escape them first.
    escaped = text.replace("[", "[[]")
    return re.compile(fnmatch.translate(escaped), re.IGNORECASE if ignore_case else 0)


def _matches(patterns: Iterable[str], value: str, *, ignore_case: bool) -> bool:
    return any(_pattern(p, ignore_case=ignore_case).fullmatch(value) for p in patterns)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _string_op(op: str, wanted: Sequence[str], actual: str) -> bool:
    if op in ("StringEquals", "ArnEquals"):
        return actual in wanted
    if op == "StringEqualsIgnoreCase":
        return actual.lower() in {w.lower() for w in wanted}
    if op in ("StringLike", "ArnLike"):
        return _matches(wanted, actual, ignore_case=False)
    if op == "Bool":
        return actual.lower() in {w.lower() for w in wanted}
    raise ValueError(f"condition operator {op!r} is not supported by this evaluator")


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
_POSITIVE = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "Bool"}


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    keys = {key.lower(): value for key, value in context.items()}  # condition keys ignore case
    for operator, entries in condition.items():
        if_exists = operator.endswith("IfExists")
        op = operator.removesuffix("IfExists")
        if op not in _POSITIVE and op not in _NEGATED:
            raise ValueError(f"condition operator {operator!r} is not supported by this evaluator")
        for key, values in entries.items():
            actual = keys.get(key.lower())
            if actual is None:
                if if_exists or op in _NEGATED:
                    continue
                return False
            wanted = _strings(values)
            if op in _NEGATED:
                if _string_op(_NEGATED[op], wanted, actual):
                    return False
            elif not _string_op(op, wanted, actual):
                return False
    return True


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotAction" in statement:
        if _matches(_strings(statement["NotAction"]), request.action, ignore_case=True):
            return False
    elif not _matches(_strings(statement.get("Action")), request.action, ignore_case=True):
        return False
    if "NotResource" in statement:
        if _matches(_strings(statement["NotResource"]), request.resource, ignore_case=False):
            return False
    elif not _matches(_strings(statement.get("Resource")), request.resource, ignore_case=False):
        return False
    return _condition_holds(statement.get("Condition") or {}, request.context)


def _statements(documents: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for document in documents:
        statements = document.get("Statement", [])
        yield from [statements] if isinstance(statements, Mapping) else statements


def explain(documents: Iterable[Mapping[str, Any]], request: Request) -> tuple[Decision, str | None]:
    """The decision and the ``Sid`` (or index) of the statement that made it (``None``: none applied)."""
    allowed_by: str | None = None
    for index, statement in enumerate(_statements(documents)):
        if not _applies(statement, request):
            continue
        label = str(statement.get("Sid") or f"statement {index}")
        if statement.get("Effect") == "Deny":
            return "explicit-deny", label
        if statement.get("Effect") == "Allow" and allowed_by is None:
            allowed_by = label
    return ("allow", allowed_by) if allowed_by else ("implicit-deny", None)


def evaluate(documents: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """``allow``, ``explicit-deny`` or ``implicit-deny`` for ``request`` under these policy documents."""
    return explain(list(documents), request)[0]
