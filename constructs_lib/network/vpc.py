"""``Vpc``: the network an ECS environment gets when it does not bring its own.

Two tiers in ``az_count`` Availability Zones: public subnets (the load balancer, the NAT gateways) with a
route to an internet gateway, and private subnets (the tasks) whose way out is a NAT gateway, VPC
endpoints, or nothing. Flow logs record all traffic; the default security group admits nothing.

What it costs each month (us-east-1 list prices; other regions differ a little):
- NAT gateway: ~USD 32 each plus USD 0.045 per GB it processes. ``single`` pays once but the private
  subnets of every zone lose their way out when the first zone fails; ``per_az`` pays ``az_count`` times.
- Interface endpoints (``vpc_endpoints``): ~USD 7.30 per endpoint per zone, so the four here in two
  zones ~USD 58 (three zones ~USD 88), plus USD 0.01 per GB. They keep image pulls, logs and secret
  reads off the NAT gateway (and off the internet). The S3 gateway endpoint is free and always there.
- ``none`` with tasks in the public subnets and public IPs: no NAT cost, but every task has a public
  address (its security group is then the only thing between it and the internet).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from cdktf import Fn, ITerraformDependable, Token
from constructs import Construct
from pydantic import BaseModel, Field, field_validator, model_validator

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.validation import (
    FROZEN,
    MAX_TAGS,
    LogRetentionDays,
    check_kms_key_arn,
    check_tags,
)
from constructs_lib.iam.statements import PolicyStatement, grant, service_role
from constructs_lib.network.placement import NatGateways, Network
from constructs_lib.state_backend import Region

__all__ = ["NatGateways", "Vpc", "VpcProps"]

# Prefixes the library offers: /16 is the largest VPC AWS creates; at /24 the subnets (/28, see
# _subnet_cidrs) are the smallest AWS creates, 11 usable addresses each.
MIN_PREFIX, MAX_PREFIX = 16, 24
AZ_COUNTS = (2, 3)
# 1-48 characters keep derived names inside AWS's limits (IAM's 64 for the flow log role, 14 more);
# security group names may not start with "sg-".
_NAME = re.compile(r"^(?!sg-)[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$")
# What a Fargate task in a private subnet needs without a NAT gateway: its image (ecr.api, ecr.dkr; the
# layers come from S3 through the gateway endpoint), its logs and its secrets.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")


def _subnet_cidrs(cidr: str, az_count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The public and the private subnet CIDRs, one each per zone.

    The VPC is cut into 16 equal blocks (prefix + 4): public subnet ``i`` is block ``i`` and private
    subnet ``i`` is block ``8 + i``. All private subnets then sit in the upper half of the VPC (one
    ``/prefix+1`` covers them, for a route or a firewall rule), both tiers have room for 8 zones, and a
    subnet's address says which tier it is in. Computed here, not by Terraform's ``cidrsubnet``, so the
    JSON holds literal, reviewable strings.
    """
    blocks = list(ipaddress.IPv4Network(cidr).subnets(prefixlen_diff=4))
    public = tuple(str(blocks[i]) for i in range(az_count))
    private = tuple(str(blocks[8 + i]) for i in range(az_count))
    return public, private


