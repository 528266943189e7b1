"""The routes of an HCL feature module on an HTTP API: ``for_each`` over the module's ``routes`` output.

The route keys of an HCL module are known only to Terraform (they are literal in the module, so known
at plan time, while the function ARNs may be known only at apply). So each kind of resource is one
``for_each`` over ``module.<id>.routes``, and what :class:`~constructs_lib.ApiRoute` checks at synth
for a Python route is a ``lifecycle.precondition`` here, which fails the plan with the module's name,
the route key and what is allowed: a malformed key, an unknown authorizer, scopes without a JWT
authorizer, an authorizer on ``OPTIONS``, a key the API already has, a bad payload format or timeout.

Per route (construct ids ``module-<name>-<part>``, Terraform instance keys the route keys):

- ``integrations``: ``AWS_PROXY`` to the route's ``function_arn`` (create before destroy, as for
  Python routes);
- ``routes``: the route, with its authorizer (JWT or Lambda REQUEST, by name);
- ``permissions``: API Gateway may invoke the function for that route only (its method and path, path
  parameters as ``*``), the statement :func:`constructs_lib.api.lambda_permissions.route_source_arn` writes
  for a Python route;
- ``preflight-routes`` (with ``AnyRoutePreflight.ADD_OPTIONS_ROUTE``): ``OPTIONS /path`` without
  authorization for an authorized ``ANY /path`` whose module has no ``OPTIONS /path``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cdktf import Precondition, TerraformResourceLifecycle
from constructs import Construct

from constructs_lib import _aws
from constructs_lib._runtime.refs import Address
from constructs_lib.api.feature_modules import HclFeatureModule
from constructs_lib.api.lambda_permissions import PRINCIPAL
from constructs_lib.api.models import AnyRoutePreflight, Authorizer, HttpMethod, JwtAuthorizer

__all__ = ["ROUTE_KEY_PATTERN", "HclRoutes", "wire_hcl_routes"]

_SEGMENT = r"(/[A-Za-z0-9._~:@!$&'()*+,;=-]+|/\{[A-Za-z_][A-Za-z0-9_]*\})"
_GREEDY = r"/\{[A-Za-z_][A-Za-z0-9_]*\+\}"
ROUTE_KEY_PATTERN = rf"^({'|'.join(m.value for m in HttpMethod)}) (/|{_SEGMENT}+({_GREEDY})?|{_GREEDY})$"
"""The route keys :func:`constructs_lib.api.models.parse_route_key` accepts, as an RE2 pattern
(repeated path parameter names, which it also refuses, AWS refuses at apply)."""

_AUTHORIZER = "try(each.value.authorizer, null)"
_SCOPES = "try(each.value.authorization_scopes, [])"
_PAYLOAD = 'try(each.value.payload_format_version, "2.0")'
_TIMEOUT = "try(each.value.timeout_ms, 30000)"


def _hcl_string(text: str) -> str:
    """``text`` as a quoted HCL string (JSON escapes are HCL escapes; no ``${`` or ``%{`` may occur)."""
    if "${" in text or "%{" in text:  # never from a user: names and keys are validated before
        raise ValueError(f"{text!r} would be evaluated by Terraform")
    return json.dumps(text)


def _hcl_list(items: Iterable[str]) -> str:
    return f"[{', '.join(_hcl_string(i) for i in items)}]"


@dataclass(frozen=True)
class HclRoutes:
    """The ``for_each`` resources that serve one HCL module's routes."""

    module: HclFeatureModule
    integrations: _aws.Apigatewayv2Integration
    routes: _aws.Apigatewayv2Route
    permissions: _aws.LambdaPermission
    preflight_routes: _aws.Apigatewayv2Route | None


def _preconditions(
    module: str,
    routes: str,
    authorizers: Mapping[str, Authorizer],
    taken: str,
    refuse_any: bool,
) -> list[Precondition]:
    names = _hcl_list(authorizers)
    jwt = _hcl_list(n for n, a in authorizers.items() if isinstance(a, JwtAuthorizer))
    known = ", ".join(authorizers) or "(none)"
    where = f'feature module "{module}", output routes, key "${{each.key}}"'
    checks = [
        (
            f"can(regex({_hcl_string(ROUTE_KEY_PATTERN)}, each.key))",
            f"{where}: a route key is 'METHOD /path' with one space, METHOD one of "
            f"{', '.join(m.value for m in HttpMethod)}, path segments of letters, digits and -._~ or a "
            "parameter like {id} ({proxy+} last), no empty segment or trailing slash, "
            "e.g. 'GET /items/{id}'.",
        ),
        (
            f'{_AUTHORIZER} == null || contains({names}, try(tostring(each.value.authorizer), ""))',
            f'{where}: unknown authorizer "${{try(tostring(each.value.authorizer), "?")}}"; '
            f"known on this API: {known}.",
        ),
        (
            f'length({_SCOPES}) == 0 || contains({jwt}, try(tostring(each.value.authorizer), ""))',
            f"{where}: authorization_scopes need a JWT authorizer (JWT authorizers: "
            f"{', '.join(n for n, a in authorizers.items() if isinstance(a, JwtAuthorizer)) or '(none)'}).",
        ),
        (
            f'!(startswith(each.key, "OPTIONS ") && {_AUTHORIZER} != null)',
            f"{where}: OPTIONS routes answer CORS preflight requests, which carry no credentials; they "
            "cannot use an authorizer.",
        ),
        (
            f"!contains({taken}, each.key)",
            f"{where}: the API already has this route (from its own routes or an earlier module); each "
            "METHOD /path is added once.",
        ),
        (
            'can(regex("^arn:aws[a-z-]*:lambda:", each.value.function_arn))',
            f"{where}: function_arn must be a Lambda function ARN (arn:aws:lambda:...).",
        ),
        (
            f'contains(["1.0", "2.0"], {_PAYLOAD})',
            f'{where}: payload_format_version must be "1.0" or "2.0" (default "2.0").',
        ),
        (
            f"{_TIMEOUT} >= 50 && {_TIMEOUT} <= 30000",
            f"{where}: timeout_ms must be 50-30000 (default 30000).",
        ),
    ]
    if refuse_any:
        checks.append(
            (
                f'!(startswith(each.key, "ANY ") && {_AUTHORIZER} != null) || '
                f'contains(keys({routes}), replace(each.key, "/^ANY /", "OPTIONS "))',
                f"{where}: an authorized ANY route matches CORS preflight requests, which carry no "
                "credentials (any_route_preflight='refuse'); list explicit methods or add an "
                "'OPTIONS /path' route without authorizer to the module.",
            )
        )
    return [Precondition(condition=f"${{{c}}}", error_message=m) for c, m in checks]


def wire_hcl_routes(
    scope: Construct,
    module: HclFeatureModule,
    *,
    api_id: str,
    execution_arn: str,
    authorizers: Mapping[str, tuple[Authorizer, _aws.Apigatewayv2Authorizer]],
    taken_route_keys: Iterable[str],
    earlier_modules: Iterable[HclFeatureModule] = (),
    any_route_preflight: AnyRoutePreflight,
) -> HclRoutes:
    """Add the integrations, routes and Lambda permissions of ``module``'s ``routes`` output to the API.

    ``authorizers`` are the API's, by name (those added later are unknown to the module's routes);
    ``taken_route_keys`` the route keys the API has so far and ``earlier_modules`` the HCL modules
    wired before: their keys are refused for this module's routes.
    """
    routes = module.output_expression("routes")
    id_ = f"module-{module.name}"  # names are validated: [a-z0-9-]
    configs = {name: config for name, (config, _) in authorizers.items()}
    kinds = {n: "JWT" if isinstance(c, JwtAuthorizer) else "CUSTOM" for n, c in configs.items()}
    ids = {n: Address("aws_apigatewayv2_authorizer", r).expression("id") for n, (_, r) in authorizers.items()}
    refuse_any = any_route_preflight is AnyRoutePreflight.REFUSE
    earlier = [f"keys({m.output_expression('routes')})" for m in earlier_modules]
    taken = f"concat({', '.join([_hcl_list(sorted(taken_route_keys)), *earlier])})"

    integrations = _aws.Apigatewayv2Integration(
        scope,
        f"{id_}-integrations",
        api_id=api_id,
        integration_type="AWS_PROXY",
        integration_uri="${each.value.function_arn}",
        payload_format_version=f"${{{_PAYLOAD}}}",
        # Changing the integration replaces it; AWS refuses to delete one a route still targets.
        lifecycle=TerraformResourceLifecycle(
            create_before_destroy=True,
            precondition=_preconditions(module.name, routes, configs, taken, refuse_any),
        ),
    )
    integrations.add_override("for_each", f"${{{routes}}}")
    integrations.add_override("timeout_milliseconds", f"${{{_TIMEOUT}}}")
    by_key = Address("aws_apigatewayv2_integration", integrations).text
    target = f"integrations/${{{by_key}[each.key].id}}"

    kind_map = "{" + ", ".join(f"{_hcl_string(n)} = {_hcl_string(k)}" for n, k in kinds.items()) + "}"
    id_map = "{" + ", ".join(f"{_hcl_string(n)} = {e}" for n, e in ids.items()) + "}"
    route = _aws.Apigatewayv2Route(
        scope,
        f"{id_}-routes",
        api_id=api_id,
        route_key="${each.key}",
        target=target,
        authorization_type=(
            f'${{{_AUTHORIZER} == null ? "NONE" : lookup({kind_map}, each.value.authorizer, "NONE")}}'
        ),
        authorizer_id=f"${{{_AUTHORIZER} == null ? null : lookup({id_map}, each.value.authorizer, null)}}",
    )
    route.add_override("for_each", f"${{{routes}}}")
    route.add_override(
        "authorization_scopes", f"${{length({_SCOPES}) > 0 ? each.value.authorization_scopes : null}}"
    )

    # try(): a malformed key is reported by the integrations' precondition, not as an index error here.
    method = 'split(" ", each.key)[0] == "ANY" ? "*" : split(" ", each.key)[0]'
    path = 'replace(try(split(" ", each.key)[1], ""), "/\\\\{[^}]+\\\\}/", "*")'
    permissions = _aws.LambdaPermission(
        scope,
        f"{id_}-permissions",
        action="lambda:InvokeFunction",
        function_name="${each.value.function_arn}",
        principal=PRINCIPAL,
        source_arn=f"{execution_arn}/*/${{{method}}}${{{path}}}",
    )
    permissions.add_override("for_each", f"${{{routes}}}")

    preflight = None
    if not refuse_any:
        wanted = (
            f'{{for k, v in {routes} : replace(k, "/^ANY /", "OPTIONS ") => k '
            f'if startswith(k, "ANY ") && try(v.authorizer, null) != null '
            f'&& !contains(keys({routes}), replace(k, "/^ANY /", "OPTIONS "))}}'
        )
        preflight = _aws.Apigatewayv2Route(
            scope,
            f"{id_}-preflight-routes",
            api_id=api_id,
            route_key="${each.key}",
            # The ANY route's permission (method *) already admits OPTIONS.
            target=f"integrations/${{{by_key}[each.value].id}}",
            authorization_type="NONE",
        )
        preflight.add_override("for_each", f"${{{wanted}}}")
    return HclRoutes(
        module=module,
        integrations=integrations,
        routes=route,
        permissions=permissions,
        preflight_routes=preflight,
    )
