"""The ECS deploy-app policy (``EcsDeployTargets``): exactly what the ECS path of ``deploy-app`` calls, on
the one service, family, cluster, roles and log group, read as IAM would evaluate it; and the
``DeliveryPolicies`` construct renders it for ECS targets (App Runner's policy is pinned elsewhere:
``tests/stacks/test_delivery_policies.py`` and the stack snapshots)."""

from __future__ import annotations

import pytest

from constructs_lib.iam.delivery_policies import (
    DeliveryPolicies,
    EcsDeployTargets,
    InfraPlanTargets,
    ecs_deploy_app_statements,
)
from constructs_lib.iam.statements import policy_json
from devtools.iam_policy import Request, explain
from tests.conftest import data_sources, only, resources

WHERE = "us-east-1:111122223333"
CLUSTER = f"arn:aws:ecs:{WHERE}:cluster/cora-dev"
SERVICE = f"arn:aws:ecs:{WHERE}:service/cora-dev/cora-dev-web"
EXECUTION = "arn:aws:iam::111122223333:role/cora-dev-web-execution"
TASK = "arn:aws:iam::111122223333:role/cora-dev-web-task"
TARGETS = EcsDeployTargets(
    partition="aws",
    region="us-east-1",
    account="111122223333",
    parameter_path="/cora/dev",
    repository_arn=f"arn:aws:ecr:{WHERE}:repository/cora-dev-web",
    cluster_name="cora-dev",
    service_name="cora-dev-web",
    task_family="cora-dev-web",
    execution_role_arn=EXECUTION,
    task_role_arn=TASK,
    log_group_name="/ecs/cora-dev-web",
    secret_arns=(f"arn:aws:secretsmanager:{WHERE}:secret:cora/dev/NEXTAUTH_SECRET-AbCdEf",),
    state=InfraPlanTargets(
        partition="aws",
        state_bucket="cora-dev-tfstate",
        state_key="cora/dev/terraform.tfstate",
        state_region="us-east-1",
    ),
)
DOCUMENT = policy_json(ecs_deploy_app_statements(TARGETS))
IN_CLUSTER = {"ecs:cluster": CLUSTER}
TO_TASKS = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}


def _decision(request: Request) -> str:
    return explain([DOCUMENT], request)[0]


@pytest.mark.parametrize(
    "request_",
    [
        Request("ecs:DescribeServices", SERVICE, IN_CLUSTER),
        Request("ecs:UpdateService", SERVICE, IN_CLUSTER),
        Request("ecs:DescribeTaskDefinition", "*"),
        Request("ecs:RegisterTaskDefinition", "*"),
        Request(
            "ecs:TagResource",
            f"arn:aws:ecs:{WHERE}:task-definition/cora-dev-web:8",
            {"ecs:CreateAction": "RegisterTaskDefinition"},
        ),
        Request("ecs:ListTasks", "*", IN_CLUSTER),
        Request("ecs:DescribeTasks", f"arn:aws:ecs:{WHERE}:task/cora-dev/0123abcd", IN_CLUSTER),
        Request("iam:PassRole", EXECUTION, TO_TASKS),
        Request("iam:PassRole", TASK, TO_TASKS),
        Request(
            "logs:GetLogEvents", f"arn:aws:logs:{WHERE}:log-group:/ecs/cora-dev-web:log-stream:app/web/0123"
        ),
        Request("secretsmanager:DescribeSecret", TARGETS.secret_arns[0]),
        Request("ssm:GetParameters", f"arn:aws:ssm:{WHERE}:parameter/cora/dev/CLUSTER_ARN"),
        Request("ecr:DescribeImages", TARGETS.repository_arn),
        Request("s3:PutObject", "arn:aws:s3:::cora-dev-tfstate/cora/dev/terraform.tfstate.tflock"),
    ],
    ids=lambda r: r.action,
)
def test_the_calls_of_the_ecs_deploy_are_allowed(request_):
    assert _decision(request_) == "allow"


@pytest.mark.parametrize(
    ("request_", "why"),
    [
        (
            Request("ecs:UpdateService", f"arn:aws:ecs:{WHERE}:service/cora-dev/other", IN_CLUSTER),
            "another service",
        ),
        (
            Request("ecs:UpdateService", SERVICE, {"ecs:cluster": f"arn:aws:ecs:{WHERE}:cluster/other"}),
            "another cluster",
        ),
        (Request("ecs:UpdateService", SERVICE), "no cluster key"),
        (
            Request("ecs:ListTasks", "*", {"ecs:cluster": f"arn:aws:ecs:{WHERE}:cluster/other"}),
            "another cluster",
        ),
        (
            Request("ecs:DescribeTasks", f"arn:aws:ecs:{WHERE}:task/other/0123", IN_CLUSTER),
            "another cluster's task",
        ),
        (
            Request("ecs:TagResource", f"arn:aws:ecs:{WHERE}:task-definition/cora-dev-web:8"),
            "tags after creation",
        ),
        (
            Request(
                "ecs:TagResource",
                f"arn:aws:ecs:{WHERE}:task-definition/other:1",
                {"ecs:CreateAction": "RegisterTaskDefinition"},
            ),
            "another family",
        ),
        (Request("ecs:DeregisterTaskDefinition", "*"), "not a call the deploy makes"),
        (
            Request("ecs:RunTask", f"arn:aws:ecs:{WHERE}:task-definition/cora-dev-web:8", IN_CLUSTER),
            "no tasks",
        ),
        (Request("iam:PassRole", EXECUTION, {"iam:PassedToService": "ec2.amazonaws.com"}), "other service"),
        (Request("iam:PassRole", "arn:aws:iam::111122223333:role/admin", TO_TASKS), "other role"),
        (
            Request("logs:GetLogEvents", f"arn:aws:logs:{WHERE}:log-group:/ecs/other:log-stream:x"),
            "other group",
        ),
        (
            Request("apprunner:UpdateService", f"arn:aws:apprunner:{WHERE}:service/cora-dev-web/1"),
            "App Runner",
        ),
        (Request("secretsmanager:GetSecretValue", TARGETS.secret_arns[0]), "secret values"),
        (Request("s3:GetObject", "arn:aws:s3:::cora-dev-tfstate/cora/dev/terraform.tfstate"), "the state"),
    ],
    ids=lambda value: value if isinstance(value, str) else value.action,
)
def test_nothing_else_is_allowed(request_, why):
    assert _decision(request_) == "implicit-deny", why


def test_only_the_statements_that_need_it_use_a_wildcard_resource():
    wildcard = {s["Sid"] for s in DOCUMENT["Statement"] if s["Resource"] == ["*"] or s["Resource"] == "*"}
    assert wildcard == {"RegistryLogin", "RegisterRevisions", "ListStoppedTasks"}
    listed = next(s for s in DOCUMENT["Statement"] if s["Sid"] == "ListStoppedTasks")
    assert listed["Condition"] == {"ArnEquals": {"ecs:cluster": [CLUSTER]}}


def test_the_construct_renders_the_ecs_statements_for_ecs_targets(synth):
    doc = synth(lambda stack: DeliveryPolicies(stack, "delivery", prefix="cora-dev", deploy_app=TARGETS))
    policy = only([p for p in resources(doc, "aws_iam_policy") if p["name"] == "cora-dev-deploy-app"])
    logical = policy["policy"].removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
    sids = [s.get("sid") for s in data_sources(doc, "aws_iam_policy_document")[logical]["statement"]]
    assert sids == [s["Sid"] for s in DOCUMENT["Statement"]]
    assert "PassTheAccessRole" not in sids and "DeployTheService" in sids
