"""``cora-infra`` (also ``python -m constructs_lib.deploy``): ``new``, ``check``, ``terraformrc``,
``warm``, ``outputs``, ``preflight`` and ``deploy-app``.

``new``, ``check``, ``terraformrc`` (:mod:`constructs_lib.scaffold.cli`) and ``warm`` need no AWS
access and no boto3 (``deploy`` extra); ``warm`` builds this machine's provider caches.

Exit codes: 0 success (a deploy that was checked healthy); 1 a refused, failed or rolled-back deploy,
a locked environment, an environment not ready (``preflight``), or problems ``check`` found; 2 bad
input, a missing parameter, service or image, a bad config (nothing was changed); 130 interrupted by
SIGINT/SIGTERM (the message says what AWS still has in flight).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from constructs_lib import __version__
from constructs_lib import published_outputs as published
from constructs_lib.compute.ecr_repo import HEALTHY_TAG_PREFIX
from constructs_lib.deploy.app import Clients, DeployRequest, deploy_app
from constructs_lib.deploy.ecs import EcsClients, EcsTarget, deploy_ecs
from constructs_lib.deploy.errors import BadInputError, DeployFailedError, DeployInterruptedError
from constructs_lib.deploy.health import DEFAULT_HEALTH_PATH
from constructs_lib.deploy.outputs import read_all, read_required, require
from constructs_lib.errors import ConfigError
from constructs_lib.scaffold.cli import COMMANDS as PROJECT_COMMANDS
from constructs_lib.scaffold.cli import add_commands, run_command

__all__ = ["main"]

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# The modules of the "deploy" extra (boto3 and botocore, dnspython).
_DEPLOY_EXTRA = frozenset({"boto3", "botocore", "dns"})
_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cora-infra", description="Create, check and deploy CORA projects (App Runner + HTTP API)."
    )
    parser.add_argument("--version", action="version", version=f"cora-infra {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    add_commands(sub)

    def common(command: argparse.ArgumentParser) -> None:
        command.add_argument("--env", required=True, help="environment, e.g. dev")
        command.add_argument("--project", default="cora", help="project (default: cora)")
        command.add_argument("--region", default=None, help="AWS region (default: from the AWS environment)")

    outputs = sub.add_parser("outputs", help="print the values the stack publishes in SSM")
    common(outputs)
    outputs.add_argument("--format", choices=("env", "json"), default="env", help="KEY=value lines or JSON")
    preflight = sub.add_parser(
        "preflight", help="check that AWS will accept a deploy of the environment (before make deploy)"
    )
    preflight.add_argument("environment", help="the environment, e.g. dev (reads config/<env>.toml)")
    preflight.add_argument("--config-dir", type=Path, default=Path("config"), help="default: config")
    deploy = sub.add_parser(
        "deploy-app", help="deploy an image tag under the environment's lock, check health, roll back"
    )
    common(deploy)
    deploy.add_argument("--tag", required=True, help="the image tag in ECR (the git SHA)")
    deploy.add_argument("--timeout", type=float, default=600.0, help="seconds to wait per operation (600)")
    deploy.add_argument(
        "--health-url",
        default=None,
        help="probe only this URL (default: the service's own URL, then APP_URL once its domain is active)",
    )
    deploy.add_argument("--health-path", default=DEFAULT_HEALTH_PATH, help="default: /api/health")
    deploy.add_argument("--poll-interval", type=float, default=5.0, help="seconds between polls (5)")
    deploy.add_argument(
        "--lock-timeout", type=float, default=300.0, help="seconds to wait for the environment's lock (300)"
    )
    deploy.add_argument(
        "--allow-no-rollback",
        action="store_true",
        help="deploy even when the image the service runs is gone from ECR (a failure cannot roll back)",
    )
    warm = sub.add_parser("warm", help="build the caches that make synth fast (once after installing)")
    warm.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the index (300)")
    return parser


def _check(args: argparse.Namespace) -> None:
    """Refuse bad values before any AWS call, naming the option, the value and what is allowed."""
    if args.command == "warm":
        if not args.timeout > 0:
            raise BadInputError(f"--timeout {args.timeout}: must be > 0 seconds")
        return
    if args.command == "preflight":
        return  # the config loader names every problem of the environment and its file
    problems = []
    for option in ("env", "project"):
        value = getattr(args, option)
        if not _NAME.fullmatch(value):
            problems.append(f"--{option} {value!r}: use 1-32 lowercase letters, digits or '-'")
    if args.region is not None and not _REGION.fullmatch(args.region):
        problems.append(f"--region {args.region!r}: not an AWS region such as 'us-east-1'")
    if args.command == "deploy-app":
        if not _TAG.fullmatch(args.tag):
            problems.append(f"--tag {args.tag!r}: an ECR tag is 1-128 letters, digits, '_', '.' or '-'")
        elif args.tag.startswith(HEALTHY_TAG_PREFIX):
            problems.append(
                f"--tag {args.tag!r}: {HEALTHY_TAG_PREFIX}* tags are the tool's own marks of images that "
                "ran healthy"
            )
        for option in ("timeout", "poll_interval"):
            if not getattr(args, option) > 0:
                problems.append(f"--{option.replace('_', '-')} {getattr(args, option)}: must be > 0 seconds")
        if not args.lock_timeout >= 0:
            problems.append(f"--lock-timeout {args.lock_timeout}: must be >= 0 seconds")
        url = args.health_url
        if url is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
            problems.append(f"--health-url {url!r}: an http:// or https:// URL")
        if not _PATH.fullmatch(args.health_path):
            problems.append(f"--health-path {args.health_path!r}: a URL path starting with '/'")
    if problems:
        raise BadInputError("; ".join(problems))


def _client(service: str, region: str | None) -> Any:
    import boto3  # noqa: PLC0415 - lazily: only the deploy tool needs boto3 (the "deploy" extra)

    return boto3.client(service, region_name=region)


def _outputs(args: argparse.Namespace, out: TextIO) -> int:
    values = read_all(_client("ssm", args.region), args.project, args.env)
    if args.format == "json":
        print(json.dumps(values, indent=2), file=out)
    else:
        for name, value in values.items():
            print(f"{name}={value}", file=out)
    return 0


def _preflight(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from constructs_lib.deploy.preflight import check  # noqa: PLC0415 - loads the stacks' config models

    verdict = check(
        args.environment,
        config_dir=args.config_dir,
        image_tag=os.environ.get("CORA_IMAGE_TAG") or None,
        skip_service=os.environ.get("CORA_SKIP_SERVICE") == "1",
    )
    print(("ok: " if verdict.ok else "error: ") + verdict.message, file=out if verdict.ok else err)
    return 0 if verdict.ok else 1


def _lock_owner() -> tuple[str, str]:
    """Who takes the lock (``user@host``) and the CI run, if any: what a waiting team member reads."""
    user = os.environ.get("GITHUB_ACTOR") or getpass.getuser()
    run = ""
    if os.environ.get("GITHUB_RUN_ID") and os.environ.get("GITHUB_REPOSITORY"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        run = f"{server}/{os.environ['GITHUB_REPOSITORY']}/actions/runs/{os.environ['GITHUB_RUN_ID']}"
    return f"{user}@{socket.gethostname()}", run


def _deploy(args: argparse.Namespace, out: TextIO) -> int:
    names = [published.ECR_REPOSITORY_URL, published.SERVICE_ARN, published.STATE_LOCK]
    if args.health_url is None:
        names.append(published.APP_URL)
    optional = (published.COMPUTE, published.CLUSTER_ARN, published.TASK_FAMILY)
    values = read_required(_client("ssm", args.region), args.project, args.env, names, optional=optional)
    compute = values.get(published.COMPUTE, "apprunner")  # absent: a stack from before ECS, App Runner
    if compute not in ("apprunner", "ecs"):
        raise BadInputError(f"{published.COMPUTE} {compute!r}: this cora-infra deploys 'apprunner' or 'ecs'")
    who, run = _lock_owner()
    image = f"{values[published.ECR_REPOSITORY_URL]}:{args.tag}"
    request = DeployRequest(
        repository_url=values[published.ECR_REPOSITORY_URL],
        service_arn=values[published.SERVICE_ARN],
        tag=args.tag,
        health_url=args.health_url,
        app_url=values.get(published.APP_URL),
        health_path=args.health_path,
        lock_url=values[published.STATE_LOCK],
        lock_timeout=args.lock_timeout,
        lock_owner=who,
        lock_info=f"deploy {image}" + (f", {run}" if run else ""),
        allow_no_rollback=args.allow_no_rollback,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
        say=lambda line: print(line, file=out, flush=True),
    )
    if compute == "ecs":
        return _deploy_ecs(args, values, request)
    clients = Clients(
        **{name: _client(name, args.region) for name in ("ecr", "apprunner", "s3", "secretsmanager", "logs")}
    )
    deploy_app(clients, request)
    return 0


def _deploy_ecs(args: argparse.Namespace, values: dict[str, str], request: DeployRequest) -> int:
    require(values, args.project, args.env, (published.CLUSTER_ARN, published.TASK_FAMILY))
    clients = EcsClients(
        **{name: _client(name, args.region) for name in ("ecr", "ecs", "s3", "secretsmanager", "logs")}
    )
    target = EcsTarget(cluster_arn=values[published.CLUSTER_ARN], task_family=values[published.TASK_FAMILY])
    deploy_ecs(clients, request, target)
    return 0


def _warm(args: argparse.Namespace, out: TextIO) -> int:
    # constructs_lib is imported already (this package is inside it): the provider load has happened.
    from constructs_lib.aws import warm  # noqa: PLC0415 - only this command waits for the caches

    result = warm(args.timeout)
    if result.tarball is None:
        print(
            "provider bindings: stock (eager) load in use, nothing to warm "
            "(the bindings were imported before constructs_lib, or CORA_INFRA_EAGER_PROVIDER=1)",
            file=out,
        )
        return 0
    how = "built" if result.tarball_built else "found in the cache"
    print(f"lazy provider tarball: {how}, {result.tarball} [{result.load_seconds:.1f} s load]", file=out)
    if result.runtime_index is None:
        print("jsii runtime index: the kernel's package cache is disabled, nothing to wait for", file=out)
    else:
        wait = result.index_seconds
        print(f"jsii runtime index: ready, {result.runtime_index} [{wait:.1f} s wait]", file=out)
    return 0


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the tool is (as Python raises KeyboardInterrupt for SIGINT)."""


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) stops the tool the way Ctrl-C does: the lock is given back and the
    operation in flight is named. Signals can only be handled in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise _Terminated("SIGTERM")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(stop: BaseException) -> str:
    return f"interrupted ({stop or 'SIGINT'}); nothing was changed"


