"""The emulated ECS deployments (:mod:`devtools.ecs`) behave as ECS does where the deploy tool can tell:
rollouts, the circuit breaker and its rollback, stopped tasks with reasons, inactive revisions, the
newest ACTIVE revision of a family, and the health URL behind the load balancer."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devtools import ecs
from devtools.ecs.environment import EcsEnvironment, ecs_environment
from devtools.emulators import ACCOUNT_ID, Emulators


@pytest.fixture(scope="module")
def health(emulators: Emulators) -> Iterator[ecs.HealthServer]:
    ecs.install(deployment_seconds=0.1)
    with ecs.HealthServer(account=ACCOUNT_ID, region=emulators.region) as server:
        yield server
    ecs.uninstall()


@pytest.fixture
def env(emulators: Emulators, aws: Any, health: ecs.HealthServer) -> EcsEnvironment:
    return ecs_environment(emulators, aws, health.health_url)


def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _states(env: EcsEnvironment) -> list[tuple[str, str]]:
    return [(d["status"], d["rolloutState"]) for d in env.service()["deployments"]]


def _revision(env: EcsEnvironment, tag: str) -> str:
    current = env.task_definition()
    web = {**current["containerDefinitions"][0], "image": env.image(tag)}
    keep = (
        "family",
        "networkMode",
        "requiresCompatibilities",
        "executionRoleArn",
        "taskRoleArn",
        "cpu",
        "memory",
    )
    registered = env.aws("ecs").register_task_definition(
        **{k: current[k] for k in keep}, containerDefinitions=[web]
    )
    return str(registered["taskDefinition"]["taskDefinitionArn"])


def _update(env: EcsEnvironment, arn: str) -> str:
    service = env.aws("ecs").update_service(
        cluster=env.cluster_arn, service=env.service_arn, taskDefinition=arn
    )
    return str(service["service"]["deployments"][0]["id"])


def _tasks(env: EcsEnvironment, status: str) -> list[dict[str, Any]]:
    client = env.aws("ecs")
    arns = client.list_tasks(cluster=env.cluster_arn, desiredStatus=status)["taskArns"]
    return client.describe_tasks(cluster=env.cluster_arn, tasks=arns)["tasks"] if arns else []


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_new_service_runs_its_tasks_with_one_completed_deployment(env):
    service = env.service()
    assert _states(env) == [("PRIMARY", "COMPLETED")]
    assert service["runningCount"] == 2
    running = _tasks(env, "RUNNING")
    assert len(running) == 2 and {t["startedBy"] for t in running} == {service["deployments"][0]["id"]}
    assert {t["lastStatus"] for t in _tasks(env, "RUNNING")} == {"RUNNING"}  # describing does not stop them
    assert service["serviceArn"].endswith(":service/cora-test/cora-test-web")
    assert all(t["taskArn"].split(":task/")[1].startswith("cora-test/") for t in running)


def test_an_update_rolls_out_then_completes_and_the_old_tasks_stop(env):
    env.fault(next_deployment_seconds=3.0)  # still rolling out when described, on a loaded machine too
    deployment = _update(env, _revision(env, "v2"))
    assert _states(env) == [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")]
    _wait_for(lambda: _states(env) == [("PRIMARY", "COMPLETED")])
    assert env.service()["deployments"][0]["id"] == deployment
    assert env.running_image() == env.image("v2")
    stopped = _tasks(env, "STOPPED")
    assert len(stopped) == 2
    assert {t["stoppedReason"] for t in stopped} == {
        f"Scaling activity initiated by (deployment {deployment})"
    }
    assert {t["startedBy"] for t in _tasks(env, "RUNNING")} == {deployment}


def test_a_failed_rollout_trips_the_circuit_breaker_which_rolls_back(env):
    env.fault(fail_next_deployment="exec format error")
    failed = _update(env, _revision(env, "v2"))
    _wait_for(lambda: any(d["rolloutState"] == "FAILED" for d in env.service()["deployments"]))
    deployments = env.service()["deployments"]
    rollback, broken = deployments[0], deployments[1]
    assert (broken["id"], broken["status"], broken["failedTasks"]) == (failed, "ACTIVE", 3)  # min 3
    assert broken["rolloutStateReason"] == ecs.CIRCUIT_BREAKER_REASON
    assert rollback["status"] == "PRIMARY" and rollback["taskDefinition"].endswith(":1")
    assert (
        rollback["rolloutStateReason"]
        == "ECS deployment detected failure. Rolling back to task definition cora-test-web:1."
    )
    assert env.service()["taskDefinition"].endswith(":1")
    stopped = [t for t in _tasks(env, "STOPPED") if t["taskDefinitionArn"].endswith(":2")]
    assert len(stopped) == 3
    assert {t["stoppedReason"] for t in stopped} == {"Essential container in task exited"}
    assert {(c["reason"], c["exitCode"]) for t in stopped for c in t["containers"]} == {
        ("exec format error", 1)
    }
    stream = f"app/web/{stopped[0]['taskArn'].rsplit('/', 1)[-1]}"
    events = env.aws("logs").get_log_events(logGroupName="/ecs/cora-test-web", logStreamName=stream)["events"]
    assert [e["message"] for e in events] == ["Error: exec format error"]
    _wait_for(lambda: _states(env) == [("PRIMARY", "COMPLETED")])
    messages = [e["message"] for e in env.service()["events"]]
    assert any("deployment failed: tasks failed to start" in m for m in messages)


def test_the_circuit_breaker_threshold_is_half_the_desired_count_and_without_rollback_the_failure_stays(env):
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    env.aws("ecs").update_service(
        cluster=env.cluster_arn, service=env.service_arn, desiredCount=10, deploymentConfiguration=breaker
    )
    env.fault(fail_next_deployment=True)
    _update(env, _revision(env, "v2"))
    _wait_for(lambda: env.service()["deployments"][0]["rolloutState"] == "FAILED")
    primary = env.service()["deployments"][0]
    assert (primary["status"], primary["failedTasks"]) == ("PRIMARY", 5)
    assert env.service()["taskDefinition"].endswith(":2")


def test_a_deployment_can_be_made_to_never_finish_and_a_newer_one_replaces_it(env):
    env.fault(next_deployment_seconds=math.inf)
    stuck = _update(env, _revision(env, "v2"))
    time.sleep(0.3)
    assert env.service()["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    _update(env, env.service()["deployments"][1]["taskDefinition"])
    _wait_for(lambda: _states(env) == [("PRIMARY", "COMPLETED")])
    assert stuck not in {d["id"] for d in env.service()["deployments"]}
    assert env.service()["taskDefinition"].endswith(":1")


def test_an_inactive_revision_is_refused_and_a_family_names_its_newest_active_revision(env):
    newer = _revision(env, "v2")
    client = env.aws("ecs")
    client.deregister_task_definition(taskDefinition=newer)
    with pytest.raises(client.exceptions.ClientException, match="TaskDefinition is inactive"):
        _update(env, newer)
    assert client.describe_task_definition(taskDefinition="cora-test-web")["taskDefinition"]["revision"] == 1


def test_the_health_url_answers_for_the_image_the_tasks_serve(env, health):
    assert _get(env.health_url) == (200, {"status": "ok", "image": env.image("v1")})
    env.fault(unhealthy_image=env.image("v2"), next_deployment_seconds=0.5)
    _update(env, _revision(env, "v2"))
    assert _get(env.health_url)[0] == 200  # the old tasks serve while the new ones start
    _wait_for(lambda: _states(env) == [("PRIMARY", "COMPLETED")])
    assert _get(env.health_url) == (503, {"status": "unhealthy", "image": env.image("v2")})
    assert _get(f"{health.url}/_health/cora-test/nothing")[0] == 404
    assert _get(f"{health.url}/elsewhere")[0] == 404


def test_faults_are_checked():
    with pytest.raises(ValueError, match="must not be negative"):
        ecs.inject_faults("arn:aws:ecs:us-east-1:123456789012:service/c/s", next_deployment_seconds=-1)


def test_uninstall_restores_moto(env):
    ecs.uninstall()
    try:
        assert not ecs.installed()
        _update(env, _revision(env, "v2"))  # moto's own: the one deployment is left as it was
        assert _states(env) == [("PRIMARY", "COMPLETED")]
    finally:
        ecs.install()
