"""Fixtures of the devtools tests that talk to running emulators."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from devtools import ecs
from devtools.ecs.environment import EcsEnvironment, ecs_environment
from devtools.emulators import ACCOUNT_ID, Emulators, running


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    """moto and the App Runner emulator, for one test module."""
    with running(apprunner_ready_delay=0.05) as started:
        yield started


@pytest.fixture
def aws(emulators: Emulators, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``aws("ecr")``: a boto3 client for the emulators, which start each test empty (moto reset; the
    App Runner emulator keeps its services: delete what you create). The AWS_* variables point at them."""
    for key, value in emulators.env.items():
        monkeypatch.setenv(key, value)
    urllib.request.urlopen(urllib.request.Request(f"{emulators.moto_url}/moto-api/reset", method="POST"))

    return emulators.client


@pytest.fixture
def deployed(emulators: Emulators, aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A deployed test environment (:mod:`tests.devtools.deploy_helpers`) whose deploy-tool clients are
    recorded; after the test, every call they made must be allowed by the stack's deploy-app policy."""
    from constructs_lib.deploy import cli
    from tests.devtools.deploy_helpers import (
        assert_calls_allowed,
        delete_service,
        deployed_environment,
    )

    environment = deployed_environment(emulators, aws)
    monkeypatch.setattr(cli, "_client", environment.recorder.wrap(cli._client))
    yield environment
    calls = environment.recorder.take()
    delete_service(environment)
    assert_calls_allowed(calls, environment.targets())


@pytest.fixture(scope="module")
def health(emulators: Emulators) -> Iterator[ecs.HealthServer]:
    """ECS deployments modelled on moto (:mod:`devtools.ecs`) and the health URL the emulated tasks
    answer, for one test module."""
    ecs.install(deployment_seconds=0.2)
    with ecs.HealthServer(account=ACCOUNT_ID, region=emulators.region) as server:
        yield server
    ecs.uninstall()


@pytest.fixture
def env(
    emulators: Emulators, aws: Any, health: ecs.HealthServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EcsEnvironment]:
    """A deployed ECS test environment whose deploy-tool calls are recorded; at the end, every call must
    be one the ECS deploy-app policy allows."""
    from constructs_lib.deploy import cli

    environment = ecs_environment(emulators, aws, health.health_url)
    monkeypatch.setattr(cli, "_client", environment.recorder.wrap(cli._client))
    yield environment
    assert environment.refused() == [], "the ECS deploy-app policy would refuse these calls"
