"""``prevent_destroy`` really stops Terraform: on the emulators, a stg/prd-style repository whose
encryption is turned on (a ForceNew change) cannot be replaced by an ordinary apply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cdktf import App, TerraformStack

from constructs_lib import EcrRepo, EcrRepoProps, LocalBackendConfig, apply_backend
from constructs_lib.stacks.config import EmulatorConfig
from constructs_lib.stacks.provider import add_aws_provider
from devtools.emulators import Emulators, running
from tests.deploy.terraform_cli import terraform

pytestmark = [pytest.mark.deploy, pytest.mark.terraform]

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    with running(apprunner_ready_delay=0.05) as started:
        yield started


def _synth(outdir: Path, emulators: Emulators, *, kms_key_arn: str | None, prevent_destroy: bool) -> Path:
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, "guarded")
    add_aws_provider(
        stack,
        region="us-east-1",
        tags={"project": "guard"},
        emulator=EmulatorConfig(endpoint=emulators.moto_url, apprunner_endpoint=emulators.apprunner_url),
    )
    apply_backend(stack, LocalBackendConfig(path="terraform.tfstate"))
    EcrRepo(
        stack,
        "repository",
        props=EcrRepoProps(
            name="guard-prd-web", kms_key_arn=kms_key_arn, prevent_destroy=prevent_destroy, force_delete=True
        ),
    )
    app.synth()
    return outdir / "stacks" / "guarded"


def test_a_protected_repository_cannot_be_replaced_by_an_apply(tmp_path, emulators, terraform_env):
    env = {**terraform_env, **emulators.env}
    out = tmp_path / "out"
    cwd = _synth(out, emulators, kms_key_arn=None, prevent_destroy=True)
    assert terraform("init", "-input=false", cwd=cwd, env=env, check=False).returncode == 0
    applied = terraform("apply", "-auto-approve", "-input=false", cwd=cwd, env=env, check=False)
    assert applied.returncode == 0, applied.stdout + applied.stderr

    # Turning on the customer key forces a new repository: Terraform refuses the plan outright.
    _synth(out, emulators, kms_key_arn=KEY, prevent_destroy=True)
    plan = terraform("plan", "-input=false", cwd=cwd, env=env, check=False)
    assert plan.returncode != 0
    assert "Instance cannot be destroyed" in plan.stderr
    assert "aws_ecr_repository.repository_" in plan.stderr

    # Lifting the guard is a deliberate code change; then the destroy goes through.
    _synth(out, emulators, kms_key_arn=None, prevent_destroy=False)
    destroyed = terraform("destroy", "-auto-approve", "-input=false", cwd=cwd, env=env, check=False)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
