"""``deploy_ecs``: a new image on the ECS service, checked, and rolled back when it fails.

The ECS twin of :func:`constructs_lib.deploy.app.deploy_app`: the same lock, checks, messages. In order:
the image must be in ECR; the lock is taken; a deployment in progress is waited for when it deploys this
very image (an earlier, interrupted run), else refused. The base revision is the service's task
definition, or the family's newest ``ACTIVE`` one when Terraform registered it after a config change
(so that change rolls out now; the output says so). A service already running the image on that
revision is health-checked, and rolled back to the image last marked healthy when it fails. Otherwise:
the base's secrets must have values, the running image must still be in ECR (the rollback target), then
``RegisterTaskDefinition`` (the base, only the ``web`` image changed), ``UpdateService``, a wait for
*that* deployment to be ``COMPLETED`` with the service on that revision (``services-stable`` is also
reached after a circuit-breaker rollback: DESIGN decision 17), and the health check. A ``FAILED`` rollout
quotes the circuit breaker and the stopped tasks' reasons, and ECS's own rollback is waited for and
checked; otherwise (unhealthy, timed out) ``UpdateService`` puts the saved revision back, only while the
service still runs this run's. SIGINT/SIGTERM stop the tool, not ECS: the message names the deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs_lib.deploy import images
from constructs_lib.deploy.app import DeployRequest, environment_lock
from constructs_lib.deploy.checks import runtime_secret_problems
from constructs_lib.deploy.ecs_tasks import (
    container_secrets,
    differs_beyond_image,
    registration,
    revision_name,
    rollout_cause,
    web_image,
)
from constructs_lib.deploy.errors import BadInputError, DeployFailedError, DeployInterruptedError
from constructs_lib.deploy.health import check_health, health_url_for

__all__ = ["EcsClients", "EcsTarget", "deploy_ecs"]

COMPLETED, FAILED, IN_PROGRESS = "COMPLETED", "FAILED", "IN_PROGRESS"
GONE = "GONE"  # a deployment no longer listed: replaced by a newer one


@dataclass(frozen=True)
class EcsClients:
    """boto3 clients; ``s3`` (the lock), ``secretsmanager`` (the secrets check) and ``logs`` (the stopped
    tasks' last log lines) are skipped when ``None``."""

    ecr: Any
    ecs: Any
    s3: Any = None
    secretsmanager: Any = None
    logs: Any = None


@dataclass(frozen=True)
class EcsTarget:
    """The service's cluster and task definition family (the published ``CLUSTER_ARN``/``TASK_FAMILY``);
    :class:`DeployRequest`'s ``service_arn`` is the ECS service's ARN."""

    cluster_arn: str
    task_family: str


def _primary(service: dict[str, Any]) -> dict[str, Any]:
    return next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), {})


def _unfinished(service: dict[str, Any]) -> bool:
    state = _primary(service).get("rolloutState")  # a FAILED one without rollback has ended too
    return state == IN_PROGRESS if state else len(service.get("deployments", [])) > 1


