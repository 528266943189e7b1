"""The AWS regions a CORA project can run in: App Runner's, out of every commercial region.

``cora-infra new --region`` and the config's ``region`` are checked against the same tables.

From botocore's endpoint data (``tests/scaffold/test_regions.py`` compares these tables with the
installed botocore, so a region AWS adds shows up as a failing test, not as a silent refusal).
"""

from __future__ import annotations

__all__ = ["APP_RUNNER_REGIONS", "AWS_REGIONS", "app_runner_region", "region_problem"]

#: Every region of the ``aws`` partition (botocore 1.44: EC2's regions).
AWS_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)

#: The regions where App Runner runs (botocore's ``apprunner`` endpoints).
APP_RUNNER_REGIONS: frozenset[str] = frozenset(
    {
        "ap-northeast-1",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "us-east-1",
        "us-east-2",
        "us-west-2",
    }
)


def app_runner_region(region: str) -> str:
    """``region`` if App Runner runs there; ``ValueError`` naming the regions that have it otherwise."""
    allowed = ", ".join(sorted(APP_RUNNER_REGIONS))
    if region not in AWS_REGIONS:
        raise ValueError(f"{region!r} is not an AWS region; App Runner runs in: {allowed}")
    if region not in APP_RUNNER_REGIONS:
        raise ValueError(f"App Runner is not available in {region!r}; it runs in: {allowed}")
    return region


def compute_region(region: str, compute: object) -> str:
    """``region`` if the backend ``compute`` ([app] compute: ``ecs``, else App Runner) runs there;
    ``ValueError`` starting ``region:`` otherwise (ECS runs in every AWS region)."""
    if compute == "ecs":
        if region not in AWS_REGIONS:
            raise ValueError(f"region: {region!r} is not an AWS region")
        return region
    try:
        return app_runner_region(region)
    except ValueError as err:
        hint = ' (ECS runs in every region: [app] compute = "ecs")' if region in AWS_REGIONS else ""
        raise ValueError(f"region: {err}{hint}") from None


def region_problem(region: str) -> str | None:
    """Why ``region`` cannot hold a CORA project (``--region`` is named in the text), or ``None``."""
    allowed = ", ".join(sorted(APP_RUNNER_REGIONS))
    if region not in AWS_REGIONS:
        return f"--region {region!r} is not an AWS region; App Runner runs in: {allowed}"
    if region not in APP_RUNNER_REGIONS:
        return f"--region {region!r}: App Runner is not available there; it runs in: {allowed}"
    return None
