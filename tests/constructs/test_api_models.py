"""The API models (``constructs_lib.api.models``): route keys, CORS, integrations and authorizers refuse
bad values with the field, the value and what is allowed."""

from __future__ import annotations

from time import perf_counter

import pytest
from pydantic import ValidationError

from constructs_lib import (
    ApiRoute,
    CorsConfig,
    HttpIntegration,
    HttpMethod,
    JwtAuthorizer,
    LambdaAuthorizer,
    LambdaIntegration,
    ModularApiGatewayProps,
)
from constructs_lib.api.models import check_routes
from tests.constructs.api_helpers import (
    AUTH_FN,
    CORS,
    ISSUER,
    ITEMS_FN,
    ORIGIN,
    lambda_route,
)


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("GET items", "must start with '/'"),
        ("GET /items/", "path segment '' is malformed"),
        ("GET //x", "path segment '' is malformed"),
        ("GET /a b", "must be 'METHOD /path' with one space"),
        ("GET /{proxy+}/x", "greedy parameter {proxy+} must be the last segment"),
        ("GET /{id}/{id}", "path parameter {id} appears twice"),
        ("GET /items/{1d}", "path segment '{1d}' is malformed"),
        ("GET /items{id}", "path segment 'items{id}' is malformed"),
        ("FETCH /x", "unknown method 'FETCH'"),
        ("get /x", "unknown method 'get'"),
        ("GET/x", "must be 'METHOD /path' with one space"),
        ("GET  /x", "must be 'METHOD /path' with one space"),
        ("", "must be 'METHOD /path' with one space"),
    ],
)
def test_malformed_route_keys_are_refused(key, problem):
    with pytest.raises(ValidationError, match="key") as err:
        lambda_route(key)
    assert f"route key {key!r}" in str(err.value)
    assert problem in str(err.value)


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.example.com/",
        "ftp://x.com",
        "app.example.com",
        "https://app.example.com/path",
        "https://app.example.com?x=1",
        "https://app.example.com:99999",
        "",
    ],
)
def test_malformed_origins_are_refused(origin):
    with pytest.raises(ValidationError, match="allow_origins") as err:
        CorsConfig(allow_origins=(origin,))
    assert f"CORS origin {origin!r} is malformed" in str(err.value)


def test_wildcard_origin_with_credentials_is_refused():
    with pytest.raises(ValidationError, match="allow_credentials") as err:
        CorsConfig(allow_origins=("*",), allow_credentials=True)
    assert "allow_origins '*'" in str(err.value)


def test_wildcard_origin_mixed_with_explicit_origins_is_refused():
    with pytest.raises(ValidationError, match="allow_origins") as err:
        CorsConfig(allow_origins=("*", ORIGIN))
    assert f"('*', {ORIGIN!r})" in str(err.value)


def test_empty_origins_are_refused():
    with pytest.raises(ValidationError, match="allow_origins") as err:
        CorsConfig(allow_origins=())
    assert "input_value=()" in str(err.value)


def test_duplicate_origins_are_refused():
    with pytest.raises(ValidationError, match="allow_origins") as err:
        CorsConfig(allow_origins=(ORIGIN, ORIGIN))
    assert f"[{ORIGIN!r}, {ORIGIN!r}]" in str(err.value)


def test_any_is_not_a_cors_method():
    with pytest.raises(ValidationError, match="allow_methods") as err:
        CorsConfig(allow_origins=(ORIGIN,), allow_methods=(HttpMethod.GET, HttpMethod.ANY))
    assert "'ANY' is a route method" in str(err.value)


@pytest.mark.parametrize(("field", "header"), [("allow_headers", "X Bad"), ("expose_headers", "X:Bad")])
def test_invalid_header_names_are_refused(field, header):
    with pytest.raises(ValidationError, match=field) as err:
        CorsConfig(allow_origins=(ORIGIN,), **{field: (header,)})
    assert f"header name {header!r}" in str(err.value)


@pytest.mark.parametrize("max_age", [-1, 86401])
def test_out_of_range_cors_max_age_is_refused(max_age):
    with pytest.raises(ValidationError, match="max_age_seconds") as err:
        CorsConfig(allow_origins=(ORIGIN,), max_age_seconds=max_age)
    assert f"input_value={max_age}," in str(err.value)


