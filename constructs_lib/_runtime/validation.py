"""Shared validation helpers: patterns, token checks and message formatting."""

from __future__ import annotations

import re
import struct
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Annotated

from cdktf import Token
from pydantic import AfterValidator, ConfigDict, Strict

# Message formatting has its own module; callers import it from here too.
from constructs_lib._runtime.messages import format_validation_error, known_keys

__all__ = [
    "ACCOUNT_ID",
    "ECR_IMAGE_TAG",
    "ENV_VAR_NAME",
    "FROZEN",
    "FROZEN_WITH_CONSTRUCTS",
    "KMS_KEY_ARN",
    "LAMBDA_ARN",
    "LOG_RETENTION_DAYS",
    "MAX_TAGS",
    "RESERVED_ENV_PREFIX",
    "SECRET_LIKE_RULE",
    "TOKEN_MARKER",
    "EnvVarNames",
    "ImageTag",
    "LogRetentionDays",
    "check_env_var_name",
    "check_image_tag",
    "check_kms_key_arn",
    "check_lambda_arn",
    "check_log_retention",
    "check_tags",
    "check_unique_env_names",
    "format_validation_error",
    "is_number_token",
    "is_secret_like",
    "is_token",
    "known_keys",
    "literal_text_problem",
    "one_of",
    "url_port_problem",
]

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

PROJECT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$")
PROJECT_NAME_RULE = (
    "use 2-24 lowercase letters, digits or single '-', starting with a letter and ending with a letter "
    "or digit"
)


def check_project_name(value: str) -> str:
    """A project name every derived AWS name accepts: ``<project>-<env>-web`` (App Runner service, ECR
    repository), ``/<project>/<env>/...`` (SSM parameters), ``<project>/<env>/NAME`` (secrets) and the
    state bucket ``<project>-...`` (S3)."""
    if not PROJECT_NAME.fullmatch(value) or "--" in value:
        raise ValueError(f"project {value!r} is invalid: {PROJECT_NAME_RULE}")
    if value.startswith(("aws", "ssm")):
        raise ValueError(
            f"project {value!r} is invalid: SSM reserves parameter names whose first segment starts with "
            "'aws' or 'ssm' (the stack publishes /<project>/<env>/...); choose a name that does not"
        )
    if value == "sthree" or value.startswith(("sthree-", "amzn-s3-demo")):
        raise ValueError(
            f"project {value!r} is invalid: S3 reserves bucket names starting with 'sthree-' and "
            "'amzn-s3-demo-' (state buckets are named <project>-...); choose another name"
        )
    return value


ECR_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
# [0-9], never \d: Python's \d matches every Unicode digit ('١٢٣'), which AWS refuses.
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
# Key ARNs only: IAM ignores alias ARNs as the resource of key operations such as kms:Decrypt.
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):[0-9]{12}:key/[A-Za-z0-9-]+$")
LAMBDA_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):lambda:(?P<region>[a-z0-9-]+):[0-9]{12}:function:[A-Za-z0-9_-]{1,64}"
    r"(?::[A-Za-z0-9$_-]+)?$"
)

# AWS tags: at most 50 per resource (the provider's default tags count too); keys 1-128 and values
# 0-256 characters of Unicode letters, digits, spaces and _ . : / = + - @; keys unique ignoring case.
MAX_TAGS = 50
TAG_PUNCTUATION = frozenset("_.:/=+-@")
TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @"

# cdktf's token markers: "${TfToken[", "#{TfToken[" (lists), "&{TfToken[" (maps).
TOKEN_MARKER = "{TfToken["
# cdktf encodes number tokens as doubles whose top 16 bits are one of these (see its encoding.ts).
_NUMBER_TOKEN_BITS = frozenset({0xFDFF, 0xFBFF})


def is_token(value: object) -> bool:
    """True for a value known only at apply time (a cdktf token), which validation must skip."""
    # String tokens render as "${TfToken[...]}" (list tokens as "#{...}"): plain strings skip the round
    # trip to the jsii kernel.
    return isinstance(value, str) and ("${" in value or "#{" in value) and Token.is_unresolved(value)


