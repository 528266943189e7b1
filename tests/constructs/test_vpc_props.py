"""VpcProps: the defaults, and bad settings refused with the field, the value and what is allowed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from constructs_lib.network.vpc import NatGateways, VpcProps


def test_defaults_are_two_zones_one_nat_gateway_no_interface_endpoints():
    props = VpcProps(name="cora-dev", region="eu-west-1")
    assert (props.cidr, props.az_count, props.nat, props.vpc_endpoints) == (
        "10.0.0.0/16",
        2,
        NatGateways.SINGLE,
        False,
    )
    assert props.flow_log_retention_days == 30


# -- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "why"),
    [
        ("10.0.0.0/15", "prefix /15"),
        ("10.0.0.0/25", "prefix /25"),
        ("10.0.0.1/16", "host bits set"),
        ("10.0.0.0", "is not allowed"),
        ("fd00::/56", "is not allowed"),
        ("10.0.0/16", "not a network"),
        ("ten/16", "not a network"),
    ],
)
def test_bad_cidr_is_refused_with_its_value_and_what_is_allowed(cidr, why):
    with pytest.raises(ValidationError) as caught:
        VpcProps(name="cora-dev", region="eu-west-1", cidr=cidr)
    message = str(caught.value)
    assert "cidr" in message
    assert repr(cidr) in message
    assert why in message
    assert "/16 to /24" in message


@pytest.mark.parametrize("az_count", [0, 1, 4, 6])
def test_az_count_other_than_two_or_three_is_refused(az_count):
    with pytest.raises(ValidationError, match=rf"az_count {az_count} is not allowed; use 2 or 3"):
        VpcProps(name="cora-dev", region="eu-west-1", az_count=az_count)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("flow_log_retention_days", 31, "allowed: 1, 3, 5"),
        ("kms_key_arn", "alias/mine", "kms_key_arn: 'alias/mine' is not a KMS key ARN"),
        ("name", "Cora_Dev", "name 'Cora_Dev' is invalid"),
        ("name", "sg-cora", "name 'sg-cora' is invalid: .* not starting with 'sg-'"),
        ("region", "Europe", "AWS region 'Europe' is invalid"),
        ("tags", {"Name": "mine"}, r"keys \['Name'\]; leave out 'Name'"),
        ("tags", {f"k{i}": "v" for i in range(50)}, "give at most 49"),
        ("nat", "double", "nat"),
    ],
)
def test_other_bad_settings_are_refused(field, value, match):
    values = {"name": "cora-dev", "region": "eu-west-1", field: value}
    with pytest.raises(ValidationError, match=match):
        VpcProps(**values)
