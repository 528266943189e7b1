"""``cora-infra`` (also ``python -m constructs_lib.deploy``): ``new``, ``check``, ``terraformrc``,
``warm``, ``outputs`` and ``deploy-app``.

``new``, ``check``, ``terraformrc`` (:mod:`constructs_lib.scaffold.cli`) and ``warm`` need no AWS
access and no boto3 (``deploy`` extra); ``warm`` builds this machine's provider caches.

Exit codes: 0 success or no-op; 1 a refused, failed or rolled-back deploy (or an AWS error), or
problems ``check`` found; 2 bad input, a missing parameter, service or image (nothing was changed).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from constructs_lib import __version__
from constructs_lib import published_outputs as published
from constructs_lib.deploy.app import Clients, DeployRequest, deploy_app
from constructs_lib.deploy.errors import BadInputError, DeployFailedError
from constructs_lib.deploy.health import health_url_for
from constructs_lib.deploy.outputs import read_all, read_required
from constructs_lib.scaffold.cli import COMMANDS as PROJECT_COMMANDS
from constructs_lib.scaffold.cli import add_commands, run_command

__all__ = ["main"]

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


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
    deploy = sub.add_parser("deploy-app", help="deploy an image tag, check health, roll back on failure")
    common(deploy)
    deploy.add_argument("--tag", required=True, help="the image tag in ECR (the git SHA)")
    deploy.add_argument("--timeout", type=float, default=600.0, help="seconds to wait per operation (600)")
    deploy.add_argument("--health-url", default=None, help="default: <APP_URL>/api/health")
    deploy.add_argument("--poll-interval", type=float, default=5.0, help="seconds between polls (5)")
    warm = sub.add_parser("warm", help="build the caches that make synth fast (once after installing)")
    warm.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the index (300)")
    return parser


def _check(args: argparse.Namespace) -> None:
    """Refuse bad values before any AWS call, naming the option, the value and what is allowed."""
    if args.command == "warm":
        if not args.timeout > 0:
            raise BadInputError(f"--timeout {args.timeout}: must be > 0 seconds")
        return
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
        for option in ("timeout", "poll_interval"):
            if not getattr(args, option) > 0:
                problems.append(f"--{option.replace('_', '-')} {getattr(args, option)}: must be > 0 seconds")
        url = args.health_url
        if url is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
            problems.append(f"--health-url {url!r}: an http:// or https:// URL")
    if problems:
        raise BadInputError("; ".join(problems))


def _client(service: str, region: str | None) -> Any:
    import boto3  # noqa: PLC0415 - lazily: only the deploy tool needs boto3 (the "deploy" extra)

    return boto3.client(service, region_name=region)


def _outputs(args: argparse.Namespace, out: TextIO) -> None:
    values = read_all(_client("ssm", args.region), args.project, args.env)
    if args.format == "json":
        print(json.dumps(values, indent=2), file=out)
    else:
        for name, value in values.items():
            print(f"{name}={value}", file=out)


def _deploy(args: argparse.Namespace, out: TextIO) -> None:
    names = [published.ECR_REPOSITORY_URL, published.SERVICE_ARN]
    if args.health_url is None:
        names.append(published.APP_URL)
    values = read_required(_client("ssm", args.region), args.project, args.env, names)
    request = DeployRequest(
        repository_url=values[published.ECR_REPOSITORY_URL],
        service_arn=values[published.SERVICE_ARN],
        tag=args.tag,
        health_url=args.health_url or health_url_for(values[published.APP_URL]),
        timeout=args.timeout,
        poll_interval=args.poll_interval,
        say=lambda line: print(line, file=out, flush=True),
    )
    deploy_app(Clients(ecr=_client("ecr", args.region), apprunner=_client("apprunner", args.region)), request)


def _warm(args: argparse.Namespace, out: TextIO) -> None:
    # constructs_lib is imported already (this package is inside it): the provider load has happened.
    from constructs_lib.aws import warm  # noqa: PLC0415 - only this command waits for the caches

    result = warm(args.timeout)
    if result.tarball is None:
        print(
            "provider bindings: stock (eager) load in use, nothing to warm "
            "(the bindings were imported before constructs_lib, or CORA_INFRA_EAGER_PROVIDER=1)",
            file=out,
        )
        return
    how = "built" if result.tarball_built else "found in the cache"
    print(f"lazy provider tarball: {how}, {result.tarball} [{result.load_seconds:.1f} s load]", file=out)
    if result.runtime_index is None:
        print("jsii runtime index: the kernel's package cache is disabled, nothing to wait for", file=out)
    else:
        wait = result.index_seconds
        print(f"jsii runtime index: ready, {result.runtime_index} [{wait:.1f} s wait]", file=out)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (``out``/``err`` default to stdout/stderr)."""
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(argv)
    if args.command in PROJECT_COMMANDS:
        return run_command(args, out, err)
    try:
        _check(args)
        commands = {"outputs": _outputs, "deploy-app": _deploy, "warm": _warm}
        commands[args.command](args, out)
    except BadInputError as error:
        print(f"error: {error}", file=err)
        return 2
    except TimeoutError as error:  # warm: the kernel did not finish its index in time
        print(f"error: {error}", file=err)
        return 1
    except DeployFailedError as error:
        print(f"error: {error}", file=err)
        return 1
    except Exception as error:
        # botocore's errors (no credentials, an endpoint down, access denied): a line, not a traceback.
        if type(error).__module__.startswith("botocore"):
            print(f"error: AWS: {error}", file=err)
            return 2 if "Credentials" in type(error).__name__ else 1
        raise
    return 0
