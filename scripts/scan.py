#!/usr/bin/env python3
"""Security scan of what this repository ships (``make scan``; ``make test`` runs it too).

1. Synthesizes every stack (``python main.py``, default settings) into ``<scan-dir>/synth``, and the
   ECS sample (``examples/ecs/config``) into ``<scan-dir>/synth/ecs``, scanned as ``stacks/ecs-<env>``.
2. Writes the scan tree ``<scan-dir>/checkov``: a copy of each ``stacks/<id>/cdk.tf.json`` without the
   top-level ``terraform.required_version`` (checkov's JSON parser fails on it, checkov issue 7454; the
   real output is never changed), plus copies of the ``Dockerfile`` and ``.github/workflows``, and
   the workflows ``cora-infra new`` writes (``generated/<layout>/.github/workflows``).
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
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# The parts live in sibling modules of the ``scripts`` package; run as ``python scripts/scan.py``,
# only ``scripts/`` itself is on sys.path, so make the package importable first.
if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Re-exported: ``scripts.scan.<name>`` stays the one place to reach every part of the scan.
from scripts.scan_checkov import (
    ECS_CONFIG_DIR,
    ECS_PREFIX,
    EXPECTED_STACKS,
    FRAMEWORKS,
    MARKER,
    ROOT,
    SYNTH_SETTINGS,
    CheckovRun,
    Hadolint,
    Result,
    build_scan_tree,
    checkov_command,
    checkov_env,
    parse_checkov,
    prepare_dir,
    qualify,
    run_hadolint,
    synthesize,
    write_scan_copy,
)
from scripts.scan_report import SkipUse, Summary, _group_resources, _result_json, render, summarize
from scripts.scan_skips import (
    _COMMENT,
    _ITEM,
    _SKIP_KEY,
    _TOP_LEVEL,
    CHECK_ID,
    ScanConfigError,
    Skip,
    _parse_item,
    config_without_skips,
    parse_skips,
    validate_skips,
    yaml_skip_values,
)

__all__ = [
    "CHECK_ID",
    "CONFIG",
    "ECS_CONFIG_DIR",
    "ECS_PREFIX",
    "EXPECTED_STACKS",
    "FRAMEWORKS",
    "MARKER",
    "ROOT",
    "SCAN_DIR",
    "SCAN_VENV",
    "SYNTH_SETTINGS",
    "_COMMENT",
    "_ITEM",
    "_SKIP_KEY",
    "_TOP_LEVEL",
    "CheckovRun",
    "Hadolint",
    "Result",
    "ScanConfigError",
    "Skip",
    "SkipUse",
    "Summary",
    "_group_resources",
    "_parse_item",
    "_result_json",
    "build_scan_tree",
    "checkov_command",
    "checkov_env",
    "config_without_skips",
    "main",
    "parse_checkov",
    "parse_skips",
    "prepare_dir",
    "qualify",
    "render",
    "run_hadolint",
    "summarize",
    "synthesize",
    "validate_skips",
    "write_scan_copy",
    "yaml_skip_values",
]

CONFIG = ROOT / ".checkov.yaml"
SCAN_DIR = ROOT / "cdktf.out.scan"
SCAN_VENV = ROOT / ".venv-scan"


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
    synthesize(python, synth_dir / "ecs", config_dir=ECS_CONFIG_DIR)
    timings["synth"] = time.monotonic() - start
    stacks = sorted(p.parent.name for p in (synth_dir / "stacks").glob("*/cdk.tf.json"))
    # The ECS sample's environment stacks (its bootstrap stacks are the App Runner sample's).
    stacks += sorted(
        ECS_PREFIX + p.parent.name
        for p in (synth_dir / "ecs" / "stacks").glob("*/cdk.tf.json")
        if not p.parent.name.startswith("bootstrap-")
    )
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
    targets += sorted(p.relative_to(tree).as_posix() for p in (tree / "generated").rglob("*.yml"))
    summary = summarize(runs["gate"], runs["audit"], skips, targets, hadolint)
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print(render(summary, timings, args.config.name))
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main())
