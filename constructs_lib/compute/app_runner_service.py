"""``AppRunnerService``: the web container on App Runner, pulling one immutable tag from an ``EcrRepo``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from cdktf import TerraformResourceLifecycle
from constructs import Construct
from pydantic import BaseModel, Field, field_validator, model_validator

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.validation import (
    FROZEN,
    FROZEN_WITH_CONSTRUCTS,
    SECRET_LIKE_RULE,
    ImageTag,
    check_env_var_name,
    check_tags,
    is_secret_like,
)
from constructs_lib.compute.ecr_repo import EcrRepo
from constructs_lib.compute.web_service import Compute, WebDomain
from constructs_lib.dns.hosted_zone import HostedZone
from constructs_lib.errors import CoraInfraError
from constructs_lib.iam.statements import service_role
from constructs_lib.secrets import Secret, grant_read_secrets

_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{3,39}$")
# Path of the image identifier inside the service, ignored after creation: deploys change it, not Terraform.
IMAGE_IDENTIFIER_PATH = "source_configuration[0].image_repository[0].image_identifier"


class Cpu(StrEnum):
    """App Runner instance CPU, in vCPU units (the API's value)."""

    QUARTER_VCPU = "256"
    HALF_VCPU = "512"
    ONE_VCPU = "1024"
    TWO_VCPU = "2048"
    FOUR_VCPU = "4096"


class Memory(StrEnum):
    """App Runner instance memory, in MB (the API's value)."""

    HALF_GB = "512"
    ONE_GB = "1024"
    TWO_GB = "2048"
    THREE_GB = "3072"
    FOUR_GB = "4096"
    SIX_GB = "6144"
    EIGHT_GB = "8192"
    TEN_GB = "10240"
    TWELVE_GB = "12288"


# The CPU/memory combinations App Runner accepts.
VALID_CPU_MEMORY: Mapping[Cpu, tuple[Memory, ...]] = {
    Cpu.QUARTER_VCPU: (Memory.HALF_GB, Memory.ONE_GB),
    Cpu.HALF_VCPU: (Memory.ONE_GB,),
    Cpu.ONE_VCPU: (Memory.TWO_GB, Memory.THREE_GB, Memory.FOUR_GB),
    Cpu.TWO_VCPU: (Memory.FOUR_GB, Memory.SIX_GB),
    Cpu.FOUR_VCPU: (Memory.EIGHT_GB, Memory.TEN_GB, Memory.TWELVE_GB),
}


def check_cpu_memory(cpu: Cpu, memory: Memory) -> None:
    """Raise ``ValueError`` unless App Runner offers this CPU/memory combination."""
    allowed = VALID_CPU_MEMORY[cpu]
    if memory not in allowed:
        raise ValueError(
            f"memory {memory.value} MB is not available with cpu {cpu.value}; "
            f"allowed memory for this cpu: {', '.join(m.value for m in allowed)} MB"
        )


def check_plain_environment(value: Mapping[str, str]) -> Mapping[str, str]:
    """A service's plain environment: valid names, none that looks like a secret (``ValueError``)."""
    for name in value:
        check_env_var_name("environment", name)
        if is_secret_like(name):
            raise ValueError(
                f"plain environment variable {name!r} looks like a secret ({SECRET_LIKE_RULE}); "
                "pass it through `secrets` so it comes from Secrets Manager"
            )
    return value


def check_secret_env_names(value: Mapping[str, Secret]) -> Mapping[str, Secret]:
    """A service's secrets: their environment variable names are valid (``ValueError``)."""
    for name in value:
        check_env_var_name("secrets", name)
    return value


class HealthCheckProtocol(StrEnum):
    """How App Runner probes an instance."""

    HTTP = "HTTP"
    TCP = "TCP"


class HealthCheck(BaseModel):
    """Instance health check. Default: ``GET /api/health`` every 10 s, 5 s timeout, 1 up / 5 down."""

    model_config = FROZEN

    protocol: HealthCheckProtocol = HealthCheckProtocol.HTTP
    path: str = "/api/health"
    interval_seconds: int = Field(default=10, strict=True, ge=1, le=20)
    timeout_seconds: int = Field(default=5, strict=True, ge=1, le=20)
    healthy_threshold: int = Field(default=1, strict=True, ge=1, le=20)
    unhealthy_threshold: int = Field(default=5, strict=True, ge=1, le=20)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or any(c.isspace() for c in value) or len(value) > 2048:
            shown = value if len(value) <= 60 else f"{value[:60]}... ({len(value)} characters)"
            raise ValueError(
                f"health check path {shown!r} is invalid: it must start with '/', contain no spaces "
                "and be at most 2048 characters"
            )
        return value


class AutoScaling(BaseModel):
    """Auto scaling. Default: 1 to 5 instances, a new one per 100 concurrent requests."""

    model_config = FROZEN

    min_size: int = Field(default=1, strict=True, ge=1, le=25)
    max_size: int = Field(default=5, strict=True, ge=1, le=25)
    max_concurrency: int = Field(default=100, strict=True, ge=1, le=200)

    @model_validator(mode="after")
    def _min_le_max(self) -> AutoScaling:
        if self.min_size > self.max_size:
            raise ValueError(
                f"auto_scaling.min_size ({self.min_size}) must not exceed max_size ({self.max_size})"
            )
        return self


class AppRunnerServiceProps(BaseModel):
    """Settings of an :class:`AppRunnerService`."""

    model_config = FROZEN_WITH_CONSTRUCTS

    service_name: str
    """4-40 characters: letters, digits, ``-`` and ``_``, starting with a letter or digit."""
    repository: EcrRepo
    """The ECR repository holding the image; the access role may pull from it and nothing else."""
    image_tag: ImageTag
    """The immutable tag deployed at creation (a git SHA). Later deploys change it outside Terraform."""
    port: int = Field(default=3000, strict=True, ge=1, le=65535)
    cpu: Cpu = Cpu.ONE_VCPU
    memory: Memory = Memory.TWO_GB
    environment: Mapping[str, str] = Field(default_factory=dict)
    """Plain environment variables. Secret-looking names are refused: use ``secrets``."""
    secrets: Mapping[str, Secret] = Field(default_factory=dict)
    """Environment variable name → Secrets Manager secret, injected by App Runner at deployment."""
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    auto_scaling: AutoScaling = Field(default_factory=AutoScaling)
    auto_deployments_enabled: bool = Field(default=False, strict=True)
    """Default: off. A new image (a new immutable tag) is deployed with ``update-service`` and its new
    ``ImageIdentifier``; ``start-deployment`` only redeploys the image already configured."""
    create_service: bool = Field(default=True, strict=True)
    """Default: create the service. ``False`` creates only its roles, their policies and the auto
    scaling configuration: the first phase of a new environment, so that the roles exist (and IAM has
    propagated them) long before App Runner is asked to assume them, and the image and the secrets'
    values can be put in place before the service reads them."""
    tags: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("service_name")
    @classmethod
    def _service_name(cls, value: str) -> str:
        if not _SERVICE_NAME.fullmatch(value):
            raise ValueError(
                f"App Runner service name {value!r} is invalid: use 4-40 letters, digits, '-' or '_', "
                "starting with a letter or digit"
            )
        return value

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_plain_environment(value)

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: Mapping[str, Secret]) -> Mapping[str, Secret]:
        return check_secret_env_names(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)

    @model_validator(mode="after")
    def _cross_field(self) -> AppRunnerServiceProps:
        check_cpu_memory(self.cpu, self.memory)
        both = sorted(set(self.environment) & set(self.secrets))
        if both:
            raise ValueError(f"{', '.join(both)} set both as plain environment and as secret; pick one")
        return self

    @property
    def auto_scaling_name(self) -> str:
        """App Runner allows 4-32 characters here, fewer than a service name."""
        return f"{self.service_name[:29]}-as"


