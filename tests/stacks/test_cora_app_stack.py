"""The environment stacks: composition, the CORA rules, and one snapshot per environment."""

from __future__ import annotations

import json

import cdktf
import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from constructs_lib import ConfigError, LocalBackendConfig
from constructs_lib._runtime.validation import is_secret_like
from constructs_lib.stacks import CoraAppStack, load_config
from tests.conftest import CONFIG_DIR, ENVIRONMENTS, STACKS, only, resources

SECRET_NAMES = {"NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET", "SUPABASE_ANON_KEY"}
PLAIN_ENV = {
    "NODE_ENV",
    "NEXT_PUBLIC_API_URL",
    "OKTA_ISSUER",
    "OKTA_CLIENT_ID",
    "SUPABASE_URL",
}


@pytest.fixture
def json_snapshot(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack", STACKS)
def test_snapshot(synthesized, json_snapshot, stack):
    assert synthesized[stack] == json_snapshot


def _service(doc):
    return only(resources(doc, "aws_apprunner_service"))


def _image_config(doc):
    return _service(doc)["source_configuration"]["image_repository"]["image_configuration"]


def test_dev_allows_wildcard_origin(synthesized):
    api = only(resources(synthesized["dev"], "aws_apigatewayv2_api"))
    assert api["cors_configuration"]["allow_origins"] == ["*"]
    assert api["cors_configuration"]["allow_credentials"] is False


@pytest.mark.parametrize("env", ["stg", "prd"])
def test_stg_and_prd_reject_wildcard_origin(env):
    with pytest.raises(
        ConfigError, match=rf"{env}\.toml: .*cors\.extra_origins: '\*' is only allowed in dev"
    ):
        load_config(env, CONFIG_DIR, overrides={"cors.extra_origins": ["*"]})


@pytest.mark.parametrize("env", ["stg", "prd"])
def test_stg_and_prd_admit_exactly_their_https_origins(synthesized, configs, env):
    api = only(resources(synthesized[env], "aws_apigatewayv2_api"))
    origins = api["cors_configuration"]["allow_origins"]
    assert origins == list(configs[env].cors_config.allow_origins)
    assert all(o.startswith("https://") for o in origins)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_secrets_reach_the_app_only_as_secret_references(synthesized, env):
    image = _image_config(synthesized[env])
    plain = image["runtime_environment_variables"]
    # Without a domain (dev) NextAuth trusts the request's host instead of a configured URL.
    assert set(plain) == PLAIN_ENV | ({"NEXTAUTH_URL"} if env != "dev" else {"AUTH_TRUST_HOST"})
    assert not [name for name in plain if is_secret_like(name)]
    secrets = image["runtime_environment_secrets"]
    assert set(secrets) == SECRET_NAMES
    for ref in secrets.values():
        assert ref.startswith("${aws_secretsmanager_secret.") and ref.endswith(".arn}")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_secret_value_is_written(synthesized, env):
    doc = synthesized[env]
    assert "aws_secretsmanager_secret_version" not in doc.get("resource", {})
    text = json.dumps(doc)
    assert "secret_string" not in text
    assert "secret_binary" not in text


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_app_gets_the_api_url_and_config_values(synthesized, configs, env):
    plain = _image_config(synthesized[env])["runtime_environment_variables"]
    if configs[env].domain is None:
        assert plain["NEXT_PUBLIC_API_URL"].startswith("${aws_apigatewayv2_api.")
        assert plain["NEXT_PUBLIC_API_URL"].endswith(".api_endpoint}")
    else:  # known before any deploy: the image is built with it
        assert plain["NEXT_PUBLIC_API_URL"] == f"https://{configs[env].domain.api_host}"
    if configs[env].app_url is None:
        assert plain["AUTH_TRUST_HOST"] == "true"
        assert "NEXTAUTH_URL" not in plain
    else:
        assert plain["NEXTAUTH_URL"] == configs[env].app_url
    assert plain["OKTA_ISSUER"] == configs[env].auth.okta_issuer
    assert plain["SUPABASE_URL"] == configs[env].supabase.url


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_provider_backend_and_outputs(synthesized, configs, env):
    doc = synthesized[env]
    config = configs[env]
    assert doc["terraform"]["required_providers"]["aws"]["version"] == "~> 5.99"
    provider = only(doc["provider"]["aws"])
    assert provider["region"] == config.region
    assert provider["default_tags"] == [
        {"tags": {"project": "cora", "environment": env, "managed-by": "cora-infra"}}
    ]
    backend = doc["terraform"]["backend"]["s3"]
    assert backend["key"] == f"cora/{env}/terraform.tfstate"
    assert backend["use_lockfile"] is True
    assert backend["encrypt"] is True
    assert set(doc["output"]) >= {
        "service_url",
        "api_endpoint",
        "ecr_repository_url",
        "service_arn",
        "app_url",
        "api_url",
        "app_origins",
    }


def test_prd_is_pinned_to_its_account(synthesized):
    assert only(synthesized["prd"]["provider"]["aws"])["allowed_account_ids"] == ["333333333333"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_names_follow_project_env_component(synthesized, env):
    doc = synthesized[env]
    assert _service(doc)["service_name"] == f"cora-{env}-web"
    assert only(resources(doc, "aws_ecr_repository"))["name"] == f"cora-{env}-web"
    assert only(resources(doc, "aws_apigatewayv2_api"))["name"] == f"cora-{env}-api"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_routes_use_the_okta_authorizer_and_preflight_stays_open(synthesized, env):
    doc = synthesized[env]
    authorizer = only(resources(doc, "aws_apigatewayv2_authorizer"))
    assert authorizer["authorizer_type"] == "JWT"
    routes = {r["route_key"]: r for r in resources(doc, "aws_apigatewayv2_route")}
    assert routes["GET /v1/items"]["authorization_type"] == "JWT"
    assert routes["GET /v1/status"]["authorization_type"] == "NONE"
    assert all(r["authorization_type"] == "NONE" for k, r in routes.items() if k.startswith("OPTIONS "))
    assert only(resources(doc, "aws_apigatewayv2_api"))["cors_configuration"]["max_age"] == 300


def test_local_backend_for_tests(configs):
    app = cdktf.Testing.app()
    stack = CoraAppStack(app, configs["dev"], backend=LocalBackendConfig(path="terraform.dev.tfstate"))

    doc = json.loads(cdktf.Testing.synth(stack))
    assert doc["terraform"]["backend"] == {"local": {"path": "terraform.dev.tfstate"}}


@pytest.mark.parametrize(("env", "window"), [("dev", 0), ("local", 0), ("stg", 30), ("prd", 30)])
def test_destroyed_secrets_are_deleted_at_once_in_dev_and_local_and_restorable_in_stg_and_prd(
    synthesized, env, window
):
    # dev and local: destroy then deploy again must not meet a secret in its recovery window
    # (ResourceExistsException); stg and prd keep a destroyed secret restorable.
    secrets = synthesized[env]["resource"]["aws_secretsmanager_secret"].values()
    assert [s["recovery_window_in_days"] for s in secrets] == [window] * 3
