"""Running Python code in a fresh interpreter, for what only a new process shows (import order, the
kernel's start, caches): the repository on ``PYTHONPATH``, output captured."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.conftest import ROOT


def run_python(
    code: str, *, ok: bool = True, timeout: float = 600, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) in a new interpreter with ``env`` added; with ``ok``, it must exit 0."""
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if ok:
        assert run.returncode == 0, run.stderr
    return run


def make_test_commands() -> str:
    """What ``make test`` (CI's command) would run, as ``make -n`` prints it (sub-makes included)."""
    # Not the flags of a make this suite may run under (jobserver, -j): a plain, dry make of its own.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    run = subprocess.run(
        ["make", "-n", "--no-print-directory", "test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return run.stdout
