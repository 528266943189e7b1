"""The deploy tool's two kinds of failure, which the CLI maps to its exit codes."""

from __future__ import annotations

__all__ = ["BadInputError", "DeployFailedError"]


class BadInputError(Exception):
    """Bad arguments, a missing parameter or image: nothing was changed (exit code 2)."""


class DeployFailedError(Exception):
    """The deploy was refused, failed or was rolled back; the message says which (exit code 1)."""
