"""The first deploy of an environment goes in two phases (README, "State and the first deploy"):

1. ``CORA_SKIP_SERVICE=1``: everything but the App Runner service and secret rotation. The secrets are
   created empty, and both the service (App Runner reads the secrets when it deploys) and a rotation
   (Secrets Manager runs the rotation Lambda's ``testSecret`` step as soon as it is created) would fail
   on them. The service's roles ARE created, so IAM has propagated them by phase 2.
2. After the values are set and the image is pushed (``python -m devtools.preflight`` checks both):
   the service and the rotation.
"""

from __future__ import annotations

import json

import cdktf
import pytest

from constructs_lib import CoraInfraError, LocalBackendConfig
from constructs_lib.stacks import CoraAppStack, load_config
from tests.conftest import CONFIG_DIR, resources


def _synth(env: str, *, create_service: bool) -> dict:
    config = load_config(env, CONFIG_DIR, overrides={"app.create_service": create_service})
    stack = CoraAppStack(cdktf.Testing.app(), config, backend=LocalBackendConfig())
    return {"stack": stack, "doc": json.loads(cdktf.Testing.synth(stack))}


@pytest.fixture(scope="module", params=["stg", "prd"])
def phases(request):
    return {
        "env": request.param,
        "first": _synth(request.param, create_service=False),
        "full": _synth(request.param, create_service=True),
    }


def _roles(doc: dict) -> list[str]:
    return sorted(r["name"] for r in resources(doc, "aws_iam_role"))


def test_first_phase_has_no_service_and_no_rotation(phases):
    first = phases["first"]["doc"]
    assert resources(first, "aws_apprunner_service") == []
    assert resources(first, "aws_secretsmanager_secret_rotation") == []
    # No rotation permission either: nothing would use it yet.
    assert not [p for p in resources(first, "aws_lambda_permission") if "secretsmanager" in p["principal"]]
    assert len(resources(first, "aws_secretsmanager_secret")) == 3
    assert "service_arn" not in first.get("output", {})


def test_first_phase_creates_the_service_roles_and_their_policies(phases):
    first, full = phases["first"]["doc"], phases["full"]["doc"]
    env = phases["env"]
    assert _roles(first) == _roles(full) == [f"cora-{env}-web-access", f"cora-{env}-web-instance"]
    # Same resources at the same addresses: phase 2 adds, never replaces.
    for kind in ("aws_iam_role", "aws_iam_role_policy", "aws_apprunner_auto_scaling_configuration_version"):
        assert first["resource"][kind] == full["resource"][kind], kind


def test_second_phase_adds_the_service_and_one_rotation_per_secret(phases):
    full = phases["full"]["doc"]
    assert len(resources(full, "aws_apprunner_service")) == 1
    assert len(resources(full, "aws_secretsmanager_secret_rotation")) == 3
    first_ids = set(phases["first"]["doc"]["resource"]["aws_secretsmanager_secret"])
    assert first_ids == set(full["resource"]["aws_secretsmanager_secret"])


def test_a_service_that_was_not_created_has_no_url_to_give(phases):
    web = phases["first"]["stack"].web
    assert web.service is None
    with pytest.raises(CoraInfraError, match="create_service=False"):
        _ = web.service_arn
