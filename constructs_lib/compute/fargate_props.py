"""``FargateServiceProps``: what a :class:`~constructs_lib.FargateService` takes, checked as ECS and
Elastic Load Balancing would (names, sizes, ranges) before any resource is made.

The fields mean what ``AppRunnerServiceProps``'s do; the ECS-only ones are the network placement, the
CPU architecture, the root file system, the grace period and ``protected``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel, Field, field_validator, model_validator

from constructs_lib._runtime.validation import (
    FROZEN_WITH_CONSTRUCTS,
    ImageTag,
    LogRetentionDays,
    check_kms_key_arn,
    check_tags,
)
from constructs_lib.compute.app_runner_service import (
    AutoScaling,
    HealthCheck,
    check_plain_environment,
    check_secret_env_names,
)
from constructs_lib.compute.ecr_repo import EcrRepo
from constructs_lib.compute.fargate_sizes import FargateCpu, check_fargate_cpu_memory
from constructs_lib.compute.fargate_task import (
    CpuArchitecture,
)
from constructs_lib.network.placement import Network
from constructs_lib.secrets import Secret

__all__ = ["FargateServiceProps"]

_SERVICE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
# AWS refuses load balancer names starting with "internal-" and security group names with "sg-".
_REFUSED_PREFIXES = ("internal-", "sg-")
_MAX_HEALTH_CHECK_GRACE = 2_147_483_647  # ECS's limit (seconds)


class FargateServiceProps(BaseModel):
    """Settings of a :class:`FargateService`: the fields of ``AppRunnerServiceProps`` mean the same."""

    model_config = FROZEN_WITH_CONSTRUCTS

    service_name: str
    """1-255 letters, digits, ``-`` and ``_``. Names the cluster, the service, the task family, the log
    group ``/ecs/<service_name>``, the roles and (shortened to 32 characters if longer, see
    :func:`~constructs_lib.network.load_balancer.lb_name`) the load balancer and target group."""
    repository: EcrRepo
    """The ECR repository holding the image; the execution role may pull from it and nothing else."""
    image_tag: ImageTag
    """The immutable tag of the task definition Terraform registers (a git SHA). Deploys register
    revisions with later tags outside Terraform."""
    port: int = Field(default=3000, strict=True, ge=1, le=65535)
    cpu: FargateCpu = FargateCpu.ONE_VCPU
    """Default: 1 vCPU (1024 units)."""
    memory: int = Field(default=2048, strict=True)
    """Default: 2048 MiB. Fargate allows only some values per ``cpu`` (checked)."""
    cpu_architecture: CpuArchitecture = CpuArchitecture.X86_64
    """Default: X86_64. ARM64 (Graviton) needs an image built for arm64."""
    environment: Mapping[str, str] = Field(default_factory=dict)
    """Plain environment variables. Secret-looking names are refused: use ``secrets``."""
    secrets: Mapping[str, Secret] = Field(default_factory=dict)
    """Environment variable name → Secrets Manager secret, read by ECS when a task starts."""
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    """The target group's health check, clamped into the ALB's ranges
    (:func:`~constructs_lib.network.load_balancer.alb_health_check`)."""
    auto_scaling: AutoScaling = Field(default_factory=AutoScaling)
    """``min_size``/``max_size``: the task count range; ``max_concurrency``: see
    :func:`~constructs_lib.compute.fargate_scaling.requests_per_target`."""
    network: Network
    """The VPC: the load balancer in its public subnets, the tasks in its private ones."""
    assign_public_ip: bool = Field(default=False, strict=True)
    """Default: tasks in the private subnets, reaching out through NAT (or VPC endpoints). ``True``:
    tasks in the public subnets with public IPs (no NAT cost; still only the load balancer may
    connect, by security group)."""
    log_retention_days: LogRetentionDays = 30
    log_kms_key_arn: str | None = None
    """Default: CloudWatch's own encryption. A customer key's policy must let ``logs.<region>.amazonaws.com``
    use it."""
    readonly_root_filesystem: bool = Field(default=True, strict=True)
    """Default: the container cannot write to its image's filesystem; ``/app/.next/cache`` and ``/tmp``
    (where a Next.js server writes) are task-local volumes."""
    health_check_grace_period_seconds: int = Field(default=60, strict=True, ge=0, le=_MAX_HEALTH_CHECK_GRACE)
    """Default: failed load balancer health checks are ignored for a new task's first 60 s."""
    create_service: bool = Field(default=True, strict=True)
    """Default: create the service. ``False``: everything but the ECS service and its auto scaling
    (roles, log group, cluster, task definition, load balancer), the first deploy phase."""
    protected: bool = Field(default=False, strict=True)
    """Default: off (dev). On (stg, prd): load balancer deletion protection and access logs."""
    tags: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("service_name")
    @classmethod
    def _service_name(cls, value: str) -> str:
        if not _SERVICE_NAME.fullmatch(value):
            raise ValueError(
                f"FargateServiceProps.service_name {value!r} is invalid: use 1-255 letters, digits, '-' "
                "or '_'"
            )
        if value.lower().startswith(_REFUSED_PREFIXES):
            raise ValueError(
                f"FargateServiceProps.service_name {value!r} is invalid: it must not start with 'internal-' "
                "(load balancer names) or 'sg-' (security group names)"
            )
        return value

    # The App Runner props' checks, so both backends accept and refuse the same [app] values.
    @field_validator("environment")
    @classmethod
    def _environment(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_plain_environment(value)

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: Mapping[str, Secret]) -> Mapping[str, Secret]:
        return check_secret_env_names(value)

    @field_validator("log_kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("log_kms_key_arn", value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)

    @model_validator(mode="after")
    def _cross_field(self) -> FargateServiceProps:
        try:
            check_fargate_cpu_memory(self.cpu.value, str(self.memory))
        except ValueError as err:
            raise ValueError(f"FargateServiceProps.memory: {err}") from None
        both = sorted(set(self.environment) & set(self.secrets))
        if both:
            raise ValueError(f"{', '.join(both)} set both as plain environment and as secret; pick one")
        return self

    @property
    def log_group_name(self) -> str:
        """``/ecs/<service_name>``."""
        return f"/ecs/{self.service_name}"
