"""Check, before a deploy, that AWS will accept what Terraform is about to create: fail in seconds.

App Runner fails a service only after minutes, and with misleading errors, when what it needs at
creation is not there: the image in ECR, the secrets' values (it reads ``runtime_environment_secrets``
when it deploys; a secret with no ``AWSCURRENT`` version fails the service), and roles that IAM has
propagated. Secrets Manager tests a new rotation at once, so a rotation created on an empty secret
fails too. The repository, the secrets and the roles come from the same stack, so the first deploy of
an environment has phases, and this check says which step is next (with a ``[domain]``, it also checks
that the public hosted zone exists, once, in the account):

    python -m devtools.preflight dev     # exit 0: go ahead with `npx cdktf deploy dev`

1. ``CORA_SKIP_SERVICE=1 npx cdktf deploy dev``: everything but the App Runner service and secret
   rotation (ECR, the secrets, still empty, the service's roles);
2. set every secret's value (``aws secretsmanager put-secret-value``) and push the image
   ``<repository_url>:<tag>`` (the deploy-app workflow does it);
3. ``npx cdktf deploy dev``: creates the service (and the rotation) once the check passes.

Once the service exists, a new image is a deploy, not a Terraform change: ``aws apprunner
update-service`` with the new ``ImageIdentifier`` (``start-deployment`` only redeploys the image already
configured, e.g. to pick up new secret values). The secrets are still checked on every deploy: one
added to the config would fail the next deployment. The tag is ``CORA_IMAGE_TAG`` or the config's
``app.image_tag``; ``CORA_SKIP_SERVICE=1`` checks the first phase instead. AWS access comes from the
usual environment (profile, role, or ``AWS_ENDPOINT_URL*`` for the local emulators).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from constructs_lib import ConfigError
from constructs_lib.app_runner_service import role_names
from constructs_lib.stacks import EnvConfig, load_config

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
# IAM is eventually consistent: a role is usable by App Runner some seconds after it is created.
ROLE_SETTLE_SECONDS = 10.0


@dataclass(frozen=True)
class Verdict:
    """The outcome of the check: ``ok`` and, when not, what is missing and what to run."""

    ok: bool
    message: str


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


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


def secret_problem(secretsmanager: Any, name: str) -> str | None:
    """Why App Runner could not read secret ``name`` now (``None``: it has a current value)."""
    try:
        described = secretsmanager.describe_secret(SecretId=name)
    except ClientError as err:
        if _code(err) == "ResourceNotFoundException":
            return "does not exist"
        raise
    if described.get("DeletedDate"):
        return f"is scheduled for deletion (aws secretsmanager restore-secret --secret-id {name})"
    stages = described.get("VersionIdsToStages") or {}
    if not any("AWSCURRENT" in labels for labels in stages.values()):
        return "has no value"
    return None


def _role_created(iam: Any, name: str) -> float | None:
    """When role ``name`` was created (epoch seconds), or ``None`` when it does not exist."""
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except ClientError as err:
        if _code(err) == "NoSuchEntity":
            return None
        raise
    return float(role["CreateDate"].timestamp())


def _zone_by_id(route53: Any, zone: str, zone_id: str, create: str) -> str | None:
    try:
        found = route53.get_hosted_zone(Id=zone_id)["HostedZone"]
    except ClientError as err:
        if _code(err) == "NoSuchHostedZone":
            return f"hosted zone {zone_id} ([domain] zone_id) does not exist in this account; {create}"
        raise
    if found["Name"].rstrip(".") != zone:
        return f"hosted zone {zone_id} ([domain] zone_id) is {found['Name'].rstrip('.')}, not {zone}"
    if found.get("Config", {}).get("PrivateZone"):
        return f"hosted zone {zone_id} ([domain] zone_id) is private; the domains need a public zone"
    return None


def zone_problem(route53: Any, zone: str, zone_id: str | None) -> str | None:
    """Why the stack could not find its public hosted zone ``zone`` (``zone_id`` if given), or ``None``.

    The zone is not the stack's own: it is created and delegated once, before the first deploy.
    """
    create = (
        f"create it and delegate it from its parent first (README, 'Custom domains'): "
        f"aws route53 create-hosted-zone --name {zone} --caller-reference $(date +%s)"
    )
    if zone_id:
        return _zone_by_id(route53, zone, zone_id, create)
    zones = route53.list_hosted_zones_by_name(DNSName=zone)["HostedZones"]
    public = [
        z for z in zones if z["Name"].rstrip(".") == zone and not z.get("Config", {}).get("PrivateZone")
    ]
    if not public:
        return f"no public Route 53 hosted zone {zone} ([domain] zone) in this account; {create}"
    if len(public) > 1:
        ids = ", ".join(z["Id"].rsplit("/", 1)[-1] for z in public)
        return f"{len(public)} public hosted zones are named {zone} ({ids}); set [domain] zone_id to one"
    return None


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


def check(
    environment: str,
    *,
    image_tag: str | None = None,
    config_dir: Path = CONFIG_DIR,
    region: str | None = None,
    skip_service: bool = False,
    role_settle_seconds: float = ROLE_SETTLE_SECONDS,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Verdict:
    """Whether deploying ``environment`` now can succeed on AWS.

    ``skip_service`` checks the first phase (``CORA_SKIP_SERVICE=1``). When the service's roles are
    younger than ``role_settle_seconds``, the check waits until they are that old (IAM propagation).
    """
    overrides = {"app.image_tag": image_tag} if image_tag else {}
    config = load_config(environment, config_dir, overrides=overrides)
    region = region or config.region
    service_name = repository = config.name("web")
    tag = config.app.image_tag
    image = f"{repository}:{tag}"
    secrets = list(config.secret_names)
    roles = list(role_names(service_name))

    def client(service: str) -> Any:
        return boto3.client(service, region_name=region)

    # Both phases: the API's domain comes with phase 1, the app's with the service.
    domain = config.domain
    problem = domain and zone_problem(client("route53"), domain.zone, domain.zone_id)
    if problem:
        return Verdict(False, f"{environment}: {problem}")
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
        except ClientError as err:
            if _code(err) == "RepositoryNotFoundException":
                repository_missing = True
            elif _code(err) == "ImageNotFoundException":
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
            f"first deploy of {environment}: not created yet: {what}; App Runner could not start "
            f"{image}. Run, in order:\n"
            f"  1. CORA_SKIP_SERVICE=1 npx cdktf deploy {environment}   (ECR, empty secrets, the service's "
            "roles; no service, no rotation)\n"
            "  2. set every secret's value (from a file: a value typed on the command line stays in your "
            f"shell history):\n{_put_commands(config, secrets)}\n"
            f"  3. push the image: docker push <ecr_repository_url output>:{tag}\n"
            f"  4. npx cdktf deploy {environment}",
        )

    lines = other
    if image_missing:
        lines.append(
            f"image {image} is not in ECR; App Runner would fail after ~10 minutes. Push it "
            f"(docker push <ecr_repository_url output>:{tag}), or set CORA_IMAGE_TAG to a tag that is there"
        )
    if empty:
        lines.append(
            f"{len(empty)} secret(s) have no value: {', '.join(empty)}. App Runner reads them when it "
            f"deploys and an empty one fails the service{rotation}. Set each from a file (a value typed "
            f"on the command line stays in your shell history):\n{_put_commands(config, empty)}"
        )
    if lines:
        return Verdict(
            False,
            f"{environment} is not ready to deploy:\n"
            + "\n".join(f"  - {line}" for line in lines)
            + f"\nthen run npx cdktf deploy {environment}",
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
            "aws apprunner update-service (the new ImageIdentifier), not by Terraform",
        )
    return Verdict(
        True,
        f"image {image} is in ECR, every secret has a value and the roles exist{settled}: the service "
        "can be created",
    )


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: exit 0 when the deploy may go ahead, 1 with instructions otherwise, 2 when the
    config is refused or AWS cannot be asked."""
    parser = argparse.ArgumentParser(prog="python -m devtools.preflight", description=__doc__.splitlines()[0])
    parser.add_argument("environment", help="dev, stg, prd or local")
    args = parser.parse_args(argv)
    try:
        verdict = check(
            args.environment,
            image_tag=os.environ.get("CORA_IMAGE_TAG") or None,
            skip_service=os.environ.get("CORA_SKIP_SERVICE") == "1",
        )
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as err:
        print(f"error: cannot check {args.environment} on AWS: {err}", file=sys.stderr)
        return 2
    stream = sys.stdout if verdict.ok else sys.stderr
    print(("ok: " if verdict.ok else "error: ") + verdict.message, file=stream)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
