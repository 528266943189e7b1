"""Secrets Manager secrets created empty: values are set out of band and never pass through Terraform."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from constructs import Construct
from pydantic import BaseModel, Field, field_validator, model_validator

from constructs_lib import _aws
from constructs_lib._validation import (
    FROZEN,
    EnvVarNames,
    check_kms_key_arn,
    check_lambda_arn,
    check_tags,
    is_token,
)
from constructs_lib.iam import PolicyStatement, grant

_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_READ_ACTIONS = ("secretsmanager:GetSecretValue",)
_SCHEDULE = re.compile(r"^(rate\(\d+ (hours?|days?)\)|cron\([^()]+\))$")


def _check_recovery_window(value: int) -> int:
    if value != 0 and not 7 <= value <= 30:
        raise ValueError(f"recovery window {value} days is not allowed: use 0 (delete at once) or 7-30 days")
    return value


class SecretRotation(BaseModel):
    """The rotation hook: Secrets Manager calls a rotation Lambda on a schedule.

    The Lambda (yours: it knows how to make a new value for this secret, e.g. a new Okta client
    secret) needs ``secretsmanager:*SecretValue`` and ``UpdateSecretVersionStage`` on the secret; this
    library creates the rotation and lets Secrets Manager invoke the function for this secret only.
    App Runner reads secrets when instances start: finish a rotation with ``start-deployment``.
    """

    model_config = FROZEN

    lambda_arn: str
    """The rotation function's ARN."""
    after_days: int | None = Field(30, strict=True, ge=1, le=1000)
    """Default: rotate every 30 days. ``None`` when ``schedule_expression`` sets the schedule."""
    schedule_expression: str | None = None
    """Instead of ``after_days``: ``rate(N days)``, ``rate(N hours)`` or ``cron(...)``."""
    rotate_immediately: bool = Field(False, strict=True)
    """Default: wait for the schedule. Secrets are created empty, and the first value is set out of band;
    rotating at creation would run the Lambda against a secret with no value."""

    @field_validator("lambda_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        return check_lambda_arn(value)

    @field_validator("schedule_expression")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None and not _SCHEDULE.fullmatch(value):
            raise ValueError(
                f"schedule_expression {value!r} is invalid; "
                "use 'rate(N days)', 'rate(N hours)' or 'cron(...)'"
            )
        return value

    @model_validator(mode="after")
    def _one_schedule(self) -> SecretRotation:
        if (self.after_days is None) == (self.schedule_expression is None):
            raise ValueError(
                "secret rotation needs exactly one of after_days and schedule_expression "
                f"(got after_days={self.after_days!r}, schedule_expression={self.schedule_expression!r})"
            )
        return self


class SecretProps(BaseModel):
    """Settings of one :class:`Secret`."""

    model_config = FROZEN

    name: str
    """Secret name: 1-512 characters of letters, digits and ``/_+=.@-``."""
    description: str = ""
    kms_key_arn: str | None = None
    """Default: the AWS-managed ``aws/secretsmanager`` key; set a customer KMS key ARN to use it."""
    recovery_window_days: int = Field(30, strict=True)
    """Default: a deleted secret can be restored for 30 days (0 deletes at once, else 7-30)."""
    rotation: SecretRotation | None = None
    """Default: no automatic rotation; set a :class:`SecretRotation` to rotate with a Lambda."""
    tags: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if is_token(value) or _SECRET_NAME.fullmatch(value):
            return value
        raise ValueError(
            f"secret name {value!r} is invalid: use 1-512 letters, digits and the characters /_+=.@-"
        )

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("kms_key_arn", value)

    @field_validator("recovery_window_days")
    @classmethod
    def _window(cls, value: int) -> int:
        return _check_recovery_window(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)


def grant_read_secrets(
    grantor: Construct, role: _aws.IamRole, secrets: Sequence[Secret], *, policy_name: str
) -> _aws.IamRolePolicy:
    """One inline policy letting ``role`` read exactly these secrets (and decrypt their customer keys)."""
    statements = [
        PolicyStatement(sid="ReadSecrets", actions=_READ_ACTIONS, resources=tuple(s.arn for s in secrets))
    ]
    keys = tuple(sorted({s.props.kms_key_arn for s in secrets if s.props.kms_key_arn}))
    if keys:
        statements.append(PolicyStatement(sid="DecryptSecrets", actions=("kms:Decrypt",), resources=keys))
    detail = ",".join(sorted(s.name for s in secrets))
    return grant(grantor, "read-secrets", role, policy_name=policy_name, statements=statements, detail=detail)


class Secret(Construct):
    """One Secrets Manager secret with no value: set it with ``aws secretsmanager put-secret-value``."""

    def __init__(self, scope: Construct, id_: str, *, props: SecretProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self.secret = _aws.SecretsmanagerSecret(
            self,
            "secret",
            name=props.name,
            description=props.description or None,
            kms_key_id=props.kms_key_arn,
            recovery_window_in_days=props.recovery_window_days,
            tags=dict(props.tags) or None,
        )
        self._arn: str = self.secret.arn  # read once: attribute reads are kernel round trips
        self.rotation: _aws.SecretsmanagerSecretRotation | None = None
        if props.rotation is not None:
            self.rotation = self._add_rotation(props.rotation)

    def _add_rotation(self, rotation: SecretRotation) -> _aws.SecretsmanagerSecretRotation:
        # Secrets Manager may invoke the function for this secret and no other.
        permission = _aws.LambdaPermission(
            self,
            "rotation-permission",
            action="lambda:InvokeFunction",
            function_name=rotation.lambda_arn,
            principal="secretsmanager.amazonaws.com",
            source_arn=self._arn,
        )
        return _aws.SecretsmanagerSecretRotation(
            self,
            "rotation",
            secret_id=self.secret.id,
            rotation_lambda_arn=rotation.lambda_arn,
            rotate_immediately=rotation.rotate_immediately,
            rotation_rules=_aws.SecretsmanagerSecretRotationRotationRules(
                automatically_after_days=rotation.after_days,
                schedule_expression=rotation.schedule_expression,
            ),
            depends_on=[permission],
        )

    @property
    def arn(self) -> str:
        """The secret ARN (a token until apply)."""
        return self._arn

    @property
    def name(self) -> str:
        """The secret name."""
        return self.props.name

    def grant_read(self, role: _aws.IamRole) -> _aws.IamRolePolicy:
        """Let ``role`` read this secret's value."""
        return grant_read_secrets(self, role, [self], policy_name=_policy_name(self.props.name))


class AppSecretsProps(BaseModel):
    """Settings of :class:`AppSecrets`: one secret per environment variable name."""

    model_config = FROZEN

    prefix: str
    """Secret names are ``<prefix>/<NAME>``, e.g. ``cora/dev/NEXTAUTH_SECRET``."""
    names: EnvVarNames = Field(min_length=1)
    """Environment variable names, e.g. ``("NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET")``."""
    kms_key_arn: str | None = None
    """Default: the AWS-managed key; set a customer KMS key ARN for all these secrets."""
    recovery_window_days: int = Field(30, strict=True)
    rotation: SecretRotation | None = None
    """Default: no automatic rotation; set one to rotate every secret with the same Lambda."""
    tags: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _SECRET_NAME.fullmatch(value) or value.endswith("/"):
            raise ValueError(
                f"secret prefix {value!r} is invalid: use letters, digits and /_+=.@-, not ending with '/'"
            )
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("kms_key_arn", value)

    @field_validator("recovery_window_days")
    @classmethod
    def _window(cls, value: int) -> int:
        return _check_recovery_window(value)

    @model_validator(mode="after")
    def _length(self) -> AppSecretsProps:
        for name in self.names:
            if len(f"{self.prefix}/{name}") > 512:
                raise ValueError(f"secret name {f'{self.prefix}/{name}'!r} is longer than 512 characters")
        return self


class AppSecrets(Construct):
    """The secrets an application reads at runtime, created empty.

    Example::

        secrets = AppSecrets(stack, "secrets", props=AppSecretsProps(
            prefix="cora/dev", names=("NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET")))
        AppRunnerService(..., secrets=secrets.by_env_name)
    """

    def __init__(self, scope: Construct, id_: str, *, props: AppSecretsProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self._secrets = {
            name: Secret(
                self,
                name,
                props=SecretProps(
                    name=f"{props.prefix}/{name}",
                    description=f"{name}: value set out of band, never through Terraform",
                    kms_key_arn=props.kms_key_arn,
                    recovery_window_days=props.recovery_window_days,
                    rotation=props.rotation,
                    tags=props.tags,
                ),
            )
            for name in props.names
        }

    @property
    def by_env_name(self) -> Mapping[str, Secret]:
        """Environment variable name → secret, ready for ``AppRunnerServiceProps.secrets``."""
        return dict(self._secrets)

    def secret(self, name: str) -> Secret:
        """The secret for one environment variable name."""
        try:
            return self._secrets[name]
        except KeyError:
            raise KeyError(f"no secret named {name!r}; known: {', '.join(self._secrets)}") from None

    def grant_read(self, role: _aws.IamRole, names: Iterable[str] | None = None) -> _aws.IamRolePolicy:
        """Let ``role`` read these secrets (all of them unless ``names`` picks some)."""
        chosen = [self.secret(n) for n in names] if names is not None else list(self._secrets.values())
        return grant_read_secrets(self, role, chosen, policy_name=_policy_name(self.props.prefix))


def _policy_name(base: str) -> str:
    return f"{base}-read-secrets"  # grant() fits it to IAM's rules
