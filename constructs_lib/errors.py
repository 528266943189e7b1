"""Errors the library raises for bad input, before any Terraform is written."""

from __future__ import annotations


class CoraInfraError(ValueError):
    """Bad input to a cora-infra construct or config.

    Subclasses ``ValueError`` so callers that already catch ``ValueError`` (as pydantic's
    ``ValidationError`` is one) handle every input error the same way. The message names the field,
    the bad value and what is allowed.
    """


class ConfigError(CoraInfraError):
    """An environment config file that cannot be loaded: names the file, key path, value and rule."""
