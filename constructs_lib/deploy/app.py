"""``deploy_app``: a new image on the App Runner service, checked, and rolled back when it fails.

A deploy reports only what it checked. In order:

1. the image must be in ECR, and every secret the service reads must have a value (the preflight's
   check: App Runner would roll the deployment back otherwise); nothing changes when not;
2. the environment's lock is taken: Terraform's own S3 lock file (:mod:`.lock`), so an infra apply and an
   app deploy never overlap, from any repository;
3. a service already running the image is still health-checked (a cancelled and re-run job must not
   pass unchecked), and rolled back to the image last marked healthy when it fails; an operation an
   earlier (interrupted) run left deploying this image is waited for first;
4. otherwise: the image the service runs must still be in ECR (the rollback target), then
   ``UpdateService`` with the service's whole current ``SourceConfiguration``, only ``ImageIdentifier``
   changed, a wait for that operation (a line per poll, up to a timeout), the service's own URL's health
   check (and the custom domain's once App Runner says it is ``active``); a healthy image is marked
   (:mod:`.images`);
5. any failure names App Runner's cause when its event log has one (:mod:`.events`) and rolls back to
   the image this run replaced, only while the service still runs the image this run deployed.

SIGINT/SIGTERM (Ctrl-C, a cancelled CI job) stop the tool, not App Runner: :class:`DeployInterruptedError`
says which operation goes on and what to run; the lock is given back.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from constructs_lib.deploy import images
from constructs_lib.deploy.checks import client_error_code, runtime_secret_problems
from constructs_lib.deploy.errors import BadInputError, DeployFailedError, DeployInterruptedError
from constructs_lib.deploy.events import failure_events, service_log_group
from constructs_lib.deploy.health import DEFAULT_HEALTH_PATH, Probe, check_health, health_urls, probe
from constructs_lib.deploy.lock import StateLock

__all__ = ["Clients", "DeployRequest", "deploy_app"]

RUNNING = "RUNNING"
IN_PROGRESS = "OPERATION_IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
_UNFINISHED = ("PENDING", "IN_PROGRESS", "ROLLBACK_IN_PROGRESS")


@dataclass(frozen=True)
class Clients:
    """boto3 clients; any object with the same methods works in tests. ``s3`` (the lock),
    ``secretsmanager`` (the secrets check) and ``logs`` (failure causes) are skipped when ``None``."""

    ecr: Any
    apprunner: Any
    s3: Any = None
    secretsmanager: Any = None
    logs: Any = None


@dataclass(frozen=True)
class DeployRequest:
    """What to deploy where, how to check it, and how long to wait."""

    repository_url: str
    service_arn: str
    tag: str
    health_url: str | None = None
    """Probe this URL only; default: the service's own URL, and ``app_url`` once its domain is active."""
    app_url: str | None = None
    health_path: str = DEFAULT_HEALTH_PATH
    lock_url: str | None = None
    """``s3://<bucket>/<state key>.tflock`` (the published ``STATE_LOCK``); ``None``: no lock."""
    lock_timeout: float = 300.0
    lock_owner: str = "cora-infra"
    lock_info: str = ""
    allow_no_rollback: bool = False
    """Deploy even when the image the service runs is gone from ECR (no rollback possible)."""
    timeout: float = 600.0
    poll_interval: float = 5.0
    health_attempts: int = 3
    say: Callable[[str], None] = print
    clock: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], None] = field(default=time.sleep)
    probe: Probe = field(default=probe)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def pause(self, deadline: float) -> bool:
        """Wait one poll interval (never past ``deadline``); ``False`` at once when it has passed."""
        if self.clock() >= deadline:
            return False
        self.sleep(min(self.poll_interval, max(deadline - self.clock(), 0.0)))
        return True

    @property
    def image(self) -> str:
        """``<repository_url>:<tag>``, the ``ImageIdentifier`` to run."""
        return f"{self.repository_url}:{self.tag}"


def _image_of(service: dict[str, Any]) -> str:
    return str(service["SourceConfiguration"]["ImageRepository"]["ImageIdentifier"])


