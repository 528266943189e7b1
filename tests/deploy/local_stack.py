"""Helpers of the local deploy test: synthesize a stack into its own folder, time the phases, and read
what the stack deployed (a managed policy as Terraform resolved it, the calls it would refuse)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from devtools.aws_calls import Call, authorisations
from devtools.emulators import ACCOUNT_ID
from devtools.iam_policy import evaluate
from tests.conftest import ROOT


def timed(timings: dict[str, float], phase: str) -> Any:
    """A context manager adding its block's seconds to ``timings[phase]``."""

    class Timer:
        def __enter__(self) -> None:
            self.start = time.monotonic()

        def __exit__(self, *exc: object) -> None:
            timings[phase] = timings.get(phase, 0.0) + time.monotonic() - self.start

    return Timer()


def synth(outdir: Path, env: dict[str, str], environment: str, **extra: str) -> None:
    """``python main.py`` for ``environment`` into ``outdir``."""
    run = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env={**env, "CDKTF_OUTDIR": str(outdir), "CORA_ENVIRONMENTS": environment, **extra},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def stack_dir(work: dict[str, Path], name: str, source: str, stack: str) -> Path:
    """Copy ``stack``'s JSON from the synth folder ``work[source]`` into ``work[name]``."""
    target = work[name]
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(work[source] / "stacks" / stack / "cdk.tf.json", target / "cdk.tf.json")
    return target


def deployed_policy(aws: Any, arn: str) -> dict[str, Any]:
    """A managed policy's default version as deployed (every ARN resolved)."""
    iam = aws("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return document if isinstance(document, dict) else json.loads(urllib.parse.unquote(document))


def refused_calls(calls: Iterable[Call], policy: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(operation, action, resource) of every IAM request of ``calls`` that ``policy`` would not allow."""
    return [
        (call.operation, request.action, request.resource)
        for call in calls
        for request in authorisations(call, account=ACCOUNT_ID)
        if evaluate([policy], request) != "allow"
    ]
