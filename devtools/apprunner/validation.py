"""Request validation for the App Runner emulator: AWS-shaped errors, typed request access, checks.

Every refusal is an :class:`ApiError` whose message names the member path and the rejected value the
way AWS request validation does, so a test (or a Terraform run) sees what the real service would say.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

Json = dict[str, Any]
_T = TypeVar("_T")

_ARN = re.compile(r"arn:aws(-[\w]+)*:[a-z0-9-\\.]{0,63}:[a-z0-9-\\.]{0,63}:[0-9]{12}:(\w|/|-){1,1011}")


class ApiError(Exception):
    """An App Runner error response: HTTP 400 (unless ``status`` says otherwise) with ``__type``."""

    def __init__(self, type_name: str, message: str, *, status: int = 400) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.status = status


def _invalid(message: str) -> ApiError:
    return ApiError("InvalidRequestException", message)


def _not_found(message: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message)


def _invalid_state(message: str) -> ApiError:
    return ApiError("InvalidStateException", message)


def _quota(message: str) -> ApiError:
    return ApiError("ServiceQuotaExceededException", message)


def _show(value: object) -> str:
    """A value as the validation messages of AWS quote it."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"'{value}'"
    return json.dumps(value)


def _constraint(path: str, value: object, constraint: str) -> ApiError:
    """The message shape of AWS request validation, naming the member and the rejected value."""
    return _invalid(
        f"1 validation error detected: Value {_show(value)} at '{path}' failed to satisfy constraint: "
        f"{constraint}"
    )


class _Input:
    """Typed read access to one JSON object of a request; ``path`` names it in error messages."""

    def __init__(self, data: Mapping[str, Any], path: str = "") -> None:
        self._data = data
        self._path = path

    def path(self, key: str) -> str:
        """The dotted member path of ``key``, e.g. ``SourceConfiguration.ImageRepository.Port``."""
        return f"{self._path}.{key}" if self._path else key

    def has(self, key: str) -> bool:
        """True when the member is present and not null."""
        return self._data.get(key) is not None

    def _get(self, key: str, kind: type[_T], kind_name: str, *, required: bool) -> _T | None:
        value = self._data.get(key)
        if value is None:
            if required:
                raise _constraint(self.path(key), None, "Member must not be null")
            return None
        # bool is an int in Python, not in JSON.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ApiError(
                "SerializationException",
                f"Expected {kind_name} for '{self.path(key)}', got {type(value).__name__} {_show(value)}",
            )
        return value

    def str_(self, key: str, *, required: bool = False) -> str | None:
        """A string member."""
        return self._get(key, str, "a string", required=required)

    def req_str(self, key: str) -> str:
        """A required string member."""
        value = self.str_(key, required=True)
        assert value is not None
        return value

    def int_(self, key: str, *, required: bool = False) -> int | None:
        """An integer member."""
        return self._get(key, int, "an integer", required=required)

    def bool_(self, key: str, *, required: bool = False) -> bool | None:
        """A boolean member."""
        return self._get(key, bool, "a boolean", required=required)

    def obj(self, key: str, *, required: bool = False) -> _Input | None:
        """A structure member."""
        value = self._get(key, dict, "an object", required=required)
        return None if value is None else _Input(value, self.path(key))

    def str_map(self, key: str) -> dict[str, str] | None:
        """A map of strings."""
        value = self._get(key, dict, "an object", required=False)
        if value is None:
            return None
        for name, item in value.items():
            if not isinstance(item, str):
                raise ApiError("SerializationException", f"Expected a string for '{self.path(key)}.{name}'")
        return dict(value)

    def str_list(self, key: str) -> list[str] | None:
        """A list of strings."""
        value = self._get(key, list, "a list", required=False)
        if value is None:
            return None
        if not all(isinstance(item, str) for item in value):
            raise ApiError("SerializationException", f"Expected a list of strings for '{self.path(key)}'")
        return list(value)

    def obj_list(self, key: str) -> list[_Input] | None:
        """A list of structures."""
        value = self._get(key, list, "a list", required=False)
        if value is None:
            return None
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise ApiError("SerializationException", f"Expected an object at '{self.path(key)}[{index}]'")
            items.append(_Input(item, f"{self.path(key)}[{index}]"))
        return items


def _check_pattern(inp: _Input, key: str, value: str, pattern: re.Pattern[str], shown: str) -> None:
    if not pattern.fullmatch(value):
        raise _constraint(inp.path(key), value, f"Member must satisfy regular expression pattern: {shown}")


def _check_length(inp: _Input, key: str, value: str, low: int, high: int) -> None:
    if len(value) < low:
        raise _constraint(inp.path(key), value, f"Member must have length greater than or equal to {low}")
    if len(value) > high:
        raise _constraint(inp.path(key), value, f"Member must have length less than or equal to {high}")


def _check_range(inp: _Input, key: str, value: int, low: int, high: int) -> None:
    if value < low:
        raise _constraint(inp.path(key), value, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise _constraint(inp.path(key), value, f"Member must have value less than or equal to {high}")


def _check_enum(inp: _Input, key: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise _constraint(inp.path(key), value, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def _check_arn(inp: _Input, key: str, value: str) -> None:
    _check_length(inp, key, value, 1, 1011)
    _check_pattern(inp, key, value, _ARN, _ARN.pattern)


def _now() -> float:
    """Wall-clock time as the JSON protocol sends timestamps: epoch seconds, millisecond precision."""
    return round(time.time(), 3)


def _error_body(type_name: str, message: str) -> Json:
    return {"__type": type_name, "Message": message}


def _int_in_range(inp: _Input, key: str, low: int, high: int, *, default: int) -> int:
    value = inp.int_(key)
    if value is None:
        return default
    _check_range(inp, key, value, low, high)
    return value


def _tag_list(inp: _Input, key: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in inp.obj_list(key) or []:
        tag_key = item.req_str("Key")
        _check_length(item, "Key", tag_key, 1, 128)
        if tag_key.lower().startswith("aws:"):
            raise _constraint(
                item.path("Key"), tag_key, "Member must satisfy regular expression pattern: ^(?!aws:).+"
            )
        value = item.str_("Value") or ""
        _check_length(item, "Value", value, 0, 256)
        tags[tag_key] = value
    if len(tags) > 50:
        raise _invalid(f"A resource can have at most 50 tags, got {len(tags)} at '{inp.path(key)}'")
    return tags


def _page(inp: _Input, items: list[_T], *, limit: int, kind: str) -> tuple[list[_T], str | None]:
    """One page of ``items`` from ``NextToken``/``MaxResults``, and the token of the next page."""
    size = _int_in_range(inp, "MaxResults", 1, limit, default=limit)
    start = 0
    token = inp.str_("NextToken")
    if token is not None:
        try:
            decoded = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
            token_kind, _, offset = decoded.partition(":")
            start = int(offset)
        except (UnicodeError, ValueError, binascii.Error):
            token_kind, start = "", -1
        if token_kind != kind or not 0 <= start <= len(items):
            raise _invalid(f"The NextToken you specified isn't valid: '{token}'")
    end = start + size
    if end >= len(items):
        return items[start:], None
    return items[start:end], base64.urlsafe_b64encode(f"{kind}:{end}".encode("ascii")).decode("ascii")


def _with_token(body: Json, token: str | None) -> Json:
    if token is not None:
        body["NextToken"] = token
    return body
