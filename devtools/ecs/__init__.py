"""Emulated ECS deployments on moto: rollouts, the circuit breaker, stopped tasks, and the app's health
URL behind a load balancer (:mod:`.deployments`, :mod:`.health`), for the deploy tool's ECS tests.

    from devtools import ecs
    ecs.install(deployment_seconds=0.2)            # in the process that runs moto (idempotent)
    ecs.inject_faults(service_arn, fail_next_deployment=True)
    with ecs.HealthServer(account=..., region=...) as health:
        health.health_url(service_arn)             # 200 / 503 as the service's tasks would answer
"""

from devtools.ecs.deployments import CIRCUIT_BREAKER_REASON, DEFAULT_FAILURE, install, installed, uninstall
from devtools.ecs.faults import find_service, inject_faults
from devtools.ecs.health import HealthServer

__all__ = [
    "CIRCUIT_BREAKER_REASON",
    "DEFAULT_FAILURE",
    "HealthServer",
    "find_service",
    "inject_faults",
    "install",
    "installed",
    "uninstall",
]
