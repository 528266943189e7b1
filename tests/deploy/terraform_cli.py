"""Running the terraform CLI in the deploy tests: one helper, failures shown with the CLI's output."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def terraform(
    *args: str, cwd: Path, env: dict[str, str], check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``terraform <args> -no-color`` in ``cwd``; with ``check``, a non-zero exit fails the test."""
    run = subprocess.run(
        ["terraform", *args, "-no-color"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and run.returncode != 0:
        command = " ".join(args)
        pytest.fail(
            f"terraform {command} failed ({run.returncode}):\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
        )
    return run
