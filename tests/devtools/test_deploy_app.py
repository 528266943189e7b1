"""``cora-infra deploy-app`` against the emulators: success, the emulator's rollback, an unhealthy
image, a timeout, an idempotent re-run, two runs at once, a missing image and missing parameters."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.devtools.deploy_helpers import Deployed, deployed_environment, wait_until_running


@pytest.fixture
def env(emulators, aws) -> Iterator[Deployed]:
    deployed = deployed_environment(emulators, aws)
    yield deployed
    wait_until_running(deployed)
    aws("apprunner").delete_service(ServiceArn=deployed.service_arn)


def test_success_updates_only_the_image_and_checks_health(env):
    before = env.service()["SourceConfiguration"]
    code, out, err = env.deploy("v2")
    assert (code, err) == (0, "")
    assert env.running_image() == env.image("v2")
    assert env.operations()[0] == ("UPDATE_SERVICE", "SUCCEEDED")
    # The whole SourceConfiguration went back unchanged but for the image.
    after = env.service()["SourceConfiguration"]
    before["ImageRepository"]["ImageIdentifier"] = env.image("v2")
    assert after == before
    assert f"deploy: {env.image('v1')} -> {env.image('v2')}" in out
    assert "wait: operation " in out  # the progress line
    assert f"health: GET {env.health_url}: ok" in out
    assert out.rstrip().endswith(
        f"deployed: the service runs {env.image('v2')} and {env.health_url} is healthy"
    )


def test_rerun_of_the_running_tag_is_a_no_op_that_says_so(env):
    assert env.deploy("v2")[0] == 0
    operations = len(env.operations())
    code, out, _ = env.deploy("v2")
    assert code == 0
    assert f"no-op: the service already runs {env.image('v2')} and is RUNNING" in out
    assert len(env.operations()) == operations  # no UpdateService


def test_a_deployment_app_runner_rolls_back_fails_naming_it(env):
    env.fault(fail_next_deployment=True)
    code, out, err = env.deploy("v2")
    assert code == 1
    assert env.running_image() == env.image("v1")
    assert env.service()["Status"] == "RUNNING"
    assert "ended ROLLBACK_SUCCEEDED" in err
    assert f"deploy of {env.image('v2')} failed" in err
    assert f"rolled back: App Runner kept {env.image('v1')} running" in err
    assert f"rolling back to {env.image('v1')}" in out


def test_an_unhealthy_image_is_rolled_back_with_update_service(env):
    env.fault(unhealthy_image=env.image("v2"))
    code, out, err = env.deploy("v2")
    assert code == 1
    assert f"health check GET {env.health_url} failed: HTTP 503" in err
    assert err.rstrip().endswith(f"rolled back to {env.image('v1')}")
    assert env.running_image() == env.image("v1")
    # Ours: the update to v2 succeeded, then the rollback update to v1.
    assert env.operations()[:2] == [("UPDATE_SERVICE", "SUCCEEDED"), ("UPDATE_SERVICE", "SUCCEEDED")]
    assert "(attempt 3/3)" in out


def test_a_timeout_waits_for_the_operation_then_rolls_back(env):
    env.fault(next_deployment_seconds=1.0)
    started = time.monotonic()
    code, _, err = env.deploy("v2", "--timeout", "0.6")
    assert code == 1
    assert "did not finish within 0.6 s (timeout)" in err
    assert f"rolled back to {env.image('v1')}" in err
    assert env.running_image() == env.image("v1")
    assert time.monotonic() - started >= 1.0  # it waited for the timed-out operation before rolling back


def test_an_operation_still_running_after_a_second_timeout_is_reported_not_rolled_back(env):
    env.fault(next_deployment_seconds=2.0)
    code, _, err = env.deploy("v2", "--timeout", "0.3")
    assert code == 1
    assert "did not finish within 0.3 s (timeout)" in err
    assert (
        f"NOT rolled back: the service is still OPERATION_IN_PROGRESS; roll back to {env.image('v1')}" in err
    )


def test_a_second_run_while_the_first_is_deploying_refuses(env):
    env.fault(next_deployment_seconds=1.0)
    first: list[tuple[int, str, str]] = []
    thread = threading.Thread(target=lambda: first.append(env.deploy("v2")))
    thread.start()
    deadline = time.monotonic() + 5
    while env.service()["Status"] != "OPERATION_IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    code, _, err = env.deploy("v2")
    thread.join(timeout=10)
    assert code == 1
    assert "refused: UPDATE_SERVICE " in err
    assert "is in progress on the service" in err
    assert "run this again when it has finished" in err
    assert first[0][0] == 0, first[0][2]
    assert env.running_image() == env.image("v2")
    assert [op for op in env.operations() if op[0] == "UPDATE_SERVICE"] == [("UPDATE_SERVICE", "SUCCEEDED")]


def test_a_missing_image_changes_nothing(env):
    code, _, err = env.deploy("v3")
    assert code == 2
    assert f"image {env.image('v3')} is not in ECR (ImageNotFoundException)" in err
    assert env.running_image() == env.image("v1")
    assert [op[0] for op in env.operations()] == ["CREATE_SERVICE"]


def test_missing_parameters_are_named(env, aws):
    aws("ssm").delete_parameters(Names=["/cora/test/SERVICE_ARN", "/cora/test/APP_URL"])
    code, _, err = env.deploy("v2", health=False)
    assert code == 2
    assert "missing SSM parameter(s) /cora/test/APP_URL, /cora/test/SERVICE_ARN" in err
    assert [op[0] for op in env.operations()] == ["CREATE_SERVICE"]
