"""``python -m devtools.apprunner_emulator --moto-endpoint URL``: the standalone emulator reads secrets
and roles from a moto server, as App Runner does from AWS."""

from __future__ import annotations

import time

from tests.devtools.standalone import standalone_apprunner


def test_the_cli_fails_a_service_whose_secret_has_no_value(emulators):
    secret = emulators.client("secretsmanager").create_secret(Name="cli/EMPTY")["ARN"]
    role = emulators.client("iam").create_role(RoleName="cli-access", AssumeRolePolicyDocument="{}")
    with standalone_apprunner(emulators.moto_url) as apprunner:
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
