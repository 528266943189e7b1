"""ModularApiGateway: CORS and logging defaults, routes and authorizers, preflight safety, validation."""

from __future__ import annotations

import json
import re

import cdktf
import pytest
from cdktf import TerraformOutput, TerraformStack, TerraformVariable
from pydantic import ValidationError

from constructs_lib import (
    ApiModule,
    CoraInfraError,
    CorsConfig,
    HttpMethod,
    JwtAuthorizer,
    LambdaAuthorizer,
    ModularApiGateway,
    ModularApiGatewayProps,
    Throttling,
)
from tests.conftest import only, resources
from tests.constructs.api_helpers import (
    AUTH_FN,
    CORS,
    CUSTOM,
    ISSUER,
    ITEMS_FN,
    OKTA,
    ORIGIN,
    api_ref,
    authorizer_id_ref,
    build_api,
    http_route,
    integration_of,
    lambda_route,
    route,
)

# CloudWatch Logs log group names: 1-512 of letters, digits and _-/.#
LOG_GROUP_NAME = re.compile(r"^[A-Za-z0-9_\-/.#]{1,512}$")


# -- defaults -----------------------------------------------------------------------------------------


def test_defaults_are_http_protocol_and_cora_cors(synth):
    doc = synth(build_api())
    api = only(resources(doc, "aws_apigatewayv2_api"))
    assert api["name"] == "cora-dev-api"
    assert api["protocol_type"] == "HTTP"
    assert api["cors_configuration"] == {
        "allow_origins": [ORIGIN],
        "allow_methods": ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"],
        "allow_headers": ["Authorization", "Content-Type", "X-Requested-With", "Accept", "Origin"],
        "max_age": 300,
        "allow_credentials": False,
    }


def test_default_stage_auto_deploys_with_json_access_logs(synth):
    doc = synth(build_api())
    stage = only(resources(doc, "aws_apigatewayv2_stage"))
    (log_group_id,) = doc["resource"]["aws_cloudwatch_log_group"]
    assert stage["name"] == "$default"
    assert stage["auto_deploy"] is True
    assert stage["api_id"] == api_ref(doc, "id")
    assert stage["access_log_settings"]["destination_arn"] == (
        f"${{aws_cloudwatch_log_group.{log_group_id}.arn}}"
    )
    log_format = json.loads(stage["access_log_settings"]["format"])
    assert log_format["requestId"] == "$context.requestId"
    assert log_format["status"] == "$context.status"


def test_access_logs_are_kept_30_days(synth):
    doc = synth(build_api())
    log_group = only(resources(doc, "aws_cloudwatch_log_group"))
    assert log_group["retention_in_days"] == 30
    assert LOG_GROUP_NAME.match(log_group["name"])


def test_default_route_settings_throttle(synth):
    doc = synth(build_api())
    settings = only(resources(doc, "aws_apigatewayv2_stage"))["default_route_settings"]
    assert settings["throttling_burst_limit"] == 100
    assert settings["throttling_rate_limit"] == 50


def test_throttling_cors_and_retention_are_configurable(synth):
    cors = CorsConfig(
        allow_origins=(ORIGIN, "http://localhost:3000"),
        allow_methods=(HttpMethod.GET,),
        allow_headers=("Content-Type",),
        expose_headers=("X-Request-Id",),
        max_age_seconds=60,
        allow_credentials=True,
    )
    doc = synth(
        build_api(cors=cors, throttling=Throttling(burst_limit=10, rate_limit=5), log_retention_days=90)
    )
    api = only(resources(doc, "aws_apigatewayv2_api"))
    assert api["cors_configuration"] == {
        "allow_origins": [ORIGIN, "http://localhost:3000"],
        "allow_methods": ["GET"],
        "allow_headers": ["Content-Type"],
        "expose_headers": ["X-Request-Id"],
        "max_age": 60,
        "allow_credentials": True,
    }
    settings = only(resources(doc, "aws_apigatewayv2_stage"))["default_route_settings"]
    assert (settings["throttling_burst_limit"], settings["throttling_rate_limit"]) == (10, 5)
    assert only(resources(doc, "aws_cloudwatch_log_group"))["retention_in_days"] == 90