@dataclass(frozen=True)
class _PassedRoles:
    role_arns: tuple[str, ...]
    passed_to: str


def role_names(service_name: str) -> tuple[str, str]:
    """The access and instance role names an :class:`AppRunnerService` of that name creates."""
    return f"{service_name}-access", f"{service_name}-instance"


class AppRunnerService(Construct):
    """An App Runner service running one image from an ``EcrRepo``.

    Creates an access role (trusted by ``build.apprunner.amazonaws.com``, may pull from that one
    repository), an instance role (trusted by ``tasks.apprunner.amazonaws.com``, may read exactly the
    given secrets) and an auto scaling configuration that is replaced create-before-destroy. The image
    tag is ignored after creation: a deploy moves it (``update-service`` with the new
    ``ImageIdentifier``), so it is not drift. With ``create_service=False`` everything but the service
    itself is created (``service`` is then ``None``).

    Implements :class:`~constructs_lib.compute.web_service.WebService` (``compute`` is ``apprunner``).
    """

    compute = Compute.APPRUNNER

    def __init__(self, scope: Construct, id_: str, *, props: AppRunnerServiceProps) -> None:
        with unique_id("AppRunnerService", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        self._attributes: dict[str, str] = {}
        tags = dict(props.tags) or None

        self.access_role = service_role(
            self,
            "access-role",
            name=role_names(props.service_name)[0],
            service_principal="build.apprunner.amazonaws.com",
            description=f"App Runner pulls {props.service_name} images from ECR",
            tags=props.tags,
        )
        pull_policy = props.repository.grant_pull(self.access_role)

        self.instance_role = service_role(
            self,
            "instance-role",
            name=role_names(props.service_name)[1],
            service_principal="tasks.apprunner.amazonaws.com",
            description=f"Runtime role of the {props.service_name} containers",
            tags=props.tags,
        )
        secret_policies = (
            [
                grant_read_secrets(
                    self,
                    self.instance_role,
                    list(props.secrets.values()),
                    policy_name=f"{props.service_name}-read-secrets",
                )
            ]
            if props.secrets
            else []
        )

        scaling = props.auto_scaling
        self.auto_scaling_configuration = _aws.ApprunnerAutoScalingConfigurationVersion(
            self,
            "auto-scaling",
            auto_scaling_configuration_name=props.auto_scaling_name,
            min_size=scaling.min_size,
            max_size=scaling.max_size,
            max_concurrency=scaling.max_concurrency,
            tags=tags,
            # A configuration in use cannot be deleted: create the new revision first.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )

        self.service: _aws.ApprunnerService | None = None
        if not props.create_service:
            return
        check = props.health_check
        self.service = _aws.ApprunnerService(
            self,
            "service",
            service_name=props.service_name,
            source_configuration=_aws.ApprunnerServiceSourceConfiguration(
                auto_deployments_enabled=props.auto_deployments_enabled,
                authentication_configuration=_aws.ApprunnerServiceSourceConfigurationAuthenticationConfiguration(
                    access_role_arn=self.access_role.arn
                ),
                image_repository=_aws.ApprunnerServiceSourceConfigurationImageRepository(
                    image_identifier=props.repository.image_uri(props.image_tag),
                    image_repository_type="ECR",
                    image_configuration=_aws.ApprunnerServiceSourceConfigurationImageRepositoryImageConfiguration(
                        port=str(props.port),
                        runtime_environment_variables=dict(sorted(props.environment.items())) or None,
                        runtime_environment_secrets={
                            name: secret.arn for name, secret in sorted(props.secrets.items())
                        }
                        or None,
                    ),
                ),
            ),
            instance_configuration=_aws.ApprunnerServiceInstanceConfiguration(
                cpu=props.cpu.value, memory=props.memory.value, instance_role_arn=self.instance_role.arn
            ),
            health_check_configuration=_aws.ApprunnerServiceHealthCheckConfiguration(
                protocol=check.protocol.value,
                path=check.path if check.protocol is HealthCheckProtocol.HTTP else None,
                interval=check.interval_seconds,
                timeout=check.timeout_seconds,
                healthy_threshold=check.healthy_threshold,
                unhealthy_threshold=check.unhealthy_threshold,
            ),
            auto_scaling_configuration_arn=self.auto_scaling_configuration.arn,
            tags=tags,
            # App Runner checks at creation that the roles can pull and read: attach policies first.
            depends_on=[pull_policy, *secret_policies],
            lifecycle=TerraformResourceLifecycle(ignore_changes=[IMAGE_IDENTIFIER_PATH]),
        )

    def _attribute(self, name: str) -> str:
        # Read once: every attribute read is a round trip to the jsii kernel.
        if name not in self._attributes:
            self._attributes[name] = getattr(self._created(), name)
        return self._attributes[name]

    def _created(self) -> _aws.ApprunnerService:
        if self.service is None:
            raise CoraInfraError(
                f"AppRunnerService {self.props.service_name!r} was built with create_service=False: "
                "it has no service (URL, ARN or ID) yet"
            )
        return self.service

    @property
    def service_url(self) -> str:
        """``https://<id>.<region>.awsapprunner.com`` (a token until apply)."""
        return f"https://{self._attribute('service_url')}"

    @property
    def service_arn(self) -> str:
        """The service ARN (a token until apply); a deploy calls ``update-service`` with it."""
        return self._attribute("arn")

    @property
    def service_id(self) -> str:
        """The service ID (a token until apply)."""
        return self._attribute("service_id")

    @property
    def created(self) -> bool:
        """Whether the service itself exists (``create_service``)."""
        return self.service is not None

    @property
    def deploy_roles(self) -> _PassedRoles:
        """A deploy (``update-service``) passes the access role to App Runner."""
        return _PassedRoles((self.access_role.arn,), "apprunner.amazonaws.com")

    def deploy_outputs(self) -> Mapping[str, str]:
        """Nothing beyond ``SERVICE_ARN``: App Runner's ARN is all ``update-service`` needs."""
        return {}

    def add_custom_domain(
        self, scope: Construct, id_: str, *, zone: HostedZone, domain_name: str, enable_www: bool
    ) -> WebDomain:
        """An :class:`~constructs_lib.AppRunnerCustomDomain` for this service (its validation and
        traffic records in ``zone``)."""
        from constructs_lib.compute.app_runner_domain import (  # noqa: PLC0415 - it imports this module
            AppRunnerCustomDomain,
            AppRunnerCustomDomainProps,
        )

        return AppRunnerCustomDomain(
            scope,
            id_,
            props=AppRunnerCustomDomainProps(
                service=self, zone=zone, domain_name=domain_name, enable_www=enable_www
            ),
        )
