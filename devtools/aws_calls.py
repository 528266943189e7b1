"""Record the AWS calls a boto3 client makes, and say which IAM authorisations each one needs.

The deploy tests attach a :class:`CallRecorder` to every client the deploy tool creates, then check
each recorded call against the policy the stack gives the deploy role (:mod:`devtools.iam_policy`):
a call the policy would refuse on AWS fails the test, although the emulators enforce no IAM.

:func:`authorisations` maps an operation to its IAM action(s), resource ARN(s) and condition keys, as
AWS's "Service Authorization Reference" lists them for the operations the tool uses. An operation it
does not know is an error (``KeyError``), so a new call cannot slip past the check unmapped.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devtools.iam_policy import Request

__all__ = ["Call", "CallRecorder", "authorisations"]


@dataclass(frozen=True)
class Call:
    """One API call: the client's service (boto3's name) and region, the operation and its parameters."""

    service: str
    region: str
    operation: str
    params: dict[str, Any]


class CallRecorder:
    """Collects the calls of the clients it is attached to (thread-safe)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def attach(self, client: Any) -> Any:
        """Record ``client``'s calls from now on; returns the client."""
        service = client.meta.service_model.service_name
        region = client.meta.region_name

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            with self._lock:
                self.calls.append(Call(service, region, model.name, copy.deepcopy(params)))

        client.meta.events.register(f"provide-client-params.{service}.*", record)
        return client

    def wrap(self, factory: Callable[..., Any]) -> Callable[..., Any]:
        """A client factory like ``factory`` whose clients are recorded."""

        def make(*args: Any, **kwargs: Any) -> Any:
            return self.attach(factory(*args, **kwargs))

        return make

    def take(self) -> list[Call]:
        """The calls recorded so far, and forget them."""
        with self._lock:
            taken, self.calls = self.calls, []
        return taken


def _ssm(call: Call, arn: str) -> list[Request]:
    action, params = f"ssm:{call.operation}", call.params
    if call.operation == "GetParametersByPath":
        return [Request(action, f"{arn}:parameter{params['Path']}")]
    names = params["Names"] if call.operation == "GetParameters" else [params["Name"]]
    return [Request(action, f"{arn}:parameter{name}") for name in names]


def _ecr(call: Call, arn: str) -> list[Request]:
    if call.operation == "GetAuthorizationToken":
        return [Request("ecr:GetAuthorizationToken", "*")]
    return [Request(f"ecr:{call.operation}", f"{arn}:repository/{call.params['repositoryName']}")]


def _apprunner(call: Call, arn: str) -> list[Request]:
    params = call.params
    requests = [Request(f"apprunner:{call.operation}", params["ServiceArn"])]
    if call.operation == "UpdateService":
        source = params.get("SourceConfiguration", {})
        roles = [
            source.get("AuthenticationConfiguration", {}).get("AccessRoleArn"),
            params.get("InstanceConfiguration", {}).get("InstanceRoleArn"),
        ]
        passed = {"iam:PassedToService": "apprunner.amazonaws.com"}
        requests += [Request("iam:PassRole", role, passed) for role in roles if role]
    return requests


def _secretsmanager(call: Call, arn: str) -> list[Request]:
    secret = call.params["SecretId"]
    if not secret.startswith("arn:"):
        raise KeyError(f"{call.operation} by name {secret!r}: IAM authorises the secret's ARN; pass the ARN")
    return [Request(f"secretsmanager:{call.operation}", secret)]


def _logs(call: Call, arn: str) -> list[Request]:
    group = f"{arn}:log-group:{call.params['logGroupName']}"
    if call.operation == "GetLogEvents":  # authorised on the log stream
        return [Request("logs:GetLogEvents", f"{group}:log-stream:{call.params['logStreamName']}")]
    return [Request(f"logs:{call.operation}", group)]


def _ecs_arn(arn: str, kind: str, name: str) -> str:
    """A name or an ARN of an ECS ``kind`` (cluster, service, task) → its ARN."""
    return name if name.startswith("arn:") else f"{arn}:{kind}/{name}"


