"""``[network]``: where an ECS environment runs (``[app] compute = "ecs"``); App Runner needs none.

Either the stack creates a VPC (``cidr``, ``az_count``, ``nat``, ``vpc_endpoints``; all have defaults, so
``compute = "ecs"`` alone is a complete environment) or the team brings one (``vpc_id`` with its
``public_subnet_ids`` and ``private_subnet_ids``). Either way ``assign_public_ip`` chooses where the tasks
run: in the private subnets (default), or in the public subnets with public IPs (no NAT to pay for; their
security group admits only the load balancer).

The tasks must reach ECR, CloudWatch Logs and Secrets Manager to start, and the app calls Okta and Supabase
on the internet: a created VPC without NAT gateways therefore needs ``assign_public_ip``; interface
endpoints (``vpc_endpoints``) keep the AWS traffic private but do not reach the internet.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from constructs_lib._runtime.validation import FROZEN
from constructs_lib.compute.web_service import Compute
from constructs_lib.network.placement import NatGateways

__all__ = ["DEFAULT_CIDR", "NatGateways", "NetworkConfig", "check_network_compute"]

DEFAULT_CIDR = "10.0.0.0/16"
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$")


def _vpc_id(value: str) -> str:
    if not _VPC_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a VPC id: 'vpc-' and 8 or 17 hex digits (0-9, a-f)")
    return value


def _subnet_id(value: str) -> str:
    if not _SUBNET_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a subnet id: 'subnet-' and 8 or 17 hex digits (0-9, a-f)")
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IPv4 network with no host bits set (e.g. {DEFAULT_CIDR})"
        ) from None
    if not 16 <= network.prefixlen <= 24:
        raise ValueError(
            f"{value!r}: a VPC of /{network.prefixlen} is not allowed; use /16 to /24 (each of the "
            "public and private subnets gets a sixteenth of it)"
        )
    return value


SubnetIds = tuple[Annotated[str, AfterValidator(_subnet_id)], ...]


class NetworkConfig(BaseModel):
    """The ``[network]`` table."""

    model_config = FROZEN

    vpc_id: Annotated[str, AfterValidator(_vpc_id)] | None = None
    """An existing VPC. Default: the stack creates one."""
    public_subnet_ids: SubnetIds = ()
    """With ``vpc_id``: at least two, in different Availability Zones (the load balancer's)."""
    private_subnet_ids: SubnetIds = ()
    """With ``vpc_id``: the tasks' subnets (at least two; not needed with ``assign_public_ip``)."""
    cidr: Annotated[str, AfterValidator(_cidr)] | None = None
    """A created VPC's IPv4 range. Default: 10.0.0.0/16."""
    az_count: int | None = Field(default=None, strict=True, ge=2, le=3)
    """A created VPC's Availability Zones. Default: 2 (or as many as ``availability_zones`` names)."""
    availability_zones: tuple[str, ...] = ()
    """A created VPC's zones by name (``us-east-1a``, ...). Default: the first ``az_count`` the region
    lists as available when Terraform plans: pin them, or a zone that turns unavailable later shifts
    the others and replaces subnets."""
    nat: NatGateways | None = None
    """A created VPC's NAT gateways. Default: ``per_az`` in prd, ``single`` elsewhere."""
    vpc_endpoints: bool = Field(default=False, strict=True)
    """A created VPC's interface endpoints for ECR, CloudWatch Logs and Secrets Manager (~USD 7.30/month
    each per AZ: ~USD 58 for two AZs). Default: off; AWS traffic goes through NAT."""
    assign_public_ip: bool = Field(default=False, strict=True)
    """Default: tasks run in the private subnets. True: in the public subnets, with public IPs."""

    def check(self) -> None:
        """``ValueError`` (naming ``network.<key>``) unless the tasks can run where this places them.

        Called by the environment's config (whose errors carry no table prefix), not as a validator.
        """
        created = {
            "cidr": self.cidr,
            "az_count": self.az_count,
            "availability_zones": self.availability_zones or None,
            "nat": self.nat,
        }
        if self.vpc_id is None:
            given = [k for k in ("public_subnet_ids", "private_subnet_ids") if getattr(self, k)]
            if given:
                raise ValueError(
                    f"network.{given[0]}: subnet ids need the VPC they belong to (network.vpc_id); "
                    "without vpc_id the stack creates the VPC and its subnets"
                )
            if self.nat is NatGateways.NONE and not self.assign_public_ip:
                raise ValueError(
                    "network.nat: 'none' leaves tasks in private subnets without a way to the internet: "
                    "they could not pull the image (and the app could not reach Okta or Supabase); "
                    "set nat = 'single' or 'per_az', or assign_public_ip = true"
                    + (
                        " (vpc_endpoints reach ECR, Logs and Secrets Manager, not the internet)"
                        if self.vpc_endpoints
                        else ""
                    )
                )
            return
        mixed = [k for k, v in created.items() if v is not None]
        if self.vpc_endpoints:
            mixed.append("vpc_endpoints")
        if mixed:
            raise ValueError(
                f"network.{mixed[0]}: not allowed with vpc_id: the VPC exists, its range, zones, NAT "
                "gateways and endpoints are its own (leave vpc_id out to have the stack create one)"
            )
        if len(self.public_subnet_ids) < 2:
            raise ValueError(
                f"network.public_subnet_ids: {list(self.public_subnet_ids)}: the load balancer needs at "
                "least two public subnets, in different Availability Zones"
            )
        if not self.assign_public_ip and len(self.private_subnet_ids) < 2:
            raise ValueError(
                f"network.private_subnet_ids: {list(self.private_subnet_ids)}: the tasks need at least two "
                "private subnets (with a way to the internet, e.g. NAT), or set assign_public_ip = true"
            )
        for field in ("public_subnet_ids", "private_subnet_ids"):
            ids = getattr(self, field)
            if len(set(ids)) != len(ids):
                raise ValueError(f"network.{field}: {list(ids)} names a subnet twice")

    def check_zones(self, region: str) -> None:
        """``ValueError`` unless ``availability_zones`` are distinct zones of ``region``, as many as
        ``az_count`` (when both are given)."""
        zones = self.availability_zones
        if not zones:
            return
        wrong = [z for z in zones if not re.fullmatch(re.escape(region) + "[a-z]", z)]
        if wrong or len(set(zones)) != len(zones) or not 2 <= len(zones) <= 3:
            raise ValueError(
                f"network.availability_zones: {list(zones)}: give 2 or 3 different zones of {region} "
                f"({region}a, {region}b, ...)"
            )
        if self.az_count is not None and self.az_count != len(zones):
            raise ValueError(
                f"network.az_count: {self.az_count} but availability_zones names {len(zones)} zones; "
                "give one of them, or both alike"
            )

    @property
    def zone_count(self) -> int:
        """How many zones a created VPC spans: ``az_count``, the zones named, or 2."""
        return self.az_count or len(self.availability_zones) or 2

    @property
    def creates_vpc(self) -> bool:
        """Whether the stack creates the VPC (no ``vpc_id``)."""
        return self.vpc_id is None

    def nat_for(self, production: bool) -> NatGateways:
        """``nat``, or its default: one per AZ where an outage matters (prd), else one."""
        if self.nat is not None:
            return self.nat
        return NatGateways.PER_AZ if production else NatGateways.SINGLE


def check_network_compute(network: NetworkConfig | None, compute: Compute, region: str) -> None:
    """``[network]`` places an ECS service: refused (``ValueError``) with another backend, or where the
    tasks could not run."""
    if network is None:
        return
    if compute is not Compute.ECS:
        raise ValueError(
            f"network: the [network] table places an ECS service; this environment runs on "
            f'{compute.value} (set [app] compute = "ecs", or remove [network])'
        )
    network.check()
    network.check_zones(region)
