"""App Runner emulator faults that real AWS has and a happy-path model hides: secrets without a value
fail the deployment, a freshly created role cannot be assumed yet, and ``StartDeployment`` redeploys
the configured image. The hooks are fakes here; ``test_emulators.py`` wires them to moto."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from devtools.apprunner_emulator import ApiError, AppRunnerBackend, AppRunnerEmulator
from tests.devtools.test_apprunner_emulator import (
    ACCESS_ROLE,
    INSTANCE_ROLE,
    PRIVATE_IMAGE,
    SECRET_ARN,
    Client,
    FakeClock,
    private_service_body,
    service_body,
)

Body = dict[str, Any]

EMPTY_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web/empty-XyZ123"
SSM_PARAMETER = "arn:aws:ssm:us-east-1:123456789012:parameter/web/api-key"
NEW_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:def456"
FRESH_ROLE = "arn:aws:iam::123456789012:role/web-fresh"


class FakeHook:
    """A secret or role check: the references in ``failing`` fail with a reason; calls are recorded."""

    def __init__(self, *failing: str) -> None:
        self.failing = set(failing)
        self.calls: list[str] = []

    def __call__(self, reference: str) -> str | None:
        self.calls.append(reference)
        return f"{reference} is not ready" if reference in self.failing else None


def with_secrets(body: Body, secrets: dict[str, str]) -> Body:
    """``body`` (a private service request) with these ``RuntimeEnvironmentSecrets``."""
    out = copy.deepcopy(body)
    image_config = out["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    image_config["RuntimeEnvironmentSecrets"] = secrets
    return out


class Api:
    """Calls the backend directly (no HTTP) with a hand-moved clock."""

    def __init__(
        self,
        *,
        secret_check: Callable[[str], str | None] | None = None,
        role_check: Callable[[str], str | None] | None = None,
    ) -> None:
        self.clock = FakeClock()
        self.backend = AppRunnerBackend(
            ready_delay=1.0, clock=self.clock, secret_check=secret_check, role_check=role_check
        )

    def ok(self, operation: str, body: Body) -> Body:
        return self.backend.handle(operation, body)

    def error(self, operation: str, body: Body) -> ApiError:
        with pytest.raises(ApiError) as caught:
            self.backend.handle(operation, body)
        return caught.value

    def settle(self) -> None:
        self.clock.advance(5)

    def describe(self, arn: str) -> Body:
        service: Body = self.ok("DescribeService", {"ServiceArn": arn})["Service"]
        return service

    def operations(self, arn: str) -> list[tuple[str, str]]:
        ops = self.ok("ListOperations", {"ServiceArn": arn})["OperationSummaryList"]
        return [(op["Type"], op["Status"]) for op in ops]

    def create_running(self, body: Body) -> str:
        arn: str = self.ok("CreateService", body)["Service"]["ServiceArn"]
        self.settle()
        assert self.describe(arn)["Status"] == "RUNNING"
        return arn


def image_of(service: Body) -> str:
    identifier: str = service["SourceConfiguration"]["ImageRepository"]["ImageIdentifier"]
    return identifier


def secrets_of(service: Body) -> dict[str, str]:
    image_config = service["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    found: dict[str, str] = image_config.get("RuntimeEnvironmentSecrets", {})
    return found


# ------------------------------------------------------------------------------------ empty secrets


def test_create_with_an_empty_secret_is_accepted_then_ends_create_failed() -> None:
    hook = FakeHook(EMPTY_SECRET)
    api = Api(secret_check=hook)
    body = with_secrets(private_service_body(), {"DATABASE_URL": SECRET_ARN, "API_KEY": EMPTY_SECRET})
    created = api.ok("CreateService", body)
    arn = created["Service"]["ServiceArn"]
    assert created["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    assert api.describe(arn)["Status"] == "OPERATION_IN_PROGRESS"
    assert hook.calls == []  # secrets are read when App Runner deploys, not when it accepts the request

    api.settle()
    assert api.describe(arn)["Status"] == "CREATE_FAILED"
    assert api.operations(arn) == [("CREATE_SERVICE", "FAILED")]
    ops = api.ok("ListOperations", {"ServiceArn": arn})["OperationSummaryList"]
    assert "EndedAt" in ops[0]
    assert sorted(hook.calls) == sorted([SECRET_ARN, EMPTY_SECRET])


def test_create_with_secrets_that_have_values_runs() -> None:
    hook = FakeHook()
    api = Api(secret_check=hook)
    body = with_secrets(private_service_body(), {"DATABASE_URL": SECRET_ARN, "API_KEY": SSM_PARAMETER})
    arn = api.create_running(body)
    assert api.operations(arn) == [("CREATE_SERVICE", "SUCCEEDED")]
    assert sorted(hook.calls) == sorted([SECRET_ARN, SSM_PARAMETER])


def test_a_source_code_service_reads_its_secrets_too() -> None:
    api = Api(secret_check=FakeHook(EMPTY_SECRET))
    body: Body = {
        "ServiceName": "web-code",
        "SourceConfiguration": {
            "AuthenticationConfiguration": {
                "ConnectionArn": "arn:aws:apprunner:us-east-1:123456789012:connection/gh/0123456789abcdef"
            },
            "CodeRepository": {
                "RepositoryUrl": "https://github.com/acme/web",
                "SourceCodeVersion": {"Type": "BRANCH", "Value": "main"},
                "CodeConfiguration": {
                    "ConfigurationSource": "API",
                    "CodeConfigurationValues": {
                        "Runtime": "NODEJS_22",
                        "RuntimeEnvironmentSecrets": {"API_KEY": EMPTY_SECRET},
                    },
                },
            },
        },
    }
    arn = api.ok("CreateService", body)["Service"]["ServiceArn"]
    api.settle()
    assert api.describe(arn)["Status"] == "CREATE_FAILED"


def test_a_create_failed_service_can_only_be_deleted() -> None:
    api = Api(secret_check=FakeHook(EMPTY_SECRET))
    arn = api.ok("CreateService", with_secrets(private_service_body(), {"API_KEY": EMPTY_SECRET}))["Service"][
        "ServiceArn"
    ]
    api.settle()
    refused = {
        "UpdateService": {"ServiceArn": arn, "InstanceConfiguration": {"Cpu": "2 vCPU", "Memory": "4 GB"}},
        "StartDeployment": {"ServiceArn": arn},
        "PauseService": {"ServiceArn": arn},
        "ResumeService": {"ServiceArn": arn},
    }
    for operation, body in refused.items():
        err = api.error(operation, body)
        assert err.type_name == "InvalidStateException", operation
        assert "CREATE_FAILED" in err.message, operation
    assert api.describe(arn)["Status"] == "CREATE_FAILED"

    deleted = api.ok("DeleteService", {"ServiceArn": arn})
    assert deleted["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    api.settle()
    assert api.error("DescribeService", {"ServiceArn": arn}).type_name == "ResourceNotFoundException"


def test_update_to_an_empty_secret_rolls_back_to_the_previous_configuration() -> None:
    api = Api(secret_check=FakeHook(EMPTY_SECRET))
    arn = api.create_running(with_secrets(private_service_body(), {"DATABASE_URL": SECRET_ARN}))
    before = api.describe(arn)

    source = copy.deepcopy(private_service_body()["SourceConfiguration"])
    source["ImageRepository"]["ImageIdentifier"] = NEW_IMAGE
    source["ImageRepository"]["ImageConfiguration"]["RuntimeEnvironmentSecrets"] = {"API_KEY": EMPTY_SECRET}
    updated = api.ok(
        "UpdateService",
        {
            "ServiceArn": arn,
            "SourceConfiguration": source,
            "InstanceConfiguration": {"Cpu": "2 vCPU", "Memory": "4 GB", "InstanceRoleArn": INSTANCE_ROLE},
        },
    )
    assert updated["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    api.settle()

    after = api.describe(arn)
    assert after["Status"] == "RUNNING"
    assert image_of(after) == PRIVATE_IMAGE
    assert secrets_of(after) == {"DATABASE_URL": SECRET_ARN}
    assert after["InstanceConfiguration"] == before["InstanceConfiguration"]
    assert api.operations(arn) == [("UPDATE_SERVICE", "ROLLBACK_SUCCEEDED"), ("CREATE_SERVICE", "SUCCEEDED")]
    # Rolled back, not stuck: the service takes the next update.
    api.ok("UpdateService", {"ServiceArn": arn, "InstanceConfiguration": {"Cpu": "2 vCPU", "Memory": "4 GB"}})
    api.settle()
    assert api.describe(arn)["InstanceConfiguration"]["Cpu"] == "2048"


def test_update_to_another_auto_scaling_configuration_rolls_back_with_it() -> None:
    api = Api(secret_check=FakeHook(EMPTY_SECRET))
    arn = api.create_running(private_service_body())
    asc = api.ok("CreateAutoScalingConfiguration", {"AutoScalingConfigurationName": "web-as"})
    asc_arn = asc["AutoScalingConfiguration"]["AutoScalingConfigurationArn"]
    source = with_secrets(private_service_body(), {"API_KEY": EMPTY_SECRET})["SourceConfiguration"]
    api.ok(
        "UpdateService",
        {"ServiceArn": arn, "SourceConfiguration": source, "AutoScalingConfigurationArn": asc_arn},
    )
    api.settle()
    summary = api.describe(arn)["AutoScalingConfigurationSummary"]
    assert summary["AutoScalingConfigurationName"] == "DefaultConfiguration"
    # No longer in use after the rollback, so it can be deleted.
    api.ok("DeleteAutoScalingConfiguration", {"AutoScalingConfigurationArn": asc_arn})


def test_start_deployment_reads_the_secrets_again_and_rolls_back_when_one_was_emptied() -> None:
    hook = FakeHook()
    api = Api(secret_check=hook)
    arn = api.create_running(with_secrets(private_service_body(), {"DATABASE_URL": SECRET_ARN}))

    hook.failing.add(SECRET_ARN)  # e.g. its AWSCURRENT version was removed
    assert api.ok("StartDeployment", {"ServiceArn": arn})["OperationId"]
    api.settle()
    assert api.describe(arn)["Status"] == "RUNNING"
    assert api.operations(arn)[0] == ("START_DEPLOYMENT", "ROLLBACK_SUCCEEDED")

    hook.failing.clear()
    api.ok("StartDeployment", {"ServiceArn": arn})
    api.settle()
    assert api.operations(arn)[0] == ("START_DEPLOYMENT", "SUCCEEDED")


def test_a_paused_service_reads_no_secrets_on_update() -> None:
    hook = FakeHook()
    api = Api(secret_check=hook)
    arn = api.create_running(with_secrets(private_service_body(), {"DATABASE_URL": SECRET_ARN}))
    api.ok("PauseService", {"ServiceArn": arn})
    api.settle()
    hook.failing.add(SECRET_ARN)
    api.ok("UpdateService", {"ServiceArn": arn, "InstanceConfiguration": {"Cpu": "2 vCPU", "Memory": "4 GB"}})
    api.settle()
    # Nothing runs while paused, so nothing is deployed and no secret is read.
    assert api.describe(arn)["Status"] == "PAUSED"
    assert api.operations(arn)[0] == ("UPDATE_SERVICE", "SUCCEEDED")


def test_the_emulator_passes_the_secret_check_to_its_backend() -> None:
    clock = FakeClock()
    with AppRunnerEmulator(ready_delay=1.0, clock=clock, secret_check=FakeHook(EMPTY_SECRET)) as emulator:
        client = Client(emulator.url, clock)
        body = with_secrets(private_service_body(), {"API_KEY": EMPTY_SECRET})
        arn = client.ok("CreateService", body)["Service"]["ServiceArn"]
        client.settle()
        assert client.describe(arn)["Status"] == "CREATE_FAILED"


# ------------------------------------------------------------------------------------ fresh roles


@pytest.mark.parametrize(
    ("failing", "message"),
    [
        (ACCESS_ROLE, f"Error in assuming access role {ACCESS_ROLE}"),
        (INSTANCE_ROLE, f"Error in assuming instance role {INSTANCE_ROLE}"),
    ],
)
def test_create_with_a_role_that_cannot_be_assumed_is_refused(failing: str, message: str) -> None:
    hook = FakeHook(failing)
    api = Api(role_check=hook)
    err = api.error("CreateService", private_service_body())
    assert err.type_name == "InvalidRequestException"
    assert err.message == message
    # Refused before anything exists, so the provider's retry (instance role) can create it later.
    assert api.ok("ListServices", {})["ServiceSummaryList"] == []

    hook.failing.clear()
    api.create_running(private_service_body())
    assert set(hook.calls) == {ACCESS_ROLE, INSTANCE_ROLE}


def test_update_with_a_role_that_cannot_be_assumed_is_refused_and_changes_nothing() -> None:
    hook = FakeHook(FRESH_ROLE)
    api = Api(role_check=hook)
    arn = api.create_running(private_service_body())
    source = copy.deepcopy(private_service_body()["SourceConfiguration"])
    source["AuthenticationConfiguration"]["AccessRoleArn"] = FRESH_ROLE
    source["ImageRepository"]["ImageIdentifier"] = NEW_IMAGE
    err = api.error("UpdateService", {"ServiceArn": arn, "SourceConfiguration": source})
    assert err.type_name == "InvalidRequestException"
    assert err.message == f"Error in assuming access role {FRESH_ROLE}"

    instance = {"Cpu": "1 vCPU", "Memory": "2 GB", "InstanceRoleArn": FRESH_ROLE}
    err = api.error("UpdateService", {"ServiceArn": arn, "InstanceConfiguration": instance})
    assert err.message == f"Error in assuming instance role {FRESH_ROLE}"

    service = api.describe(arn)
    assert service["Status"] == "RUNNING"
    assert image_of(service) == PRIVATE_IMAGE
    assert service["SourceConfiguration"]["AuthenticationConfiguration"]["AccessRoleArn"] == ACCESS_ROLE
    assert service["InstanceConfiguration"]["InstanceRoleArn"] == INSTANCE_ROLE
    assert api.operations(arn) == [("CREATE_SERVICE", "SUCCEEDED")]


def test_a_service_without_roles_asks_the_role_check_nothing() -> None:
    hook = FakeHook()
    api = Api(role_check=hook)
    api.create_running(service_body())  # public image: no access role, no instance role
    assert hook.calls == []


def test_the_emulator_passes_the_role_check_to_its_backend() -> None:
    with AppRunnerEmulator(ready_delay=0.0, role_check=FakeHook(ACCESS_ROLE)) as emulator:
        status, body = Client(emulator.url).call("CreateService", private_service_body())
    assert status == 400
    assert body == {
        "__type": "InvalidRequestException",
        "Message": f"Error in assuming access role {ACCESS_ROLE}",
    }


# ------------------------------------------------------------------------------------ images


def test_update_service_changes_the_image_and_start_deployment_redeploys_it() -> None:
    api = Api()
    arn = api.create_running(private_service_body())
    assert image_of(api.describe(arn)) == PRIVATE_IMAGE

    source = copy.deepcopy(private_service_body()["SourceConfiguration"])
    source["ImageRepository"]["ImageIdentifier"] = NEW_IMAGE
    api.ok("UpdateService", {"ServiceArn": arn, "SourceConfiguration": source})
    api.settle()
    assert image_of(api.describe(arn)) == NEW_IMAGE

    # StartDeployment has no image parameter: it deploys what is configured, whatever else is sent.
    api.ok("StartDeployment", {"ServiceArn": arn, "ImageIdentifier": PRIVATE_IMAGE})
    assert image_of(api.describe(arn)) == NEW_IMAGE
    api.settle()
    service = api.describe(arn)
    assert (service["Status"], image_of(service)) == ("RUNNING", NEW_IMAGE)
    assert api.operations(arn)[:2] == [("START_DEPLOYMENT", "SUCCEEDED"), ("UPDATE_SERVICE", "SUCCEEDED")]


def test_start_deployment_is_documented_as_a_redeploy_of_the_configured_image() -> None:
    import devtools.apprunner_emulator as module

    doc = " ".join((module.__doc__ or "").split())
    assert "StartDeployment" in doc
    assert "redeploys the configured image" in doc
