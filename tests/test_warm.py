"""``cora-infra warm`` / ``constructs_lib.aws.warm()``, and the warning after an eager provider import."""

from __future__ import annotations

import io
import subprocess

import pytest

from constructs_lib import aws
from constructs_lib.deploy.cli import main
from tests.processes import run_python


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_python(code, ok=False, timeout=300, **env)


def test_warm_reports_the_lazy_tarball_and_the_runtime_index():
    result = aws.warm()
    assert result.tarball is not None
    assert result.tarball.is_file()
    assert result.runtime_index is not None
    assert (result.runtime_index / ".jsii.runtime.v1.json").is_file()
    assert result.load_seconds > 0


def test_cora_infra_warm_prints_what_it_did_and_how_long():
    out = io.StringIO()
    assert main(["warm"], out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("lazy provider tarball: ")
    assert str(aws.warm().tarball) in lines[0]
    assert lines[1].startswith("jsii runtime index: ready, ")
    assert all(line.endswith(" s load]") or line.endswith(" s wait]") for line in lines)


@pytest.mark.parametrize("timeout", ["0", "-1"])
def test_warm_refuses_a_timeout_that_is_not_positive(timeout):
    err = io.StringIO()
    assert main(["warm", "--timeout", timeout], out=io.StringIO(), err=err) == 2
    assert f"--timeout {float(timeout)}: must be > 0 seconds" in err.getvalue()


def test_warm_runs_without_boto3():
    # The deploy extra (boto3) is not installed in a consumer's venv; warm must not need it. (With
    # empty caches, in a clean venv without boto3: scripts/consumer_check.py, make consumer.)
    run = _python(
        """
        import sys
        sys.modules["boto3"] = None  # any import of boto3 fails
        from constructs_lib.deploy.cli import main
        sys.exit(main(["warm"]))
        """
    )
    assert run.returncode == 0, run.stderr
    assert "lazy provider tarball: found in the cache, " in run.stdout
    assert "jsii runtime index: ready, " in run.stdout


@pytest.mark.slow
def test_a_provider_module_imported_first_is_named_in_a_warning():
    run = _python(
        """
        import cdktf_cdktf_provider_aws.sns_topic
        from constructs_lib.deploy.cli import main
        main(["warm"])
        """
    )
    assert run.returncode == 0, run.stderr
    assert "cdktf_cdktf_provider_aws was imported before constructs_lib" in run.stderr
    assert "import constructs_lib.aws first" in run.stderr
    assert "stock (eager) load in use" in run.stdout


def test_constructs_lib_aws_first_loads_a_provider_module_lazily():
    run = _python(
        """
        import sys, warnings
        warnings.simplefilter("error")
        import constructs_lib.aws
        from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
        package = sys.modules["cdktf_cdktf_provider_aws"]
        assert "__all__" not in vars(package), "the package __init__ ran"
        assert constructs_lib.aws.warm().tarball is not None
        print(SnsTopic.__module__)
        """
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "cdktf_cdktf_provider_aws.sns_topic"
