"""Secrets Manager secrets created empty: values are set out of band and never pass through Terraform."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from cdktf import TerraformResourceLifecycle
from constructs import Construct
from pydantic import BaseModel, Field, field_validator, model_validator

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.validation import (
    FROZEN,
    KMS_KEY_ARN,
    EnvVarNames,
    check_kms_key_arn,
    check_lambda_arn,
    check_tags,
    is_token,
)
from constructs_lib.iam.statements import PolicyStatement, grant

_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_READ_ACTIONS = ("secretsmanager:GetSecretValue",)
_RATE = re.compile(r"rate\((?P<value>[1-9][0-9]{0,5}) (?P<unit>hours?|days?)\)", re.ASCII)
_CRON = re.compile(r"cron\((?P<fields>[^()]+)\)", re.ASCII)
# AWS: rotation at most every four hours, at least every 1000 days.
MIN_ROTATION_HOURS = 4
MAX_ROTATION_DAYS = 1000
DEFAULT_ROTATION_DAYS = 30


def _cron_hours(fields: list[str]) -> list[int] | None:
    """The hours a Secrets Manager cron fires at, or ``None`` when it fires more than once an hour
    (or at hours this check cannot read exactly, such as ``*``, ranges and steps under four)."""
    minutes, hours = fields[0], fields[1]
    if not minutes.isdigit():
        return None  # several minutes of each hour
    if "/" in hours:
        start, _, step = hours.partition("/")
        if not step.isdigit() or int(step) < MIN_ROTATION_HOURS or not (start == "*" or start.isdigit()):
            return None
        return list(range(0 if start == "*" else int(start), 24, int(step)))
    if not all(h.isdigit() for h in hours.split(",")):
        return None
    return sorted(int(h) for h in hours.split(","))


def check_schedule_expression(value: str) -> str:
    """A rotation schedule Secrets Manager accepts: ``rate(N hours)`` (N >= 4), ``rate(N days)``
    (1-1000) or a six-field ``cron(...)`` firing at most every four hours."""
    allowed = (
        f"use 'rate(N hours)' with N >= {MIN_ROTATION_HOURS}, 'rate(N days)' with N from 1 to "
        f"{MAX_ROTATION_DAYS}, or 'cron(minutes hours day-of-month month day-of-week year)' firing at "
        f"most every {MIN_ROTATION_HOURS} hours, written with digits 0-9"
    )
    rate = _RATE.fullmatch(value)
    if rate:
        number, hours = int(rate["value"]), rate["unit"].startswith("hour")
        if hours and number < MIN_ROTATION_HOURS:
            raise ValueError(
                f"schedule_expression {value!r} rotates more often than AWS allows (every "
                f"{MIN_ROTATION_HOURS} hours at most); {allowed}"
            )
        if (number / 24 if hours else number) > MAX_ROTATION_DAYS:
            raise ValueError(
                f"schedule_expression {value!r} is longer than {MAX_ROTATION_DAYS} days; {allowed}"
            )
        return value
    cron = _CRON.fullmatch(value)
    if cron:
        fields = cron["fields"].split()
        if len(fields) != 6:
            raise ValueError(f"schedule_expression {value!r} has {len(fields)} cron fields, not 6; {allowed}")
        fired = _cron_hours(fields)
        gaps = [b - a for a, b in zip(fired, [*fired[1:], fired[0] + 24], strict=True)] if fired else []
        if fired is None or (gaps and min(gaps) < MIN_ROTATION_HOURS):
            raise ValueError(
                f"schedule_expression {value!r} may rotate more often than every {MIN_ROTATION_HOURS} "
                f"hours; {allowed}"
            )
        return value
    raise ValueError(f"schedule_expression {value!r} is invalid; {allowed}")


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
    after_days: int | None = Field(default=None, strict=True, ge=1, le=MAX_ROTATION_DAYS)
    """Rotate every N days (1-1000). Default: every 30 days, unless ``schedule_expression`` is set."""
    schedule_expression: str | None = None
    """Instead of ``after_days``: ``rate(N hours)`` (N >= 4), ``rate(N days)`` or a six-field
    ``cron(...)`` that fires at most every four hours (AWS's limits)."""
    rotate_immediately: bool = Field(default=False, strict=True)
    """Default: wait for the schedule. Even so, Secrets Manager runs the Lambda's ``testSecret`` step when
    the rotation is created; a secret without a value fails it and can leave an ``AWSPENDING`` version
    behind, so create rotation only once every secret has a value (the stacks' first deploy phase,
    ``CORA_SKIP_SERVICE=1``, leaves it out, and ``python -m devtools.preflight`` checks the values)."""

    @field_validator("lambda_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        return check_lambda_arn(value)

    @field_validator("schedule_expression")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return None if value is None else check_schedule_expression(value)

    @model_validator(mode="after")
    def _one_schedule(self) -> SecretRotation:
        if self.after_days is not None and self.schedule_expression is not None:
            raise ValueError(
                "secret rotation takes one of after_days and schedule_expression, not both "
                f"(got after_days={self.after_days!r}, schedule_expression={self.schedule_expression!r})"
            )
        return self

    @property
    def days(self) -> int | None:
        """The rotation interval in days, or ``None`` when ``schedule_expression`` sets the schedule."""
        if self.schedule_expression is not None:
            return None
        return self.after_days or DEFAULT_ROTATION_DAYS


class SecretProps(BaseModel):
    """Settings of one :class:`Secret`."""

    model_config = FROZEN

    name: str
    """Secret name: 1-512 characters of letters, digits and ``/_+=.@-``."""
    description: str = ""
    kms_key_arn: str | None = None
    """Default: the AWS-managed ``aws/secretsmanager`` key; set a customer KMS key ARN to use it."""
    recovery_window_days: int = Field(default=30, strict=True)
    """Default: a deleted secret can be restored for 30 days (0 deletes at once, else 7-30)."""
    rotation: SecretRotation | None = None
    """Default: no automatic rotation; set a :class:`SecretRotation` to rotate with a Lambda."""
    prevent_destroy: bool = Field(default=False, strict=True)
    """Default: an apply may destroy it. ``True`` (the stacks set it in stg and prd) makes Terraform refuse
    any plan that would destroy or replace it, e.g. a ForceNew change such as turning on encryption."""
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


def _via_secrets_manager(keys: Sequence[str]) -> dict[tuple[str, str], tuple[str, ...]]:
    """``kms:ViaService`` of Secrets Manager in the keys' regions (KMS keys are regional); a key that is
    a token until apply is allowed through Secrets Manager in any region."""
    matches = [KMS_KEY_ARN.fullmatch(key) for key in keys]
    if all(matches):
        regions = sorted({match["region"] for match in matches if match})
        return {
            ("StringEquals", "kms:ViaService"): tuple(f"secretsmanager.{r}.amazonaws.com" for r in regions)
        }
    return {("StringLike", "kms:ViaService"): ("secretsmanager.*.amazonaws.com",)}


def grant_read_secrets(
    grantor: Construct, role: _aws.IamRole, secrets: Sequence[Secret], *, policy_name: str
) -> _aws.IamRolePolicy:
    """One inline policy letting ``role`` read exactly these secrets (and decrypt their customer keys)."""
    statements = [
        PolicyStatement(sid="ReadSecrets", actions=_READ_ACTIONS, resources=tuple(s.arn for s in secrets))
    ]
    keys = tuple(sorted({s.props.kms_key_arn for s in secrets if s.props.kms_key_arn}))
    if keys:
        # Only through Secrets Manager: the role cannot decrypt anything else with the key.
        statements.append(
            PolicyStatement(
                sid="DecryptSecrets",
                actions=("kms:Decrypt",),
                resources=keys,
                conditions=_via_secrets_manager(keys),
            )
        )
    detail = ",".join(sorted(s.name for s in secrets))
    return grant(grantor, "read-secrets", role, policy_name=policy_name, statements=statements, detail=detail)


class Secret(Construct):
    """One Secrets Manager secret with no value: set it with ``aws secretsmanager put-secret-value``."""

    def __init__(self, scope: Construct, id_: str, *, props: SecretProps) -> None:
        with unique_id("Secret", scope, id_):
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
            # The value lives only here (set out of band): a replacement would lose it.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if props.prevent_destroy else None,
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
            secret_id=self._arn,  # the secret's id is its ARN; read once already
            rotation_lambda_arn=rotation.lambda_arn,
            rotate_immediately=rotation.rotate_immediately,
            rotation_rules=_aws.SecretsmanagerSecretRotationRotationRules(
                automatically_after_days=rotation.days,
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
    recovery_window_days: int = Field(default=30, strict=True)
    rotation: SecretRotation | None = None
    """Default: no automatic rotation; set one to rotate every secret with the same Lambda."""
    prevent_destroy: bool = Field(default=False, strict=True)
    """Default: an apply may destroy it. ``True`` (the stacks set it in stg and prd) makes Terraform refuse
    any plan that would destroy or replace it, e.g. a ForceNew change such as turning on encryption."""
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
        with unique_id("AppSecrets", scope, id_):
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
                    prevent_destroy=props.prevent_destroy,
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
