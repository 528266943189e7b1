"""``[app] compute`` and ``[network]``: one key switches an environment to ECS; sizes, regions and
networks are checked against the backend that runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from constructs_lib import ConfigError, Cpu, Memory
from constructs_lib.compute.fargate_sizes import FargateCpu
from constructs_lib.compute.web_service import Compute
from constructs_lib.stacks import load_config
from constructs_lib.stacks.config import NatGateways
from tests.config.helpers import write_config
from tests.conftest import Mutation, set_key

ECS = set_key("app.compute", "ecs")


def _load(tmp_path: Path, env: str, *changes: Mutation):  # type: ignore[no-untyped-def]
    return load_config(env, write_config(tmp_path, env, *changes))


def _refused(tmp_path: Path, env: str, *changes: Mutation) -> str:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, env, *changes)
    return str(err.value)


def test_app_runner_is_the_default_and_keeps_its_enums(tmp_path: Path) -> None:
    config = _load(tmp_path, "dev")
    assert config.app.compute is Compute.APPRUNNER
    assert config.app.cpu is Cpu.ONE_VCPU and config.app.memory is Memory.TWO_GB


def test_compute_ecs_alone_is_a_complete_environment(tmp_path: Path) -> None:
    config = _load(tmp_path, "dev", ECS)
    assert config.app.compute is Compute.ECS
    network = config.network_settings
    assert network.creates_vpc and not network.assign_public_ip and not network.vpc_endpoints
    assert network.nat_for(production=False) is NatGateways.SINGLE


def test_prd_gets_a_nat_gateway_per_zone_by_default(tmp_path: Path) -> None:
    config = _load(tmp_path, "prd", ECS)
    assert config.network_settings.nat_for(production=True) is NatGateways.PER_AZ
    assert (
        _load(tmp_path, "prd", ECS, set_key("network.nat", "single")).network_settings.nat_for(
            production=True
        )
        is NatGateways.SINGLE
    )


def test_fargate_sizes_beyond_app_runner_need_ecs(tmp_path: Path) -> None:
    big = (set_key("app.cpu", "8192"), set_key("app.memory", "32768"))
    config = _load(tmp_path, "dev", ECS, *big)
    assert config.app.cpu is FargateCpu.EIGHT_VCPU and config.app.memory == "32768"
    message = _refused(tmp_path, "dev", *big)
    assert "dev.toml" in message and "8192" in message and 'compute = "ecs"' in message


@pytest.mark.parametrize(
    ("cpu", "memory", "allowed"),
    [
        ("1024", "1024", "2048-8192 in steps of 1024"),
        ("256", "3072", "512, 1024, 2048"),
        ("8192", "18432", "16384-61440 in steps of 4096"),
    ],
)
def test_a_pair_fargate_does_not_offer_is_refused_with_the_pairs_it_does(
    tmp_path: Path, cpu: str, memory: str, allowed: str
) -> None:
    message = _refused(tmp_path, "dev", ECS, set_key("app.cpu", cpu), set_key("app.memory", memory))
    assert f"memory {memory} MB is not available on Fargate with cpu {cpu}" in message
    assert allowed in message


def test_a_region_without_app_runner_is_fine_for_ecs(tmp_path: Path) -> None:
    assert _load(tmp_path, "dev", ECS, set_key("region", "sa-east-1")).region == "sa-east-1"
    message = _refused(tmp_path, "dev", set_key("region", "sa-east-1"))
    assert "region" in message and "App Runner is not available" in message and 'compute = "ecs"' in message
    assert "not an AWS region" in _refused(tmp_path, "dev", ECS, set_key("region", "xx-nowhere-9"))


def test_network_is_refused_on_app_runner(tmp_path: Path) -> None:
    message = _refused(tmp_path, "dev", set_key("network.az_count", 3))
    assert "network" in message and "apprunner" in message and 'compute = "ecs"' in message


EXISTING = {
    "vpc_id": "vpc-0123456789abcdef0",
    "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    "private_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
}


def test_an_existing_vpc_is_taken_as_given(tmp_path: Path) -> None:
    network = _load(tmp_path, "stg", ECS, set_key("network", EXISTING)).network_settings
    assert not network.creates_vpc
    assert network.private_subnet_ids == tuple(EXISTING["private_subnet_ids"])


@pytest.mark.parametrize(
    ("network", "key", "rule"),
    [
        ({"nat": "none"}, "network.nat", "could not pull the image"),
        ({"nat": "none", "vpc_endpoints": True}, "network.nat", "not the internet"),
        ({"cidr": "10.0.0.0/8"}, "network.cidr", "/16 to /24"),
        ({"cidr": "10.0.0.1/16"}, "network.cidr", "no host bits"),
        ({"az_count": 4}, "network.az_count", "3"),
        ({"nat": "two"}, "network.nat", "per_az"),
        ({**EXISTING, "nat": "single"}, "network.nat", "not allowed with vpc_id"),
        ({**EXISTING, "vpc_endpoints": True}, "network.vpc_endpoints", "not allowed with vpc_id"),
        ({**EXISTING, "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1"]}, "network.public_subnet_ids", "two"),
        ({**EXISTING, "private_subnet_ids": []}, "network.private_subnet_ids", "assign_public_ip"),
        ({"public_subnet_ids": EXISTING["public_subnet_ids"]}, "network.public_subnet_ids", "vpc_id"),
        ({**EXISTING, "vpc_id": "vpc-123"}, "network.vpc_id", "8 or 17 hex"),
        ({"vpc_ids": "vpc-0123456789abcdef0"}, "network", "vpc_id"),
    ],
)
def test_a_network_that_cannot_run_the_tasks_is_refused(
    tmp_path: Path, network: dict[str, object], key: str, rule: str
) -> None:
    message = _refused(tmp_path, "dev", ECS, set_key("network", network))
    assert key in message and rule in message


def test_public_ips_make_a_vpc_without_nat_work(tmp_path: Path) -> None:
    config = _load(tmp_path, "dev", ECS, set_key("network", {"nat": "none", "assign_public_ip": True}))
    assert config.network_settings.nat_for(production=False) is NatGateways.NONE


def test_pinned_zones_set_the_zone_count(tmp_path: Path) -> None:
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    network = _load(tmp_path, "dev", ECS, set_key("network", {"availability_zones": zones})).network_settings
    assert network.zone_count == 3 and network.availability_zones == tuple(zones)


@pytest.mark.parametrize(
    ("network", "key", "rule"),
    [
        (
            {"availability_zones": ["eu-west-1a", "eu-west-1b"]},
            "network.availability_zones",
            "zones of us-east-1",
        ),
        ({"availability_zones": ["us-east-1a", "us-east-1a"]}, "network.availability_zones", "different"),
        ({"availability_zones": ["us-east-1a"]}, "network.availability_zones", "2 or 3"),
        (
            {"availability_zones": ["us-east-1a", "us-east-1b"], "az_count": 3},
            "network.az_count",
            "both alike",
        ),
        (
            {**EXISTING, "availability_zones": ["us-east-1a", "us-east-1b"]},
            "network.availability_zones",
            "vpc_id",
        ),
    ],
)
def test_pinned_zones_are_the_regions_own(
    tmp_path: Path, network: dict[str, object], key: str, rule: str
) -> None:
    message = _refused(tmp_path, "dev", ECS, set_key("network", network))
    assert key in message and rule in message


def test_arm64_tasks_need_ecs(tmp_path: Path) -> None:
    arm = set_key("app.cpu_architecture", "ARM64")
    assert _load(tmp_path, "dev", ECS, arm).app.cpu_architecture.value == "ARM64"
    message = _refused(tmp_path, "dev", arm)
    assert "app" in message and "ARM64 needs ECS" in message and "x86_64 images only" in message
    assert "'X86_64' or 'ARM64'" in _refused(tmp_path, "dev", ECS, set_key("app.cpu_architecture", "arm"))
