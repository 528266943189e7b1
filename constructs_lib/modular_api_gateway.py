"""``ModularApiGateway``: an HTTP API whose routes are contributed by feature modules."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Literal

from cdktf import Fn
from constructs import Construct
from pydantic import BaseModel, Field, field_validator, model_validator

from constructs_lib import _aws
from constructs_lib._validation import (
    FROZEN,
    LAMBDA_ARN,
    LogRetentionDays,
    check_kms_key_arn,
    check_lambda_arn,
    check_tags,
    is_token,
    one_of,
    url_port_problem,
)
from constructs_lib.errors import CoraInfraError


class HttpMethod(StrEnum):
    """Methods a route key may use (``ANY`` matches all of them)."""

    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    DELETE = "DELETE"
    PATCH = "PATCH"
    OPTIONS = "OPTIONS"
    HEAD = "HEAD"
    ANY = "ANY"


CORS_METHODS = tuple(m for m in HttpMethod if m is not HttpMethod.ANY)
DEFAULT_CORS_METHODS = (
    HttpMethod.GET,
    HttpMethod.POST,
    HttpMethod.PUT,
    HttpMethod.DELETE,
    HttpMethod.PATCH,
    HttpMethod.OPTIONS,
)
DEFAULT_CORS_HEADERS = ("Authorization", "Content-Type", "X-Requested-With", "Accept", "Origin")

# scheme://host[:port], nothing after: browsers send exactly this in the Origin header.
_ORIGIN = re.compile(
    r"^(?P<scheme>https?)://"
    r"(?P<host>localhost|(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
    r"|[0-9]{1,3}(?:\.[0-9]{1,3}){3})"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?$"  # [0-9], not \d (any Unicode digit); no leading zeros
)
_HEADER = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_SEGMENT = re.compile(r"^(?:[A-Za-z0-9._~:@!$&'()*+,;=-]+|\{[A-Za-z_][A-Za-z0-9_]*\+?\})$")
# No spaces: the access log group is named after the API, and log group names allow none.
_API_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_AUTHORIZER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_HTTP_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_IDENTITY_SOURCE = re.compile(
    r"^\$(request\.(header|querystring)\.[A-Za-z0-9_.-]+|context\.[A-Za-z.]+|stageVariables\.[A-Za-z0-9_]+)$"
)


def check_origin(origin: str) -> str:
    """``"*"`` or ``scheme://host[:port]`` with no path, query or trailing slash."""
    if origin == "*":
        return origin
    match = _ORIGIN.fullmatch(origin)
    if not match or (match["port"] and not 1 <= int(match["port"]) <= 65535):
        raise ValueError(
            f"CORS origin {origin!r} is malformed: use '*' or scheme://host[:port] with scheme http or "
            "https and no path or trailing slash, e.g. 'https://app.example.com'"
        )
    return origin


def parse_route_key(key: str) -> tuple[HttpMethod, str]:
    """Split and check ``"METHOD /path"``; raise ``ValueError`` naming the problem."""
    parts = key.split(" ")
    if len(parts) != 2:
        raise ValueError(f"route key {key!r} must be 'METHOD /path' with one space, e.g. 'GET /items/{{id}}'")
    method_text, path = parts
    try:
        method = HttpMethod(method_text)
    except ValueError:
        raise ValueError(
            f"route key {key!r} has unknown method {method_text!r}; allowed: {one_of(HttpMethod)}"
        ) from None
    if not path.startswith("/"):
        raise ValueError(f"route key {key!r}: path {path!r} must start with '/'")
    if path != "/":
        segments = path[1:].split("/")
        names: list[str] = []
        for index, segment in enumerate(segments):
            if not _SEGMENT.fullmatch(segment):
                raise ValueError(
                    f"route key {key!r}: path segment {segment!r} is malformed; use letters, digits and "
                    "-._~ or a parameter like {id} (no empty segments or trailing slash)"
                )
            if segment.startswith("{"):
                name = segment.strip("{}+")
                if name in names:
                    raise ValueError(f"route key {key!r}: path parameter {{{name}}} appears twice")
                names.append(name)
                if segment.endswith("+}") and index != len(segments) - 1:
                    raise ValueError(
                        f"route key {key!r}: greedy parameter {segment} must be the last segment"
                    )
    return method, path


