"""The AWS provider every stack of ours configures: region, default tags, and emulator endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf import TerraformStack, TerraformVariable

from constructs_lib import _aws
from constructs_lib.stacks.config import EmulatorConfig

# The AWS provider bindings pin the exact provider version they were generated from; any 5.x from
# 5.99 on works with them, and the offline mirror (and most users) have a newer one.
AWS_PROVIDER_CONSTRAINT = "~> 5.99"
REQUIRED_TERRAFORM = ">= 1.10"  # S3 native state locking (use_lockfile)


def add_aws_provider(
    stack: TerraformStack,
    *,
    region: str,
    tags: Mapping[str, str],
    account_id: str | None = None,
    emulator: EmulatorConfig | None = None,
    network: bool = False,
) -> _aws.AwsProvider:
    """Configure the AWS provider of ``stack`` (pointed at local emulators when ``emulator`` is set).

    ``network``: the stack builds VPC, load balancer, ECS and Application Auto Scaling resources (the
    ECS backend), whose services the emulator settings then point at moto too.
    """
    provider = _aws.AwsProvider(
        stack,
        "aws",
        region=region,
        allowed_account_ids=[account_id] if account_id else None,
        default_tags=[_aws.AwsProviderDefaultTags(tags=dict(tags))],
        **_emulator_settings(stack, emulator, network=network),
    )
    stack.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_CONSTRAINT)
    stack.add_override("terraform.required_version", REQUIRED_TERRAFORM)
    return provider


def _emulator_settings(
    stack: TerraformStack, emulator: EmulatorConfig | None, *, network: bool
) -> dict[str, Any]:
    """Settings that point every service we use at the local emulators."""
    if emulator is None:
        return {}
    moto = TerraformVariable(
        stack,
        "emulator_endpoint",
        type="string",
        default=emulator.endpoint,
        description="moto server URL (set by python -m devtools.emulators)",
    ).string_value
    apprunner = TerraformVariable(
        stack,
        "apprunner_endpoint",
        type="string",
        default=emulator.apprunner_endpoint,
        description="App Runner emulator URL (set by python -m devtools.emulators)",
    ).string_value
    # The ECS backend's services on moto too. Security group rules that reference another group plan
    # clean only when the provider knows the account (it asks moto's STS: 123456789012).
    ecs = {"applicationautoscaling": moto, "ec2": moto, "ecs": moto, "elbv2": moto} if network else {}
    return {
        # Emulators accept any credentials; these are not secrets.
        "access_key": "test",
        "secret_key": "test",
        "skip_credentials_validation": True,
        "skip_requesting_account_id": not network,
        "skip_metadata_api_check": "true",
        "skip_region_validation": True,
        "s3_use_path_style": True,
        "endpoints": [
            _aws.AwsProviderEndpoints(
                acm=moto,
                apigatewayv2=moto,
                apprunner=apprunner,
                cloudwatchlogs=moto,
                ecr=moto,
                iam=moto,
                kms=moto,
                lambda_=moto,
                route53=moto,
                s3=moto,
                secretsmanager=moto,
                ssm=moto,
                sts=moto,
                **ecs,
            )
        ],
    }
