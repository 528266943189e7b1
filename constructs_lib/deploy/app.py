"""``deploy_app``: a new image on the App Runner service, checked, and rolled back when it fails.

Order: the image must be in ECR; a service already running that image is a no-op; otherwise
``UpdateService`` with the service's whole current ``SourceConfiguration`` and only
``ImageIdentifier`` changed, a wait for that operation (one progress line per poll, up to a timeout),
then the app's health check. Any failure rolls the service back to the image it ran before.

Two deploys at once never interleave: App Runner refuses ``UpdateService`` while an operation is in
progress, and so the second run refuses too, naming the operation it found (run it again afterwards).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from constructs_lib.deploy.errors import BadInputError, DeployFailedError
from constructs_lib.deploy.health import check_health

__all__ = ["Clients", "DeployRequest", "deploy_app"]

RUNNING = "RUNNING"
IN_PROGRESS = "OPERATION_IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"


@dataclass(frozen=True)
class Clients:
    """boto3 clients (``ecr``, ``apprunner``); any object with the same methods works in tests."""

    ecr: Any
    apprunner: Any


@dataclass(frozen=True)
class DeployRequest:
    """What to deploy where, and how long to wait."""

    repository_url: str
    service_arn: str
    tag: str
    health_url: str
    timeout: float = 600.0
    poll_interval: float = 5.0
    health_attempts: int = 3
    say: Callable[[str], None] = print
    clock: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], None] = field(default=time.sleep)

    @property
    def image(self) -> str:
        """``<repository_url>:<tag>``, the ``ImageIdentifier`` to run."""
        return f"{self.repository_url}:{self.tag}"


def _code(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def _check_image(ecr: Any, request: DeployRequest) -> None:
    _, _, repository = request.repository_url.partition("/")
    if not repository:
        raise BadInputError(
            f"ECR_REPOSITORY_URL {request.repository_url!r} has no repository name after the host"
        )
    try:
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": request.tag}])
    except Exception as error:
        if _code(error) in ("ImageNotFoundException", "RepositoryNotFoundException"):
            raise BadInputError(
                f"image {request.image} is not in ECR ({_code(error)}): build and push it first;"
                " nothing was changed"
            ) from error
        raise


def _image_of(service: dict[str, Any]) -> str:
    return str(service["SourceConfiguration"]["ImageRepository"]["ImageIdentifier"])


class _Deploy:
    def __init__(self, clients: Clients, request: DeployRequest) -> None:
        self.apprunner = clients.apprunner
        self.request = request
        self.say = request.say

    def describe(self) -> dict[str, Any]:
        try:
            service: dict[str, Any] = self.apprunner.describe_service(ServiceArn=self.request.service_arn)[
                "Service"
            ]
        except Exception as error:
            if _code(error) == "ResourceNotFoundException":
                raise BadInputError(
                    f"SERVICE_ARN {self.request.service_arn} names no App Runner service:"
                    " is the stack deployed?"
                ) from error
            raise
        return service

    def busy(self, why: str) -> DeployFailedError:
        ops = self.apprunner.list_operations(ServiceArn=self.request.service_arn, MaxResults=1)
        listed = ops.get("OperationSummaryList", [])
        what = f"{listed[0]['Type']} {listed[0]['Id']}" if listed else "an operation"
        return DeployFailedError(
            f"refused: {what} is in progress on the service ({why}); App Runner accepts no UpdateService"
            " until it ends and deploys must not interleave: run this again when it has finished"
        )

    def update(self, service: dict[str, Any], image: str) -> str:
        source = copy.deepcopy(service["SourceConfiguration"])
        source["ImageRepository"]["ImageIdentifier"] = image
        try:
            response = self.apprunner.update_service(
                ServiceArn=self.request.service_arn, SourceConfiguration=source
            )
        except Exception as error:
            if _code(error) == "InvalidStateException":
                raise self.busy("UpdateService was refused: InvalidStateException") from error
            raise
        return str(response["OperationId"])

    def wait(self, operation_id: str, *, deadline: float) -> tuple[str, str] | None:
        """(operation status, service status) once the operation ends; ``None`` at the deadline."""
        request, started = self.request, self.request.clock()
        while True:
            ops = self.apprunner.list_operations(ServiceArn=request.service_arn)["OperationSummaryList"]
            op_status = next((op["Status"] for op in ops if op["Id"] == operation_id), "UNKNOWN")
            service_status = self.describe()["Status"]
            elapsed = request.clock() - started
            self.say(
                f"wait: operation {operation_id}: {op_status}, service {service_status} ({elapsed:.0f} s)"
            )
            if op_status not in ("PENDING", "IN_PROGRESS") and service_status != IN_PROGRESS:
                return op_status, service_status
            if request.clock() >= deadline:
                return None
            request.sleep(min(request.poll_interval, max(deadline - request.clock(), 0.0)))

    def run(self) -> str:
        request = self.request
        service = self.describe()
        current, status = _image_of(service), service["Status"]
        if status == IN_PROGRESS:
            raise self.busy(f"service status {IN_PROGRESS}")
        if current == request.image and status == RUNNING:
            message = f"no-op: the service already runs {request.image} and is {RUNNING}"
            self.say(message)
            return message
        if status != RUNNING:
            raise DeployFailedError(f"refused: the service is {status}, not {RUNNING}; nothing was changed")
        self.say(f"deploy: {current} -> {request.image}")
        operation = self.update(service, request.image)
        outcome = self.wait(operation, deadline=request.clock() + request.timeout)
        if outcome is None:
            failure = f"operation {operation} did not finish within {request.timeout:g} s (timeout)"
        elif outcome != (SUCCEEDED, RUNNING):
            failure = f"operation {operation} ended {outcome[0]} with the service {outcome[1]}"
        else:
            problem = check_health(
                request.health_url,
                attempts=request.health_attempts,
                interval=request.poll_interval,
                say=self.say,
                sleep=request.sleep,
            )
            if problem is None:
                message = f"deployed: the service runs {request.image} and {request.health_url} is healthy"
                self.say(message)
                return message
            failure = f"health check GET {request.health_url} failed: {problem}"
        self.say(f"failed: {failure}; rolling back to {current}")
        raise DeployFailedError(f"deploy of {request.image} failed: {failure}; {self.roll_back(current)}")

    def roll_back(self, previous: str) -> str:
        """Put ``previous`` back; returns what happened, for the final message."""
        deadline = self.request.clock() + self.request.timeout
        service = self.describe()
        while service["Status"] == IN_PROGRESS and self.request.clock() < deadline:
            # A timed-out operation is still running: App Runner accepts the rollback only after it.
            self.request.sleep(self.request.poll_interval)
            service = self.describe()
        if service["Status"] == IN_PROGRESS:
            return f"NOT rolled back: the service is still {IN_PROGRESS}; roll back to {previous} by hand"
        if _image_of(service) == previous and service["Status"] == RUNNING:
            return f"rolled back: App Runner kept {previous} running (its own rollback)"
        operation = self.update(service, previous)
        outcome = self.wait(operation, deadline=self.request.clock() + self.request.timeout)
        if outcome == (SUCCEEDED, RUNNING):
            return f"rolled back to {previous}"
        ended = "did not finish in time" if outcome is None else f"ended {outcome[0]} / service {outcome[1]}"
        return f"the rollback to {previous} FAILED too (operation {operation} {ended}): check the service"


def deploy_app(clients: Clients, request: DeployRequest) -> str:
    """Deploy ``request.image`` to the service; returns the success (or no-op) message.

    Raises :class:`BadInputError` (nothing changed: missing image or service) or :class:`DeployFailedError`
    (refused because another operation is in progress, or failed and rolled back; the message says
    what failed and whether the rollback worked).
    """
    _check_image(clients.ecr, request)
    return _Deploy(clients, request).run()