def test_outputs_are_tokens_referring_to_the_api(synth):
    def build(stack):
        api = build_api()(stack)
        for name in ("api_endpoint", "api_id", "execution_arn"):
            value = getattr(api, name)
            assert "${TfToken[" in value
            TerraformOutput(stack, name, value=value)

    doc = synth(build)
    assert doc["output"]["api_endpoint"]["value"] == api_ref(doc, "api_endpoint")
    assert doc["output"]["api_id"]["value"] == api_ref(doc, "id")
    assert doc["output"]["execution_arn"]["value"] == api_ref(doc, "execution_arn")


# -- routes and integrations --------------------------------------------------------------------------


def test_lambda_route_is_an_aws_proxy_payload_2_integration(synth):
    doc = synth(build_api(routes=(lambda_route("GET /items/{id}"),)))
    integration = integration_of(doc, "GET /items/{id}")
    assert integration["integration_type"] == "AWS_PROXY"
    assert integration["integration_uri"] == ITEMS_FN
    assert integration["payload_format_version"] == "2.0"
    assert integration["api_id"] == api_ref(doc, "id")


def test_each_lambda_route_gets_one_permission_scoped_to_its_method_and_path(synth):
    doc = synth(
        build_api(
            routes=(
                lambda_route("GET /items/{id}"),
                lambda_route("ANY /items"),
                lambda_route("POST /items/{id}/files/{proxy+}"),
                http_route("GET /health"),
            )
        )
    )
    permissions = resources(doc, "aws_lambda_permission")
    assert len(permissions) == 3
    assert {p["principal"] for p in permissions} == {"apigateway.amazonaws.com"}
    assert {p["action"] for p in permissions} == {"lambda:InvokeFunction"}
    assert {p["function_name"] for p in permissions} == {ITEMS_FN}
    execution_arn = api_ref(doc, "execution_arn")
    assert sorted(p["source_arn"] for p in permissions) == sorted(
        [
            f"{execution_arn}/*/GET/items/*",
            f"{execution_arn}/*/*/items",
            f"{execution_arn}/*/POST/items/*/files/*",
        ]
    )


def test_integrations_are_replaced_create_before_destroy(synth):
    # Switching Lambda <-> HTTP replaces the integration; AWS refuses to delete one a route targets,
    # so the new one must exist (and the route point at it) first. The apply is in tests/deploy.
    doc = synth(build_api(routes=(lambda_route("GET /items"), http_route("GET /health"))))
    integrations = resources(doc, "aws_apigatewayv2_integration")
    assert len(integrations) == 2
    assert all(i["lifecycle"] == {"create_before_destroy": True} for i in integrations)


def test_http_route_is_an_http_proxy_integration_without_lambda_permission(synth):
    doc = synth(build_api(routes=(http_route("ANY /legacy/{proxy+}"),)))
    integration = integration_of(doc, "ANY /legacy/{proxy+}")
    assert integration["integration_type"] == "HTTP_PROXY"
    assert integration["integration_uri"] == "https://backend.example.com"
    assert integration["integration_method"] == "ANY"
    assert resources(doc, "aws_lambda_permission") == []


def test_route_without_authorizer_is_public(synth):
    doc = synth(build_api(authorizers=(OKTA,), routes=(lambda_route("GET /items"),)))
    items = route(doc, "GET /items")
    assert items["authorization_type"] == "NONE"
    assert "authorizer_id" not in items


def test_jwt_authorizer_checks_issuer_and_audience(synth):
    routes = (lambda_route("GET /items", authorizer="okta", authorization_scopes=("items:read",)),)
    doc = synth(build_api(authorizers=(OKTA,), routes=routes))
    authorizer = only(resources(doc, "aws_apigatewayv2_authorizer"))
    assert authorizer["authorizer_type"] == "JWT"
    assert authorizer["jwt_configuration"] == {"issuer": ISSUER, "audience": ["api://default"]}
    assert authorizer["identity_sources"] == ["$request.header.Authorization"]
    items = route(doc, "GET /items")
    assert items["authorization_type"] == "JWT"
    assert items["authorizer_id"] == authorizer_id_ref(doc, "okta")
    assert items["authorization_scopes"] == ["items:read"]


