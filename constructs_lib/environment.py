"""The deployment environments: a closed type, so a misspelt environment is an error, not lax rules.

``apply_policy(stack, environment="production")`` used to apply the rules of an unknown environment
(none of the strict ones); every public function that takes an environment now accepts only an
:class:`Environment` (or its value, ``"prd"``) and raises :class:`~constructs_lib.CoraInfraError`
naming the allowed values for anything else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal, TypeAlias

from constructs_lib.errors import CoraInfraError


class Environment(StrEnum):
    """The deployment environments; each is a stack (and a config file) of the same name."""

    DEV = "dev"
    STG = "stg"
    PRD = "prd"
    LOCAL = "local"
    """Runs against emulators on this machine (moto and the App Runner emulator): no AWS account."""


#: The policy environment of stacks that several environments share (the state bucket's bootstrap
#: stack): its stateful resources are protected like stg's and prd's. Not a config file.
SHARED: Final = "shared"

#: What :func:`~constructs_lib.apply_policy` accepts.
PolicyEnvironment: TypeAlias = Environment | Literal["shared"]

#: Environments that deploy only pinned image tags: a moving tag would make a deploy irreproducible.
PINNED_TAG_ENVIRONMENTS: Final = frozenset({Environment.STG, Environment.PRD})
#: Tags that move from image to image; stg and prd refuse them.
MOVING_TAGS: Final = frozenset({"latest", "main", "master", "stable", "prod", "production"})


def check_environment(value: object, *, field: str, shared: bool = False) -> PolicyEnvironment:
    """``value`` as an :class:`Environment` (``"shared"`` too when ``shared``), or a clear error."""
    if isinstance(value, Environment):
        return value
    if shared and value == SHARED:
        return SHARED
    if isinstance(value, str):
        try:
            return Environment(value)
        except ValueError:
            pass
    allowed = [e.value for e in Environment] + ([SHARED] if shared else [])
    hint = ""
    if isinstance(value, str) and value.strip().lower() in {"production", "prod"}:
        hint = " (production is 'prd')"
    elif isinstance(value, str) and value.strip().lower() in {"staging", "stage"}:
        hint = " (staging is 'stg')"
    raise CoraInfraError(
        f"{field}: environment {value!r} is not allowed; use Environment.DEV/STG/PRD/LOCAL "
        f"({', '.join(map(repr, allowed))}){hint}"
    )
