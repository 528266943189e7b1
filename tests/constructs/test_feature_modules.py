"""HCL feature modules: where they are found, the module in the JSON, and the wiring of their routes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cdktf import TerraformStack
from pydantic import ValidationError

from constructs_lib import (
    AnyRoutePreflight,
    ApiModule,
    CoraInfraError,
    FeatureModuleInputs,
    HclFeatureModule,
    HclFeatureModuleProps,
    ModularApiGateway,
    ModuleLayout,
    check_module_source,
    module_source_dir,
)
from constructs_lib.api.hcl_routes import ROUTE_KEY_PATTERN
from constructs_lib.api.models import parse_route_key
from tests.conftest import ROOT, only, resources
from tests.constructs.api_helpers import CUSTOM, OKTA, build_api, http_route, lambda_route

FIXTURES = ROOT / "tests" / "fixtures" / "modular"
MONOREPO = FIXTURES / "monorepo"
TWO_REPO = FIXTURES / "two-repo" / "acme-infra"
ITEMS = MONOREPO / "packages" / "module-items" / "infrastructure"
INPUTS = FeatureModuleInputs(name_prefix="acme-dev", environment="dev", tags={"team": "items"})


def items_module(stack: TerraformStack, name: str = "items", source: Path = ITEMS) -> HclFeatureModule:
    return HclFeatureModule(
        stack, f"module-{name}", props=HclFeatureModuleProps(name=name, source=source, inputs=INPUTS)
    )


def with_module(**api_props: object):
    """A builder for ``synth``: the API (with ``api_props``) and the fixture module wired into it."""

    def build(stack: TerraformStack) -> ModularApiGateway:
        api = build_api(**api_props)(stack)
        api.add_feature_module(items_module(stack))
        return api

    return build


def for_each(doc: dict, kind: str, id_part: str) -> dict:
    (body,) = [v for k, v in doc["resource"][kind].items() if id_part in k]
    return body


def conditions(body: dict) -> list[dict]:
    return list(body["lifecycle"]["precondition"])


# -- where modules are found --------------------------------------------------------------------------


def test_monorepo_modules_are_under_the_project_root():
    found = check_module_source(MONOREPO, project="acme", layout=ModuleLayout.MONOREPO, name="items")
    assert found == ITEMS
    assert found.is_absolute()


def test_two_repo_modules_are_in_the_stack_repository_beside_the_project():
    found = check_module_source(TWO_REPO, project="acme", layout=ModuleLayout.TWO_REPO, name="items")
    assert found == FIXTURES / "two-repo" / "acme-stack" / "packages" / "module-items" / "infrastructure"
    assert ".." not in found.parts  # normalised: the path a person would type


def test_a_relative_project_root_gives_an_absolute_path(monkeypatch):
    monkeypatch.chdir(FIXTURES / "two-repo")
    path = module_source_dir(Path("acme-infra"), project="acme", layout=ModuleLayout.TWO_REPO, name="items")
    assert path == FIXTURES / "two-repo" / "acme-stack" / "packages" / "module-items" / "infrastructure"


@pytest.mark.parametrize(
    ("root", "layout", "tried"),
    [
        (TWO_REPO, ModuleLayout.MONOREPO, TWO_REPO / "packages/module-items/infrastructure"),
        (MONOREPO, ModuleLayout.TWO_REPO, FIXTURES / "acme-stack/packages/module-items/infrastructure"),
    ],
)
def test_a_missing_module_names_key_module_layout_and_full_path(root, layout, tried):
    with pytest.raises(CoraInfraError) as caught:
        check_module_source(root, project="acme", layout=layout, name="items")
    message = str(caught.value)
    assert message.startswith("modules.names: module 'items'")
    assert f"modules.layout {layout.value!r}" in message
    assert f"{str(tried)!r} does not exist" in message
    assert "packages/module-<name>/infrastructure" in message


def test_a_folder_without_terraform_files_is_refused(tmp_path):
    (tmp_path / "packages" / "module-empty" / "infrastructure").mkdir(parents=True)
    with pytest.raises(CoraInfraError, match=r"module 'empty'.*holds no Terraform files \(\*\.tf\)"):
        check_module_source(tmp_path, project="acme", layout=ModuleLayout.MONOREPO, name="empty")


@pytest.mark.parametrize("name", ["Items", "items_v2", "-items", "items-", "a--b", "", "x" * 64])
def test_bad_module_names_are_refused(name):
    with pytest.raises(ValidationError, match="module name"):
        HclFeatureModuleProps(name=name, source=ITEMS, inputs=INPUTS)


def test_a_source_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(ValidationError, match=r"source .*nowhere' does not exist"):
        HclFeatureModuleProps(name="items", source=tmp_path / "nowhere", inputs=INPUTS)


def test_bad_inputs_are_refused():
    with pytest.raises(ValidationError, match="name_prefix 'Acme_Dev' is invalid"):
        FeatureModuleInputs(name_prefix="Acme_Dev", environment="dev")


# -- the module in the JSON ---------------------------------------------------------------------------


def test_the_module_is_a_content_addressed_asset_with_the_inputs(synth):
    doc = synth(with_module())
    module = only(list(doc["module"].values()))
    assert re.fullmatch(r"\./assets/module-items_source_[0-9A-F]{8}/[0-9A-F]{32}", module["source"])
    assert (module["name_prefix"], module["environment"], module["tags"]) == (
        "acme-dev",
        "dev",
        {"team": "items"},
    )


def test_the_json_holds_no_absolute_path(synth):
    text = json.dumps(synth(with_module()))
    assert str(ROOT) not in text
    assert str(ITEMS) not in text
    # No path rooted anywhere: every string that looks like a path is relative.
    assert not re.search(r'"/(?:work|tmp|root|home|Users|var)/', text)


def test_the_same_module_content_gives_the_same_source_from_another_folder(synth, tmp_path):
    copy = tmp_path / "elsewhere" / "infrastructure"
    copy.mkdir(parents=True)
    for file in ITEMS.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    here = only(list(synth(with_module())["module"].values()))["source"]

    def build(stack: TerraformStack) -> None:
        build_api()(stack).add_feature_module(items_module(stack, source=copy))

    there = only(list(synth(build)["module"].values()))["source"]
    assert here == there


def test_lambda_arn_reads_the_lambdas_output(synth):
    def build(stack: TerraformStack) -> None:
        module = items_module(stack)
        assert re.fullmatch(
            r'\$\{module\.module-items_module_[0-9A-F]{8}\.lambdas\["items"\]\}', module.lambda_arn("items")
        )
        with pytest.raises(CoraInfraError, match="function name 'a b'"):
            module.lambda_arn("a b")

    synth(build)


# -- wiring: for_each over the routes output ----------------------------------------------------------


def test_integrations_routes_and_permissions_iterate_over_the_routes_output(synth):
    doc = synth(with_module(authorizers=(OKTA,)))
    (module_id,) = doc["module"]
    routes_output = f"${{module.{module_id}.routes}}"
    integration = for_each(doc, "aws_apigatewayv2_integration", "module-items-integrations")
    route = for_each(doc, "aws_apigatewayv2_route", "module-items-routes")
    permission = for_each(doc, "aws_lambda_permission", "module-items-permissions")
    for body in (integration, route, permission):
        assert body["for_each"] == routes_output
    assert integration["integration_type"] == "AWS_PROXY"
    assert integration["integration_uri"] == "${each.value.function_arn}"
    assert integration["lifecycle"]["create_before_destroy"] is True
    assert route["route_key"] == "${each.key}"
    (integration_id,) = [k for k in doc["resource"]["aws_apigatewayv2_integration"] if "module-items" in k]
    assert route["target"] == f"integrations/${{aws_apigatewayv2_integration.{integration_id}[each.key].id}}"


def test_routes_find_their_authorizer_by_name(synth):
    doc = synth(with_module(authorizers=(OKTA, CUSTOM)))
    route = for_each(doc, "aws_apigatewayv2_route", "module-items-routes")
    assert (
        'lookup({"okta" = "JWT", "custom" = "CUSTOM"}, each.value.authorizer, "NONE")'
        in route["authorization_type"]
    )
    authorizers = doc["resource"]["aws_apigatewayv2_authorizer"]
    (okta,) = [k for k in authorizers if "okta" in k]
    (custom,) = [k for k in authorizers if "custom" in k]
    assert f'"okta" = aws_apigatewayv2_authorizer.{okta}.id' in route["authorizer_id"]
    assert f'"custom" = aws_apigatewayv2_authorizer.{custom}.id' in route["authorizer_id"]


def test_each_permission_is_scoped_to_its_route(synth):
    doc = synth(with_module())
    permission = for_each(doc, "aws_lambda_permission", "module-items-permissions")
    (api_id,) = doc["resource"]["aws_apigatewayv2_api"]
    assert permission["function_name"] == "${each.value.function_arn}"
    assert permission["principal"] == "apigateway.amazonaws.com"
    # <execution_arn>/*/<METHOD or * for ANY><path, parameters as *>: route_source_arn's statement.
    assert permission["source_arn"] == (
        f"${{aws_apigatewayv2_api.{api_id}.execution_arn}}/*/"
        '${split(" ", each.key)[0] == "ANY" ? "*" : split(" ", each.key)[0]}'
        '${replace(try(split(" ", each.key)[1], ""), "/\\\\{[^}]+\\\\}/", "*")}'
    )


def test_preconditions_name_the_module_key_and_what_is_allowed(synth):
    doc = synth(with_module(authorizers=(OKTA,), routes=(http_route("GET /status"),)))
    checks = conditions(for_each(doc, "aws_apigatewayv2_integration", "module-items-integrations"))
    by_message = {c["error_message"].split(": ", 1)[1]: c["condition"] for c in checks}
    for check in checks:
        assert check["error_message"].startswith('feature module "items", output routes, key "${each.key}": ')
    malformed = next(c for m, c in by_message.items() if m.startswith("a route key is 'METHOD /path'"))
    assert "can(regex(" in malformed and "each.key" in malformed
    unknown = next(c for m, c in by_message.items() if m.startswith("unknown authorizer"))
    assert unknown == (
        '${try(each.value.authorizer, null) == null || contains(["okta"], '
        'try(tostring(each.value.authorizer), ""))}'
    )
    assert any(m.endswith("known on this API: okta.") for m in by_message)
    taken = next(c for m, c in by_message.items() if m.startswith("the API already has this route"))
    assert taken == '${!contains(concat(["GET /status"]), each.key)}'
    assert any(m.startswith("authorization_scopes need a JWT authorizer") for m in by_message)
    assert any(m.startswith("OPTIONS routes answer CORS preflight") for m in by_message)


def test_a_second_module_refuses_the_first_ones_route_keys(synth):
    def build(stack: TerraformStack) -> None:
        api = build_api()(stack)
        first = items_module(stack)
        api.add_feature_module(first)
        api.add_feature_module(items_module(stack, name="orders"))

    doc = synth(build)
    first_id = next(k for k in doc["module"] if k.startswith("module-items"))
    checks = conditions(for_each(doc, "aws_apigatewayv2_integration", "module-orders-integrations"))
    assert f"${{!contains(concat([], keys(module.{first_id}.routes)), each.key)}}" in [
        c["condition"] for c in checks
    ]


def test_adding_one_module_twice_is_refused(synth):
    def build(stack: TerraformStack) -> None:
        api = build_api()(stack)
        module = items_module(stack)
        api.add_feature_module(module)
        with pytest.raises(CoraInfraError, match="feature module 'items' is already added"):
            api.add_feature_module(module)

    synth(build)


def test_authorized_any_routes_get_a_preflight_route_unless_refused(synth):
    added = synth(with_module(authorizers=(OKTA,)))
    preflight = for_each(added, "aws_apigatewayv2_route", "module-items-preflight-routes")
    assert preflight["authorization_type"] == "NONE"
    assert 'if startswith(k, "ANY ") && try(v.authorizer, null) != null' in preflight["for_each"]

    refused = synth(with_module(authorizers=(OKTA,), any_route_preflight=AnyRoutePreflight.REFUSE))
    assert not [k for k in refused["resource"]["aws_apigatewayv2_route"] if "preflight" in k]
    messages = [
        c["error_message"]
        for c in conditions(for_each(refused, "aws_apigatewayv2_integration", "module-items-integrations"))
    ]
    assert any("an authorized ANY route matches CORS preflight requests" in m for m in messages)


def test_a_python_module_goes_through_the_same_interface(synth):
    module = ApiModule(name="items", routes=(lambda_route("GET /items"),))

    def build(stack: TerraformStack) -> None:
        assert build_api()(stack).add_feature_module(module) is None

    via_feature = synth(build)
    via_module = synth(lambda stack: build_api()(stack).add_module(module))
    assert via_feature == via_module
    assert only(resources(via_feature, "aws_apigatewayv2_route"))["route_key"] == "GET /items"


# -- the route key pattern the precondition uses ------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "GET /items",
        "GET /",
        "ANY /{proxy+}",
        "POST /v1/items/{id}/tags",
        "DELETE /items/{id}/{rest+}",
        "HEAD /a.b~c_d-e",
        "GET items",
        "GET /items/",
        "GET //items",
        "GET  /items",
        "FETCH /items",
        "get /items",
        "GET /{proxy+}/more",
        "GET /{1d}",
        "GET /items /x",
        "GET /it%20ms",
    ],
)
def test_the_precondition_pattern_agrees_with_parse_route_key(key):
    try:
        parse_route_key(key)
        expected = True
    except ValueError:
        expected = False
    assert bool(re.fullmatch(ROUTE_KEY_PATTERN, key)) is expected
