"""``Network``: where a container backend runs: the VPC and its public and private subnets.

Either the stack creates the VPC (:class:`~constructs_lib.network.vpc.Vpc`, whose ``network`` is one
of these) or a team brings its own (``[network] vpc_id`` and subnet ids from config): the load balancer
and the service take this value either way and never ask which.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["NatGateways", "Network"]


class NatGateways(StrEnum):
    """How the private subnets reach the internet."""

    NONE = "none"
    """No NAT gateway and no default route: tasks in private subnets reach only the VPC and its
    endpoints (turn ``vpc_endpoints`` on, or run tasks in the public subnets with public IPs)."""
    SINGLE = "single"
    """One NAT gateway in the first public subnet, shared by every zone (~USD 32/month)."""
    PER_AZ = "per_az"
    """One NAT gateway per zone: a zone's failure does not cut the others off (~USD 32/month each)."""


@dataclass(frozen=True)
class Network:
    """A VPC and its subnets (ids, or tokens until apply)."""

    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    """Where the internet-facing load balancer lives (at least two Availability Zones)."""
    private_subnet_ids: tuple[str, ...]
    """Where the tasks live, unless they take public IPs in the public subnets."""
