"""Environment settings: ``config/<env>.toml`` loaded into frozen, validated models.

Loading is the only place (with ``main.py``) that touches files and the environment; constructs and
stacks receive validated objects.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator, model_validator

from constructs_lib import (
    ApiRoute,
    AutoScaling,
    ConfigError,
    CorsConfig,
    Cpu,
    HealthCheck,
    JwtAuthorizer,
    Memory,
    S3BackendConfig,
    SecretRotation,
    Throttling,
)
from constructs_lib._validation import (
    FROZEN,
    EnvVarNames,
    ImageTag,
    LogRetentionDays,
    check_kms_key_arn,
    check_tags,
    format_validation_error,
)
from constructs_lib.app_runner_service import check_cpu_memory
from constructs_lib.modular_api_gateway import check_routes
from constructs_lib.state_backend import BucketName, Region, StateKey, check_region

_PROJECT = re.compile(r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s]*)?$")
_ORIGIN_OF = re.compile(r"^(https?://[^/]+)")
_ACCOUNT = re.compile(r"^\d{12}$")

JWT_AUTHORIZER_NAME = "okta"
DEFAULT_SECRETS = ("NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET", "SUPABASE_ANON_KEY")


class Environment(StrEnum):
    """The deployment environments; each is a stack of the same name."""

    DEV = "dev"
    STG = "stg"
    PRD = "prd"
    LOCAL = "local"
    """Runs against emulators on this machine (moto and the App Runner emulator): no AWS account."""


# Environments where any origin may call the API.
OPEN_CORS = frozenset({Environment.DEV, Environment.LOCAL})
# Environments that deploy only pinned image tags: a moving tag would make a deploy irreproducible.
PINNED_TAGS = frozenset({Environment.STG, Environment.PRD})
MOVING_TAGS = frozenset({"latest", "main", "master", "stable", "prod", "production"})
_LOOPBACK_URL = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$")


def _https_url(value: str) -> str:
    if not _HTTPS_URL.fullmatch(value):
        raise ValueError(f"{value!r} is not an https:// URL")
    return value


HttpsUrl = Annotated[str, AfterValidator(_https_url)]


def _loopback_url(value: str) -> str:
    if not _LOOPBACK_URL.fullmatch(value):
        raise ValueError(f"{value!r} is not a loopback URL such as 'http://127.0.0.1:4566'")
    return value


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


class AppConfig(BaseModel):
    """The web app on App Runner."""

    model_config = FROZEN

    image_tag: ImageTag
    """The tag deployed when the service is created (later deploys move it outside Terraform)."""
    url: HttpsUrl
    """The app's public URL: ``NEXTAUTH_URL`` and the origin CORS must admit."""
    port: int = Field(3000, strict=True, ge=1, le=65535)
    cpu: Cpu = Cpu.ONE_VCPU
    memory: Memory = Memory.TWO_GB
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    auto_scaling: AutoScaling = Field(default_factory=AutoScaling)
    auto_deployments_enabled: bool = Field(False, strict=True)
    create_service: bool = Field(True, strict=True)
    """Default: create the App Runner service. The first deploy of an environment sets it false
    (``CORA_SKIP_SERVICE=1``): App Runner needs the image in ECR, and the repository comes from this
    stack. See ``python -m devtools.preflight``."""
    secrets: EnvVarNames = Field(DEFAULT_SECRETS, min_length=1)
    """Environment variables read from Secrets Manager (created empty, values set out of band)."""
    secret_rotation: SecretRotation | None = None
    """Default: no automatic rotation. Set ``lambda_arn`` (and ``after_days``) to rotate every app secret."""

    @model_validator(mode="after")
    def _cpu_memory(self) -> AppConfig:
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


class EcrConfig(BaseModel):
    """Image repository housekeeping."""

    model_config = FROZEN

    keep_tagged_images: int = Field(10, strict=True, ge=1, le=10_000)
    untagged_expiry_days: int = Field(7, strict=True, ge=1, le=3650)
    force_delete: bool = Field(False, strict=True)


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


