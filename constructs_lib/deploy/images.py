"""Images in ECR as the deploy tool needs them: does one exist, which ran healthy last.

An image that passed its health check after a deploy is marked with one more tag,
``cora-healthy-<UTC time>`` (``PutImage`` of the same manifest under a new tag: allowed with immutable
tags, which only forbid moving a tag). The marks are the deploy history a re-run reads ("the last image
that ran healthy") and what the repository's lifecycle policy keeps: images marked healthy are
counted by a rule of their own (:func:`constructs_lib.compute.ecr_repo.lifecycle_policy`), so failed deploys,
which push too, cannot expire the image a rollback needs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from constructs_lib.compute.ecr_repo import HEALTHY_TAG_PREFIX
from constructs_lib.deploy.checks import client_error_code
from constructs_lib.deploy.errors import BadInputError

__all__ = [
    "HEALTHY_TAG_PREFIX",
    "check_rollback_target",
    "healthy_tag",
    "image_exists",
    "image_id",
    "last_healthy",
    "mark_healthy",
    "record_healthy",
    "repository_name",
]


def repository_name(repository_url: str) -> str:
    """``<registry>/<name>`` → ``<name>``; :class:`BadInputError` without a name."""
    _, _, name = repository_url.partition("/")
    if not name:
        raise BadInputError(f"ECR_REPOSITORY_URL {repository_url!r} has no repository name after the host")
    return name


def image_id(identifier: str) -> tuple[str, dict[str, str]]:
    """``<repository_url>:<tag>`` or ``<repository_url>@<digest>`` → (repository name, ECR image id)."""
    if "@" in identifier:
        url, _, digest = identifier.partition("@")
        return repository_name(url), {"imageDigest": digest}
    url, _, tag = identifier.rpartition(":")
    return repository_name(url), {"imageTag": tag}


def image_exists(ecr: Any, identifier: str) -> bool:
    """Whether ECR still has the image ``identifier`` (its repository may be gone too)."""
    repository, image = image_id(identifier)
    try:
        ecr.describe_images(repositoryName=repository, imageIds=[image])
    except Exception as error:
        if client_error_code(error) in ("ImageNotFoundException", "RepositoryNotFoundException"):
            return False
        raise
    return True


def healthy_tag(now: datetime) -> str:
    """``cora-healthy-20261207T101500123456Z``: sorts by time, unique to the microsecond."""
    return HEALTHY_TAG_PREFIX + now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _details(ecr: Any, repository: str) -> list[dict[str, Any]]:
    images: list[dict[str, Any]] = []
    for page in ecr.get_paginator("describe_images").paginate(
        repositoryName=repository, filter={"tagStatus": "TAGGED"}
    ):
        images.extend(page["imageDetails"])
    return images


def _newest_mark(detail: dict[str, Any]) -> str:
    return max((t for t in detail.get("imageTags", []) if t.startswith(HEALTHY_TAG_PREFIX)), default="")


def mark_healthy(ecr: Any, identifier: str, now: datetime) -> str | None:
    """Mark ``identifier`` as having run healthy; returns the new tag, or ``None`` when it already is the
    newest mark (a re-run of a healthy deploy adds none)."""
    repository, image = image_id(identifier)
    details = _details(ecr, repository)
    newest = max(details, key=_newest_mark, default=None)
    found = ecr.batch_get_image(repositoryName=repository, imageIds=[image])["images"]
    if not found:
        raise BadInputError(f"image {identifier} is not in ECR")
    digest = found[0]["imageId"]["imageDigest"]
    if newest is not None and _newest_mark(newest) and newest.get("imageDigest") == digest:
        return None
    tag = healthy_tag(now)
    options = (
        {"imageManifestMediaType": found[0]["imageManifestMediaType"]}
        if found[0].get("imageManifestMediaType")
        else {}
    )
    ecr.put_image(repositoryName=repository, imageManifest=found[0]["imageManifest"], imageTag=tag, **options)
    return tag


def last_healthy(ecr: Any, repository_url: str, *, excluding: str | None = None) -> str | None:
    """The image that most recently ran healthy (``<repository_url>:<tag>``, its own tag rather than the
    mark where it has one), other than the image ``excluding``; ``None`` when none is marked."""
    repository = repository_name(repository_url)
    skip_digest: str | None = None
    if excluding is not None:
        _, image = image_id(excluding)
        if "imageDigest" in image:
            skip_digest = image["imageDigest"]
        else:
            skip_digest = next(
                (
                    d["imageDigest"]
                    for d in _details(ecr, repository)
                    if image["imageTag"] in d.get("imageTags", [])
                ),
                None,
            )
    marked = [d for d in _details(ecr, repository) if _newest_mark(d) and d.get("imageDigest") != skip_digest]
    if not marked:
        return None
    best = max(marked, key=_newest_mark)
    own = sorted(t for t in best.get("imageTags", []) if not t.startswith(HEALTHY_TAG_PREFIX))
    return f"{repository_url}:{own[0] if own else _newest_mark(best)}"


def record_healthy(ecr: Any, image: str, now: datetime, say: Callable[[str], None]) -> None:
    """:func:`mark_healthy`, saying so; a failure is only a warning (the deploy itself was checked)."""
    try:
        tag = mark_healthy(ecr, image, now)
    except Exception as error:  # bookkeeping: the deploy itself was checked
        say(f"warning: could not mark {image} as healthy in ECR ({error}); a later rollback may miss it")
        return
    if tag:
        say(f"marked: {image} ran healthy (ECR tag {tag})")


def check_rollback_target(ecr: Any, running: str, *, allow_missing: bool, say: Callable[[str], None]) -> None:
    """Before anything changes: the image the service runs must still be in ECR, or a failed deploy
    could not roll back to it. ``BadInputError`` unless ``allow_missing`` (then a warning)."""
    if image_exists(ecr, running):
        return
    gone = (
        f"the image the service runs, {running}, is no longer in ECR (expired by the lifecycle "
        "policy?): a failed deploy could not roll back to it"
    )
    if not allow_missing:
        raise BadInputError(
            f"refused: {gone}. Push that image again, or pass --allow-no-rollback to deploy "
            "without a rollback target; nothing was changed"
        )
    say(f"warning: {gone}; deploying anyway (--allow-no-rollback)")
