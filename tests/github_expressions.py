"""A small evaluator of GitHub Actions expressions (``${{ ... }}``), for tests of workflow semantics.

Enough of the language for our workflows: literals, context paths (``github.event.pull_request.number``,
``inputs.caller-holds-deploy-group``), ``!``, ``==``/``!=`` (strings compared case-insensitively),
``&&``/``||`` (which return an operand, as GitHub's do), parentheses, and ``format``, ``fromJSON``,
``contains``, ``startsWith``. A missing property is ``None`` (GitHub's ``null``). It lets a test say what
a concurrency group or an ``if:`` IS for a given event, instead of matching the expression's text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!<>().,\[\]])|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def _tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read {text[position:]!r} in {text!r}")
        kind = match.lastgroup
        assert kind is not None
        found.append((kind, match[kind]))
        position = match.end()
    return found


def truthy(value: Any) -> bool:
    """GitHub's truthiness: ``false``, ``0``, ``''`` and ``null`` are false."""
    return value not in (None, False, 0, "")


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    return bool(left == right)


def _format(template: str, *args: Any) -> str:
    return re.sub(r"\{(\d+)\}", lambda m: _text(args[int(m[1])]), template)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "format": _format,
    "fromjson": json.loads,
    "contains": lambda haystack, needle: (
        any(_equal(item, needle) for item in haystack)
        if isinstance(haystack, list)
        else _text(needle).lower() in _text(haystack).lower()
    ),
    "startswith": lambda text, prefix: _text(text).lower().startswith(_text(prefix).lower()),
}


class _Parser:
    def __init__(self, text: str, context: Mapping[str, Any]) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.context = context

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise ValueError(f"expected {expected!r}, found {token[1]!r}")
        self.position += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.position != len(self.tokens):
            raise ValueError(f"unexpected {self.peek()!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.comparison()
        while self.peek() == "&&":
            self.take()
            right = self.comparison()
            value = right if truthy(value) else value
        return value

    def comparison(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!="):
            operator = self.take()[1]
            right = self.unary()
            value = _equal(value, right) == (operator == "==")
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind != "name":
            raise ValueError(f"unexpected {text!r}")
        literals = {"true": True, "false": False, "null": None}
        if text in literals:
            return literals[text]
        if self.peek() == "(":
            self.take("(")
            args = []
            while self.peek() != ")":
                args.append(self.or_())
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
            return _FUNCTIONS[text.lower()](*args)
        value: Any = self.context.get(text)
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                key: Any = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            value = value.get(key) if isinstance(value, Mapping) else None
        return value


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """The value of ``expression`` (without ``${{ }}``) in ``context`` (``{"github": {...}, ...}``)."""
    return _Parser(expression, context).parse()


def evaluate_field(field: Any, context: Mapping[str, Any]) -> Any:
    """A workflow field's value: a lone ``${{ expr }}`` gives the expression's value, ``${{ }}`` inside
    text is substituted as text, anything else is returned as it is."""
    if not isinstance(field, str):
        return field
    lone = re.fullmatch(r"\s*\$\{\{(.*)\}\}\s*", field, re.DOTALL)
    if lone and "${{" not in lone[1]:
        return evaluate(lone[1], context)
    return _EMBEDDED.sub(lambda m: _text(evaluate(m[1], context)), field)


def condition(field: Any, context: Mapping[str, Any]) -> bool:
    """An ``if:`` (with or without ``${{ }}``; absent means true)."""
    if field is None:
        return True
    if isinstance(field, bool):
        return field
    text = field.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    return truthy(evaluate(text, context))
