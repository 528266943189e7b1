"""App Runner emulator: JSON 1.0 protocol, lifecycles, revisions, tags and AWS-like validation errors."""

from __future__ import annotations

import copy
import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.apprunner_emulator import AppRunnerEmulator

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_IMAGE = "public.ecr.aws/aws-containers/hello-app-runner:latest"
PRIVATE_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:abc123"
ACCESS_ROLE = "arn:aws:iam::123456789012:role/web-access"
INSTANCE_ROLE = "arn:aws:iam::123456789012:role/web-instance"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web/db-AbCdEf"
ARN_PREFIX = "arn:aws:apprunner:us-east-1:123456789012:"
MISSING_SERVICE = f"{ARN_PREFIX}service/nope/0123456789abcdef0123456789abcdef"
MISSING_ASC = f"{ARN_PREFIX}autoscalingconfiguration/nope/1/0123456789abcdef0123456789abcdef"
DEFAULT_ASC_ARN = (
    f"{ARN_PREFIX}autoscalingconfiguration/DefaultConfiguration/1/00000000000000000000000000000001"
)

Body = dict[str, Any]


class FakeClock:
    """A monotonic clock the tests move by hand, so state transitions need no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Client:
    """Posts AWS JSON 1.0 requests with urllib, like an SDK would (minus SigV4, which is not checked)."""

    def __init__(self, url: str, clock: FakeClock | None = None) -> None:
        self.url = url
        self.clock = clock

    def raw(
        self,
        target: str | None,
        data: bytes,
        *,
        method: str = "POST",
    ) -> tuple[int, dict[str, str], Body]:
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apprunner/aws4_request",
        }
        if target is not None:
            headers["X-Amz-Target"] = target
        request = urllib.request.Request(
            f"{self.url}/", data=data if method != "GET" else None, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), json.loads(err.read())

    def call(self, operation: str, body: Body | None = None) -> tuple[int, Body]:
        status, _, payload = self.raw(f"AppRunner.{operation}", json.dumps(body or {}).encode())
        return status, payload

    def ok(self, operation: str, body: Body | None = None) -> Body:
        status, payload = self.call(operation, body)
        assert status == 200, payload
        return payload

    def error(self, operation: str, body: Body | None = None) -> Body:
        status, payload = self.call(operation, body)
        assert status == 400, payload
        assert set(payload) == {"__type", "Message"}
        return payload

    def settle(self) -> None:
        """Let every operation in progress finish."""
        assert self.clock is not None
        self.clock.advance(5)

    def describe(self, arn: str) -> Body:
        service: Body = self.ok("DescribeService", {"ServiceArn": arn})["Service"]
        return service


def service_body(name: str = "web-app", **extra: Any) -> Body:
    """A valid CreateService request for a public image (the provider's shape)."""
    body: Body = {
        "ServiceName": name,
        "SourceConfiguration": {
            "AutoDeploymentsEnabled": False,
            "ImageRepository": {
                "ImageIdentifier": PUBLIC_IMAGE,
                "ImageRepositoryType": "ECR_PUBLIC",
                "ImageConfiguration": {
                    "Port": "8000",
                    "RuntimeEnvironmentVariables": {"APP_ENV": "test"},
                    "RuntimeEnvironmentSecrets": {"DATABASE_URL": SECRET_ARN},
                },
            },
        },
    }
    body.update(extra)
    return body


def private_service_body(name: str = "web-private") -> Body:
    """A valid CreateService request for a private ECR image, as the project's construct sends it."""
    return {
        "ServiceName": name,
        "SourceConfiguration": {
            "AuthenticationConfiguration": {"AccessRoleArn": ACCESS_ROLE},
            "AutoDeploymentsEnabled": False,
            "ImageRepository": {
                "ImageIdentifier": PRIVATE_IMAGE,
                "ImageRepositoryType": "ECR",
                "ImageConfiguration": {"Port": "3000"},
            },
        },
        "InstanceConfiguration": {"Cpu": "1 vCPU", "Memory": "2 GB", "InstanceRoleArn": INSTANCE_ROLE},
        "HealthCheckConfiguration": {
            "Protocol": "HTTP",
            "Path": "/api/health",
            "Interval": 10,
            "Timeout": 5,
            "HealthyThreshold": 1,
            "UnhealthyThreshold": 5,
        },
        "Tags": [{"Key": "app", "Value": "web"}],
    }


def asc_body(name: str = "web-app-as", **extra: Any) -> Body:
    return {"AutoScalingConfigurationName": name, **extra}


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def emulator(clock: FakeClock) -> Iterator[AppRunnerEmulator]:
    with AppRunnerEmulator(ready_delay=1.0, clock=clock) as emu:
        yield emu


@pytest.fixture
def api(emulator: AppRunnerEmulator, clock: FakeClock) -> Client:
    emulator.reset()
    return Client(emulator.url, clock)


# ---------------------------------------------------------------------------------------------- services


def test_create_service_starts_in_progress_then_runs_with_normalized_config(api: Client) -> None:
    created = api.ok("CreateService", private_service_body())
    service = created["Service"]
    assert re.fullmatch(r"[0-9a-f-]{36}", created["OperationId"])
    assert service["Status"] == "OPERATION_IN_PROGRESS"
    assert re.fullmatch(rf"{re.escape(ARN_PREFIX)}service/web-private/[0-9a-f]{{32}}", service["ServiceArn"])
    assert service["ServiceArn"].endswith(service["ServiceId"])
    assert re.fullmatch(r"[a-z0-9]{10}\.us-east-1\.awsapprunner\.com", service["ServiceUrl"])
    assert isinstance(service["CreatedAt"], float)
    assert service["CreatedAt"] == pytest.approx(time.time(), abs=60)

    assert api.describe(service["ServiceArn"])["Status"] == "OPERATION_IN_PROGRESS"
    api.settle()
    running = api.describe(service["ServiceArn"])
    assert running["Status"] == "RUNNING"
    # Echoed the way App Runner normalizes it, so a Terraform re-plan sees no difference.
    assert running["InstanceConfiguration"] == {
        "Cpu": "1024",
        "Memory": "2048",
        "InstanceRoleArn": INSTANCE_ROLE,
    }
    assert running["HealthCheckConfiguration"] == private_service_body()["HealthCheckConfiguration"]
    assert running["SourceConfiguration"] == private_service_body()["SourceConfiguration"]
    assert running["AutoScalingConfigurationSummary"]["AutoScalingConfigurationArn"] == DEFAULT_ASC_ARN


def test_create_service_fills_in_the_defaults_app_runner_applies(api: Client) -> None:
    body = service_body()
    body["SourceConfiguration"].pop("AutoDeploymentsEnabled")
    del body["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]["Port"]
    service = api.ok("CreateService", body)["Service"]
    assert service["HealthCheckConfiguration"] == {
        "Protocol": "TCP",
        "Path": "/",
        "Interval": 5,
        "Timeout": 2,
        "HealthyThreshold": 1,
        "UnhealthyThreshold": 5,
    }
    assert service["InstanceConfiguration"] == {"Cpu": "1024", "Memory": "2048"}
    assert service["NetworkConfiguration"] == {
        "EgressConfiguration": {"EgressType": "DEFAULT"},
        "IngressConfiguration": {"IsPubliclyAccessible": True},
        "IpAddressType": "IPV4",
    }
    assert service["SourceConfiguration"]["AutoDeploymentsEnabled"] is False  # public images: never
    assert service["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]["Port"] == "8080"
    assert "AuthenticationConfiguration" not in service["SourceConfiguration"]
    # Not returned unless configured: the provider's block is optional and not computed.
    assert "ObservabilityConfiguration" not in service
    assert "EncryptionConfiguration" not in service
    summary = service["AutoScalingConfigurationSummary"]
    assert summary["AutoScalingConfigurationName"] == "DefaultConfiguration"
    assert summary["IsDefault"] is True


@pytest.mark.parametrize(
    ("cpu", "memory", "expected"),
    [
        ("0.25 vCPU", "0.5 GB", ("256", "512")),
        ("256", "1 GB", ("256", "1024")),
        ("0.5 vCPU", "1024", ("512", "1024")),
        ("1 vCPU", "4 GB", ("1024", "4096")),
        ("2 vCPU", "6 GB", ("2048", "6144")),
        ("4096", "12 GB", ("4096", "12288")),
    ],
)
def test_cpu_and_memory_are_returned_in_units_and_mb(
    api: Client, cpu: str, memory: str, expected: tuple[str, str]
) -> None:
    service = api.ok("CreateService", service_body(InstanceConfiguration={"Cpu": cpu, "Memory": memory}))
    assert (
        service["Service"]["InstanceConfiguration"]["Cpu"],
        service["Service"]["InstanceConfiguration"]["Memory"],
    ) == expected


def test_network_ingress_without_flag_means_private(api: Client) -> None:
    # SDKs drop a false IsPubliclyAccessible, so an empty IngressConfiguration must mean "not public".
    body = service_body(NetworkConfiguration={"IngressConfiguration": {}})
    network = api.ok("CreateService", body)["Service"]["NetworkConfiguration"]
    assert network["IngressConfiguration"] == {"IsPubliclyAccessible": False}


def test_real_clock_transition_after_ready_delay() -> None:
    with AppRunnerEmulator(ready_delay=0.2) as emulator:
        client = Client(emulator.url)
        started = time.monotonic()
        arn = client.ok("CreateService", service_body())["Service"]["ServiceArn"]
        statuses = []
        while (status := client.describe(arn)["Status"]) != "RUNNING":
            statuses.append(status)
            assert time.monotonic() - started < 3, statuses
            time.sleep(0.05)
        assert statuses
        assert set(statuses) == {"OPERATION_IN_PROGRESS"}
        assert time.monotonic() - started >= 0.2


def test_update_service_goes_through_in_progress_and_applies_changes(api: Client) -> None:
    arn = api.ok("CreateService", private_service_body())["Service"]["ServiceArn"]
    busy = api.error(
        "UpdateService", {"ServiceArn": arn, "InstanceConfiguration": {"Cpu": "2048", "Memory": "4096"}}
    )
    assert busy["__type"] == "InvalidStateException"
    assert "OPERATION_IN_PROGRESS" in busy["Message"]
    api.settle()

    updated = api.ok(
        "UpdateService",
        {"ServiceArn": arn, "InstanceConfiguration": {"Cpu": "2 vCPU", "Memory": "4 GB"}},
    )
    assert updated["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    assert updated["OperationId"]
    api.settle()
    service = api.describe(arn)
    assert service["Status"] == "RUNNING"
    assert service["InstanceConfiguration"] == {"Cpu": "2048", "Memory": "4096"}
    assert service["HealthCheckConfiguration"]["Path"] == "/api/health"  # untouched members are kept
    assert service["UpdatedAt"] >= service["CreatedAt"]


def test_update_service_without_changes_is_refused(api: Client) -> None:
    arn = api.ok("CreateService", service_body())["Service"]["ServiceArn"]
    api.settle()
    err = api.error("UpdateService", {"ServiceArn": arn})
    assert err == {
        "__type": "InvalidRequestException",
        "Message": "No configurations provided in the UpdateService request.",
    }


def test_delete_service_is_in_progress_then_gone(api: Client) -> None:
    arn = api.ok("CreateService", service_body())["Service"]["ServiceArn"]
    early = api.error("DeleteService", {"ServiceArn": arn})
    assert early["__type"] == "InvalidStateException"
    api.settle()

    deleted = api.ok("DeleteService", {"ServiceArn": arn})
    assert deleted["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    assert api.describe(arn)["Status"] == "OPERATION_IN_PROGRESS"
    assert api.error("DeleteService", {"ServiceArn": arn})["__type"] == "InvalidStateException"
    dup = api.error("CreateService", service_body())  # the name is still taken while deleting
    assert dup["__type"] == "InvalidRequestException"
    api.settle()

    gone = api.error("DescribeService", {"ServiceArn": arn})
    assert gone["__type"] == "ResourceNotFoundException"
    assert arn in gone["Message"]
    assert api.error("DeleteService", {"ServiceArn": arn})["__type"] == "ResourceNotFoundException"
    assert api.ok("ListServices")["ServiceSummaryList"] == []
    api.ok("CreateService", service_body())  # the name is free again


def test_duplicate_service_name_is_refused(api: Client) -> None:
    api.ok("CreateService", service_body("web-app"))
    err = api.error("CreateService", service_body("web-app"))
    assert err["__type"] == "InvalidRequestException"
    assert "web-app" in err["Message"]


def test_list_services_pages(api: Client) -> None:
    arns = [api.ok("CreateService", service_body(f"svc-{i}"))["Service"]["ServiceArn"] for i in range(3)]
    first = api.ok("ListServices", {"MaxResults": 2})
    assert [s["ServiceArn"] for s in first["ServiceSummaryList"]] == arns[:2]
    assert set(first["ServiceSummaryList"][0]) == {
        "ServiceName",
        "ServiceId",
        "ServiceArn",
        "ServiceUrl",
        "CreatedAt",
        "UpdatedAt",
        "Status",
    }
    second = api.ok("ListServices", {"MaxResults": 2, "NextToken": first["NextToken"]})
    assert [s["ServiceArn"] for s in second["ServiceSummaryList"]] == arns[2:]
    assert "NextToken" not in second
    assert api.error("ListServices", {"NextToken": "bogus"})["__type"] == "InvalidRequestException"
    too_many = api.error("ListServices", {"MaxResults": 21})
    assert "MaxResults" in too_many["Message"]


def test_service_quota(api: Client, emulator: AppRunnerEmulator) -> None:
    emulator.backend.max_services = 1
    try:
        api.ok("CreateService", service_body("first"))
        err = api.error("CreateService", service_body("second"))
        assert err["__type"] == "ServiceQuotaExceededException"
    finally:
        emulator.backend.max_services = 30


def test_operations_are_listed_newest_first(api: Client) -> None:
    arn = api.ok("CreateService", service_body())["Service"]["ServiceArn"]
    ops = api.ok("ListOperations", {"ServiceArn": arn})["OperationSummaryList"]
    assert [(o["Type"], o["Status"]) for o in ops] == [("CREATE_SERVICE", "IN_PROGRESS")]
    api.settle()
    api.ok("StartDeployment", {"ServiceArn": arn})
    api.settle()
    api.ok("PauseService", {"ServiceArn": arn})
    api.settle()
    assert api.describe(arn)["Status"] == "PAUSED"
    api.ok("ResumeService", {"ServiceArn": arn})
    ops = api.ok("ListOperations", {"ServiceArn": arn})["OperationSummaryList"]
    assert [o["Type"] for o in ops] == [
        "RESUME_SERVICE",
        "PAUSE_SERVICE",
        "START_DEPLOYMENT",
        "CREATE_SERVICE",
    ]
    assert [o["Status"] for o in ops] == ["IN_PROGRESS", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]
    assert all(o["TargetArn"] == arn for o in ops)
    assert "EndedAt" in ops[1]
    assert "EndedAt" not in ops[0]


def test_describe_custom_domains_reports_the_service_url(api: Client) -> None:
    service = api.ok("CreateService", service_body())["Service"]
    domains = api.ok("DescribeCustomDomains", {"ServiceArn": service["ServiceArn"]})
    assert domains["DNSTarget"] == service["ServiceUrl"]
    assert domains["CustomDomains"] == []


# ------------------------------------------------------------------------------ auto scaling configurations


def test_auto_scaling_configuration_revisions_and_latest(api: Client) -> None:
    first = api.ok("CreateAutoScalingConfiguration", asc_body(MaxSize=5))["AutoScalingConfiguration"]
    assert re.fullmatch(
        rf"{re.escape(ARN_PREFIX)}autoscalingconfiguration/web-app-as/1/[0-9a-f]{{32}}",
        first["AutoScalingConfigurationArn"],
    )
    assert (first["AutoScalingConfigurationRevision"], first["Latest"], first["Status"]) == (
        1,
        True,
        "active",
    )
    assert (first["MaxConcurrency"], first["MinSize"], first["MaxSize"]) == (100, 1, 5)
    assert (first["HasAssociatedService"], first["IsDefault"]) == (False, False)

    second = api.ok("CreateAutoScalingConfiguration", asc_body(MaxSize=10))["AutoScalingConfiguration"]
    assert second["AutoScalingConfigurationRevision"] == 2
    assert second["Latest"] is True
    old = api.ok(
        "DescribeAutoScalingConfiguration",
        {"AutoScalingConfigurationArn": first["AutoScalingConfigurationArn"]},
    )
    assert old["AutoScalingConfiguration"]["Latest"] is False

    by_name = api.ok(
        "DescribeAutoScalingConfiguration",
        {"AutoScalingConfigurationArn": f"{ARN_PREFIX}autoscalingconfiguration/web-app-as"},
    )
    assert by_name["AutoScalingConfiguration"]["AutoScalingConfigurationRevision"] == 2
    by_revision = api.ok(
        "DescribeAutoScalingConfiguration",
        {"AutoScalingConfigurationArn": f"{ARN_PREFIX}autoscalingconfiguration/web-app-as/1"},
    )
    assert by_revision["AutoScalingConfiguration"]["MaxSize"] == 5

    listed = api.ok("ListAutoScalingConfigurations", {"AutoScalingConfigurationName": "web-app-as"})
    assert [c["AutoScalingConfigurationRevision"] for c in listed["AutoScalingConfigurationSummaryList"]] == [
        1,
        2,
    ]
    latest = api.ok("ListAutoScalingConfigurations", {"LatestOnly": True})
    names = {
        (c["AutoScalingConfigurationName"], c["AutoScalingConfigurationRevision"])
        for c in latest["AutoScalingConfigurationSummaryList"]
    }
    assert names == {("DefaultConfiguration", 1), ("web-app-as", 2)}


def test_auto_scaling_configuration_in_use_cannot_be_deleted(api: Client) -> None:
    """The create-before-destroy replacement Terraform does: new revision, move the service, delete old."""
    old = api.ok("CreateAutoScalingConfiguration", asc_body())["AutoScalingConfiguration"][
        "AutoScalingConfigurationArn"
    ]
    service = api.ok("CreateService", service_body(AutoScalingConfigurationArn=old))["Service"]
    assert service["AutoScalingConfigurationSummary"]["AutoScalingConfigurationArn"] == old
    in_use = api.ok("DescribeAutoScalingConfiguration", {"AutoScalingConfigurationArn": old})
    assert in_use["AutoScalingConfiguration"]["HasAssociatedService"] is True

    err = api.error("DeleteAutoScalingConfiguration", {"AutoScalingConfigurationArn": old})
    assert err == {
        "__type": "InvalidRequestException",
        "Message": "You can't delete the auto scaling configuration. It's used by one or more services. "
        "To delete it, update the services to use other auto scaling configurations.",
    }
    users = api.ok("ListServicesForAutoScalingConfiguration", {"AutoScalingConfigurationArn": old})
    assert users["ServiceArnList"] == [service["ServiceArn"]]

    new = api.ok("CreateAutoScalingConfiguration", asc_body(MaxSize=10))["AutoScalingConfiguration"][
        "AutoScalingConfigurationArn"
    ]
    api.settle()
    api.ok("UpdateService", {"ServiceArn": service["ServiceArn"], "AutoScalingConfigurationArn": new})
    deleted = api.ok("DeleteAutoScalingConfiguration", {"AutoScalingConfigurationArn": old})[
        "AutoScalingConfiguration"
    ]
    assert deleted["Status"] == "inactive"
    assert "DeletedAt" in deleted
    after = api.ok("DescribeAutoScalingConfiguration", {"AutoScalingConfigurationArn": old})
    assert after["AutoScalingConfiguration"]["Status"] == "inactive"  # still described, as AWS does
    again = api.error("DeleteAutoScalingConfiguration", {"AutoScalingConfigurationArn": old})
    assert again["__type"] == "ResourceNotFoundException"
    assert api.error("CreateService", service_body("other", AutoScalingConfigurationArn=old))["Message"] == (
        f"The auto scaling configuration ARN you specified isn't valid. ARN: '{old}'"
    )


def test_deleting_a_service_releases_its_auto_scaling_configuration(api: Client) -> None:
    asc = api.ok("CreateAutoScalingConfiguration", asc_body())["AutoScalingConfiguration"][
        "AutoScalingConfigurationArn"
    ]
    arn = api.ok("CreateService", service_body(AutoScalingConfigurationArn=asc))["Service"]["ServiceArn"]
    api.settle()
    api.ok("DeleteService", {"ServiceArn": arn})
    assert api.error("DeleteAutoScalingConfiguration", {"AutoScalingConfigurationArn": asc})["__type"] == (
        "InvalidRequestException"
    )
    api.settle()
    api.ok("DeleteAutoScalingConfiguration", {"AutoScalingConfigurationArn": asc})


def test_default_auto_scaling_configuration_cannot_be_deleted(api: Client) -> None:
    err = api.error("DeleteAutoScalingConfiguration", {"AutoScalingConfigurationArn": DEFAULT_ASC_ARN})
    assert err["__type"] == "InvalidRequestException"
    assert "DefaultConfiguration" in err["Message"]


def test_update_default_auto_scaling_configuration(api: Client) -> None:
    arn = api.ok("CreateAutoScalingConfiguration", asc_body())["AutoScalingConfiguration"][
        "AutoScalingConfigurationArn"
    ]
    assert api.ok("UpdateDefaultAutoScalingConfiguration", {"AutoScalingConfigurationArn": arn})[
        "AutoScalingConfiguration"
    ]["IsDefault"]
    service = api.ok("CreateService", service_body())["Service"]
    assert service["AutoScalingConfigurationSummary"]["AutoScalingConfigurationArn"] == arn


def test_delete_all_revisions(api: Client) -> None:
    for size in (5, 6):
        api.ok("CreateAutoScalingConfiguration", asc_body(MaxSize=size))
    api.ok(
        "DeleteAutoScalingConfiguration",
        {
            "AutoScalingConfigurationArn": f"{ARN_PREFIX}autoscalingconfiguration/web-app-as",
            "DeleteAllRevisions": True,
        },
    )
    listed = api.ok("ListAutoScalingConfigurations", {"AutoScalingConfigurationName": "web-app-as"})
    assert listed["AutoScalingConfigurationSummaryList"] == []


def test_auto_scaling_revision_quota(api: Client) -> None:
    for _ in range(5):
        api.ok("CreateAutoScalingConfiguration", asc_body())
    assert (
        api.error("CreateAutoScalingConfiguration", asc_body())["__type"] == "ServiceQuotaExceededException"
    )


# ---------------------------------------------------------------------------------------------- tags


def test_tag_untag_and_list_tags(api: Client) -> None:
    service_arn = api.ok("CreateService", private_service_body())["Service"]["ServiceArn"]
    asc_arn = api.ok("CreateAutoScalingConfiguration", asc_body(Tags=[{"Key": "team", "Value": "a"}]))[
        "AutoScalingConfiguration"
    ]["AutoScalingConfigurationArn"]

    def tags(arn: str) -> dict[str, str]:
        listed = api.ok("ListTagsForResource", {"ResourceArn": arn})["Tags"]
        return {t["Key"]: t["Value"] for t in listed}

    assert tags(service_arn) == {"app": "web"}
    assert tags(asc_arn) == {"team": "a"}
    assert api.ok("TagResource", {"ResourceArn": service_arn, "Tags": [{"Key": "env", "Value": "dev"}]}) == {}
    api.ok("TagResource", {"ResourceArn": service_arn, "Tags": [{"Key": "app", "Value": "web2"}]})
    assert tags(service_arn) == {"app": "web2", "env": "dev"}
    assert api.ok("UntagResource", {"ResourceArn": service_arn, "TagKeys": ["app", "missing"]}) == {}
    assert tags(service_arn) == {"env": "dev"}
    api.ok("UntagResource", {"ResourceArn": asc_arn, "TagKeys": ["team"]})
    assert tags(asc_arn) == {}

    missing = MISSING_SERVICE
    assert api.error("ListTagsForResource", {"ResourceArn": missing})["__type"] == "ResourceNotFoundException"
    reserved = api.error(
        "TagResource", {"ResourceArn": service_arn, "Tags": [{"Key": "aws:x", "Value": "y"}]}
    )
    assert reserved["__type"] == "InvalidRequestException"
    assert "aws:x" in reserved["Message"]


# ---------------------------------------------------------------------------------------------- validation


DELETE = object()


def _set(body: Body, path: str, value: Any) -> Body:
    """A copy of ``body`` with the dotted ``path`` set to ``value`` (``DELETE`` removes it)."""
    out = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = out
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return out


IMG = "SourceConfiguration.ImageRepository"
ENV = f"{IMG}.ImageConfiguration"

# (case id, request builder, expected __type, fragments the message must contain)
CREATE_SERVICE_ERRORS: list[tuple[str, Callable[[], Body], str, tuple[str, ...]]] = [
    ("name-too-short", lambda: service_body("abc"), "InvalidRequestException", ("ServiceName", "'abc'")),
    ("name-too-long", lambda: service_body("a" * 41), "InvalidRequestException", ("ServiceName", "a" * 41)),
    (
        "name-bad-char",
        lambda: service_body("web app"),
        "InvalidRequestException",
        ("ServiceName", "'web app'"),
    ),
    ("name-leading-dash", lambda: service_body("-web"), "InvalidRequestException", ("ServiceName", "'-web'")),
    (
        "name-missing",
        lambda: _set(service_body(), "ServiceName", DELETE),
        "InvalidRequestException",
        ("ServiceName", "null"),
    ),
    (
        "source-missing",
        lambda: _set(service_body(), "SourceConfiguration", DELETE),
        "InvalidRequestException",
        ("SourceConfiguration", "must not be null"),
    ),
    (
        "no-repository",
        lambda: _set(service_body(), IMG, DELETE),
        "InvalidRequestException",
        ("ImageRepository", "CodeRepository"),
    ),
    (
        "image-missing",
        lambda: _set(service_body(), f"{IMG}.ImageIdentifier", DELETE),
        "InvalidRequestException",
        (f"{IMG}.ImageIdentifier", "null"),
    ),
    (
        "repo-type-missing",
        lambda: _set(service_body(), f"{IMG}.ImageRepositoryType", DELETE),
        "InvalidRequestException",
        (f"{IMG}.ImageRepositoryType",),
    ),
    (
        "repo-type-bad",
        lambda: _set(service_body(), f"{IMG}.ImageRepositoryType", "DOCKER_HUB"),
        "InvalidRequestException",
        ("ImageRepositoryType", "'DOCKER_HUB'", "ECR, ECR_PUBLIC"),
    ),
    (
        "ecr-without-access-role",
        lambda: _set(private_service_body(), "SourceConfiguration.AuthenticationConfiguration", DELETE),
        "InvalidRequestException",
        ("AccessRoleArn", "ECR"),
    ),
    (
        "ecr-public-auto-deploy",
        lambda: _set(service_body(), "SourceConfiguration.AutoDeploymentsEnabled", True),
        "InvalidRequestException",
        ("automatic deployments", "ECR Public"),
    ),
    (
        "image-type-mismatch",
        lambda: _set(service_body(), f"{IMG}.ImageIdentifier", PRIVATE_IMAGE),
        "InvalidRequestException",
        (PRIVATE_IMAGE, "ECR_PUBLIC"),
    ),
    (
        "port-zero",
        lambda: _set(service_body(), f"{ENV}.Port", "0"),
        "InvalidRequestException",
        (f"{ENV}.Port", "'0'"),
    ),
    (
        "port-high",
        lambda: _set(service_body(), f"{ENV}.Port", "65536"),
        "InvalidRequestException",
        ("Port", "'65536'"),
    ),
    (
        "port-text",
        lambda: _set(service_body(), f"{ENV}.Port", "http"),
        "InvalidRequestException",
        ("Port", "'http'"),
    ),
    (
        "port-not-a-string",
        lambda: _set(service_body(), f"{ENV}.Port", 8000),
        "SerializationException",
        (f"{ENV}.Port",),
    ),
    (
        "env-reserved",
        lambda: _set(service_body(), f"{ENV}.RuntimeEnvironmentVariables", {"AWSAPPRUNNER_MODE": "x"}),
        "InvalidRequestException",
        ("AWSAPPRUNNER_MODE", "RuntimeEnvironmentVariables", "reserved"),
    ),
    (
        "secret-reserved",
        lambda: _set(service_body(), f"{ENV}.RuntimeEnvironmentSecrets", {"awsapprunnerKey": SECRET_ARN}),
        "InvalidRequestException",
        ("awsapprunnerKey", "RuntimeEnvironmentSecrets", "reserved"),
    ),
    (
        "cpu-unknown",
        lambda: service_body(InstanceConfiguration={"Cpu": "3 vCPU", "Memory": "4096"}),
        "InvalidRequestException",
        ("InstanceConfiguration.Cpu", "'3 vCPU'"),
    ),
    (
        "memory-unknown",
        lambda: service_body(InstanceConfiguration={"Cpu": "1024", "Memory": "5 GB"}),
        "InvalidRequestException",
        ("InstanceConfiguration.Memory", "'5 GB'"),
    ),
    (
        "cpu-memory-combination",
        lambda: service_body(InstanceConfiguration={"Cpu": "256", "Memory": "2048"}),
        "InvalidRequestException",
        ("Cpu '256'", "Memory '2048'", "512, 1024"),
    ),
    (
        "cpu-memory-combination-words",
        lambda: service_body(InstanceConfiguration={"Cpu": "4 vCPU", "Memory": "2 GB"}),
        "InvalidRequestException",
        ("Cpu '4 vCPU'", "Memory '2 GB'", "8192, 10240, 12288"),
    ),
    (
        "memory-default-too-small",
        lambda: service_body(InstanceConfiguration={"Cpu": "4096"}),
        "InvalidRequestException",
        ("Cpu '4096'", "Memory '2048'"),
    ),
    (
        "instance-role-not-an-arn",
        lambda: service_body(InstanceConfiguration={"InstanceRoleArn": "web-instance"}),
        "InvalidRequestException",
        ("InstanceConfiguration.InstanceRoleArn", "'web-instance'"),
    ),
    *[
        (
            f"health-{member.lower()}-{value}",
            (lambda member=member, value=value: service_body(HealthCheckConfiguration={member: value})),
            "InvalidRequestException",
            (f"HealthCheckConfiguration.{member}", f"Value {value} ", "20" if value > 1 else "1"),
        )
        for member in ("Interval", "Timeout", "HealthyThreshold", "UnhealthyThreshold")
        for value in (0, 21)
    ],
    (
        "health-protocol",
        lambda: service_body(HealthCheckConfiguration={"Protocol": "UDP"}),
        "InvalidRequestException",
        ("HealthCheckConfiguration.Protocol", "'UDP'"),
    ),
    (
        "health-empty-path",
        lambda: service_body(HealthCheckConfiguration={"Protocol": "HTTP", "Path": ""}),
        "InvalidRequestException",
        ("HealthCheckConfiguration.Path",),
    ),
    (
        "unknown-auto-scaling-arn",
        lambda: service_body(AutoScalingConfigurationArn=MISSING_ASC),
        "InvalidRequestException",
        ("auto scaling configuration ARN", "nope"),
    ),
    (
        "vpc-egress-without-connector",
        lambda: service_body(NetworkConfiguration={"EgressConfiguration": {"EgressType": "VPC"}}),
        "InvalidRequestException",
        ("VpcConnectorArn",),
    ),
    (
        "tag-key-reserved",
        lambda: service_body(Tags=[{"Key": "aws:owner", "Value": "x"}]),
        "InvalidRequestException",
        ("Tags[0].Key", "'aws:owner'"),
    ),
]


@pytest.mark.parametrize(
    ("build", "error_type", "fragments"),
    [pytest.param(build, kind, frags, id=case) for case, build, kind, frags in CREATE_SERVICE_ERRORS],
)
def test_create_service_validation(
    api: Client, build: Callable[[], Body], error_type: str, fragments: tuple[str, ...]
) -> None:
    err = api.error("CreateService", build())
    assert err["__type"] == error_type
    for fragment in fragments:
        assert fragment in err["Message"]
    assert api.ok("ListServices")["ServiceSummaryList"] == []  # nothing half-created


CREATE_ASC_ERRORS: list[tuple[str, Body, tuple[str, ...]]] = [
    ("name-too-short", asc_body("abc"), ("AutoScalingConfigurationName", "'abc'")),
    ("name-too-long", asc_body("a" * 33), ("AutoScalingConfigurationName", "a" * 33)),
    ("name-bad-char", asc_body("web.as"), ("AutoScalingConfigurationName", "'web.as'")),
    ("name-missing", {"MaxSize": 3}, ("AutoScalingConfigurationName", "null")),
    ("reserved-name", asc_body("DefaultConfiguration"), ("DefaultConfiguration",)),
    (
        "max-concurrency-low",
        asc_body(MaxConcurrency=0),
        ("MaxConcurrency", "Value 0 ", "greater than or equal to 1"),
    ),
    (
        "max-concurrency-high",
        asc_body(MaxConcurrency=201),
        ("MaxConcurrency", "Value 201 ", "less than or equal to 200"),
    ),
    ("min-size-low", asc_body(MinSize=0), ("MinSize", "Value 0 ")),
    ("min-size-high", asc_body(MinSize=26), ("MinSize", "Value 26 ", "25")),
    ("max-size-low", asc_body(MaxSize=0), ("MaxSize", "Value 0 ")),
    ("max-size-high", asc_body(MaxSize=26), ("MaxSize", "Value 26 ", "25")),
    ("min-above-max", asc_body(MinSize=6, MaxSize=5), ("MinSize (6)", "MaxSize (5)")),
]


@pytest.mark.parametrize(
    ("body", "fragments"), [pytest.param(body, frags, id=case) for case, body, frags in CREATE_ASC_ERRORS]
)
def test_create_auto_scaling_configuration_validation(
    api: Client, body: Body, fragments: tuple[str, ...]
) -> None:
    err = api.error("CreateAutoScalingConfiguration", body)
    assert err["__type"] == "InvalidRequestException"
    for fragment in fragments:
        assert fragment in err["Message"]


def test_wrong_json_type_is_a_serialization_error(api: Client) -> None:
    err = api.error("CreateAutoScalingConfiguration", asc_body(MaxSize="5"))
    assert err["__type"] == "SerializationException"
    assert "MaxSize" in err["Message"]


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("DescribeService", {"ServiceArn": MISSING_SERVICE}),
        (
            "UpdateService",
            {
                "ServiceArn": MISSING_SERVICE,
                "InstanceConfiguration": {},
            },
        ),
        ("DeleteService", {"ServiceArn": MISSING_SERVICE}),
        ("ListOperations", {"ServiceArn": MISSING_SERVICE}),
        (
            "DescribeAutoScalingConfiguration",
            {"AutoScalingConfigurationArn": MISSING_ASC},
        ),
        (
            "DeleteAutoScalingConfiguration",
            {"AutoScalingConfigurationArn": MISSING_ASC},
        ),
    ],
)
def test_unknown_resources_are_not_found(api: Client, operation: str, body: Body) -> None:
    err = api.error(operation, body)
    assert err["__type"] == "ResourceNotFoundException"
    assert "nope" in err["Message"]


def test_malformed_arn_is_an_invalid_request(api: Client) -> None:
    err = api.error("DescribeService", {"ServiceArn": "not-an-arn"})
    assert err["__type"] == "InvalidRequestException"
    assert "ServiceArn" in err["Message"]
    assert api.error("DescribeService", {})["__type"] == "InvalidRequestException"


# ---------------------------------------------------------------------------------------------- protocol


def test_protocol_headers_and_error_shape(api: Client) -> None:
    status, headers, body = api.raw("AppRunner.ListServices", b"{}")
    assert status == 200
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert headers["x-amzn-RequestId"]
    assert body == {"ServiceSummaryList": []}

    status, headers, body = api.raw("AppRunner.DescribeService", b"{}")
    assert status == 400
    assert headers["X-Amzn-ErrorType"] == "InvalidRequestException"
    assert body["__type"] == "InvalidRequestException"


@pytest.mark.parametrize(
    ("target", "data", "method", "error_type"),
    [
        pytest.param(
            "AppRunner.LaunchRocket", b"{}", "POST", "UnknownOperationException", id="unknown-operation"
        ),
        pytest.param("Lambda.ListFunctions", b"{}", "POST", "UnknownOperationException", id="other-service"),
        pytest.param(None, b"{}", "POST", "UnknownOperationException", id="no-target"),
        pytest.param("AppRunner.ListServices", b"", "GET", "UnknownOperationException", id="get"),
        pytest.param("AppRunner.ListServices", b"{not json", "POST", "SerializationException", id="bad-json"),
        pytest.param("AppRunner.ListServices", b"[1]", "POST", "SerializationException", id="not-an-object"),
    ],
)
def test_protocol_errors(api: Client, target: str | None, data: bytes, method: str, error_type: str) -> None:
    status, _, body = api.raw(target, data, method=method)
    assert status == 400
    assert body["__type"] == error_type
    assert body["Message"]


def test_empty_body_is_an_empty_request(api: Client) -> None:
    status, _, body = api.raw("AppRunner.ListServices", b"")
    assert (status, body) == (200, {"ServiceSummaryList": []})


def test_calls_are_recorded_and_reset(api: Client, emulator: AppRunnerEmulator) -> None:
    api.ok("ListServices")
    api.error("DescribeService", {})
    assert emulator.calls == ["ListServices", "DescribeService"]
    emulator.reset()
    assert emulator.calls == []


# ---------------------------------------------------------------------------------------------- lifecycle


def test_context_manager_frees_the_port() -> None:
    with AppRunnerEmulator(ready_delay=0) as emulator:
        url, port = emulator.url, emulator.port
        assert url == f"http://127.0.0.1:{port}"
        assert Client(url).ok("ListServices") == {"ServiceSummaryList": []}
    with socket.socket() as probe:
        # SO_REUSEADDR tolerates TIME_WAIT leftovers, not a listener still holding the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()
    with pytest.raises(RuntimeError):
        _ = emulator.url


def test_only_loopback_is_bound() -> None:
    with pytest.raises(ValueError, match="loopback"):
        AppRunnerEmulator(host="0.0.0.0")


def test_cli_serves_until_sigterm() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devtools.apprunner_emulator",
            "--port",
            "0",
            "--ready-delay",
            "0.1",
            "--quiet",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        assert Client(match.group(1)).ok("ListServices") == {"ServiceSummaryList": []}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_refuses_non_loopback_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "devtools.apprunner_emulator", "--host", "0.0.0.0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr
