"""``cora-infra preflight <env>``: check, before a Terraform deploy, that AWS will accept what it is about
to create, and fail in seconds instead of after minutes.

App Runner fails a service only after minutes, and with misleading errors, when what it needs at
creation is not there: the image in ECR, the secrets' values (it reads ``runtime_environment_secrets``
when it deploys; a secret with no ``AWSCURRENT`` version fails the service), and roles that IAM has
propagated. Secrets Manager tests a new rotation at once, so a rotation created on an empty secret
fails too. The repository, the secrets and the roles come from the same stack, so the first deploy of
an environment has phases, and this check says which step is next. With a ``[domain]`` it also checks
that the public hosted zone exists in the account and that public DNS delegates it to that zone (a
certificate validation otherwise waits until the deploy times out):

    cora-infra preflight dev     # exit 0: go ahead with `make deploy ENV=dev`

1. ``CORA_SKIP_SERVICE=1 make deploy ENV=dev``: everything but the App Runner service and secret
   rotation (ECR, the secrets, still empty, the service's roles);
2. set every secret's value (``aws secretsmanager put-secret-value``) and push the image
   ``<repository_url>:<tag>`` (the deploy-app workflow does it);
3. ``make deploy ENV=dev``: creates the service (and the rotation) once the check passes.

On ECS (``[app] compute = "ecs"``) the same phases hold: the first creates the VPC, the load balancer
(and, with a ``[domain]``, its certificate, which must be issued before the second), the cluster and
the task roles; the second the ECS service (:mod:`constructs_lib.deploy.preflight_ecs`).

Once the service exists, a new image is a deploy, not a Terraform change (``cora-infra deploy-app``).
The secrets are still checked on every deploy: one added to the config would fail the next deployment.
The tag is ``CORA_IMAGE_TAG`` or the config's ``app.image_tag``; ``CORA_SKIP_SERVICE=1`` checks the
first phase instead. The config is read from ``config/<env>.toml`` (``--config-dir``); AWS access comes
from the usual environment (profile, role, or ``AWS_ENDPOINT_URL*`` for the local emulators).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_lib.compute.app_runner_service import role_names
from constructs_lib.compute.fargate_task import fargate_role_names
from constructs_lib.compute.web_service import Compute
from constructs_lib.deploy.checks import (
    NameServerLookup,
    client_error_code,
    delegation_problem,
    public_name_servers,
    secret_problem,
    zone_problem,
)
from constructs_lib.deploy.preflight_ecs import certificate_problem, ecs_service_exists
from constructs_lib.stacks import EnvConfig, load_config

__all__ = ["ROLE_SETTLE_SECONDS", "Verdict", "check"]

# IAM is eventually consistent: a role is usable by App Runner some seconds after it is created.
ROLE_SETTLE_SECONDS = 10.0


@dataclass(frozen=True)
class Verdict:
    """The outcome of the check: ``ok`` and, when not, what is missing and what to run."""

    ok: bool
    message: str


def _deploy_call(on_ecs: bool) -> str:
    return "a new task definition revision, ECS UpdateService" if on_ecs else "App Runner update-service"


def deploy_command(environment: str) -> str:
    """The command that deploys ``environment`` (the Makefile runs this check first)."""
    return f"make deploy ENV={environment}"


def _service_exists(apprunner: Any, name: str) -> bool:
    """ListServices has no paginator in botocore: follow NextToken by hand."""
    token: str | None = None
    while True:
        page = apprunner.list_services(**({"NextToken": token} if token else {}))
        if any(s["ServiceName"] == name and s.get("Status") != "DELETED" for s in page["ServiceSummaryList"]):
            return True
        token = page.get("NextToken")
        if not token:
            return False


def _role_created(iam: Any, name: str) -> float | None:
    """When role ``name`` was created (epoch seconds), or ``None`` when it does not exist."""
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except Exception as error:
        if client_error_code(error) == "NoSuchEntity":
            return None
        raise
    return float(role["CreateDate"].timestamp())


def _put_commands(config: EnvConfig, names: list[str]) -> str:
    return "\n".join(
        f"       aws secretsmanager put-secret-value --region {config.region} --secret-id {name} "
        f"--secret-string file://{name.rsplit('/', 1)[-1]}.txt"
        for name in names
    )


def _first_phase(environment: str, service_name: str, *, exists: bool) -> Verdict:
    if exists:
        return Verdict(
            False,
            f"CORA_SKIP_SERVICE=1 would DESTROY the running service {service_name}: the first phase "
            f"is only for a new environment. Deploy {environment} without it.",
        )
    return Verdict(
        True,
        f"first phase of {environment}: ECR, the secrets (empty) and the service's roles; no service "
        "and no rotation yet. Then set every secret's value, push the image and check again.",
    )


def _domain_problem(config: EnvConfig, client: Callable[[str], Any], lookup: NameServerLookup) -> str | None:
    """The hosted zone of ``[domain]``: in this account, and delegated to it (not on emulators, whose
    zones are not in public DNS)."""
    domain = config.domain
    if domain is None:
        return None
    route53 = client("route53")
    problem = zone_problem(route53, domain.zone, domain.zone_id)
    if problem is None and config.emulator is None:
        problem = delegation_problem(route53, domain.zone, domain.zone_id, lookup)
    return problem


def check(
    environment: str,
    *,
    config_dir: Path = Path("config"),
    image_tag: str | None = None,
    region: str | None = None,
    skip_service: bool = False,
    role_settle_seconds: float = ROLE_SETTLE_SECONDS,
    name_servers: NameServerLookup = public_name_servers,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Verdict:
    """Whether deploying ``environment`` now can succeed on AWS.

    ``skip_service`` checks the first phase (``CORA_SKIP_SERVICE=1``). When the service's roles are
    younger than ``role_settle_seconds``, the check waits until they are that old (IAM propagation).
    ``name_servers`` answers public DNS's ``NS`` records of the ``[domain]`` zone.
    """
    import boto3  # noqa: PLC0415 - lazily: boto3 comes with the "deploy" extra

    overrides = {"app.image_tag": image_tag} if image_tag else {}
    config = load_config(environment, config_dir, overrides=overrides)
    region = region or config.region
    service_name = repository = config.name("web")
    tag = config.app.image_tag
    image = f"{repository}:{tag}"
    secrets = list(config.secret_names)
    on_ecs = config.app.compute is Compute.ECS
    backend = "ECS" if on_ecs else "App Runner"
    roles = list(fargate_role_names(service_name) if on_ecs else role_names(service_name))
    deploy = deploy_command(environment)

    def client(service: str) -> Any:
        return boto3.client(service, region_name=region)

    # Both phases: the API's domain comes with phase 1, the app's with the service.
    problem = _domain_problem(config, client, name_servers)
    if problem:
        return Verdict(False, f"{environment}: {problem}")
    if on_ecs:
        exists = ecs_service_exists(client("ecs"), cluster=service_name, service=service_name)
    else:
        exists = _service_exists(client("apprunner"), service_name)
    if skip_service:
        return _first_phase(environment, service_name, exists=exists)

    sm = client("secretsmanager")
    problems = {name: p for name in secrets if (p := secret_problem(sm, name))}
    empty = [name for name, p in problems.items() if p == "has no value"]
    other = [
        f"secret {name} {p}" for name, p in problems.items() if p not in {"has no value", "does not exist"}
    ]
    missing_secrets = [name for name, p in problems.items() if p == "does not exist"]
    rotation = (
        " (and the rotation, which Secrets Manager tests at once)" if config.app.secret_rotation else ""
    )

    ecr = client("ecr")
    repository_missing = image_missing = False
    if not exists:
        try:
            ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
        except Exception as error:
            if client_error_code(error) == "RepositoryNotFoundException":
                repository_missing = True
            elif client_error_code(error) == "ImageNotFoundException":
                image_missing = True
            else:
                raise
    iam = client("iam")
    created = {name: _role_created(iam, name) for name in roles} if not exists else {}
    missing_roles = [name for name, when in created.items() if when is None]

    if exists:
        other += [
            f"secret {name} does not exist yet (new in app.secrets?): the service's next deployment would "
            f"fail to read it. Create it with its value first (aws secretsmanager create-secret --name "
            f"{name} --secret-string file://{name.rsplit('/', 1)[-1]}.txt), then terraform import it"
            for name in missing_secrets
        ]
    elif repository_missing or missing_secrets or missing_roles:
        what = ", ".join(
            [f"ECR repository {repository}"] * repository_missing
            + [f"secret {name}" for name in missing_secrets]
            + [f"role {name}" for name in missing_roles]
        )
        return Verdict(
            False,
            f"first deploy of {environment}: not created yet: {what}; {backend} could not start "
            f"{image}. Run, in order:\n"
            f"  1. CORA_SKIP_SERVICE=1 {deploy}   (ECR, empty secrets, the service's "
            "roles; no service, no rotation)\n"
            "  2. set every secret's value (from a file: a value typed on the command line stays in your "
            f"shell history):\n{_put_commands(config, secrets)}\n"
            f"  3. push the image: docker push <ecr_repository_url output>:{tag}\n"
            f"  4. {deploy}",
        )

    lines = other
    if on_ecs and config.domain is not None and not exists:
        problem = certificate_problem(client("acm"), config.domain.app_host)
        if problem:
            lines.append(problem)
    if image_missing:
        lines.append(
            f"image {image} is not in ECR; {backend} would fail after ~10 minutes. Push it "
            f"(docker push <ecr_repository_url output>:{tag}), or set CORA_IMAGE_TAG to a tag that is there"
        )
    if empty:
        lines.append(
            f"{len(empty)} secret(s) have no value: {', '.join(empty)}. {backend} reads them when it "
            f"deploys and an empty one fails the service{rotation}. Set each from a file (a value typed "
            f"on the command line stays in your shell history):\n{_put_commands(config, empty)}"
        )
    if lines:
        return Verdict(
            False,
            f"{environment} is not ready to deploy:\n"
            + "\n".join(f"  - {line}" for line in lines)
            + f"\nthen run {deploy}",
        )

    youngest = max((when for when in created.values() if when is not None), default=None)
    waited = 0.0
    if youngest is not None and (age := clock() - youngest) < role_settle_seconds:
        waited = role_settle_seconds - age
        sleep(waited)
    settled = f" (waited {waited:.0f} s for IAM to propagate the new roles)" if waited else ""
    if exists:
        return Verdict(
            True,
            f"{service_name} exists and every secret it reads has a value: a new image is deployed with "
            f"cora-infra deploy-app --env {environment} --tag <tag> ({_deploy_call(on_ecs)}), not by "
            "Terraform",
        )
    return Verdict(
        True,
        f"image {image} is in ECR, every secret has a value and the roles exist{settled}: the service "
        "can be created",
    )