class VpcProps(BaseModel):
    """Settings of a :class:`Vpc`."""

    model_config = FROZEN

    name: str
    """The ``<project>-<env>`` prefix of every Name tag and resource name (``cora-dev``): 1-48 lowercase
    letters, digits or ``-``."""
    region: Region
    """The stack's region: it names the endpoint services (``com.amazonaws.<region>.s3``)."""
    cidr: str = "10.0.0.0/16"
    """The VPC's IPv4 range, a network address with a prefix of /16 to /24. Default: 10.0.0.0/16 (pick
    a range that does not overlap networks this VPC may one day be peered or connected with)."""
    az_count: int = Field(default=2, strict=True)
    """Availability Zones used, 2 or 3. Default: 2, the least a load balancer accepts."""
    availability_zones: tuple[str, ...] = ()
    """Default: the first ``az_count`` zones the region lists as available at plan time. ``az_count``
    zone names (``("eu-west-1a", "eu-west-1b")``) pin them as literal text: a zone impaired at a later
    plan (the others move up the list) can then never move, and so replace, a subnet."""
    nat: NatGateways = NatGateways.SINGLE
    """Default: one NAT gateway shared by every zone (see :class:`NatGateways` for the cost)."""
    vpc_endpoints: bool = Field(default=False, strict=True)
    """Default: off. On: interface endpoints for ECR (api, dkr), CloudWatch Logs and Secrets Manager in
    the private subnets (~USD 7.30 per endpoint per zone each month), with private DNS."""
    flow_log_retention_days: LogRetentionDays = 30
    """How long CloudWatch keeps the flow logs. Default: 30 days."""
    kms_key_arn: str | None = None
    """Default: the flow log group is encrypted with CloudWatch's own key. A customer key must allow
    ``logs.<region>.amazonaws.com`` to use it (its key policy), or the log group cannot be created."""
    tags: Mapping[str, str] = Field(default_factory=dict)
    """Tags on every resource besides its ``Name`` (which the construct sets)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(
                f"name {value!r} is invalid: use 1-48 lowercase letters, digits or '-', starting and "
                "ending with a letter or digit, not starting with 'sg-' (a security group is <name>-...)"
            )
        return value

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        allowed = f"expected an IPv4 network address with a prefix of /{MIN_PREFIX} to /{MAX_PREFIX}"
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"cidr {value!r} is not a network in CIDR notation; {allowed}") from None
        if network.version != 4 or "/" not in value:
            problem = "is not allowed"
        elif not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
            problem = f"has prefix /{network.prefixlen}"
        elif str(network) != value:  # AWS would silently use the network address
            problem = f"has host bits set (the network is {network})"
        else:
            return value
        raise ValueError(f"cidr {value!r} {problem}; {allowed}, e.g. 10.0.0.0/16")

    @field_validator("az_count")
    @classmethod
    def _az_count(cls, value: int) -> int:
        if value not in AZ_COUNTS:
            raise ValueError(f"az_count {value} is not allowed; use 2 or 3 (a load balancer needs 2 zones)")
        return value

    @model_validator(mode="after")
    def _zones(self) -> VpcProps:
        zones = self.availability_zones
        ours = all(re.fullmatch(rf"{re.escape(self.region)}[a-z]", z) for z in zones)
        if zones and (len(set(zones)) != len(zones) or len(zones) != self.az_count or not ours):
            raise ValueError(
                f"availability_zones {list(zones)} is not allowed: give az_count ({self.az_count}) different "
                f"zone names of {self.region} (such as {self.region}a), or none for the first available ones"
            )
        return self

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("kms_key_arn", value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        if any(key.lower() == "name" for key in check_tags("tags", value)) or len(value) >= MAX_TAGS:
            raise ValueError(
                f"tags: {len(value)} tags, keys {sorted(value)}; leave out 'Name' (Vpc sets it on each "
                f"resource: <name>, <name>-public-0, ...) and give at most {MAX_TAGS - 1}"
            )
        return value


class Vpc(Construct):
    """A two-tier VPC for an ECS Fargate service behind a load balancer (see the module docstring for
    what it creates and the monthly cost: NAT gateway ~USD 32 each plus USD 0.045/GB, interface
    endpoints ~USD 7.30 per endpoint per zone). Construct ids: ``vpc``, ``igw``, ``public-<i>``,
    ``private-<i>``, ``nat-<i>``, ``public-rt``, ``private-<i>-rt``, ``s3-endpoint``, ``flow-log``, ...
    """

    def __init__(self, scope: Construct, id_: str, *, props: VpcProps) -> None:
        with unique_id("Vpc", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        tags = self._tags
        # DNS support and hostnames: the interface endpoints' private DNS needs both.
        self.vpc = _aws.Vpc(
            self,
            "vpc",
            cidr_block=props.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags(),
        )
        vpc_id: str = self.vpc.id  # read once: every attribute read is a round trip to the jsii kernel
        # Managing the default group removes its rules: nothing may fall back on it (checkov CKV2_AWS_12).
        self.default_security_group = _aws.DefaultSecurityGroup(
            self, "default-sg", vpc_id=vpc_id, ingress=[], egress=[], tags=tags("default")
        )
        self.internet_gateway = _aws.InternetGateway(self, "igw", vpc_id=vpc_id, tags=tags())
        if props.availability_zones:
            zones = list(props.availability_zones)
        else:
            names = _aws.DataAwsAvailabilityZones(self, "azs", state="available").names
            zones = [Token.as_string(Fn.element(names, i)) for i in range(props.az_count)]

        public, private = _subnet_cidrs(props.cidr, props.az_count)
        self.public_subnets = [self._subnet(f"public-{i}", vpc_id, c, zones[i]) for i, c in enumerate(public)]
        self.private_subnets = [
            self._subnet(f"private-{i}", vpc_id, c, zones[i]) for i, c in enumerate(private)
        ]
        public_ids = [s.id for s in self.public_subnets]
        private_ids = [s.id for s in self.private_subnets]

        self.public_route_table = _aws.RouteTable(self, "public-rt", vpc_id=vpc_id, tags=tags("public"))
        public_rt: str = self.public_route_table.id
        self._default_route("public-default-route", public_rt, gateway_id=self.internet_gateway.id)
        for i, subnet in enumerate(public_ids):
            _aws.RouteTableAssociation(self, f"public-{i}-rta", subnet_id=subnet, route_table_id=public_rt)

        self.nat_gateways: list[_aws.NatGateway] = []
        nat_count = {NatGateways.NONE: 0, NatGateways.SINGLE: 1, NatGateways.PER_AZ: props.az_count}
        for i in range(nat_count[props.nat]):
            # An EIP and a NAT gateway need the internet gateway attached first (Terraform's advice).
            after_igw: list[ITerraformDependable] = [self.internet_gateway]
            eip = _aws.Eip(self, f"nat-{i}-eip", domain="vpc", tags=tags(f"nat-{i}"), depends_on=after_igw)
            nat = _aws.NatGateway(
                self,
                f"nat-{i}",
                allocation_id=eip.allocation_id,
                subnet_id=public_ids[i],
                tags=tags(f"nat-{i}"),
                depends_on=after_igw,
            )
            self.nat_gateways.append(nat)
        nat_ids = [nat.id for nat in self.nat_gateways]

        # A table per zone: per_az keeps each zone's traffic in its zone (single: every zone uses nat-0).
        self.private_route_tables: list[_aws.RouteTable] = []
        for i, subnet in enumerate(private_ids):
            table = _aws.RouteTable(self, f"private-{i}-rt", vpc_id=vpc_id, tags=tags(f"private-{i}"))
            self.private_route_tables.append(table)
            table_id: str = table.id
            _aws.RouteTableAssociation(self, f"private-{i}-rta", subnet_id=subnet, route_table_id=table_id)
            if nat_ids:
                nat_id = nat_ids[i % len(nat_ids)]
                self._default_route(f"private-{i}-default-route", table_id, nat_gateway_id=nat_id)

        # Free, and ECR serves image layers from S3: pulls through it cost no NAT data processing.
        self.s3_endpoint = _aws.VpcEndpoint(
            self,
            "s3-endpoint",
            vpc_id=vpc_id,
            service_name=f"com.amazonaws.{props.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in self.private_route_tables],
            tags=tags("s3"),
        )
        self.endpoints_security_group: _aws.SecurityGroup | None = None
        self.interface_endpoints: dict[str, _aws.VpcEndpoint] = {}
        if props.vpc_endpoints:
            self._interface_endpoints(vpc_id, private_ids)
        self._flow_logs(vpc_id)
        self._network = Network(vpc_id, tuple(public_ids), tuple(private_ids))

    def _tags(self, suffix: str = "") -> dict[str, str]:
        """The tags of a resource named ``<name>-<suffix>`` (``<name>`` without a suffix)."""
        name = self.props.name
        return {**self.props.tags, "Name": f"{name}-{suffix}" if suffix else name}

    def _subnet(self, id_: str, vpc_id: str, cidr: str, zone: str) -> _aws.Subnet:
        # No public IPs on launch: a task gets one only when its service asks (assign_public_ip).
        return _aws.Subnet(
            self,
            id_,
            vpc_id=vpc_id,
            cidr_block=cidr,
            availability_zone=zone,
            map_public_ip_on_launch=False,
            tags=self._tags(id_),
        )

    def _default_route(
        self, id_: str, table_id: str, *, gateway_id: str | None = None, nat_gateway_id: str | None = None
    ) -> None:
        _aws.Route(
            self,
            id_,
            route_table_id=table_id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway_id,
            nat_gateway_id=nat_gateway_id,
        )

    def _interface_endpoints(self, vpc_id: str, private_ids: list[str]) -> None:
        tags = self._tags
        group = _aws.SecurityGroup(
            self,
            "endpoints-sg",
            name=f"{self.props.name}-vpc-endpoints",
            description="HTTPS from inside the VPC to its interface endpoints",
            vpc_id=vpc_id,
            tags=tags("vpc-endpoints"),
        )
        # No egress rule: an endpoint only answers, and security groups let answers out.
        _aws.VpcSecurityGroupIngressRule(
            self,
            "endpoints-sg-https",
            security_group_id=group.id,
            description="HTTPS from the VPC",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=self.props.cidr,
        )
        self.endpoints_security_group = group
        group_id: str = group.id
        for service in INTERFACE_ENDPOINTS:
            short = service.replace(".", "-")
            self.interface_endpoints[service] = _aws.VpcEndpoint(
                self,
                f"{short}-endpoint",
                vpc_id=vpc_id,
                service_name=f"com.amazonaws.{self.props.region}.{service}",
                vpc_endpoint_type="Interface",
                subnet_ids=private_ids,
                security_group_ids=[group_id],
                private_dns_enabled=True,
                tags=tags(short),
            )

    def _flow_logs(self, vpc_id: str) -> None:
        props, tags = self.props, self._tags
        self.flow_log_group = _aws.CloudwatchLogGroup(
            self,
            "flow-logs",
            name=f"/aws/vpc-flow-logs/{props.name}",
            retention_in_days=props.flow_log_retention_days,
            kms_key_id=props.kms_key_arn,
            tags=tags("flow-logs"),
        )
        self.flow_log_role = service_role(
            self,
            "flow-logs-role",
            name=f"{props.name}-vpc-flow-logs",
            service_principal="vpc-flow-logs.amazonaws.com",
            description=f"VPC flow logs of {props.name} write to their log group",
            tags=props.tags,
        )
        group_arn: str = self.flow_log_group.arn
        # The group exists (this construct made it): the service needs only its streams. Describe and
        # create of log groups act on other groups too, so they are left out.
        policy = grant(
            self,
            "write-flow-logs",
            self.flow_log_role,
            policy_name=f"{props.name}-vpc-flow-logs",
            statements=[
                PolicyStatement(
                    sid="WriteFlowLogs",
                    actions=("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
                    resources=(group_arn, f"{group_arn}:*"),
                )
            ],
            detail="flow-logs",
        )
        self.flow_log = _aws.FlowLog(
            self,
            "flow-log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group_arn,
            iam_role_arn=self.flow_log_role.arn,
            tags=tags("flow-log"),
            depends_on=[policy],  # deliveries fail until the role may write
        )

    @property
    def network(self) -> Network:
        """The VPC id and the public and private subnet ids, by zone (tokens until apply)."""
        return self._network

    @property
    def cidr(self) -> str:
        """The VPC's IPv4 range (literal text, e.g. ``10.0.0.0/16``)."""
        return self.props.cidr

    @property
    def nat(self) -> NatGateways:
        """How the private subnets reach the internet."""
        return self.props.nat

    @property
    def has_vpc_endpoints(self) -> bool:
        """Whether tasks in private subnets reach ECR, Logs and Secrets Manager through endpoints."""
        return self.props.vpc_endpoints
