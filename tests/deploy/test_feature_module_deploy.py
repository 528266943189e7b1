"""A stack with an HCL feature module applies on the emulators, serves the module's routes, and stays put.

The fixture project ``tests/fixtures/modular/monorepo`` (project ``acme``, ``[modules] names =
["items"]``) built by ``CoraAppStack`` without the App Runner service (the first deploy phase: no image
needed), state in a local file. Its module creates the Lambda function ``acme-local-items`` (moto
creates functions without Docker) and declares four routes, three behind the Okta JWT authorizer.

Tests run in file order and share the emulators and the working directory: apply → the routes on the
HTTP API point at the module's function, each permission scoped to its route → the second plan is
empty → destroy.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cdktf import App

from constructs_lib import LocalBackendConfig
from constructs_lib.stacks import CoraAppStack, load_config
from devtools.emulators import Emulators, running
from tests.conftest import ROOT
from tests.deploy.terraform_cli import terraform

pytestmark = [pytest.mark.deploy, pytest.mark.terraform]

PROJECT = ROOT / "tests" / "fixtures" / "modular" / "monorepo"
API_NAME = "acme-local-api"
FUNCTION = "acme-local-items"
MODULE_ROUTES = {
    "GET /items": ("JWT", []),
    "GET /items/{id}": ("JWT", []),
    "POST /items": ("JWT", ["items:write"]),
    "GET /items-health": ("NONE", []),
}
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    with running(apprunner_ready_delay=0.1, dns_change_wait=False) as started:
        yield started
        # moto's backends are global to the process: leave them empty for the next deploy tests.
        urllib.request.urlopen(urllib.request.Request(f"{started.moto_url}/moto-api/reset", method="POST"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthesized stack folder (``cdk.tf.json`` and the module's asset), ready to init."""
    root = tmp_path_factory.mktemp("feature-module")
    app = App(outdir=str(root / "out"))
    config = load_config("local", PROJECT / "config", overrides={"app.create_service": False})
    CoraAppStack(app, config, backend=LocalBackendConfig(path="terraform.tfstate"), project_root=PROJECT)
    app.synth()
    work = root / "stack"
    shutil.copytree(root / "out" / "stacks" / "local", work)
    return work


def timed(name: str, step: Callable[[], Any]) -> Any:
    started = time.monotonic()
    result = step()
    TIMINGS[name] = round(time.monotonic() - started, 1)
    return result


def the_api(aws: Callable[[str], Any]) -> dict[str, Any]:
    (api,) = [a for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == API_NAME]
    return dict(api)


def test_the_stack_with_the_module_applies(stack, env):
    timed("init", lambda: terraform("init", "-input=false", cwd=stack, env=env))
    timed("apply", lambda: terraform("apply", "-auto-approve", "-input=false", cwd=stack, env=env))


def state_values(stack: Path, env: dict[str, str], kind: str, attribute: str) -> list[Any]:
    """``attribute`` of every resource of type ``kind`` in the root module's state."""
    shown = json.loads(terraform("show", "-json", cwd=stack, env=env).stdout)
    resources = shown["values"]["root_module"]["resources"]
    return [r["values"][attribute] for r in resources if r["type"] == kind]


def test_the_module_routes_point_at_the_module_function(aws, stack, env):
    function_arn = aws("lambda").get_function(FunctionName=FUNCTION)["Configuration"]["FunctionArn"]
    apigw = aws("apigatewayv2")
    api_id = the_api(aws)["ApiId"]
    routes = {r["RouteKey"]: r for r in apigw.get_routes(ApiId=api_id)["Items"]}
    integrations = {i["IntegrationId"]: i for i in apigw.get_integrations(ApiId=api_id)["Items"]}
    assert set(routes) == {*MODULE_ROUTES, "GET /v1/status"}
    (okta,) = state_values(stack, env, "aws_apigatewayv2_authorizer", "id")  # moto has no GetAuthorizers
    for key, (auth_type, scopes) in MODULE_ROUTES.items():
        route = routes[key]
        integration = integrations[route["Target"].removeprefix("integrations/")]
        assert (integration["IntegrationType"], integration["IntegrationUri"]) == ("AWS_PROXY", function_arn)
        assert route["AuthorizationType"] == auth_type
        assert route.get("AuthorizerId") == (okta if auth_type == "JWT" else None)
        assert route.get("AuthorizationScopes", []) == scopes
    health = integrations[routes["GET /items-health"]["Target"].removeprefix("integrations/")]
    assert health["PayloadFormatVersion"] == "1.0"
    post = integrations[routes["POST /items"]["Target"].removeprefix("integrations/")]
    assert post["TimeoutInMillis"] == 10000


def test_each_permission_admits_its_route_only(aws, stack, env):
    (execution,) = state_values(stack, env, "aws_apigatewayv2_api", "execution_arn")
    assert the_api(aws)["ApiId"] in execution
    policy = json.loads(aws("lambda").get_policy(FunctionName=FUNCTION)["Policy"])
    sources = sorted(s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"])
    assert sources == sorted(
        f"{execution}/*/{m}" for m in ("GET/items", "GET/items/*", "POST/items", "GET/items-health")
    )
    assert {s["Principal"]["Service"] for s in policy["Statement"]} == {"apigateway.amazonaws.com"}


def test_the_second_plan_is_empty(stack, env):
    plan = timed(
        "plan",
        lambda: terraform("plan", "-detailed-exitcode", "-input=false", cwd=stack, env=env, check=False),
    )
    assert plan.returncode == 0, f"second plan is not empty:\n{plan.stdout[-4000:]}{plan.stderr[-2000:]}"


def test_destroy_removes_the_module_and_the_api(stack, env, aws):
    timed("destroy", lambda: terraform("destroy", "-auto-approve", "-input=false", cwd=stack, env=env))
    assert not [a for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == API_NAME]
    assert FUNCTION not in [f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]]
    print(f"feature module deploy timings (s): {TIMINGS}")
