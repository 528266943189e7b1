"""The fast provider load gives byte-identical Terraform JSON and works in every import order."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import STACKS
from tests.processes import run_python

pytestmark = pytest.mark.slow


def _python(code: str, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_python(code, **env)


def test_eager_import_first_gives_the_same_classes_and_identical_json(synth_dir, tmp_path):
    # A consumer that imported the whole package before us: our loader must use it as it is.
    outdir = tmp_path / "eager"
    _python(
        """
        import os, sys
        import cdktf_cdktf_provider_aws as full
        assert "__all__" in vars(full), "the package __init__ ran: this is the eager path"
        from constructs_lib import _aws
        assert _aws.EcrRepository is full.ecr_repository.EcrRepository
        import main
        sys.exit(main.main())
        """,
        tmp_path,
        CDKTF_OUTDIR=str(outdir),
    )
    for env in STACKS:
        fast = (synth_dir / "stacks" / env / "cdk.tf.json").read_bytes()
        eager = (outdir / "stacks" / env / "cdk.tf.json").read_bytes()
        assert fast == eager, f"{env}: the fast path changed the synthesized JSON"


def test_full_package_imported_after_ours_still_works(tmp_path):
    run = _python(
        """
        import json
        from constructs_lib import _aws
        import cdktf_cdktf_provider_aws as aws
        from cdktf_cdktf_provider_aws import s3_bucket
        assert aws.ecr_repository.EcrRepository is _aws.EcrRepository
        # `from cdktf_cdktf_provider_aws import *` reads __all__ (not run here: it imports all 2,100)
        assert "vpc" in dir(aws) and "vpc" in aws.__all__ and len(aws.__all__) > 2000
        from cdktf import Testing, TerraformStack
        stack = TerraformStack(Testing.app(), "s")
        s3_bucket.S3Bucket(stack, "bucket", bucket="b")
        aws.vpc.Vpc(stack, "vpc", cidr_block="10.0.0.0/16")   # a submodule nobody loaded before
        doc = json.loads(Testing.synth(stack))
        print(sorted(doc["resource"]))
        """,
        tmp_path,
    )
    assert "['aws_s3_bucket', 'aws_vpc']" in run.stdout


def test_unusable_cache_falls_back_to_the_stock_tarball(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    run = _python(
        """
        import json, warnings
        warnings.simplefilter("always")
        from constructs_lib import EcrRepo, EcrRepoProps
        from cdktf import Testing, TerraformStack
        stack = TerraformStack(Testing.app(), "s")
        EcrRepo(stack, "web", props=EcrRepoProps(name="cora-dev-web"))
        print(sorted(json.loads(Testing.synth(stack))["resource"]))
        """,
        tmp_path,
        CORA_INFRA_CACHE_DIR=str(blocker / "cache"),
    )
    assert "['aws_ecr_lifecycle_policy', 'aws_ecr_repository']" in run.stdout
    assert "cannot derive the lazy provider tarball" in run.stderr
