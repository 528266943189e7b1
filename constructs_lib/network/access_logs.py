"""``AccessLogsBucket``: the S3 bucket an Application Load Balancer writes its access logs to.

ALB access logs support only SSE-S3 (``AES256``) on the bucket, not KMS; the writer is the region's
Elastic Load Balancing account (``data "aws_elb_service_account"``), allowed ``s3:PutObject`` under
``AWSLogs/<this account>/`` and nothing else. Regions opened after August 2022 have no such account
(the data source fails there at plan); they deliver as ``logdelivery.elasticloadbalancing.amazonaws.com``,
which this bucket does not admit yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.refs import Address
from constructs_lib.iam.statements import deny_insecure_transport

__all__ = ["ACCESS_LOG_DAYS", "AccessLogsBucket", "bucket_prefix"]

#: Access logs are kept 90 days, then expire.
ACCESS_LOG_DAYS = 90
# S3's bucket_prefix: lowercase, at most 37 characters (Terraform appends 26 of its own).
_MAX_PREFIX = 37
_SUFFIX = "-alb-logs-"


def bucket_prefix(name: str) -> str:
    """A bucket name prefix from a service name: lowercase letters, digits and ``-``, ending in
    ``-alb-logs-``; Terraform completes it with a unique suffix (bucket names are global)."""
    base = re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")[: _MAX_PREFIX - len(_SUFFIX)].rstrip("-")
    return f"{base or 'web'}{_SUFFIX}"


class AccessLogsBucket(Construct):
    """A private, SSE-S3, TLS-only bucket whose objects expire after :data:`ACCESS_LOG_DAYS` days, that
    only the region's Elastic Load Balancing account may write to, under this account's prefix.

    Built only for protected environments (stg, prd), so it is also protected from an ordinary apply
    (``prevent_destroy``), like their other stateful resources: the logs are their audit trail."""

    def __init__(self, scope: Construct, id_: str, *, name: str, tags: Mapping[str, str]) -> None:
        with unique_id("AccessLogsBucket", scope, id_):
            super().__init__(scope, id_)
        self.bucket = _aws.S3Bucket(
            self,
            "bucket",
            bucket_prefix=bucket_prefix(name),
            tags=dict(tags) or None,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        bucket = Address("aws_s3_bucket", self.bucket)
        bucket_id, bucket_arn = bucket.ref("id"), bucket.ref("arn")
        self._bucket_name = bucket_id
        _aws.S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket_id,
            rule=_aws.S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        _aws.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                _aws.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        _aws.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="AES256"
                        )
                    )
                )
            ],
        )
        _aws.S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket_id,
            rule=[
                _aws.S3BucketLifecycleConfigurationRule(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=[_aws.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=[_aws.S3BucketLifecycleConfigurationRuleExpiration(days=ACCESS_LOG_DAYS)],
                    abort_incomplete_multipart_upload=[
                        _aws.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=7
                        )
                    ],
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
        elb = _aws.DataAwsElbServiceAccount(self, "elb-account")
        caller = _aws.DataAwsCallerIdentity(self, "account")
        account = Address("aws_caller_identity", caller, data=True).ref("account_id")
        document = _aws.DataAwsIamPolicyDocument(
            self,
            "policy-document",
            statement=[
                _aws.DataAwsIamPolicyDocumentStatement(
                    sid="ElbWritesAccessLogs",
                    effect="Allow",
                    actions=["s3:PutObject"],
                    resources=[f"{bucket_arn}/AWSLogs/{account}/*"],
                    principals=[
                        _aws.DataAwsIamPolicyDocumentStatementPrincipals(
                            type="AWS",
                            identifiers=[Address("aws_elb_service_account", elb, data=True).ref("arn")],
                        )
                    ],
                ),
                deny_insecure_transport(bucket_arn),
            ],
        )
        # After the public access block: S3 refuses policy changes while it is being set.
        self.policy = _aws.S3BucketPolicy(
            self,
            "policy",
            bucket=bucket_id,
            policy=Address("aws_iam_policy_document", document, data=True).ref("json"),
            depends_on=[public_access],
        )

    @property
    def bucket_name(self) -> str:
        """The bucket's name (a token until apply: Terraform completes the prefix)."""
        return self._bucket_name