def _failure(error: BaseException, args: argparse.Namespace, argv: Sequence[str]) -> tuple[str, int] | None:
    """The one-line message and exit code of a failure, ``None`` for a bug (its traceback is shown)."""
    # Nothing changed: 2; refused, failed, rolled back (warm: the kernel's index took too long): 1.
    for kinds, code in (((BadInputError, ConfigError), 2), ((TimeoutError, DeployFailedError), 1)):
        if isinstance(error, kinds):
            return f"error: {error}", code
    if isinstance(error, DeployInterruptedError | KeyboardInterrupt):
        # deploy-app names what is in flight; outputs/warm have nothing in flight.
        again = f"\n  the same deploy: {' '.join(['cora-infra', *argv])}"
        text = str(error) + again if isinstance(error, DeployInterruptedError) else _interrupted(error)
        return f"error: {text}", 130
    if isinstance(error, ModuleNotFoundError) and (error.name or "").split(".")[0] in _DEPLOY_EXTRA:
        missing = f"{args.command} needs the deploy extra ({error.name} is missing)"
        return f"error: {missing}: pip install 'cora-infra[deploy]'", 2
    # botocore's errors (no credentials, an endpoint down, access denied): a line, not a traceback.
    if type(error).__module__.startswith("botocore"):
        if args.command == "preflight":
            return f"error: cannot check {args.environment} on AWS: {error}", 2
        return f"error: AWS: {error}", 2 if "Credentials" in type(error).__name__ else 1
    return None


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (``out``/``err`` default to stdout/stderr)."""
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(argv)
    if args.command in PROJECT_COMMANDS:
        return run_command(args, out, err)
    try:
        _check(args)
        if args.command == "preflight":
            return _preflight(args, out, err)
        commands = {"outputs": _outputs, "deploy-app": _deploy, "warm": _warm}
        with _sigterm_interrupts():
            return commands[args.command](args, out)
    except (Exception, KeyboardInterrupt) as error:
        failure = _failure(error, args, list(argv) if argv is not None else sys.argv[1:])
        if failure is None:
            raise
        print(failure[0], file=err)
        return failure[1]
