"""EcrRepo: safe defaults, lifecycle policy, scoped grants, name validation."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from constructs_lib import EcrRepo, EcrRepoProps, TagMutability, _aws
from tests.conftest import data_sources, only, resources


def test_defaults_are_immutable_scanned_aes256(synth):
    doc = synth(lambda s: EcrRepo(s, "web", props=EcrRepoProps(name="cora-dev-web")))
    repo = only(resources(doc, "aws_ecr_repository"))
    assert repo["name"] == "cora-dev-web"
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert repo["image_scanning_configuration"] == {"scan_on_push": True}
    assert repo["encryption_configuration"] == [{"encryption_type": "AES256"}]
    assert repo["force_delete"] is False


def test_lifecycle_expires_untagged_after_7_days_and_keeps_10_tagged(synth):
    doc = synth(lambda s: EcrRepo(s, "web", props=EcrRepoProps(name="cora-dev-web")))
    rules = json.loads(only(resources(doc, "aws_ecr_lifecycle_policy"))["policy"])["rules"]
    untagged = next(r for r in rules if r["selection"]["tagStatus"] == "untagged")
    tagged = next(r for r in rules if r["selection"].get("tagPatternList") == ["*"])
    healthy = next(r for r in rules if r["selection"].get("tagPrefixList") == ["cora-healthy-"])
    assert healthy["rulePriority"] < tagged["rulePriority"]
    assert healthy["selection"]["countNumber"] == 5
    assert untagged["selection"]["countType"] == "sinceImagePushed"
    assert untagged["selection"]["countNumber"] == 7
    assert tagged["selection"]["countType"] == "imageCountMoreThan"
    assert tagged["selection"]["countNumber"] == 10


def test_lifecycle_and_encryption_are_configurable(synth):
    key = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    props = EcrRepoProps(
        name="cora/web",
        keep_tagged_images=3,
        untagged_expiry_days=1,
        kms_key_arn=key,
        force_delete=True,
        tag_mutability=TagMutability.MUTABLE,
    )
    doc = synth(lambda s: EcrRepo(s, "web", props=props))
    repo = only(resources(doc, "aws_ecr_repository"))
    assert repo["encryption_configuration"] == [{"encryption_type": "KMS", "kms_key": key}]
    assert repo["force_delete"] is True
    assert repo["image_tag_mutability"] == "MUTABLE"
    counts = sorted(
        r["selection"]["countNumber"]
        for r in json.loads(only(resources(doc, "aws_ecr_lifecycle_policy"))["policy"])["rules"]
    )
    assert counts == [1, 3, 5]


def _expired(policy: str, images: list[tuple[str, int, tuple[str, ...]]]) -> set[str]:
    """What ECR's lifecycle evaluation expires of ``images`` (name, push order, tags), as AWS documents
    it: rules in priority order; an image that matches a rule's tag selection is never expired by a
    rule of lower priority; ``imageCountMoreThan`` keeps the most recently pushed."""
    claimed: set[str] = set()
    expired: set[str] = set()

    def matches(selection: dict[str, object], tags: tuple[str, ...]) -> bool:
        if selection["tagStatus"] == "untagged":
            return not tags
        if selection["tagStatus"] == "any":
            return True
        prefixes = selection.get("tagPrefixList")
        if isinstance(prefixes, list):
            return any(t.startswith(p) for t in tags for p in prefixes)
        patterns = selection["tagPatternList"]
        assert isinstance(patterns, list)
        return bool(tags) and any(re.fullmatch(p.replace("*", ".*"), t) for t in tags for p in patterns)

    for rule in sorted(json.loads(policy)["rules"], key=lambda r: r["rulePriority"]):
        selection = rule["selection"]
        matched = [i for i in images if i[0] not in claimed and matches(selection, i[2])]
        claimed |= {i[0] for i in matched}
        if selection["countType"] == "imageCountMoreThan":
            newest_first = sorted(matched, key=lambda i: -i[1])
            expired |= {i[0] for i in newest_first[selection["countNumber"] :]}
    return expired


def test_failed_deploys_cannot_expire_the_images_a_rollback_needs():
    from constructs_lib.compute.ecr_repo import lifecycle_policy

    # Two images ran healthy (marked by deploy-app), then 12 pushes whose deploys failed.
    images = [
        ("healthy-1", 1, ("sha1", "cora-healthy-20261201T000000000000Z")),
        ("healthy-2", 2, ("sha2", "cora-healthy-20261202T000000000000Z")),
    ]
    images += [(f"failed-{n}", 2 + n, (f"sha-f{n}",)) for n in range(1, 13)]
    expired = _expired(lifecycle_policy(10, 7, 5), images)
    assert not {"healthy-1", "healthy-2"} & expired
    assert expired == {"failed-1", "failed-2"}
    # The policy before: one "keep the last 10 tagged" rule lost both rollback targets.
    before = json.dumps(
        {
            "rules": [
                r
                for r in json.loads(lifecycle_policy(10, 7, 5))["rules"]
                if "tagPrefixList" not in r["selection"]
            ]
        }
    )
    assert {"healthy-1", "healthy-2"} <= _expired(before, images)
    # And only the last 5 that ran healthy are kept as such.
    marked = [(f"h{n}", n, (f"s{n}", f"cora-healthy-2026120{n}T000000000000Z")) for n in range(1, 8)]
    assert _expired(lifecycle_policy(10, 7, 5), marked) == {"h1", "h2"}


def test_grant_pull_is_scoped_to_the_repository(synth):
    def build(stack):
        repo = EcrRepo(stack, "web", props=EcrRepoProps(name="cora-dev-web"))
        role = _aws.IamRole(stack, "role", assume_role_policy="{}")
        repo.grant_pull(role)
        repo.grant_pull(role)  # idempotent

    doc = synth(build)
    policy = only(resources(doc, "aws_iam_role_policy"))
    assert policy["name"] == "cora-dev-web-ecr-pull"
    statements = only(list(data_sources(doc, "aws_iam_policy_document").values()))["statement"]
    pull = next(s for s in statements if s["sid"] == "Pull")
    login = next(s for s in statements if s["sid"] == "RegistryLogin")
    assert pull["actions"] == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:DescribeImages",
        "ecr:GetDownloadUrlForLayer",
    ]
    (resource,) = pull["resources"]
    assert resource.startswith("${aws_ecr_repository.web_repository_") and resource.endswith(".arn}")
    assert login["actions"] == ["ecr:GetAuthorizationToken"]
    assert login["resources"] == ["*"]


def test_grant_push_allows_upload_not_delete(synth):
    def build(stack):
        repo = EcrRepo(stack, "web", props=EcrRepoProps(name="cora-dev-web"))
        repo.grant_push(_aws.IamRole(stack, "ci", assume_role_policy="{}"))

    doc = synth(build)
    statements = only(list(data_sources(doc, "aws_iam_policy_document").values()))["statement"]
    push = next(s for s in statements if s["sid"] == "Push")
    assert "ecr:PutImage" in push["actions"]
    assert not any("Delete" in a for a in push["actions"])
    # Every action AWS lists for a push, BatchGetImage included (the client reads the manifest back).
    assert sorted(push["actions"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
    ]


@pytest.mark.parametrize(
    "name",
    ["Cora-Dev", "a", "cora_", "-cora", "cora--web", "cora web", "cora/", "x" * 257, "cora//web"],
)
def test_invalid_repository_names_are_refused(name):
    with pytest.raises(ValidationError, match=r"name[\s\S]*ECR repository name") as err:
        EcrRepoProps(name=name)
    assert repr(name)[:40] in str(err.value) or name[:40] in str(err.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("keep_tagged_images", 0),
        ("keep_healthy_images", 1),
        ("untagged_expiry_days", 0),
        ("kms_key_arn", "alias-not-an-arn"),
    ],
)
def test_out_of_range_settings_are_refused(field, value):
    with pytest.raises(ValidationError, match=field):
        EcrRepoProps(name="cora-dev-web", **{field: value})


def test_unknown_prop_is_refused():
    with pytest.raises(ValidationError, match="scan_on_psh"):
        EcrRepoProps(name="cora-dev-web", scan_on_psh=False)


def test_grants_on_a_long_repository_name_get_valid_distinct_policy_names(synth):
    # ECR allows 256-character names; IAM inline policy names allow 128 characters of [\w+=,.@-].
    name = "/".join(["cora-feature-module-images"] * 9) + "/web"
    assert len(name) > 200

    def build(stack):
        repo = EcrRepo(stack, "web", props=EcrRepoProps(name=name))
        role = _aws.IamRole(stack, "ci", assume_role_policy="{}")
        repo.grant_pull(role)
        repo.grant_push(role)

    names = [p["name"] for p in resources(synth(build), "aws_iam_role_policy")]
    assert len(names) == 2
    assert len(set(names)) == 2
    for policy_name in names:
        assert 1 <= len(policy_name) <= 128
        assert re.fullmatch(r"[A-Za-z0-9+=,.@_-]+", policy_name), policy_name
        assert policy_name.startswith("cora-feature-module-images-cora-feature")
