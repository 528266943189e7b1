"""Vpc: two tiers per zone with literal CIDRs, NAT choices and their routes, endpoints, flow logs, a
closed default security group, input validation, and valid Terraform."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
from cdktf import App, TerraformOutput, TerraformStack
from pydantic import ValidationError

from constructs_lib.network.vpc import NatGateways, Vpc, VpcProps
from constructs_lib.stacks.provider import add_aws_provider
from tests.conftest import Synthesized, data_sources, only, resources

KMS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
INTERFACE_SERVICES = {
    "com.amazonaws.eu-west-1.ecr.api",
    "com.amazonaws.eu-west-1.ecr.dkr",
    "com.amazonaws.eu-west-1.logs",
    "com.amazonaws.eu-west-1.secretsmanager",
}


# -- helpers ------------------------------------------------------------------------------------------


def build_vpc(**overrides: Any):
    """A builder for ``synth``: one Vpc with these prop overrides."""

    def build(stack: TerraformStack) -> Vpc:
        values = {"name": "cora-dev", "region": "eu-west-1", **overrides}
        return Vpc(stack, "net", props=VpcProps(**values))

    return build


def by_name(doc: Synthesized, kind: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Resources of one type by their Name tag: (logical id, config)."""
    found = doc.get("resource", {}).get(kind, {})
    return {config["tags"]["Name"]: (logical_id, config) for logical_id, config in found.items()}


def ref(kind: str, logical_id: str, attribute: str = "id") -> str:
    return f"${{{kind}.{logical_id}.{attribute}}}"


def named_ref(doc: Synthesized, kind: str, name: str, attribute: str = "id") -> str:
    """The Terraform reference to an attribute of the resource with this Name tag."""
    return ref(kind, by_name(doc, kind)[name][0], attribute)


def default_routes(doc: Synthesized) -> dict[str, dict[str, Any]]:
    """Route table reference → its 0.0.0.0/0 route."""
    routes = [r for r in resources(doc, "aws_route") if r["destination_cidr_block"] == "0.0.0.0/0"]
    return {r["route_table_id"]: r for r in routes}


def associations(doc: Synthesized) -> dict[str, str]:
    """Subnet reference → route table reference."""
    return {a["subnet_id"]: a["route_table_id"] for a in resources(doc, "aws_route_table_association")}


# -- subnets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "az_count", "public", "private"),
    [
        ("10.0.0.0/16", 2, ["10.0.0.0/20", "10.0.16.0/20"], ["10.0.128.0/20", "10.0.144.0/20"]),
        (
            "172.16.0.0/20",
            3,
            ["172.16.0.0/24", "172.16.1.0/24", "172.16.2.0/24"],
            ["172.16.8.0/24", "172.16.9.0/24", "172.16.10.0/24"],
        ),
        (
            "192.168.7.0/24",
            3,
            ["192.168.7.0/28", "192.168.7.16/28", "192.168.7.32/28"],
            ["192.168.7.128/28", "192.168.7.144/28", "192.168.7.160/28"],
        ),
    ],
)
def test_one_public_and_one_private_subnet_per_zone_with_literal_cidrs(
    synth, cidr, az_count, public, private
):
    doc = synth(build_vpc(cidr=cidr, az_count=az_count))
    assert only(resources(doc, "aws_vpc"))["cidr_block"] == cidr
    subnets = by_name(doc, "aws_subnet")
    assert sorted(subnets) == sorted(
        [f"cora-dev-public-{i}" for i in range(az_count)] + [f"cora-dev-private-{i}" for i in range(az_count)]
    )
    (zones_id,) = data_sources(doc, "aws_availability_zones")
    assert data_sources(doc, "aws_availability_zones")[zones_id] == {"state": "available"}
    for tier, cidrs in (("public", public), ("private", private)):
        for i, expected in enumerate(cidrs):
            subnet = subnets[f"cora-dev-{tier}-{i}"][1]
            assert subnet["cidr_block"] == expected
            assert subnet["availability_zone"] == (
                f"${{element(data.aws_availability_zones.{zones_id}.names, {i})}}"
            )
            assert subnet["map_public_ip_on_launch"] is False


