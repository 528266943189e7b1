"""Every synthesized stack is valid Terraform: init against the provider mirror, then validate."""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import STACKS

pytestmark = pytest.mark.terraform


def _terraform(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _init_and_validate(workdir: Path, env: dict[str, str]) -> dict[str, object]:
    init = _terraform(["init", "-backend=false", "-input=false", "-no-color"], workdir, env)
    assert init.returncode == 0, f"terraform init failed in {workdir}:\n{init.stdout}\n{init.stderr}"
    validate = _terraform(["validate", "-json", "-no-color"], workdir, env)
    result: dict[str, object] = json.loads(validate.stdout)
    return result


@pytest.fixture(scope="session")
def validation(synth_dir, terraform_env, tmp_path_factory) -> dict[str, dict[str, object]]:
    """``terraform validate -json`` of each stack, run concurrently in copies of the stack folders."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: install Terraform >= 1.10 (see README)")
    workdirs = {}
    for stack in STACKS:
        workdir = tmp_path_factory.mktemp(f"validate-{stack}")
        shutil.copy(synth_dir / "stacks" / stack / "cdk.tf.json", workdir / "cdk.tf.json")
        workdirs[stack] = workdir
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {env: pool.submit(_init_and_validate, wd, terraform_env) for env, wd in workdirs.items()}
        return {env: future.result() for env, future in futures.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_stack_is_valid_terraform(validation, stack):
    result = validation[stack]
    assert result["valid"] is True, json.dumps(result["diagnostics"], indent=2)
    assert result["error_count"] == 0
    assert result["warning_count"] == 0, json.dumps(result["diagnostics"], indent=2)
