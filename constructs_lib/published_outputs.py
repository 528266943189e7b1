"""``PublishedOutputs``: the stack's outputs as SSM parameters, for jobs that have no Terraform.

In the two-repo layout the app repository's deploy job has AWS credentials but no Terraform state:
it finds the ECR repository, the service and the URLs under ``/<project>/<env>/<NAME>`` (plain
``String`` parameters; only non-secret values belong here), read by ``cora-infra outputs`` and
``cora-infra deploy-app`` (:mod:`constructs_lib.deploy`). The names below are that contract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from constructs import Construct
from pydantic import BaseModel, field_validator

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.validation import FROZEN, is_secret_like

__all__ = [
    "API_URL",
    "APP_URL",
    "CLUSTER_ARN",
    "COMPUTE",
    "DEPLOY_APP_POLICY_ARN",
    "ECR_REPOSITORY_URL",
    "INFRA_PLAN_POLICY_ARN",
    "SERVICE_ARN",
    "STATE_LOCK",
    "TASK_FAMILY",
    "PublishedOutputs",
    "PublishedOutputsProps",
    "parameter_prefix",
]

ECR_REPOSITORY_URL: Final = "ECR_REPOSITORY_URL"
SERVICE_ARN: Final = "SERVICE_ARN"
APP_URL: Final = "APP_URL"
API_URL: Final = "API_URL"
STATE_LOCK: Final = "STATE_LOCK"
"""``s3://<state bucket>/<state key>.tflock``: Terraform's lock file, which ``deploy-app`` takes too."""
DEPLOY_APP_POLICY_ARN: Final = "DEPLOY_APP_POLICY_ARN"
"""The managed policy a deploy-app role needs (``<project>-<env>-deploy-app``)."""
INFRA_PLAN_POLICY_ARN: Final = "INFRA_PLAN_POLICY_ARN"
"""The managed policy of the infra plan role (``<project>-<env>-infra-plan``: state, no secret values)."""
COMPUTE: Final = "COMPUTE"
"""The web service's backend: ``ecs``; absent: App Runner (stacks of cora-infra 0.4 publish none)."""
CLUSTER_ARN: Final = "CLUSTER_ARN"
"""ECS only: the cluster of the service (``SERVICE_ARN`` is then the ECS service's ARN)."""
TASK_FAMILY: Final = "TASK_FAMILY"
"""ECS only: the service's task definition family (its app container is named ``web``)."""

_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def parameter_prefix(project: str, environment: str) -> str:
    """``/<project>/<env>``: where the stack of ``environment`` publishes its outputs."""
    return f"/{project}/{environment}"


class PublishedOutputsProps(BaseModel):
    """Where to publish, and what."""

    model_config = FROZEN

    prefix: str
    """The parameters' path, e.g. ``/cora/dev`` (see :func:`parameter_prefix`)."""
    values: Mapping[str, str]
    """Output name (``UPPER_SNAKE``, never secret-like) → value; tokens are resolved at apply."""

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        segments = value.split("/")
        if segments[0] != "" or len(segments) < 2 or not all(_SEGMENT.fullmatch(s) for s in segments[1:]):
            raise ValueError(
                f"{value!r} is not an SSM path: '/' then segments of letters, digits, '_', '.' or '-'"
                " separated by '/', e.g. '/cora/dev'"
            )
        if segments[1].lower().startswith(("aws", "ssm")):
            raise ValueError(f"{value!r}: SSM reserves names whose first segment starts with 'aws' or 'ssm'")
        return value

    @field_validator("values")
    @classmethod
    def _values(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        if not value:
            raise ValueError("publish at least one value")
        for name in value:
            if not _NAME.fullmatch(name):
                raise ValueError(
                    f"{name!r} is not an output name: UPPER_SNAKE, 1-64 characters, e.g. 'APP_URL'"
                )
            if is_secret_like(name):
                raise ValueError(
                    f"{name!r} looks like a secret: these parameters are plain String values anyone with"
                    " ssm:GetParameter reads; keep secrets in Secrets Manager"
                )
        return dict(value)


class PublishedOutputs(Construct):
    """One ``aws_ssm_parameter`` (``String``) per value, named ``<prefix>/<NAME>``.

    Example::

        PublishedOutputs(stack, "published-outputs", props=PublishedOutputsProps(
            prefix=parameter_prefix("cora", "dev"), values={APP_URL: "https://app.example.com"}))
    """

    def __init__(self, scope: Construct, id_: str, *, props: PublishedOutputsProps) -> None:
        with unique_id("PublishedOutputs", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        self.parameters: dict[str, _aws.SsmParameter] = {
            name: _aws.SsmParameter(
                self,
                name.lower().replace("_", "-"),
                name=f"{props.prefix}/{name}",
                type="String",
                value=value,
                description=f"{name}, published by cora-infra for deploy jobs (not a secret)",
            )
            for name, value in sorted(props.values.items())
        }

    def parameter_name(self, name: str) -> str:
        """The full SSM name of output ``name``."""
        return f"{self.props.prefix}/{name}"
