"""ECS service deployments, patched into moto's in-process ECS backend (as :mod:`devtools.moto_faults`
patches refusals in).

moto keeps one deployment per service and never changes it: no rollout, no failure, no circuit breaker,
no tasks. With :func:`install`, a service behaves as ECS does where the deploy tool can tell:

- ``CreateService``: the first deployment is ``PRIMARY``/``COMPLETED`` with ``desiredCount`` tasks
  ``RUNNING`` (``startedBy`` its deployment ID).
- ``UpdateService`` with another task definition (or ``forceNewDeployment``): the ``PRIMARY`` becomes
  ``ACTIVE`` (it drains) and a new ``PRIMARY`` is ``IN_PROGRESS`` for ``deployment_seconds``; then it is
  ``COMPLETED``, its tasks run, the old ones stop ("Scaling activity initiated by (deployment ...)") and
  the old deployment is gone. ``UpdateService`` to an ``INACTIVE`` revision is refused as ECS refuses it.
- a failed rollout (:mod:`devtools.ecs.faults`): the circuit breaker's threshold of tasks (half the desired
  count, at least 3, at most 200) stop with ``Essential container in task exited`` and the container's
  reason; the deployment ends ``FAILED`` ("ECS deployment circuit breaker: tasks failed to start.") and,
  when the service's circuit breaker has ``rollback``, a new ``PRIMARY`` puts the previous revision back
  (``COMPLETED`` after ``deployment_seconds``). The stopped tasks' containers write their last words to
  the ``awslogs`` stream of the task definition, when its log group exists.
- ``DescribeTaskDefinition`` of a family answers its newest ``ACTIVE`` revision (moto: the newest).

Time moves on when the service, its tasks or its health is read. State lives on moto's own objects, so a
moto reset forgets it. :func:`uninstall` restores moto.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from moto.core.utils import utcnow
from moto.ecs.exceptions import EcsClientException
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task
from moto.logs.models import logs_backends
from moto.moto_api._internal import mock_random

__all__ = [
    "CIRCUIT_BREAKER_REASON",
    "DEFAULT_FAILURE",
    "advance",
    "install",
    "installed",
    "settings",
    "uninstall",
]

CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."
DEFAULT_FAILURE = "injected fault: the app exited on start"
_LOCK = threading.RLock()
_ORIGINALS: dict[str, Any] = {}


@dataclass
class Settings:
    """How long a deployment (and a circuit breaker's rollback) stays ``IN_PROGRESS``."""

    deployment_seconds: float = 0.3


settings = Settings()


@dataclass
class _Plan:
    """A service's faults and its deployments' scheduled ends: ID → (monotonic time, outcome)."""

    ends: dict[str, tuple[float, str]] = field(default_factory=dict)
    fail_next: str | None = None  # the container's reason of the next deployment's failure
    next_seconds: float | None = None
    unhealthy_images: set[str] = field(default_factory=set)


class _ServiceTask(Task):
    """A task a service runs: its status changes when the emulator says, not on every describe."""

    def advance(self) -> None:
        return None


def _plan(service: Service) -> _Plan:
    plan: _Plan | None = getattr(service, "_cora_plan", None)
    if plan is None:
        plan = _Plan()
        service._cora_plan = plan  # type: ignore[attr-defined]
    return plan


def _backend(service: Service) -> EC2ContainerServiceBackend:
    backend: EC2ContainerServiceBackend = service._backend
    return backend


def _deployment(service: Service, task_definition: str, state: str, reason: str) -> dict[str, Any]:
    now = utcnow()
    deployment_id = f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": 0 if state == "COMPLETED" else service.desired_count,
        "runningCount": service.desired_count if state == "COMPLETED" else 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": state,
        "rolloutStateReason": reason.format(id=deployment_id),
    }


def _event(service: Service, message: str) -> None:
    service.events.insert(
        0,
        {
            "id": str(mock_random.uuid4()),
            "createdAt": utcnow(),
            "message": f"(service {service.name}) {message}",
        },
    )


