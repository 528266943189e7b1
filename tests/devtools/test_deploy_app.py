"""``cora-infra deploy-app`` against the emulators: success, the emulator's rollback with its cause, an
unhealthy image, a timeout, a checked re-run, a missing image and missing parameters. Every AWS call
the tool makes here is checked against the stack's deploy-app policy (the ``deployed`` fixture)."""

from __future__ import annotations

import time

from constructs_lib.deploy.images import HEALTHY_TAG_PREFIX


def _tags(deployed, tag):
    ecr = deployed.aws("ecr")
    details = ecr.describe_images(repositoryName="cora-test-web", imageIds=[{"imageTag": tag}])[
        "imageDetails"
    ]
    return sorted(details[0]["imageTags"])


def test_success_updates_only_the_image_checks_health_and_marks_it(deployed):
    before = deployed.service()["SourceConfiguration"]
    code, out, err = deployed.deploy("v2")
    assert (code, err) == (0, "")
    assert deployed.running_image() == deployed.image("v2")
    assert deployed.operations()[0] == ("UPDATE_SERVICE", "SUCCEEDED")
    # The whole SourceConfiguration went back unchanged but for the image.
    after = deployed.service()["SourceConfiguration"]
    before["ImageRepository"]["ImageIdentifier"] = deployed.image("v2")
    assert after == before
    assert f"deploy: {deployed.image('v1')} -> {deployed.image('v2')}" in out
    assert "wait: operation " in out  # the progress line
    assert f"health: GET {deployed.health_url}: ok" in out
    assert f"deployed: the service runs {deployed.image('v2')} and it is healthy" in out
    marks = [t for t in _tags(deployed, "v2") if t.startswith(HEALTHY_TAG_PREFIX)]
    assert len(marks) == 1, _tags(deployed, "v2")
    assert "lock: taken" in out and "lock: released" in out
    assert deployed.lock_holder() is None


def test_rerun_of_the_running_tag_checks_health_before_saying_so(deployed):
    assert deployed.deploy("v2")[0] == 0
    operations = len(deployed.operations())
    code, out, _ = deployed.deploy("v2")
    assert code == 0
    assert f"check: the service already runs {deployed.image('v2')} (RUNNING); checking its health" in out
    assert f"health: GET {deployed.health_url}: ok" in out
    assert len(deployed.operations()) == operations  # no UpdateService
    # Already the newest mark: a healthy re-run adds none.
    assert len([t for t in _tags(deployed, "v2") if t.startswith(HEALTHY_TAG_PREFIX)]) == 1


def test_a_rerun_whose_running_image_is_unhealthy_fails_and_rolls_back_to_the_last_healthy(deployed):
    assert deployed.deploy("v1")[0] == 0  # v1 runs and is checked healthy: marked
    assert deployed.deploy("v2")[0] == 0
    deployed.fault(unhealthy_image=deployed.image("v2"))
    code, _, err = deployed.deploy("v2")
    assert code == 1
    assert f"the service runs {deployed.image('v2')} but its health check GET {deployed.health_url}" in err
    assert f"rolled back to {deployed.image('v1')}, which is healthy" in err
    assert deployed.running_image() == deployed.image("v1")


def test_a_rerun_that_finds_no_healthy_image_exits_non_zero_saying_so(deployed):
    code, _, err = deployed.deploy("v1", "--health-url", deployed.missing_health_url)
    assert code == 1
    assert "HTTP 404" in err
    assert "NOT rolled back: no other image of" in err
    assert "marked as having run healthy" in err
    assert deployed.running_image() == deployed.image("v1")