class _EcsDeploy:
    def __init__(self, clients: EcsClients, request: DeployRequest, target: EcsTarget) -> None:
        self.clients, self.ecs, self.request, self.target = clients, clients.ecs, request, target
        self.say = request.say
        self.service_name = request.service_arn.rsplit("/", 1)[-1]
        self.in_flight: tuple[str, str] | None = None  # (deployment ID, task definition ARN)

    # -------------------------------------------------------------- ECS
    def describe(self) -> dict[str, Any]:
        found = self.ecs.describe_services(
            cluster=self.target.cluster_arn, services=[self.request.service_arn]
        )
        services = [s for s in found.get("services", []) if s.get("status") == "ACTIVE"]
        if not services:
            raise BadInputError(
                f"SERVICE_ARN {self.request.service_arn} names no active ECS service in CLUSTER_ARN "
                f"{self.target.cluster_arn}: is the stack deployed?"
            )
        service: dict[str, Any] = services[0]
        return service

    def task_definition(self, name: str) -> dict[str, Any]:
        """``DescribeTaskDefinition`` of an ARN, ``family:revision`` or a family (its newest ACTIVE)."""
        described: dict[str, Any] = self.ecs.describe_task_definition(taskDefinition=name, include=["TAGS"])
        return described

    def base(self, current: dict[str, Any]) -> dict[str, Any]:
        """The revision to copy: the service's, or the family's newest when Terraform registered a newer
        one with other settings (then this deploy rolls that change out)."""
        newest = self.task_definition(self.target.task_family)
        mine, theirs = current["taskDefinition"], newest["taskDefinition"]
        if mine["family"] == theirs["family"] and theirs["revision"] <= mine["revision"]:
            return current
        if mine["family"] == theirs["family"] and not differs_beyond_image(mine, theirs):
            return current  # an image-only revision (a failed deploy's): nothing new to roll out
        why = "registered after a config change" if mine["family"] == theirs["family"] else "TASK_FAMILY's"
        self.say(
            f"base: {revision_name(theirs['taskDefinitionArn'])}, newer than the service's "
            f"{revision_name(mine['taskDefinitionArn'])} ({why}): this deploy rolls its settings out too"
        )
        return newest

    def register(self, base: dict[str, Any], image: str) -> str:
        registered = self.ecs.register_task_definition(**registration(base, image))["taskDefinition"]
        arn = str(registered["taskDefinitionArn"])
        self.say(
            f"register: {revision_name(arn)} = {revision_name(base['taskDefinition']['taskDefinitionArn'])} "
            f"with image {image}"
        )
        return arn

    def update(self, task_definition_arn: str) -> str:
        service = self.ecs.update_service(
            cluster=self.target.cluster_arn,
            service=self.request.service_arn,
            taskDefinition=task_definition_arn,
        )["service"]
        deployment = str(_primary(service)["id"])
        self.in_flight = (deployment, task_definition_arn)
        return deployment

    def wait(self, deployment_id: str, *, deadline: float) -> dict[str, Any] | None:
        """The deployment once its rollout ended (``COMPLETED``, ``FAILED``, or ``GONE`` when a newer one
        replaced it), with the service as ``"service"``; ``None`` at the deadline."""
        request, started = self.request, self.request.clock()
        while True:
            service = self.describe()
            found = next((d for d in service.get("deployments", []) if d.get("id") == deployment_id), None)
            deployment = dict(found) if found else {"id": deployment_id, "rolloutState": GONE}
            state = deployment.get("rolloutState", IN_PROGRESS)
            elapsed = request.clock() - started
            tasks = f"{deployment.get('runningCount', 0)}/{deployment.get('desiredCount', 0)} tasks running"
            self.say(
                f"wait: deployment {deployment_id}: {state}, {tasks}, {deployment.get('failedTasks', 0)} "
                f"failed; service on {revision_name(service['taskDefinition'])} ({elapsed:.0f} s)"
            )
            if state != IN_PROGRESS:
                return {**deployment, "service": service}
            if not request.pause(deadline):
                return None

    # -------------------------------------------------------------- checks
    def check_secrets(self, task_definition: dict[str, Any]) -> None:
        if self.clients.secretsmanager is None:
            return
        problems = runtime_secret_problems(self.clients.secretsmanager, container_secrets(task_definition))
        if problems:
            raise DeployFailedError(
                "refused: ECS reads the task definition's secrets when it starts each task, and the new "
                f"tasks would fail to start: {'; '.join(problems)}. Nothing was changed"
            )

    def health(self) -> str | None:
        request = self.request
        url = request.health_url or health_url_for(str(request.app_url), request.health_path)
        return check_health(
            url,
            attempts=request.health_attempts,
            interval=request.poll_interval,
            say=self.say,
            sleep=request.sleep,
            probe=request.probe,
        )

    def mark_healthy(self, image: str) -> None:
        images.record_healthy(self.clients.ecr, image, self.request.now(), self.say)

    # -------------------------------------------------------------- the deploy
    def run(self) -> str:
        request = self.request
        service = self.describe()
        if _unfinished(service):
            service = self.join_unfinished(service)
        saved = service["taskDefinition"]
        current = self.task_definition(saved)
        running = web_image(current["taskDefinition"])
        base = self.base(current)
        if running == request.image and base is current:
            return self.verify_running(current)
        self.check_secrets(base["taskDefinition"])
        images.check_rollback_target(
            self.clients.ecr, running, allow_missing=request.allow_no_rollback, say=self.say
        )
        self.say(f"deploy: {running} -> {request.image} (service on {revision_name(saved)})")
        ours = self.register(base, request.image)
        deployment = self.update(ours)
        outcome = self.wait(deployment, deadline=request.clock() + request.timeout)
        if outcome is None:
            failure = (
                f"deployment {deployment} of {revision_name(ours)} did not finish within "
                f"{request.timeout:g} s (timeout)"
            )
        elif outcome["rolloutState"] != COMPLETED:
            failure = f"deployment {deployment} of {revision_name(ours)} ended {outcome['rolloutState']}"
            if outcome["rolloutState"] == FAILED:
                failure += rollout_cause(
                    self.ecs,
                    self.clients.logs,
                    deployment=outcome,
                    cluster=self.target.cluster_arn,
                    service_name=self.service_name,
                    task_definition=self.task_definition(ours)["taskDefinition"],
                )
        elif outcome.get("status") != "PRIMARY" or outcome["service"]["taskDefinition"] != ours:
            failure = (
                f"deployment {deployment} COMPLETED but the service runs "
                f"{revision_name(outcome['service']['taskDefinition'])}, not {revision_name(ours)}"
            )
        else:
            self.in_flight = None
            problem = self.health()
            if problem is None:
                self.mark_healthy(request.image)
                return self.say_done(
                    f"deployed: the service runs {request.image} ({revision_name(ours)}) and it is healthy"
                )
            failure = f"health check {problem}"
        self.say(f"failed: {failure}; rolling back to {revision_name(saved)} ({running})")
        raise DeployFailedError(f"deploy of {request.image} failed: {failure}; {self.roll_back(saved, ours)}")

    def say_done(self, message: str) -> str:
        self.say(message)
        return message

    def join_unfinished(self, service: dict[str, Any]) -> dict[str, Any]:
        """A deployment is in progress: wait for it when it deploys this very image (an earlier run of
        this deploy, interrupted), else refuse."""
        primary = _primary(service)
        arn = str(primary.get("taskDefinition", service["taskDefinition"]))
        label = f"deployment {primary.get('id', '?')} of {revision_name(arn)}"
        if web_image(self.task_definition(arn)["taskDefinition"]) != self.request.image:
            raise DeployFailedError(
                f"refused: {label} is in progress on the service; deploys must not interleave: run this "
                "again when it has finished"
            )
        self.say(f"wait: {label} already deploys {self.request.image} (an earlier run?)")
        self.in_flight = (str(primary["id"]), arn)
        if self.wait(str(primary["id"]), deadline=self.request.clock() + self.request.timeout) is None:
            raise DeployFailedError(
                f"{label} did not finish within {self.request.timeout:g} s; nothing was changed: run this "
                "again once it has ended"
            )
        self.in_flight = None
        settled = self.describe()
        if _unfinished(settled):  # its circuit breaker rolls back: ECS is busy again
            raise DeployFailedError(
                f"refused: after {label} another deployment is in progress on the service; run this "
                "again when it has finished"
            )
        return settled

    def verify_running(self, current: dict[str, Any]) -> str:
        """The service already runs the image: check it all the same, and roll back when it fails."""
        image, arn = self.request.image, current["taskDefinition"]["taskDefinitionArn"]
        self.say(f"check: the service already runs {image} ({revision_name(arn)}); checking its health")
        problem = self.health()
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
        restore = self.register(current, target)
        raise DeployFailedError(f"deploy of {image} failed: {failure}; {self.restore(restore, target)}")

    def roll_back(self, saved: str, ours: str) -> str:
        """Put revision ``saved`` back, only while the service still runs ``ours``; returns what happened,
        for the final message (never raises for a refused rollback)."""
        service = self.describe()
        primary = _primary(service)
        previous = web_image(self.task_definition(saved)["taskDefinition"])
        if primary.get("taskDefinition") == saved:  # the circuit breaker rolls back by itself
            return self.restored(str(primary["id"]), saved, previous, by="ECS's deployment circuit breaker")
        if primary.get("taskDefinition") != ours:
            return (
                f"NOT rolled back: the service now runs {revision_name(str(primary.get('taskDefinition')))}, "
                f"not {revision_name(ours)}, which this run deployed (a newer deploy?): left as it is"
            )
        if not images.image_exists(self.clients.ecr, previous):
            return f"NOT rolled back: {previous} is no longer in ECR; deploy a known-good tag by hand"
        target = self.task_definition(saved)
        if target["taskDefinition"].get("status") == "INACTIVE":
            # ECS refuses UpdateService to an INACTIVE revision (Terraform deregisters the one it
            # replaces): the same settings, registered again.
            saved = self.register(target, previous)
        return self.restore(saved, previous)

    def restore(self, task_definition_arn: str, image: str) -> str:
        """``UpdateService`` to ``task_definition_arn`` (running ``image``), wait, check its health."""
        try:
            deployment = self.update(task_definition_arn)
        except Exception as refused:
            name = revision_name(task_definition_arn)
            return f"NOT rolled back: ECS refused the rollback to {name} ({refused})"
        return self.restored(deployment, task_definition_arn, image, by="")

    def restored(self, deployment: str, task_definition_arn: str, image: str, *, by: str) -> str:
        what = f"{image} ({revision_name(task_definition_arn)})"
        outcome = self.wait(deployment, deadline=self.request.clock() + self.request.timeout)
        if outcome is None or outcome["rolloutState"] != COMPLETED:
            ended = "did not finish in time" if outcome is None else f"ended {outcome['rolloutState']}"
            return f"the rollback to {what} FAILED too (deployment {deployment} {ended}): check the service"
        self.in_flight = None
        problem = self.health()
        done = f"rolled back by {by} to {what}" if by else f"rolled back to {what}"
        return (
            f"{done}, which is healthy" if problem is None else f"{done}, but its health check {problem} too"
        )

    def interrupted(self, signal_name: str) -> DeployInterruptedError:
        if self.in_flight is None:
            return DeployInterruptedError(
                f"interrupted ({signal_name}): no ECS deployment of this run is in flight; run the same "
                "deploy again"
            )
        deployment, arn = self.in_flight
        return DeployInterruptedError(
            f"interrupted ({signal_name}): ECS deployment {deployment} of {revision_name(arn)} goes on; it "
            f"is not cancelled. Follow it: aws ecs describe-services --cluster {self.target.cluster_arn} "
            f"--services {self.request.service_arn} --query 'services[0].deployments'. Run the same deploy "
            "again: it waits for that deployment, checks the service's health and rolls back when it fails"
        )


def deploy_ecs(clients: EcsClients, request: DeployRequest, target: EcsTarget) -> str:
    """Deploy ``request.image`` to the ECS service ``request.service_arn``; returns the success message.

    Raises as :func:`constructs_lib.deploy.app.deploy_app` does: :class:`BadInputError` (nothing
    changed), :class:`DeployFailedError` (refused, or failed: the message says why, in ECS's words, and
    whether the rollback worked) or :class:`DeployInterruptedError` (what is still in flight).
    """
    if not request.health_url and not request.app_url:
        raise BadInputError("no URL to check the service's health at: publish APP_URL or pass --health-url")
    if not images.image_exists(clients.ecr, request.image):
        raise BadInputError(
            f"image {request.image} is not in ECR: build and push it first; nothing was changed"
        )
    deploy = _EcsDeploy(clients, request, target)
    try:
        with environment_lock(clients.s3, request):
            return deploy.run()
    except KeyboardInterrupt as stop:
        raise deploy.interrupted(str(stop) or "SIGINT") from None
