"""A deployed environment on the emulators for the deploy tool's tests: an ECR repository with three
images, an App Runner service running the first and reading one secret, the state bucket that holds
the environment's lock, and the SSM parameters the stack would publish.

Every AWS call the deploy tool makes in a test is recorded (:class:`devtools.aws_calls.CallRecorder`)
and checked against the deploy-app policy the stack would give its role, for these very ARNs
(:func:`constructs_lib.iam.delivery_policies.deploy_app_statements`, :func:`assert_calls_allowed`).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_lib.deploy import main
from constructs_lib.deploy.app import Clients
from constructs_lib.iam.delivery_policies import DeployAppTargets, InfraPlanTargets, deploy_app_statements
from constructs_lib.iam.statements import policy_json
from devtools.aws_calls import Call, CallRecorder, authorisations
from devtools.emulators import ACCOUNT_ID, Emulators
from devtools.iam_policy import explain
from devtools.local_values import push_stub_image

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "cora"
ENV = "test"
SERVICE_NAME = "cora-test-web"
STATE_BUCKET = "cora-test-tfstate"
STATE_KEY = "cora/test/terraform.tfstate"
LOCK_KEY = f"{STATE_KEY}.tflock"
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
    repository_arn: str
    service_arn: str
    service_id: str
    access_role_arn: str
    secret_arn: str
    recorder: CallRecorder = field(default_factory=CallRecorder)

    def image(self, tag: str) -> str:
        return f"{self.repository_url}:{tag}"

    @property
    def health_url(self) -> str:
        return f"{self.emulators.apprunner_url}/_health/{self.service_id}"

    @property
    def missing_health_url(self) -> str:
        """A URL that answers 404, as an app without its health route does."""
        return f"{self.emulators.apprunner_url}/_health/{uuid.uuid4()}"

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

    def argv(self, tag: str, *extra: str, health: bool = True) -> list[str]:
        argv = ["deploy-app", "--env", ENV, "--project", PROJECT, "--tag", tag, "--poll-interval", "0.05"]
        argv += ["--lock-timeout", "0"]
        if health:
            argv += ["--health-url", self.health_url]
        return [*argv, *extra]

    def deploy(self, tag: str, *extra: str, health: bool = True) -> tuple[int, str, str]:
        """Exit code, stdout and stderr of ``deploy-app --tag <tag>``."""
        out, err = io.StringIO(), io.StringIO()
        code = main(self.argv(tag, *extra, health=health), out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    def start_deploy(self, tag: str, *extra: str) -> subprocess.Popen[str]:
        """``python -m constructs_lib.deploy deploy-app ...`` as a process of its own (for signals)."""
        env = {**os.environ, **self.emulators.env, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
        return subprocess.Popen(
            [sys.executable, "-u", "-m", "constructs_lib.deploy", *self.argv(tag, *extra)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def clients(self) -> Clients:
        """Recorded clients for calling :func:`constructs_lib.deploy.deploy_app` directly."""
        names = ("ecr", "apprunner", "s3", "secretsmanager", "logs")
        return Clients(**{name: self.recorder.attach(self.aws(name)) for name in names})

    def lock_holder(self) -> dict[str, Any] | None:
        try:
            body = self.aws("s3").get_object(Bucket=STATE_BUCKET, Key=LOCK_KEY)["Body"].read()
        except self.aws("s3").exceptions.NoSuchKey:
            return None
        found: dict[str, Any] = json.loads(body)
        return found

    def targets(self) -> DeployAppTargets:
        """The ARNs the stack's deploy-app policy would name for this environment."""
        return DeployAppTargets(
            partition="aws",
            region=self.emulators.region,
            account=ACCOUNT_ID,
            parameter_path=f"/{PROJECT}/{ENV}",
            repository_arn=self.repository_arn,
            service_name=SERVICE_NAME,
            access_role_arn=self.access_role_arn,
            secret_arns=(self.secret_arn,),
            state=InfraPlanTargets(
                partition="aws",
                state_bucket=STATE_BUCKET,
                state_key=STATE_KEY,
                state_region=self.emulators.region,
            ),
        )


