#!/usr/bin/env python3
"""Security scan of what this repository ships (``make scan``; ``make test`` runs it too).

1. Synthesizes every stack (``python main.py``, default settings) into ``<scan-dir>/synth``.
2. Writes the scan tree ``<scan-dir>/checkov``: a copy of each ``stacks/<id>/cdk.tf.json`` without the
   top-level ``terraform.required_version`` (checkov's JSON parser fails on it, checkov issue 7454; the
   real output is never changed), plus copies of the ``Dockerfile`` and ``.github/workflows``.
3. Runs checkov offline on that tree (frameworks ``terraform_json``, ``dockerfile``, ``github_actions``)
   twice, in parallel: with ``.checkov.yaml`` (the verdict) and with the same file minus its
   ``skip-check`` list, to count and show what each skip suppresses (checkov itself reports checks
   skipped by ``skip-check`` nowhere). hadolint lints the Dockerfile at the same time.
4. Prints passed / failed / skipped per target and every skip entry with its reason.

Exit status: 0 when nothing failed; 1 when a check failed or hadolint found something; 2 when the scan
itself is not trustworthy: a skip without a reason or with a bad pattern, a skip that matches nothing,
synthesis failing, checkov crashing or reporting parsing errors, or a target that produced no result.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".checkov.yaml"
SCAN_DIR = ROOT / "cdktf.out.scan"
SCAN_VENV = ROOT / ".venv-scan"
FRAMEWORKS = ("terraform_json", "dockerfile", "github_actions")
# The stacks main.py writes with default settings; a missing one means the scan would miss it.
EXPECTED_STACKS = (
    "dev",
    "stg",
    "prd",
    "local",
    "bootstrap-dev",
    "bootstrap-stg",
    "bootstrap-prd",
    "bootstrap-local",
)
# Settings that change what main.py synthesizes: the scan always covers the default, full output.
SYNTH_SETTINGS = (
    "CORA_ENVIRONMENTS",
    "CORA_IMAGE_TAG",
    "CORA_STATE_BACKEND",
    "CORA_SKIP_SERVICE",
    "CORA_CONFIG_DIR",
)
MARKER = ".cora-scan-dir"  # only a folder holding it (or an empty one) is cleared

CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_[0-9]+$")
_SKIP_KEY = re.compile(r"^skip-check:[ \t]*(?:#.*)?$")
_TOP_LEVEL = re.compile(r"^[^\s#-]")
_ITEM = re.compile(r"^[ \t]*-[ \t]+(?P<body>.*)$")
_COMMENT = re.compile(r"[ \t]+#(?P<reason>.*)$")


class ScanConfigError(ValueError):
    """``.checkov.yaml`` is not in the form this gate relies on."""


# --------------------------------------------------------------------------------------------------
# .checkov.yaml: skip entries and their reasons


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


# --------------------------------------------------------------------------------------------------
# The scan tree


def write_scan_copy(source: Path, target: Path) -> None:
    """Copy a synthesized ``cdk.tf.json`` without ``terraform.required_version`` (checkov issue 7454).

    Everything else is kept as it is, in order; ``source`` is only read.
    """
    doc = json.loads(source.read_text(encoding="utf-8"))
    terraform = doc.get("terraform")
    if isinstance(terraform, dict):
        doc["terraform"] = {key: value for key, value in terraform.items() if key != "required_version"}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def prepare_dir(path: Path) -> None:
    """Empty ``path`` for a new scan; refuse a folder this script did not create."""
    if path.exists():
        if not (path / MARKER).exists() and any(path.iterdir()):
            raise SystemExit(
                f"error: {path} is not empty and is not a scan folder; choose another --scan-dir"
            )
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("scratch folder of scripts/scan.py, emptied on every run\n", encoding="utf-8")


def synthesize(python: str, outdir: Path) -> None:
    """``python main.py`` with the default settings, writing into ``outdir``."""
    env = {key: value for key, value in os.environ.items() if key not in SYNTH_SETTINGS}
    env["CDKTF_OUTDIR"] = str(outdir)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env.setdefault("CHECKPOINT_DISABLE", "1")
    result = subprocess.run([python, "main.py"], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"error: synthesis failed: {python} main.py exited {result.returncode}")


def build_scan_tree(synth_dir: Path, tree: Path, stacks: Sequence[str]) -> dict[tuple[str, str], str]:
    """Scan copies of the stacks, the Dockerfile and the workflows, at their repository-like paths.

    Returns the resource type of each ``(stacks/<id>, resource name)``: checkov names resources
    ``resource.<name>`` in terraform_json results of its resource checks.
    """
    types: dict[tuple[str, str], str] = {}
    for stack in stacks:
        copy = tree / "stacks" / stack / "cdk.tf.json"
        write_scan_copy(synth_dir / "stacks" / stack / "cdk.tf.json", copy)
        resources = json.loads(copy.read_text(encoding="utf-8")).get("resource") or {}
        for type_, by_name in resources.items():
            for name in by_name:
                types[(f"stacks/{stack}", name)] = type_
    shutil.copy2(ROOT / "Dockerfile", tree / "Dockerfile")
    workflows = tree / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.y*ml")):
        shutil.copy2(workflow, workflows / workflow.name)
    return types


def qualify(run: CheckovRun, types: Mapping[tuple[str, str], str]) -> CheckovRun:
    """``resource.<name>`` → ``<type>.<name>`` in the results, as graph checks already name them."""

    def fix(result: Result) -> Result:
        name = result.resource.removeprefix("resource.")
        type_ = types.get((result.target, name))
        if result.resource.startswith("resource.") and type_:
            return replace(result, resource=f"{type_}.{name}")
        return result

    return CheckovRun(
        passed=[fix(r) for r in run.passed],
        failed=[fix(r) for r in run.failed],
        errors=run.errors,
        version=run.version,
    )


# --------------------------------------------------------------------------------------------------
# Running checkov and hadolint


@dataclass(frozen=True)
class Result:
    """One checkov result, as far as the summary needs it."""

    framework: str
    check_id: str
    check_name: str
    file_path: str
    file_abs_path: str
    resource: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.framework, self.check_id, self.file_path, self.resource)

    @property
    def target(self) -> str:
        """``stacks/<id>`` for a stack, else the scanned file's repository path."""
        parts = self.file_path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "stacks":
            return f"stacks/{parts[1]}"
        return "/".join(parts)


