"""moto's Secrets Manager rotation, patched to behave as AWS does (devtools/moto_rotation.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devtools.emulators import ROTATION_FUNCTION, running, seed

ROTATOR = f"arn:aws:lambda:us-east-1:123456789012:function:{ROTATION_FUNCTION}"


@pytest.fixture(scope="module")
def sm() -> Iterator[Any]:
    with running(apprunner_ready_delay=0.05) as emulators:
        seed(emulators)
        yield emulators.client("secretsmanager")


def _rotate(sm: Any, name: str) -> None:
    sm.rotate_secret(
        SecretId=name,
        RotationLambdaARN=ROTATOR,
        RotationRules={"AutomaticallyAfterDays": 30},
        RotateImmediately=False,
    )


def _stages(sm: Any, name: str) -> list[list[str]]:
    return sorted(sm.describe_secret(SecretId=name).get("VersionIdsToStages", {}).values())


def test_rotation_created_on_a_secret_with_a_value_leaves_only_the_current_version(sm):
    sm.create_secret(Name="filled", SecretString="value")
    _rotate(sm, "filled")
    assert _stages(sm, "filled") == [["AWSCURRENT"]]
    assert sm.describe_secret(SecretId="filled")["RotationEnabled"] is True
    _rotate(sm, "filled")  # and the next rotation is accepted
    assert sm.get_secret_value(SecretId="filled")["SecretString"] == "value"


def test_rotation_created_on_an_empty_secret_leaves_pending_and_blocks_the_next(sm):
    sm.create_secret(Name="empty")
    _rotate(sm, "empty")  # accepted: the test step fails later, in the rotation Lambda
    assert _stages(sm, "empty") == [["AWSPENDING"]]
    sm.put_secret_value(SecretId="empty", SecretString="value")
    with pytest.raises(ClientError, match="A previous rotation isn't complete"):
        _rotate(sm, "empty")