def test_pinned_zones_are_literal_text_and_need_no_data_source(synth):
    doc = synth(build_vpc(az_count=3, availability_zones=("eu-west-1c", "eu-west-1a", "eu-west-1b")))
    assert data_sources(doc, "aws_availability_zones") == {}
    subnets = by_name(doc, "aws_subnet")
    for i, zone in enumerate(("eu-west-1c", "eu-west-1a", "eu-west-1b")):
        for tier in ("public", "private"):
            assert subnets[f"cora-dev-{tier}-{i}"][1]["availability_zone"] == zone


@pytest.mark.parametrize(
    "zones",
    [("eu-west-1a",), ("eu-west-1a", "eu-west-1a"), ("eu-west-1a", "us-east-1b"), ("eu-west-1a", "1b")],
)
def test_pinned_zones_must_be_az_count_different_zones_of_the_region(zones):
    with pytest.raises(
        ValidationError, match=r"availability_zones \[.*\] is not allowed: give az_count \(2\)"
    ):
        VpcProps(name="cora-dev", region="eu-west-1", availability_zones=zones)


def test_vpc_has_dns_support_and_hostnames(synth):
    vpc = only(resources(synth(build_vpc()), "aws_vpc"))
    assert vpc["enable_dns_support"] is True
    assert vpc["enable_dns_hostnames"] is True
    assert vpc["tags"] == {"Name": "cora-dev"}


def test_public_subnets_route_to_the_internet_gateway(synth):
    doc = synth(build_vpc(az_count=3))
    public_rt = named_ref(doc, "aws_route_table", "cora-dev-public")
    assert default_routes(doc)[public_rt]["gateway_id"] == named_ref(doc, "aws_internet_gateway", "cora-dev")
    table_of = associations(doc)
    for i in range(3):
        assert table_of[named_ref(doc, "aws_subnet", f"cora-dev-public-{i}")] == public_rt


# -- NAT gateways -------------------------------------------------------------------------------------


def test_no_nat_gateway_means_no_default_route_from_private_subnets(synth):
    doc = synth(build_vpc(nat=NatGateways.NONE))
    assert resources(doc, "aws_nat_gateway") == []
    assert resources(doc, "aws_eip") == []
    routes = default_routes(doc)
    assert list(routes) == [named_ref(doc, "aws_route_table", "cora-dev-public")]


def test_single_nat_gateway_in_the_first_public_subnet_serves_every_zone(synth):
    doc = synth(build_vpc(nat=NatGateways.SINGLE, az_count=3))
    (nat_id, nat), *_ = by_name(doc, "aws_nat_gateway").values()
    assert len(resources(doc, "aws_nat_gateway")) == 1
    assert nat["subnet_id"] == named_ref(doc, "aws_subnet", "cora-dev-public-0")
    assert nat["allocation_id"] == named_ref(doc, "aws_eip", "cora-dev-nat-0", "allocation_id")
    assert only(resources(doc, "aws_eip"))["domain"] == "vpc"
    routes, table_of = default_routes(doc), associations(doc)
    for i in range(3):
        table = named_ref(doc, "aws_route_table", f"cora-dev-private-{i}")
        assert table_of[named_ref(doc, "aws_subnet", f"cora-dev-private-{i}")] == table
        assert routes[table]["nat_gateway_id"] == ref("aws_nat_gateway", nat_id)


@pytest.mark.parametrize("az_count", [2, 3])
def test_a_nat_gateway_per_zone_serves_its_own_zone(synth, az_count):
    doc = synth(build_vpc(nat=NatGateways.PER_AZ, az_count=az_count))
    nats = by_name(doc, "aws_nat_gateway")
    assert len(nats) == az_count
    assert len(resources(doc, "aws_eip")) == az_count
    routes = default_routes(doc)
    for i in range(az_count):
        nat_id, nat = nats[f"cora-dev-nat-{i}"]
        assert nat["subnet_id"] == named_ref(doc, "aws_subnet", f"cora-dev-public-{i}")
        assert nat["allocation_id"] == named_ref(doc, "aws_eip", f"cora-dev-nat-{i}", "allocation_id")
        table = named_ref(doc, "aws_route_table", f"cora-dev-private-{i}")
        assert routes[table]["nat_gateway_id"] == ref("aws_nat_gateway", nat_id)