def _runtime_secrets(service: dict[str, Any]) -> dict[str, str]:
    configuration = service["SourceConfiguration"]["ImageRepository"].get("ImageConfiguration", {})
    return dict(configuration.get("RuntimeEnvironmentSecrets") or {})


class _Deploy:
    def __init__(self, clients: Clients, request: DeployRequest) -> None:
        self.clients = clients
        self.apprunner = clients.apprunner
        self.request = request
        self.say = request.say
        self.in_flight: str | None = None  # the operation this run started or waits for

    # -------------------------------------------------------------- App Runner
    def describe(self) -> dict[str, Any]:
        try:
            service: dict[str, Any] = self.apprunner.describe_service(ServiceArn=self.request.service_arn)[
                "Service"
            ]
        except Exception as error:
            if client_error_code(error) == "ResourceNotFoundException":
                raise BadInputError(
                    f"SERVICE_ARN {self.request.service_arn} names no App Runner service:"
                    " is the stack deployed?"
                ) from error
            raise
        return service

    def latest_operation(self) -> dict[str, Any] | None:
        ops = self.apprunner.list_operations(ServiceArn=self.request.service_arn, MaxResults=1)
        listed: list[dict[str, Any]] = ops.get("OperationSummaryList", [])
        return listed[0] if listed else None

    def busy(self, why: str) -> DeployFailedError:
        op = self.latest_operation()
        what = f"{op['Type']} {op['Id']}" if op else "an operation"
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
            if client_error_code(error) == "InvalidStateException":
                raise self.busy("UpdateService was refused: InvalidStateException") from error
            raise
        self.in_flight = str(response["OperationId"])
        return self.in_flight

    def wait(self, operation_id: str, *, deadline: float) -> tuple[str, str] | None:
        """(operation status, service status) once the operation ends; ``None`` at the deadline. An
        operation not listed yet is not finished."""
        request, started = self.request, self.request.clock()
        while True:
            ops = self.apprunner.list_operations(ServiceArn=request.service_arn)["OperationSummaryList"]
            op_status = next((op["Status"] for op in ops if op["Id"] == operation_id), "NOT_LISTED_YET")
            service_status = self.describe()["Status"]
            elapsed = request.clock() - started
            self.say(
                f"wait: operation {operation_id}: {op_status}, service {service_status} ({elapsed:.0f} s)"
            )
            finished = op_status not in (*_UNFINISHED, "NOT_LISTED_YET")
            if finished and service_status != IN_PROGRESS:
                return op_status, service_status
            if not request.pause(deadline):
                return None

    # -------------------------------------------------------------- checks
    def check_secrets(self, service: dict[str, Any]) -> None:
        """The preflight's secret check, on the secrets the service reads: refuse before deploying."""
        if self.clients.secretsmanager is None:
            return
        problems = runtime_secret_problems(self.clients.secretsmanager, _runtime_secrets(service))
        if problems:
            raise DeployFailedError(
                "refused: App Runner reads the service's secrets when it deploys, and would roll the "
                f"deployment back: {'; '.join(problems)}. Nothing was changed"
            )

    def health(self, service: dict[str, Any]) -> str | None:
        request = self.request
        urls = (
            [request.health_url]
            if request.health_url
            else health_urls(
                self.apprunner, service, app_url=request.app_url, path=request.health_path, say=self.say
            )
        )
        return check_health(
            urls,
            attempts=request.health_attempts,
            interval=request.poll_interval,
            say=self.say,
            sleep=request.sleep,
            probe=request.probe,
        )

    def mark_healthy(self, image: str) -> None:
        images.record_healthy(self.clients.ecr, image, self.request.now(), self.say)

    def cause(self, service: dict[str, Any], operation_id: str) -> str:
        """App Runner's own words for why ``operation_id`` failed, or where to look."""
        ops = self.apprunner.list_operations(ServiceArn=self.request.service_arn)["OperationSummaryList"]
        started = next((op.get("StartedAt") for op in ops if op["Id"] == operation_id), None)
        lines = failure_events(self.clients.logs, service, started or 0) if started is not None else []
        if lines:
            return f"; App Runner says: {' | '.join(lines)}"
        return f"; App Runner logged no cause (its event log: {service_log_group(service)}, stream events)"

    # -------------------------------------------------------------- the deploy
    def run(self) -> str:
        request = self.request
        service = self.describe()
        if service["Status"] == IN_PROGRESS:
            service = self.join_unfinished(service)
        current, status = _image_of(service), service["Status"]
        if current == request.image and status == RUNNING:
            return self.verify_running(service)
        if status != RUNNING:
            raise DeployFailedError(f"refused: the service is {status}, not {RUNNING}; nothing was changed")
        images.check_rollback_target(
            self.clients.ecr, current, allow_missing=request.allow_no_rollback, say=self.say
        )
        self.say(f"deploy: {current} -> {request.image}")
        operation = self.update(service, request.image)
        outcome = self.wait(operation, deadline=request.clock() + request.timeout)
        if outcome is None:
            failure = f"operation {operation} did not finish within {request.timeout:g} s (timeout)"
        elif outcome != (SUCCEEDED, RUNNING):
            failure = f"operation {operation} ended {outcome[0]} with the service {outcome[1]}"
            failure += self.cause(self.describe(), operation)
        else:
            self.in_flight = None
            problem = self.health(self.describe())
            if problem is None:
                self.mark_healthy(request.image)
                return self.say_done(f"deployed: the service runs {request.image} and it is healthy")
            failure = f"health check {problem}"
        self.say(f"failed: {failure}; rolling back to {current}")
        raise DeployFailedError(f"deploy of {request.image} failed: {failure}; {self.roll_back(current)}")

    def say_done(self, message: str) -> str:
        self.say(message)
        return message

    def join_unfinished(self, service: dict[str, Any]) -> dict[str, Any]:
        """An operation is in progress: wait for it when it deploys this very image (an earlier run of
        this deploy, interrupted), else refuse."""
        op = self.latest_operation()
        if op is None or op["Status"] not in _UNFINISHED or _image_of(service) != self.request.image:
            raise self.busy(f"service status {IN_PROGRESS}")
        self.say(f"wait: {op['Type']} {op['Id']} already deploys {self.request.image} (an earlier run?)")
        self.in_flight = str(op["Id"])
        if self.wait(self.in_flight, deadline=self.request.clock() + self.request.timeout) is None:
            raise DeployFailedError(
                f"operation {op['Id']} did not finish within {self.request.timeout:g} s; nothing was "
                "changed: run this again once it has ended"
            )
        self.in_flight = None
        return self.describe()

    def verify_running(self, service: dict[str, Any]) -> str:
        """The service already runs the image: check it all the same, and roll back when it fails."""
        image = self.request.image
        self.say(f"check: the service already runs {image} ({RUNNING}); checking its health")
        problem = self.health(service)
        if problem is None:
            self.mark_healthy(image)
            return self.say_done(f"deployed: the service already ran {image} and it is healthy")
        failure = f"the service runs {image} but its health check {problem}"
        target = images.last_healthy(self.clients.ecr, self.request.repository_url, excluding=image)
        if target is None:
            raise DeployFailedError(
                f"deploy of {image} failed: {failure}; NOT rolled back: no other image of "
                f"{self.request.repository_url} is marked as having run healthy "
                f"({images.HEALTHY_TAG_PREFIX}* tags), so there is nothing known-good to roll back to: "
                "fix the image and deploy again"
            )
        self.say(f"failed: {failure}; rolling back to {target}, the image that last ran healthy")
        raise DeployFailedError(f"deploy of {image} failed: {failure}; {self.roll_back(target)}")

    def _settled(self) -> dict[str, Any]:
        """The service once no operation runs (a timed-out one may still), or at the timeout."""
        deadline = self.request.clock() + self.request.timeout
        service = self.describe()
        while service["Status"] == IN_PROGRESS and self.request.clock() < deadline:
            # App Runner accepts the rollback only after the running operation.
            self.request.sleep(self.request.poll_interval)
            service = self.describe()
        return service

    def _no_rollback(self, service: dict[str, Any], previous: str) -> str | None:
        """Why the service must not (or need not) be rolled back to ``previous``; ``None``: go ahead."""
        if service["Status"] == IN_PROGRESS:
            return f"NOT rolled back: the service is still {IN_PROGRESS}; roll back to {previous} by hand"
        running = _image_of(service)
        if running == previous and service["Status"] == RUNNING:
            return f"rolled back: App Runner kept {previous} running (its own rollback)"
        if running != self.request.image:
            return (
                f"NOT rolled back: the service now runs {running}, not {self.request.image}, which this "
                "run deployed (a newer deploy?): left as it is"
            )
        if not images.image_exists(self.clients.ecr, previous):
            return f"NOT rolled back: {previous} is no longer in ECR; deploy a known-good tag by hand"
        return None

    def roll_back(self, previous: str) -> str:
        """Put ``previous`` back, only while the service still runs this run's image; returns what
        happened, for the final message (never raises for a refused rollback)."""
        request = self.request
        service = self._settled()
        refusal = self._no_rollback(service, previous)
        if refusal is not None:
            return refusal
        self.in_flight = None
        try:
            operation = self.update(service, previous)
        except Exception as refused:  # InvalidStateException and the like: keep the first failure
            return f"NOT rolled back: App Runner refused the rollback to {previous} ({refused})"
        outcome = self.wait(operation, deadline=request.clock() + request.timeout)
        if outcome != (SUCCEEDED, RUNNING):
            ended = (
                "did not finish in time" if outcome is None else f"ended {outcome[0]} / service {outcome[1]}"
            )
            return f"the rollback to {previous} FAILED too (operation {operation} {ended}): check the service"
        self.in_flight = None
        problem = self.health(self.describe())
        if problem is None:
            return f"rolled back to {previous}, which is healthy"
        return f"rolled back to {previous}, but its health check {problem} too: check the service"

    def interrupted(self, signal_name: str) -> DeployInterruptedError:
        arn = self.request.service_arn
        if self.in_flight is None:
            return DeployInterruptedError(
                f"interrupted ({signal_name}): no App Runner operation of this run is in flight; run the "
                "same deploy again"
            )
        return DeployInterruptedError(
            f"interrupted ({signal_name}): App Runner operation {self.in_flight} goes on; it is not "
            f"cancelled. Follow it: aws apprunner list-operations --service-arn {arn} --max-results 1. "
            "Run the same deploy again: it waits for that operation, checks the service's health and "
            "rolls back when it fails"
        )


