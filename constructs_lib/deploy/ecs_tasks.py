"""Task definitions and tasks as the ECS deploy needs them (:mod:`.ecs`): a revision that differs only in
the image, the secrets a revision reads, and why a deployment's tasks stopped, in ECS's own words.

The functions take boto3 ECS/CloudWatch Logs clients or any object with the same methods, and read
``DescribeTaskDefinition`` responses (``include=["TAGS"]``) as they come.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from constructs_lib.deploy.checks import client_error_code
from constructs_lib.deploy.errors import BadInputError

__all__ = [
    "REGISTRABLE_FIELDS",
    "WEB_CONTAINER",
    "container_secrets",
    "differs_beyond_image",
    "registration",
    "revision_name",
    "rollout_cause",
    "stopped_task_reasons",
    "web_image",
]

WEB_CONTAINER = "web"
"""The app's container in the service's task definition (the stack names it so)."""

# Every RegisterTaskDefinition input a DescribeTaskDefinition response carries back (botocore's ECS
# model; a test compares the list with the installed botocore). The rest of the response (revision,
# status, compatibilities, registeredAt/By, requiresAttributes, taskDefinitionArn) is ECS's own
# bookkeeping, which RegisterTaskDefinition refuses.
REGISTRABLE_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
    "trustedExecutionConfiguration",
)


def revision_name(task_definition_arn: str) -> str:
    """``arn:...:task-definition/cora-dev-web:7`` → ``cora-dev-web:7``."""
    return task_definition_arn.rsplit("/", 1)[-1]


def _web(task_definition: dict[str, Any]) -> dict[str, Any]:
    for container in task_definition.get("containerDefinitions", []):
        if container.get("name") == WEB_CONTAINER:
            return dict(container)
    names = [c.get("name") for c in task_definition.get("containerDefinitions", [])]
    raise BadInputError(
        f"task definition {revision_name(str(task_definition.get('taskDefinitionArn', '?')))} has no "
        f"container named {WEB_CONTAINER!r} (it has {names}): the stack names the app's container "
        f"{WEB_CONTAINER!r}; nothing was changed"
    )


def web_image(task_definition: dict[str, Any]) -> str:
    """The image of the task definition's ``web`` container."""
    return str(_web(task_definition)["image"])


def registration(described: dict[str, Any], image: str) -> dict[str, Any]:
    """``RegisterTaskDefinition`` arguments copying the revision ``described`` (a
    ``DescribeTaskDefinition`` response) with only the ``web`` container's image changed, tags included."""
    task_definition = described["taskDefinition"]
    _web(task_definition)  # refuse before copying
    arguments = {
        name: copy.deepcopy(task_definition[name])
        for name in REGISTRABLE_FIELDS
        if task_definition.get(name) not in (None, [], {})
    }
    for container in arguments["containerDefinitions"]:
        if container.get("name") == WEB_CONTAINER:
            container["image"] = image
    if described.get("tags"):
        arguments["tags"] = copy.deepcopy(described["tags"])
    return arguments


def differs_beyond_image(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Whether two task definitions differ in anything registrable but the ``web`` image (a config
    change: environment, secrets, CPU, roles...)."""

    def shape(task_definition: dict[str, Any]) -> dict[str, Any]:
        return registration({"taskDefinition": task_definition}, "")

    return shape(first) != shape(second)


def container_secrets(task_definition: dict[str, Any]) -> dict[str, str]:
    """``<container>.<ENV NAME>`` → ``valueFrom`` of every secret the task definition's containers read."""
    return {
        f"{container.get('name')}.{secret['name']}": str(secret["valueFrom"])
        for container in task_definition.get("containerDefinitions", [])
        for secret in container.get("secrets") or []
    }


def _reason(task: dict[str, Any]) -> str:
    parts = [str(task.get("stoppedReason") or "stopped, no reason given")]
    for container in task.get("containers", []):
        said = [str(container["reason"])] if container.get("reason") else []
        if container.get("exitCode") not in (None, 0):
            said.append(f"exit code {container['exitCode']}")
        if said:
            parts.append(f"container {container.get('name', '?')}: {', '.join(said)}")
    return "; ".join(parts)


def _log_tail(logs: Any, task_definition: dict[str, Any], task_arn: str, limit: int) -> list[str]:
    """The last lines the ``web`` container of task ``task_arn`` wrote to CloudWatch Logs (``awslogs``
    driver), ``[]`` when it has no such log or it cannot be read."""
    options = (_web(task_definition).get("logConfiguration") or {}).get("options") or {}
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if logs is None or not group or not prefix:
        return []
    stream = f"{prefix}/{WEB_CONTAINER}/{task_arn.rsplit('/', 1)[-1]}"
    try:
        events = logs.get_log_events(
            logGroupName=group, logStreamName=stream, limit=limit, startFromHead=False
        )["events"]
    except Exception as error:
        if client_error_code(error):  # no stream (the container never started), access denied
            return []
        raise
    return [str(event.get("message", "")).strip() for event in events][-limit:]


def stopped_task_reasons(
    ecs: Any,
    logs: Any,
    *,
    cluster: str,
    service_name: str,
    task_definition: dict[str, Any],
    limit: int = 5,
) -> list[str]:
    """Why the stopped tasks of revision ``task_definition`` stopped (``ListTasks`` STOPPED, then
    ``DescribeTasks``): each distinct reason once, with how many tasks gave it, and the last log lines
    of one of them. ECS keeps stopped tasks for about an hour."""
    arns = ecs.list_tasks(cluster=cluster, serviceName=service_name, desiredStatus="STOPPED")["taskArns"]
    if not arns:
        return []
    wanted = task_definition["taskDefinitionArn"]
    tasks = [
        t
        for t in ecs.describe_tasks(cluster=cluster, tasks=arns[:100])["tasks"]
        if t.get("taskDefinitionArn") == wanted
    ]
    counted = Counter(_reason(task) for task in tasks)
    lines = [f"{count} task(s): {reason}" for reason, count in counted.most_common(limit)]
    if tasks:
        tail = _log_tail(logs, task_definition, str(tasks[0]["taskArn"]), 3)
        if tail:
            lines.append(f"its last log lines: {' | '.join(tail)}")
    return lines


def rollout_cause(
    ecs: Any,
    logs: Any,
    *,
    deployment: dict[str, Any],
    cluster: str,
    service_name: str,
    task_definition: dict[str, Any],
) -> str:
    """``; ECS says: <the circuit breaker's words>; stopped tasks: <reasons>`` for a FAILED rollout."""
    reason = str(deployment.get("rolloutStateReason") or "").rstrip(".")
    said = f"; ECS says: {reason}" if reason else ""
    reasons = stopped_task_reasons(
        ecs, logs, cluster=cluster, service_name=service_name, task_definition=task_definition
    )
    if reasons:
        return f"{said}; stopped tasks: {' | '.join(reasons)}"
    return f"{said}; no stopped task of it is listed (ECS keeps them about an hour)"