def test_jwt_authorizer_without_audience_is_refused():
    with pytest.raises(ValidationError, match="audience") as err:
        JwtAuthorizer(name="okta", issuer=ISSUER, audience=())
    assert "input_value=()" in str(err.value)


def test_jwt_authorizer_with_blank_audience_is_refused():
    with pytest.raises(ValidationError, match="audience") as err:
        JwtAuthorizer(name="okta", issuer=ISSUER, audience=(" ",))
    assert "input_value=(' ',)" in str(err.value)


@pytest.mark.parametrize("issuer", ["http://example.okta.com/oauth2/default", "example.okta.com", "https://"])
def test_jwt_issuer_must_be_https(issuer):
    with pytest.raises(ValidationError, match="issuer") as err:
        JwtAuthorizer(name="okta", issuer=issuer, audience=("api://default",))
    assert f"JWT issuer {issuer!r} must be an https:// URL" in str(err.value)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:us-east-1:123:function:items",
        "arn:aws:lambda:us-east-1:111111111111:items",
        "items",
        "arn:aws:s3:::bucket",
    ],
)
@pytest.mark.parametrize("model", [LambdaIntegration, LambdaAuthorizer])
def test_bad_lambda_arns_are_refused(model, arn):
    extra = {"name": "custom"} if model is LambdaAuthorizer else {}
    with pytest.raises(ValidationError, match="function_arn") as err:
        model(function_arn=arn, **extra)
    assert f"Lambda function ARN {arn!r} is invalid" in str(err.value)


@pytest.mark.parametrize("name", ["", "has space", "x" * 129, "okta.dev"])
def test_invalid_authorizer_names_are_refused(name):
    with pytest.raises(ValidationError, match="name") as err:
        JwtAuthorizer(name=name, issuer=ISSUER, audience=("api://default",))
    assert f"authorizer name {name!r} is invalid" in str(err.value)


def test_invalid_identity_source_is_refused():
    with pytest.raises(ValidationError, match="identity_sources") as err:
        LambdaAuthorizer(name="custom", function_arn=AUTH_FN, identity_sources=("Authorization",))
    assert "identity source 'Authorization' is invalid" in str(err.value)


@pytest.mark.parametrize("days", [31, 2, 4000])
def test_log_retention_must_be_a_cloudwatch_period(days):
    with pytest.raises(ValidationError, match="log_retention_days") as err:
        ModularApiGatewayProps(name="cora-dev-api", cors=CORS, log_retention_days=days)
    assert f"log retention {days} days is not a CloudWatch period" in str(err.value)


def test_authorization_scopes_without_authorizer_are_refused():
    with pytest.raises(ValidationError, match="authorization_scopes") as err:
        lambda_route("GET /items", authorization_scopes=("items:read",))
    assert "'GET /items'" in str(err.value)


@pytest.mark.parametrize("url", ["backend.example.com", "ftp://backend.example.com", "https:// x"])
def test_http_integration_url_must_be_http(url):
    with pytest.raises(ValidationError, match="url") as err:
        HttpIntegration(url=url)
    assert f"integration URL {url!r}" in str(err.value)


@pytest.mark.parametrize(("field", "value"), [("timeout_ms", 49), ("timeout_ms", 30_001)])
def test_out_of_range_integration_timeout_is_refused(field, value):
    with pytest.raises(ValidationError, match=field) as err:
        LambdaIntegration(function_arn=ITEMS_FN, **{field: value})
    assert f"input_value={value}," in str(err.value)


def test_route_checks_stay_linear_in_the_number_of_routes():
    # Each key was counted over the whole list (20,000 routes: 4e8 comparisons, ~3 s); now one pass.
    integration = LambdaIntegration(function_arn=ITEMS_FN)
    routes = [
        ApiRoute.model_construct(key=f"GET /items-{i}", integration=integration, authorizer=None)
        for i in range(20_000)
    ]
    start = perf_counter()
    check_routes(routes, ["okta"])
    assert perf_counter() - start < 1.0
    with pytest.raises(ValueError, match=r"duplicate route keys: GET /items-1, GET /items-7; each"):
        check_routes([*routes, routes[7], routes[1], routes[7]], ["okta"])