class EnvConfig(BaseModel):
    """Everything one environment stack needs."""

    model_config = FROZEN

    environment: Environment
    project: str
    """2-24 lowercase letters, digits or '-': resource names are ``<project>-<environment>-<part>``."""
    region: str
    account_id: str | None = None
    """When set, Terraform refuses to run against any other AWS account."""
    state: StateConfig
    app: AppConfig
    auth: AuthConfig
    supabase: SupabaseConfig
    cors: CorsConfig
    api: ApiConfig = Field(default_factory=ApiConfig)
    ecr: EcrConfig = Field(default_factory=EcrConfig)
    encryption: EncryptionConfig = Field(default_factory=EncryptionConfig)
    tags: Mapping[str, str] = Field(default_factory=dict)
    emulator: EmulatorConfig | None = None
    """Only for ``local``: deploy to emulators on this machine instead of AWS."""

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _PROJECT.fullmatch(value) or "--" in value:
            raise ValueError(
                f"project {value!r} is invalid: use 2-24 lowercase letters, digits or single '-', "
                "starting with a letter and ending with a letter or digit"
            )
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return check_region(value)

    @field_validator("account_id")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT.fullmatch(value):
            raise ValueError(f"AWS account ID {value!r} must be 12 digits")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)

    @model_validator(mode="before")
    @classmethod
    def _origins_per_environment(cls, data: Any) -> Any:
        # Checked before the CORS model itself, so the environment rule is the first thing reported.
        if not isinstance(data, dict) or data.get("environment") in {e.value for e in OPEN_CORS}:
            return data
        cors = data.get("cors")
        origins = cors.get("allow_origins") if isinstance(cors, dict) else None
        if not isinstance(origins, list | tuple):
            return data
        env = data.get("environment")
        if "*" in origins:
            raise ValueError(
                f"cors.allow_origins: '*' is only allowed in dev and local; {env} needs explicit "
                "https origins such as the app URL"
            )
        plain = [o for o in origins if not (isinstance(o, str) and o.startswith("https://"))]
        if plain:
            raise ValueError(f"cors.allow_origins: {plain} are not https; {env} allows only https origins")
        return data

    @model_validator(mode="after")
    def _emulator_only_local(self) -> EnvConfig:
        if (self.emulator is not None) != (self.environment is Environment.LOCAL):
            raise ValueError(
                "emulator: the [emulator] table is required for the local environment and not allowed "
                f"elsewhere (environment {self.environment.value!r})"
            )
        return self

    @model_validator(mode="after")
    def _secret_names(self) -> EnvConfig:
        prefix = f"{self.project}/{self.environment.value}/"
        for name in self.app.secrets:
            if len(prefix + name) > 512:
                raise ValueError(
                    f"app.secrets: {name[:40]!r}... makes the secret name {len(prefix + name)} characters; "
                    "Secrets Manager allows at most 512 characters"
                )
        return self

    @model_validator(mode="after")
    def _pinned_image_tag(self) -> EnvConfig:
        tag = self.app.image_tag
        if self.environment in PINNED_TAGS and tag.lower() in MOVING_TAGS:
            raise ValueError(
                f"app.image_tag: {tag!r} is a moving tag; {self.environment.value} deploys a pinned tag "
                "such as a git SHA or a version ('0.1.0'); moving tags not allowed: "
                f"{', '.join(sorted(MOVING_TAGS))}"
            )
        return self

    @model_validator(mode="after")
    def _app_origin_admitted(self) -> EnvConfig:
        origins = self.cors.allow_origins
        app_origin = _ORIGIN_OF.fullmatch(self.app.url)
        if "*" not in origins and app_origin and app_origin[1] not in origins:
            raise ValueError(
                f"cors.allow_origins: {list(origins)} does not include the app's origin "
                f"{app_origin[1]!r} (from app.url); the web app could not call the API"
            )
        return self

    # -- derived settings ----------------------------------------------------------------------------
    def name(self, component: str) -> str:
        """``<project>-<environment>-<component>``."""
        return f"{self.project}-{self.environment.value}-{component}"

    @property
    def s3_backend(self) -> S3BackendConfig:
        """The environment's S3 backend (on the emulator for ``local``)."""
        return S3BackendConfig(
            bucket=self.state.bucket,
            key=self.state.key or f"{self.project}/{self.environment.value}/terraform.tfstate",
            region=self.state.region or self.region,
            kms_key_id=self.state.kms_key_id,
            emulated=self.emulator is not None,
        )

    @property
    def jwt_authorizer(self) -> JwtAuthorizer:
        """The Okta JWT authorizer routes reference as ``"okta"``."""
        return JwtAuthorizer(
            name=JWT_AUTHORIZER_NAME, issuer=self.auth.okta_issuer, audience=self.auth.audience
        )


def _set_path(data: dict[str, Any], dotted: str, value: object) -> None:
    node = data
    *parents, last = dotted.split(".")
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override {dotted}: {part!r} is not a table in the config")
        node = child
    node[last] = value


def _display(path: Path) -> str:
    """The path relative to the working directory when it is below it (messages stay short)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_config(
    environment: str,
    config_dir: Path = Path("config"),
    *,
    overrides: Mapping[str, object] | None = None,
    origins: Mapping[str, str] | None = None,
) -> EnvConfig:
    """Load and validate ``<config_dir>/<environment>.toml``.

    ``overrides`` maps dotted key paths to values applied before validation (``main.py`` uses it for
    ``CORA_IMAGE_TAG``); ``origins`` names where an override came from, for messages (e.g.
    ``{"app.image_tag": "CORA_IMAGE_TAG"}``). Every problem raises :class:`ConfigError` naming the
    file (or variable), the key path, the bad value and what is allowed.
    """
    allowed = ", ".join(e.value for e in Environment)
    if environment not in {e.value for e in Environment}:
        raise ConfigError(f"environment {environment!r} is unknown; allowed: {allowed}")
    path = config_dir / f"{environment}.toml"
    shown = _display(path)
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{shown}: config file not found") from None
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{shown}: the file must be UTF-8 text; byte 0x{err.object[err.start]:02x} at position "
            f"{err.start} is not ({err.reason})"
        ) from None
    except OSError as err:
        raise ConfigError(f"{shown}: cannot read the config file: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{shown}: not valid TOML: {err}") from None
    if "environment" in data and data["environment"] != environment:
        raise ConfigError(
            f"{shown}: environment: {data['environment']!r} does not match the file name ({environment!r})"
        )
    data["environment"] = environment
    for dotted, value in (overrides or {}).items():
        try:
            _set_path(data, dotted, value)
        except ConfigError as err:
            raise ConfigError(f"{shown}: {err}") from None
    try:
        return EnvConfig.model_validate(data)
    except ValidationError as err:
        message = format_validation_error(err, source=shown, model=EnvConfig, origins=origins)
        raise ConfigError(message) from None
