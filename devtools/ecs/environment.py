"""A deployed ECS environment on the emulators, for the deploy tool's ECS tests: an ECR repository with
three images, a Fargate service running the first (two tasks, circuit breaker with rollback) whose ``web``
container reads one secret and logs to CloudWatch, the state bucket that holds the lock, and the SSM
parameters an ECS stack publishes (``COMPUTE=ecs``, ``CLUSTER_ARN``, ``TASK_FAMILY``...).

Every AWS call the deploy tool makes is recorded (:class:`devtools.aws_calls.CallRecorder`) so a test
can check it against the ECS deploy-app policy for these very ARNs (:meth:`EcsEnvironment.refused`).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_lib.deploy import main
from constructs_lib.deploy.ecs import EcsClients, EcsTarget
from constructs_lib.iam.delivery_policies import EcsDeployTargets, InfraPlanTargets, ecs_deploy_app_statements
from constructs_lib.iam.statements import policy_json
from devtools.aws_calls import CallRecorder, authorisations
from devtools.ecs.faults import find_service, inject_faults
from devtools.emulators import ACCOUNT_ID, Emulators
from devtools.iam_policy import explain
from devtools.local_values import push_stub_image

__all__ = ["EcsEnvironment", "ecs_environment"]

ROOT = Path(__file__).resolve().parents[2]
PROJECT, ENV = "cora", "test"
CLUSTER = "cora-test"
NAME = "cora-test-web"  # repository, service and task definition family
LOG_GROUP = "/ecs/cora-test-web"
STATE_BUCKET = "cora-test-tfstate"
STATE_KEY = "cora/test/terraform.tfstate"
LOCK_KEY = f"{STATE_KEY}.tflock"
_TASKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@dataclass
class EcsEnvironment:
    """What the tests act on; :meth:`deploy` runs ``cora-infra deploy-app`` in process."""

    emulators: Emulators
    aws: Any
    repository_url: str
    repository_arn: str
    cluster_arn: str
    service_arn: str
    execution_role_arn: str
    task_role_arn: str
    secret_arn: str
    health_url: str
    recorder: CallRecorder = field(default_factory=CallRecorder)

    def image(self, tag: str) -> str:
        """``<repository_url>:<tag>``."""
        return f"{self.repository_url}:{tag}"

    def service(self) -> dict[str, Any]:
        """``DescribeServices`` of the service."""
        found = self.aws("ecs").describe_services(cluster=self.cluster_arn, services=[self.service_arn])
        service: dict[str, Any] = found["services"][0]
        return service

    def task_definition(self, name: str | None = None) -> dict[str, Any]:
        """The task definition ``name`` (default: the one the service runs)."""
        described = self.aws("ecs").describe_task_definition(
            taskDefinition=name or self.service()["taskDefinition"]
        )
        task_definition: dict[str, Any] = described["taskDefinition"]
        return task_definition

    def running_image(self) -> str:
        """The ``web`` image of the service's task definition."""
        web = [c for c in self.task_definition()["containerDefinitions"] if c["name"] == "web"]
        return str(web[0]["image"])

    def revision(self) -> int:
        """The revision of the service's task definition."""
        return int(self.service()["taskDefinition"].rsplit(":", 1)[-1])

    def fault(self, **faults: Any) -> None:
        """:func:`devtools.ecs.inject_faults` for this service."""
        inject_faults(self.service_arn, **faults)

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

    def clients(self) -> EcsClients:
        """Recorded clients for calling :func:`constructs_lib.deploy.ecs.deploy_ecs` directly."""
        names = ("ecr", "ecs", "s3", "secretsmanager", "logs")
        return EcsClients(**{name: self.recorder.attach(self.aws(name)) for name in names})

    def target(self) -> EcsTarget:
        """The cluster and family, as ``deploy-app`` reads them from the published outputs."""
        return EcsTarget(cluster_arn=self.cluster_arn, task_family=NAME)

    def lock_holder(self) -> dict[str, Any] | None:
        """The lock object's JSON, ``None`` when nobody holds the lock."""
        s3 = self.aws("s3")
        try:
            body = s3.get_object(Bucket=STATE_BUCKET, Key=LOCK_KEY)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        found: dict[str, Any] = json.loads(body)
        return found

    def targets(self) -> EcsDeployTargets:
        """The ARNs and names the stack's ECS deploy-app policy would name for this environment."""
        return EcsDeployTargets(
            partition="aws",
            region=self.emulators.region,
            account=ACCOUNT_ID,
            parameter_path=f"/{PROJECT}/{ENV}",
            repository_arn=self.repository_arn,
            cluster_name=CLUSTER,
            service_name=NAME,
            task_family=NAME,
            execution_role_arn=self.execution_role_arn,
            task_role_arn=self.task_role_arn,
            log_group_name=LOG_GROUP,
            secret_arns=(self.secret_arn,),
            state=InfraPlanTargets(
                partition="aws",
                state_bucket=STATE_BUCKET,
                state_key=STATE_KEY,
                state_region=self.emulators.region,
            ),
        )

    def refused(self) -> list[str]:
        """Every recorded call (then forgotten) the ECS deploy-app policy would refuse (IAM's evaluation)."""
        document = policy_json(ecs_deploy_app_statements(self.targets()))
        refused = []
        for call in self.recorder.take():
            for request in authorisations(call, account=ACCOUNT_ID):
                decision, _ = explain([document], request)
                if decision != "allow":
                    refused.append(f"{call.operation}: {request.action} on {request.resource} -> {decision}")
        return refused