def _start_tasks(service: Service, deployment: dict[str, Any], count: int) -> list[Task]:
    backend = _backend(service)
    cluster = backend._get_cluster(service.cluster_name)
    task_definition = backend.describe_task_definition(deployment["taskDefinition"])
    # moto 5.2's Task cannot attach an awsvpc ENI (NetworkInterface has no private_dns_name): the task
    # is built from a view of the revision without awsvpc, and given the attachment ECS would show.
    view = SimpleNamespace(
        arn=task_definition.arn,
        network_mode=None,
        container_definitions=task_definition.container_definitions,
    )
    subnets = (service.network_configuration or {}).get("awsvpcConfiguration", {}).get("subnets", [])
    started: list[Task] = []
    for _ in range(count):
        task = _ServiceTask(
            cluster,
            view,  # type: ignore[arg-type]
            None,
            None,
            backend,
            group=f"service:{service.name}",
            launch_type=service.launch_type or "FARGATE",
            started_by=deployment["id"],
        )
        task.attachments.append(
            {
                "id": str(mock_random.uuid4()),
                "type": "ElasticNetworkInterface",
                "status": "ATTACHED",
                "details": [
                    {"name": "subnetId", "value": subnets[0] if subnets else ""},
                    {"name": "networkInterfaceId", "value": f"eni-{mock_random.get_random_hex(17)}"},
                ],
            }
        )
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        started.append(task)
    return started


def _service_tasks(service: Service) -> list[Task]:
    return [
        t
        for t in _backend(service).tasks.get(service.cluster_name, {}).values()
        if t.group == f"service:{service.name}"
    ]


def _stop(task: Task, reason: str) -> None:
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    for container in task.containers:
        container.last_status = "STOPPED"


def _write_last_words(task: Task, task_definition: Any, words: str) -> None:
    """The stopped container's log line, when its ``awslogs`` group exists (as ECS's log driver writes)."""
    web: dict[str, Any] = next(
        (c for c in task_definition.container_definitions if c.get("name") == "web"), {}
    )
    options = (web.get("logConfiguration") or {}).get("options") or {}
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    logs = logs_backends[task._account_id][task.region_name]
    if not group or not prefix or group not in logs.groups:
        return
    stream = f"{prefix}/web/{task.id}"
    logs.create_log_stream(group, stream)
    logs.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": f"Error: {words}"}])


