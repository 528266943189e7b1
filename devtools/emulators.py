"""Local emulators for the ``local`` environment: moto (most services) and our App Runner emulator.

Both run as threads of this process, on free loopback ports, and stop with it: no process is left
behind. ``Emulators.env`` is what Terraform (and ``npx cdktf deploy local``) needs to talk to them.

    python -m devtools.emulators shell              # start, print the exports, wait for Ctrl-C
    python -m devtools.emulators run -- CMD ARGS    # start, run CMD with the exports, stop

Both seed what the sample ``local`` environment expects to exist outside its stack: the feature
module's Lambda function ``cora-local-items`` (its API route integrates it).
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
from moto.server import ThreadedMotoServer

from devtools import moto_faults
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


def seed(emulators: Emulators) -> str:
    """Create the sample feature module's Lambda function; return its ARN."""

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=emulators.moto_url,
            region_name=emulators.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

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
    created = client("lambda").create_function(
        FunctionName=SAMPLE_FUNCTION,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": package.getvalue()},
    )
    return str(created["FunctionArn"])


@contextmanager
def running(*, apprunner_ready_delay: float = 1.0) -> Iterator[Emulators]:
    """Start moto and the App Runner emulator on free loopback ports; stop both on exit."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto_faults.install()  # refuse what AWS refuses: a deploy that passes here must not fail there
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    apprunner = AppRunnerEmulator(region=REGION, ready_delay=apprunner_ready_delay)
    try:
        apprunner.start()
        host, port = moto.get_host_and_port()
        yield Emulators(moto_url=f"http://{host}:{port}", apprunner_url=apprunner.url)
    finally:
        apprunner.stop()
        moto.stop()


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
        if args.command == "shell":
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
