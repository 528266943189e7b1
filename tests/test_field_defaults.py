"""Every pydantic ``Field`` in the library gives its default by keyword.

mypy without the pydantic plugin (what a consumer runs) reads ``Field(10, ge=1)`` as a field with no
default, so every ``EcrRepoProps(name=...)`` in a consumer's code fails with ``Missing named argument``.
The dataclass-transform rules mypy applies only know ``default=`` and ``default_factory=``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parent.parent / "constructs_lib"


def _field_calls(tree: ast.AST) -> list[ast.Call]:
    """Calls of ``Field(...)`` or ``<module>.Field(...)`` (``pydantic.Field`` under any import)."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "Field")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "Field")
        )
    ]


def positional_fields(source: str, filename: str) -> list[str]:
    """``file:line: code`` of every ``Field`` call with a positional argument in ``source``."""
    return [
        f"{filename}:{call.lineno}: {ast.unparse(call)}"
        for call in _field_calls(ast.parse(source, filename))
        if call.args
    ]


def _library_sources() -> list[Path]:
    return sorted(LIBRARY.rglob("*.py"))


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("x: int = Field(10, ge=1)", 1),
        ("x: int = pydantic.Field(..., ge=1)", 1),
        ("x: Annotated[int, Field(3)] = 3", 1),
        ("x: int = Field(default=10, ge=1)", 0),
        ("x: list[int] = Field(default_factory=list)", 0),
        ("x: int = Field(ge=1)", 0),
    ],
)
def test_the_scan_finds_positional_defaults(source, found):
    assert len(positional_fields(source, "example.py")) == found


def test_the_scan_reads_the_library_and_its_stacks():
    files = {p.relative_to(LIBRARY).as_posix() for p in _library_sources()}
    assert {"compute/ecr_repo.py", "stacks/config.py", "stacks/config_tables.py"} <= files
    calls = sum(len(_field_calls(ast.parse(p.read_text(encoding="utf-8")))) for p in _library_sources())
    assert calls > 50, f"only {calls} Field(...) calls found: is the scan looking at the library?"


def test_no_field_in_the_library_has_a_positional_default():
    found = [
        line
        for path in _library_sources()
        for line in positional_fields(path.read_text(encoding="utf-8"), str(path.relative_to(LIBRARY.parent)))
    ]
    assert not found, "give Field defaults by keyword (Field(default=...)):\n" + "\n".join(found)
