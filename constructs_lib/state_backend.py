"""Where a stack keeps its Terraform state: S3 with native lock files, or a local file for tests."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from cdktf import LocalBackend, S3Backend, TerraformResourceLifecycle, TerraformStack
from constructs import Construct
from pydantic import AfterValidator, BaseModel, Field, field_validator

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.validation import FROZEN, check_kms_key_arn
from constructs_lib.iam.statements import deny_insecure_transport

# S3 bucket naming rules (general purpose buckets).
_BUCKET = re.compile(
    r"^(?!xn--)(?!sthree-)(?!amzn-s3-demo-)(?![0-9]{1,3}(\.[0-9]{1,3}){3}$)(?!.*\.\.)(?!.*-s3alias$)(?!.*--ol-s3$)(?!.*--x-s3$)(?!.*--table-s3$)"
    r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
)
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")  # [0-9]: \d is any Unicode digit


def check_bucket_name(value: str) -> str:
    """An S3 general purpose bucket name."""
    if not _BUCKET.fullmatch(value):
        raise ValueError(
            f"S3 bucket name {value!r} is invalid: 3-63 lowercase letters, digits, '.' or '-', "
            "starting and ending with a letter or digit, not shaped like an IP address, without the prefixes "
            "S3 reserves (xn--, sthree-, amzn-s3-demo-) or its reserved suffixes (-s3alias, --ol-s3, --x-s3, "
            "--table-s3)"
        )
    return value


def check_state_key(value: str) -> str:
    """An S3 object key for a state file: relative, 1-1024 characters."""
    if not value or value.startswith("/") or len(value) > 1024:
        raise ValueError(f"state key {value!r} must be a relative object key of 1-1024 characters")
    return value


def is_region_name(value: str) -> bool:
    """Whether ``value`` has the form of a region name (``check_region`` says why not)."""
    return _REGION.fullmatch(value) is not None


def check_region(value: str) -> str:
    """An AWS region name such as ``eu-west-1``."""
    if not _REGION.fullmatch(value):
        raise ValueError(f"AWS region {value!r} is invalid; expected a region name such as 'eu-west-1'")
    return value


BucketName = Annotated[str, AfterValidator(check_bucket_name)]
StateKey = Annotated[str, AfterValidator(check_state_key)]
Region = Annotated[str, AfterValidator(check_region)]


class S3BackendConfig(BaseModel):
    """Remote state in S3, encrypted, locked with an S3 lock file (Terraform >= 1.10; no DynamoDB)."""

    model_config = FROZEN

    type: Literal["s3"] = "s3"
    bucket: BucketName
    key: StateKey
    """Object key, one per project and environment, e.g. ``cora/dev/terraform.tfstate``."""
    region: Region
    kms_key_id: str | None = None
    """Default: SSE-S3; set a KMS key ARN to encrypt the state object with it."""
    emulated: bool = Field(default=False, strict=True)
    """For an S3 emulator on this machine: path-style requests, no AWS account checks. The endpoint
    comes from ``AWS_ENDPOINT_URL_S3`` at ``terraform init`` (a backend block cannot use variables)."""

    @field_validator("kms_key_id")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("kms_key_id", value)


class LocalBackendConfig(BaseModel):
    """State in a local file, relative to the stack's working directory (tests and the local demo)."""

    model_config = FROZEN

    type: Literal["local"] = "local"
    path: str = Field(default="terraform.tfstate", min_length=1)

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        if value.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", value):
            raise ValueError(
                f"local state path {value!r} must be relative: absolute paths make synthesized JSON "
                "machine-specific"
            )
        return value


BackendConfig = S3BackendConfig | LocalBackendConfig


