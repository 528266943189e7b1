"""Faults of emulated ECS services, and what their tasks serve (:mod:`devtools.ecs.deployments`)."""

from __future__ import annotations

from moto.ecs.models import Service, ecs_backends

from devtools.ecs.deployments import _LOCK, DEFAULT_FAILURE, _backend, _plan, advance

__all__ = ["find_service", "inject_faults", "serving_image"]


def find_service(service_arn: str) -> Service:
    """moto's service of ``arn:<partition>:ecs:<region>:<account>:service/<cluster>/<name>``."""
    parts = service_arn.split(":")
    _, cluster, name = parts[5].split("/")
    backend = ecs_backends[parts[4]][parts[3]]
    return backend._get_service(cluster, name)


def inject_faults(
    service_arn: str,
    *,
    fail_next_deployment: bool | str = False,
    next_deployment_seconds: float | None = None,
    unhealthy_image: str | None = None,
) -> None:
    """Faults of one service (in the process that runs moto).

    ``fail_next_deployment``: the next deployment's tasks fail to start and the circuit breaker trips
    (a string: the container's reason, default :data:`DEFAULT_FAILURE`). ``next_deployment_seconds``:
    the next deployment stays ``IN_PROGRESS`` that long (``math.inf``: it never finishes).
    ``unhealthy_image``: the app's health URL answers 503 while the service serves this image.
    """
    if next_deployment_seconds is not None and next_deployment_seconds < 0:
        raise ValueError(f"next_deployment_seconds must not be negative, got {next_deployment_seconds}")
    with _LOCK:
        plan = _plan(find_service(service_arn))
        if fail_next_deployment:
            plan.fail_next = (
                fail_next_deployment if isinstance(fail_next_deployment, str) else DEFAULT_FAILURE
            )
        if next_deployment_seconds is not None:
            plan.next_seconds = next_deployment_seconds
        if unhealthy_image is not None:
            plan.unhealthy_images.add(unhealthy_image)


def serving_image(service: Service) -> tuple[str | None, bool]:
    """(the image the service's running tasks serve, whether it is marked unhealthy); ``None``: no task
    runs. While a deployment is in progress the old tasks serve, as behind a load balancer."""
    with _LOCK:
        advance(service)
        backend = _backend(service)
        for deployment in service.deployments:
            if deployment["rolloutState"] == "COMPLETED":
                task_definition = backend.describe_task_definition(str(deployment["taskDefinition"]))
                web = next(c for c in task_definition.container_definitions if c.get("name") == "web")
                image = str(web["image"])
                return image, image in _plan(service).unhealthy_images
        return None, False
