"""The region tables of ``cora-infra new`` are botocore's, so a region AWS adds fails here, not silently."""

from __future__ import annotations

import botocore.session

from constructs_lib.scaffold import APP_RUNNER_REGIONS, AWS_REGIONS


def test_app_runner_regions_are_botocores():
    session = botocore.session.get_session()
    assert sorted(APP_RUNNER_REGIONS) == sorted(session.get_available_regions("apprunner"))


def test_aws_regions_are_the_partitions_regions():
    assert sorted(AWS_REGIONS) == sorted(botocore.session.get_session().get_available_regions("ec2"))
    assert APP_RUNNER_REGIONS <= AWS_REGIONS
