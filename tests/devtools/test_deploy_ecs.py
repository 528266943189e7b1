"""``cora-infra deploy-app`` on ECS against the emulators (moto with :mod:`devtools.ecs`): success, a
failed rollout the circuit breaker rolls back, an unhealthy image rolled back, a timeout, a checked
re-run, the base revision, the lock. Every AWS call the tool makes here must be allowed by the ECS
deploy-app policy (the ``env`` fixture)."""

from __future__ import annotations

import math
import threading
import time

from devtools.ecs.environment import EcsEnvironment


def _healthy_marks(env: EcsEnvironment, tag: str) -> list[str]:
    details = env.aws("ecr").describe_images(repositoryName="cora-test-web", imageIds=[{"imageTag": tag}])
    return [t for t in details["imageDetails"][0]["imageTags"] if t.startswith("cora-healthy-")]


def test_success_registers_a_revision_differing_only_in_the_image(env):
    before = env.task_definition()
    code, out, err = env.deploy("v2")
    assert (code, err) == (0, "")
    after = env.task_definition()
    assert after["revision"] == before["revision"] + 1
    assert env.running_image() == env.image("v2")
    for key in ("cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn", "taskRoleArn"):
        assert after[key] == before[key], key
    assert after["runtimePlatform"] == before["runtimePlatform"]
    web_before, web_after = before["containerDefinitions"][0], after["containerDefinitions"][0]
    assert {**web_before, "image": env.image("v2")} == web_after
    tags = env.aws("ecs").describe_task_definition(
        taskDefinition=after["taskDefinitionArn"], include=["TAGS"]
    )
    assert tags["tags"] == [{"key": "project", "value": "cora"}]
    deployments = env.service()["deployments"]
    assert [(d["status"], d["rolloutState"]) for d in deployments] == [("PRIMARY", "COMPLETED")]
    assert f"deploy: {env.image('v1')} -> {env.image('v2')} (service on cora-test-web:1)" in out
    assert "register: cora-test-web:2 = cora-test-web:1 with image" in out
    assert "wait: deployment ecs-svc/" in out and ": IN_PROGRESS, 0/2 tasks running" in out
    assert f"health: GET {env.health_url}: ok" in out
    assert f"deployed: the service runs {env.image('v2')} (cora-test-web:2) and it is healthy" in out
    assert len(_healthy_marks(env, "v2")) == 1
    assert "lock: taken" in out and "lock: released" in out and env.lock_holder() is None


def test_a_rerun_of_the_running_tag_registers_nothing_and_checks_health(env):
    assert env.deploy("v2")[0] == 0
    revision = env.revision()
    code, out, _ = env.deploy("v2")
    assert code == 0
    assert f"check: the service already runs {env.image('v2')} (cora-test-web:{revision})" in out
    assert f"health: GET {env.health_url}: ok" in out
    assert env.revision() == revision
    assert (
        env.aws("ecs").describe_task_definition(taskDefinition="cora-test-web")["taskDefinition"]["revision"]
        == revision
    )  # no revision registered
    assert len(_healthy_marks(env, "v2")) == 1


def test_a_failed_rollout_quotes_the_circuit_breaker_and_the_stopped_tasks(env):
    env.fault(fail_next_deployment="CannotPullContainerError: pull image manifest has been retried 5 times")
    code, out, err = env.deploy("v2")
    assert code == 1
    assert "ended FAILED; ECS says: ECS deployment circuit breaker: tasks failed to start; stopped" in err
    assert (
        "stopped tasks: 3 task(s): Essential container in task exited; container web: "
        "CannotPullContainerError: pull image manifest has been retried 5 times, exit code 1" in err
    )
    assert "its last log lines: Error: CannotPullContainerError" in err
    assert "rolled back by ECS's deployment circuit breaker to " in err
    assert f"{env.image('v1')} (cora-test-web:1), which is healthy" in err
    assert env.running_image() == env.image("v1") and env.revision() == 1
    assert f"rolling back to cora-test-web:1 ({env.image('v1')})" in out
    assert env.lock_holder() is None
    operations = {call.operation for call in env.recorder.calls}
    assert {
        "RegisterTaskDefinition",
        "UpdateService",
        "ListTasks",
        "DescribeTasks",
        "GetLogEvents",
    } <= operations


def test_an_unhealthy_image_is_rolled_back_to_the_saved_revision(env):
    env.fault(unhealthy_image=env.image("v2"))
    code, out, err = env.deploy("v2")
    assert code == 1
    assert f"health check GET {env.health_url} failed: HTTP 503" in err
    assert err.rstrip().endswith(f"rolled back to {env.image('v1')} (cora-test-web:1), which is healthy")
    assert env.service()["taskDefinition"].endswith(":1")
    assert "(attempt 3/3)" in out
    assert _healthy_marks(env, "v2") == []


def test_a_deployment_that_never_finishes_times_out_and_is_replaced_by_the_saved_revision(env):
    env.fault(next_deployment_seconds=math.inf)
    code, out, err = env.deploy("v2", "--timeout", "0.5")
    assert ": IN_PROGRESS, 0/2 tasks running" in out
    assert code == 1
    assert "did not finish within 0.5 s (timeout)" in err
    assert f"rolled back to {env.image('v1')} (cora-test-web:1), which is healthy" in err
    service = env.service()
    assert service["taskDefinition"].endswith(":1")
    assert [(d["status"], d["rolloutState"]) for d in service["deployments"]] == [("PRIMARY", "COMPLETED")]


