"""The state bucket bootstrap stacks: versioned, encrypted, private, TLS-only on AWS."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from constructs_lib import StateBucketProps
from tests.conftest import BOOTSTRAP_STACKS, only, resources

ACCOUNTS = {"dev": "111111111111", "stg": "222222222222", "prd": "333333333333"}


@pytest.mark.parametrize("env", sorted(ACCOUNTS))
def test_each_account_bootstraps_its_own_state_bucket(synthesized, env):
    account = ACCOUNTS[env]
    doc = synthesized[f"bootstrap-{env}"]
    bucket = f"cora-tfstate-{account}-us-east-1"
    assert only(resources(doc, "aws_s3_bucket"))["bucket"] == bucket
    # The bucket's account only: a bootstrap run with another account's credentials is refused.
    assert only(doc["provider"]["aws"])["allowed_account_ids"] == [account]
    assert synthesized[env]["terraform"]["backend"]["s3"]["bucket"] == bucket
    assert only(synthesized[env]["provider"]["aws"])["allowed_account_ids"] == [account]


def test_bootstrap_state_is_kept_outside_the_output_folder(synthesized):
    for stack in (*BOOTSTRAP_STACKS, "bootstrap-local"):
        path = synthesized[stack]["terraform"]["backend"]["local"]["path"]
        assert path == f"../../../.cora-state/{stack}.tfstate"
        # Terraform runs in <outdir>/stacks/<id>: the file resolves beside the outdir, not inside it.
        resolved = (Path("/project/cdktf.out/stacks") / stack / path).resolve()
        assert resolved == Path(f"/project/.cora-state/{stack}.tfstate")


@pytest.mark.parametrize("stack", BOOTSTRAP_STACKS)
def test_aws_state_bucket_is_versioned_encrypted_private_and_tls_only(synthesized, stack):
    doc = synthesized[stack]
    assert only(resources(doc, "aws_s3_bucket"))["force_destroy"] is False
    versioning = only(resources(doc, "aws_s3_bucket_versioning"))
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    rule = only(only(resources(doc, "aws_s3_bucket_server_side_encryption_configuration"))["rule"])
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    block = only(resources(doc, "aws_s3_bucket_public_access_block"))
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert only(resources(doc, "aws_s3_bucket_ownership_controls"))["rule"] == {
        "object_ownership": "BucketOwnerEnforced"
    }
    statement = only(only(list(doc["data"]["aws_iam_policy_document"].values()))["statement"])
    assert statement["effect"] == "Deny"
    assert statement["condition"] == [
        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
    ]
    assert only(resources(doc, "aws_s3_bucket_policy"))["depends_on"]


def test_emulator_bucket_is_throwaway_and_plain_http(synthesized):
    doc = synthesized["bootstrap-local"]
    assert only(resources(doc, "aws_s3_bucket"))["force_destroy"] is True
    assert "aws_s3_bucket_policy" not in doc["resource"]
    assert only(doc["provider"]["aws"])["endpoints"][0]["s3"] == "${var.emulator_endpoint}"


def test_environment_stacks_keep_state_in_the_bootstrapped_bucket(synthesized):
    local = synthesized["local"]["terraform"]["backend"]["s3"]
    assert local["bucket"] == "cora-terraform-state-local"
    assert local["use_lockfile"] is True
    assert local["use_path_style"] is True
    assert "endpoint" not in local and "endpoints" not in local, "comes from AWS_ENDPOINT_URL_S3"


@pytest.mark.parametrize("bucket", ["Cora_State", "ab", "192.168.0.1"])
def test_invalid_state_bucket_names_are_refused(bucket):
    with pytest.raises(ValidationError, match="bucket") as err:
        StateBucketProps(bucket=bucket)
    assert repr(bucket) in str(err.value)


@pytest.mark.parametrize("stack", [*BOOTSTRAP_STACKS, "bootstrap-local"])
def test_old_state_versions_expire_after_90_days_once_versioning_is_on(synthesized, stack):
    doc = synthesized[stack]
    lifecycle = only(resources(doc, "aws_s3_bucket_lifecycle_configuration"))
    (versioning,) = doc["resource"]["aws_s3_bucket_versioning"]
    assert lifecycle["depends_on"] == [f"aws_s3_bucket_versioning.{versioning}"]
    rule = only(lifecycle["rule"])
    assert rule["status"] == "Enabled"
    assert rule["filter"] == [{"prefix": ""}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    # Current state objects never expire: only superseded versions do.
    assert "expiration" not in rule


@pytest.mark.parametrize("days", [0, 3651])
def test_noncurrent_version_days_out_of_range_are_refused(days):
    with pytest.raises(ValidationError, match="noncurrent_version_days"):
        StateBucketProps(bucket="cora-state", noncurrent_version_days=days)
