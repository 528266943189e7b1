"""``EcrRepo``: a private ECR repository for the web image, immutable and scanned by default."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum

from cdktf import TerraformResourceLifecycle
from constructs import Construct
from pydantic import BaseModel, Field, field_validator

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.validation import FROZEN, check_kms_key_arn, check_tags, is_token
from constructs_lib.iam.statements import PolicyStatement, grant

# AWS: lowercase path components of letters and digits joined by single '.', '_' or '-', separated by '/'.
_REPO_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")

PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
)
# AWS lists BatchGetImage among the permissions a push needs (clients read the manifest back).
PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
# The one ECR action that AWS only accepts on "*": logging in to the registry.
AUTH_TOKEN_ACTION = "ecr:GetAuthorizationToken"
#: The tag prefix ``cora-infra deploy-app`` marks an image with once it ran healthy
#: (:mod:`constructs_lib.deploy.images`): the lifecycle policy keeps those images by a rule of their own.
HEALTHY_TAG_PREFIX = "cora-healthy-"


class TagMutability(StrEnum):
    """Whether an image tag can be moved to another image after it is pushed."""

    IMMUTABLE = "IMMUTABLE"
    MUTABLE = "MUTABLE"


class EcrRepoProps(BaseModel):
    """Settings of an :class:`EcrRepo`."""

    model_config = FROZEN

    name: str
    """Repository name: 2-256 lowercase characters, path components joined by ``/``."""
    tag_mutability: TagMutability = TagMutability.IMMUTABLE
    """Default: immutable tags, so a deployed tag always means the same image."""
    scan_on_push: bool = Field(default=True, strict=True)
    """Default: every pushed image is scanned for vulnerabilities."""
    keep_tagged_images: int = Field(default=10, strict=True, ge=1, le=10_000)
    """Default: keep the 10 most recently pushed tagged images, expire older ones (images that ran
    healthy are counted apart, by ``keep_healthy_images``)."""
    keep_healthy_images: int = Field(default=5, strict=True, ge=2, le=10_000)
    """Default: keep the 5 images that most recently ran healthy after a deploy (``cora-healthy-*``
    tags), whatever was pushed since: a rollback needs the running image and the one before it, and
    failed deploys push too. At least 2."""
    untagged_expiry_days: int = Field(default=7, strict=True, ge=1, le=3650)
    """Default: untagged images (leftover layers of re-pushed builds) expire 7 days after push."""
    kms_key_arn: str | None = None
    """Default: AES256 encryption with an AWS-owned key; set a KMS key ARN to use KMS encryption."""
    force_delete: bool = Field(default=False, strict=True)
    """Default: destroying the repository fails while it still holds images."""
    prevent_destroy: bool = Field(default=False, strict=True)
    """Default: an apply may destroy it. ``True`` (the stacks set it in stg and prd) makes Terraform refuse
    any plan that would destroy or replace it, e.g. a ForceNew change such as turning on encryption."""
    tags: Mapping[str, str] = Field(default_factory=dict)
    """Extra tags on the repository (the provider's default tags apply too)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if is_token(value):
            return value
        if not 2 <= len(value) <= 256 or not _REPO_NAME.fullmatch(value):
            raise ValueError(
                f"ECR repository name {value!r} is invalid: use 2-256 lowercase letters and digits, "
                "separated by single '.', '_', '-' or '/', starting and ending with a letter or digit"
            )
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("kms_key_arn", value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)


def lifecycle_policy(keep_tagged_images: int, untagged_expiry_days: int, keep_healthy_images: int = 5) -> str:
    """The ECR lifecycle policy document: expire untagged images, keep the last images that ran healthy
    (by a rule of higher priority: ECR never expires an image by a lower-priority rule once a higher one
    matched its tags), and the last N tagged ones."""
    rules = [
        {
            "rulePriority": 1,
            "description": f"Expire untagged images {untagged_expiry_days} days after push",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": untagged_expiry_days,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"Keep the last {keep_healthy_images} images that ran healthy (rollback targets)",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": [HEALTHY_TAG_PREFIX],
                "countType": "imageCountMoreThan",
                "countNumber": keep_healthy_images,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 3,
            "description": f"Keep the last {keep_tagged_images} tagged images",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["*"],
                "countType": "imageCountMoreThan",
                "countNumber": keep_tagged_images,
            },
            "action": {"type": "expire"},
        },
    ]
    return json.dumps({"rules": rules}, sort_keys=True)


class EcrRepo(Construct):
    """A private ECR repository with a lifecycle policy and scoped pull/push grants.

    Example::

        repo = EcrRepo(stack, "web", props=EcrRepoProps(name="cora-dev-web"))
        repo.grant_pull(role)
    """

    def __init__(self, scope: Construct, id_: str, *, props: EcrRepoProps) -> None:
        with unique_id("EcrRepo", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        encryption = (
            _aws.EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=props.kms_key_arn)
            if props.kms_key_arn
            else _aws.EcrRepositoryEncryptionConfiguration(encryption_type="AES256")
        )
        self.repository = _aws.EcrRepository(
            self,
            "repository",
            name=props.name,
            image_tag_mutability=props.tag_mutability.value,
            image_scanning_configuration=_aws.EcrRepositoryImageScanningConfiguration(
                scan_on_push=props.scan_on_push
            ),
            encryption_configuration=[encryption],
            force_delete=props.force_delete,
            tags=dict(props.tags) or None,
            # Encryption and name are ForceNew: replacing a repository deletes its images.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if props.prevent_destroy else None,
        )
        # Read once: attribute reads are round trips to the jsii kernel.
        self._repository_url: str = self.repository.repository_url
        self._repository_arn: str = self.repository.arn
        self.lifecycle_policy = _aws.EcrLifecyclePolicy(
            self,
            "lifecycle-policy",
            repository=self.repository.name,
            policy=lifecycle_policy(
                props.keep_tagged_images, props.untagged_expiry_days, props.keep_healthy_images
            ),
        )

    @property
    def repository_url(self) -> str:
        """``<account>.dkr.ecr.<region>.amazonaws.com/<name>`` (a token until apply)."""
        return self._repository_url

    @property
    def repository_arn(self) -> str:
        """The repository ARN (a token until apply)."""
        return self._repository_arn

    @property
    def repository_name(self) -> str:
        """The repository name."""
        return self.repository.name

    def image_uri(self, tag: str) -> str:
        """The URI of the image with this tag in this repository."""
        return f"{self.repository_url}:{tag}"

    def grant_pull(self, role: _aws.IamRole) -> _aws.IamRolePolicy:
        """Let ``role`` pull images from this repository (and log in to the registry)."""
        return grant(
            self,
            "pull",
            role,
            policy_name=f"{self.props.name}-ecr-pull",
            statements=self._statements(PULL_ACTIONS, "Pull"),
        )

    def grant_push(self, role: _aws.IamRole) -> _aws.IamRolePolicy:
        """Let ``role`` push images to this repository (and log in to the registry)."""
        return grant(
            self,
            "push",
            role,
            policy_name=f"{self.props.name}-ecr-push",
            statements=self._statements(PUSH_ACTIONS, "Push"),
        )

    def _statements(self, actions: tuple[str, ...], sid: str) -> list[PolicyStatement]:
        return [
            PolicyStatement(sid=sid, actions=actions, resources=(self.repository_arn,)),
            # AWS accepts GetAuthorizationToken only on "*"; it grants no access to any image.
            PolicyStatement(sid="RegistryLogin", actions=(AUTH_TOKEN_ACTION,), resources=("*",)),
        ]
