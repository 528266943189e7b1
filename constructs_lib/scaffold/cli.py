"""The project commands of ``cora-infra``: ``new``, ``check`` and ``terraformrc`` (no AWS access needed).

Exit codes: 0 success; 1 ``check`` found problems; 2 bad input (nothing was written).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from constructs_lib.api.feature_modules import ModuleLayout
from constructs_lib.compute.web_service import Compute

__all__ = ["COMMANDS", "add_commands", "run_command"]

COMMANDS = ("new", "check", "terraformrc")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``new``, ``check`` and ``terraformrc`` to the ``cora-infra`` parser."""
    new = sub.add_parser(
        "new",
        help="create a CORA infra project (config, stacks, tests with snapshots, workflows)",
        description="Create a CORA infra project: ./<project> (mono-repo) or ./<project>-infra (two-repo).",
    )
    new.add_argument("project", help="2-24 lowercase letters, digits or '-': every AWS name starts with it")
    new.add_argument(
        "--region", required=True, help="AWS region, e.g. eu-west-1 (with App Runner unless --compute ecs)"
    )
    new.add_argument(
        "--layout",
        choices=[layout.value for layout in ModuleLayout],
        default=ModuleLayout.MONOREPO.value,
        help="monorepo (default): infra, app and packages in one repository; two-repo: <project>-infra "
        "beside the app repository <project>-stack",
    )
    new.add_argument(
        "--compute",
        choices=[compute.value for compute in Compute],
        default=Compute.APPRUNNER.value,
        help="what runs the web container in every environment ([app] compute): apprunner (default; AWS "
        "closed App Runner to new customers on 30 April 2026, a new AWS account cannot use it) or ecs "
        "(ECS Fargate behind an Application Load Balancer, in a VPC the stack creates)",
    )
    new.add_argument(
        "--domain",
        default=None,
        help="DNS zone of the app (prd at the apex, stg.<zone>, dev.<zone>); default: placeholders",
    )
    new.add_argument("--dir", type=Path, default=None, help="target folder (must not exist or be empty)")
    new.add_argument(
        "--library-url",
        default=None,
        metavar="URL",
        help="https URL of the cora-infra git repository the project installs from (at the tag of this "
        "version; no credentials, no @ref); default: where this cora-infra was installed from with git, "
        "else its Source URL",
    )

    check = sub.add_parser(
        "check",
        help="check a project's layout: workflows, Dockerfile, config per environment, module paths",
    )
    check.add_argument("path", nargs="?", type=Path, default=Path(), help="project root (default: .)")

    rc = sub.add_parser("terraformrc", help="write the Terraform CLI config (offline provider mirror if any)")
    rc.add_argument("dest", type=Path, help="where to write it, e.g. .terraformrc")


def _new(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from constructs_lib.scaffold.new import ScaffoldError, new_project, summary  # noqa: PLC0415

    layout = ModuleLayout(args.layout)
    try:
        result = new_project(
            args.project,
            region=args.region,
            layout=layout,
            domain=args.domain,
            target=args.dir,
            library_url=args.library_url,
            compute=Compute(args.compute),
        )
    except ScaffoldError as error:
        for line in str(error).splitlines():
            print(f"error: {line}", file=err)
        print("error: nothing was written", file=err)
        return 2
    for line in summary(result, layout=layout):
        print(line, file=out)
    return 0


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from constructs_lib.scaffold.check import check_project, format_report  # noqa: PLC0415

    root: Path = args.path
    if not root.is_dir():
        print(f"error: {str(root)!r} is not a folder; give the project's root folder", file=err)
        return 2
    report = check_project(root)
    for line in format_report(report):
        print(line, file=out)
    return 0 if report.ok else 1


def _terraformrc(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from constructs_lib.terraform_cli_config import write_discovered  # noqa: PLC0415

    try:
        _, said = write_discovered(args.dest)
    except SystemExit as problem:  # a CORA_TF_PROVIDER_MIRROR that holds no mirror
        print(f"error: {problem}", file=err)
        return 2
    print(said, file=out)
    return 0


def run_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run one of :data:`COMMANDS`; returns the exit code."""
    commands = {"new": _new, "check": _check, "terraformrc": _terraformrc}
    return commands[args.command](args, out, err)