def test_a_newer_revision_terraform_registered_is_the_base_and_says_so(env):
    current = env.task_definition()
    changed = {
        k: current[k] for k in ("family", "networkMode", "requiresCompatibilities", "executionRoleArn")
    }
    web = {**current["containerDefinitions"][0]}
    web["environment"] = [*web["environment"], {"name": "FEATURE_X", "value": "on"}]
    env.aws("ecs").register_task_definition(
        **changed, taskRoleArn=current["taskRoleArn"], cpu="512", memory="1024", containerDefinitions=[web]
    )
    code, out, err = env.deploy("v2")
    assert code == 0, err
    assert (
        "base: cora-test-web:2, newer than the service's cora-test-web:1 (registered after a config change)"
        in out
    )
    deployed = env.task_definition()
    assert deployed["revision"] == 3 and (deployed["cpu"], deployed["memory"]) == ("512", "1024")
    assert {"name": "FEATURE_X", "value": "on"} in deployed["containerDefinitions"][0]["environment"]
    assert env.running_image() == env.image("v2")


def test_a_newer_revision_rolls_out_even_with_the_running_tag(env):
    current = env.task_definition()
    keep = ("family", "networkMode", "requiresCompatibilities", "executionRoleArn", "taskRoleArn", "memory")
    env.aws("ecs").register_task_definition(
        **{k: current[k] for k in keep}, cpu="512", containerDefinitions=current["containerDefinitions"]
    )
    code, out, _ = env.deploy("v1")
    assert code == 0
    assert "base: cora-test-web:2" in out and "check: the service already runs" not in out
    assert env.revision() == 3 and env.task_definition()["cpu"] == "512"


def test_an_image_only_revision_left_by_a_failed_deploy_is_not_called_a_config_change(env):
    env.fault(fail_next_deployment=True)
    assert env.deploy("v2")[0] == 1  # cora-test-web:2 (v2) failed; the service runs :1 again
    code, out, err = env.deploy("v3")
    assert code == 0, err
    assert "base:" not in out
    assert "register: cora-test-web:3 = cora-test-web:1 with image" in out


def test_a_second_run_is_refused_by_the_lock(env):
    # The first run's rollout lasts long enough that the second one meets its lock on a loaded machine.
    env.fault(next_deployment_seconds=5.0)
    first: list[tuple[int, str, str]] = []
    thread = threading.Thread(target=lambda: first.append(env.deploy("v2")))
    thread.start()
    deadline = time.monotonic() + 10
    while env.lock_holder() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    code, _, err = env.deploy("v3")
    thread.join(timeout=30)
    assert code == 1
    assert "refused: the environment is locked by cora-infra deploy-app" in err
    assert first[0][0] == 0, first[0][2]
    assert env.running_image() == env.image("v2")


def test_a_secret_without_value_is_refused_before_anything_changes(env):
    env.aws("secretsmanager").delete_secret(SecretId=env.secret_arn, RecoveryWindowInDays=7)
    code, _, err = env.deploy("v2")
    assert code == 1
    assert "refused: ECS reads the task definition's secrets when it starts each task" in err
    assert f"web.NEXTAUTH_SECRET ({env.secret_arn}) is scheduled for deletion" in err
    assert env.revision() == 1
    env.aws("secretsmanager").restore_secret(SecretId=env.secret_arn)


def test_a_rollback_target_gone_from_ecr_is_refused(env):
    env.aws("ecr").batch_delete_image(repositoryName="cora-test-web", imageIds=[{"imageTag": "v1"}])
    code, _, err = env.deploy("v2")
    assert code == 2
    assert f"refused: the image the service runs, {env.image('v1')}, is no longer in ECR" in err
    assert env.revision() == 1


def test_the_health_check_defaults_to_the_published_app_url(env):
    code, out, err = env.deploy("v2", "--timeout", "5", health=False)
    assert code == 1  # the ALB name is not resolvable here: no answer, rolled back
    assert "health: GET http://cora-test-alb-123.us-east-1.elb.amazonaws.com/api/health: no answer" in out
    assert env.revision() == 1
    assert "rolled back to" in err and "but its health check GET http://cora-test-alb-123" in err


def test_missing_ecs_parameters_are_named(env, aws):
    aws("ssm").delete_parameters(Names=["/cora/test/CLUSTER_ARN", "/cora/test/TASK_FAMILY"])
    code, _, err = env.deploy("v2")
    assert code == 2
    assert "missing SSM parameter(s) /cora/test/CLUSTER_ARN, /cora/test/TASK_FAMILY" in err


def test_an_unknown_compute_is_bad_input(env, aws):
    aws("ssm").put_parameter(Name="/cora/test/COMPUTE", Value="lambda", Type="String", Overwrite=True)
    code, _, err = env.deploy("v2")
    assert code == 2
    assert "COMPUTE 'lambda': this cora-infra deploys 'apprunner' or 'ecs'" in err


def test_every_registrable_field_of_botocores_model_is_copied():
    import botocore.session

    from constructs_lib.deploy.ecs_tasks import REGISTRABLE_FIELDS

    model = botocore.session.get_session().get_service_model("ecs")
    inputs = set(model.operation_model("RegisterTaskDefinition").input_shape.members)
    described = set(model.shape_for("TaskDefinition").members)
    assert set(REGISTRABLE_FIELDS) == inputs & described  # tags come beside it, with include=["TAGS"]
