"""ECS Fargate + ALB environments on moto as AWS runs them, so Terraform can apply, re-plan and destroy.

moto (5.2.5) differs from AWS where an ECS environment's Terraform run (or a deploy) goes wrong:

* Application Auto Scaling has no ``TagResource``, ``UntagResource`` or ``ListTagsForResource`` and
  drops ``RegisterScalableTarget``'s ``Tags``. The AWS provider reads a scalable target's tags after
  creating it, gets moto's 500 for the missing operation and retries until it gives up (minutes).
* ECS ``CreateService`` drops ``deploymentConfiguration`` (circuit breaker, minimum/maximum percent),
  ``healthCheckGracePeriodSeconds``, ``enableECSManagedTags``, ``enableExecuteCommand`` and
  ``availabilityZoneRebalancing``: the first plan after apply wants to set them again. AWS reports
  them, with its defaults where the request left them out.
* ECS runs no task for a service (``runningCount`` comes from ``MOTO_ECS_SERVICE_RUNNING``, the
  deployment stays ``IN_PROGRESS``), a new task definition starts no deployment, and a task moto did
  start is reported ``STOPPED`` as soon as it is described. Here a service's deployment ends at once
  as a healthy ECS rollout does (see :func:`roll_out`); failures (circuit breaker) are not simulated.
* ``RunTask`` of a Fargate task definition whose containers leave ``memory`` to the task level (as
  ours do) crashes on the missing value; so does any awsvpc task in a VPC without DNS hostnames (its
  network interface has no ``private_dns_name``, AWS's has none either and the task runs).
* ELBv2 ``CreateLoadBalancer`` without ``Scheme`` (the AWS provider sends none for ``internal =
  false``) stores no scheme, so ``DescribeLoadBalancers`` answers without one; AWS answers its
  default, ``internet-facing``.
* A security group rule that references another group keeps its ``Description`` in moto's
  ``UserIdGroupPairs`` but ``DescribeSecurityGroupRules`` answers it empty, so every plan wants to set
  the description of ``aws_vpc_security_group_*_rule`` with ``referenced_security_group_id`` again.

:func:`install` patches moto's classes in this process (moto's threaded server runs in it) to behave
like AWS; :func:`uninstall` restores moto's own behaviour.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, Final

from moto.applicationautoscaling.models import (
    ApplicationAutoscalingBackend,
    FakeScalableTarget,
    applicationautoscaling_backends,
)
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer
from moto.moto_api._internal import mock_random

from devtools.ecs import deployments as ecs_deployments

_ORIGINALS: dict[str, Any] = {}


class ResourceNotFoundError(JsonRESTError):
    """What Application Auto Scaling answers for a tag call on an ARN it does not know."""

    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"No scalable target found for ARN: {arn}")


# ---------------------------------------------------------------- Application Auto Scaling tags


def _target_by_arn(backend: ApplicationAutoscalingBackend, arn: str) -> FakeScalableTarget:
    for by_resource in backend.targets.values():
        for target in by_resource.values():
            if target.arn == arn:
                return target
    raise ResourceNotFoundError(arn)


def _tags_of(target: FakeScalableTarget) -> dict[str, str]:
    tags: dict[str, str] | None = getattr(target, "tags", None)
    if tags is None:
        tags = {}
        target.tags = tags  # type: ignore[attr-defined]
    return tags


def _scaling_backend(response: ApplicationAutoScalingResponse) -> ApplicationAutoscalingBackend:
    backend: ApplicationAutoscalingBackend = applicationautoscaling_backends[response.current_account][
        response.region
    ]
    return backend


def _register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
    """moto's ``RegisterScalableTarget``, keeping the request's ``Tags`` on the target (AWS does)."""
    answer: str = _ORIGINALS["register_scalable_target"](self)
    tags = self._get_param("Tags") or {}
    if tags:
        target = _target_by_arn(_scaling_backend(self), json.loads(answer)["ScalableTargetARN"])
        _tags_of(target).update(tags)
    return answer


def _tag_resource(self: ApplicationAutoScalingResponse) -> str:
    """``TagResource``: add or overwrite tags of a scalable target."""
    target = _target_by_arn(_scaling_backend(self), self._get_param("ResourceARN"))
    _tags_of(target).update(self._get_param("Tags") or {})
    return "{}"


def _untag_resource(self: ApplicationAutoScalingResponse) -> str:
    """``UntagResource``: remove tags of a scalable target by key."""
    target = _target_by_arn(_scaling_backend(self), self._get_param("ResourceARN"))
    tags = _tags_of(target)
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    return "{}"


def _list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
    """``ListTagsForResource``: a scalable target's tags (``{"Tags": {key: value}}``)."""
    target = _target_by_arn(_scaling_backend(self), self._get_param("ResourceARN"))
    return json.dumps({"Tags": _tags_of(target)})


