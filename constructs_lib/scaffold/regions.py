"""The AWS regions a CORA project can be created in (the tables live in :mod:`constructs_lib.regions`,
which the config's ``region`` check uses too)."""

from constructs_lib.regions import APP_RUNNER_REGIONS, AWS_REGIONS, region_problem

__all__ = ["APP_RUNNER_REGIONS", "AWS_REGIONS", "region_problem"]
