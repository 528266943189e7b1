"""Pydantic's validation errors as one line per problem: ``source: key.path: message (got value)``.

Unknown keys get a "did you mean" and the keys allowed where they were found, following discriminated
unions to the member the input chose (pydantic puts that member's tag in the error's location, where
a reader of the config never wrote it).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence
from typing import Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

# Values longer than this are cut in messages: a 1 MB string must not become a 1 MB error line.
_SHOWN_CHARS = 200


def _models_in(annotation: object) -> tuple[type[BaseModel], ...]:
    """Every model an annotation holds (``X``, ``X | None``, ``tuple[X | Y, ...]``, ``Annotated``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return (annotation,)
    found: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        found.extend(m for m in _models_in(arg) if m not in found)
    return tuple(found)


def _tags(model: type[BaseModel], discriminator: str | None = None) -> tuple[str, ...]:
    """The literal values a union member is told apart by (its ``Literal`` fields)."""
    values: list[str] = []
    for name, field in model.model_fields.items():
        if discriminator not in (None, name) or get_origin(field.annotation) is not Literal:
            continue
        values.extend(str(v) for v in get_args(field.annotation))
    return tuple(values)


def _walk(model: type[BaseModel], loc: Sequence[str | int]) -> tuple[list[str], tuple[type[BaseModel], ...]]:
    """The location as the config spells it (union tags left out) and the models found at its end."""
    candidates: tuple[type[BaseModel], ...] = (model,)
    shown: list[str] = []
    for part in loc:
        if isinstance(part, int):
            shown.append(str(part))
            continue
        owner = next((m for m in candidates if part in m.model_fields), None)
        if owner is not None:
            shown.append(part)
            candidates = _models_in(owner.model_fields[part].annotation)
            continue
        tagged = tuple(m for m in candidates if part in _tags(m))
        if len(candidates) > 1 and tagged:
            candidates = tagged[:1]
            continue
        shown.append(part)
        candidates = ()
    return shown, candidates


def known_keys(model: type[BaseModel], loc: Sequence[str | int]) -> tuple[str, ...] | None:
    """The keys the (nested) model at ``loc`` accepts, or ``None`` when ``loc`` leads to no model."""
    _, candidates = _walk(model, loc)
    keys: list[str] = []
    for found in candidates:
        keys.extend(k for k in found.model_fields if k not in keys)
    return tuple(keys) or None


def _unknown_key(key: str, allowed: tuple[str, ...] | None) -> str:
    if not allowed:
        return f"unknown key {key!r} (check the spelling; extra keys are not allowed)"
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key {key!r}; {hint}allowed keys here: {', '.join(allowed)}"


def shown_value(value: object) -> str:
    """``repr(value)``, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else f"{text[:_SHOWN_CHARS]}... ({len(text)} characters)"


def _union_message(
    item: Mapping[str, object], model: type[BaseModel] | None, loc: Sequence[str | int]
) -> str:
    """A discriminated union's missing or unknown tag, with the allowed values (no location)."""
    ctx = item.get("ctx")
    ctx = ctx if isinstance(ctx, dict) else {}
    discriminator = str(ctx.get("discriminator", "")).strip("'")
    members = _walk(model, loc)[1] if model else ()
    allowed = ", ".join(repr(t) for m in members for t in _tags(m, discriminator))
    allowed = allowed or str(ctx.get("expected_tags", ""))
    if item["type"] == "union_tag_not_found":
        return f"required key is missing; allowed {discriminator}s: {allowed}"
    data = item.get("input")
    tag = data.get(discriminator) if isinstance(data, dict) else None
    return f"{shown_value(tag)} is not allowed; allowed {discriminator}s: {allowed}"


def _covered(loc: str, msg: str, path: str, text: str) -> bool:
    """Whether the error at ``loc`` is about the value ``text`` at ``path``, reported elsewhere."""
    if loc == path or loc.startswith(f"{path}."):
        return True
    above = not loc or path.startswith(f"{loc}.")
    return above and bool(text) and text in msg


def format_validation_error(
    err: ValidationError,
    *,
    source: str,
    model: type[BaseModel] | None = None,
    origins: Mapping[str, str] | None = None,
    qualify: bool = False,
    skip: Collection[tuple[str, str]] = (),
) -> str:
    """One line per problem: ``source: key.path: message (got value)``.

    ``model`` lets an unknown key list the keys allowed where it was found; ``origins`` maps a dotted
    key path to where its value really came from (an environment variable overriding the file);
    ``qualify`` prefixes key paths with the model's name (``EcrRepoProps.name``), for props errors;
    ``skip`` holds ``(dotted path, value text)`` of problems reported another way: errors at or below
    such a path are left out, and so are errors of a table above it whose message quotes that value.
    """
    lines = []
    for item in err.errors(include_url=False):
        raw_loc = item["loc"]
        parts = _walk(model, raw_loc)[0] if model else [str(p) for p in raw_loc]
        loc = ".".join(parts)
        msg = str(item["msg"]).removeprefix("Value error, ")
        if any(_covered(loc, msg, path, text) for path, text in skip):
            continue
        where = source
        for dotted, origin in (origins or {}).items():
            if (
                loc == dotted
                or loc.startswith(f"{dotted}.")
                or str(item["msg"]).startswith(f"Value error, {dotted}:")
            ):
                where = f"{origin} (overrides {dotted} of {source})"
        path = ".".join([err.title, *parts]) if qualify else loc
        if parts:
            msg = msg.removeprefix(f"{parts[-1]}: ")  # field rules that name their field: once is enough
        if item["type"] == "missing":
            lines.append(f"{where}: {path}: required key is missing")
            continue
        if item["type"] == "extra_forbidden":
            allowed = known_keys(model, raw_loc[:-1]) if model else None
            lines.append(f"{where}: {path}: {_unknown_key(str(raw_loc[-1]), allowed)}")
            continue
        if item["type"] in {"union_tag_not_found", "union_tag_invalid"}:
            discriminator = str(item.get("ctx", {}).get("discriminator", "")).strip("'")
            lines.append(f"{where}: {path}.{discriminator}: {_union_message(item, model, raw_loc)}")
            continue
        got = item.get("input")
        if isinstance(got, dict):
            # A whole table is noise where a table-level rule failed (its message quotes the values);
            # where a value was expected, say that a table came instead.
            shown = "" if item["type"] in {"value_error", "assertion_error"} else " (got a table)"
        else:
            # Field rules usually quote the value already; say it once.
            shown = "" if repr(got) in msg else f" (got {shown_value(got)})"
        # Table-level rules name their keys in the message; field rules get the key path here.
        lines.append(f"{where}: {path}: {msg}{shown}" if path else f"{where}: {msg}{shown}")
    return "\n".join(lines)