def test_lambda_authorizer_is_a_request_authorizer_allowed_to_invoke_its_function(synth):
    doc = synth(build_api(authorizers=(CUSTOM,), routes=(http_route("GET /admin", authorizer="custom"),)))
    authorizer = only(resources(doc, "aws_apigatewayv2_authorizer"))
    assert authorizer["authorizer_type"] == "REQUEST"
    assert AUTH_FN in authorizer["authorizer_uri"]
    assert authorizer["authorizer_uri"].endswith("/invocations")
    assert authorizer["authorizer_uri"].startswith("arn:aws:apigateway:us-east-1:lambda:path/")
    assert authorizer["authorizer_payload_format_version"] == "2.0"
    permission = only(resources(doc, "aws_lambda_permission"))
    assert permission["function_name"] == AUTH_FN
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert "/authorizers/" in permission["source_arn"]
    assert permission["source_arn"].startswith(api_ref(doc, "execution_arn"))
    admin = route(doc, "GET /admin")
    assert admin["authorization_type"] == "CUSTOM"
    assert admin["authorizer_id"] == authorizer_id_ref(doc, "custom")


def test_lambda_authorizer_with_token_arn_builds_the_invocation_uri_at_apply_time(synth):
    def build(stack):
        arn = TerraformVariable(stack, "authorizer_arn", type="string").string_value
        api = build_api()(stack)
        api.add_authorizer(LambdaAuthorizer(name="custom", function_arn=arn))

    doc = synth(build)
    uri = only(resources(doc, "aws_apigatewayv2_authorizer"))["authorizer_uri"]
    assert "var.authorizer_arn" in uri
    assert "/invocations" in uri


def test_add_module_adds_all_its_routes(synth):
    module = ApiModule(
        name="items",
        routes=(lambda_route("GET /items"), lambda_route("POST /items"), http_route("GET /items/{id}")),
    )

    def build(stack):
        api = build_api(routes=(http_route("GET /health"),))(stack)
        api.add_module(module)
        assert set(api.routes) == {"GET /health", "GET /items", "POST /items", "GET /items/{id}"}

    doc = synth(build)
    keys = sorted(r["route_key"] for r in resources(doc, "aws_apigatewayv2_route"))
    assert keys == ["GET /health", "GET /items", "GET /items/{id}", "POST /items"]
    assert len(resources(doc, "aws_apigatewayv2_integration")) == 4


# -- preflight ----------------------------------------------------------------------------------------


def test_options_route_with_authorizer_is_refused():
    with pytest.raises(ValidationError, match="OPTIONS") as err:
        lambda_route("OPTIONS /items", authorizer="okta")
    assert "'OPTIONS /items'" in str(err.value)


def test_options_routes_are_never_authorized(synth):
    module = ApiModule(
        name="items",
        routes=(
            lambda_route("GET /items", authorizer="okta"),
            http_route("OPTIONS /items"),
            lambda_route("OPTIONS /items/{id}"),
            lambda_route("ANY /admin/{proxy+}", authorizer="custom"),
        ),
    )

    def build(stack):
        build_api(authorizers=(OKTA, CUSTOM))(stack).add_module(module)

    doc = synth(build)
    options = [r for r in resources(doc, "aws_apigatewayv2_route") if r["route_key"].startswith("OPTIONS ")]
    # The two given, plus the one added for the authorized ANY route (test_api_preflight.py).
    assert sorted(r["route_key"] for r in options) == [
        "OPTIONS /admin/{proxy+}",
        "OPTIONS /items",
        "OPTIONS /items/{id}",
    ]
    assert all(r["authorization_type"] == "NONE" for r in options)
    assert all("authorizer_id" not in r for r in options)


def test_cors_is_always_configured(synth):
    with pytest.raises(ValidationError, match="cors"):
        ModularApiGatewayProps(name="cora-dev-api")
    doc = synth(build_api(cors=CorsConfig(allow_origins=("*",))))
    assert only(resources(doc, "aws_apigatewayv2_api"))["cors_configuration"]["allow_origins"] == ["*"]


# -- validation ---------------------------------------------------------------------------------------


