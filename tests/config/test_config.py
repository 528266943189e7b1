"""Config loading: the sample configs are valid; every bad value is named with file, key and value."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from constructs_lib import ConfigError, Cpu, Memory
from constructs_lib.stacks import Environment, load_config
from tests.conftest import CONFIG_DIR, ENVIRONMENTS, delete_key, set_key


def _write(tmp_path: Path, env: str, mutate: Any) -> Path:
    """Copy the sample config of ``env`` into ``tmp_path`` after ``mutate(data)`` changed it."""
    data = tomllib.loads((CONFIG_DIR / f"{env}.toml").read_text())
    mutate(data)
    (tmp_path / f"{env}.toml").write_text(_dumps(data))
    return tmp_path


def _dumps(data: dict[str, Any], prefix: str = "") -> str:
    """A tiny TOML writer for the shapes our configs use (tables, arrays of tables, scalars, lists)."""
    import json

    scalars, tables, arrays = [], [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            scalars.append(f"{key} = {_value(value, json)}")
    out = "\n".join(scalars) + "\n"
    for key, value in tables:
        name = f"{prefix}{key}"
        out += f"\n[{name}]\n" + _dumps(value, f"{name}.")
    for key, items in arrays:
        for item in items:
            out += f"\n[[{prefix}{key}]]\n" + _dumps(item, f"{prefix}{key}.")
    return out


def _value(value: Any, json: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v, json)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v, json) for v in value) + "]"
    return json.dumps(value)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_sample_configs_load(env):
    config = load_config(env, CONFIG_DIR)
    assert config.environment is Environment(env)
    assert config.app.cpu is Cpu.ONE_VCPU
    assert config.app.memory is Memory.TWO_GB
    assert config.name("web") == f"cora-{env}-web"
    assert config.s3_backend.key == f"cora/{env}/terraform.tfstate"


def test_models_are_frozen(configs):
    with pytest.raises(Exception, match="frozen"):
        configs["dev"].project = "other"  # type: ignore[misc]


def test_dev_may_use_wildcard_origin(configs):
    assert configs["dev"].cors_config.allow_origins == ("*",)


def test_override_replaces_image_tag():
    config = load_config("dev", CONFIG_DIR, overrides={"app.image_tag": "3f2a9c1"})
    assert config.app.image_tag == "3f2a9c1"


# (environment, change, key path in the message, bad value shown, rule shown)
BAD_CONFIGS = [
    ("prd", set_key("cors.extra_origins", ["*"]), "cors.extra_origins", "'*'", "only allowed in dev"),
    ("stg", set_key("cors.extra_origins", ["*"]), "cors.extra_origins", "'*'", "only allowed in dev"),
    (
        "prd",
        set_key("cors.extra_origins", ["http://cora.example.com"]),
        "cors.extra_origins",
        "http://cora.example.com",
        "https",
    ),
    (
        "prd",
        set_key("domain.app_host", "other.example.com"),
        "domain.app_host",
        "'other.example.com'",
        "not inside the zone 'cora.example.com'",
    ),
    ("dev", set_key("cors.allow_credentials", True), "cors.allow_credentials", "true", "'*' cannot carry"),
    (
        "dev",
        set_key("cors.extra_origins", ["https://x.com/path"]),
        "cors.extra_origins",
        "https://x.com/path",
        "scheme",
    ),
    (
        "prd",
        set_key("cors.allow_origins", ["https://cora.example.com"]),
        "cors.allow_origins",
        "https://cora.example.com",
        "cors.extra_origins",
    ),
    ("dev", set_key("app.memory", "6144"), "app", "6144", "allowed memory"),
    ("dev", set_key("app.cpu", "3000"), "app.cpu", "3000", "1024"),
    (
        "dev",
        set_key("app.health_check", {"interval_seconds": 30}),
        "app.health_check.interval_seconds",
        "30",
        "20",
    ),
    (
        "dev",
        set_key("app.auto_scaling", {"min_size": 3, "max_size": 2}),
        "app.auto_scaling",
        "min_size",
        "max_size",
    ),
    ("dev", set_key("app.auto_scaling", {"max_size": 30}), "app.auto_scaling.max_size", "30", "25"),
    ("dev", set_key("app.port", 70000), "app.port", "70000", "65535"),
    (
        "dev",
        set_key("app.url", "http://dev.cora.example.com"),
        "app.url",
        "http://dev.cora.example.com",
        "now comes from [domain] app_host",
    ),
    (
        "stg",
        set_key("domain.api_host", "stg.cora.example.com"),
        "domain.api_host",
        "'stg.cora.example.com'",
        "is also domain.app_host",
    ),
    ("dev", set_key("app.image_tag", "bad tag"), "app.image_tag", "bad tag", "letters"),
    ("dev", set_key("project", "Cora"), "project", "Cora", "lowercase"),
    ("dev", set_key("region", "mars-1"), "region", "mars-1", "region"),
    ("dev", set_key("account_id", "123"), "account_id", "123", "12 digits"),
    ("dev", set_key("app.imagetag", "x"), "app.imagetag", "imagetag", "unknown key"),
    ("dev", set_key("colour", "blue"), "colour", "colour", "unknown key"),
    ("dev", delete_key("auth.okta_issuer"), "auth.okta_issuer", "okta_issuer", "required"),
    ("dev", set_key("auth.audience", []), "auth.audience", "[]", "at least 1"),
    ("dev", set_key("app.port", "three thousand"), "app.port", "three thousand", "integer"),
    ("dev", set_key("api.log_retention_days", 31), "api", "31", "CloudWatch"),
    (
        "dev",
        set_key(
            "api.routes",
            [{"key": "GET /v1/items", "integration": {"type": "http", "url": "https://a.b"}}] * 2,
        ),
        "api",
        "GET /v1/items",
        "duplicate",
    ),
    (
        "dev",
        set_key("api.routes", [{"key": "GET v1", "integration": {"type": "http", "url": "https://a.b"}}]),
        "api.routes.0.key",
        "GET v1",
        "must start with '/'",
    ),
    (
        "dev",
        set_key("api.routes", [{"key": "FETCH /v1", "integration": {"type": "http", "url": "https://a.b"}}]),
        "api.routes.0.key",
        "FETCH",
        "allowed",
    ),
    (
        "dev",
        set_key(
            "api.routes",
            [
                {
                    "key": "GET /v1",
                    "authorizer": "auth0",
                    "integration": {"type": "http", "url": "https://a.b"},
                }
            ],
        ),
        "api",
        "auth0",
        "unknown authorizer",
    ),
    (
        "dev",
        set_key("app.secrets", ["NEXTAUTH_SECRET", "NEXTAUTH_SECRET"]),
        "app",
        "NEXTAUTH_SECRET",
        "unique",
    ),
    ("dev", set_key("environment", "prd"), "environment", "prd", "does not match"),
    ("prd", set_key("app.image_tag", "latest"), "app.image_tag", "'latest'", "moving tag"),
    ("stg", set_key("app.image_tag", "main"), "app.image_tag", "'main'", "pinned tag"),
    ("prd", set_key("app.image_tag", ""), "app.image_tag", "''", "1-128 letters"),
    (
        "prd",
        set_key("encryption.kms_key_arn", "alias/cora"),
        "encryption.kms_key_arn",
        "alias/cora",
        "arn:aws:kms:<region>:<account>:key/<id>",
    ),
    (
        "prd",
        set_key("app.secret_rotation", {"lambda_arn": "cora-rotate"}),
        "app.secret_rotation.lambda_arn",
        "cora-rotate",
        "arn:aws:lambda:<region>:<account>:function:<name>",
    ),
    (
        "prd",
        set_key(
            "app.secret_rotation",
            {"lambda_arn": "arn:aws:lambda:us-east-1:333333333333:function:r", "after_days": 0},
        ),
        "app.secret_rotation.after_days",
        "0",
        "greater than or equal to 1",
    ),
    # A region without App Runner: it synthesized and validated, then failed at apply.
    ("dev", set_key("region", "sa-east-1"), "region", "sa-east-1", "App Runner is not available"),
    ("dev", set_key("region", "xx-west-9"), "region", "xx-west-9", "not an AWS region"),
    (
        "dev",
        set_key("app.secret_recovery_window_days", 3),
        "app.secret_recovery_window_days",
        "3",
        "7-30 days",
    ),
    (
        "prd",
        set_key("app.secret_recovery_window_days", 0),
        "app.secret_recovery_window_days",
        "0",
        "restorable",
    ),
]


@pytest.mark.parametrize(
    ("env", "change", "key", "value", "rule"),
    BAD_CONFIGS,
    ids=[f"{case[0]}-{case[2]}-{i}" for i, case in enumerate(BAD_CONFIGS)],
)
def test_bad_config_is_refused_with_file_key_value_and_rule(tmp_path, env, change, key, value, rule):
    config_dir = _write(tmp_path, env, change)
    with pytest.raises(ConfigError) as err:
        load_config(env, config_dir)
    message = str(err.value)
    assert f"{env}.toml" in message
    assert key in message
    assert value in message
    assert rule in message


def test_a_region_without_app_runner_lists_the_regions_that_have_it(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config("dev", _write(tmp_path, "dev", set_key("region", "sa-east-1")))
    assert "eu-west-1, eu-west-2, eu-west-3, us-east-1, us-east-2, us-west-2" in str(err.value)


def test_secrets_are_deleted_at_once_in_dev_and_local_and_kept_30_days_in_stg_and_prd(configs, tmp_path):
    assert {env: c.secret_recovery_window_days for env, c in configs.items()} == {
        "dev": 0,
        "stg": 30,
        "prd": 30,
        "local": 0,
    }
    config = load_config("prd", _write(tmp_path, "prd", set_key("app.secret_recovery_window_days", 7)))
    assert config.secret_recovery_window_days == 7


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="'qa' is unknown; allowed: dev, stg, prd"):
        load_config("qa", CONFIG_DIR)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"dev\.toml: config file not found"):
        load_config("dev", tmp_path)


def test_invalid_toml_is_named(tmp_path):
    (tmp_path / "dev.toml").write_text("project = \n")
    with pytest.raises(ConfigError, match=r"dev\.toml: not valid TOML"):
        load_config("dev", tmp_path)