def _network(aws: Any) -> dict[str, Any]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="cora-test-web", Description="web tasks", VpcId=vpc)[
        "GroupId"
    ]
    return {
        "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}
    }


def ecs_environment(emulators: Emulators, aws: Any, health_url: Any) -> EcsEnvironment:
    """Build the environment on freshly reset emulators; ``health_url(service_arn)`` gives the URL the
    app answers at (:meth:`devtools.ecs.HealthServer.health_url`)."""
    ecr = aws("ecr")
    repository = ecr.create_repository(repositoryName=NAME, imageTagMutability="IMMUTABLE")["repository"]
    for tag in ("v1", "v2", "v3"):
        push_stub_image(ecr, NAME, tag)
    url = repository["repositoryUri"]
    iam = aws("iam")
    roles = [
        iam.create_role(RoleName=f"{NAME}-{kind}", AssumeRolePolicyDocument=json.dumps(_TASKS_TRUST))["Role"][
            "Arn"
        ]
        for kind in ("execution", "task")
    ]
    secret = aws("secretsmanager").create_secret(Name="cora/test/NEXTAUTH_SECRET", SecretString="demo")["ARN"]
    aws("logs").create_log_group(logGroupName=LOG_GROUP)
    aws("s3").create_bucket(Bucket=STATE_BUCKET)
    ecs = aws("ecs")
    cluster = ecs.create_cluster(clusterName=CLUSTER)["cluster"]["clusterArn"]
    ecs.register_task_definition(
        family=NAME,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        executionRoleArn=roles[0],
        taskRoleArn=roles[1],
        runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        containerDefinitions=[
            {
                "name": "web",
                "image": f"{url}:v1",
                "essential": True,
                "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
                "environment": [{"name": "NODE_ENV", "value": "production"}],
                "secrets": [{"name": "NEXTAUTH_SECRET", "valueFrom": secret}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": LOG_GROUP,
                        "awslogs-region": emulators.region,
                        "awslogs-stream-prefix": "app",
                    },
                },
            }
        ],
        tags=[{"key": "project", "value": PROJECT}],
    )
    service = ecs.create_service(
        cluster=cluster,
        serviceName=NAME,
        taskDefinition=NAME,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration=_network(aws),
    )["service"]
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    ecs.update_service(cluster=cluster, service=service["serviceArn"], deploymentConfiguration=breaker)
    environment = EcsEnvironment(
        emulators,
        aws,
        url,
        repository["repositoryArn"],
        cluster,
        service["serviceArn"],
        roles[0],
        roles[1],
        secret,
        health_url(service["serviceArn"]),
    )
    assert find_service(environment.service_arn).name == NAME
    for name, value in {
        "ECR_REPOSITORY_URL": url,
        "SERVICE_ARN": service["serviceArn"],
        "APP_URL": "http://cora-test-alb-123.us-east-1.elb.amazonaws.com",
        "API_URL": "https://api.test.cora.example.com",
        "STATE_LOCK": f"s3://{STATE_BUCKET}/{LOCK_KEY}",
        "COMPUTE": "ecs",
        "CLUSTER_ARN": cluster,
        "TASK_FAMILY": NAME,
    }.items():
        aws("ssm").put_parameter(Name=f"/{PROJECT}/{ENV}/{name}", Value=value, Type="String", Overwrite=True)
    return environment
