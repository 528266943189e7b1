"""What makes an ECS deploy report only what it checked: an interrupt and a re-run, a deployment in
progress that is not this run's, a rollback that must not undo a newer deploy, and a saved revision
Terraform deregistered meanwhile. Calls of the in-process runs are checked against the ECS policy."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from constructs_lib.deploy import DeployRequest
from constructs_lib.deploy.ecs import deploy_ecs
from constructs_lib.deploy.errors import BadInputError, DeployFailedError
from devtools.ecs.environment import LOCK_KEY, STATE_BUCKET, EcsEnvironment


def _wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _rolling_out(env: EcsEnvironment, revision: int) -> bool:
    primary = env.service()["deployments"][0]
    return primary["rolloutState"] == "IN_PROGRESS" and primary["taskDefinition"].endswith(f":{revision}")


def _request(env: EcsEnvironment, tag: str, **options: Any) -> DeployRequest:
    defaults: dict[str, Any] = {
        "repository_url": env.repository_url,
        "service_arn": env.service_arn,
        "tag": tag,
        "health_url": env.health_url,
        "lock_url": f"s3://{STATE_BUCKET}/{LOCK_KEY}",
        "poll_interval": 0.05,
        "health_attempts": 1,
        "say": lambda line: None,
    }
    return DeployRequest(**{**defaults, **options})


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_names_the_deployment_in_flight_and_exits_130(env, sig):
    env.fault(next_deployment_seconds=8.0)
    process = env.start_deploy("v2")
    _wait_for(lambda: _rolling_out(env, 2))
    _wait_for(lambda: env.lock_holder() is not None)
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    deployment = env.service()["deployments"][0]["id"]
    assert f"interrupted ({sig.name}): ECS deployment {deployment} of cora-test-web:2 goes on" in err
    assert "it is not cancelled" in err
    assert f"aws ecs describe-services --cluster {env.cluster_arn} --services {env.service_arn}" in err
    assert "the same deploy: cora-infra deploy-app --env test --project cora --tag v2" in err
    assert env.lock_holder() is None and "lock: released" in out


def test_a_rerun_after_an_interrupt_waits_for_it_then_checks_and_rolls_back_to_the_last_healthy(env):
    assert env.deploy("v1")[0] == 0  # v1 checked healthy and marked
    env.fault(next_deployment_seconds=6.0, unhealthy_image=env.image("v2"))
    process = env.start_deploy("v2")
    _wait_for(lambda: _rolling_out(env, 2))
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    code, out, err = env.deploy("v2")
    assert code == 1, out + err
    assert (
        "wait: deployment ecs-svc/" in out and f"already deploys {env.image('v2')} (an earlier run?)" in out
    )
    assert f"the service runs {env.image('v2')} but its health check GET {env.health_url} failed" in err
    assert f"rolled back to {env.image('v1')} (cora-test-web:3), which is healthy" in err
    assert env.running_image() == env.image("v1")


def test_a_rerun_after_an_interrupt_of_a_healthy_deploy_succeeds_without_a_new_revision(env):
    # Long enough that the re-run still finds the interrupted rollout going on a loaded machine.
    env.fault(next_deployment_seconds=6.0)
    process = env.start_deploy("v2")
    _wait_for(lambda: _rolling_out(env, 2))
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 130
    code, out, err = env.deploy("v2")
    assert code == 0, err
    assert "already deploys" in out
    assert f"deployed: the service already ran {env.image('v2')} and it is healthy" in out
    assert env.revision() == 2


def test_a_deployment_in_progress_of_another_image_is_refused(env):
    current = env.task_definition()
    web = {**current["containerDefinitions"][0], "image": env.image("v3")}
    keep = (
        "family",
        "networkMode",
        "requiresCompatibilities",
        "executionRoleArn",
        "taskRoleArn",
        "cpu",
        "memory",
    )
    other = env.aws("ecs").register_task_definition(
        **{k: current[k] for k in keep}, containerDefinitions=[web]
    )
    env.fault(next_deployment_seconds=6.0)
    arn = other["taskDefinition"]["taskDefinitionArn"]
    env.aws("ecs").update_service(cluster=env.cluster_arn, service=env.service_arn, taskDefinition=arn)
    code, _, err = env.deploy("v2")
    assert code == 1
    assert "refused: deployment ecs-svc/" in err and "of cora-test-web:2 is in progress on the service" in err
    assert env.service()["taskDefinition"] == arn


def test_a_rollback_never_undoes_a_newer_deploy(env):
    ecs_client = env.aws("ecs")

    def probe(url: str) -> str | None:
        if env.running_image() == env.image("v2"):  # someone deploys v3 outside any lock
            current = env.task_definition()
            web = {**current["containerDefinitions"][0], "image": env.image("v3")}
            keep = ("family", "networkMode", "requiresCompatibilities", "executionRoleArn", "cpu", "memory")
            arn = ecs_client.register_task_definition(
                **{k: current[k] for k in keep}, containerDefinitions=[web]
            )["taskDefinition"]["taskDefinitionArn"]
            ecs_client.update_service(cluster=env.cluster_arn, service=env.service_arn, taskDefinition=arn)
        return "HTTP 503"

    with pytest.raises(DeployFailedError) as failed:
        deploy_ecs(env.clients(), _request(env, "v2", probe=probe), env.target())
    message = str(failed.value)
    assert f"deploy of {env.image('v2')} failed: health check GET" in message
    assert "NOT rolled back: the service now runs cora-test-web:3, not cora-test-web:2" in message
    assert env.running_image() == env.image("v3")


def test_a_saved_revision_terraform_deregistered_is_registered_again_for_the_rollback(env):
    deregistered: list[str] = []

    def probe(url: str) -> str | None:
        if not deregistered:  # Terraform replaced the revision meanwhile: the old one is INACTIVE
            env.aws("ecs").deregister_task_definition(taskDefinition="cora-test-web:1")
            deregistered.append("cora-test-web:1")
            return "HTTP 503"
        return None

    lines: list[str] = []
    request = _request(env, "v2", probe=probe, say=lines.append)
    with pytest.raises(DeployFailedError) as failed:
        deploy_ecs(env.clients(), request, env.target())
    assert str(failed.value).endswith(f"rolled back to {env.image('v1')} (cora-test-web:3), which is healthy")
    assert any(line.startswith("register: cora-test-web:3 = cora-test-web:1 with image") for line in lines)
    assert env.running_image() == env.image("v1")


def test_without_a_url_to_check_nothing_is_deployed(env):
    with pytest.raises(BadInputError, match="no URL to check the service's health at"):
        deploy_ecs(env.clients(), _request(env, "v2", health_url=None, app_url=None), env.target())
    assert env.revision() == 1 and env.lock_holder() is None
