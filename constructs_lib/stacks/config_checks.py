"""Checks on config data that no single model can make.

- :func:`literal_problems` walks the raw TOML data (after environment overrides): every key and value
  must reach the Terraform JSON as the literal text the user wrote. Terraform evaluates ``${...}`` and
  ``%{...}`` inside JSON strings and cdktf resolves its token markers, so both are refused, in keys
  too; a token can only come from code.
- :func:`removed_key_problems` refuses keys that older configs had and that are now derived (their
  value would repeat, and could contradict, the one source), saying where the value comes from now.
- :func:`shared_state_problems` compares the environments loaded together: no two may share one state
  object, and one state bucket belongs to one account and one region.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from constructs_lib._runtime.messages import shown_value
from constructs_lib._runtime.validation import KMS_KEY_ARN, is_number_token, literal_text_problem
from constructs_lib.stacks.config_files import MAX_DEPTH

if TYPE_CHECKING:
    from constructs_lib.stacks.config import EnvConfig


_LITERAL_RULE = "config values are literal text: '${', '%{' and cdktf tokens are refused, escaped or not"


@dataclass(frozen=True)
class Problem:
    """One refused key or value: where it is, and the message line."""

    path: str
    """Dotted key path of the value (of the table, for a refused key)."""
    text: str
    """The refused key or value as messages quote it (``repr``)."""
    line: str


def _where(path: str, source: str, origins: Mapping[str, str]) -> str:
    for dotted, origin in origins.items():
        if path == dotted or path.startswith(f"{dotted}."):
            return f"{origin} (overrides {dotted} of {source})"
    return source


def literal_problems(data: object, *, source: str, origins: Mapping[str, str] | None = None) -> list[Problem]:
    """Every key and value of ``data`` that Terraform or cdktf would not take literally."""
    found: list[Problem] = []
    _walk(data, [], source, origins or {}, found)
    return found


def _walk(
    node: object, path: list[str], source: str, origins: Mapping[str, str], found: list[Problem]
) -> None:
    dotted = ".".join(path)
    where = _where(dotted, source, origins)
    if len(path) > MAX_DEPTH:
        shown = ".".join(path[: MAX_DEPTH + 1])
        found.append(
            Problem(dotted, "", f"{where}: {shown}...: tables and lists nest deeper than {MAX_DEPTH} "
                    f"levels; config files nest at most {MAX_DEPTH} levels")
        )  # fmt: skip
        return
    if isinstance(node, dict):
        for key, value in node.items():
            problem = literal_text_problem(key)
            if problem:
                at = f"{dotted}: " if dotted else ""
                line = f"{where}: {at}key {shown_value(key)} {problem}; {_LITERAL_RULE}"
                found.append(Problem(dotted, repr(key), line))
            _walk(value, [*path, key], source, origins, found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, [*path, str(index)], source, origins, found)
    elif isinstance(node, str):
        problem = literal_text_problem(node)
        if problem:
            line = f"{where}: {dotted}: {shown_value(node)} {problem}; {_LITERAL_RULE}"
            found.append(Problem(dotted, repr(node), line))
    elif is_number_token(node):
        found.append(
            Problem(dotted, repr(node), f"{where}: {dotted}: {node!r} is shaped like a cdktf number token, "
                    "which cdktf would replace; use an ordinary number (tokens can only come from code)")
        )  # fmt: skip


# Keys the config no longer takes, and where their value comes from now (decision 11: one [domain]).
REMOVED_KEYS = {
    "app.url": (
        "app.url is no longer a setting: the app's URL now comes from [domain] app_host (NEXTAUTH_URL and "
        "the CORS origins derive from it); remove app.url and set [domain] zone, app_host and api_host"
    ),
    "cors.allow_origins": (
        "cors.allow_origins is no longer a setting: the app's origins come from [domain] (app_host, and "
        "www.<app_host> with www = true) and are always admitted; list any other origins in "
        "cors.extra_origins"
    ),
}


def removed_key_problems(
    data: Mapping[str, object], *, source: str, origins: Mapping[str, str] | None = None
) -> list[Problem]:
    """Every key of :data:`REMOVED_KEYS` that ``data`` (the raw TOML data) still sets."""
    found = []
    for dotted, why in REMOVED_KEYS.items():
        table, key = dotted.split(".")
        node = data.get(table)
        if isinstance(node, dict) and key in node:
            where = _where(dotted, source, origins or {})
            found.append(
                Problem(dotted, repr(node[key]), f"{where}: {dotted}: {shown_value(node[key])}: {why}")
            )
    return found


@dataclass(frozen=True)
class _State:
    environment: str
    file: str
    bucket: str
    key: str
    region: str
    account_id: str | None
    emulated: bool


def _states(loaded: Iterable[tuple[EnvConfig, str]]) -> list[_State]:
    states = []
    for config, file in loaded:
        backend = config.s3_backend
        states.append(
            _State(
                config.environment.value,
                file,
                backend.bucket,
                backend.key,
                backend.region,
                config.account_id,
                backend.emulated,
            )
        )
    return states


def shared_state_problems(loaded: Sequence[tuple[EnvConfig, str]]) -> list[str]:
    """Environments (config, file shown) that would share a state object or a bucket across accounts or
    regions. Emulated buckets live on this machine, apart from AWS: they are compared among themselves."""
    groups: dict[tuple[bool, str], list[_State]] = {}
    for state in _states(loaded):
        groups.setdefault((state.emulated, state.bucket), []).append(state)
    lines: list[str] = []
    for (_, bucket), members in groups.items():
        if len(members) < 2:
            continue
        files = ", ".join(m.file for m in members)
        by_key: dict[str, list[_State]] = {}
        for member in members:
            by_key.setdefault(member.key, []).append(member)
        for key, same in by_key.items():
            if len(same) > 1:
                lines.append(
                    f"{', '.join(m.file for m in same)}: state.bucket + state.key: "
                    f"{' and '.join(m.environment for m in same)} would keep their state in one object, "
                    f"s3://{bucket}/{key}, and overwrite each other; each environment needs its own state "
                    "object: set a different state.key"
                )
        accounts = {m.account_id for m in members if m.account_id}
        if len(accounts) > 1:
            detail = ", ".join(f"{m.environment}: account_id {m.account_id}" for m in members if m.account_id)
            lines.append(
                f"{files}: state.bucket {bucket!r} is used by environments in different accounts "
                f"({detail}); a bucket belongs to one account and grants no other (terraform init fails "
                "with 403): use one bucket per account and region, e.g. 'cora-tfstate-<account>-<region>'"
            )
        regions = {m.region for m in members}
        if len(regions) > 1:
            detail = ", ".join(f"{m.environment}: state.region {m.region}" for m in members)
            lines.append(
                f"{files}: state.bucket {bucket!r} is used with different state regions ({detail}); a "
                "bucket lives in one region: use one bucket per account and region"
            )
    return lines


def check_keys_in_region(
    region: str, state_region: str | None, kms_key_arn: str | None, state_kms_key_id: str | None
) -> None:
    """``ValueError`` for a KMS key outside the region of what it encrypts.

    KMS keys are regional: a key elsewhere cannot encrypt this region's resources. Another account is
    fine (with a key policy that admits this one).
    """
    for field, arn, where, what in (
        ("encryption.kms_key_arn", kms_key_arn, region, "the environment's region"),
        ("state.kms_key_id", state_kms_key_id, state_region or region, "the state bucket's region"),
    ):
        match = KMS_KEY_ARN.fullmatch(arn or "")
        if match and match["region"] != where:
            raise ValueError(
                f"{field}: {arn!r} is a key in {match['region']}; it must be in {what}, {where} "
                "(KMS keys are regional; another account is fine)"
            )
