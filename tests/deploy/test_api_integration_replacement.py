"""Switching a route between an HTTP and a Lambda integration applies on emulators that refuse like AWS.

``integration_type`` cannot change in place, so Terraform replaces the integration; destroy-first,
AWS refuses to delete it while the route targets it ("Cannot delete Integration because it is
referenced by the following Routes"). ``ModularApiGateway`` creates replacement integrations before
destroying the old ones, so the route is pointed at the new one first. moto accepts the delete, so
``devtools.moto_faults`` (installed by ``running()``) makes it refuse it as AWS does.

A minimal stack (one API, one route) in a temp folder; tests run in file order and share its state:
HTTP → Lambda without the fix (refused) → Lambda with it → HTTP → destroy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cdktf import App, TerraformStack

from constructs_lib import (
    ApiRoute,
    CorsConfig,
    HttpIntegration,
    LambdaIntegration,
    LocalBackendConfig,
    ModularApiGateway,
    ModularApiGatewayProps,
    apply_backend,
)
from constructs_lib.stacks.config import EmulatorConfig
from constructs_lib.stacks.provider import add_aws_provider
from devtools.emulators import Emulators, running, seed
from tests.deploy.terraform_cli import terraform

pytestmark = [pytest.mark.deploy, pytest.mark.terraform]

API_NAME = "cora-swap-api"
STACK = "swap"
ROUTE = "GET /items"
STATUS_URL = "https://status.cora.example.com/v1/items"
Integration = LambdaIntegration | HttpIntegration


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    with running(apprunner_ready_delay=0.1) as running_emulators:
        yield running_emulators
        # moto's backends are global to the process: leave them empty for the next deploy tests.
        urllib.request.urlopen(
            urllib.request.Request(f"{running_emulators.moto_url}/moto-api/reset", method="POST")
        )


@pytest.fixture(scope="module")
def function_arn(emulators: Emulators) -> str:
    return seed(emulators)


def synth(outdir: Path, integration: Integration, *, create_before_destroy: bool = True) -> Path:
    """Synthesize the one-route stack; return its ``cdk.tf.json``."""
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, STACK)
    add_aws_provider(stack, region="us-east-1", tags={"project": "cora-swap"}, emulator=EmulatorConfig())
    apply_backend(stack, LocalBackendConfig(path="terraform.tfstate"))
    ModularApiGateway(
        stack,
        "api",
        props=ModularApiGatewayProps(
            name=API_NAME,
            cors=CorsConfig(allow_origins=("https://app.cora.example.com",)),
            routes=(ApiRoute(key=ROUTE, integration=integration),),
        ),
    )
    app.synth()
    path = outdir / "stacks" / STACK / "cdk.tf.json"
    if not create_before_destroy:  # the construct as it was before the fix
        document = json.loads(path.read_text())
        for integration_body in document["resource"]["aws_apigatewayv2_integration"].values():
            integration_body.pop("lifecycle", None)
        path.write_text(json.dumps(document))
    return path


def deploy(
    source: Path, cwd: Path, env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Apply ``source`` in ``cwd`` (initialised on first use)."""
    cwd.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, cwd / "cdk.tf.json")
    if not (cwd / ".terraform").is_dir():
        terraform("init", "-input=false", cwd=cwd, env=env)
    return terraform("apply", "-auto-approve", "-input=false", cwd=cwd, env=env, check=check)


def assert_no_changes(cwd: Path, env: dict[str, str]) -> None:
    plan = terraform("plan", "-detailed-exitcode", "-input=false", cwd=cwd, env=env, check=False)
    assert plan.returncode == 0, f"second plan is not empty:\n{plan.stdout[-4000:]}{plan.stderr[-2000:]}"


def served(aws: Callable[[str], Any]) -> tuple[str, list[dict[str, Any]]]:
    """The integration type the route targets, and every integration of the API."""
    apigw = aws("apigatewayv2")
    (api,) = [a for a in apigw.get_apis()["Items"] if a["Name"] == API_NAME]
    (route,) = apigw.get_routes(ApiId=api["ApiId"])["Items"]
    assert route["RouteKey"] == ROUTE
    integrations = apigw.get_integrations(ApiId=api["ApiId"])["Items"]
    (target,) = [i for i in integrations if route["Target"] == f"integrations/{i['IntegrationId']}"]
    return target["IntegrationType"], integrations


def invoke_statements(aws: Callable[[str], Any]) -> list[dict[str, Any]]:
    """The seeded function's resource policy statements (none once the last one is removed)."""
    lambda_ = aws("lambda")
    try:
        policy = lambda_.get_policy(FunctionName="cora-local-items")["Policy"]
    except lambda_.exceptions.ResourceNotFoundException:
        return []
    return list(json.loads(policy)["Statement"])


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("swap")


def test_an_http_route_applies(work, env, aws):
    deploy(synth(work / "out-http", HttpIntegration(url=STATUS_URL)), work / "stack", env)
    kind, integrations = served(aws)
    assert (kind, len(integrations)) == ("HTTP_PROXY", 1)


def test_destroy_first_the_switch_to_lambda_is_refused_as_on_aws(work, env, aws, function_arn):
    """The construct as it was before the fix: the emulators refuse the apply, as AWS does."""
    to_lambda = synth(
        work / "out-destroy-first", LambdaIntegration(function_arn=function_arn), create_before_destroy=False
    )
    failed = deploy(to_lambda, work / "stack", env, check=False)
    assert failed.returncode != 0
    assert "Cannot delete Integration because it is referenced by the following Routes" in (
        failed.stdout + failed.stderr
    )
    assert served(aws)[0] == "HTTP_PROXY"  # refused, nothing broken: the route still serves


def test_create_before_destroy_the_switch_to_lambda_applies(work, env, aws, function_arn):
    applied = deploy(
        synth(work / "out-lambda", LambdaIntegration(function_arn=function_arn)), work / "stack", env
    )
    assert "aws_apigatewayv2_integration" in applied.stdout
    assert "Destroying..." in applied.stdout  # the old integration went, after the route moved
    assert_no_changes(work / "stack", env)
    kind, integrations = served(aws)
    assert (kind, len(integrations)) == ("AWS_PROXY", 1)
    (statement,) = invoke_statements(aws)
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"].endswith("/*/GET/items")


def test_switching_back_to_http_applies_and_drops_the_permission(work, env, aws):
    deploy(synth(work / "out-back", HttpIntegration(url=STATUS_URL)), work / "stack", env)
    assert_no_changes(work / "stack", env)
    kind, integrations = served(aws)
    assert (kind, len(integrations)) == ("HTTP_PROXY", 1)
    assert invoke_statements(aws) == []


def test_destroy_removes_the_api(work, env, aws):
    terraform("destroy", "-auto-approve", "-input=false", cwd=work / "stack", env=env)
    assert not [a for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == API_NAME]
