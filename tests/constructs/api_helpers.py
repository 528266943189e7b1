"""Builders and readers shared by the ModularApiGateway tests (not a test module)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cdktf import TerraformStack

from constructs_lib import (
    ApiRoute,
    CorsConfig,
    HttpIntegration,
    JwtAuthorizer,
    LambdaAuthorizer,
    LambdaIntegration,
    ModularApiGateway,
    ModularApiGatewayProps,
)
from tests.conftest import Synthesized, only, resources

ITEMS_FN = "arn:aws:lambda:us-east-1:111111111111:function:items"
AUTH_FN = "arn:aws:lambda:us-east-1:111111111111:function:authorizer"
ISSUER = "https://example.okta.com/oauth2/default"
ORIGIN = "https://app.example.com"
CORS = CorsConfig(allow_origins=(ORIGIN,))
OKTA = JwtAuthorizer(name="okta", issuer=ISSUER, audience=("api://default",))
CUSTOM = LambdaAuthorizer(name="custom", function_arn=AUTH_FN)


def lambda_route(key: str, function_arn: str = ITEMS_FN, **kwargs: Any) -> ApiRoute:
    """A route integrated with a Lambda function (``ITEMS_FN`` unless told)."""
    return ApiRoute(key=key, integration=LambdaIntegration(function_arn=function_arn), **kwargs)


def http_route(key: str, url: str = "https://backend.example.com", **kwargs: Any) -> ApiRoute:
    """A route proxied to an HTTP backend."""
    return ApiRoute(key=key, integration=HttpIntegration(url=url), **kwargs)


def build_api(**overrides: Any) -> Callable[[TerraformStack], ModularApiGateway]:
    """A builder for ``synth``: one API with these prop overrides."""

    def build(stack: TerraformStack) -> ModularApiGateway:
        values = {"name": "cora-dev-api", "cors": CORS, **overrides}
        return ModularApiGateway(stack, "api", props=ModularApiGatewayProps(**values))

    return build


def api_ref(doc: Synthesized, attribute: str) -> str:
    """``${aws_apigatewayv2_api.<id>.<attribute>}`` of the document's one API."""
    (id_,) = doc["resource"]["aws_apigatewayv2_api"]
    return f"${{aws_apigatewayv2_api.{id_}.{attribute}}}"


def route(doc: Synthesized, key: str) -> dict[str, Any]:
    """The one route resource with this route key."""
    return only([r for r in resources(doc, "aws_apigatewayv2_route") if r["route_key"] == key])


def integration_of(doc: Synthesized, route_key: str) -> dict[str, Any]:
    """The integration resource a route targets."""
    target = route(doc, route_key)["target"]
    match = re.fullmatch(r"integrations/\$\{aws_apigatewayv2_integration\.(.+)\.id\}", target)
    assert match, target
    return dict(doc["resource"]["aws_apigatewayv2_integration"][match[1]])


def authorizer_id_ref(doc: Synthesized, name: str) -> str:
    """``${aws_apigatewayv2_authorizer.<id>.id}`` of the authorizer named ``name``."""
    (id_,) = [i for i, a in doc["resource"]["aws_apigatewayv2_authorizer"].items() if a["name"] == name]
    return f"${{aws_apigatewayv2_authorizer.{id_}.id}}"


def arn_like(pattern: str, arn: str) -> bool:
    """IAM's ``ArnLike``: each of the six ``:``-separated parts matches with ``*`` and ``?`` wildcards.

    In the last part (the resource) ``*`` also matches ``/``, as in IAM.
    """
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    for wanted, got in zip(pattern_parts, arn_parts, strict=True):
        regex = re.escape(wanted).replace(r"\*", ".*").replace(r"\?", ".")
        if not re.fullmatch(regex, got):
            return False
    return True