class CorsConfig(BaseModel):
    """CORS for the API. Defaults follow the CORA plan; origins have no default."""

    model_config = FROZEN

    allow_origins: tuple[str, ...] = Field(min_length=1)
    """Origins allowed to call the API: ``"*"`` or ``https://app.example.com`` style values."""
    allow_methods: tuple[HttpMethod, ...] = DEFAULT_CORS_METHODS
    allow_headers: tuple[str, ...] = DEFAULT_CORS_HEADERS
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int = Field(300, strict=True, ge=0, le=86400)
    """Default: browsers cache a preflight answer for 5 minutes."""
    allow_credentials: bool = Field(False, strict=True)
    """Default: no cookies or auth headers on cross-origin requests; cannot be combined with ``"*"``."""

    @field_validator("allow_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            check_origin(origin)
        if "*" in value and len(value) > 1:
            raise ValueError("'*' already allows every origin; list it alone or list explicit origins")
        if len(set(value)) != len(value):
            raise ValueError(f"origins must be unique; got {list(value)}")
        return value

    @field_validator("allow_methods")
    @classmethod
    def _methods(cls, value: tuple[HttpMethod, ...]) -> tuple[HttpMethod, ...]:
        if HttpMethod.ANY in value:
            raise ValueError(f"'ANY' is a route method, not a CORS method; allowed: {one_of(CORS_METHODS)}")
        return value

    @field_validator("allow_headers", "expose_headers")
    @classmethod
    def _headers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for header in value:
            if header != "*" and not _HEADER.fullmatch(header):
                raise ValueError(f"header name {header!r} is not a valid HTTP header name")
        return value

    @model_validator(mode="after")
    def _wildcard_with_credentials(self) -> CorsConfig:
        if self.allow_credentials and "*" in self.allow_origins:
            raise ValueError(
                "allow_origins '*' cannot be combined with allow_credentials=true (browsers and AWS "
                "reject it); list explicit origins or turn credentials off"
            )
        return self


class Throttling(BaseModel):
    """Stage-wide throttling. Default: bursts of 100 requests, 50 requests per second sustained."""

    model_config = FROZEN

    burst_limit: int = Field(100, strict=True, ge=0, le=100_000)
    rate_limit: float = Field(50.0, strict=True, ge=0, le=100_000)


class LambdaIntegration(BaseModel):
    """Proxy the route to a Lambda function (payload format 2.0 by default)."""

    model_config = FROZEN

    type: Literal["lambda"] = "lambda"
    function_arn: str
    """The function's ARN (a literal ARN or a token such as ``LambdaFunction.arn``)."""
    payload_format_version: Literal["1.0", "2.0"] = "2.0"
    timeout_ms: int = Field(30_000, strict=True, ge=50, le=30_000)

    @field_validator("function_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        return check_lambda_arn(value)


class HttpIntegration(BaseModel):
    """Proxy the route to an HTTP(S) URL."""

    model_config = FROZEN

    type: Literal["http"] = "http"
    url: str
    method: HttpMethod = HttpMethod.ANY
    timeout_ms: int = Field(30_000, strict=True, ge=50, le=30_000)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if is_token(value):
            return value
        if not _HTTP_URL.fullmatch(value):
            raise ValueError(f"integration URL {value!r} must be an http:// or https:// URL")
        port = url_port_problem(value)
        if port:
            raise ValueError(f"integration URL {value!r}: {port}")
        return value


class ApiRoute(BaseModel):
    """One route: ``"METHOD /path"`` (its identity), an integration and its authorization."""

    model_config = FROZEN

    key: str
    integration: LambdaIntegration | HttpIntegration = Field(discriminator="type")
    authorizer: str | None = None
    """Name of an authorizer added to the API; default: no authorization."""
    authorization_scopes: tuple[str, ...] = ()
    """JWT scopes the token must carry (JWT authorizers only)."""

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        parse_route_key(value)
        return value

    @model_validator(mode="after")
    def _auth(self) -> ApiRoute:
        if self.method is HttpMethod.OPTIONS and self.authorizer is not None:
            raise ValueError(
                f"route {self.key!r}: OPTIONS routes answer CORS preflight requests, which carry no "
                "credentials; they cannot use an authorizer"
            )
        if self.authorization_scopes and self.authorizer is None:
            raise ValueError(f"route {self.key!r}: authorization_scopes need an authorizer")
        return self

    @property
    def method(self) -> HttpMethod:
        """The route's method."""
        return parse_route_key(self.key)[0]

    @property
    def path(self) -> str:
        """The route's path."""
        return parse_route_key(self.key)[1]


class _AuthorizerBase(BaseModel):
    model_config = FROZEN

    name: str
    """The name routes use to reference this authorizer: 1-128 letters, digits, '-' or '_'."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _AUTHORIZER_NAME.fullmatch(value):
            raise ValueError(f"authorizer name {value!r} is invalid: use 1-128 letters, digits, '-' or '_'")
        return value


class JwtAuthorizer(_AuthorizerBase):
    """Native JWT authorizer (e.g. Okta): API Gateway checks issuer, audience and signature."""

    type: Literal["jwt"] = "jwt"
    issuer: str
    """The token issuer URL, e.g. ``https://example.okta.com/oauth2/default``."""
    audience: tuple[str, ...] = Field(min_length=1)
    identity_source: str = "$request.header.Authorization"

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        if is_token(value):
            return value
        if not (value.startswith("https://") and _HTTP_URL.fullmatch(value)):
            raise ValueError(f"JWT issuer {value!r} must be an https:// URL")
        port = url_port_problem(value)
        if port:
            raise ValueError(f"JWT issuer {value!r}: {port}")
        return value

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not a.strip() for a in value):
            raise ValueError("JWT audience entries must be non-empty")
        return value


class LambdaAuthorizer(_AuthorizerBase):
    """Lambda REQUEST authorizer for custom logic (payload 2.0, simple responses by default)."""

    type: Literal["lambda"] = "lambda"
    function_arn: str
    identity_sources: tuple[str, ...] = ("$request.header.Authorization",)
    result_ttl_seconds: int = Field(300, strict=True, ge=0, le=3600)
    enable_simple_responses: bool = Field(True, strict=True)

    @field_validator("function_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        return check_lambda_arn(value)

    @field_validator("identity_sources")
    @classmethod
    def _sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for source in value:
            if not _IDENTITY_SOURCE.fullmatch(source):
                raise ValueError(
                    f"identity source {source!r} is invalid; use e.g. '$request.header.Authorization'"
                )
        return value


Authorizer = JwtAuthorizer | LambdaAuthorizer


class ApiModule(BaseModel):
    """A feature module's contribution: its routes, added together."""

    model_config = FROZEN

    name: str
    routes: tuple[ApiRoute, ...] = ()


def check_routes(routes: Iterable[ApiRoute], authorizer_names: Iterable[str]) -> None:
    """Raise ``ValueError`` on duplicate route keys or references to unknown authorizers."""
    known = list(authorizer_names)
    keys = [r.key for r in routes]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate route keys: {', '.join(dupes)}; each METHOD /path is added once")
    for route in routes:
        if route.authorizer is not None and route.authorizer not in known:
            raise ValueError(
                f"route {route.key!r} uses unknown authorizer {route.authorizer!r}; "
                f"known: {', '.join(known) or '(none)'}"
            )


class ModularApiGatewayProps(BaseModel):
    """Settings of a :class:`ModularApiGateway`."""

    model_config = FROZEN

    name: str
    cors: CorsConfig
    description: str = ""
    throttling: Throttling = Field(default_factory=Throttling)
    log_retention_days: LogRetentionDays = 30
    """Default: access logs are kept 30 days."""
    log_kms_key_arn: str | None = None
    """Default: CloudWatch's own encryption; set a KMS key ARN for the access log group."""
    authorizers: tuple[Annotated[JwtAuthorizer | LambdaAuthorizer, Field(discriminator="type")], ...] = ()
    routes: tuple[ApiRoute, ...] = ()
    tags: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _API_NAME.fullmatch(value):
            raise ValueError(f"API name {value!r} is invalid: use 1-128 letters, digits or _.-")
        return value

    @field_validator("log_kms_key_arn")
    @classmethod
    def _log_kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("log_kms_key_arn", value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)

    @model_validator(mode="after")
    def _references(self) -> ModularApiGatewayProps:
        names = [a.name for a in self.authorizers]
        if len(set(names)) != len(names):
            raise ValueError(f"authorizer names must be unique; got {names}")
        check_routes(self.routes, names)
        return self


ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
    }
)


