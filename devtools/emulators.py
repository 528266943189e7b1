"""Local emulators for the ``local`` environment: moto (most services) and our App Runner emulator.

Both run as threads of this process, on free loopback ports, and stop with it: no process is left
behind. ``Emulators.env`` is what Terraform (and ``npx cdktf deploy local``) needs to talk to them.

    python -m devtools.emulators shell              # start, print the exports, wait for Ctrl-C
    python -m devtools.emulators run -- CMD ARGS    # start, run CMD with the exports, stop

Both seed what the sample ``local`` environment expects to exist outside its stack: the feature
module's Lambda function ``cora-local-items`` (its API route integrates it), the secret rotation
function ``cora-local-secret-rotation``, and the public hosted zone ``local.cora.example.com``
(``LOCAL_ZONE``; in AWS the zone is delegated once, outside Terraform, and the stack only adds
records to it). moto runs Lambda functions as stubs (no Docker): an invocation succeeds without
running code.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.core import config as moto_config
from moto.server import ThreadedMotoServer

from devtools import moto_domains, moto_ecs, moto_faults, moto_rotation
from devtools.apprunner.moto_checks import MotoChecks
from devtools.apprunner_emulator import AppRunnerEmulator

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account


@dataclass
class Emulators:
    """Running emulators and the environment that points clients at them."""

    moto_url: str
    apprunner_url: str
    region: str = REGION
    env: dict[str, str] = field(init=False)

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` on these emulators (App Runner's own, moto for the rest)."""
        return boto3.client(
            service,
            endpoint_url=self.apprunner_url if service == "apprunner" else self.moto_url,
            region_name=self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def __post_init__(self) -> None:
        self.env = {
            # Terraform variables of the local stacks (see stacks/provider.py).
            "TF_VAR_emulator_endpoint": self.moto_url,
            "TF_VAR_apprunner_endpoint": self.apprunner_url,
            # The S3 backend takes its endpoint from here (a backend block cannot use variables).
            "AWS_ENDPOINT_URL_S3": self.moto_url,
            # boto3 and the AWS CLI (tests, scripts) use these.
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_ENDPOINT_URL_APPRUNNER": self.apprunner_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }


SAMPLE_FUNCTION = "cora-local-items"
ROTATION_FUNCTION = "cora-local-secret-rotation"
LOCAL_ZONE = "local.cora.example.com"
"""The public hosted zone of the ``local`` environment's custom domains (seeded, not in the stack)."""


def seed_hosted_zone(emulators: Emulators, name: str = LOCAL_ZONE) -> str:
    """Create the public hosted zone ``name`` unless it exists; return its ID (``/hostedzone/...``)."""
    route53 = emulators.client("route53")
    wanted = name.rstrip(".") + "."
    listed = route53.list_hosted_zones_by_name(DNSName=wanted)["HostedZones"]
    for zone in listed:
        if zone["Name"] == wanted and not zone.get("Config", {}).get("PrivateZone"):
            return str(zone["Id"])
    created = route53.create_hosted_zone(
        Name=wanted,
        CallerReference=f"devtools-seed-{wanted}",
        HostedZoneConfig={"Comment": "seeded by devtools.emulators (delegated outside Terraform in AWS)"},
    )
    return str(created["HostedZone"]["Id"])


def seed(emulators: Emulators) -> str:
    """Create the sample feature module's and the secret rotation Lambda functions, and the public
    hosted zone ``LOCAL_ZONE`` (see :func:`seed_hosted_zone`); return the first function's ARN."""

    client = emulators.client
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = client("iam").create_role(
        RoleName=f"{SAMPLE_FUNCTION}-fn", AssumeRolePolicyDocument=json.dumps(trust)
    )
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {'statusCode': 200}\n")
    arns = [
        client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="index.handler",
            Code={"ZipFile": package.getvalue()},
        )["FunctionArn"]
        for name in (SAMPLE_FUNCTION, ROTATION_FUNCTION)
    ]
    seed_hosted_zone(emulators)
    return str(arns[0])


@contextmanager
def running(
    *,
    apprunner_ready_delay: float = 1.0,
    role_propagation_seconds: float = 0.0,
    dns_change_wait: bool = True,
) -> Iterator[Emulators]:
    """Start moto and the App Runner emulator on free loopback ports; stop both on exit.

    The App Runner emulator reads secrets and roles from moto, as App Runner does from AWS: a service
    whose runtime secret has no current value ends ``CREATE_FAILED`` (an update rolls back), and a
    role that does not exist, or was created less than ``role_propagation_seconds`` ago (default 0:
    no age check), refuses ``CreateService``/``UpdateService`` with "Error in assuming ... role".
    A custom domain association is ``active`` once its validation CNAMEs are in moto's Route 53, and
    so is an ACM certificate ``ISSUED`` (see :mod:`devtools.moto_domains`). ``dns_change_wait=False``
    answers Route 53 changes without ``ChangeInfo``, so the AWS provider skips its fixed 15 s wait
    after each record change (moto's changes are in sync at once; nothing else differs).
    """
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto_faults.install()  # refuse what AWS refuses: a deploy that passes here must not fail there
    moto_domains.install()  # certificates issued on DNS records, domain names shaped as AWS's
    moto_domains.set_instant_dns_changes(not dns_change_wait)
    moto_ecs.install()  # ECS, ALB and Application Auto Scaling as Terraform sees them in AWS
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    # No Docker here: Lambda invocations (API routes, secret rotation) are stubs that succeed. Set
    # before anything is created: moto keeps stub functions in a backend of their own.
    moto_config.default_user_config["lambda"] = {"use_docker": False}
    moto_rotation.install()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    checks = MotoChecks(moto_url, region=REGION, role_propagation_seconds=role_propagation_seconds)
    apprunner = AppRunnerEmulator(
        region=REGION,
        ready_delay=apprunner_ready_delay,
        secret_check=checks.secret,
        role_check=checks.role,
        dns_check=checks.dns,
        event_log=checks.event,
    )
    try:
        apprunner.start()
        yield Emulators(moto_url=moto_url, apprunner_url=apprunner.url)
    finally:
        apprunner.stop()
        moto.stop()
        moto_domains.set_instant_dns_changes(False)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m devtools.emulators", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("shell", help="start the emulators and wait for Ctrl-C")
    run = sub.add_parser("run", help="run a command against the emulators, then stop them")
    run.add_argument("cmd", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args(argv)

    with running() as emulators:
        seed(emulators)
        zone_id = seed_hosted_zone(emulators)  # created by seed(); this only looks its ID up
        if args.command == "shell":
            print(f"# seeded: functions {SAMPLE_FUNCTION} {ROTATION_FUNCTION}, zone {LOCAL_ZONE} {zone_id}")
            print("# emulators running; in another shell:")
            for key, value in emulators.env.items():
                print(f"export {key}={shlex.quote(value)}")
            print(
                "# then: npx cdktf deploy bootstrap-local --auto-approve\n"
                "#       npx cdktf deploy local --auto-approve\n"
                "#       npx cdktf destroy local --auto-approve   (Ctrl-C here stops the emulators)",
                flush=True,
            )
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            with suppress(KeyboardInterrupt):
                stop.wait()
            return 0
        cmd = [c for c in args.cmd if c != "--"] if args.cmd and args.cmd[0] == "--" else args.cmd
        if not cmd:
            parser.error("run needs a command after --")
        return subprocess.run(cmd, env={**os.environ, **emulators.env}, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
