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

Statements come from :func:`deploy_app_statements` and :func:`infra_plan_statements`, pure functions of
the ARNs, so tests check the calls the deploy tool makes against exactly what the stack grants.
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
    "InfraPlanTargets",
    "deploy_app_statements",
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


def _state_key_use(state: InfraPlanTargets, actions: tuple[str, ...], sid: str) -> list[PolicyStatement]:
    if state.state_kms_key_arn is None:
        return []
    via_s3 = {("StringEquals", "kms:ViaService"): (f"s3.{state.state_region}.amazonaws.com",)}
    return [
        PolicyStatement(sid=sid, actions=actions, resources=(state.state_kms_key_arn,), conditions=via_s3)
    ]


def deploy_app_statements(targets: DeployAppTargets) -> tuple[PolicyStatement, ...]:
    """Every permission ``cora-infra deploy-app`` and the deploy-app workflow use, and no other."""
    arn = f"arn:{targets.partition}"
    where = f"{targets.region}:{targets.account}"
    statements = [
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
        PolicyStatement(
            sid="EnvironmentLock", actions=LOCK_ACTIONS, resources=(targets.state.lock_object_arn,)
        ),
    ]
    statements += _state_key_use(targets.state, ("kms:Decrypt", "kms:GenerateDataKey"), "EnvironmentLockKey")
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
        deploy_app: DeployAppTargets,
        tags: dict[str, str] | None = None,
    ) -> None:
        with unique_id("DeliveryPolicies", scope, id_):
            super().__init__(scope, id_)
        self.targets = deploy_app
        env = prefix
        self.deploy_app = _aws.IamPolicy(
            self,
            "deploy-app",
            name=f"{env}-deploy-app",
            description=f"cora-infra deploy-app of {env}: push, deploy, check, roll back under the lock",
            policy=policy_document(self, "deploy-app-document", deploy_app_statements(deploy_app)).json,
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