def environment_lock(s3: Any, request: DeployRequest) -> AbstractContextManager[object]:
    """The environment's lock (Terraform's state lock file) for the deploy, or none without a lock URL."""
    if request.lock_url is None or s3 is None:
        return nullcontext()
    return StateLock(
        s3,
        request.lock_url,
        operation="cora-infra deploy-app",
        who=request.lock_owner,
        info=request.lock_info or f"deploy {request.image}",
        timeout=request.lock_timeout,
        poll_interval=request.poll_interval,
        say=request.say,
        clock=request.clock,
        sleep=request.sleep,
        now=request.now,
    )


def deploy_app(clients: Clients, request: DeployRequest) -> str:
    """Deploy ``request.image`` to the service; returns the success message.

    Raises :class:`BadInputError` (nothing changed: a missing image or service, a rollback target gone),
    :class:`DeployFailedError` (refused: locked, an operation in progress, a secret without value; or
    failed and rolled back: the message says what failed, App Runner's cause, and whether the rollback
    worked) or :class:`DeployInterruptedError` (SIGINT/SIGTERM: what is still in flight).
    """
    if not images.image_exists(clients.ecr, request.image):
        raise BadInputError(
            f"image {request.image} is not in ECR: build and push it first; nothing was changed"
        )
    deploy = _Deploy(clients, request)
    try:
        deploy.check_secrets(deploy.describe())
        with environment_lock(clients.s3, request):
            return deploy.run()
    except KeyboardInterrupt as stop:
        raise deploy.interrupted(str(stop) or "SIGINT") from None