def assert_calls_allowed(calls: list[Call], targets: DeployAppTargets) -> None:
    """Every call is allowed by the deploy-app policy of ``targets`` (as IAM would evaluate it)."""
    document = policy_json(deploy_app_statements(targets))
    refused = []
    for call in calls:
        for request in authorisations(call, account=ACCOUNT_ID):
            decision, _ = explain([document], request)
            if decision != "allow":
                refused.append(f"{call.operation}: {request.action} on {request.resource} -> {decision}")
    assert not refused, "the deploy-app policy would refuse:\n" + "\n".join(refused)


def publish(aws: Any, values: dict[str, str]) -> None:
    ssm = aws("ssm")
    for name, value in values.items():
        ssm.put_parameter(Name=f"/{PROJECT}/{ENV}/{name}", Value=value, Type="String", Overwrite=True)


def deployed_environment(emulators: Emulators, aws: Any) -> Deployed:
    """Repository ``cora-test-web`` with images ``v1``-``v3``, a service ``cora-test-web`` running ``v1``
    and reading the secret ``cora/test/NEXTAUTH_SECRET``, the state bucket, the published parameters."""
    ecr = aws("ecr")
    repository = ecr.create_repository(repositoryName=SERVICE_NAME, imageTagMutability="IMMUTABLE")[
        "repository"
    ]
    for tag in ("v1", "v2", "v3"):
        push_stub_image(ecr, SERVICE_NAME, tag)
    role = aws("iam").create_role(
        RoleName=f"{SERVICE_NAME}-access", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    secret = aws("secretsmanager").create_secret(Name="cora/test/NEXTAUTH_SECRET", SecretString="demo")
    aws("s3").create_bucket(Bucket=STATE_BUCKET)
    url = repository["repositoryUri"]
    created = aws("apprunner").create_service(
        ServiceName=SERVICE_NAME,
        SourceConfiguration={
            "AuthenticationConfiguration": {"AccessRoleArn": role["Role"]["Arn"]},
            "AutoDeploymentsEnabled": False,
            "ImageRepository": {
                "ImageIdentifier": f"{url}:v1",
                "ImageRepositoryType": "ECR",
                "ImageConfiguration": {
                    "Port": "3000",
                    "RuntimeEnvironmentVariables": {"NODE_ENV": "production"},
                    "RuntimeEnvironmentSecrets": {"NEXTAUTH_SECRET": secret["ARN"]},
                },
            },
        },
    )["Service"]
    deployed = Deployed(
        emulators,
        aws,
        url,
        repository["repositoryArn"],
        created["ServiceArn"],
        created["ServiceId"],
        role["Role"]["Arn"],
        secret["ARN"],
    )
    publish(
        aws,
        {
            "ECR_REPOSITORY_URL": url,
            "SERVICE_ARN": created["ServiceArn"],
            "APP_URL": f"https://{created['ServiceUrl']}",
            "API_URL": "https://api.test.cora.example.com",
            "STATE_LOCK": f"s3://{STATE_BUCKET}/{LOCK_KEY}",
        },
    )
    wait_until_running(deployed)
    return deployed


def wait_until_running(deployed: Deployed, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while deployed.service()["Status"] != "RUNNING":
        assert time.monotonic() < deadline, deployed.service()["Status"]
        time.sleep(0.02)


def delete_service(deployed: Deployed, timeout: float = 10.0) -> None:
    """Delete the service and wait until it is gone (the App Runner emulator keeps it across tests)."""
    wait_until_running(deployed)
    apprunner = deployed.aws("apprunner")
    apprunner.delete_service(ServiceArn=deployed.service_arn)
    deadline = time.monotonic() + timeout
    while any(
        s["ServiceArn"] == deployed.service_arn for s in apprunner.list_services()["ServiceSummaryList"]
    ):
        assert time.monotonic() < deadline
        time.sleep(0.02)
