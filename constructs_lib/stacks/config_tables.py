"""The tables of an environment config (``[app]``, ``[auth]``, ``[state]``, ...) and their rules.

:class:`constructs_lib.stacks.config.EnvConfig` puts them together and adds the rules that span tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from constructs_lib import (
    ApiRoute,
    AutoScaling,
    CorsConfig,
    Cpu,
    HealthCheck,
    HttpMethod,
    Memory,
    SecretRotation,
    Throttling,
)
from constructs_lib._runtime.validation import (
    FROZEN,
    EnvVarNames,
    ImageTag,
    LogRetentionDays,
    check_kms_key_arn,
    url_port_problem,
)
from constructs_lib.api.feature_modules import ModuleLayout, check_module_name
from constructs_lib.api.models import DEFAULT_CORS_HEADERS, DEFAULT_CORS_METHODS, check_origin
from constructs_lib.api.modular_api_gateway import check_routes
from constructs_lib.compute.app_runner_service import check_cpu_memory
from constructs_lib.compute.fargate_sizes import (
    CpuArchitecture,
    FargateCpu,
    check_fargate_cpu_memory,
    fargate_memory_values,
)
from constructs_lib.compute.web_service import Compute
from constructs_lib.environment import PINNED_TAG_ENVIRONMENTS, Environment
from constructs_lib.state_backend import BucketName, Region, StateKey

# The port is checked apart (1-65535, digits 0-9, no leading zeros): a pattern cannot say it clearly.
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]*)?(/[^\s]*)?$")

JWT_AUTHORIZER_NAME = "okta"
DEFAULT_SECRETS = ("NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET", "SUPABASE_ANON_KEY")
# The provider default tags CoraAppStack adds to every resource: config tags count with them towards
# AWS's 50 and may not reuse their keys (a test compares them with the synthesized provider).
DEFAULT_TAG_KEYS = ("project", "environment", "managed-by")
# The plain environment variables CoraAppStack gives the app: a secret may not take one of the names.
PLAIN_ENV_NAMES = (
    "NODE_ENV",
    "NEXT_PUBLIC_API_URL",
    "NEXTAUTH_URL",
    "AUTH_TRUST_HOST",
    "OKTA_ISSUER",
    "OKTA_CLIENT_ID",
    "SUPABASE_URL",
)


# Environments where any origin may call the API.
OPEN_CORS = frozenset({Environment.DEV, Environment.LOCAL})
# Environments that deploy only pinned image tags (the library's rule, checked here too to name the key).
PINNED_TAGS = PINNED_TAG_ENVIRONMENTS
_LOOPBACK_URL = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\]):[0-9]+$")


def _url(value: str, pattern: re.Pattern[str], kind: str) -> str:
    """``value`` when it matches ``pattern`` and its port (if any) is 1-65535, else a ValueError."""
    if not pattern.fullmatch(value):
        raise ValueError(f"{value!r} is not {kind}")
    port = url_port_problem(value)
    if port:
        raise ValueError(f"{value!r}: {port}")
    return value


def _https_url(value: str) -> str:
    return _url(value, _HTTPS_URL, "an https:// URL")


HttpsUrl = Annotated[str, AfterValidator(_https_url)]


def _loopback_url(value: str) -> str:
    return _url(value, _LOOPBACK_URL, "a loopback URL such as 'http://127.0.0.1:4566'")


class EmulatorConfig(BaseModel):
    """Local emulators the ``local`` environment deploys to; the defaults are Terraform variables.

    The tooling (``python -m devtools.emulators``) starts them on free ports and sets
    ``TF_VAR_emulator_endpoint`` / ``TF_VAR_apprunner_endpoint``; only loopback addresses are allowed.
    """

    model_config = FROZEN

    endpoint: Annotated[str, AfterValidator(_loopback_url)] = "http://127.0.0.1:4566"
    """moto in server mode: ECR, IAM, API Gateway v2, Lambda, Secrets Manager, S3, STS, KMS, Logs."""
    apprunner_endpoint: Annotated[str, AfterValidator(_loopback_url)] = "http://127.0.0.1:4567"
    """The App Runner emulator (moto has none)."""


class StateConfig(BaseModel):
    """Remote state. Default key: ``<project>/<environment>/terraform.tfstate``."""

    model_config = FROZEN

    bucket: BucketName
    key: StateKey | None = None
    region: Region | None = None
    """Default: the environment's region."""
    kms_key_id: str | None = None

    @field_validator("kms_key_id")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("kms_key_id", value)


