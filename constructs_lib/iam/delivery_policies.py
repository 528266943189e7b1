"""``DeliveryPolicies``: the customer managed policies of the two roles that deliver an environment.

A team's CI assumes roles of its own (a hub-and-spoke OIDC set-up); what those roles may do is part of
the environment, so the stack creates it and a team attaches it:

- ``<project>-<env>-deploy-app``: exactly what ``cora-infra outputs``/``deploy-app`` and the deploy-app
  workflow call. Read the published outputs (``ssm:GetParametersByPath`` is authorised on the path itself,
  ``GetParameters`` on each parameter), push and inspect images of the one repository, deploy the one
  App Runner service (``UpdateService`` passes its access role: ``iam:PassRole`` on that role only,
  to App Runner only), check its secrets have values without reading them (``DescribeSecret``), read its
  event log for failure causes, and take the environment's lock (Terraform's lock object, nothing else
  of the state bucket).
- ``<project>-<env>-infra-plan``: what a plan needs beyond AWS's ``ReadOnlyAccess`` (attach both to
  the plan role): the state (read) and its lock, and explicit denies that win over any allow: no
  ``secretsmanager:GetSecretValue`` and no ``kms:Decrypt`` but the state's key through S3. A pull
  request's code runs with this role: it can plan, it cannot read a secret value or the parameters
  and objects a key protects.

An ECS environment's ``deploy-app`` policy (:class:`EcsDeployTargets`, :func:`ecs_deploy_app_statements`)
allows what the ECS path of ``deploy-app`` calls instead of App Runner's: read and update the one service,
register revisions of its task definition family (passing its execution and task roles to ECS tasks
only), read why its tasks stopped and their log lines.

Statements come from :func:`deploy_app_statements`, :func:`ecs_deploy_app_statements` and
:func:`infra_plan_statements`, pure functions of the ARNs, so tests check the calls the deploy tool
makes against exactly what the stack grants.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib.compute.ecr_repo import AUTH_TOKEN_ACTION, PUSH_ACTIONS
from constructs_lib.iam.statements import PolicyStatement, policy_document

__all__ = [
    "DeliveryPolicies",
    "DeployAppTargets",
    "EcsDeployTargets",
    "InfraPlanTargets",
    "deploy_app_statements",
    "ecs_deploy_app_statements",
    "infra_plan_statements",
    "partition_of",
]

DEPLOY_APP_SERVICE_ACTIONS = (
    "apprunner:DescribeCustomDomains",
    "apprunner:DescribeService",
    "apprunner:ListOperations",
    "apprunner:UpdateService",
)
LOCK_ACTIONS = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")


def partition_of(region: str) -> str:
    """The AWS partition of ``region`` (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True)
class InfraPlanTargets:
    """Where an environment keeps its state (literal names; the key's ARN may be a token)."""

    partition: str
    state_bucket: str
    state_key: str
    state_region: str
    state_kms_key_arn: str | None = None

    @property
    def lock_object_arn(self) -> str:
        """Terraform's lock file of the state (``use_lockfile``): ``<key>.tflock``."""
        return f"arn:{self.partition}:s3:::{self.state_bucket}/{self.state_key}.tflock"

    @property
    def lock_url(self) -> str:
        """The same object as the deploy tool names it (published as ``STATE_LOCK``)."""
        return f"s3://{self.state_bucket}/{self.state_key}.tflock"


@dataclass(frozen=True)
class DeployAppTargets:
    """What one environment's app deploys touch (ARNs, or tokens in a stack)."""

    partition: str
    region: str
    account: str
    parameter_path: str
    """``/<project>/<env>``: the published outputs."""
    repository_arn: str
    service_name: str
    access_role_arn: str
    secret_arns: tuple[str, ...]
    state: InfraPlanTargets


@dataclass(frozen=True)
class EcsDeployTargets:
    """What one ECS environment's app deploys touch (ARNs and names, or tokens in a stack)."""

    partition: str
    region: str
    account: str
    parameter_path: str
    """``/<project>/<env>``: the published outputs."""
    repository_arn: str
    cluster_name: str
    service_name: str
    task_family: str
    """The service's task definition family: the deploy registers its revisions."""
    execution_role_arn: str
    task_role_arn: str
    log_group_name: str
    """The ``awslogs`` group of the service's containers."""
    secret_arns: tuple[str, ...]
    state: InfraPlanTargets

    @property
    def cluster_arn(self) -> str:
        """The cluster's ARN (the ``ecs:cluster`` condition key's value)."""
        return f"arn:{self.partition}:ecs:{self.region}:{self.account}:cluster/{self.cluster_name}"


def _state_key_use(state: InfraPlanTargets, actions: tuple[str, ...], sid: str) -> list[PolicyStatement]:
    if state.state_kms_key_arn is None:
        return []
    via_s3 = {("StringEquals", "kms:ViaService"): (f"s3.{state.state_region}.amazonaws.com",)}
    return [
        PolicyStatement(sid=sid, actions=actions, resources=(state.state_kms_key_arn,), conditions=via_s3)
    ]


