"""CORS preflight and authorized ``ANY`` routes: an ``OPTIONS`` route is added, or the route is refused.

API Gateway answers a preflight from its CORS configuration only when no route matches ``OPTIONS``;
``ANY /x`` matches it, so with an authorizer the preflight (which carries no credentials) would get a
401 and the browser would report a CORS error.
"""

from __future__ import annotations

import cdktf
import pytest
from cdktf import TerraformStack
from pydantic import ValidationError

from constructs_lib import AnyRoutePreflight, ApiModule, CoraInfraError, ModularApiGatewayProps
from tests.conftest import only, resources
from tests.constructs.api_helpers import (
    CORS,
    CUSTOM,
    OKTA,
    api_ref,
    arn_like,
    authorizer_id_ref,
    build_api,
    http_route,
    integration_of,
    lambda_route,
    route,
)

# A realistic execution ARN, to check what the synthesized permissions would admit on AWS.
EXECUTION_ARN = "arn:aws:execute-api:us-east-1:111111111111:a1b2c3d4e5"


def route_keys(doc: dict[str, object]) -> list[str]:
    return sorted(r["route_key"] for r in resources(doc, "aws_apigatewayv2_route"))


def test_authorized_any_route_gets_an_unauthenticated_options_route_to_the_same_integration(synth):
    doc = synth(build_api(authorizers=(OKTA,), routes=(lambda_route("ANY /items", authorizer="okta"),)))
    assert route_keys(doc) == ["ANY /items", "OPTIONS /items"]
    any_route, options = route(doc, "ANY /items"), route(doc, "OPTIONS /items")
    assert any_route["authorization_type"] == "JWT"
    assert any_route["authorizer_id"] == authorizer_id_ref(doc, "okta")
    assert options["authorization_type"] == "NONE"
    assert "authorizer_id" not in options
    assert "authorization_scopes" not in options
    assert options["target"] == any_route["target"]
    assert options["api_id"] == api_ref(doc, "id")
    assert len(resources(doc, "aws_apigatewayv2_integration")) == 1


def test_the_any_routes_permission_already_admits_the_preflight_so_none_is_added(synth):
    doc = synth(build_api(authorizers=(OKTA,), routes=(lambda_route("ANY /items", authorizer="okta"),)))
    permission = only(resources(doc, "aws_lambda_permission"))
    source_arn = permission["source_arn"].replace(api_ref(doc, "execution_arn"), EXECUTION_ARN)
    assert arn_like(source_arn, f"{EXECUTION_ARN}/$default/OPTIONS/items")
    assert arn_like(source_arn, f"{EXECUTION_ARN}/$default/GET/items")
    assert not arn_like(source_arn, f"{EXECUTION_ARN}/$default/OPTIONS/other")


def test_greedy_any_route_with_lambda_authorizer_gets_its_options_route(synth):
    routes = (http_route("ANY /admin/{proxy+}", authorizer="custom"),)
    doc = synth(build_api(authorizers=(CUSTOM,), routes=routes))
    options = route(doc, "OPTIONS /admin/{proxy+}")
    assert options["authorization_type"] == "NONE"
    assert options["target"] == route(doc, "ANY /admin/{proxy+}")["target"]
    assert integration_of(doc, "OPTIONS /admin/{proxy+}")["integration_type"] == "HTTP_PROXY"


def test_any_routes_added_later_get_their_options_route_too(synth):
    def build(stack):
        api = build_api(authorizers=(OKTA,))(stack)
        api.add_route(lambda_route("ANY /a", authorizer="okta"))
        api.add_module(ApiModule(name="b", routes=(lambda_route("ANY /b/{id}", authorizer="okta"),)))
        assert set(api.routes) == {"ANY /a", "OPTIONS /a", "ANY /b/{id}", "OPTIONS /b/{id}"}

    doc = synth(build)
    assert route_keys(doc) == ["ANY /a", "ANY /b/{id}", "OPTIONS /a", "OPTIONS /b/{id}"]
    assert route(doc, "OPTIONS /b/{id}")["target"] == route(doc, "ANY /b/{id}")["target"]


def test_public_any_routes_and_authorized_explicit_methods_get_no_options_route(synth):
    routes = (
        lambda_route("ANY /public"),
        lambda_route("GET /items", authorizer="okta"),
        lambda_route("POST /items", authorizer="okta"),
    )
    doc = synth(build_api(authorizers=(OKTA,), routes=routes))
    assert route_keys(doc) == ["ANY /public", "GET /items", "POST /items"]