# -- endpoints ----------------------------------------------------------------------------------------


def test_s3_gateway_endpoint_is_always_on_the_private_route_tables(synth):
    doc = synth(build_vpc(nat=NatGateways.NONE))
    (s3,) = [e for e in resources(doc, "aws_vpc_endpoint") if e["vpc_endpoint_type"] == "Gateway"]
    assert s3["service_name"] == "com.amazonaws.eu-west-1.s3"
    assert s3["route_table_ids"] == [
        named_ref(doc, "aws_route_table", f"cora-dev-private-{i}") for i in range(2)
    ]


def test_without_vpc_endpoints_there_are_no_interface_endpoints(synth):
    doc = synth(build_vpc())
    assert [e["vpc_endpoint_type"] for e in resources(doc, "aws_vpc_endpoint")] == ["Gateway"]
    assert resources(doc, "aws_security_group") == []


def test_vpc_endpoints_sit_in_the_private_subnets_behind_https_from_the_vpc_only(synth):
    doc = synth(build_vpc(vpc_endpoints=True, cidr="10.20.0.0/16"))
    interface = [e for e in resources(doc, "aws_vpc_endpoint") if e["vpc_endpoint_type"] == "Interface"]
    assert {e["service_name"] for e in interface} == INTERFACE_SERVICES
    group = named_ref(doc, "aws_security_group", "cora-dev-vpc-endpoints")
    private = [named_ref(doc, "aws_subnet", f"cora-dev-private-{i}") for i in range(2)]
    for endpoint in interface:
        assert endpoint["private_dns_enabled"] is True
        assert endpoint["subnet_ids"] == private
        assert endpoint["security_group_ids"] == [group]
    rule = only(resources(doc, "aws_vpc_security_group_ingress_rule"))
    assert rule["security_group_id"] == group
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 443, 443)
    assert rule["cidr_ipv4"] == "10.20.0.0/16"
    assert resources(doc, "aws_vpc_security_group_egress_rule") == []
    assert "ingress" not in only(resources(doc, "aws_security_group"))


# -- flow logs and the default security group --------------------------------------------------------


@pytest.mark.parametrize(("retention", "kms"), [(30, None), (365, KMS_KEY)])
def test_flow_logs_record_all_traffic_into_a_retained_log_group(synth, retention, kms):
    doc = synth(build_vpc(flow_log_retention_days=retention, kms_key_arn=kms))
    group_id, group = only(list(doc["resource"]["aws_cloudwatch_log_group"].items()))
    assert group["retention_in_days"] == retention
    assert group.get("kms_key_id") == kms
    flow_log = only(resources(doc, "aws_flow_log"))
    assert flow_log["traffic_type"] == "ALL"
    assert flow_log["vpc_id"] == named_ref(doc, "aws_vpc", "cora-dev")
    assert flow_log["log_destination_type"] == "cloud-watch-logs"
    assert flow_log["log_destination"] == ref("aws_cloudwatch_log_group", group_id, "arn")
    policy_id = only(list(doc["resource"]["aws_iam_role_policy"]))
    assert flow_log["depends_on"] == [f"aws_iam_role_policy.{policy_id}"]  # may write before it starts