def _outputs_and_images(
    targets: DeployAppTargets | EcsDeployTargets, arn: str, where: str
) -> list[PolicyStatement]:
    return [
        PolicyStatement(
            sid="ReadPublishedOutputs",
            actions=("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"),
            resources=(
                f"{arn}:ssm:{where}:parameter{targets.parameter_path}",
                f"{arn}:ssm:{where}:parameter{targets.parameter_path}/*",
            ),
        ),
        PolicyStatement(
            sid="PushAndInspectImages",
            actions=tuple(sorted({*PUSH_ACTIONS, "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"})),
            resources=(targets.repository_arn,),
        ),
        # AWS accepts GetAuthorizationToken only on "*"; it grants no access to any image.
        PolicyStatement(sid="RegistryLogin", actions=(AUTH_TOKEN_ACTION,), resources=("*",)),
    ]


def _environment_lock(state: InfraPlanTargets) -> list[PolicyStatement]:
    return [
        PolicyStatement(sid="EnvironmentLock", actions=LOCK_ACTIONS, resources=(state.lock_object_arn,)),
        *_state_key_use(state, ("kms:Decrypt", "kms:GenerateDataKey"), "EnvironmentLockKey"),
    ]


def deploy_app_statements(targets: DeployAppTargets) -> tuple[PolicyStatement, ...]:
    """Every permission ``cora-infra deploy-app`` and the deploy-app workflow use, and no other."""
    arn = f"arn:{targets.partition}"
    where = f"{targets.region}:{targets.account}"
    statements = [
        *_outputs_and_images(targets, arn, where),
        PolicyStatement(
            sid="DeployTheService",
            actions=DEPLOY_APP_SERVICE_ACTIONS,
            resources=(f"{arn}:apprunner:{where}:service/{targets.service_name}/*",),
        ),
        PolicyStatement(
            sid="PassTheAccessRole",
            actions=("iam:PassRole",),
            resources=(targets.access_role_arn,),
            conditions={("StringEquals", "iam:PassedToService"): ("apprunner.amazonaws.com",)},
        ),
        PolicyStatement(
            sid="CheckSecretsHaveValues",
            actions=("secretsmanager:DescribeSecret",),
            resources=targets.secret_arns,
        ),
        PolicyStatement(
            sid="ReadDeployEvents",
            actions=("logs:FilterLogEvents",),
            resources=(f"{arn}:logs:{where}:log-group:/aws/apprunner/{targets.service_name}/*",),
        ),
        *_environment_lock(targets.state),
    ]
    return tuple(statements)


def ecs_deploy_app_statements(targets: EcsDeployTargets) -> tuple[PolicyStatement, ...]:
    """Every permission the ECS path of ``cora-infra deploy-app`` and the deploy-app workflow use.

    Resource scoping follows AWS's Service Authorization Reference for Amazon ECS ("Actions defined by
    Amazon Elastic Container Service"): ``DescribeServices``/``UpdateService`` take the ``service``
    resource and the ``ecs:cluster`` key; ``DescribeTasks`` the ``task`` resource; ``ListTasks`` names a
    ``container-instance`` resource, which Fargate tasks have none of, so it is granted on ``*`` with the
    ``ecs:cluster`` condition; ``DescribeTaskDefinition`` lists no resource type (``*`` only), and
    ``RegisterTaskDefinition`` is granted on ``*`` because the revision it creates has no ARN before
    the call (only tag condition keys apply). Registering with tags needs ``ecs:TagResource`` with
    ``ecs:CreateAction`` (ECS's tagging authorisation), on the family's revisions only.
    """
    arn = f"arn:{targets.partition}"
    where = f"{targets.region}:{targets.account}"
    in_cluster = {("ArnEquals", "ecs:cluster"): (targets.cluster_arn,)}
    statements = [
        *_outputs_and_images(targets, arn, where),
        PolicyStatement(
            sid="DeployTheService",
            actions=("ecs:DescribeServices", "ecs:UpdateService"),
            resources=(f"{arn}:ecs:{where}:service/{targets.cluster_name}/{targets.service_name}",),
            conditions=in_cluster,
        ),
        PolicyStatement(
            sid="RegisterRevisions",
            actions=("ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"),
            resources=("*",),
        ),
        PolicyStatement(
            sid="TagNewRevisions",
            actions=("ecs:TagResource",),
            resources=(f"{arn}:ecs:{where}:task-definition/{targets.task_family}:*",),
            conditions={("StringEquals", "ecs:CreateAction"): ("RegisterTaskDefinition",)},
        ),
        PolicyStatement(
            sid="ListStoppedTasks", actions=("ecs:ListTasks",), resources=("*",), conditions=in_cluster
        ),
        PolicyStatement(
            sid="ReadStoppedTasks",
            actions=("ecs:DescribeTasks",),
            resources=(f"{arn}:ecs:{where}:task/{targets.cluster_name}/*",),
            conditions=in_cluster,
        ),
        PolicyStatement(
            sid="PassTheTaskRoles",
            actions=("iam:PassRole",),
            resources=tuple(sorted({targets.execution_role_arn, targets.task_role_arn})),
            conditions={("StringEquals", "iam:PassedToService"): ("ecs-tasks.amazonaws.com",)},
        ),
        PolicyStatement(
            sid="CheckSecretsHaveValues",
            actions=("secretsmanager:DescribeSecret",),
            resources=targets.secret_arns,
        ),
        PolicyStatement(
            sid="ReadTaskLogs",
            actions=("logs:GetLogEvents",),
            resources=(f"{arn}:logs:{where}:log-group:{targets.log_group_name}:log-stream:*",),
        ),
        *_environment_lock(targets.state),
    ]
    return tuple(statements)


