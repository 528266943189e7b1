"""What makes a deploy report only what it checked, on the emulators: an interrupt and a re-run, two
runs at once under the environment's lock, a rollback that must not undo a newer deploy, a custom
domain still pending, a rollback target gone from ECR, and App Runner refusing the rollback."""

from __future__ import annotations

import dataclasses
import json
import signal
import threading
import time
from typing import Any

import pytest

from constructs_lib.deploy import Clients, DeployRequest, deploy_app
from constructs_lib.deploy.errors import BadInputError, DeployFailedError
from tests.devtools.deploy_helpers import LOCK_KEY, STATE_BUCKET, Deployed, wait_until_running


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _request(deployed: Deployed, tag: str, **options: Any) -> DeployRequest:
    lines: list[str] = options.pop("lines", [])
    defaults: dict[str, Any] = {
        "repository_url": deployed.repository_url,
        "service_arn": deployed.service_arn,
        "tag": tag,
        "app_url": None,
        "lock_url": f"s3://{STATE_BUCKET}/{LOCK_KEY}",
        "lock_timeout": 0.0,
        "lock_owner": "test@host",
        "poll_interval": 0.05,
        "say": lines.append,
    }
    return DeployRequest(**{**defaults, **options})


# -- interrupted, then run again ---------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_names_the_operation_in_flight_and_exits_130_without_a_traceback(deployed, sig):
    # Long enough that the operation is still going when the signal lands, however slowly the deploy
    # process starts on a loaded machine.
    deployed.fault(next_deployment_seconds=8.0)
    process = deployed.start_deploy("v2")
    _wait_for(lambda: deployed.service()["Status"] == "OPERATION_IN_PROGRESS")
    _wait_for(lambda: deployed.lock_holder() is not None)
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    operation = deployed.aws("apprunner").list_operations(ServiceArn=deployed.service_arn)[
        "OperationSummaryList"
    ][0]["Id"]
    assert f"interrupted ({sig.name}): App Runner operation {operation} goes on; it is not cancelled" in err
    assert f"aws apprunner list-operations --service-arn {deployed.service_arn}" in err
    assert "the same deploy: cora-infra deploy-app --env test --project cora --tag v2" in err
    assert deployed.lock_holder() is None, "the lock was given back"
    assert "lock: released" in out


def test_a_rerun_after_an_interrupt_waits_then_health_checks_and_rolls_back_to_the_last_healthy(deployed):
    assert deployed.deploy("v1")[0] == 0  # v1 is checked healthy and marked
    deployed.fault(next_deployment_seconds=8.0)
    process = deployed.start_deploy("v2")
    _wait_for(lambda: deployed.service()["Status"] == "OPERATION_IN_PROGRESS")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    # The CI job is re-run: the operation may still be going; the app answers 404 at its health URL.
    code, out, err = deployed.deploy("v2", "--health-url", deployed.missing_health_url)
    assert code == 1, out + err
    assert "already deploys" in out  # it waited for the interrupted run's operation
    assert "HTTP 404" in err
    assert f"rolled back to {deployed.image('v1')}" in err
    assert deployed.running_image() == deployed.image("v1")


# -- two runs at once ---------------------------------------------------------------------------------
def test_a_second_run_is_refused_by_the_lock_naming_who_holds_it_and_since_when(deployed):
    deployed.fault(next_deployment_seconds=5.0)
    first: list[tuple[int, str, str]] = []
    thread = threading.Thread(target=lambda: first.append(deployed.deploy("v2")))
    thread.start()
    _wait_for(lambda: deployed.lock_holder() is not None)
    holder = deployed.lock_holder()
    code, _, err = deployed.deploy("v3")
    thread.join(timeout=30)
    assert code == 1
    assert "refused: the environment is locked by cora-infra deploy-app" in err
    assert f"deploy {deployed.image('v2')}" in err
    assert holder is not None and f"since {holder['Created']}" in err and holder["ID"] in err
    assert f"terraform force-unlock {holder['ID']}" in err
    assert first[0][0] == 0, first[0][2]
    assert deployed.running_image() == deployed.image("v2")
    assert [op for op in deployed.operations() if op[0] == "UPDATE_SERVICE"] == [
        ("UPDATE_SERVICE", "SUCCEEDED")
    ]