def is_number_token(value: object) -> bool:
    """True for a number shaped like a cdktf number token (cdktf would replace it when resolving)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        bits = struct.unpack("<Q", struct.pack("<d", float(value)))[0]
    except OverflowError:
        return False  # beyond any double: no token, and every range check refuses it
    return bits >> 48 in _NUMBER_TOKEN_BITS


def literal_text_problem(text: str) -> str | None:
    """Why ``text`` would not reach Terraform as written, or ``None`` when it would.

    Terraform evaluates ``${...}`` and ``%{...}`` inside JSON strings; cdktf replaces its token markers.
    """
    if TOKEN_MARKER in text:
        return (
            "holds a cdktf token marker ('{TfToken['), which cdktf would replace; tokens can only come "
            "from code"
        )
    if "${" in text:
        return "holds '${', which Terraform would evaluate as an interpolation"
    if "%{" in text:
        return "holds '%{', which Terraform would evaluate as a template directive"
    return None


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


def url_port_problem(url: str) -> str | None:
    """Why the port of ``url`` is not 1-65535 in plain ASCII digits, or ``None`` (also: no port)."""
    authority = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)", url)
    if authority is None:
        return None
    host_port = authority[1].rpartition("@")[2]
    # An IPv6 literal holds colons of its own: the port follows the closing bracket.
    _, colon, port = host_port.rpartition("]")[2].partition(":")
    if not colon:
        return None
    if not re.fullmatch(r"[1-9][0-9]{0,4}", port) or int(port) > 65535:
        return f"port {port!r} must be 1-65535 in digits 0-9, with no leading zeros"
    return None


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


def _tag_text_ok(text: str) -> bool:
    # Spaces are space separators (Zs) only: line and paragraph separators break tag consoles and CLIs.
    return all(
        c in TAG_PUNCTUATION or unicodedata.category(c)[0] in "LN" or unicodedata.category(c) == "Zs"
        for c in text
    )


def check_tags(field: str, tags: Mapping[str, str], *, reserved: Iterable[str] = ()) -> Mapping[str, str]:
    """AWS's tag rules for one resource.

    ``reserved`` are keys something else adds to the same resources (the provider's default tags):
    they count towards the 50 and no key of ``tags`` may equal one of them ignoring case.
    """
    reserved_keys = tuple(reserved)
    limit = MAX_TAGS - len(reserved_keys)
    if len(tags) > limit:
        besides = (
            f" besides the {len(reserved_keys)} default tags ({', '.join(reserved_keys)})"
            if reserved_keys
            else ""
        )
        raise ValueError(
            f"{field}: {len(tags)} tags; AWS allows at most {MAX_TAGS} tags per resource, so at most "
            f"{limit} here{besides}"
        )
    seen: dict[str, str] = {key.lower(): key for key in reserved_keys}
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or not _tag_text_ok(key) or key.lower().startswith("aws:"):
            raise ValueError(
                f"{field}: tag key {key!r} is invalid; 1-128 {TAG_CHARACTERS}, not starting with 'aws:'"
            )
        if key.lower() in seen:
            other = seen[key.lower()]
            if other in reserved_keys:
                fix = f"use a key other than {', '.join(map(repr, reserved_keys))}"
                what = "a default tag of the stack"
            else:
                fix, what = "keep one of them", "another tag"
            raise ValueError(
                f"{field}: tag key {key!r} is the same as {what} {other!r} (tag keys are case-insensitive); "
                f"{fix}"
            )
        seen[key.lower()] = key
        if len(value) > 256:
            raise ValueError(f"{field}: tag {key!r} value is {len(value)} characters; at most 256 allowed")
        if not _tag_text_ok(value):
            raise ValueError(f"{field}: tag {key!r} value {value!r} is invalid; use {TAG_CHARACTERS}")
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