@dataclass
class CheckovRun:
    """Parsed output of one checkov process."""

    passed: list[Result] = field(default_factory=list)
    failed: list[Result] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    version: str = ""


def checkov_env() -> dict[str, str]:
    """The environment without checkov settings of the caller (CKV_*, platform keys)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CKV_", "BC_", "PRISMA_", "CHECKOV_"))
    }
    env["LOG_LEVEL"] = "WARNING"
    return env


def checkov_command(checkov: str, tree: Path, config: Path) -> list[str]:
    return [
        checkov,
        "--directory",
        str(tree),
        "--framework",
        *FRAMEWORKS,
        "--config-file",
        str(config),
        "--skip-download",
        "--output",
        "json",
    ]


def parse_checkov(returncode: int, stdout: str, stderr: str) -> CheckovRun:
    """Results and every sign of an untrustworthy run (exit code, crash, parsing errors)."""
    run = CheckovRun()
    if returncode not in (0, 1):
        run.errors.append(f"checkov exited {returncode}")
    if "Traceback (most recent call last)" in stderr:
        run.errors.append("checkov logged a crash (a Python traceback) on stderr")
    try:
        data: Any = json.loads(stdout)
    except json.JSONDecodeError as err:
        run.errors.append(f"checkov printed no single JSON document ({err})")
        return run
    reports = data if isinstance(data, list) else [data]
    for report in reports:
        if not isinstance(report, dict) or "check_type" not in report:
            continue  # e.g. the empty-report form checkov prints when nothing was scanned
        framework = str(report["check_type"])
        results = report.get("results") or {}
        run.version = str((report.get("summary") or {}).get("checkov_version", run.version))
        for path in results.get("parsing_errors") or []:
            run.errors.append(f"{framework}: checkov could not parse {path}")
        for kind, bucket in (("passed_checks", run.passed), ("failed_checks", run.failed)):
            for item in results.get(kind) or []:
                bucket.append(
                    Result(
                        framework=framework,
                        check_id=str(item["check_id"]),
                        check_name=str(item.get("check_name", "")),
                        file_path=str(item.get("file_path", "")),
                        file_abs_path=str(item.get("file_abs_path", "")),
                        resource=str(item.get("resource", "")),
                    )
                )
    return run


@dataclass(frozen=True)
class Hadolint:
    """hadolint's findings on the Dockerfile (``None`` when hadolint is not installed)."""

    findings: list[str] | None
    error: str | None = None