def test_terraforms_own_lock_holds_a_deploy_back(deployed):
    # What `terraform apply` writes with use_lockfile (statemgr.LockInfo).
    terraform_lock = {
        "ID": "5c1e3a4e-0000-4000-8000-000000000001",
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": "runner@fv-az123",
        "Version": "1.11.4",
        "Created": "2026-12-07T10:00:00.123456Z",
        "Path": f"{STATE_BUCKET}/{LOCK_KEY}",
    }
    s3 = deployed.aws("s3")
    s3.put_object(Bucket=STATE_BUCKET, Key=LOCK_KEY, Body=json.dumps(terraform_lock).encode())
    code, _, err = deployed.deploy("v2")
    assert code == 1
    assert "locked by terraform apply by runner@fv-az123 since 2026-12-07T10:00:00.123456Z" in err
    assert deployed.running_image() == deployed.image("v1")
    assert deployed.lock_holder() == terraform_lock, "someone else's lock is never removed"
    s3.delete_object(Bucket=STATE_BUCKET, Key=LOCK_KEY)


def test_a_run_waits_for_the_lock_within_its_lock_timeout(deployed):
    deployed.fault(next_deployment_seconds=3.0)
    first: list[tuple[int, str, str]] = []
    thread = threading.Thread(target=lambda: first.append(deployed.deploy("v2")))
    thread.start()
    _wait_for(lambda: deployed.lock_holder() is not None)
    code, out, err = deployed.deploy("v3", "--lock-timeout", "30")
    thread.join(timeout=30)
    assert (first[0][0], code) == (0, 0), err
    assert "lock: held by cora-infra deploy-app" in out and "waiting up to 30 s" in out
    assert deployed.running_image() == deployed.image("v3")


def test_two_runs_at_once_a_failing_one_rolls_back_before_the_other_deploys(deployed):
    """The race of the issue: A's health check fails after its operation ended; B (v3) must not deploy
    in between, or A's rollback would overwrite v3. B waits for the lock until A has rolled back."""
    deployed.fault(unhealthy_image=deployed.image("v2"))
    first: list[tuple[int, str, str]] = []
    thread = threading.Thread(target=lambda: first.append(deployed.deploy("v2")))
    thread.start()
    _wait_for(lambda: deployed.lock_holder() is not None)
    code, out, err = deployed.deploy("v3", "--lock-timeout", "60")
    thread.join(timeout=60)
    assert first[0][0] == 1 and f"rolled back to {deployed.image('v1')}" in first[0][2]
    assert code == 0, err
    assert "lock: held by cora-infra deploy-app" in out
    assert deployed.running_image() == deployed.image("v3")
    updates = [op for op in deployed.operations() if op[0] == "UPDATE_SERVICE"]
    assert len(updates) == 3  # A's deploy, A's rollback, then B's deploy (newest first)


def test_a_rollback_never_undoes_a_newer_deploy(deployed):
    """Run A's health check fails after B (outside any lock) deployed v3: A must leave v3 alone."""
    apprunner = deployed.aws("apprunner")

    def probe(url: str) -> str | None:
        if deployed.running_image() == deployed.image("v2"):
            source = deployed.service()["SourceConfiguration"]
            source["ImageRepository"]["ImageIdentifier"] = deployed.image("v3")
            apprunner.update_service(ServiceArn=deployed.service_arn, SourceConfiguration=source)
            wait_until_running(deployed)
        return "HTTP 503"

    request = _request(deployed, "v2", health_url=deployed.health_url, probe=probe, health_attempts=1)
    with pytest.raises(DeployFailedError) as failed:
        deploy_app(deployed.clients(), request)
    message = str(failed.value)
    assert f"deploy of {deployed.image('v2')} failed: health check GET" in message
    assert (
        f"NOT rolled back: the service now runs {deployed.image('v3')}, not {deployed.image('v2')}" in message
    )
    assert deployed.running_image() == deployed.image("v3")


