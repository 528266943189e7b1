"""A deployed environment on the emulators for the deploy tool's tests: an ECR repository with two
images, an App Runner service running the first, and the SSM parameters the stack would publish."""

from __future__ import annotations

import io
import json
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from constructs_lib.deploy import main
from devtools.emulators import Emulators
from devtools.local_values import push_stub_image

PROJECT = "cora"
ENV = "test"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "build.apprunner.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass
class Deployed:
    """What the tests act on; :meth:`deploy` runs ``cora-infra deploy-app`` in process."""

    emulators: Emulators
    aws: Any
    repository_url: str
    service_arn: str
    service_id: str

    def image(self, tag: str) -> str:
        return f"{self.repository_url}:{tag}"

    @property
    def health_url(self) -> str:
        return f"{self.emulators.apprunner_url}/_health/{self.service_id}"

    def service(self) -> dict[str, Any]:
        service: dict[str, Any] = self.aws("apprunner").describe_service(ServiceArn=self.service_arn)[
            "Service"
        ]
        return service

    def running_image(self) -> str:
        return str(self.service()["SourceConfiguration"]["ImageRepository"]["ImageIdentifier"])

    def operations(self) -> list[tuple[str, str]]:
        ops = self.aws("apprunner").list_operations(ServiceArn=self.service_arn)["OperationSummaryList"]
        return [(op["Type"], op["Status"]) for op in ops]

    def fault(self, **faults: Any) -> None:
        request = urllib.request.Request(
            f"{self.emulators.apprunner_url}/_faults/{self.service_id}", data=json.dumps(faults).encode()
        )
        urllib.request.urlopen(request, timeout=5).close()

    def deploy(self, tag: str, *extra: str, health: bool = True) -> tuple[int, str, str]:
        """Exit code, stdout and stderr of ``deploy-app --tag <tag>``."""
        out, err = io.StringIO(), io.StringIO()
        argv = ["deploy-app", "--env", ENV, "--project", PROJECT, "--tag", tag, "--poll-interval", "0.05"]
        if health:
            argv += ["--health-url", self.health_url]
        code = main([*argv, *extra], out=out, err=err)
        return code, out.getvalue(), err.getvalue()


def publish(aws: Any, values: dict[str, str]) -> None:
    ssm = aws("ssm")
    for name, value in values.items():
        ssm.put_parameter(Name=f"/{PROJECT}/{ENV}/{name}", Value=value, Type="String")


def deployed_environment(emulators: Emulators, aws: Any) -> Deployed:
    """Repository ``cora-test-web`` with images ``v1`` and ``v2``, a service running ``v1``, parameters."""
    ecr = aws("ecr")
    repository = ecr.create_repository(repositoryName="cora-test-web")["repository"]
    for tag in ("v1", "v2"):
        push_stub_image(ecr, "cora-test-web", tag)
    role = aws("iam").create_role(RoleName="cora-test-web-access", AssumeRolePolicyDocument=json.dumps(TRUST))
    url = repository["repositoryUri"]
    created = aws("apprunner").create_service(
        ServiceName=f"cora-test-{uuid.uuid4().hex[:8]}",
        SourceConfiguration={
            "AuthenticationConfiguration": {"AccessRoleArn": role["Role"]["Arn"]},
            "AutoDeploymentsEnabled": False,
            "ImageRepository": {
                "ImageIdentifier": f"{url}:v1",
                "ImageRepositoryType": "ECR",
                "ImageConfiguration": {
                    "Port": "3000",
                    "RuntimeEnvironmentVariables": {"NODE_ENV": "production"},
                },
            },
        },
    )["Service"]
    deployed = Deployed(emulators, aws, url, created["ServiceArn"], created["ServiceId"])
    publish(
        aws,
        {
            "ECR_REPOSITORY_URL": url,
            "SERVICE_ARN": created["ServiceArn"],
            "APP_URL": f"https://{created['ServiceUrl']}",
            "API_URL": "https://api.test.cora.example.com",
        },
    )
    wait_until_running(deployed)
    return deployed


def wait_until_running(deployed: Deployed, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while deployed.service()["Status"] != "RUNNING":
        assert time.monotonic() < deadline, deployed.service()["Status"]
        time.sleep(0.02)