@pytest.mark.parametrize("options_first", [True, False], ids=["options-first", "options-after"])
def test_the_users_own_options_route_is_kept(synth, options_first):
    mine = http_route("OPTIONS /items", url="https://preflight.example.com")
    any_route = lambda_route("ANY /items", authorizer="okta")
    routes = (mine, any_route) if options_first else (any_route, mine)
    doc = synth(build_api(authorizers=(OKTA,), routes=routes))
    assert route_keys(doc) == ["ANY /items", "OPTIONS /items"]
    assert integration_of(doc, "OPTIONS /items")["integration_uri"] == "https://preflight.example.com"
    assert route(doc, "OPTIONS /items")["authorization_type"] == "NONE"


def test_a_users_options_route_added_after_the_automatic_one_replaces_it(synth):
    mine = http_route("OPTIONS /items", url="https://preflight.example.com")

    def later(stack):
        api = build_api(authorizers=(OKTA,), routes=(lambda_route("ANY /items", authorizer="okta"),))(stack)
        assert "OPTIONS /items" in api.routes
        replaced = api.add_route(mine)
        assert api.routes["OPTIONS /items"] is replaced

    def together(stack):
        build_api(authorizers=(OKTA,), routes=(mine, lambda_route("ANY /items", authorizer="okta")))(stack)

    doc = synth(later)
    assert integration_of(doc, "OPTIONS /items")["integration_uri"] == "https://preflight.example.com"
    # Same JSON, ids included, whichever came first: no resource is replaced by reordering modules.
    assert doc == synth(together)


def test_the_users_options_route_still_cannot_be_added_twice(synth):
    def build(stack):
        api = build_api(authorizers=(OKTA,), routes=(lambda_route("ANY /items", authorizer="okta"),))(stack)
        api.add_route(http_route("OPTIONS /items"))
        with pytest.raises(CoraInfraError, match="duplicate route key 'OPTIONS /items'"):
            api.add_route(http_route("OPTIONS /items"))

    synth(build)


# -- REFUSE ---------------------------------------------------------------------------------------------


def refusing(**overrides):
    return build_api(authorizers=(OKTA,), any_route_preflight=AnyRoutePreflight.REFUSE, **overrides)


def test_refuse_mode_refuses_an_authorized_any_route_in_props():
    stack = TerraformStack(cdktf.Testing.app(), "refuse")
    with pytest.raises(CoraInfraError) as err:
        refusing(routes=(lambda_route("ANY /items", authorizer="okta"),))(stack)
    message = str(err.value)
    assert "'ANY /items'" in message
    assert "preflight" in message
    assert "401" in message or "authorizer" in message
    assert "'GET /items'" in message  # explicit methods instead
    assert "'OPTIONS /items'" in message  # or the user's own preflight route
    assert "any_route_preflight='add_options_route'" in message  # or the add mode


def test_refuse_mode_refuses_an_authorized_any_route_added_later():
    api = refusing()(TerraformStack(cdktf.Testing.app(), "refuse-later"))
    with pytest.raises(CoraInfraError, match=r"'ANY /b/\{id\}'"):
        api.add_module(ApiModule(name="b", routes=(lambda_route("ANY /b/{id}", authorizer="okta"),)))
    assert api.routes == {}  # nothing half-added


def test_refuse_mode_accepts_any_routes_whose_preflight_is_handled(synth):
    def build(stack):
        api = refusing(
            routes=(lambda_route("ANY /items", authorizer="okta"), http_route("OPTIONS /items")),
        )(stack)
        api.add_route(http_route("OPTIONS /b"))
        api.add_route(lambda_route("ANY /b", authorizer="okta"))
        api.add_route(lambda_route("ANY /public"))

    doc = synth(build)
    assert route_keys(doc) == ["ANY /b", "ANY /items", "ANY /public", "OPTIONS /b", "OPTIONS /items"]


def test_the_mode_is_a_closed_set():
    with pytest.raises(ValidationError, match="any_route_preflight") as err:
        ModularApiGatewayProps(name="cora-dev-api", cors=CORS, any_route_preflight="ignore")
    assert "'ignore'" in str(err.value)
    assert "'add_options_route' or 'refuse'" in str(err.value)
    assert ModularApiGatewayProps(name="cora-dev-api", cors=CORS).any_route_preflight == "add_options_route"
