"""Shared validation helpers: patterns, token checks and message formatting."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, get_args

from cdktf import Token
from pydantic import AfterValidator, BaseModel, ConfigDict, Strict, ValidationError

# Props models are read-only and reject unknown keys: a typo is an error, not a silently ignored field.
FROZEN = ConfigDict(frozen=True, extra="forbid")
# The same, for props that carry other constructs (repositories, secrets, roles).
FROZEN_WITH_CONSTRUCTS = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_ENV_PREFIX = "AWSAPPRUNNER"
# A name that looks like it holds a credential must come from Secrets Manager, never a plain env var.
_SECRET_LIKE = re.compile(
    r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|APIKEY"  # anywhere in the name
    r"|(?:^|_)PASS(?:_|$)|(?:^|_)KEY$"  # PASS as a word (DB_PASS), KEY as the last word (API_KEY)
)
SECRET_LIKE_RULE = (
    "names containing SECRET, PASSWORD, PASSWD, TOKEN, CREDENTIAL, PRIVATE or APIKEY, "
    "the word PASS, or ending in KEY as a word (API_KEY)"
)

# CloudWatch Logs accepts only these retention periods (days). "Never expire" is deliberately not offered.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

ECR_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
# Key ARNs only: IAM ignores alias ARNs as the resource of key operations such as kms:Decrypt.
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
LAMBDA_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):lambda:(?P<region>[a-z0-9-]+):\d{12}:function:[A-Za-z0-9_-]{1,64}"
    r"(?::[A-Za-z0-9$_-]+)?$"
)
TAG_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$", re.UNICODE)


def is_token(value: object) -> bool:
    """True for a value known only at apply time (a cdktf token), which validation must skip."""
    # String tokens render as "${TfToken[...]}" (list tokens as "#{...}"): plain strings skip the round
    # trip to the jsii kernel.
    return isinstance(value, str) and ("${" in value or "#{" in value) and Token.is_unresolved(value)


def is_secret_like(name: str) -> bool:
    """True when an environment variable name looks like it carries a credential."""
    return bool(_SECRET_LIKE.search(name.upper()))


def check_env_var_name(field: str, name: str) -> None:
    """Reject names App Runner refuses: bad charset or the reserved ``AWSAPPRUNNER`` prefix."""
    if not ENV_VAR_NAME.fullmatch(name):
        raise ValueError(
            f"{field}: environment variable name {name!r} is invalid; "
            "use letters, digits and underscores, not starting with a digit"
        )
    if name.upper().startswith(RESERVED_ENV_PREFIX):
        raise ValueError(
            f"{field}: environment variable name {name!r} is reserved by App Runner "
            f"(names starting with {RESERVED_ENV_PREFIX} are not allowed)"
        )


def check_kms_key_arn(field: str, value: str | None) -> str | None:
    """Accept ``None``, a token, or a KMS key ARN (not an alias: grants on aliases do not work)."""
    if value is None or is_token(value) or KMS_KEY_ARN.fullmatch(value):
        return value
    raise ValueError(
        f"{field}: {value!r} is not a KMS key ARN; expected arn:aws:kms:<region>:<account>:key/<id> "
        "(alias ARNs are not accepted)"
    )


def check_lambda_arn(value: str) -> str:
    """A Lambda function ARN (optionally with a version or alias), or a token."""
    if is_token(value) or LAMBDA_ARN.fullmatch(value):
        return value
    raise ValueError(
        f"Lambda function ARN {value!r} is invalid; "
        "expected arn:aws:lambda:<region>:<account>:function:<name>"
    )


def check_tags(field: str, tags: Mapping[str, str]) -> Mapping[str, str]:
    """AWS tag keys are 1-128 characters and may not start with ``aws:``; values at most 256."""
    for key, value in tags.items():
        if not TAG_KEY.fullmatch(key) or key.lower().startswith("aws:"):
            raise ValueError(
                f"{field}: tag key {key!r} is invalid; 1-128 letters, digits, spaces or _.:/=+-@, "
                "not starting with 'aws:'"
            )
        if len(value) > 256:
            raise ValueError(f"{field}: tag {key!r} value is {len(value)} characters; at most 256 allowed")
    return tags


def check_image_tag(value: str) -> str:
    """An ECR image tag (or a token)."""
    if is_token(value) or ECR_IMAGE_TAG.fullmatch(value):
        return value
    raise ValueError(
        f"image tag {value!r} is invalid: use 1-128 letters, digits, '_', '.' or '-', "
        "not starting with '.' or '-'"
    )


def check_log_retention(value: int) -> int:
    """A retention period CloudWatch Logs accepts."""
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"log retention {value} days is not a CloudWatch period; allowed: {one_of(LOG_RETENTION_DAYS)}"
        )
    return value


def check_unique_env_names(value: tuple[str, ...]) -> tuple[str, ...]:
    """Environment variable names, valid and each listed once."""
    for name in value:
        check_env_var_name("names", name)
    dupes = sorted({n for n in value if value.count(n) > 1})
    if dupes:
        raise ValueError(f"names must be unique; repeated: {', '.join(dupes)}")
    return value


ImageTag = Annotated[str, AfterValidator(check_image_tag)]
LogRetentionDays = Annotated[int, Strict(), AfterValidator(check_log_retention)]
EnvVarNames = Annotated[tuple[str, ...], AfterValidator(check_unique_env_names)]


def one_of(values: Iterable[object]) -> str:
    """Render a closed set for an error message."""
    return ", ".join(str(v) for v in values)


def known_keys(model: type[BaseModel], loc: Sequence[str | int]) -> tuple[str, ...] | None:
    """The keys the (nested) model at ``loc`` accepts, or ``None`` when ``loc`` leads to no model."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue  # an index into a list of models
        field = current.model_fields.get(part) if current else None
        current = _model_in(field.annotation) if field else None
        if current is None:
            return None
    return tuple(current.model_fields) if current else None


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _unknown_key(loc: Sequence[str | int], model: type[BaseModel] | None) -> str:
    key = str(loc[-1])
    allowed = known_keys(model, loc[:-1]) if model else None
    if not allowed:
        return f"unknown key {key!r} (check the spelling; extra keys are not allowed)"
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key {key!r}; {hint}allowed keys here: {', '.join(allowed)}"


def format_validation_error(
    err: ValidationError,
    *,
    source: str,
    model: type[BaseModel] | None = None,
    origins: Mapping[str, str] | None = None,
) -> str:
    """One line per problem: ``source: key.path: message (got value)``.

    ``model`` lets an unknown key list the keys allowed where it was found; ``origins`` maps a dotted
    key path to where its value really came from (an environment variable overriding the file).
    """
    lines = []
    for item in err.errors(include_url=False):
        loc = ".".join(str(part) for part in item["loc"])
        where = source
        for dotted, origin in (origins or {}).items():
            if (
                loc == dotted
                or loc.startswith(f"{dotted}.")
                or str(item["msg"]).startswith(f"Value error, {dotted}:")
            ):
                where = f"{origin} (overrides {dotted} of {source})"
        msg = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            lines.append(f"{where}: {loc}: required key is missing")
            continue
        if item["type"] == "extra_forbidden":
            lines.append(f"{where}: {loc}: {_unknown_key(item['loc'], model)}")
            continue
        got = item.get("input")
        # A whole table as "got" is noise; the messages of table-level rules quote the values.
        shown = "" if isinstance(got, dict) else f" (got {got!r})"
        # Table-level rules name their keys in the message; field rules get the key path here.
        lines.append(f"{where}: {loc}: {msg}{shown}" if loc else f"{where}: {msg}{shown}")
    return "\n".join(lines)
