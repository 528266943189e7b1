"""``devtools.emulators.running()``: the App Runner emulator asks moto whether secrets have a value and
whether roles exist (and are old enough to have propagated), like App Runner asks AWS."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devtools.emulators import Emulators, running

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:abc123"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["build.apprunner.amazonaws.com", "tasks.apprunner.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


def clients(emulators: Emulators) -> Callable[[str], Any]:
    def client(service: str) -> Any:
        url = emulators.apprunner_url if service == "apprunner" else emulators.moto_url
        return boto3.client(
            service,
            endpoint_url=url,
            region_name=emulators.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return client


def unique(name: str) -> str:
    """moto keeps its state per process, across servers: names must not repeat between tests."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def create_role(client: Callable[[str], Any], name: str) -> str:
    document = json.dumps(TRUST)
    arn: str = client("iam").create_role(RoleName=unique(name), AssumeRolePolicyDocument=document)["Role"][
        "Arn"
    ]
    return arn


def service_request(name: str, access_role: str, instance_role: str, secrets: dict[str, str]) -> Any:
    return {
        "ServiceName": name,
        "SourceConfiguration": {
            "AuthenticationConfiguration": {"AccessRoleArn": access_role},
            "AutoDeploymentsEnabled": False,
            "ImageRepository": {
                "ImageIdentifier": IMAGE,
                "ImageRepositoryType": "ECR",
                "ImageConfiguration": {"Port": "3000", "RuntimeEnvironmentSecrets": secrets},
            },
        },
        "InstanceConfiguration": {"Cpu": "1 vCPU", "Memory": "2 GB", "InstanceRoleArn": instance_role},
    }


def settled_status(apprunner: Any, arn: str) -> str:
    deadline = time.monotonic() + 10
    while (status := apprunner.describe_service(ServiceArn=arn)["Service"]["Status"]) == (
        "OPERATION_IN_PROGRESS"
    ):
        assert time.monotonic() < deadline, "the service never left OPERATION_IN_PROGRESS"
        time.sleep(0.05)
    return str(status)


def test_a_secret_without_value_fails_the_service_until_one_is_put() -> None:
    with running(apprunner_ready_delay=0.1) as emulators:
        client = clients(emulators)
        access, instance = create_role(client, "web-access"), create_role(client, "web-instance")
        secretsmanager, ssm, apprunner = client("secretsmanager"), client("ssm"), client("apprunner")
        secret = secretsmanager.create_secret(Name=unique("cora/local/NEXTAUTH_SECRET"))["ARN"]  # no value
        parameter = unique("/cora/local/api-key")
        ssm.put_parameter(Name=parameter, Value="k", Type="SecureString")
        secrets = {"NEXTAUTH_SECRET": secret, "API_KEY": parameter}

        failed = apprunner.create_service(**service_request("web-empty", access, instance, secrets))
        assert failed["Service"]["Status"] == "OPERATION_IN_PROGRESS"
        arn = failed["Service"]["ServiceArn"]
        assert settled_status(apprunner, arn) == "CREATE_FAILED"
        ops = apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"]
        assert [(op["Type"], op["Status"]) for op in ops] == [("CREATE_SERVICE", "FAILED")]

        secretsmanager.put_secret_value(SecretId=secret, SecretString="s3cr3t")
        created = apprunner.create_service(**service_request("web-filled", access, instance, secrets))
        assert settled_status(apprunner, created["Service"]["ServiceArn"]) == "RUNNING"

        missing = {"NEXTAUTH_SECRET": secret, "API_KEY": unique("/cora/local/missing")}
        created = apprunner.create_service(**service_request("web-no-param", access, instance, missing))
        assert settled_status(apprunner, created["Service"]["ServiceArn"]) == "CREATE_FAILED"


def test_a_missing_role_is_refused() -> None:
    with running(apprunner_ready_delay=0.1) as emulators:
        client = clients(emulators)
        instance = create_role(client, "web-instance")
        absent = f"arn:aws:iam::123456789012:role/{unique('never-created')}"
        with pytest.raises(ClientError) as caught:
            client("apprunner").create_service(**service_request("web-app", absent, instance, {}))
        error = caught.value.response["Error"]
        assert (error["Code"], error["Message"]) == (
            "InvalidRequestException",
            f"Error in assuming access role {absent}",
        )


def test_a_role_younger_than_the_propagation_time_is_refused_then_accepted() -> None:
    with running(apprunner_ready_delay=0.1, role_propagation_seconds=2) as emulators:
        client = clients(emulators)
        apprunner = client("apprunner")
        access = create_role(client, "web-access")
        instance = create_role(client, "web-instance")
        created_at = time.monotonic()  # both roles are at most this old
        with pytest.raises(ClientError) as caught:
            apprunner.create_service(**service_request("web-app", access, instance, {}))
        assert caught.value.response["Error"]["Message"] == f"Error in assuming access role {access}"
        assert apprunner.list_services()["ServiceSummaryList"] == []

        time.sleep(max(0.0, created_at + 2.1 - time.monotonic()))
        created = apprunner.create_service(**service_request("web-app", access, instance, {}))
        assert settled_status(apprunner, created["Service"]["ServiceArn"]) == "RUNNING"
