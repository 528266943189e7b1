"""Fill what the second deploy phase of the ``local`` environment needs, on the emulators.

    python -m devtools.local_values     # with the exports of `python -m devtools.emulators shell`

Puts a demo value into every ``cora/local/*`` secret the stack created empty, and a stub image
manifest ``cora-local-web:<tag>`` into its ECR repository: on AWS, these are
``aws secretsmanager put-secret-value`` with your real values and ``docker push`` of the web image.
The values are demo strings, never real secrets; they are not printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import boto3

from constructs_lib.stacks import load_config

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


def stub_manifest(tag: str) -> str:
    """An image manifest of its own per tag: one layer whose digest comes from the tag, so that ECR
    (moto: an image is its manifest, its digest the hash of its layers) keeps each tag a distinct image."""
    layer = "sha256:" + hashlib.sha256(f"cora-stub-layer:{tag}".encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 2,
                "digest": "sha256:" + "a" * 64,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32,
                    "digest": layer,
                }
            ],
        }
    )


def push_stub_image(ecr: Any, repository: str, tag: str) -> None:
    """Put a stub image manifest ``<repository>:<tag>`` into ECR (enough for the emulators), once."""
    tags = {i.get("imageTag") for i in ecr.list_images(repositoryName=repository)["imageIds"]}
    if tag not in tags:
        ecr.put_image(repositoryName=repository, imageManifest=stub_manifest(tag), imageTag=tag)


def fill(config_dir: Path = CONFIG_DIR, *, image_tag: str | None = None) -> list[str]:
    """Set every local secret's value and push the stub image; return what was done, one line each."""
    if not os.environ.get("AWS_ENDPOINT_URL"):
        raise SystemExit("error: AWS_ENDPOINT_URL is not set: run this against the emulators only")
    config = load_config("local", config_dir, overrides={"app.image_tag": image_tag} if image_tag else {})
    sm = boto3.client("secretsmanager", region_name=config.region)
    done = []
    for secret_id in config.secret_names:
        sm.put_secret_value(SecretId=secret_id, SecretString=f"demo-{secrets.token_hex(16)}")
        done.append(f"secret {secret_id}: demo value set")
    repository, tag = config.name("web"), config.app.image_tag
    push_stub_image(boto3.client("ecr", region_name=config.region), repository, tag)
    done.append(f"image {repository}:{tag}: in ECR (stub manifest)")
    return done


def main() -> int:
    """CLI entry point."""
    for line in fill(image_tag=os.environ.get("CORA_IMAGE_TAG") or None):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
