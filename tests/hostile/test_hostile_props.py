"""Hostile props: inputs config cannot reach, refused by the constructs' own models.

Config does not expose the App Runner service's plain environment variables, its name or the
repository name (they derive from the project), so these cases go straight to the props models.
Each must raise pydantic's ``ValidationError`` (a ``ValueError``) whose text names the field, shows
the bad value and says what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cdktf
import pytest
from pydantic import ValidationError

from constructs_lib import (
    ApiRoute,
    AppRunnerServiceProps,
    AutoScaling,
    CorsConfig,
    EcrRepo,
    EcrRepoProps,
    HealthCheck,
    HttpIntegration,
    JwtAuthorizer,
    LambdaIntegration,
    ModularApiGatewayProps,
    Secret,
    SecretProps,
)

ISSUER = "https://cora.okta.com/oauth2/default"
LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:cora-dev-items"
HTTP = HttpIntegration(url="https://status.cora.example.com/v1/status")


@dataclass(frozen=True)
class Scratch:
    """Constructs the props hold (a repository, a secret), built once on a scratch stack."""

    repository: EcrRepo
    secret: Secret


@pytest.fixture(scope="module")
def scratch() -> Scratch:
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "hostile-props")
    return Scratch(
        repository=EcrRepo(stack, "repo", props=EcrRepoProps(name="cora-dev-web")),
        secret=Secret(stack, "secret", props=SecretProps(name="cora/dev/NEXTAUTH_SECRET")),
    )


def _service(**changes: Any) -> Callable[[Scratch], object]:
    """AppRunnerServiceProps with valid defaults, then ``changes`` (``secrets`` values name the secret)."""

    def build(s: Scratch) -> object:
        kwargs: dict[str, Any] = {
            "service_name": "cora-dev-web",
            "repository": s.repository,
            "image_tag": "0.1.0",
        }
        kwargs.update(changes)
        if "secrets" in changes:
            kwargs["secrets"] = dict.fromkeys(changes["secrets"], s.secret)
        return AppRunnerServiceProps(**kwargs)

    return build


def _plain(factory: Callable[..., object], **kwargs: Any) -> Callable[[Scratch], object]:
    return lambda _: factory(**kwargs)


def _api(**changes: Any) -> Callable[[Scratch], object]:
    kwargs: dict[str, Any] = {"name": "cora-dev-api", "cors": CorsConfig(allow_origins=("*",))}
    kwargs.update(changes)
    return _plain(ModularApiGatewayProps, **kwargs)


def _route(key: str, **changes: Any) -> Callable[[Scratch], object]:
    return _plain(ApiRoute, key=key, integration=changes.pop("integration", HTTP), **changes)


def _jwt(**changes: Any) -> Callable[[Scratch], object]:
    kwargs: dict[str, Any] = {"name": "okta", "issuer": ISSUER, "audience": ("api://cora",)}
    kwargs.update(changes)
    return _plain(JwtAuthorizer, **kwargs)


@dataclass(frozen=True)
class PropsCase:
    id: str
    build: Callable[[Scratch], object]
    field: str
    value: str
    allowed: str


CASES = [
    # -- App Runner: plain environment variables that look like credentials ---------------------------
    # PASSWORD anywhere in the name: must come from Secrets Manager, not a plain variable.
    PropsCase("env-password", _service(environment={"DB_PASSWORD": "hunter2"}), "environment",
              "'DB_PASSWORD'", "pass it through `secrets`"),
    # A _KEY suffix.
    PropsCase("env-key-suffix", _service(environment={"STRIPE_API_KEY": "sk_live"}), "environment",
              "'STRIPE_API_KEY'", "Secrets Manager"),
    # TOKEN anywhere in the name.
    PropsCase("env-token", _service(environment={"GITHUB_TOKEN": "ghp_x"}), "environment", "'GITHUB_TOKEN'",
              "pass it through `secrets`"),
    # The check ignores case: a lowercase name is caught too.
    PropsCase("env-secret-lowercase", _service(environment={"nextauth_secret": "x"}), "environment",
              "'nextauth_secret'", "pass it through `secrets`"),
    # CREDENTIAL anywhere in the name: refused, but the message gives a rule the name does not match.
    PropsCase("env-credentials", _service(environment={"GOOGLE_CREDENTIALS": "{}"}), "environment",
              "'GOOGLE_CREDENTIALS'", "CREDENTIAL"),
    # PRIVATE anywhere in the name: the same.
    PropsCase("env-private", _service(environment={"JWT_PRIVATE_PEM": "-----BEGIN"}), "environment",
              "'JWT_PRIVATE_PEM'", "PRIVATE"),
    # A common abbreviation of password slips through the heuristic.
    PropsCase("env-pass-abbreviation", _service(environment={"DB_PASS": "hunter2"}), "environment",
              "'DB_PASS'", "pass it through `secrets`"),
    # An API key without the underscore slips through the heuristic.
    PropsCase("env-apikey-no-underscore", _service(environment={"OPENAI_APIKEY": "sk-x"}), "environment",
              "'OPENAI_APIKEY'", "pass it through `secrets`"),
    # -- App Runner: reserved and malformed variable names --------------------------------------------
    # App Runner reserves the AWSAPPRUNNER prefix for plain variables...
    PropsCase("env-reserved-prefix", _service(environment={"AWSAPPRUNNER_HEALTH": "1"}), "environment",
              "'AWSAPPRUNNER_HEALTH'", "names starting with AWSAPPRUNNER are not allowed"),
    # ...whatever the case of the name...
    PropsCase("env-reserved-prefix-lowercase", _service(environment={"awsapprunner_x": "1"}), "environment",
              "'awsapprunner_x'", "names starting with AWSAPPRUNNER are not allowed"),
    # ...and for secrets too.
    PropsCase("secret-reserved-prefix", _service(secrets=["AWSAPPRUNNER_SECRET"]), "secrets",
              "'AWSAPPRUNNER_SECRET'", "names starting with AWSAPPRUNNER are not allowed"),
    # A name with a hyphen is not an environment variable name.
    PropsCase("env-name-hyphen", _service(environment={"MY-VAR": "x"}), "environment", "'MY-VAR'",
              "letters, digits and underscores"),
    # A name starting with a digit neither.
    PropsCase("secret-name-digit-first", _service(secrets=["1PASSWORD"]), "secrets", "'1PASSWORD'",
              "not starting with a digit"),
    # The same name as plain variable and secret: App Runner would refuse the service.
    PropsCase("env-and-secret-same-name",
              _service(environment={"OKTA_CLIENT_ID": "x"}, secrets=["OKTA_CLIENT_ID"]),
              "environment", "OKTA_CLIENT_ID", "pick one"),
    # -- App Runner: service name, image, size ---------------------------------------------------------
    # Three characters: App Runner needs 4-40.
    PropsCase("service-name-too-short", _service(service_name="web"), "service_name", "'web'", "4-40"),
    # 41 characters.
    PropsCase("service-name-too-long", _service(service_name="c" * 41), "service_name", "'" + "c" * 41 + "'",
              "4-40"),
    # A space.
    PropsCase("service-name-space", _service(service_name="cora web"), "service_name", "'cora web'",
              "letters, digits, '-' or '_'"),
    # A leading hyphen.
    PropsCase("service-name-leading-hyphen", _service(service_name="-cora-web"), "service_name",
              "'-cora-web'", "starting with a letter or digit"),
    # A dot.
    PropsCase("service-name-dot", _service(service_name="cora.web"), "service_name", "'cora.web'",
              "letters, digits, '-' or '_'"),
    # An image tag with a space.
    PropsCase("image-tag-space", _service(image_tag="v1 final"), "image_tag", "'v1 final'", "1-128 letters"),
    # An empty image tag.
    PropsCase("image-tag-empty", _service(image_tag=""), "image_tag", "''", "1-128 letters"),
    # A CPU/memory pair App Runner does not offer.
    PropsCase("cpu-memory-pair", _service(cpu="4096", memory="2048"), "memory", "2048",
              "allowed memory for this cpu: 8192, 10240, 12288"),
    # Port 0.
    PropsCase("port-zero", _service(port=0), "port", "input_value=0", "greater than or equal to 1"),
    # A tag key in the reserved aws: namespace.
    PropsCase("tag-key-aws-prefix", _service(tags={"aws:owner": "me"}), "tags", "'aws:owner'",
              "not starting with 'aws:'"),
    # -- ECR repository names ---------------------------------------------------------------------------
    # Uppercase.
    PropsCase("repo-uppercase", _plain(EcrRepoProps, name="Cora-Web"), "name", "'Cora-Web'", "lowercase"),
    # Two separators in a row.
    PropsCase("repo-double-separator", _plain(EcrRepoProps, name="cora--web"), "name", "'cora--web'",
              "separated by single"),
    # A trailing separator.
    PropsCase("repo-trailing-separator", _plain(EcrRepoProps, name="cora-web-"), "name", "'cora-web-'",
              "ending with a letter or digit"),
    # An empty path component.
    PropsCase("repo-empty-component", _plain(EcrRepoProps, name="cora//web"), "name", "'cora//web'",
              "separated by single"),
    # One character.
    PropsCase("repo-too-short", _plain(EcrRepoProps, name="a"), "name", "'a'", "2-256"),
    # 257 characters.
    PropsCase("repo-too-long", _plain(EcrRepoProps, name="a" * 257), "name", "'" + "a" * 257 + "'", "2-256"),
    # A KMS alias ARN, which IAM ignores as the resource of kms:Decrypt.
    PropsCase("repo-kms-alias",
              _plain(EcrRepoProps, name="cora", kms_key_arn="arn:aws:kms:us-east-1:111111111111:alias/x"),
              "kms_key_arn", "alias/x", "alias ARNs are not accepted"),
    # -- health check -----------------------------------------------------------------------------------
    # Interval above 20 s.
    PropsCase("health-interval-21", _plain(HealthCheck, interval_seconds=21), "interval_seconds",
              "input_value=21", "less than or equal to 20"),
    # Timeout 0.
    PropsCase("health-timeout-zero", _plain(HealthCheck, timeout_seconds=0), "timeout_seconds",
              "input_value=0", "greater than or equal to 1"),
    # Healthy threshold above 20.
    PropsCase("health-healthy-threshold-21", _plain(HealthCheck, healthy_threshold=21), "healthy_threshold",
              "input_value=21", "less than or equal to 20"),
    # A relative path.
    PropsCase("health-path-relative", _plain(HealthCheck, path="api/health"), "path", "'api/health'",
              "must start with '/'"),
    # A path with a space.
    PropsCase("health-path-space", _plain(HealthCheck, path="/api/ health"), "path", "'/api/ health'",
              "contain no spaces"),
    # A path over App Runner's 2048 characters: refused, but the message gives another rule.
    PropsCase("health-path-too-long", _plain(HealthCheck, path="/" + "a" * 2048), "path", "'/aaaa", "2048"),
    # An unknown protocol.
    PropsCase("health-protocol", _plain(HealthCheck, protocol="HTTPS"), "protocol", "'HTTPS'",
              "'HTTP' or 'TCP'"),
    # -- auto scaling -----------------------------------------------------------------------------------
    # Min above max.
    PropsCase("scaling-min-above-max", _plain(AutoScaling, min_size=5, max_size=2), "min_size", "(5)",
              "must not exceed max_size (2)"),
    # Max above 25.
    PropsCase("scaling-max-26", _plain(AutoScaling, max_size=26), "max_size", "input_value=26",
              "less than or equal to 25"),
    # Min 0.
    PropsCase("scaling-min-zero", _plain(AutoScaling, min_size=0), "min_size", "input_value=0",
              "greater than or equal to 1"),
    # Concurrency above 200.
    PropsCase("scaling-concurrency-201", _plain(AutoScaling, max_concurrency=201), "max_concurrency",
              "input_value=201", "less than or equal to 200"),
    # -- CORS -------------------------------------------------------------------------------------------
    # '*' with credentials.
    PropsCase("cors-wildcard-credentials", _plain(CorsConfig, allow_origins=("*",), allow_credentials=True),
              "allow_credentials", "'*'", "list explicit origins or turn credentials off"),
    # '*' next to explicit origins.
    PropsCase("cors-wildcard-and-origin", _plain(CorsConfig, allow_origins=("*", "https://a.example.com")),
              "allow_origins", "'*'", "list it alone or list explicit origins"),
    # A trailing slash.
    PropsCase("cors-origin-trailing-slash", _plain(CorsConfig, allow_origins=("https://a.example.com/",)),
              "allow_origins", "'https://a.example.com/'", "no path or trailing slash"),
    # Not http(s).
    PropsCase("cors-origin-ftp", _plain(CorsConfig, allow_origins=("ftp://a.example.com",)), "allow_origins",
              "'ftp://a.example.com'", "scheme http or https"),
    # Port 0.
    PropsCase("cors-origin-port-zero", _plain(CorsConfig, allow_origins=("https://a.example.com:0",)),
              "allow_origins", "'https://a.example.com:0'", "scheme://host[:port]"),
    # The same origin twice.
    PropsCase("cors-origin-duplicate",
              _plain(CorsConfig, allow_origins=("https://a.example.com", "https://a.example.com")),
              "allow_origins", "'https://a.example.com'", "must be unique"),
    # No origin at all.
    PropsCase("cors-no-origin", _plain(CorsConfig, allow_origins=()), "allow_origins", "input_value=()",
              "at least 1 item"),
    # ANY is a route method, not a CORS method.
    PropsCase("cors-method-any", _plain(CorsConfig, allow_origins=("*",), allow_methods=("ANY",)),
              "allow_methods", "'ANY'", "allowed: GET, POST"),
    # An unknown method.
    PropsCase("cors-method-unknown", _plain(CorsConfig, allow_origins=("*",), allow_methods=("FETCH",)),
              "allow_methods", "'FETCH'", "'GET', 'POST'"),
    # A header name with a space.
    PropsCase("cors-header-space", _plain(CorsConfig, allow_origins=("*",), allow_headers=("X Bad",)),
              "allow_headers", "'X Bad'", "valid HTTP header name"),
    # Max age beyond a day.
    PropsCase("cors-max-age", _plain(CorsConfig, allow_origins=("*",), max_age_seconds=86401),
              "max_age_seconds", "input_value=86401", "less than or equal to 86400"),
    # -- routes -----------------------------------------------------------------------------------------
    # Trailing slash.
    PropsCase("route-trailing-slash", _route("GET /items/"), "key", "'GET /items/'", "no empty segments"),
    # Empty segment.
    PropsCase("route-empty-segment", _route("GET /a//b"), "key", "'GET /a//b'", "no empty segments"),
    # Lowercase method.
    PropsCase("route-lowercase-method", _route("get /items"), "key", "'get'", "allowed: GET, POST"),
    # Duplicate parameter name.
    PropsCase("route-duplicate-parameter", _route("GET /a/{id}/b/{id}"), "key", "{id}", "appears twice"),
    # Greedy parameter not last.
    PropsCase("route-greedy-not-last", _route("GET /{proxy+}/x"), "key", "{proxy+}",
              "must be the last segment"),
    # Two spaces.
    PropsCase("route-two-spaces", _route("GET  /items"), "key", "'GET  /items'", "with one space"),
    # No leading slash.
    PropsCase("route-no-leading-slash", _route("GET items"), "key", "'items'", "must start with '/'"),
    # A parameter glued to text.
    PropsCase("route-glued-parameter", _route("GET /items{id}"), "key", "'items{id}'",
              "a parameter like {id}"),
    # OPTIONS with an authorizer: preflights carry no credentials.
    PropsCase("route-options-authorizer", _route("OPTIONS /items", authorizer="okta"), "authorizer",
              "'OPTIONS /items'", "cannot use an authorizer"),
    # Scopes without an authorizer.
    PropsCase("route-scopes-without-authorizer", _route("GET /items", authorization_scopes=("read",)),
              "authorization_scopes", "'GET /items'", "need an authorizer"),
    # A Lambda ARN with a short account.
    PropsCase("route-lambda-arn",
              _plain(LambdaIntegration, function_arn="arn:aws:lambda:us-east-1:1:function:f"), "function_arn",
              "'arn:aws:lambda:us-east-1:1:function:f'", "arn:aws:lambda:<region>:<account>"),
    # An integration URL that is not http(s).
    PropsCase("route-http-url", _plain(HttpIntegration, url="ftp://status.example.com"), "url",
              "'ftp://status.example.com'", "http:// or https://"),
    # An integration timeout above API Gateway's 30 s.
    PropsCase("route-timeout", _plain(LambdaIntegration, function_arn=LAMBDA, timeout_ms=30001), "timeout_ms",
              "input_value=30001", "less than or equal to 30000"),
    # -- JWT authorizer ---------------------------------------------------------------------------------
    # No audience.
    PropsCase("jwt-no-audience", _jwt(audience=()), "audience", "input_value=()", "at least 1 item"),
    # A blank audience.
    PropsCase("jwt-blank-audience", _jwt(audience=(" ",)), "audience", "input_value=(' ',)", "non-empty"),
    # An http issuer: API Gateway fetches keys over https only.
    PropsCase("jwt-http-issuer", _jwt(issuer="http://cora.okta.com/oauth2/default"), "issuer",
              "'http://cora.okta.com/oauth2/default'", "must be an https:// URL"),
    # An authorizer name with a space.
    PropsCase("jwt-name-space", _jwt(name="okta auth"), "name", "'okta auth'", "letters, digits, '-' or '_'"),
    # -- the API ----------------------------------------------------------------------------------------
    # An API name with spaces (the access log group is named after it).
    PropsCase("api-name-space", _api(name="cora dev api"), "name", "'cora dev api'",
              "letters, digits or _.-"),
    # 129 characters.
    PropsCase("api-name-too-long", _api(name="a" * 129), "name", "'" + "a" * 129 + "'", "1-128"),
    # Two routes with one key.
    PropsCase("api-duplicate-routes",
              _api(routes=(ApiRoute(key="GET /items", integration=HTTP),) * 2),
              "route keys", "GET /items", "each METHOD /path is added once"),
    # A route naming an authorizer the API does not have.
    PropsCase("api-unknown-authorizer",
              _api(routes=(ApiRoute(key="GET /items", integration=HTTP, authorizer="auth0"),)),
              "authorizer", "'auth0'", "known: (none)"),
    # Two authorizers with one name.
    PropsCase("api-duplicate-authorizers",
              _api(authorizers=(JwtAuthorizer(name="okta", issuer=ISSUER, audience=("a",)),) * 2),
              "authorizer names", "'okta'", "must be unique"),
    # A retention CloudWatch does not offer.
    PropsCase("api-log-retention", _api(log_retention_days=31), "log_retention_days", "31",
              "allowed: 1, 3, 5, 7, 14, 30"),
    # A KMS alias for the access logs.
    PropsCase("api-log-kms-alias", _api(log_kms_key_arn="alias/logs"), "log_kms_key_arn", "'alias/logs'",
              "alias ARNs are not accepted"),
]  # fmt: skip

assert len({case.id for case in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case.id) for case in CASES],
)
def test_hostile_props_are_refused_with_field_value_and_rule(case: PropsCase, scratch: Scratch):
    with pytest.raises(ValidationError) as err:
        case.build(scratch)
    assert isinstance(err.value, ValueError)
    text = str(err.value)
    assert case.field in text, f"field {case.field!r} not named: {text}"
    assert case.value in text, f"bad value {case.value!r} not shown: {text}"
    # The rule must be stated apart from the echoed value (a name can contain the word it breaks).
    assert case.allowed in text.replace(case.value, ""), (
        f"allowed values ({case.allowed!r}) not shown: {text}"
    )


def test_ordinary_names_pass(scratch: Scratch):
    """Control: the variables the stack really sets, and look-alikes of secret words, are accepted."""
    props = _service(
        environment={
            "NODE_ENV": "production",
            "NEXTAUTH_URL": "https://cora.example.com",
            "OKTA_CLIENT_ID": "0oa1",
            "KEYCLOAK_URL": "https://id.example.com",
            "MONKEY_MODE": "on",
        },
        secrets=["NEXTAUTH_SECRET"],
    )(scratch)
    assert isinstance(props, AppRunnerServiceProps)
