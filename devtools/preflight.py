"""Check, before a deploy, that App Runner will find its image: fail in seconds, not after ~10 minutes.

App Runner creates a service only from an image that is already in ECR; when it is missing, AWS fails
the creation after about ten minutes with a misleading error. The repository is created by the same
stack, so the first deploy of an environment has three steps, and this check says which one is next:

    python -m devtools.preflight dev     # exit 0: go ahead with `npx cdktf deploy dev`

1. ``CORA_SKIP_SERVICE=1 npx cdktf deploy dev``: everything but the App Runner service (ECR included);
2. push the image ``<repository_url>:<tag>`` (the deploy-app workflow does it);
3. ``npx cdktf deploy dev``: creates the service from that image.

Once the service exists, image changes are deploys (``start-deployment``), not Terraform's business, and
the check passes. The tag is ``CORA_IMAGE_TAG`` or the config's ``app.image_tag``. AWS access comes from
the usual environment (profile, role, or ``AWS_ENDPOINT_URL*`` for the local emulators).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from stacks import load_config

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


@dataclass(frozen=True)
class Verdict:
    """The outcome of the check: ``ok`` and, when not, what is missing and what to run."""

    ok: bool
    message: str


def _service_exists(apprunner: Any, name: str) -> bool:
    """ListServices has no paginator in botocore: follow NextToken by hand."""
    token: str | None = None
    while True:
        page = apprunner.list_services(**({"NextToken": token} if token else {}))
        if any(s["ServiceName"] == name for s in page["ServiceSummaryList"]):
            return True
        token = page.get("NextToken")
        if not token:
            return False


def check(
    environment: str,
    *,
    image_tag: str | None = None,
    config_dir: Path = CONFIG_DIR,
    region: str | None = None,
) -> Verdict:
    """Whether deploying ``environment`` can create its App Runner service now."""
    overrides = {"app.image_tag": image_tag} if image_tag else {}
    config = load_config(environment, config_dir, overrides=overrides)
    region = region or config.region
    service_name = repository = config.name("web")
    tag = config.app.image_tag
    image = f"{repository}:{tag}"

    if _service_exists(boto3.client("apprunner", region_name=region), service_name):
        return Verdict(True, f"{service_name} exists: image changes are deploys, not Terraform changes")

    ecr = boto3.client("ecr", region_name=region)
    try:
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code == "RepositoryNotFoundException":
            return Verdict(
                False,
                f"first deploy of {environment}: ECR repository {repository} does not exist yet, so image "
                f"{image} cannot be there. Run, in order:\n"
                f"  1. CORA_SKIP_SERVICE=1 npx cdktf deploy {environment}   (everything but the service)\n"
                f"  2. push the image: docker push <ecr_repository_url output>:{tag}\n"
                f"  3. npx cdktf deploy {environment}",
            )
        if code == "ImageNotFoundException":
            return Verdict(
                False,
                f"image {image} is not in ECR; App Runner would fail after ~10 minutes. Push it first "
                f"(docker push <ecr_repository_url output>:{tag}), or set CORA_IMAGE_TAG to a tag that "
                f"is there, then run npx cdktf deploy {environment}",
            )
        raise
    return Verdict(True, f"image {image} is in ECR: the service can be created")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: exit 0 when the deploy may go ahead, 1 with instructions otherwise."""
    parser = argparse.ArgumentParser(prog="python -m devtools.preflight", description=__doc__.splitlines()[0])
    parser.add_argument("environment", help="dev, stg, prd or local")
    args = parser.parse_args(argv)
    verdict = check(args.environment, image_tag=os.environ.get("CORA_IMAGE_TAG") or None)
    stream = sys.stdout if verdict.ok else sys.stderr
    print(("ok: " if verdict.ok else "error: ") + verdict.message, file=stream)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
