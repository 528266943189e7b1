"""Stateful resources of stg and prd (images, secret values, state) survive an ordinary apply."""

from __future__ import annotations

import pytest

from tests.conftest import BOOTSTRAP_STACKS, resources

STATEFUL = ("aws_ecr_repository", "aws_secretsmanager_secret")


def _protected(resource: dict) -> bool:
    return resource.get("lifecycle", {}).get("prevent_destroy") is True


@pytest.mark.parametrize("env", ["stg", "prd"])
def test_stg_and_prd_repository_and_secrets_cannot_be_destroyed_by_an_apply(synthesized, env):
    doc = synthesized[env]
    for kind in STATEFUL:
        found = resources(doc, kind)
        assert found, kind
        assert all(_protected(r) for r in found), kind


@pytest.mark.parametrize("env", ["dev", "local"])
def test_dev_and_local_stay_disposable(synthesized, env):
    for kind in STATEFUL:
        assert not any(_protected(r) for r in resources(synthesized[env], kind)), kind


@pytest.mark.parametrize("stack", BOOTSTRAP_STACKS)
def test_every_real_state_bucket_cannot_be_destroyed_by_an_apply(synthesized, stack):
    (bucket,) = resources(synthesized[stack], "aws_s3_bucket")
    assert _protected(bucket)
    assert bucket["force_destroy"] is False


def test_the_emulator_state_bucket_is_throwaway(synthesized):
    (bucket,) = resources(synthesized["bootstrap-local"], "aws_s3_bucket")
    assert not _protected(bucket)
