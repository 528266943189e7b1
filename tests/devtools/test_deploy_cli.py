"""``cora-infra outputs`` and the deploy tool's input checks: values from SSM with AWS credentials
alone, bad options refused before any AWS call, and the command runs as ``python -m``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from constructs_lib.deploy import main
from tests.devtools.deploy_helpers import ENV, PROJECT, publish

ROOT = Path(__file__).resolve().parents[2]
VALUES = {
    "ECR_REPOSITORY_URL": "123456789012.dkr.ecr.us-east-1.amazonaws.com/cora-test-web",
    "SERVICE_ARN": "arn:aws:apprunner:us-east-1:123456789012:service/cora-test-web/0123",
    "APP_URL": "https://app.test.cora.example.com",
    "API_URL": "https://api.test.cora.example.com",
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_outputs_prints_every_published_value_as_env_lines(aws):
    publish(aws, VALUES)
    code, out, _ = run("outputs", "--env", ENV, "--project", PROJECT)
    assert code == 0
    assert out.splitlines() == [f"{name}={VALUES[name]}" for name in sorted(VALUES)]


def test_outputs_as_json(aws):
    publish(aws, VALUES)
    code, out, _ = run("outputs", "--env", ENV, "--format", "json")
    assert code == 0
    assert json.loads(out) == VALUES


def test_outputs_of_an_environment_never_deployed_is_a_clear_error(aws):
    code, out, err = run("outputs", "--env", "nowhere")
    assert (code, out) == (2, "")
    assert "error: no SSM parameters under /cora/nowhere/" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["outputs", "--env", "Dev"], "--env 'Dev': use 1-32 lowercase letters, digits or '-'"),
        (["outputs", "--env", "dev", "--project", "a/b"], "--project 'a/b'"),
        (["outputs", "--env", "dev", "--region", "mars"], "--region 'mars': not an AWS region"),
        (["deploy-app", "--env", "dev", "--tag=-x"], "--tag '-x': an ECR tag is 1-128"),
        (["deploy-app", "--env", "dev", "--tag", "v1", "--timeout", "0"], "--timeout 0.0: must be > 0"),
        (["deploy-app", "--env", "dev", "--tag", "v1", "--health-url", "ftp://x"], "--health-url 'ftp://x'"),
    ],
)
def test_bad_options_are_refused_before_any_aws_call(argv, message, monkeypatch):
    # No endpoint and no credentials: a call to AWS would fail differently.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    code, _, err = run(*argv)
    assert code == 2
    assert message in err


def test_python_dash_m_runs_the_tool(aws, emulators):
    publish(aws, VALUES)
    env = {**os.environ, **emulators.env, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    done = subprocess.run(
        [sys.executable, "-m", "constructs_lib.deploy", "outputs", "--env", ENV, "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["APP_URL"] == VALUES["APP_URL"]


def test_the_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'cora-infra = "constructs_lib.deploy.cli:main"' in text
    assert 'deploy = ["boto3==1.44.8", "dnspython==2.9.2"]' in text


def test_import_constructs_lib_does_not_import_boto3():
    code = "import sys, constructs_lib, constructs_lib.deploy; print('boto3' in sys.modules)"
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "False", done.stderr


def test_without_the_deploy_extra_the_tool_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if boto3 were not installed
    code, _, err = run("outputs", "--env", "dev")
    assert code == 2
    assert err.strip() == (
        "error: outputs needs the deploy extra (boto3 is missing): pip install 'cora-infra[deploy]'"
    )
