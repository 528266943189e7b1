"""A feature module with bad routes fails ``terraform plan`` with messages naming the module and key.

The route keys of an HCL module are known to Terraform only, so the checks a Python route gets at
synth are preconditions at plan here. The module below declares literal ARNs and no resources, so
the plan needs no AWS: the provider points at emulator endpoints nothing listens on, and is never
called.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cdktf import App, TerraformStack

from constructs_lib import (
    ApiRoute,
    CorsConfig,
    FeatureModuleInputs,
    HclFeatureModule,
    HclFeatureModuleProps,
    HttpIntegration,
    JwtAuthorizer,
    LocalBackendConfig,
    ModularApiGateway,
    ModularApiGatewayProps,
    apply_backend,
)
from constructs_lib.stacks.config import EmulatorConfig
from constructs_lib.stacks.provider import add_aws_provider
from tests.deploy.terraform_cli import terraform

pytestmark = pytest.mark.terraform

FN = "arn:aws:lambda:us-east-1:123456789012:function:acme-local-bad"
BAD_MODULE = f"""
variable "name_prefix" {{ type = string }}
variable "environment" {{ type = string }}
variable "tags" {{ type = map(string) }}

output "routes" {{
  value = {{
    "GET items"         = {{ function_arn = "{FN}" }}
    "GETitems"          = {{ function_arn = "{FN}" }}
    "GET /orders"       = {{ function_arn = "{FN}", authorizer = "auth0" }}
    "OPTIONS /orders"   = {{ function_arn = "{FN}", authorizer = "okta" }}
    "GET /v1/status"    = {{ function_arn = "{FN}" }}
    "POST /orders"      = {{ function_arn = "{FN}", timeout_ms = 40000 }}
    "GET /fine/{{id}}"  = {{ function_arn = "{FN}", authorizer = "okta" }}
  }}
}}

output "lambdas" {{
  value = {{ bad = "{FN}" }}
}}
"""


def synth(outdir: Path, module_dir: Path) -> Path:
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, "bad-module")
    add_aws_provider(stack, region="us-east-1", tags={"project": "acme"}, emulator=EmulatorConfig())
    apply_backend(stack, LocalBackendConfig(path="terraform.tfstate"))
    api = ModularApiGateway(
        stack,
        "api",
        props=ModularApiGatewayProps(
            name="acme-local-api",
            cors=CorsConfig(allow_origins=("https://app.acme.example.com",)),
            authorizers=(
                JwtAuthorizer(
                    name="okta", issuer="https://acme.okta.com/oauth2/default", audience=("api://x",)
                ),
            ),
            routes=(
                ApiRoute(key="GET /v1/status", integration=HttpIntegration(url="https://status.example.com")),
            ),
        ),
    )
    module = HclFeatureModule(
        stack,
        "module-bad",
        props=HclFeatureModuleProps(
            name="bad",
            source=module_dir,
            inputs=FeatureModuleInputs(name_prefix="acme-local", environment="local"),
        ),
    )
    api.add_feature_module(module)
    app.synth()
    return outdir / "stacks" / "bad-module"


@pytest.fixture(scope="module")
def plan_errors(tmp_path_factory, terraform_env) -> str:
    work = tmp_path_factory.mktemp("bad-module")
    module_dir = work / "module"
    module_dir.mkdir()
    (module_dir / "main.tf").write_text(BAD_MODULE)
    stack = work / "stack"
    shutil.copytree(synth(work / "out", module_dir), stack)
    env = {
        **terraform_env,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    terraform("init", "-input=false", cwd=stack, env=env)
    plan = terraform("plan", "-input=false", cwd=stack, env=env, check=False, timeout=120)
    assert plan.returncode == 1, plan.stdout[-3000:]
    # Terraform wraps long messages: single spaces make them searchable.
    return " ".join(plan.stderr.split())


def where(key: str) -> str:
    return f'feature module "bad", output routes, key "{key}"'


def test_a_malformed_route_key_fails_the_plan(plan_errors):
    assert f"{where('GET items')}: a route key is 'METHOD /path' with one space" in plan_errors


def test_a_key_without_a_space_is_reported_by_the_precondition_only(plan_errors):
    assert f"{where('GETitems')}: a route key is 'METHOD /path' with one space" in plan_errors
    assert "Invalid index" not in plan_errors  # the permission's source ARN does not fail first


def test_an_unknown_authorizer_fails_the_plan(plan_errors):
    assert f'{where("GET /orders")}: unknown authorizer "auth0"; known on this API: okta.' in plan_errors


def test_an_authorized_options_route_fails_the_plan(plan_errors):
    assert f"{where('OPTIONS /orders')}: OPTIONS routes answer CORS preflight requests" in plan_errors


def test_a_route_the_api_already_has_fails_the_plan(plan_errors):
    assert f"{where('GET /v1/status')}: the API already has this route" in plan_errors


def test_a_timeout_out_of_range_fails_the_plan(plan_errors):
    assert f"{where('POST /orders')}: timeout_ms must be 50-30000" in plan_errors


def test_a_good_route_is_not_reported(plan_errors):
    assert "GET /fine/{id}" not in plan_errors
