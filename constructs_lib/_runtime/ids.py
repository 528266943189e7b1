"""Construct ids: a duplicate is the caller's mistake, so it gets a ``ValueError`` that says so.

``constructs`` refuses a second child with the same id from inside the jsii kernel (a ``RuntimeError``
whose text starts with "There is already a Construct with name"). Catching that is free on the happy
path, where checking first would cost a kernel round trip per construct.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from constructs import IConstruct

from constructs_lib.errors import CoraInfraError

_DUPLICATE = "There is already a Construct with name"


@contextmanager
def unique_id(kind: str, scope: IConstruct, id_: str) -> Iterator[None]:
    """Around ``super().__init__(scope, id_)``: a duplicate id becomes a :class:`CoraInfraError`."""
    try:
        yield
    except RuntimeError as err:
        if not str(err).startswith(_DUPLICATE):
            raise
        existing = scope.node.try_find_child(id_)
        taken = f" by a {type(existing).__name__}" if existing is not None else ""
        where = f"{scope.node.path!r}" if scope.node.path else "the app"
        raise CoraInfraError(
            f"{kind}: construct id {id_!r} is already used{taken} in {where}; ids must be unique among "
            "the children of one scope: choose another id"
        ) from None
