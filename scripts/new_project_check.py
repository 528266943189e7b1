#!/usr/bin/env python3
"""The new-project check (``make new-projects``, in ``make test``): ``cora-infra new`` as a team meets it.

Outside the repository (a temporary folder), from this checkout:

1. build the wheel and install it into a clean venv, as the consumer check does
   (``scripts/consumer_check.py``);
2. for each layout, ``cora-infra new acme --region eu-west-1 [--layout two-repo]`` with that venv's
   command, then the generated README's test command (``make test``) in the generated project, in the
   two ways its README gives: mono-repo in a venv of its own (``pip`` finds cora-infra through
   ``PIP_FIND_LINKS`` = the wheel's folder), two-repo with the venv that has the wheel active
   (``VIRTUAL_ENV``); its own ``.terraformrc``; nothing from this checkout is on its path. Its
   snapshots must pass unchanged (they were written by ``cora-infra new``);
3. this repository's workflow gate (``scripts/lint_workflows.py``: SHA pins, zizmor, actionlint,
   yamllint) on each generated ``.github/`` (checkov and hadolint scan them in ``make scan``).

    .venv/bin/python scripts/new_project_check.py [--keep] [--layout monorepo|two-repo ...]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

# Run as a script (``python scripts/new_project_check.py``), only ``scripts/`` itself is on sys.path.
if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.consumer_check import (
    ROOT,
    StepFailedError,
    Timing,
    build_and_install,
    outside_env,
    run,
    run_in_workdir,
)

LAYOUTS = ("monorepo", "two-repo")
SCAN_VENV = ROOT / ".venv-scan"
REGION = "eu-west-1"
_TEST_COMMAND = re.compile(r"^(make test)\b")


def readme_test_command(readme: str) -> list[str]:
    """The test command of a generated README: the ``make test`` line of its "Two commands" block."""
    section = readme.split("## Two commands", 1)[-1]
    block = section.split("```sh", 1)[-1].split("```", 1)[0]
    for line in block.splitlines():
        match = _TEST_COMMAND.match(line.strip())
        if match:
            return match[1].split()
    raise StepFailedError("the generated README names no `make test` command in its 'Two commands' block")


def project_env(work: Path, *, activated: bool = False) -> dict[str, str]:
    """A new project's environment: ours without our venvs, settings or Terraform config; the wheel's
    folder first among pip's find-links (the README's way to install cora-infra from a wheel), or with
    ``activated`` the venv that has the wheel installed as the active one."""
    # Our make's jobserver and -j must not reach the project's make.
    drop = {"TF_CLI_CONFIG_FILE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    venv = work / "venv"
    env = outside_env(drop=drop, prefixes=("CORA_", "MYPY_"), bin_dir=venv / "bin" if activated else None)
    if activated:
        env["VIRTUAL_ENV"] = str(venv)
    else:
        env["PIP_FIND_LINKS"] = " ".join([str(work / "dist"), *env.get("PIP_FIND_LINKS", "").split()])
    return env


def check_layout(work: Path, layout: str, timings: list[Timing]) -> None:
    """Generate one layout, run its README's test command, lint its workflows."""
    parent = work / layout
    parent.mkdir()
    tool = work / "venv" / "bin" / "cora-infra"
    env = project_env(work, activated=layout == "two-repo")
    run(f"cora-infra new ({layout})", [tool, "new", "acme", "--region", REGION, "--layout", layout],
        cwd=parent, env=env, timings=timings)  # fmt: skip
    (project,) = (p for p in parent.iterdir() if not p.name.startswith("."))
    snapshots = {p: p.read_bytes() for p in sorted(project.glob("tests/__snapshots__/**/*.json"))}
    if not snapshots:
        raise StepFailedError(f"{project}: cora-infra new wrote no snapshots")
    command = readme_test_command((project / "README.md").read_text(encoding="utf-8"))
    said = run(f"{' '.join(command)} ({layout})", command, cwd=project, env=env, timings=timings)
    summary = re.search(r"=+ (\d+) passed(?:, [^=]*)? in [0-9.]+s", said)
    if summary is None or re.search(r"\b(failed|error|skipped)\b", summary[0]):
        raise StepFailedError(f"{layout}: pytest did not report only passes:\n{said[-3000:]}")
    changed = [str(p.relative_to(project)) for p, data in snapshots.items() if p.read_bytes() != data]
    if changed:
        raise StepFailedError(f"{layout}: make test changed the snapshots cora-infra new wrote: {changed}")
    if "ok: no problems" not in said:
        raise StepFailedError(f"{layout}: cora-infra check did not pass:\n{said[-3000:]}")
    run(f"workflow gate ({layout})", [
        sys.executable, ROOT / "scripts" / "lint_workflows.py", "--root", project,
        "--zizmor", SCAN_VENV / "bin" / "zizmor", "--yamllint", SCAN_VENV / "bin" / "yamllint",
    ], cwd=ROOT, env=env, timings=timings)  # fmt: skip
    print(f"{layout}: {summary[1]} tests passed, snapshots unchanged, cora-infra check ok, workflows clean")


def main(argv: Sequence[str] | None = None) -> int:
    """Every layout in a temporary folder; 0 on success, 1 on the first failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    parser.add_argument("--layout", action="append", choices=LAYOUTS, help="default: both")
    args = parser.parse_args(argv)
    layouts = args.layout or list(LAYOUTS)

    def body(work: Path, timings: list[Timing]) -> None:
        build_and_install(work, timings, mypy=False)
        for layout in layouts:
            check_layout(work, layout, timings)

    what = f"{', '.join(layouts)}: cora-infra new, make test, workflow gate"
    return run_in_workdir("new-project check", what, body, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