def _one_of(values: Sequence[str]) -> str:
    """Pydantic's own wording for an enum: ``'a', 'b' or 'c'``."""
    quoted = [repr(v) for v in values]
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}" if len(quoted) > 1 else quoted[0]


def _on_ecs(info: ValidationInfo) -> bool:
    return info.data.get("compute") is Compute.ECS


def _cpu(value: object, info: ValidationInfo) -> object:
    """App Runner's member when App Runner has the value, else Fargate's: one error, in the words of an
    enum's, listing the backend's values (the model's rule says when a value needs the other backend)."""
    text = value.value if isinstance(value, Enum) else value
    if isinstance(text, str):
        if text in {c.value for c in Cpu}:
            return Cpu(text)
        if text in {c.value for c in FargateCpu}:
            return FargateCpu(text)
    allowed = [c.value for c in (FargateCpu if _on_ecs(info) else Cpu)]
    raise PydanticCustomError("enum", f"Input should be {_one_of(allowed)}")


def _memory(value: object, info: ValidationInfo) -> object:
    """App Runner's member when App Runner has the value, else a Fargate size (MB, as text)."""
    text = value.value if isinstance(value, Enum) else value
    if isinstance(text, str):
        if text in {m.value for m in Memory}:
            return Memory(text)
        if text.isdigit() and int(text) in fargate_memory_values():
            return text
    if _on_ecs(info):
        raise PydanticCustomError("enum", "Input should be a Fargate memory size in MB (512-122880, by cpu)")
    raise PydanticCustomError("enum", f"Input should be {_one_of([m.value for m in Memory])}")


