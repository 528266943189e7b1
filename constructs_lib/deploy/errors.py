"""The deploy tool's kinds of failure, which the CLI maps to its exit codes."""

from __future__ import annotations

__all__ = ["BadInputError", "DeployFailedError", "DeployInterruptedError"]


class BadInputError(Exception):
    """Bad arguments, a missing parameter or image: nothing was changed (exit code 2)."""


class DeployFailedError(Exception):
    """The deploy was refused, failed or was rolled back; the message says which (exit code 1)."""


class DeployInterruptedError(Exception):
    """SIGINT or SIGTERM stopped the tool (exit code 130); the message says what AWS still has in flight
    and what to run next. The lock was given back."""
