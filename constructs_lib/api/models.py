"""What an HTTP API is made of, as validated data: methods, CORS, integrations, routes, authorizers.

``ModularApiGateway`` (in :mod:`constructs_lib.api.modular_api_gateway`, which re-exports every name here)
turns these into resources; nothing here touches the provider.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from constructs_lib._runtime.validation import FROZEN, check_lambda_arn, is_token, one_of, url_port_problem


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


class AnyRoutePreflight(StrEnum):
    """What :class:`~constructs_lib.ModularApiGateway` does about an ``ANY /path`` route with an authorizer.

    API Gateway answers a CORS preflight from its CORS configuration only when no route matches
    ``OPTIONS``. ``ANY /path`` matches it, so the preflight (which carries no credentials) reaches the
    authorizer, gets a 401, and the browser reports a CORS error.
    """

    ADD_OPTIONS_ROUTE = "add_options_route"
    """Add ``OPTIONS /path`` without authorization, to the ``ANY`` route's integration, unless the API
    has its own ``OPTIONS /path`` route. That integration then receives preflight requests
    unauthenticated and must answer them with a 2xx (API Gateway replaces the CORS headers of the
    answer with its configured ones)."""
    REFUSE = "refuse"
    """Refuse the route unless an ``OPTIONS /path`` route is added before it or in the same batch."""


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
    max_age_seconds: int = Field(default=300, strict=True, ge=0, le=86400)
    """Default: browsers cache a preflight answer for 5 minutes."""
    allow_credentials: bool = Field(default=False, strict=True)
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

    burst_limit: int = Field(default=100, strict=True, ge=0, le=100_000)
    rate_limit: float = Field(default=50.0, strict=True, ge=0, le=100_000)


class LambdaIntegration(BaseModel):
    """Proxy the route to a Lambda function (payload format 2.0 by default)."""

    model_config = FROZEN

    type: Literal["lambda"] = "lambda"
    function_arn: str
    """The function's ARN (a literal ARN or a token such as ``LambdaFunction.arn``)."""
    payload_format_version: Literal["1.0", "2.0"] = "2.0"
    timeout_ms: int = Field(default=30_000, strict=True, ge=50, le=30_000)

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
    timeout_ms: int = Field(default=30_000, strict=True, ge=50, le=30_000)

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
    result_ttl_seconds: int = Field(default=300, strict=True, ge=0, le=3600)
    enable_simple_responses: bool = Field(default=True, strict=True)

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


def preflight_refusal(route: ApiRoute) -> str:
    """Why an authorized ``ANY`` route is refused under ``AnyRoutePreflight.REFUSE``, and what to do."""
    path = route.path
    return (
        f"routes: route {route.key!r} has authorizer {route.authorizer!r} and matches every method, "
        "OPTIONS included: API Gateway then sends CORS preflight requests, which carry no credentials, "
        "to the authorizer instead of answering them, they get a 401 and browsers report a CORS error "
        f"(any_route_preflight='refuse'). List explicit methods instead ('GET {path}', 'POST {path}', "
        f"...), add your own 'OPTIONS {path}' route without authorizer before it or in the same module, "
        "or set any_route_preflight='add_options_route' to have one added to the same integration"
    )


class ApiModule(BaseModel):
    """A feature module's contribution: its routes, added together."""

    model_config = FROZEN

    name: str
    routes: tuple[ApiRoute, ...] = ()


def check_routes(routes: Iterable[ApiRoute], authorizer_names: Iterable[str]) -> None:
    """Raise ``ValueError`` on duplicate route keys or references to unknown authorizers."""
    known = list(authorizer_names)
    routes = list(routes)
    # One pass, not a count of each key over the whole list (quadratic: seconds at 20,000 routes).
    dupes = sorted(key for key, seen in Counter(r.key for r in routes).items() if seen > 1)
    if dupes:
        raise ValueError(f"duplicate route keys: {', '.join(dupes)}; each METHOD /path is added once")
    for route in routes:
        if route.authorizer is not None and route.authorizer not in known:
            raise ValueError(
                f"route {route.key!r} uses unknown authorizer {route.authorizer!r}; "
                f"known: {', '.join(known) or '(none)'}"
            )
