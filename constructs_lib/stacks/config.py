"""Environment settings: ``config/<env>.toml`` loaded into frozen, validated models.

Loading is the only place (with ``main.py``) that touches files and the environment; constructs and
stacks receive validated objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator, model_validator

from constructs_lib import ConfigError, CorsConfig, JwtAuthorizer, S3BackendConfig
from constructs_lib._runtime.validation import (
    ACCOUNT_ID,
    FROZEN,
    check_project_name,
    check_tags,
    format_validation_error,
)
from constructs_lib.environment import MOVING_TAGS, Environment
from constructs_lib.policy.rules import PROTECTED_ENVIRONMENTS
from constructs_lib.regions import compute_region
from constructs_lib.stacks.config_checks import (
    check_keys_in_region,
    literal_problems,
    removed_key_problems,
    shared_state_problems,
)
from constructs_lib.stacks.config_domain import DomainConfig, unique_in_order
from constructs_lib.stacks.config_files import display, read_config, set_path
from constructs_lib.stacks.config_network import NatGateways, NetworkConfig, check_network_compute
from constructs_lib.stacks.config_tables import (
    DEFAULT_SECRETS,
    DEFAULT_TAG_KEYS,
    JWT_AUTHORIZER_NAME,
    OPEN_CORS,
    PINNED_TAGS,
    PLAIN_ENV_NAMES,
    ApiConfig,
    AppConfig,
    AuthConfig,
    CorsSettings,
    EcrConfig,
    EmulatorConfig,
    EncryptionConfig,
    ModulesConfig,
    StateConfig,
    SupabaseConfig,
)
from constructs_lib.state_backend import check_region, is_region_name

# The tables are defined in config_tables; they are part of this module's API as before the split.
__all__ = [
    "DEFAULT_SECRETS",
    "DEFAULT_TAG_KEYS",
    "JWT_AUTHORIZER_NAME",
    "PLAIN_ENV_NAMES",
    "ApiConfig",
    "AppConfig",
    "AuthConfig",
    "CorsSettings",
    "DomainConfig",
    "EcrConfig",
    "EmulatorConfig",
    "EncryptionConfig",
    "EnvConfig",
    "Environment",
    "ModulesConfig",
    "NatGateways",
    "NetworkConfig",
    "StateConfig",
    "SupabaseConfig",
    "load_config",
    "load_configs",
]


class EnvConfig(BaseModel):
    """Everything one environment stack needs."""

    model_config = FROZEN

    environment: Environment
    project: str
    """2-24 lowercase letters, digits or '-': resource names are ``<project>-<environment>-<part>``."""
    region: Annotated[str, AfterValidator(check_region)]
    account_id: str | None = None
    """When set, Terraform refuses to run against any other AWS account."""
    state: StateConfig
    app: AppConfig
    auth: AuthConfig
    supabase: SupabaseConfig
    domain: DomainConfig | None = None
    """The app's and the API's public names; every URL and the app's CORS origins derive from it.
    Default: none (dev): App Runner's and API Gateway's generated URLs, known only after deploy."""
    cors: CorsSettings = Field(default_factory=CorsSettings)
    """Default: no origins besides the app's, and the construct's CORS defaults."""
    api: ApiConfig = Field(default_factory=ApiConfig)
    ecr: EcrConfig = Field(default_factory=EcrConfig)
    modules: ModulesConfig = Field(default_factory=ModulesConfig)
    """Default: no HCL feature modules."""
    encryption: EncryptionConfig = Field(default_factory=EncryptionConfig)
    tags: Mapping[str, str] = Field(default_factory=dict)
    emulator: EmulatorConfig | None = None
    """Only for ``local``: deploy to emulators on this machine instead of AWS."""
    network: NetworkConfig | None = None
    """Only with ``[app] compute = "ecs"``: the VPC the service runs in. Default: one the stack creates."""

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        return check_project_name(value)

    @model_validator(mode="before")
    @classmethod
    def _region_runs_the_compute(cls, data: Any) -> Any:
        # A region without the backend would synthesize and validate, then fail at apply.
        if isinstance(data, dict) and isinstance(data.get("region"), str) and is_region_name(data["region"]):
            app = data.get("app")
            compute_region(data["region"], app.get("compute") if isinstance(app, dict) else None)
        return data

    @field_validator("account_id")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not ACCOUNT_ID.fullmatch(value):
            raise ValueError(f"AWS account ID {value!r} must be 12 digits 0-9")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value, reserved=DEFAULT_TAG_KEYS)

    @model_validator(mode="before")
    @classmethod
    def _origins_per_environment(cls, data: Any) -> Any:
        # Checked before the CORS model itself, so the environment rule is the first thing reported.
        if not isinstance(data, dict) or data.get("environment") in {e.value for e in OPEN_CORS}:
            return data
        cors = data.get("cors")
        origins = cors.get("extra_origins") if isinstance(cors, dict) else None
        if not isinstance(origins, list | tuple):
            return data
        env = data.get("environment")
        if "*" in origins:
            raise ValueError(
                f"cors.extra_origins: '*' is only allowed in dev and local; {env} admits the app's origins "
                "(from [domain]) and explicit https origins"
            )
        plain = [o for o in origins if not (isinstance(o, str) and o.startswith("https://"))]
        if plain:
            raise ValueError(f"cors.extra_origins: {plain} are not https; {env} allows only https origins")
        return data

    @model_validator(mode="after")
    def _keys_in_region(self) -> EnvConfig:
        check_keys_in_region(
            self.region, self.state.region, self.encryption.kms_key_arn, self.state.kms_key_id
        )
        return self

    @model_validator(mode="after")
    def _network_only_on_ecs(self) -> EnvConfig:
        check_network_compute(self.network, self.app.compute, self.region)
        return self

    @property
    def network_settings(self) -> NetworkConfig:
        """``[network]``, or its defaults (a VPC the stack creates)."""
        return self.network if self.network is not None else NetworkConfig()

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
        prefix = f"{self.secret_prefix}/"
        for name in self.app.secrets:
            if len(prefix + name) > 512:
                raise ValueError(
                    f"app.secrets: {name[:40]!r}... makes the secret name {len(prefix + name)} characters; "
                    "Secrets Manager allows at most 512 characters"
                )
        return self

    @model_validator(mode="after")
    def _secrets_restorable(self) -> EnvConfig:
        if self.app.secret_recovery_window_days == 0 and self.environment in PROTECTED_ENVIRONMENTS:
            raise ValueError(
                f"app.secret_recovery_window_days: 0 is not allowed in {self.environment.value}: a destroyed "
                "secret there must stay restorable for 7-30 days (default 30)"
            )
        return self

    @property
    def secret_recovery_window_days(self) -> int:
        """``app.secret_recovery_window_days``, or 0 in dev/local and 30 in stg/prd."""
        window = self.app.secret_recovery_window_days
        if window is not None:
            return window
        return 30 if self.environment in PROTECTED_ENVIRONMENTS else 0

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
    def _origins_known(self) -> EnvConfig:
        # Without a domain the app's origin is App Runner's generated URL, unknown until deploy. That a
        # stg/prd stack has no domain at all is the policy's call (suppressible), not config's.
        if self.domain is not None or self.cors.extra_origins:
            return self
        env = self.environment.value
        if self.environment not in OPEN_CORS:
            raise ValueError(
                f"cors.extra_origins: () but {env} has no [domain], so no origin of the app is known; "
                "list the app's https origins in cors.extra_origins or add a [domain]"
            )
        if self.cors.allow_credentials:
            raise ValueError(
                f"cors.allow_credentials: true needs the app's origin, but {env} has no [domain]: the app's "
                "origin (App Runner's generated URL) is unknown until deploy, and '*' cannot carry "
                "credentials; add a [domain] or list the app's origins in cors.extra_origins"
            )
        return self

    @model_validator(mode="after")
    def _cors_derivable(self) -> EnvConfig:
        # A host DNS takes may still be an origin the CORS construct refuses (its TLD pattern): say so
        # here, at the config key, not while the stack is built.
        try:
            self.cors_config  # noqa: B018 (built for its validation)
        except ValidationError as err:
            reason = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
            raise ValueError(
                f"domain.app_host: the app's origins {list(self.cors_origins)} are refused by the API's "
                f"CORS: {reason}"
            ) from None
        return self

    # -- derived settings ----------------------------------------------------------------------------
    def name(self, component: str) -> str:
        """``<project>-<environment>-<component>``."""
        return f"{self.project}-{self.environment.value}-{component}"

    @property
    def secret_prefix(self) -> str:
        """``<project>/<environment>``: the app's secrets are ``<secret_prefix>/<NAME>``."""
        return f"{self.project}/{self.environment.value}"

    @property
    def secret_names(self) -> tuple[str, ...]:
        """The Secrets Manager names of the app's secrets, in ``app.secrets`` order."""
        return tuple(f"{self.secret_prefix}/{name}" for name in self.app.secrets)

    @property
    def cors_origins(self) -> tuple[str, ...]:
        """The origins the API admits: the app's (from ``[domain]``), then ``cors.extra_origins``, each
        once; ``("*",)`` when an extra is ``"*"`` or, in dev/local without a domain, when none is given."""
        extra = self.cors.extra_origins
        if "*" in extra or (self.domain is None and not extra):
            return ("*",)
        return unique_in_order((*(self.domain.app_origins if self.domain else ()), *extra))

    @property
    def cors_config(self) -> CorsConfig:
        """The API's CORS: :attr:`cors_origins` with the ``[cors]`` settings."""
        cors = self.cors
        return CorsConfig(
            allow_origins=self.cors_origins,
            allow_methods=cors.allow_methods,
            allow_headers=cors.allow_headers,
            expose_headers=cors.expose_headers,
            max_age_seconds=cors.max_age_seconds,
            allow_credentials=cors.allow_credentials,
        )

    @property
    def app_url(self) -> str | None:
        """``NEXTAUTH_URL``: ``https://<domain.app_host>``; ``None`` without a domain."""
        return self.domain.app_url if self.domain else None

    @property
    def api_url(self) -> str | None:
        """``NEXT_PUBLIC_API_URL``: ``https://<domain.api_host>``; ``None`` without a domain."""
        return self.domain.api_url if self.domain else None

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
    ``{"app.image_tag": "CORA_IMAGE_TAG"}``). Every problem of the file raises one
    :class:`ConfigError`, a line per problem naming the file (or variable), the key path, the bad value
    and what is allowed.
    """
    allowed = ", ".join(e.value for e in Environment)
    if environment not in {e.value for e in Environment}:
        raise ConfigError(f"environment {environment!r} is unknown; allowed: {allowed}")
    path = config_dir / f"{environment}.toml"
    shown = display(path)
    data = read_config(path, shown)
    if "environment" in data and data["environment"] != environment:
        raise ConfigError(
            f"{shown}: environment: {data['environment']!r} does not match the file name ({environment!r})"
        )
    data["environment"] = environment
    for dotted, value in (overrides or {}).items():
        try:
            set_path(data, dotted, value)
        except ConfigError as err:
            raise ConfigError(f"{shown}: {err}") from None
    # After the overrides, so a value from the environment is blamed on its variable.
    refused = [
        *removed_key_problems(data, source=shown, origins=origins),
        *literal_problems(data, source=shown, origins=origins),
    ]
    lines = [problem.line for problem in refused]
    try:
        config = EnvConfig.model_validate(data)
    except ValidationError as err:
        message = format_validation_error(
            err, source=shown, model=EnvConfig, origins=origins, skip=[(p.path, p.text) for p in refused]
        )
        lines.extend(line for line in message.splitlines() if line)
    if lines:
        raise ConfigError("\n".join(lines))
    return config


def load_configs(
    environments: Iterable[str],
    config_dir: Path = Path("config"),
    *,
    overrides: Mapping[str, object] | None = None,
    origins: Mapping[str, str] | None = None,
) -> list[EnvConfig]:
    """:func:`load_config` for each environment, then the checks across them (shared state).

    Reports every file's problems, then the cross-environment ones, in one :class:`ConfigError`.
    """
    lines: list[str] = []
    loaded: list[tuple[EnvConfig, str]] = []
    for environment in environments:
        try:
            config = load_config(environment, config_dir, overrides=overrides, origins=origins)
        except ConfigError as err:
            lines.append(str(err))
            continue
        loaded.append((config, display(config_dir / f"{environment}.toml")))
    lines.extend(shared_state_problems(loaded))
    if lines:
        raise ConfigError("\n".join(lines))
    return [config for config, _ in loaded]