def _ecs(call: Call, arn: str) -> list[Request]:
    """Per the Service Authorization Reference for ECS: services and tasks by ARN with the ``ecs:cluster``
    key; ``ListTasks`` (no container instance with Fargate), ``DescribeTaskDefinition`` and
    ``RegisterTaskDefinition`` on ``*``; the roles a revision names are passed to ``ecs-tasks``; tags on
    a new revision need ``ecs:TagResource`` with ``ecs:CreateAction``."""
    params, action = call.params, f"ecs:{call.operation}"
    if call.operation in ("DescribeTaskDefinition", "RegisterTaskDefinition"):
        requests = [Request(action, "*")]
        if call.operation == "RegisterTaskDefinition":
            passed = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
            roles = sorted(
                {str(params[key]) for key in ("executionRoleArn", "taskRoleArn") if params.get(key)}
            )
            requests += [Request("iam:PassRole", role, passed) for role in roles]
            if params.get("tags"):
                revision = f"{arn}:task-definition/{params['family']}:*"
                created = {"ecs:CreateAction": "RegisterTaskDefinition"}
                requests.append(Request("ecs:TagResource", revision, created))
        return requests
    cluster = _ecs_arn(arn, "cluster", params.get("cluster", "default"))
    short = cluster.rsplit("/", 1)[-1]
    where = {"ecs:cluster": cluster}
    if call.operation == "ListTasks":
        return [Request(action, "*", where)]
    if call.operation == "DescribeTasks":
        return [Request(action, _ecs_arn(arn, f"task/{short}", t), where) for t in params["tasks"]]
    names = params["services"] if call.operation == "DescribeServices" else [params["service"]]
    return [Request(action, _ecs_arn(arn, f"service/{short}", name), where) for name in names]


def _s3(call: Call, arn: str) -> list[Request]:
    # HeadObject is authorised as s3:GetObject; objects' ARNs have neither region nor account.
    action = "s3:GetObject" if call.operation == "HeadObject" else f"s3:{call.operation}"
    partition = arn.split(":")[1]
    return [Request(action, f"arn:{partition}:s3:::{call.params['Bucket']}/{call.params['Key']}")]


# (boto3 service name, operation) → its mapping.
_MAPPINGS: dict[tuple[str, str], Callable[[Call, str], list[Request]]] = {
    **{("ssm", op): _ssm for op in ("GetParametersByPath", "GetParameters", "GetParameter")},
    **{
        ("ecr", op): _ecr
        for op in (
            "GetAuthorizationToken",
            "DescribeImages",
            "BatchGetImage",
            "PutImage",
            "BatchCheckLayerAvailability",
        )
    },
    **{
        ("apprunner", op): _apprunner
        for op in ("DescribeService", "UpdateService", "ListOperations", "DescribeCustomDomains")
    },
    **{("secretsmanager", op): _secretsmanager for op in ("DescribeSecret", "GetSecretValue")},
    **{("logs", op): _logs for op in ("FilterLogEvents", "GetLogEvents")},
    **{
        ("ecs", op): _ecs
        for op in (
            "DescribeServices",
            "UpdateService",
            "DescribeTaskDefinition",
            "RegisterTaskDefinition",
            "ListTasks",
            "DescribeTasks",
        )
    },
    **{("s3", op): _s3 for op in ("PutObject", "GetObject", "DeleteObject", "HeadObject")},
}


def authorisations(call: Call, *, account: str, partition: str = "aws") -> list[Request]:
    """The IAM requests AWS authorises for ``call`` (every one must be allowed)."""
    mapping = _MAPPINGS.get((call.service, call.operation))
    if mapping is None:
        raise KeyError(
            f"no IAM mapping for {call.service}:{call.operation}: add it to devtools.aws_calls.authorisations"
        )
    return mapping(call, f"arn:{partition}:{call.service}:{call.region}:{account}")
