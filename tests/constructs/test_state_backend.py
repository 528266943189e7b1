"""State backend: encrypted S3 with native lock files, relative local files, and input validation."""

from __future__ import annotations

import json

import cdktf
import pytest
from cdktf import TerraformStack
from pydantic import ValidationError

from constructs_lib import LocalBackendConfig, S3BackendConfig, apply_backend
from tests.conftest import Synthesized

KMS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def synth_backend(config: S3BackendConfig | LocalBackendConfig) -> Synthesized:
    stack = TerraformStack(cdktf.Testing.app(), "state")
    apply_backend(stack, config)
    result: Synthesized = json.loads(cdktf.Testing.synth(stack))
    return result


def s3(**overrides: str) -> S3BackendConfig:
    values = {"bucket": "cora-terraform-state", "key": "cora/dev/terraform.tfstate", "region": "eu-west-1"}
    return S3BackendConfig(**{**values, **overrides})


# -- synthesized backend ------------------------------------------------------------------------------


def test_s3_backend_is_encrypted_and_uses_native_lock_file():
    backend = synth_backend(s3())["terraform"]["backend"]
    assert backend == {
        "s3": {
            "bucket": "cora-terraform-state",
            "key": "cora/dev/terraform.tfstate",
            "region": "eu-west-1",
            "encrypt": True,
            "use_lockfile": True,
        }
    }


def test_s3_backend_never_uses_dynamodb_locking():
    text = json.dumps(synth_backend(s3()))
    assert "dynamodb" not in text


def test_s3_backend_can_use_a_kms_key():
    backend = synth_backend(s3(kms_key_id=KMS_KEY))["terraform"]["backend"]["s3"]
    assert backend["kms_key_id"] == KMS_KEY
    assert backend["encrypt"] is True
    assert backend["use_lockfile"] is True


def test_local_backend_path_is_kept_relative():
    backend = synth_backend(LocalBackendConfig())["terraform"]["backend"]
    assert backend == {"local": {"path": "terraform.tfstate"}}


def test_local_backend_path_is_configurable():
    backend = synth_backend(LocalBackendConfig(path="state/dev.tfstate"))["terraform"]["backend"]
    assert backend == {"local": {"path": "state/dev.tfstate"}}


# -- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tmp/terraform.tfstate", "C:\\state\\dev.tfstate", "c:/state/dev.tfstate"])
def test_absolute_local_path_is_refused(path):
    with pytest.raises(ValidationError, match="path") as err:
        LocalBackendConfig(path=path)
    assert f"local state path {path!r} must be relative" in str(err.value)


def test_empty_local_path_is_refused():
    with pytest.raises(ValidationError, match="path") as err:
        LocalBackendConfig(path="")
    assert "input_value=''" in str(err.value)


@pytest.mark.parametrize(
    "bucket",
    [
        "ab",
        "x" * 64,
        "Cora-State",
        "cora_state",
        "-cora-state",
        "cora-state-",
        ".cora-state",
        "cora..state",
        "xn--cora-state",
        "cora state",
        "",
        "192.168.5.4",
        "sthree-state",
        "cora-state-s3alias",
    ],
)
def test_invalid_bucket_names_are_refused(bucket):
    with pytest.raises(ValidationError, match="bucket") as err:
        s3(bucket=bucket)
    assert f"S3 bucket name {bucket!r} is invalid" in str(err.value)


@pytest.mark.parametrize("bucket", ["abc", "x" * 63, "cora.terraform.state", "cora-state-111111111111"])
def test_valid_bucket_names_are_accepted(bucket):
    assert s3(bucket=bucket).bucket == bucket


@pytest.mark.parametrize(
    "region",
    ["US-EAST-1", "useast1", "us-east", "eu-west-1a", "", "eu west 1", "europe-west-1", "eu-west-10x"],
)
def test_invalid_regions_are_refused(region):
    with pytest.raises(ValidationError, match="region") as err:
        s3(region=region)
    assert f"AWS region {region!r} is invalid" in str(err.value)


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"]
)
def test_valid_regions_are_accepted(region):
    assert s3(region=region).region == region


@pytest.mark.parametrize("key", ["", "/cora/dev/terraform.tfstate", "k" * 1025])
def test_invalid_state_keys_are_refused(key):
    with pytest.raises(ValidationError, match="key") as err:
        s3(key=key)
    assert f"state key {key!r} must be a relative object key" in str(err.value)


def test_s3_backend_kms_key_must_be_a_kms_arn():
    with pytest.raises(ValidationError, match="kms_key_id") as err:
        s3(kms_key_id="not-a-key")
    assert "'not-a-key'" in str(err.value)


def test_unknown_prop_is_refused():
    with pytest.raises(ValidationError, match="dynamodb_table"):
        s3(dynamodb_table="locks")