# -- the custom domain --------------------------------------------------------------------------------
def test_a_pending_custom_domain_is_not_probed_until_app_runner_says_active(deployed, aws):
    service = deployed.service()
    own = f"https://{service['ServiceUrl']}/api/health"
    domain = "app.test.cora.example.com"
    associated = aws("apprunner").associate_custom_domain(
        ServiceArn=deployed.service_arn, DomainName=domain, EnableWWWSubdomain=False
    )
    probed: list[str] = []

    def probe(url: str) -> str | None:
        probed.append(url)
        return None if url == own else "no answer (TLS: certificate not valid for the name)"

    lines: list[str] = []
    request = _request(deployed, "v2", app_url=f"https://{domain}", probe=probe, lines=lines)
    assert deploy_app(deployed.clients(), request).startswith("deployed:")
    assert probed == [own]
    assert any(f"health: {domain} is pending_certificate_dns_validation" in line for line in lines)

    # The validation records reach public DNS (the emulator's Route 53): the association turns active.
    zone = aws("route53").create_hosted_zone(Name="test.cora.example.com", CallerReference="t")["HostedZone"]
    changes = [
        {
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": record["Name"],
                "Type": "CNAME",
                "TTL": 300,
                "ResourceRecords": [{"Value": record["Value"]}],
            },
        }
        for record in associated["CustomDomain"]["CertificateValidationRecords"]
    ]
    aws("route53").change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={"Changes": changes})
    _wait_for(
        lambda: (
            aws("apprunner").describe_custom_domains(ServiceArn=deployed.service_arn)["CustomDomains"][0][
                "Status"
            ]
            == "active"
        )
    )
    probed.clear()
    request = _request(deployed, "v3", app_url=f"https://{domain}", probe=probe)
    with pytest.raises(DeployFailedError, match=f"GET https://{domain}/api/health failed: no answer"):
        deploy_app(deployed.clients(), request)
    assert probed[0] == own and f"https://{domain}/api/health" in probed


# -- the rollback target ------------------------------------------------------------------------------
def test_a_rollback_target_gone_from_ecr_is_refused_before_anything_changes(deployed, aws):
    aws("ecr").batch_delete_image(repositoryName="cora-test-web", imageIds=[{"imageTag": "v1"}])
    code, _, err = deployed.deploy("v2")
    assert code == 2
    assert f"refused: the image the service runs, {deployed.image('v1')}, is no longer in ECR" in err
    assert "--allow-no-rollback" in err
    assert [op[0] for op in deployed.operations()] == ["CREATE_SERVICE"]
    code, out, _ = deployed.deploy("v2", "--allow-no-rollback")
    assert code == 0
    assert f"warning: the image the service runs, {deployed.image('v1')}, is no longer in ECR" in out


class _Wrapped:
    """An App Runner client that behaves as ``inner`` but for the methods a subclass overrides."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _with_apprunner(deployed: Deployed, wrapper: type[_Wrapped]) -> Clients:
    clients = deployed.clients()
    return dataclasses.replace(clients, apprunner=wrapper(clients.apprunner))


class _RefusingRollback(_Wrapped):
    """An App Runner client whose second UpdateService (the rollback) is refused as busy."""

    def update_service(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 2:
            raise self.inner.exceptions.InvalidStateException(
                {"Error": {"Code": "InvalidStateException", "Message": "operation in progress"}},
                "UpdateService",
            )
        return self.inner.update_service(**kwargs)


def test_a_refused_rollback_keeps_the_original_failure_message(deployed):
    deployed.fault(unhealthy_image=deployed.image("v2"))
    request = _request(deployed, "v2", health_url=deployed.health_url, health_attempts=1)
    with pytest.raises(DeployFailedError) as failed:
        deploy_app(_with_apprunner(deployed, _RefusingRollback), request)
    message = str(failed.value)
    assert message.startswith(f"deploy of {deployed.image('v2')} failed: health check GET")
    assert "HTTP 503" in message
    assert f"NOT rolled back: App Runner refused the rollback to {deployed.image('v1')}" in message


class _LateListing(_Wrapped):
    """An App Runner client that lists a new operation only from its third ListOperations on."""

    def list_operations(self, **kwargs: Any) -> Any:
        self.calls += 1
        listed = self.inner.list_operations(**kwargs)
        if self.calls < 3:
            listed = {
                **listed,
                "OperationSummaryList": [
                    o for o in listed["OperationSummaryList"] if o["Type"] == "CREATE_SERVICE"
                ],
            }
        return listed


def test_an_operation_not_listed_yet_is_not_finished(deployed):
    lines: list[str] = []
    request = _request(deployed, "v2", health_url=deployed.health_url, lines=lines)
    deploy_app(_with_apprunner(deployed, _LateListing), request)
    waits = [line for line in lines if line.startswith("wait: operation")]
    assert "NOT_LISTED_YET" in waits[0]
    assert "SUCCEEDED" in waits[-1]


def test_bad_lock_urls_are_bad_input(deployed):
    with pytest.raises(BadInputError, match="STATE_LOCK 'https://x': expected s3://"):
        deploy_app(deployed.clients(), _request(deployed, "v2", lock_url="https://x"))
