"""``python -m devtools.apprunner_emulator --moto-endpoint URL``: the standalone emulator reads secrets
and roles from a moto server, as App Runner does from AWS."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import boto3

from tests.conftest import ROOT


def test_the_cli_fails_a_service_whose_secret_has_no_value(emulators):
    secret = emulators.client("secretsmanager").create_secret(Name="cli/EMPTY")["ARN"]
    role = emulators.client("iam").create_role(RoleName="cli-access", AssumeRolePolicyDocument="{}")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devtools.apprunner_emulator",
            "--ready-delay",
            "0.05",
            "--quiet",
            "--moto-endpoint",
            emulators.moto_url,
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
        apprunner = boto3.client(
            "apprunner",
            endpoint_url=match.group(1),
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        image = {
            "ImageIdentifier": "123456789012.dkr.ecr.us-east-1.amazonaws.com/cli:1",
            "ImageRepositoryType": "ECR",
            "ImageConfiguration": {"RuntimeEnvironmentSecrets": {"TOKEN": secret}},
        }
        arn = apprunner.create_service(
            ServiceName="cli-service",
            SourceConfiguration={
                "ImageRepository": image,
                "AuthenticationConfiguration": {"AccessRoleArn": role["Role"]["Arn"]},
            },
        )["Service"]["ServiceArn"]
        deadline = time.monotonic() + 10
        while (status := apprunner.describe_service(ServiceArn=arn)["Service"]["Status"]) not in (
            "RUNNING",
            "CREATE_FAILED",
        ):
            assert time.monotonic() < deadline, status
            time.sleep(0.05)
        assert status == "CREATE_FAILED"
    finally:
        process.terminate()
        process.wait(timeout=10)
