"""``python -m devtools.local_values``: the second deploy phase's inputs for the local environment."""

from __future__ import annotations

import pytest

from devtools import local_values, preflight
from devtools.emulators import seed_hosted_zone
from tests.devtools.test_preflight import REPOSITORY, ROLES, SECRETS


def test_fill_sets_every_secret_and_the_image_so_the_preflight_passes(aws, emulators):
    seed_hosted_zone(emulators)  # outside the stack, as in AWS
    aws("ecr").create_repository(repositoryName=REPOSITORY)
    for name in SECRETS:
        aws("secretsmanager").create_secret(Name=name)
    for role in ROLES:
        aws("iam").create_role(RoleName=role, AssumeRolePolicyDocument="{}")
    assert not preflight.check("local", role_settle_seconds=0).ok

    done = local_values.fill()

    assert len(done) == len(SECRETS) + 1
    for name in SECRETS:
        assert aws("secretsmanager").get_secret_value(SecretId=name)["SecretString"].startswith("demo-")
    assert preflight.check("local", role_settle_seconds=0).ok
    local_values.fill()  # again: new values, the image is left as it is


def test_fill_refuses_to_run_outside_the_emulators(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(SystemExit, match="emulators only"):
        local_values.fill()