def apply_backend(stack: TerraformStack, config: BackendConfig) -> None:
    """Configure ``stack``'s backend."""
    if isinstance(config, LocalBackendConfig):
        LocalBackend(stack, path=config.path)
        return
    S3Backend(
        stack,
        bucket=config.bucket,
        key=config.key,
        region=config.region,
        encrypt=True,
        kms_key_id=config.kms_key_id,
    )
    # cdktf 0.20 predates S3 native locking; the override writes `use_lockfile = true`.
    stack.add_override("terraform.backend.s3.use_lockfile", True)
    if config.emulated:
        for key in (
            "use_path_style",
            "skip_credentials_validation",
            "skip_requesting_account_id",
            "skip_metadata_api_check",
            "skip_region_validation",
        ):
            stack.add_override(f"terraform.backend.s3.{key}", True)


class StateBucketProps(BaseModel):
    """Settings of a :class:`StateBucket`."""

    model_config = FROZEN

    bucket: str
    kms_key_arn: str | None = None
    """Default: SSE-S3 (AES256); set a KMS key ARN to encrypt state objects with it."""
    force_destroy: bool = Field(default=False, strict=True)
    """Default: destroying the bucket fails while it holds state (set only for throwaway buckets)."""
    prevent_destroy: bool = Field(default=True, strict=True)
    """Default: Terraform refuses any plan that would destroy or replace the bucket (losing it orphans
    every environment's state). Turn off only for a throwaway bucket, such as an emulator's."""
    tls_only: bool = Field(default=True, strict=True)
    """Default: a bucket policy denies every request not made over TLS. Turn off only for a local
    emulator that speaks plain HTTP (it enforces the policy and would refuse Terraform itself)."""
    noncurrent_version_days: int = Field(default=90, strict=True, ge=1, le=3650)
    """Default: superseded state versions are kept 90 days (the window to roll back a bad apply), then
    expire; incomplete multipart uploads are aborted after 7 days."""

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return check_bucket_name(value)

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("kms_key_arn", value)


class StateBucket(Construct):
    """The S3 bucket that holds Terraform state: versioned, encrypted, private, TLS only.

    Replaces the CORA plan's ``bootstrap_tf_state.sh``. Lock files (``use_lockfile``) live beside the
    state objects; no DynamoDB table is needed.
    """

    def __init__(self, scope: Construct, id_: str, *, props: StateBucketProps) -> None:
        with unique_id("StateBucket", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        self.bucket = _aws.S3Bucket(
            self,
            "bucket",
            bucket=props.bucket,
            force_destroy=props.force_destroy,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if props.prevent_destroy else None,
        )
        # Read once: every attribute read is a round trip to the jsii kernel.
        bucket_id, bucket_arn = self.bucket.id, self.bucket.arn
        _aws.S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket_id,
            rule=_aws.S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        versioning = _aws.S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket_id,
            versioning_configuration=_aws.S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        _aws.S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket_id,
            rule=[
                _aws.S3BucketLifecycleConfigurationRule(
                    id="expire-old-state-versions",
                    status="Enabled",
                    filter=[_aws.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        _aws.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.noncurrent_version_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        _aws.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=7
                        )
                    ],
                )
            ],
            # Noncurrent-version rules act on versions: set them once versioning is on.
            depends_on=[versioning],
        )
        by_default = (
            _aws.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="aws:kms", kms_master_key_id=props.kms_key_arn
            )
            if props.kms_key_arn
            else _aws.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="AES256"
            )
        )
        _aws.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                _aws.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=by_default,
                    bucket_key_enabled=bool(props.kms_key_arn),
                )
            ],
        )
        public_access = _aws.S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        if not props.tls_only:
            return
        tls_only = _aws.DataAwsIamPolicyDocument(
            self,
            "tls-only",
            statement=[deny_insecure_transport(bucket_arn)],
        )
        # After the public access block: S3 refuses policy changes while it is being set.
        _aws.S3BucketPolicy(
            self, "tls-only-policy", bucket=bucket_id, policy=tls_only.json, depends_on=[public_access]
        )

    @property
    def bucket_name(self) -> str:
        """The bucket name."""
        return self.props.bucket
