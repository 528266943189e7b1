"""``ModularApiGateway``: an HTTP API whose routes are contributed by feature modules.

The models it takes live in :mod:`constructs_lib.api.models` and :mod:`constructs_lib.api.props`,
the Lambda permission planning in :mod:`constructs_lib.api.lambda_permissions`; every public name of them
stays importable from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib.api.feature_modules import FeatureModule
from constructs_lib.api.hcl_routes import HclRoutes, wire_hcl_routes
from constructs_lib.api.lambda_permissions import RoutePermissions, invoke_uri, slug
from constructs_lib.api.models import (
    CORS_METHODS,
    DEFAULT_CORS_HEADERS,
    DEFAULT_CORS_METHODS,
    AnyRoutePreflight,
    ApiModule,
    ApiRoute,
    Authorizer,
    CorsConfig,
    HttpIntegration,
    HttpMethod,
    JwtAuthorizer,
    LambdaAuthorizer,
    LambdaIntegration,
    Throttling,
    check_origin,
    check_routes,
    parse_route_key,
    preflight_refusal,
)
from constructs_lib.api.props import ACCESS_LOG_FORMAT, ModularApiGatewayProps
from constructs_lib.errors import CoraInfraError

__all__ = [
    "ACCESS_LOG_FORMAT",
    "CORS_METHODS",
    "DEFAULT_CORS_HEADERS",
    "DEFAULT_CORS_METHODS",
    "AnyRoutePreflight",
    "ApiModule",
    "ApiRoute",
    "Authorizer",
    "CorsConfig",
    "FeatureModule",
    "HclRoutes",
    "HttpIntegration",
    "HttpMethod",
    "JwtAuthorizer",
    "LambdaAuthorizer",
    "LambdaIntegration",
    "ModularApiGateway",
    "ModularApiGatewayProps",
    "Throttling",
    "check_origin",
    "check_routes",
    "parse_route_key",
]


class ModularApiGateway(Construct):
    """An HTTP API with CORS, a ``$default`` stage with JSON access logs and throttling, authorizers,
    and routes contributed by feature modules.

    CORS preflight requests never reach an authorizer. API Gateway answers them from the CORS
    configuration when no route matches ``OPTIONS``; an explicit ``OPTIONS`` route cannot have an
    authorizer; and an authorized ``ANY /path`` route, which would match the preflight, gets an
    unauthenticated ``OPTIONS /path`` route to its own integration (or is refused, see
    :class:`AnyRoutePreflight`). That integration then receives preflight requests unauthenticated
    and must answer them with a 2xx: API Gateway replaces the CORS headers of the answer with its
    configured ones.

    API Gateway may invoke each route's Lambda function for that route only (its method and path),
    or, once a function serves more than 20 routes of this API, for this API only: one statement per
    route would overflow the function's 20 KB resource policy (see
    :mod:`constructs_lib.api.lambda_permissions`).

    Example::

        api = ModularApiGateway(stack, "api", props=ModularApiGatewayProps(
            name="cora-dev-api", cors=CorsConfig(allow_origins=("https://app.example.com",))))
        api.add_authorizer(JwtAuthorizer(name="okta", issuer=..., audience=("api://default",)))
        api.add_module(ApiModule(name="items", routes=(ApiRoute(key="GET /items", ...),)))
    """

    def __init__(self, scope: Construct, id_: str, *, props: ModularApiGatewayProps) -> None:
        with unique_id("ModularApiGateway", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        tags = dict(props.tags) or None
        cors = props.cors
        self.api = _aws.Apigatewayv2Api(
            self,
            "api",
            name=props.name,
            protocol_type="HTTP",
            description=props.description or None,
            disable_execute_api_endpoint=props.disable_execute_api_endpoint or None,
            cors_configuration=_aws.Apigatewayv2ApiCorsConfiguration(
                allow_origins=list(cors.allow_origins),
                allow_methods=[m.value for m in cors.allow_methods],
                allow_headers=list(cors.allow_headers),
                expose_headers=list(cors.expose_headers) or None,
                max_age=cors.max_age_seconds,
                allow_credentials=cors.allow_credentials,
            ),
            tags=tags,
        )
        # Read once: every attribute read is a round trip to the jsii kernel.
        self._api_id: str = self.api.id
        self._execution_arn: str = self.api.execution_arn
        self.log_group = _aws.CloudwatchLogGroup(
            self,
            "access-logs",
            name=f"/aws/apigateway/{props.name}/access-logs",
            retention_in_days=props.log_retention_days,
            kms_key_id=props.log_kms_key_arn,
            tags=tags,
        )
        self.stage = _aws.Apigatewayv2Stage(
            self,
            "default-stage",
            api_id=self._api_id,
            name="$default",
            auto_deploy=True,
            access_log_settings=_aws.Apigatewayv2StageAccessLogSettings(
                destination_arn=self.log_group.arn, format=ACCESS_LOG_FORMAT
            ),
            default_route_settings=_aws.Apigatewayv2StageDefaultRouteSettings(
                throttling_burst_limit=props.throttling.burst_limit,
                throttling_rate_limit=props.throttling.rate_limit,
                detailed_metrics_enabled=True,
            ),
            tags=tags,
        )
        self._stage_id: str | None = None
        self._api_endpoint: str | None = None
        self._permissions = RoutePermissions(self, self._execution_arn)
        self._authorizers: dict[str, tuple[Authorizer, _aws.Apigatewayv2Authorizer]] = {}
        # Authorizer name -> its id token, read once (attribute reads are round trips to the kernel).
        self._authorizer_ids: dict[str, str] = {}
        self._routes: dict[str, _aws.Apigatewayv2Route] = {}
        # OPTIONS routes added for authorized ANY routes; a user's own OPTIONS route replaces one.
        self._preflight_routes: set[str] = set()
        self._hcl_modules: dict[str, HclRoutes] = {}
        for authorizer in props.authorizers:
            self.add_authorizer(authorizer)
        self.add_routes(props.routes)

    # -- outputs -------------------------------------------------------------------------------------
    @property
    def api_id(self) -> str:
        """The API ID (a token until apply)."""
        return self._api_id

    @property
    def api_endpoint(self) -> str:
        """``https://<id>.execute-api.<region>.amazonaws.com``: the ``$default`` stage is served here."""
        if self._api_endpoint is None:
            self._api_endpoint = self.api.api_endpoint  # read once, when first needed
        return self._api_endpoint

    @property
    def stage_id(self) -> str:
        """The ``$default`` stage's ID (a token until apply), e.g. for an API mapping."""
        if self._stage_id is None:
            self._stage_id = self.stage.id  # read once, when first needed
        return self._stage_id

    @property
    def execution_arn(self) -> str:
        """``arn:aws:execute-api:<region>:<account>:<id>``, the prefix of every route's ARN."""
        return self._execution_arn

    @property
    def routes(self) -> Mapping[str, _aws.Apigatewayv2Route]:
        """Route key → route resource, the ``OPTIONS`` routes added for authorized ``ANY`` routes included."""
        return dict(self._routes)

    # -- contributions -------------------------------------------------------------------------------
    def add_authorizer(self, authorizer: Authorizer) -> _aws.Apigatewayv2Authorizer:
        """Add a JWT or Lambda REQUEST authorizer that routes reference by name."""
        if authorizer.name in self._authorizers:
            raise CoraInfraError(f"authorizers: name {authorizer.name!r} is already used on this API")
        id_ = f"authorizer-{slug(authorizer.name)}"
        if isinstance(authorizer, JwtAuthorizer):
            resource = _aws.Apigatewayv2Authorizer(
                self,
                id_,
                api_id=self._api_id,
                name=authorizer.name,
                authorizer_type="JWT",
                identity_sources=[authorizer.identity_source],
                jwt_configuration=_aws.Apigatewayv2AuthorizerJwtConfiguration(
                    issuer=authorizer.issuer, audience=list(authorizer.audience)
                ),
            )
        else:
            resource = _aws.Apigatewayv2Authorizer(
                self,
                id_,
                api_id=self._api_id,
                name=authorizer.name,
                authorizer_type="REQUEST",
                authorizer_uri=invoke_uri(authorizer.function_arn),
                authorizer_payload_format_version="2.0",
                authorizer_result_ttl_in_seconds=authorizer.result_ttl_seconds,
                enable_simple_responses=authorizer.enable_simple_responses,
                identity_sources=list(authorizer.identity_sources),
            )
            self._permissions.grant_authorizer(f"{id_}-permission", authorizer.function_arn, resource.id)
        self._authorizers[authorizer.name] = (authorizer, resource)
        return resource

    def add_route(self, route: ApiRoute) -> _aws.Apigatewayv2Route:
        """Add one route; its key must be new on this API and its authorizer already added.

        An ``OPTIONS /path`` route replaces the one added automatically for an authorized
        ``ANY /path`` route (see :class:`AnyRoutePreflight`), whichever was added first.
        """
        return self._add_route(route, frozenset())

    def add_routes(self, routes: Iterable[ApiRoute]) -> None:
        """Add several routes; an ``OPTIONS`` route among them counts for an ``ANY`` route before it."""
        batch = tuple(routes)
        options = frozenset(r.key for r in batch if r.method is HttpMethod.OPTIONS)
        for route in batch:
            self._add_route(route, options)

    def add_module(self, module: ApiModule) -> None:
        """Add a feature module's routes."""
        self.add_routes(module.routes)

    def add_feature_module(self, module: FeatureModule) -> HclRoutes | None:
        """Add a feature module's routes, from Python or from Terraform HCL: one interface for both.

        An :class:`ApiModule` is :meth:`add_module` (routes known and checked at synth). An
        :class:`~constructs_lib.HclFeatureModule`'s routes are its ``routes`` output, known to Terraform
        only: they are wired with ``for_each`` and checked by preconditions at plan (see
        :mod:`constructs_lib.api.hcl_routes`), against the authorizers and routes added before it.
        """
        if isinstance(module, ApiModule):
            self.add_module(module)
            return None
        if module.name in self._hcl_modules:
            raise CoraInfraError(f"modules: feature module {module.name!r} is already added to this API")
        wired = wire_hcl_routes(
            self,
            module,
            api_id=self._api_id,
            execution_arn=self._execution_arn,
            authorizers=self._authorizers,
            taken_route_keys=self._routes,
            earlier_modules=[w.module for w in self._hcl_modules.values()],
            any_route_preflight=self.props.any_route_preflight,
        )
        self._hcl_modules[module.name] = wired
        return wired

    @property
    def hcl_modules(self) -> Mapping[str, HclRoutes]:
        """HCL feature module name → the ``for_each`` resources that serve its routes."""
        return dict(self._hcl_modules)

    def _add_route(self, route: ApiRoute, coming_options: frozenset[str]) -> _aws.Apigatewayv2Route:
        replaces_preflight = route.key in self._preflight_routes
        if route.key in self._routes and not replaces_preflight:
            raise CoraInfraError(
                f"routes: duplicate route key {route.key!r}; each METHOD /path is added once"
            )
        auth_type, authorizer_id = "NONE", None
        if route.authorizer is not None:
            if route.authorizer not in self._authorizers:
                raise CoraInfraError(
                    f"routes: route {route.key!r} uses unknown authorizer {route.authorizer!r}; "
                    f"known: {', '.join(self._authorizers) or '(none)'}"
                )
            config, authorizer = self._authorizers[route.authorizer]
            if route.authorization_scopes and not isinstance(config, JwtAuthorizer):
                raise CoraInfraError(
                    f"routes: route {route.key!r} sets authorization_scopes, which only JWT authorizers check"
                )
            auth_type = "JWT" if isinstance(config, JwtAuthorizer) else "CUSTOM"
            authorizer_id = self._authorizer_ids.get(route.authorizer)
            if authorizer_id is None:
                authorizer_id = self._authorizer_ids[route.authorizer] = authorizer.id
        preflight_key = f"{HttpMethod.OPTIONS} {route.path}"
        needs_preflight = (
            route.method is HttpMethod.ANY
            and route.authorizer is not None
            and preflight_key not in self._routes
            and preflight_key not in coming_options
        )
        if needs_preflight and self.props.any_route_preflight is AnyRoutePreflight.REFUSE:
            raise CoraInfraError(preflight_refusal(route))
        if replaces_preflight:
            # Same construct id as the automatic route: remove it so the user's route takes its place.
            self.node.try_remove_child(f"route-{slug(route.key)}")
            self._preflight_routes.discard(route.key)

        id_ = slug(route.key)
        target = f"integrations/{self._integration(id_, route).id}"
        resource = self._route_resource(
            route.key,
            target,
            authorization_type=auth_type,
            authorizer_id=authorizer_id,
            authorization_scopes=list(route.authorization_scopes) or None,
        )
        if needs_preflight:
            # The ANY route's Lambda permission (if any) already admits every method, OPTIONS included.
            self._route_resource(preflight_key, target, authorization_type="NONE")
            self._preflight_routes.add(preflight_key)
        return resource

    def _route_resource(
        self,
        key: str,
        target: str,
        *,
        authorization_type: str,
        authorizer_id: str | None = None,
        authorization_scopes: list[str] | None = None,
    ) -> _aws.Apigatewayv2Route:
        resource = _aws.Apigatewayv2Route(
            self,
            f"route-{slug(key)}",
            api_id=self._api_id,
            route_key=key,
            target=target,
            authorization_type=authorization_type,
            authorizer_id=authorizer_id,
            authorization_scopes=authorization_scopes,
        )
        self._routes[key] = resource
        return resource

    def _integration(self, id_: str, route: ApiRoute) -> _aws.Apigatewayv2Integration:
        spec = route.integration
        # Changing the type (Lambda <-> HTTP) replaces the integration, and AWS refuses to delete one a
        # route still targets: create the new one, point the route at it, then delete the old one.
        replace = TerraformResourceLifecycle(create_before_destroy=True)
        if isinstance(spec, LambdaIntegration):
            integration = _aws.Apigatewayv2Integration(
                self,
                f"integration-{id_}",
                api_id=self._api_id,
                integration_type="AWS_PROXY",
                integration_uri=spec.function_arn,
                payload_format_version=spec.payload_format_version,
                timeout_milliseconds=spec.timeout_ms,
                lifecycle=replace,
            )
            self._permissions.grant(route, spec.function_arn, id_)
            return integration
        return _aws.Apigatewayv2Integration(
            self,
            f"integration-{id_}",
            api_id=self._api_id,
            integration_type="HTTP_PROXY",
            integration_uri=spec.url,
            integration_method=spec.method.value,
            timeout_milliseconds=spec.timeout_ms,
            lifecycle=replace,
        )
