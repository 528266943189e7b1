"""Which ``aws_lambda_permission`` resources an HTTP API needs: least privilege within the 20 KB cap.

API Gateway may invoke a function only where its resource policy says so. AWS stores each permission
as one statement of that policy, and the policy may hold at most 20,480 bytes: one statement per
route (about 330 bytes each) overflows it around 60 routes, a common shape when one Lambda serves a
whole feature module. So, per function (its ARN, qualifier included: an alias has its own policy):

- up to :data:`ROUTE_STATEMENTS_PER_FUNCTION` routes on this API: one statement per route, scoped to
  its method and path (``<execution_arn>/*/<METHOD>/<path>``), construct id ``permission-<route>``;
- more: one statement for the function, scoped to this API (``<execution_arn>/*/*/*``, what AWS CDK's
  ``HttpLambdaIntegration(scopePermissionToRoute=false)`` grants), construct id
  ``permission-function-<function>``. API Gateway invokes a function only through an integration of
  this API, so the wider source ARN admits no other API and no other caller.

The plan depends only on which routes use which function, never on the order they were added in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from cdktf import DefaultTokenResolver, Fn, StringConcat, TerraformStack, Tokenization
from constructs import Construct

from constructs_lib import _aws
from constructs_lib._runtime.validation import LAMBDA_ARN, is_token
from constructs_lib.api.models import ApiRoute, HttpMethod

ROUTE_STATEMENTS_PER_FUNCTION = 20
"""Routes of one function on one API that get a statement each: 20 statements of realistic routes
take about 7.5 KB, which leaves most of the 20 KB for the function's other statements."""
POLICY_SIZE_LIMIT = 20_480
"""Bytes AWS allows in a function's resource policy (``PolicyLengthExceededException`` beyond)."""
PRINCIPAL = "apigateway.amazonaws.com"


def slug(text: str, readable: str | None = None) -> str:
    """A readable, stable construct id part for ``text`` (a route key, a name, a function ARN)."""
    shown = re.sub(r"[^A-Za-z0-9]+", "-", readable or text).strip("-")[:60]
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    return f"{shown}-{digest}"


def route_source_arn(execution_arn: str, route: ApiRoute) -> str:
    """Any stage, the route's method (any for ``ANY``), its path with each parameter as ``*``."""
    method = "*" if route.method is HttpMethod.ANY else route.method.value
    path = re.sub(r"\{[^}]+\}", "*", route.path)
    return f"{execution_arn}/*/{method}{path}"


def api_source_arn(execution_arn: str) -> str:
    """Any stage, method and path of this API (``*`` also matches ``/`` in ``ArnLike``)."""
    return f"{execution_arn}/*/*/*"


def invoke_uri(function_arn: str) -> str:
    """The API Gateway invocation URI of a Lambda function (works for literal ARNs and tokens)."""
    match = LAMBDA_ARN.fullmatch(function_arn)
    if match:
        return (
            f"arn:{match['partition']}:apigateway:{match['region']}:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations"
        )
    parts = Fn.split(":", function_arn)
    uri: str = Fn.format(
        "arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations",
        [Fn.element(parts, 1), Fn.element(parts, 3), function_arn],
    )
    return uri


@dataclass
class _Function:
    """One function's routes on this API and the permission resources granted for them so far."""

    key: str
    route_ids: list[str] = field(default_factory=list)
    api_wide: bool = False


class RoutePermissions:
    """Grants API Gateway the right to invoke each route's function, planned per function.

    Permissions are created as routes are added; when a function passes the limit, its per-route
    permissions are removed and one API-scoped permission takes their place.
    """

    def __init__(self, scope: Construct, execution_arn: str) -> None:
        self._scope = scope
        self._execution_arn = execution_arn
        self._functions: dict[str, _Function] = {}
        self._resolved: dict[str, str] = {}

    def grant(self, route: ApiRoute, function_arn: str, route_id: str) -> None:
        """Let API Gateway invoke ``function_arn`` for ``route`` (construct id part ``route_id``)."""
        key = self._function_key(function_arn)
        function = self._functions.setdefault(key, _Function(key=key))
        function.route_ids.append(route_id)
        if function.api_wide:
            return
        if len(function.route_ids) <= ROUTE_STATEMENTS_PER_FUNCTION:
            self._permission(
                f"permission-{route_id}", function_arn, route_source_arn(self._execution_arn, route)
            )
            return
        for earlier in function.route_ids[:-1]:
            self._scope.node.try_remove_child(f"permission-{earlier}")
        name = function_arn.rsplit(":function:", 1)[-1] if not is_token(function_arn) else key
        self._permission(
            f"permission-function-{slug(key, name)}", function_arn, api_source_arn(self._execution_arn)
        )
        function.api_wide = True

    def grant_authorizer(self, id_: str, function_arn: str, authorizer_id: str) -> None:
        """Let API Gateway invoke a Lambda authorizer's function for that authorizer only."""
        self._permission(id_, function_arn, f"{self._execution_arn}/authorizers/{authorizer_id}")

    def _permission(self, id_: str, function_arn: str, source_arn: str) -> None:
        _aws.LambdaPermission(
            self._scope,
            id_,
            action="lambda:InvokeFunction",
            function_name=function_arn,
            principal=PRINCIPAL,
            source_arn=source_arn,
        )

    def _function_key(self, function_arn: str) -> str:
        """The function's identity: its ARN, or for a token the expression it stands for.

        Each read of a resource attribute is a new token string for the same function, so tokens are
        resolved (without side effects: cross-stack references are prepared later, by synth).
        """
        if not is_token(function_arn):
            return function_arn
        if function_arn not in self._resolved:
            resolved = Tokenization.resolve(
                function_arn,
                scope=TerraformStack.of(self._scope),
                resolver=DefaultTokenResolver(StringConcat()),
            )
            self._resolved[function_arn] = resolved if isinstance(resolved, str) else function_arn
        return self._resolved[function_arn]