def _fail(service: Service, deployment: dict[str, Any], reason: str) -> None:
    """The circuit breaker trips: its threshold of tasks stopped, the deployment FAILED, maybe rolled back."""
    backend = _backend(service)
    task_definition = backend.describe_task_definition(deployment["taskDefinition"])
    threshold = min(max(math.ceil(0.5 * service.desired_count), 3), 200)
    for task in _start_tasks(service, deployment, threshold):
        _stop(task, "Essential container in task exited")
        for container in task.containers:
            # Attributes moto's Container lacks; its serializer reads them by the API's names.
            container.reason, container.exitCode = reason, 1  # type: ignore[attr-defined]
            container.exit_code = 1  # type: ignore[attr-defined]
        _write_last_words(task, task_definition, reason)
    deployment.update(
        rolloutState="FAILED",
        rolloutStateReason=CIRCUIT_BREAKER_REASON,
        failedTasks=threshold,
        runningCount=0,
        updatedAt=utcnow(),
    )
    _event(service, f"(deployment {deployment['id']}) deployment failed: tasks failed to start.")
    breaker = (getattr(service, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker", {})
    previous: dict[str, Any] | None = next((d for d in service.deployments if d is not deployment), None)
    if not breaker.get("rollback") or previous is None:
        return
    deployment["status"] = "ACTIVE"
    rollback = _deployment(
        service,
        previous["taskDefinition"],
        "IN_PROGRESS",
        "ECS deployment detected failure. Rolling back to task definition "
        + previous["taskDefinition"].rsplit("/", 1)[-1]
        + ".",
    )
    service.deployments.insert(0, rollback)
    service.task_definition = previous["taskDefinition"]
    _plan(service).ends[rollback["id"]] = (time.monotonic() + settings.deployment_seconds, "COMPLETED")
    _event(service, f"rolling back to deployment {previous['id']}.")


def _complete(service: Service, deployment: dict[str, Any]) -> None:
    """Steady state: the deployment's tasks run, every other deployment's tasks stop and it is gone."""
    for task in _service_tasks(service):
        if task.started_by != deployment["id"] and task.desired_status == "RUNNING":
            _stop(task, f"Scaling activity initiated by (deployment {deployment['id']})")
    _start_tasks(service, deployment, service.desired_count)
    deployment.update(
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
        runningCount=service.desired_count,
        pendingCount=0,
        updatedAt=utcnow(),
    )
    service.deployments[:] = [d for d in service.deployments if d is deployment]
    service.running_count, service.pending_count = service.desired_count, 0
    _event(service, f"(deployment {deployment['id']}) deployment completed.")
    _event(service, "has reached a steady state.")


def advance(service: Service) -> None:
    """Apply every scheduled end that is due (in order)."""
    with _LOCK:
        plan = _plan(service)
        for deployment_id, (due, outcome) in sorted(plan.ends.items(), key=lambda item: item[1][0]):
            if due > time.monotonic():
                continue
            del plan.ends[deployment_id]
            deployment = next((d for d in service.deployments if d["id"] == deployment_id), None)
            if deployment is None or deployment["rolloutState"] != "IN_PROGRESS":
                continue  # replaced by a newer deployment meanwhile
            if outcome == "COMPLETED":
                _complete(service, deployment)
            else:
                _fail(service, deployment, outcome)


def _create_service(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Service:
    with _LOCK:
        service: Service = _ORIGINALS["create_service"](self, *args, **kwargs)
        if service.task_definition and service.deployments:
            first = _deployment(
                service, service.task_definition, "COMPLETED", "ECS deployment {id} completed."
            )
            service.deployments[:] = [first]
            service.running_count, service.pending_count = service.desired_count, 0
            _start_tasks(service, first, service.desired_count)
        return service


def _update_service(self: EC2ContainerServiceBackend, properties: dict[str, Any]) -> Service:
    with _LOCK:
        cluster = properties.get("cluster", "default")
        service = self._get_service(cluster, properties["service"].split("/")[-1])
        advance(service)
        before, force = service.task_definition, bool(properties.get("force_new_deployment"))
        wanted = properties.get("task_definition")
        if wanted and self.describe_task_definition(wanted).status == "INACTIVE":
            raise EcsClientException("TaskDefinition is inactive")
        updated: Service = _ORIGINALS["update_service"](self, dict(properties))
        if wanted:
            updated.task_definition = self.describe_task_definition(wanted).arn
        if updated.task_definition == before and not force:
            return updated
        plan = _plan(updated)
        for old in updated.deployments:
            old["status"] = "ACTIVE"
        new = _deployment(
            updated, str(updated.task_definition), "IN_PROGRESS", "ECS deployment {id} in progress."
        )
        updated.deployments.insert(0, new)
        seconds = settings.deployment_seconds if plan.next_seconds is None else plan.next_seconds
        plan.ends[new["id"]] = (time.monotonic() + seconds, plan.fail_next or "COMPLETED")
        plan.fail_next, plan.next_seconds = None, None
        return updated


def _describe_services(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    with _LOCK:
        services, failures = _ORIGINALS["describe_services"](self, *args, **kwargs)
        for service in services:
            advance(service)
        return services, failures


def _tasks_advanced(name: str) -> Any:
    def read(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            for service in list(self.services.values()):
                advance(service)
            return _ORIGINALS[name](self, *args, **kwargs)

    return read


def _describe_task_definition(self: EC2ContainerServiceBackend, task_definition_str: str) -> Any:
    name = task_definition_str
    family = name.rsplit("/", maxsplit=1)[-1]
    if ":" in family or family not in self.task_definitions:
        return _ORIGINALS["describe_task_definition"](self, name)
    active = [td for td in self.task_definitions[family].values() if td.status == "ACTIVE"]
    if not active:
        return _ORIGINALS["describe_task_definition"](self, f"{family}:0")  # not found, as moto says it
    return max(active, key=lambda td: td.revision)


_PATCHES = {
    "create_service": _create_service,
    "update_service": _update_service,
    "describe_services": _describe_services,
    "list_tasks": _tasks_advanced("list_tasks"),
    "describe_tasks": _tasks_advanced("describe_tasks"),
    "describe_task_definition": _describe_task_definition,
}


def install(*, deployment_seconds: float | None = None) -> None:
    """Patch the deployments into moto (idempotent); ``deployment_seconds`` sets how long one lasts."""
    if deployment_seconds is not None:
        settings.deployment_seconds = deployment_seconds
    if _ORIGINALS:
        return
    for name, patched in _PATCHES.items():
        _ORIGINALS[name] = getattr(EC2ContainerServiceBackend, name)
        setattr(EC2ContainerServiceBackend, name, patched)


def uninstall() -> None:
    """Restore moto's own ECS."""
    for name in list(_ORIGINALS):
        setattr(EC2ContainerServiceBackend, name, _ORIGINALS.pop(name))


def installed() -> bool:
    """True while the deployments are patched in."""
    return bool(_ORIGINALS)