def test_flow_log_role_is_trusted_by_flow_logs_and_writes_only_to_its_group(synth):
    doc = synth(build_vpc())
    role_id, role = only(list(doc["resource"]["aws_iam_role"].items()))
    assert only(resources(doc, "aws_flow_log"))["iam_role_arn"] == ref("aws_iam_role", role_id, "arn")
    documents = data_sources(doc, "aws_iam_policy_document")
    trust = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(.+)\.json\}", role["assume_role_policy"])
    assert trust
    (statement,) = documents[trust[1]]["statement"]
    assert statement["principals"] == [{"identifiers": ["vpc-flow-logs.amazonaws.com"], "type": "Service"}]
    policy = only(resources(doc, "aws_iam_role_policy"))
    assert policy["role"] == ref("aws_iam_role", role_id, "name")
    policy_doc = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(.+)\.json\}", policy["policy"])
    assert policy_doc
    (statement,) = documents[policy_doc[1]]["statement"]
    group_arn = ref(
        "aws_cloudwatch_log_group", only(list(doc["resource"]["aws_cloudwatch_log_group"])), "arn"
    )
    assert statement["resources"] == [group_arn, f"{group_arn}:*"]
    assert set(statement["actions"]) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
    }


def test_default_security_group_has_no_rules(synth):
    doc = synth(build_vpc(vpc_endpoints=True))
    group = only(resources(doc, "aws_default_security_group"))
    assert group["vpc_id"] == named_ref(doc, "aws_vpc", "cora-dev")
    assert group["ingress"] == []
    assert group["egress"] == []


def test_tags_reach_every_tagged_resource_beside_its_name(synth):
    doc = synth(build_vpc(tags={"team": "cora"}, nat=NatGateways.PER_AZ, vpc_endpoints=True))
    for kind, found in doc["resource"].items():
        for config in found.values():
            if "tags" in config:
                assert config["tags"]["team"] == "cora", kind


# -- what the construct exposes ----------------------------------------------------------------------


def test_network_names_the_vpc_and_its_subnets_by_zone(synth):
    built: list[Vpc] = []

    def build(stack: TerraformStack) -> None:
        vpc = build_vpc(az_count=3, nat=NatGateways.PER_AZ, vpc_endpoints=True)(stack)
        built.append(vpc)
        net = vpc.network
        TerraformOutput(stack, "vpc", value=net.vpc_id)
        TerraformOutput(stack, "public", value=list(net.public_subnet_ids))
        TerraformOutput(stack, "private", value=list(net.private_subnet_ids))

    doc = synth(build)
    assert doc["output"]["vpc"]["value"] == named_ref(doc, "aws_vpc", "cora-dev")
    for tier in ("public", "private"):
        assert doc["output"][tier]["value"] == [
            named_ref(doc, "aws_subnet", f"cora-dev-{tier}-{i}") for i in range(3)
        ]
    (vpc,) = built
    assert (vpc.cidr, vpc.nat, vpc.has_vpc_endpoints) == ("10.0.0.0/16", NatGateways.PER_AZ, True)


def test_a_second_vpc_with_the_same_id_is_a_clear_error(synth):
    def build(stack: TerraformStack) -> None:
        build_vpc()(stack)
        build_vpc()(stack)

    with pytest.raises(ValueError, match="Vpc: construct id 'net' is already used"):
        synth(build)


# -- Terraform ----------------------------------------------------------------------------------------


@pytest.mark.terraform
def test_a_stack_holding_a_vpc_is_valid_terraform(terraform_env, tmp_path):
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: install Terraform >= 1.10 (see README)")
    app = App(outdir=str(tmp_path / "out"))
    stack = TerraformStack(app, "vpc")
    add_aws_provider(stack, region="eu-west-1", tags={"project": "cora"})
    Vpc(
        stack,
        "net",
        props=VpcProps(
            name="cora-dev",
            region="eu-west-1",
            az_count=3,
            nat=NatGateways.PER_AZ,
            vpc_endpoints=True,
            kms_key_arn=KMS_KEY,
            tags={"team": "cora"},
        ),
    )
    app.synth()
    work = tmp_path / "out" / "stacks" / "vpc"

    def terraform(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["terraform", *args], cwd=work, env=terraform_env, capture_output=True, text=True, check=False
        )

    init = terraform("init", "-backend=false", "-input=false", "-no-color")
    assert init.returncode == 0, init.stdout + init.stderr
    result = json.loads(terraform("validate", "-json", "-no-color").stdout)
    assert result["valid"] is True, json.dumps(result["diagnostics"], indent=2)
    assert (result["error_count"], result["warning_count"]) == (0, 0), json.dumps(result["diagnostics"])