class AppConfig(BaseModel):
    """The web app: its image, size, health check, scaling, settings and secrets, on either backend."""

    model_config = FROZEN

    compute: Compute = Compute.APPRUNNER
    """What runs the container: ``apprunner`` (default; closed to new AWS customers since 30 April
    2026) or ``ecs`` (ECS on Fargate behind a load balancer, in the ``[network]`` VPC)."""
    image_tag: ImageTag
    """The tag deployed when the service is created (later deploys move it outside Terraform)."""
    port: int = Field(default=3000, strict=True, ge=1, le=65535)
    cpu: Annotated[Cpu | FargateCpu, BeforeValidator(_cpu)] = Cpu.ONE_VCPU
    """CPU units (1024 = 1 vCPU). App Runner: 256-4096; Fargate also 8192 and 16384."""
    memory: Annotated[Memory | str, BeforeValidator(_memory)] = Memory.TWO_GB
    cpu_architecture: CpuArchitecture = CpuArchitecture.X86_64
    """ECS only: ``ARM64`` runs Graviton tasks (~20 % cheaper per vCPU-hour; the image must be built
    for arm64). App Runner runs x86_64 images only."""
    """MB, a pair with ``cpu`` that the backend offers."""
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    auto_scaling: AutoScaling = Field(default_factory=AutoScaling)
    auto_deployments_enabled: bool = Field(default=False, strict=True)
    create_service: bool = Field(default=True, strict=True)
    """Default: create the App Runner service (and the secret rotation). The first deploy of an
    environment sets it false (``CORA_SKIP_SERVICE=1``): App Runner needs the image in ECR and a value in
    every secret, and both the repository and the secrets come from this stack; the service's roles are
    created all the same. See ``python -m devtools.preflight``."""
    secrets: EnvVarNames = Field(default=DEFAULT_SECRETS, min_length=1)
    """Environment variables read from Secrets Manager (created empty, values set out of band)."""
    secret_rotation: SecretRotation | None = None
    """Default: no automatic rotation. Set ``lambda_arn`` (and ``after_days`` or ``schedule_expression``;
    default every 30 days) to rotate every app secret. Created in the second deploy phase, with the
    service, once every secret has a value."""
    secret_recovery_window_days: int | None = Field(default=None, strict=True)
    """How long a destroyed secret can be restored: 0 (deleted at once) or 7-30 days. Default: 0 in dev
    and local, so destroy then deploy again works (a secret in its recovery window keeps its name taken:
    ``ResourceExistsException``); 30 in stg and prd, which must keep it 7-30 days."""

    @field_validator("secret_recovery_window_days")
    @classmethod
    def _recovery_window(cls, value: int | None) -> int | None:
        if value is not None and value != 0 and not 7 <= value <= 30:
            raise ValueError(f"{value} days is not allowed: use 0 (delete at once) or 7-30 days")
        return value

    @field_validator("secrets")
    @classmethod
    def _secrets_not_plain(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        both = [name for name in value if name in PLAIN_ENV_NAMES]
        if both:
            raise ValueError(
                f"{', '.join(map(repr, both))}: the stack sets these as plain environment variables "
                f"({', '.join(PLAIN_ENV_NAMES)}); name the secrets differently"
            )
        return value

    @model_validator(mode="after")
    def _cpu_memory(self) -> AppConfig:
        if self.compute is Compute.ECS:
            check_fargate_cpu_memory(self.cpu.value, str(self.memory))
            return self
        if self.cpu_architecture is not CpuArchitecture.X86_64:
            raise ValueError(
                f'cpu_architecture: {self.cpu_architecture.value} needs ECS (compute = "ecs"); '
                "App Runner runs x86_64 images only"
            )
        if not isinstance(self.cpu, Cpu) or not isinstance(self.memory, Memory):
            wrong = f"cpu {self.cpu.value}" if not isinstance(self.cpu, Cpu) else f"memory {self.memory}"
            raise ValueError(
                f"{wrong} is not an App Runner size (cpu {', '.join(c.value for c in Cpu)}; memory "
                f'{", ".join(m.value for m in Memory)}); Fargate offers it: compute = "ecs"'
            )
        check_cpu_memory(self.cpu, self.memory)
        return self


class AuthConfig(BaseModel):
    """Okta: the JWT authorizer of the API and the app's sign-in settings."""

    model_config = FROZEN

    okta_issuer: HttpsUrl
    okta_client_id: str = Field(min_length=1)
    audience: tuple[str, ...] = Field(min_length=1)

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        blank = [a for a in value if not a.strip()]
        if blank:
            raise ValueError("audience entries must be non-empty strings, e.g. 'api://cora'")
        return value


class SupabaseConfig(BaseModel):
    """Supabase project the app talks to (the anon key is a secret, not set here)."""

    model_config = FROZEN

    url: HttpsUrl


class ApiConfig(BaseModel):
    """The HTTP API: throttling, access logs and the routes feature modules contribute."""

    model_config = FROZEN

    throttling: Throttling = Field(default_factory=Throttling)
    log_retention_days: LogRetentionDays = 30
    routes: tuple[ApiRoute, ...] = ()

    @model_validator(mode="after")
    def _routes(self) -> ApiConfig:
        check_routes(self.routes, [JWT_AUTHORIZER_NAME])
        return self


class ModulesConfig(BaseModel):
    """The project's HCL feature modules (``packages/module-<name>/infrastructure``) and where they live.

    Their folders are found from the project root (the folder of ``cdktf.json`` and ``config/``) by
    ``CoraAppStack``, which refuses a missing one before any Terraform is written.
    """

    model_config = FROZEN

    layout: ModuleLayout = ModuleLayout.MONOREPO
    """Default: ``monorepo``, modules under ``<project root>/packages``; ``two-repo`` finds them under
    ``<project root>/../<project>-stack/packages``."""
    names: tuple[Annotated[str, AfterValidator(check_module_name)], ...] = ()
    """Default: none. Each module's routes are added to the HTTP API."""

    @field_validator("names")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({n for n in value if value.count(n) > 1})
        if repeated:
            raise ValueError(f"modules {repeated} are listed more than once; list each module once")
        return value


class EcrConfig(BaseModel):
    """Image repository housekeeping."""

    model_config = FROZEN

    keep_tagged_images: int = Field(default=10, strict=True, ge=1, le=10_000)
    keep_healthy_images: int = Field(default=5, strict=True, ge=2, le=10_000)
    """The images that ran healthy after a deploy, kept as rollback targets (``EcrRepoProps``)."""
    untagged_expiry_days: int = Field(default=7, strict=True, ge=1, le=3650)
    force_delete: bool = Field(default=False, strict=True)


class EncryptionConfig(BaseModel):
    """Customer-managed encryption. Default: AWS-managed keys everywhere."""

    model_config = FROZEN

    kms_key_arn: str | None = None
    """A customer KMS key for the image repository, the app's secrets and the API access logs. Its key
    policy must let CloudWatch Logs (``logs.<region>.amazonaws.com``) use it for the log group."""

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("kms_key_arn", value)


class CorsSettings(BaseModel):
    """The ``[cors]`` table: the API's CORS besides the app's own origins.

    The app's origins come from ``[domain]`` and are always admitted (:attr:`EnvConfig.cors_config
    <constructs_lib.stacks.config.EnvConfig.cors_config>` derives the construct's
    :class:`~constructs_lib.CorsConfig`);
    the other settings are the construct's, with its defaults and rules.
    """

    model_config = FROZEN

    extra_origins: tuple[str, ...] = ()
    """Default: none. Origins admitted besides the app's (``"https://admin.example.com"``); ``"*"`` (dev
    and local only) admits every origin."""
    allow_methods: tuple[HttpMethod, ...] = DEFAULT_CORS_METHODS
    allow_headers: tuple[str, ...] = DEFAULT_CORS_HEADERS
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int = Field(default=300, strict=True)
    """Default: browsers cache a preflight answer for 5 minutes (at most 86400)."""
    allow_credentials: bool = Field(default=False, strict=True)
    """Default: no cookies or auth headers on cross-origin requests; cannot be combined with ``"*"``."""

    @field_validator("extra_origins")
    @classmethod
    def _extra_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            check_origin(origin)
        if "*" in value and len(value) > 1:
            raise ValueError(
                f"{list(value)}: '*' already allows every origin; list it alone or list explicit origins"
            )
        if len(set(value)) != len(value):
            raise ValueError(f"origins must be unique; got {list(value)}")
        return value

    @field_validator("allow_methods", "allow_headers", "expose_headers", "max_age_seconds")
    @classmethod
    def _construct_rules(cls, value: object, info: ValidationInfo) -> object:
        # One set of rules: the construct's own model checks the value, reported at this config key.
        try:
            CorsConfig.model_validate({"allow_origins": ("*",), info.field_name: value})
        except ValidationError as err:
            raise ValueError(str(err.errors()[0]["msg"]).removeprefix("Value error, ")) from None
        return value

    @model_validator(mode="after")
    def _wildcard_with_credentials(self) -> CorsSettings:
        if self.allow_credentials and "*" in self.extra_origins:
            raise ValueError(
                "extra_origins '*' cannot be combined with allow_credentials = true (browsers and AWS "
                "reject it); list explicit origins or turn credentials off"
            )
        return self
