"""The ``skip-check`` entries of ``.checkov.yaml``: parsing them with their reasons, validating them.

Owns the line-based reading of the block list (every entry has its reason as a comment on its line),
the checks on each entry (reason, check id, path regex), the config without its skips (for the run
that shows what each skip suppresses) and the PyYAML cross-check. Used by ``scripts/scan.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_[0-9]+$")
_SKIP_KEY = re.compile(r"^skip-check:[ \t]*(?:#.*)?$")
_TOP_LEVEL = re.compile(r"^[^\s#-]")
_ITEM = re.compile(r"^[ \t]*-[ \t]+(?P<body>.*)$")
_COMMENT = re.compile(r"[ \t]+#(?P<reason>.*)$")


class ScanConfigError(ValueError):
    """``.checkov.yaml`` is not in the form this gate relies on."""


@dataclass(frozen=True)
class Skip:
    """One ``skip-check`` entry: ``CHECK_ID`` or ``CHECK_ID:<path regex>``, with its reason."""

    value: str
    reason: str
    line: int

    @property
    def check_id(self) -> str:
        return self.value.split(":", 1)[0]

    @property
    def pattern(self) -> str | None:
        """The path regex of a scoped skip; ``None`` skips the check everywhere."""
        parts = self.value.split(":", 1)
        return parts[1] if len(parts) == 2 else None

    def matches(self, check_id: str, paths: Iterable[str]) -> bool:
        """Whether checkov applies this entry to a result, as checkov 3.3 does it.

        ``RunnerFilter._match_regex_pattern``: ``re.search(regex, path)`` on each origin path; the
        runners pass no root folder, so the regex is not anchored, and the path is ``/<relative>`` for
        resource checks but absolute for graph checks.
        """
        if check_id != self.check_id:
            return False
        if self.pattern is None:
            return True
        return any(re.search(self.pattern, path) for path in paths if path)


def parse_skips(text: str, source: str = ".checkov.yaml") -> list[Skip]:
    """The ``skip-check`` entries of a checkov YAML config, each with the comment on its line.

    Accepts the block-list form only (``- VALUE  # reason``, plain or single-quoted values), so that
    every entry has a place for its reason. Raises :class:`ScanConfigError` naming the line otherwise.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _SKIP_KEY.match(line)), None)
    if start is None:
        if re.search(r"^skip-check:", text, re.MULTILINE):
            raise ScanConfigError(
                f"{source}: write skip-check as a block list, one '- CHECK_ID:<regex>  # reason' per line"
            )
        return []
    skips: list[Skip] = []
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if _TOP_LEVEL.match(line):
            break
        if not line.strip() or line.strip().startswith("#"):
            continue
        item = _ITEM.match(line)
        if item is None:
            raise ScanConfigError(f"{source}:{number}: expected '- CHECK_ID:<regex>  # reason', got {line!r}")
        skips.append(_parse_item(item["body"], source, number))
    return skips


def _parse_item(body: str, source: str, number: int) -> Skip:
    reason = ""
    if body.startswith("'"):
        end = body.find("'", 1)
        while end != -1 and body[end : end + 2] == "''":
            end = body.find("'", end + 2)
        if end == -1:
            raise ScanConfigError(f"{source}:{number}: unterminated quote in {body!r}")
        value = body[1:end].replace("''", "'")
        rest = body[end + 1 :]
        comment = _COMMENT.match(rest)
        if rest.strip() and comment is None:
            raise ScanConfigError(f"{source}:{number}: unexpected text after the value: {rest!r}")
        reason = comment["reason"] if comment else ""
    elif body.startswith(('"', "[", "{", "&", "*", "!", "|", ">")):
        raise ScanConfigError(
            f"{source}:{number}: write the entry as a plain or single-quoted value, got {body!r}"
        )
    else:
        comment = _COMMENT.search(body)
        value = body[: comment.start()] if comment else body
        reason = comment["reason"] if comment else ""
    return Skip(value=value.strip(), reason=reason.strip(), line=number)


def validate_skips(skips: Sequence[Skip], source: str = ".checkov.yaml") -> list[str]:
    """Problems of the entries: no reason, a malformed check id, a regex checkov would mangle."""
    problems: list[str] = []
    seen: set[str] = set()
    for skip in skips:
        where = f"{source}:{skip.line}: {skip.value}"
        if not skip.reason:
            problems.append(f"{where}: no reason; put it beside the entry: '- {skip.value}  # why'")
        if not CHECK_ID.match(skip.check_id):
            problems.append(f"{where}: {skip.check_id!r} is not a checkov check id such as CKV_AWS_18")
        if "," in skip.value:
            problems.append(f"{where}: checkov splits skip-check at ','; the entry may not contain one")
        pattern = skip.pattern
        if pattern is not None:
            if not pattern or ":" in pattern:
                problems.append(f"{where}: the path regex must be non-empty and contain no ':'")
            else:
                try:
                    re.compile(pattern)
                except re.error as err:
                    problems.append(f"{where}: invalid regex: {err}")
        if skip.value in seen:
            problems.append(f"{where}: listed twice")
        seen.add(skip.value)
    return problems


def config_without_skips(text: str) -> str:
    """The config text minus its ``skip-check`` block (for the run that shows what skips suppress)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    in_block = False
    for line in lines:
        if _SKIP_KEY.match(line.rstrip("\r\n")):
            in_block = True
            continue
        if in_block and _TOP_LEVEL.match(line):
            in_block = False
        if not in_block:
            out.append(line)
    return "".join(out)


def yaml_skip_values(text: str) -> list[str] | None:
    """``skip-check`` as PyYAML reads it (what checkov gets), or ``None`` without PyYAML."""
    try:
        import yaml  # type: ignore[import-untyped]  # noqa: PLC0415 - optional cross-check
    except ImportError:
        return None
    data = yaml.safe_load(text) or {}
    values = data.get("skip-check") or []
    return [str(value) for value in values]
