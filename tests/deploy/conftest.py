"""Fixtures the deploy tests share; each module starts its own ``emulators`` (module scope)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devtools.emulators import Emulators


@pytest.fixture(scope="module")
def env(emulators: Emulators, terraform_env: dict[str, str]) -> dict[str, str]:
    """Terraform's environment: the offline provider mirror plus the module's emulator endpoints."""
    return {**terraform_env, **emulators.env}


@pytest.fixture(scope="module")
def aws(emulators: Emulators) -> Callable[[str], Any]:
    """``aws("apigatewayv2")``: a boto3 client for the module's emulators."""
    return emulators.client