# --------------------------------------------------------------------------------------------------
# Summary


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


# --------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scan-dir", type=Path, default=SCAN_DIR, help="scratch folder (emptied first)")
    parser.add_argument("--config", type=Path, default=CONFIG, help="checkov config (default .checkov.yaml)")
    parser.add_argument(
        "--python", default=str(ROOT / ".venv" / "bin" / "python"), help="interpreter that runs main.py"
    )
    parser.add_argument("--checkov", default=str(SCAN_VENV / "bin" / "checkov"))
    parser.add_argument("--hadolint", default=str(SCAN_VENV / "bin" / "hadolint"))
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    # Absolute, not resolved: a venv's python is a symlink that must keep its own path.
    checkov, hadolint_bin = str(Path(args.checkov).absolute()), str(Path(args.hadolint).absolute())
    python = str(Path(args.python).absolute()) if os.sep in args.python else args.python

    config_text = args.config.read_text(encoding="utf-8")
    try:
        skips = parse_skips(config_text, args.config.name)
    except ScanConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    problems = validate_skips(skips, args.config.name)
    yaml_values = yaml_skip_values(config_text)
    if yaml_values is not None and yaml_values != [skip.value for skip in skips]:
        problems.append(
            f"{args.config.name}: skip-check as YAML reads it differs from its lines: {yaml_values}"
        )
    if problems:
        print("\n".join(f"error: {problem}" for problem in problems), file=sys.stderr)
        return 2
    if not Path(checkov).exists():
        print(f"error: {checkov} not found; `make scan` installs it", file=sys.stderr)
        return 2

    timings: dict[str, float] = {}
    scan_dir = args.scan_dir.resolve()
    prepare_dir(scan_dir)
    synth_dir, tree = scan_dir / "synth", scan_dir / "checkov"
    start = time.monotonic()
    synthesize(python, synth_dir)
    timings["synth"] = time.monotonic() - start
    stacks = sorted(p.parent.name for p in (synth_dir / "stacks").glob("*/cdk.tf.json"))
    missing = sorted(set(EXPECTED_STACKS) - set(stacks))
    if missing:
        print(f"error: synthesis wrote no {', '.join(missing)} stack(s)", file=sys.stderr)
        return 2
    types = build_scan_tree(synth_dir, tree, stacks)
    audit_config = scan_dir / "checkov-without-skips.yaml"
    audit_config.write_text(config_without_skips(config_text), encoding="utf-8")

    start = time.monotonic()
    env = checkov_env()
    procs = {
        name: subprocess.Popen(
            checkov_command(checkov, tree, config),
            cwd=scan_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, config in (("gate", args.config.resolve()), ("audit", audit_config))
    }
    hadolint = run_hadolint(hadolint_bin, ROOT / "Dockerfile")
    outputs = {name: proc.communicate() for name, proc in procs.items()}
    runs = {name: qualify(parse_checkov(procs[name].returncode, *outputs[name]), types) for name in procs}
    timings["checkov"] = time.monotonic() - start

    targets = [f"stacks/{s}" for s in EXPECTED_STACKS if s in stacks]
    targets += [f"stacks/{s}" for s in stacks if s not in EXPECTED_STACKS]
    targets += ["Dockerfile"]
    targets += [f".github/workflows/{p.name}" for p in sorted((tree / ".github" / "workflows").iterdir())]
    summary = summarize(runs["gate"], runs["audit"], skips, targets, hadolint)
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print(render(summary, timings, args.config.name))
    return summary.exit_code


def run_hadolint(hadolint: str, dockerfile: Path) -> Hadolint:
    """hadolint on the Dockerfile (every finding counts, down to the ``info`` level)."""
    if not Path(hadolint).exists():
        return Hadolint(findings=None)
    result = subprocess.run(
        [hadolint, "--no-color", "--format", "tty", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode not in (0, 1) or (result.returncode == 1 and not findings):
        return Hadolint(
            findings=findings, error=f"hadolint exited {result.returncode}: {result.stderr.strip()}"
        )
    return Hadolint(findings=findings)


if __name__ == "__main__":
    sys.exit(main())