@pytest.fixture
def api() -> ModularApiGateway:
    """An API construct (never synthesized) for contribution errors."""
    return build_api(authorizers=(OKTA, CUSTOM))(TerraformStack(cdktf.Testing.app(), "validation"))


def test_duplicate_route_key_in_props_is_refused():
    with pytest.raises(ValidationError, match="duplicate route key") as err:
        ModularApiGatewayProps(
            name="cora-dev-api", cors=CORS, routes=(lambda_route("GET /items"), http_route("GET /items"))
        )
    assert "GET /items" in str(err.value)


def test_duplicate_route_key_added_twice_is_refused(api):
    api.add_route(lambda_route("GET /items"))
    with pytest.raises(CoraInfraError, match="duplicate route key") as err:
        api.add_route(http_route("GET /items"))
    assert "'GET /items'" in str(err.value)


def test_route_from_module_clashing_with_props_route_is_refused(api):
    api.add_route(lambda_route("GET /items"))
    module = ApiModule(name="items", routes=(lambda_route("GET /items"),))
    with pytest.raises(CoraInfraError, match="routes: duplicate route key") as err:
        api.add_module(module)
    assert "'GET /items'" in str(err.value)


def test_unknown_authorizer_in_props_is_refused():
    with pytest.raises(ValidationError, match="unknown authorizer") as err:
        ModularApiGatewayProps(
            name="cora-dev-api", cors=CORS, routes=(lambda_route("GET /items", authorizer="okat"),)
        )
    assert "'okat'" in str(err.value)


def test_unknown_authorizer_on_add_route_is_refused(api):
    with pytest.raises(CoraInfraError, match="unknown authorizer") as err:
        api.add_route(lambda_route("GET /items", authorizer="okat"))
    assert "'okat'" in str(err.value)
    assert "known: okta, custom" in str(err.value)


def test_scopes_on_a_lambda_authorizer_route_are_refused(api):
    with pytest.raises(CoraInfraError, match="authorization_scopes") as err:
        api.add_route(lambda_route("GET /items", authorizer="custom", authorization_scopes=("read",)))
    assert "'GET /items'" in str(err.value)


def test_duplicate_authorizer_name_on_add_authorizer_is_refused(api):
    with pytest.raises(CoraInfraError, match="authorizers") as err:
        api.add_authorizer(JwtAuthorizer(name="okta", issuer=ISSUER, audience=("other",)))
    assert "'okta'" in str(err.value)


def test_duplicate_authorizer_names_in_props_are_refused():
    with pytest.raises(ValidationError, match="authorizer names must be unique") as err:
        ModularApiGatewayProps(name="cora-dev-api", cors=CORS, authorizers=(OKTA, OKTA))
    assert "['okta', 'okta']" in str(err.value)


@pytest.mark.parametrize("name", ["", "cora/api", "x" * 129])
def test_invalid_api_names_are_refused(name):
    with pytest.raises(ValidationError, match="name") as err:
        ModularApiGatewayProps(name=name, cors=CORS)
    assert f"API name {name!r} is invalid" in str(err.value)


def test_api_name_with_spaces_is_refused_because_the_log_group_is_named_after_it():
    with pytest.raises(ValidationError, match="name") as err:
        ModularApiGatewayProps(name="Cora API", cors=CORS)
    assert "API name 'Cora API' is invalid" in str(err.value)


def test_log_group_name_is_valid_for_cloudwatch(synth):
    props = ModularApiGatewayProps(name="cora_dev.api-1", cors=CORS)
    doc = synth(lambda s: ModularApiGateway(s, "api", props=props))
    name = only(resources(doc, "aws_cloudwatch_log_group"))["name"]
    assert LOG_GROUP_NAME.match(name), name


def test_log_kms_key_must_be_a_kms_arn():
    with pytest.raises(ValidationError, match="log_kms_key_arn") as err:
        ModularApiGatewayProps(name="cora-dev-api", cors=CORS, log_kms_key_arn="not-an-arn")
    assert "'not-an-arn'" in str(err.value)


def test_unknown_prop_is_refused():
    with pytest.raises(ValidationError, match="rouets"):
        ModularApiGatewayProps(name="cora-dev-api", cors=CORS, rouets=())