def infra_plan_statements(targets: InfraPlanTargets) -> tuple[PolicyStatement, ...]:
    """The state and its lock for a plan, and the denies that keep secret values out of its reach."""
    bucket = f"arn:{targets.partition}:s3:::{targets.state_bucket}"
    statements = [
        PolicyStatement(sid="ListState", actions=("s3:ListBucket",), resources=(bucket,)),
        PolicyStatement(
            sid="ReadState", actions=("s3:GetObject",), resources=(f"{bucket}/{targets.state_key}",)
        ),
        PolicyStatement(sid="StateLock", actions=LOCK_ACTIONS, resources=(targets.lock_object_arn,)),
        *_state_key_use(targets, ("kms:Decrypt", "kms:GenerateDataKey"), "StateKey"),
        PolicyStatement(
            sid="DenySecretValues",
            effect="Deny",
            actions=("secretsmanager:BatchGetSecretValue", "secretsmanager:GetSecretValue"),
            resources=("*",),
        ),
    ]
    key = targets.state_kms_key_arn
    if key is None:
        statements.append(
            PolicyStatement(sid="DenyDecrypt", effect="Deny", actions=("kms:Decrypt",), resources=("*",))
        )
    else:
        statements += [
            PolicyStatement(
                sid="DenyDecryptButState",
                effect="Deny",
                actions=("kms:Decrypt",),
                resources=(),
                not_resources=(key,),
            ),
            PolicyStatement(
                sid="DenyStateKeyOutsideS3",
                effect="Deny",
                actions=("kms:Decrypt",),
                resources=(key,),
                conditions={
                    ("StringNotEquals", "kms:ViaService"): (f"s3.{targets.state_region}.amazonaws.com",)
                },
            ),
        ]
    return tuple(statements)


class DeliveryPolicies(Construct):
    """The ``deploy-app`` and ``infra-plan`` customer managed policies of one environment.

    ``names`` are ``<prefix>-deploy-app`` and ``<prefix>-infra-plan`` (``prefix`` is
    ``<project>-<env>``); :attr:`deploy_app_arn` and :attr:`infra_plan_arn` are what a team attaches to
    its roles (the stack publishes them).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        deploy_app: DeployAppTargets | EcsDeployTargets,
        tags: dict[str, str] | None = None,
    ) -> None:
        with unique_id("DeliveryPolicies", scope, id_):
            super().__init__(scope, id_)
        self.targets = deploy_app
        env = prefix
        statements = (
            ecs_deploy_app_statements(deploy_app)
            if isinstance(deploy_app, EcsDeployTargets)
            else deploy_app_statements(deploy_app)
        )
        self.deploy_app = _aws.IamPolicy(
            self,
            "deploy-app",
            name=f"{env}-deploy-app",
            description=f"cora-infra deploy-app of {env}: push, deploy, check, roll back under the lock",
            policy=policy_document(self, "deploy-app-document", statements).json,
            tags=tags or None,
        )
        self.infra_plan = _aws.IamPolicy(
            self,
            "infra-plan",
            name=f"{env}-infra-plan",
            description=f"Plans of {env} with ReadOnlyAccess: state and lock; never secret values",
            policy=policy_document(self, "infra-plan-document", infra_plan_statements(deploy_app.state)).json,
            tags=tags or None,
        )
        self._deploy_app_arn: str = self.deploy_app.arn
        self._infra_plan_arn: str = self.infra_plan.arn

    @property
    def deploy_app_arn(self) -> str:
        """The ``<prefix>-deploy-app`` policy's ARN (a token until apply)."""
        return self._deploy_app_arn

    @property
    def infra_plan_arn(self) -> str:
        """The ``<prefix>-infra-plan`` policy's ARN (a token until apply)."""
        return self._infra_plan_arn
