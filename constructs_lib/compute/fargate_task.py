"""The task of a :class:`~constructs_lib.FargateService`: its container definition, its writable
mounts, and its two roles.

The container definition is one JSON document with sorted keys, so the same props always give the
same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from constructs import Construct

from constructs_lib import _aws
from constructs_lib.compute.ecr_repo import EcrRepo
from constructs_lib.compute.fargate_sizes import CpuArchitecture
from constructs_lib.iam.statements import PolicyStatement, grant, service_role
from constructs_lib.network.load_balancer import fit_name
from constructs_lib.secrets import Secret, grant_read_secrets

__all__ = [
    "CONTAINER_NAME",
    "ECS_TASKS_PRINCIPAL",
    "WRITABLE_PATHS",
    "CpuArchitecture",
    "PassedRoles",
    "TaskRoles",
    "add_task_roles",
    "container_definitions",
    "fargate_role_names",
    "task_role_trust",
]

#: The one container of the task; the load balancer and deploys address it by this name.
CONTAINER_NAME = "web"
ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"
_MAX_ROLE_NAME = 64
#: Task-local volumes mounted where a Next.js server writes, when the root filesystem is read-only:
#: volume name -> container path. They live as long as the task (Fargate ephemeral storage).
WRITABLE_PATHS: Mapping[str, str] = {"next-cache": "/app/.next/cache", "tmp": "/tmp"}


def container_definitions(
    *,
    image: str,
    port: int,
    environment: Mapping[str, str],
    secrets: Mapping[str, str],
    log_group: str,
    region: str,
    readonly_root_filesystem: bool,
) -> str:
    """The task's ``container_definitions`` JSON: one essential container :data:`CONTAINER_NAME`.

    ``secrets`` maps an environment variable name to a Secrets Manager secret ARN (``valueFrom``):
    ECS reads the value when the task starts, with the execution role. Logs go to ``log_group`` with
    the ``awslogs`` driver, streams ``web/web/<task id>``.
    """
    container: dict[str, object] = {
        "name": CONTAINER_NAME,
        "image": image,
        "essential": True,
        "portMappings": [{"containerPort": port, "hostPort": port, "protocol": "tcp"}],
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": CONTAINER_NAME,
            },
        },
        "readonlyRootFilesystem": readonly_root_filesystem,
        "mountPoints": (
            [
                {"sourceVolume": volume, "containerPath": path, "readOnly": False}
                for volume, path in sorted(WRITABLE_PATHS.items())
            ]
            if readonly_root_filesystem
            else []
        ),
        # ECS would add these empty lists itself; writing them keeps a plan from showing a diff.
        "volumesFrom": [],
        "systemControls": [],
    }
    return json.dumps([container], sort_keys=True, separators=(",", ":"))


def task_role_trust(scope: Construct, id_: str, *, account_id: str) -> _aws.DataAwsIamPolicyDocument:
    """Trust for the task role: ECS tasks of this account only (``aws:SourceAccount`` and
    ``aws:SourceArn``, as AWS recommends for task roles against the confused deputy problem)."""
    return _aws.DataAwsIamPolicyDocument(
        scope,
        id_,
        statement=[
            _aws.DataAwsIamPolicyDocumentStatement(
                effect="Allow",
                actions=["sts:AssumeRole"],
                principals=[
                    _aws.DataAwsIamPolicyDocumentStatementPrincipals(
                        type="Service", identifiers=[ECS_TASKS_PRINCIPAL]
                    )
                ],
                condition=[
                    _aws.DataAwsIamPolicyDocumentStatementCondition(
                        test="StringEquals", variable="aws:SourceAccount", values=[account_id]
                    ),
                    _aws.DataAwsIamPolicyDocumentStatementCondition(
                        test="ArnLike", variable="aws:SourceArn", values=[f"arn:*:ecs:*:{account_id}:*"]
                    ),
                ],
            )
        ],
    )


@dataclass(frozen=True)
class PassedRoles:
    """The roles a deploy passes (``iam:PassRole``) and the service it passes them to."""

    role_arns: tuple[str, ...]
    passed_to: str


@dataclass(frozen=True)
class TaskRoles:
    """The execution role (ECS uses it to start a task), its policies, and the task role (the app's)."""

    execution_role: _aws.IamRole
    execution_policies: tuple[_aws.IamRolePolicy, ...]
    task_role: _aws.IamRole


def fargate_role_names(name: str) -> tuple[str, str]:
    """The execution and task role names :func:`add_task_roles` gives a service called ``name``."""
    return fit_name(name, _MAX_ROLE_NAME, "-execution"), fit_name(name, _MAX_ROLE_NAME, "-task")


def add_task_roles(
    scope: Construct,
    *,
    name: str,
    repository: EcrRepo,
    secrets: Sequence[Secret],
    log_group_arn: str,
    account_id: str,
    tags: Mapping[str, str],
) -> TaskRoles:
    """``<name>-execution``: may pull from ``repository``, read exactly ``secrets`` (and decrypt their
    customer keys) and write to that log group, nothing else. ``<name>-task``: no permissions. Names
    longer than IAM's 64 characters are shortened with a hash (:func:`fit_name`)."""
    execution_role = service_role(
        scope,
        "execution-role",
        name=fargate_role_names(name)[0],
        service_principal=ECS_TASKS_PRINCIPAL,
        description=f"ECS starts {name} tasks: pull the image, read secrets, write logs",
        tags=tags,
    )
    policies = [
        repository.grant_pull(execution_role),
        grant(
            scope,
            "write-logs",
            execution_role,
            policy_name=f"{name}-write-logs",
            statements=[
                PolicyStatement(
                    sid="WriteLogs",
                    actions=("logs:CreateLogStream", "logs:PutLogEvents"),
                    resources=(f"{log_group_arn}:log-stream:*",),
                )
            ],
        ),
    ]
    if secrets:
        policies.append(
            grant_read_secrets(scope, execution_role, secrets, policy_name=f"{name}-read-secrets")
        )
    task_role = _aws.IamRole(
        scope,
        "task-role",
        name=fargate_role_names(name)[1],
        description=f"Runtime role of the {name} containers (no permissions unless a stack grants them)",
        assume_role_policy=task_role_trust(scope, "task-role-trust", account_id=account_id).json,
        tags=dict(tags) or None,
    )
    return TaskRoles(execution_role, tuple(policies), task_role)
