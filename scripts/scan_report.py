"""The summary of a scan for ``scripts/scan.py``: counts per target, what each skip suppresses, the report.

Owns the comparison of the two checkov runs (with and without the skips), the verdict (exit code),
the JSON form of the summary and the human-readable report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scripts.scan_checkov import EXPECTED_STACKS, CheckovRun, Hadolint, Result
from scripts.scan_skips import Skip


@dataclass
class SkipUse:
    skip: Skip
    failed: list[Result] = field(default_factory=list)
    passed: list[Result] = field(default_factory=list)


@dataclass
class Summary:
    targets: dict[str, Counter[str]]
    failures: list[Result]
    skips: list[SkipUse]
    hadolint: Hadolint
    errors: list[str]
    warnings: list[str]
    version: str

    @property
    def failed(self) -> int:
        return sum(counts["failed"] for counts in self.targets.values())

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        hadolint_findings = self.hadolint.findings or []
        return 1 if self.failed or hadolint_findings else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "checkov_version": self.version,
            "targets": {
                name: {kind: counts[kind] for kind in ("passed", "failed", "skipped")}
                for name, counts in self.targets.items()
            },
            "failures": [_result_json(r) for r in self.failures],
            "skips": [
                {
                    "entry": use.skip.value,
                    "reason": use.skip.reason,
                    "line": use.skip.line,
                    "suppressed_failed": [_result_json(r) for r in use.failed],
                    "suppressed_passed": len(use.passed),
                }
                for use in self.skips
            ],
            "hadolint": self.hadolint.findings,
            "errors": self.errors,
            "warnings": self.warnings,
            "exit_code": self.exit_code,
        }


def _result_json(result: Result) -> dict[str, str]:
    return {
        "check_id": result.check_id,
        "target": result.target,
        "resource": result.resource,
        "check_name": result.check_name,
    }


def summarize(
    gate: CheckovRun,
    audit: CheckovRun,
    skips: Sequence[Skip],
    targets: Sequence[str],
    hadolint: Hadolint,
) -> Summary:
    """Counts per target, what each skip suppressed, and the consistency of both checkov runs."""
    errors = [f"checkov (with .checkov.yaml): {e}" for e in gate.errors]
    errors += [f"checkov (without skips): {e}" for e in audit.errors]
    warnings: list[str] = []
    counts: dict[str, Counter[str]] = {target: Counter() for target in targets}
    for kind, results in (("passed", gate.passed), ("failed", gate.failed)):
        for result in results:
            counts.setdefault(result.target, Counter())[kind] += 1

    uses = [SkipUse(skip) for skip in skips]
    suppressed: Counter[tuple[str, str, str, str]] = Counter()
    for kind, results in (("passed", audit.passed), ("failed", audit.failed)):
        for result in results:
            matching = [
                use
                for use in uses
                if use.skip.matches(result.check_id, (result.file_path, result.file_abs_path))
            ]
            for use in matching:
                (use.failed if kind == "failed" else use.passed).append(result)
            if matching:
                suppressed[result.key] += 1
                counts.setdefault(result.target, Counter())["skipped"] += 1

    # checkov's verdict and this script's reading of the skips must agree, or the summary is wrong.
    gate_keys = Counter(r.key for r in (*gate.passed, *gate.failed))
    audit_keys = Counter(r.key for r in (*audit.passed, *audit.failed))
    if not errors and (audit_keys - gate_keys != suppressed or gate_keys - audit_keys):
        errors.append(
            "the results checkov skipped differ from what the skip entries match "
            f"(checkov: {sum((audit_keys - gate_keys).values())}, entries: {sum(suppressed.values())}, "
            f"only with skips: {sum((gate_keys - audit_keys).values())}); check .checkov.yaml's regexes"
        )

    # Judge targets and skips only on runs that are complete and read consistently.
    trusted = not errors
    for target, target_counts in counts.items():
        if trusted and sum(target_counts.values()) == 0:
            errors.append(f"{target}: checkov produced no result for it (not scanned?)")
    for use in uses if trusted else []:
        if not use.failed and not use.passed:
            errors.append(
                f".checkov.yaml:{use.skip.line}: {use.skip.value} matches no result: an unknown check id "
                "or a regex that matches no scanned file; fix or remove it"
            )
        elif not use.failed:
            warnings.append(
                f".checkov.yaml:{use.skip.line}: {use.skip.value} suppresses no failure any more: remove it?"
            )
    if hadolint.error:
        errors.append(hadolint.error)
    order = {target: i for i, target in enumerate(counts)}
    return Summary(
        targets=counts,
        failures=sorted(gate.failed, key=lambda r: (order.get(r.target, len(order)), r.check_id, r.resource)),
        skips=uses,
        hadolint=hadolint,
        errors=errors,
        warnings=warnings,
        version=gate.version or audit.version,
    )


def _group_resources(results: Iterable[Result]) -> list[str]:
    """``resource (stack, stack)`` lines: construct IDs repeat across stacks."""
    by_resource: dict[str, list[str]] = {}
    for result in results:
        where = result.target.removeprefix("stacks/")
        by_resource.setdefault(result.resource, [])
        if where not in by_resource[result.resource]:
            by_resource[result.resource].append(where)
    order = {stack: i for i, stack in enumerate(EXPECTED_STACKS)}
    return [
        f"{resource} ({', '.join(sorted(where, key=lambda s: (order.get(s, len(order)), s)))})"
        for resource, where in sorted(by_resource.items())
    ]


def render(summary: Summary, timings: Mapping[str, float], config: str = ".checkov.yaml") -> str:
    """The human-readable report."""
    out: list[str] = []
    took = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
    out.append(f"security scan: checkov {summary.version or '?'}, config {config} ({took})")
    out.append("")
    width = max([len("target"), *(len(t) for t in summary.targets)])
    out.append(f"  {'target':<{width}}  {'passed':>6}  {'failed':>6}  {'skipped':>7}")
    for target, counts in summary.targets.items():
        out.append(
            f"  {target:<{width}}  {counts['passed']:>6}  {counts['failed']:>6}  {counts['skipped']:>7}"
        )
    findings = summary.hadolint.findings
    hadolint_line = "not installed" if findings is None else f"{len(findings)} finding(s)"
    out.append(f"  {'Dockerfile (hadolint)':<{width}}  {hadolint_line}")
    out.append("")
    out.append(f"skip entries ({len(summary.skips)}), each with its reason and what it suppresses:")
    for use in summary.skips:
        out.append(f"  {use.skip.value}")
        out.append(f"      reason: {use.skip.reason or '(none)'}")
        out.append(f"      suppresses {len(use.failed)} failed and {len(use.passed)} passed result(s)")
        out.extend(f"        - {line}" for line in _group_resources(use.failed))
    if summary.failures:
        out.append("")
        out.append(f"FAILED checks ({len(summary.failures)}):")
        for result in summary.failures:
            out.append(f"  {result.check_id}  {result.target}  {result.resource}: {result.check_name}")
    if findings:
        out.append("")
        out.append("hadolint findings:")
        out.extend(f"  {finding}" for finding in findings)
    for warning in summary.warnings:
        out.append(f"warning: {warning}")
    for error in summary.errors:
        out.append(f"error: {error}")
    total = Counter[str]()
    for counts in summary.targets.values():
        total.update(counts)
    verdict = {0: "OK", 1: "FAILED", 2: "ERROR"}[summary.exit_code]
    out.append("")
    out.append(
        f"security scan {verdict}: checkov {total['passed']} checks passed / {total['failed']} failed / "
        f"{total['skipped']} skipped by {config}; hadolint {hadolint_line}"
    )
    return "\n".join(out)