# ---------------------------------------------------------------- ECS services

# What DescribeServices answers for a service created without these settings.
DEFAULT_CIRCUIT_BREAKER: Final = {"enable": False, "rollback": False}
DEFAULT_DEPLOYMENT_CONFIGURATION: Final[dict[str, Any]] = {
    "deploymentCircuitBreaker": DEFAULT_CIRCUIT_BREAKER,
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
_REQUEST_DEFAULTS: Final = {
    # request member -> (Service attribute, value when the request leaves it out)
    "healthCheckGracePeriodSeconds": ("health_check_grace_period_seconds", 0),
    "enableECSManagedTags": ("enable_ecs_managed_tags", False),
    "enableExecuteCommand": ("enable_execute_command", False),
    "availabilityZoneRebalancing": ("availability_zone_rebalancing", "DISABLED"),
}


def deployment_configuration(requested: dict[str, Any] | None) -> dict[str, Any]:
    """A service's ``deploymentConfiguration`` as ECS reports it: the request over ECS's defaults."""
    merged: dict[str, Any] = {**DEFAULT_DEPLOYMENT_CONFIGURATION, **(requested or {})}
    merged["deploymentCircuitBreaker"] = {
        **DEFAULT_CIRCUIT_BREAKER,
        **merged["deploymentCircuitBreaker"],
    }
    return merged


def _service_tasks(backend: EC2ContainerServiceBackend, service: Service) -> list[Task]:
    group = f"service:{service.name}"
    return [
        task
        for task in backend.tasks.get(service.cluster_name, {}).values()
        if task.group == group and task.desired_status == "RUNNING"
    ]


def _stop(task: Task, reason: str) -> None:
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = reason


def roll_out(backend: EC2ContainerServiceBackend, service: Service, *, new_deployment: bool) -> None:
    """Finish a service's deployment at once, as a healthy ECS rollout ends: ``desiredCount`` tasks of
    the service's task definition RUNNING (the others stopped), one ``PRIMARY`` deployment
    ``COMPLETED``, and the steady-state event. ``new_deployment`` starts a deployment with a new id
    (a new task definition or a forced deployment); a count change keeps the current one.

    When :mod:`devtools.ecs` models deployments over time (rollouts that take a while, fail, trip the
    circuit breaker: the deploy tool's tests), it runs the tasks and the deployments, not this."""
    if ecs_deployments.installed():
        return
    cluster = backend.clusters[service.cluster_name]
    previous: dict[str, Any] | None = service.deployments[0] if service.deployments else None
    deployment_id: str = (
        previous["id"]
        if previous is not None and not new_deployment
        else f"ecs-svc/{mock_random.randint(0, 32**12)}"
    )
    tasks = _service_tasks(backend, service)
    for task in [t for t in tasks if t.task_definition_arn != service.task_definition]:
        _stop(task, f"Task stopped by deployment {deployment_id}")
    current = [t for t in tasks if t.task_definition_arn == service.task_definition]
    for task in current[service.desired_count :]:
        _stop(task, "Scaling activity initiated by deployment " + deployment_id)
    missing = service.desired_count - len(current)
    if missing > 0 and service.task_definition:
        started = backend.run_task(
            cluster.name,
            service.task_definition,
            missing,
            None,
            deployment_id,
            service.tags if service.propagate_tags == "SERVICE" else None,
            service.launch_type,
            networking_configuration=service.network_configuration or None,
            group=f"service:{service.name}",
            platform_version=service.platform_version,
        )
        for task in started:
            task._transitions = [("RUNNING", "RUNNING")]  # a service's task runs until stopped
    now = utcnow()
    service.running_count, service.pending_count = service.desired_count, 0
    service.deployments = [
        {
            **(previous or {}),
            "id": deployment_id,
            "status": "PRIMARY",
            "taskDefinition": service.task_definition,
            "desiredCount": service.desired_count,
            "runningCount": service.desired_count,
            "pendingCount": 0,
            "failedTasks": 0,
            "launchType": service.launch_type,
            "rolloutState": "COMPLETED",
            "rolloutStateReason": f"ECS deployment {deployment_id} completed.",
            "createdAt": previous["createdAt"] if previous and not new_deployment else now,
            "updatedAt": now,
        }
    ]
    service.events.insert(
        0,
        {
            "id": str(mock_random.uuid4()),
            "createdAt": now,
            "message": f"(service {service.name}) has reached a steady state.",
        },
    )
    # moto's counters drift with our tasks; count them as ECS does (Fargate only: no instances).
    running = [t for t in backend.tasks.get(cluster.name, {}).values() if t.desired_status == "RUNNING"]
    cluster.running_tasks_count, cluster.pending_tasks_count = len(running), 0


def _task_resource_requirements(task_definition: TaskDefinition) -> dict[str, Any]:
    """moto's resource sums for placing a task, for a Fargate task definition too: its containers may
    leave ``memory`` out (the task-level size applies; moto's sum crashes on the missing value, so
    ``RunTask``, and our service rollout, fail with a 500). Containers without it count as 0 and the
    task-level memory is the floor."""
    containers = [
        {**c, "memory": c.get("memory") or c.get("memoryReservation") or 0}
        for c in task_definition.container_definitions
    ]
    sized = SimpleNamespace(container_definitions=containers)
    requirements: dict[str, Any] = _ORIGINALS["task_resource_requirements"](sized)
    requirements["CPU"] = max(requirements["CPU"], int(task_definition.cpu or 0))
    requirements["MEMORY"] = max(requirements["MEMORY"], int(task_definition.memory or 0))
    return requirements


def _create_service(self: EC2ContainerServiceResponse) -> ActionResult:
    """moto's ``CreateService``, keeping what moto drops (deployment configuration, grace period,
    managed tags, execute command, AZ rebalancing) and running the service's tasks."""
    answer: ActionResult = _ORIGINALS["create_service"](self)
    service = self.ecs_backend._get_service(
        self._get_param("cluster", "default"), self._get_param("serviceName")
    )
    service.deployment_configuration = deployment_configuration(  # type: ignore[attr-defined]
        self._get_param("deploymentConfiguration")
    )
    for member, (attribute, default) in _REQUEST_DEFAULTS.items():
        value = self._get_param(member)
        setattr(service, attribute, default if value is None else value)
    roll_out(self.ecs_backend, service, new_deployment=True)
    return answer


def _update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Service:
    """moto's ``UpdateService``, then the rollout ECS would run: a new task definition or a forced
    deployment starts a new deployment, a count change scales the current one."""
    properties = dict(service_properties)
    before = self._get_service(properties.get("cluster", "default"), properties["service"].split("/")[-1])
    old_definition = before.task_definition
    service: Service = _ORIGINALS["update_service"](self, service_properties)
    if "deployment_configuration" in properties:
        service.deployment_configuration = deployment_configuration(  # type: ignore[attr-defined]
            {**getattr(service, "deployment_configuration", {}), **properties["deployment_configuration"]}
        )
    if service.task_definition:  # moto keeps the request's "family:revision"; ECS answers the ARN
        service.task_definition = self.describe_task_definition(service.task_definition).arn
    new_deployment = service.task_definition != old_definition or bool(properties.get("force_new_deployment"))
    roll_out(self, service, new_deployment=new_deployment)
    return service


def _delete_service(
    self: EC2ContainerServiceBackend, cluster_name: str, service_name: str, force: bool
) -> Service:
    """moto's ``DeleteService``, stopping the service's tasks (ECS drains them)."""
    service: Service = _ORIGINALS["delete_service"](self, cluster_name, service_name, force)
    for task in _service_tasks(self, service):
        _stop(task, "Service deleted")
    service.running_count = 0
    return service


# ---------------------------------------------------------------- ELBv2 load balancers


def _create_load_balancer(self: ELBv2Backend, *args: Any, **kwargs: Any) -> FakeLoadBalancer:
    """moto's ``CreateLoadBalancer`` with AWS's default scheme when the request names none."""
    if kwargs.get("scheme") is None:
        kwargs["scheme"] = "internet-facing"
    balancer: FakeLoadBalancer = _ORIGINALS["create_load_balancer"](self, *args, **kwargs)
    return balancer


# ---------------------------------------------------------------- EC2 security group rules


def _rule_description(self: SecurityGroupRule) -> str | None:
    """A rule's description wherever the request put it: on its CIDR range (moto reads only this),
    or on the security group it references (``UserIdGroupPairs[].Description``)."""
    return self.ip_range.get("Description") or self.source_group.get("Description")


_ADDED_METHODS = {
    (ApplicationAutoScalingResponse, "tag_resource"): _tag_resource,
    (ApplicationAutoScalingResponse, "untag_resource"): _untag_resource,
    (ApplicationAutoScalingResponse, "list_tags_for_resource"): _list_tags_for_resource,
}


def install() -> None:
    """Make moto run ECS environments as AWS does (idempotent; lasts until :func:`uninstall`)."""
    if _ORIGINALS:
        return
    _ORIGINALS["register_scalable_target"] = ApplicationAutoScalingResponse.register_scalable_target
    _ORIGINALS["create_service"] = EC2ContainerServiceResponse.create_service
    _ORIGINALS["update_service"] = EC2ContainerServiceBackend.update_service
    _ORIGINALS["delete_service"] = EC2ContainerServiceBackend.delete_service
    _ORIGINALS["create_load_balancer"] = ELBv2Backend.create_load_balancer
    ELBv2Backend.create_load_balancer = _create_load_balancer  # type: ignore[method-assign]
    _ORIGINALS["task_resource_requirements"] = (
        EC2ContainerServiceBackend._calculate_task_resource_requirements
    )
    ApplicationAutoScalingResponse.register_scalable_target = _register_scalable_target  # type: ignore[method-assign]
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(  # type: ignore[method-assign]
        _task_resource_requirements
    )
    EC2ContainerServiceResponse.create_service = _create_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = _update_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend.delete_service = _delete_service  # type: ignore[method-assign]
    NetworkInterface.private_dns_name = None  # type: ignore[assignment]  # see the module docstring
    _ORIGINALS["rule_description"] = SecurityGroupRule.description
    SecurityGroupRule.description = property(_rule_description)  # type: ignore[assignment,method-assign]
    for (cls, name), method in _ADDED_METHODS.items():
        setattr(cls, name, method)


def uninstall() -> None:
    """Restore moto's own behaviour."""
    if not _ORIGINALS:
        return
    ApplicationAutoScalingResponse.register_scalable_target = _ORIGINALS.pop("register_scalable_target")  # type: ignore[method-assign]
    ELBv2Backend.create_load_balancer = _ORIGINALS.pop("create_load_balancer")  # type: ignore[method-assign]
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(  # type: ignore[method-assign]
        _ORIGINALS.pop("task_resource_requirements")
    )
    EC2ContainerServiceResponse.create_service = _ORIGINALS.pop("create_service")  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = _ORIGINALS.pop("update_service")  # type: ignore[method-assign]
    EC2ContainerServiceBackend.delete_service = _ORIGINALS.pop("delete_service")  # type: ignore[method-assign]
    del NetworkInterface.private_dns_name  # type: ignore[misc]
    SecurityGroupRule.description = _ORIGINALS.pop("rule_description")  # type: ignore[method-assign]
    for cls, name in _ADDED_METHODS:
        delattr(cls, name)


def installed() -> bool:
    """True while the patches are in."""
    return bool(_ORIGINALS)