def test_a_deployment_app_runner_rolls_back_fails_naming_its_cause(deployed):
    deployed.fault(fail_next_deployment=True)
    code, out, err = deployed.deploy("v2")
    assert code == 1
    assert deployed.running_image() == deployed.image("v1")
    assert deployed.service()["Status"] == "RUNNING"
    assert "ended ROLLBACK_SUCCEEDED" in err
    # App Runner's own words, from the service's event log.
    assert "App Runner says: [AppRunner] Deployment with ID : " in err
    assert "Failure reason : injected fault: the new deployment failed its health check" in err
    assert f"deploy of {deployed.image('v2')} failed" in err
    assert f"rolled back: App Runner kept {deployed.image('v1')} running" in err
    assert f"rolling back to {deployed.image('v1')}" in out


def test_a_secret_scheduled_for_deletion_is_refused_before_deploying(deployed):
    deployed.aws("secretsmanager").delete_secret(SecretId=deployed.secret_arn, RecoveryWindowInDays=7)
    code, _, err = deployed.deploy("v2")
    assert code == 1
    assert "refused: App Runner reads the service's secrets when it deploys" in err
    assert f"NEXTAUTH_SECRET ({deployed.secret_arn}) is scheduled for deletion" in err
    assert "aws secretsmanager restore-secret --secret-id cora/test/NEXTAUTH_SECRET" in err
    assert [op[0] for op in deployed.operations()] == ["CREATE_SERVICE"]
    deployed.aws("secretsmanager").restore_secret(SecretId=deployed.secret_arn)


def test_an_unhealthy_image_is_rolled_back_with_update_service(deployed):
    deployed.fault(unhealthy_image=deployed.image("v2"))
    code, out, err = deployed.deploy("v2")
    assert code == 1
    assert f"health check GET {deployed.health_url} failed: HTTP 503" in err
    assert err.rstrip().endswith(f"rolled back to {deployed.image('v1')}, which is healthy")
    assert deployed.running_image() == deployed.image("v1")
    # Ours: the update to v2 succeeded, then the rollback update to v1.
    assert deployed.operations()[:2] == [("UPDATE_SERVICE", "SUCCEEDED"), ("UPDATE_SERVICE", "SUCCEEDED")]
    assert "(attempt 3/3)" in out


def test_a_timeout_waits_for_the_operation_then_rolls_back(deployed):
    # Wide margins: on a loaded machine the tool's first look may come late; it must still be within
    # the timeout (2 s) and long before the operation ends (3.5 s), and the second wait covers the rest.
    deployed.fault(next_deployment_seconds=3.5)
    started = time.monotonic()
    code, _, err = deployed.deploy("v2", "--timeout", "2")
    assert code == 1
    assert "did not finish within 2 s (timeout)" in err
    assert f"rolled back to {deployed.image('v1')}" in err
    assert deployed.running_image() == deployed.image("v1")
    assert time.monotonic() - started >= 3.5  # it waited for the timed-out operation before rolling back


def test_an_operation_still_running_after_a_second_timeout_is_reported_not_rolled_back(deployed):
    deployed.fault(next_deployment_seconds=2.0)
    code, _, err = deployed.deploy("v2", "--timeout", "0.3")
    assert code == 1
    assert "did not finish within 0.3 s (timeout)" in err
    assert (
        f"NOT rolled back: the service is still OPERATION_IN_PROGRESS; roll back to {deployed.image('v1')}"
        in err
    )


def test_a_missing_image_changes_nothing(deployed):
    code, _, err = deployed.deploy("v9")
    assert code == 2
    assert f"image {deployed.image('v9')} is not in ECR" in err
    assert deployed.running_image() == deployed.image("v1")
    assert [op[0] for op in deployed.operations()] == ["CREATE_SERVICE"]


def test_missing_parameters_are_named(deployed, aws):
    aws("ssm").delete_parameters(
        Names=["/cora/test/SERVICE_ARN", "/cora/test/APP_URL", "/cora/test/STATE_LOCK"]
    )
    code, _, err = deployed.deploy("v2", health=False)
    assert code == 2
    assert "missing SSM parameter(s) /cora/test/APP_URL, /cora/test/SERVICE_ARN, /cora/test/STATE_LOCK" in err
    assert [op[0] for op in deployed.operations()] == ["CREATE_SERVICE"]
