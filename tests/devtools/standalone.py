"""The App Runner emulator as its own process, as ``python -m devtools.apprunner_emulator`` runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

from tests.conftest import ROOT


@contextmanager
def standalone_apprunner(moto_url: str) -> Iterator[Any]:
    """``python -m devtools.apprunner_emulator --moto-endpoint <moto_url>`` as a process, and a boto3
    App Runner client for it; the process stops on exit."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "devtools.apprunner_emulator", "--ready-delay", "0.05", "--quiet"),
            *("--moto-endpoint", moto_url),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", process.stdout.readline())
        assert match
        yield boto3.client(
            "apprunner",
            endpoint_url=match.group(1),
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