def _slug(text: str) -> str:
    """A readable, stable construct id for a route key or name."""
    readable = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60]
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    return f"{readable}-{digest}"


def _invoke_uri(function_arn: str) -> str:
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


class ModularApiGateway(Construct):
    """An HTTP API with CORS, a ``$default`` stage with JSON access logs and throttling, authorizers,
    and routes contributed by feature modules.

    CORS is answered by API Gateway itself, so a preflight ``OPTIONS`` never reaches an authorizer or
    an integration; an explicit ``OPTIONS`` route cannot have an authorizer. Each Lambda integration
    gets a ``aws_lambda_permission`` scoped to its own route.

    Example::

        api = ModularApiGateway(stack, "api", props=ModularApiGatewayProps(
            name="cora-dev-api", cors=CorsConfig(allow_origins=("https://app.example.com",))))
        api.add_authorizer(JwtAuthorizer(name="okta", issuer=..., audience=("api://default",)))
        api.add_module(ApiModule(name="items", routes=(ApiRoute(key="GET /items", ...),)))
    """

    def __init__(self, scope: Construct, id_: str, *, props: ModularApiGatewayProps) -> None:
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
        self._authorizers: dict[str, tuple[Authorizer, _aws.Apigatewayv2Authorizer]] = {}
        self._routes: dict[str, _aws.Apigatewayv2Route] = {}
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
        return self.api.api_endpoint

    @property
    def execution_arn(self) -> str:
        """``arn:aws:execute-api:<region>:<account>:<id>``, the prefix of every route's ARN."""
        return self._execution_arn

    @property
    def routes(self) -> Mapping[str, _aws.Apigatewayv2Route]:
        """Route key → route resource."""
        return dict(self._routes)

    # -- contributions -------------------------------------------------------------------------------
    def add_authorizer(self, authorizer: Authorizer) -> _aws.Apigatewayv2Authorizer:
        """Add a JWT or Lambda REQUEST authorizer that routes reference by name."""
        if authorizer.name in self._authorizers:
            raise CoraInfraError(f"authorizers: name {authorizer.name!r} is already used on this API")
        id_ = f"authorizer-{_slug(authorizer.name)}"
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
                authorizer_uri=_invoke_uri(authorizer.function_arn),
                authorizer_payload_format_version="2.0",
                authorizer_result_ttl_in_seconds=authorizer.result_ttl_seconds,
                enable_simple_responses=authorizer.enable_simple_responses,
                identity_sources=list(authorizer.identity_sources),
            )
            _aws.LambdaPermission(
                self,
                f"{id_}-permission",
                action="lambda:InvokeFunction",
                function_name=authorizer.function_arn,
                principal="apigateway.amazonaws.com",
                source_arn=f"{self._execution_arn}/authorizers/{resource.id}",
            )
        self._authorizers[authorizer.name] = (authorizer, resource)
        return resource

    def add_route(self, route: ApiRoute) -> _aws.Apigatewayv2Route:
        """Add one route; its key must be new on this API and its authorizer already added."""
        if route.key in self._routes:
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
            authorizer_id = authorizer.id

        id_ = _slug(route.key)
        integration = self._integration(id_, route)
        resource = _aws.Apigatewayv2Route(
            self,
            f"route-{id_}",
            api_id=self._api_id,
            route_key=route.key,
            target=f"integrations/{integration.id}",
            authorization_type=auth_type,
            authorizer_id=authorizer_id,
            authorization_scopes=list(route.authorization_scopes) or None,
        )
        self._routes[route.key] = resource
        return resource

    def add_routes(self, routes: Iterable[ApiRoute]) -> None:
        """Add several routes."""
        for route in routes:
            self.add_route(route)

    def add_module(self, module: ApiModule) -> None:
        """Add a feature module's routes."""
        self.add_routes(module.routes)

    def _integration(self, id_: str, route: ApiRoute) -> _aws.Apigatewayv2Integration:
        spec = route.integration
        if isinstance(spec, LambdaIntegration):
            integration = _aws.Apigatewayv2Integration(
                self,
                f"integration-{id_}",
                api_id=self._api_id,
                integration_type="AWS_PROXY",
                integration_uri=spec.function_arn,
                payload_format_version=spec.payload_format_version,
                timeout_milliseconds=spec.timeout_ms,
            )
            # Scoped to this route: any stage, this method (or any for ANY), this path.
            method = "*" if route.method is HttpMethod.ANY else route.method.value
            path = re.sub(r"\{[^}]+\}", "*", route.path)
            _aws.LambdaPermission(
                self,
                f"permission-{id_}",
                action="lambda:InvokeFunction",
                function_name=spec.function_arn,
                principal="apigateway.amazonaws.com",
                source_arn=f"{self._execution_arn}/*/{method}{path}",
            )
            return integration
        return _aws.Apigatewayv2Integration(
            self,
            f"integration-{id_}",
            api_id=self._api_id,
            integration_type="HTTP_PROXY",
            integration_uri=spec.url,
            integration_method=spec.method.value,
            timeout_milliseconds=spec.timeout_ms,
        )
