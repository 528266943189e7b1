"""What ``EnvConfig`` derives from ``[domain]`` and ``[cors]``: the CORS origins, the app and API URLs.

A config in which CORS, ``NEXTAUTH_URL`` and ``NEXT_PUBLIC_API_URL`` disagree cannot be written: they
all come from one ``[domain]``, and the keys that used to repeat them (``app.url``,
``cors.allow_origins``) are refused with a message saying where the value comes from now.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from constructs_lib import ConfigError, CorsConfig, HttpMethod
from constructs_lib.stacks.config import PLAIN_ENV_NAMES, load_config
from tests.config.helpers import write_config
from tests.conftest import CONFIG_DIR, delete_key, set_key

LOCAL_HOSTS = ("https://app.local.cora.example.com",)


def _load(tmp_path: Path, env: str, *changes) -> object:
    return load_config(env, write_config(tmp_path, env, *changes))


def _refused(tmp_path: Path, env: str, *changes) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(env, write_config(tmp_path, env, *changes))
    return str(err.value)


# -- the sample configs ------------------------------------------------------------------------------
def test_stg_urls_and_origins_come_from_its_domain(configs):
    stg = configs["stg"]
    assert stg.app_url == "https://stg.cora.example.com"
    assert stg.api_url == "https://api.stg.cora.example.com"
    assert stg.cors_config.allow_origins == ("https://stg.cora.example.com",)
    assert stg.cors_config.allow_credentials is True
    assert stg.domain is not None and stg.domain.zone == "stg.cora.example.com"


def test_prd_admits_the_apex_and_www(configs):
    prd = configs["prd"]
    assert prd.app_url == "https://cora.example.com"
    assert prd.api_url == "https://api.cora.example.com"
    assert prd.cors_config.allow_origins == ("https://cora.example.com", "https://www.cora.example.com")


def test_local_uses_a_subdomain_of_its_zone(configs):
    local = configs["local"]
    assert local.app_url == LOCAL_HOSTS[0]
    assert local.api_url == "https://api.local.cora.example.com"
    assert local.cors_config.allow_origins == LOCAL_HOSTS


def test_dev_without_a_domain_admits_any_origin_and_has_no_urls(configs):
    dev = configs["dev"]
    assert dev.domain is None
    assert dev.app_url is None
    assert dev.api_url is None
    assert dev.cors_config.allow_origins == ("*",)
    assert dev.cors_config.allow_credentials is False


def test_the_other_cors_settings_pass_through(configs):
    cors = configs["prd"].cors_config
    assert isinstance(cors, CorsConfig)
    assert cors.max_age_seconds == 300
    assert HttpMethod.OPTIONS in cors.allow_methods
    assert "Authorization" in cors.allow_headers


def test_auth_trust_host_is_a_plain_name_secrets_may_not_take(tmp_path):
    assert "AUTH_TRUST_HOST" in PLAIN_ENV_NAMES
    message = _refused(tmp_path, "dev", set_key("app.secrets", ["NEXTAUTH_SECRET", "AUTH_TRUST_HOST"]))
    assert "app.secrets: 'AUTH_TRUST_HOST'" in message


# -- derivation --------------------------------------------------------------------------------------
def test_extra_origins_follow_the_app_origins_once_each_in_order(tmp_path):
    config = _load(
        tmp_path, "prd",
        set_key("cors.extra_origins", ["https://admin.cora.example.com", "https://www.cora.example.com"]),
    )  # fmt: skip
    assert config.cors_config.allow_origins == (
        "https://cora.example.com",
        "https://www.cora.example.com",
        "https://admin.cora.example.com",
    )


def test_dev_with_extras_and_no_domain_admits_just_the_extras(tmp_path):
    config = _load(tmp_path, "dev", set_key("cors.extra_origins", ["http://localhost:3000"]))
    assert config.cors_config.allow_origins == ("http://localhost:3000",)


def test_dev_with_a_domain_admits_its_origins(tmp_path):
    domain = {"zone": "dev.cora.example.com", "app_host": "dev.cora.example.com",
              "api_host": "api.dev.cora.example.com"}  # fmt: skip
    config = _load(
        tmp_path, "dev", set_key("domain", domain), set_key("cors.extra_origins", ["http://localhost:3000"])
    )
    assert config.cors_config.allow_origins == ("https://dev.cora.example.com", "http://localhost:3000")
    assert config.app_url == "https://dev.cora.example.com"
    assert config.api_url == "https://api.dev.cora.example.com"


def test_a_wildcard_extra_in_local_admits_everything_even_with_a_domain(tmp_path):
    config = _load(tmp_path, "local", set_key("cors.extra_origins", ["*"]))
    assert config.cors_config.allow_origins == ("*",)
    assert config.app_url == LOCAL_HOSTS[0]


def test_dev_with_credentials_and_extras_and_no_domain_is_fine(tmp_path):
    config = _load(
        tmp_path,
        "dev",
        set_key("cors.allow_credentials", True),
        set_key("cors.extra_origins", ["http://localhost:3000"]),
    )
    assert config.cors_config.allow_credentials is True
    assert config.cors_config.allow_origins == ("http://localhost:3000",)


def test_stg_without_a_domain_is_left_to_the_policy_and_uses_its_extras(tmp_path):
    config = _load(
        tmp_path, "stg", delete_key("domain"), set_key("cors.extra_origins", ["https://stg.cora.example.com"])
    )
    assert config.domain is None
    assert config.app_url is None and config.api_url is None
    assert config.cors_config.allow_origins == ("https://stg.cora.example.com",)


# -- rules -------------------------------------------------------------------------------------------
def test_dev_with_credentials_needs_a_domain_or_extras(tmp_path):
    message = _refused(tmp_path, "dev", set_key("cors.allow_credentials", True))
    assert "dev.toml: cors.allow_credentials: true" in message
    assert "App Runner's generated URL" in message
    assert "'*' cannot carry credentials" in message
    assert "add a [domain] or list the app's origins in cors.extra_origins" in message


@pytest.mark.parametrize("env", ["stg", "prd"])
def test_stg_and_prd_without_a_domain_need_extra_origins(tmp_path, env):
    message = _refused(tmp_path, env, delete_key("domain"))
    assert f"{env}.toml: cors.extra_origins: () but {env} has no [domain]" in message
    assert "list the app's https origins in cors.extra_origins or add a [domain]" in message


@pytest.mark.parametrize("env", ["stg", "prd"])
def test_stg_and_prd_refuse_a_wildcard_extra(tmp_path, env):
    message = _refused(tmp_path, env, set_key("cors.extra_origins", ["*"]))
    assert f"{env}.toml: cors.extra_origins: '*' is only allowed in dev and local" in message


def test_prd_refuses_plain_http_extras(tmp_path):
    message = _refused(tmp_path, "prd", set_key("cors.extra_origins", ["http://admin.cora.example.com"]))
    assert (
        "cors.extra_origins: ['http://admin.cora.example.com'] are not https; prd allows only https"
        in message
    )


def test_a_wildcard_extra_with_credentials_is_refused(tmp_path):
    message = _refused(
        tmp_path, "local", set_key("cors.extra_origins", ["*"]), set_key("cors.allow_credentials", True)
    )
    assert "cors" in message and "'*' cannot be combined with allow_credentials = true" in message


@pytest.mark.parametrize(
    ("origins", "expected"),
    [
        (["https://x.example.com/path"], "scheme://host[:port]"),
        (["https://x.example.com", "https://x.example.com"], "must be unique"),
        (["*", "https://x.example.com"], "list it alone"),
    ],
)
def test_malformed_extras_are_refused(tmp_path, origins, expected):
    message = _refused(tmp_path, "dev", set_key("cors.extra_origins", origins))
    assert "dev.toml: cors.extra_origins:" in message
    assert expected in message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("allow_methods", ["GET", "ANY"], "'ANY' is a route method, not a CORS method"),
        ("allow_headers", ["X Bad"], "'X Bad' is not a valid HTTP header name"),
        ("max_age_seconds", 86401, "less than or equal to 86400"),
        ("max_age_seconds", "300", "valid integer"),
        ("allow_credentials", "yes", "valid boolean"),
    ],
)
def test_the_construct_rules_hold_at_the_config_key(tmp_path, key, value, expected):
    message = _refused(tmp_path, "stg", set_key(f"cors.{key}", value))
    assert f"stg.toml: cors.{key}: " in message
    assert expected in message


# -- removed keys ------------------------------------------------------------------------------------
def test_app_url_is_refused_saying_where_the_url_comes_from(tmp_path):
    message = _refused(tmp_path, "stg", set_key("app.url", "https://stg.cora.example.com"))
    assert message == (
        f"{tmp_path}/stg.toml: app.url: 'https://stg.cora.example.com': app.url is no longer a setting: the "
        "app's URL now comes from [domain] app_host (NEXTAUTH_URL and the CORS origins derive from it); "
        "remove app.url and set [domain] zone, app_host and api_host"
    )


def test_cors_allow_origins_is_refused_naming_extra_origins(tmp_path):
    message = _refused(tmp_path, "prd", set_key("cors.allow_origins", ["https://cora.example.com"]))
    assert message == (
        f"{tmp_path}/prd.toml: cors.allow_origins: ['https://cora.example.com']: cors.allow_origins is no "
        "longer a setting: the app's origins come from [domain] (app_host, and www.<app_host> with www = "
        "true) and are always admitted; list any other origins in cors.extra_origins"
    )


def test_removed_keys_are_reported_with_the_other_problems(tmp_path):
    message = _refused(
        tmp_path, "dev", set_key("app.url", "https://dev.cora.example.com"),
        set_key("cors.allow_origins", ["*"]), set_key("app.port", 70000),
    )  # fmt: skip
    lines = message.splitlines()
    assert len(lines) == 3, message
    assert "app.url: 'https://dev.cora.example.com': app.url is no longer a setting" in lines[0]
    assert "cors.allow_origins: ['*']: cors.allow_origins is no longer a setting" in lines[1]
    assert "app.port: Input should be less than or equal to 65535 (got 70000)" in lines[2]
    assert "unknown key" not in message


def test_a_removed_key_from_an_override_names_it(tmp_path):
    with pytest.raises(
        ConfigError, match=r"stg\.toml: cors\.allow_origins: \['\*'\]: .* cors\.extra_origins"
    ):
        load_config("stg", CONFIG_DIR, overrides={"cors.allow_origins": ["*"]})


def test_a_domain_whose_origin_the_cors_construct_refuses_is_named_at_load(tmp_path):
    """DNS takes a punycode top-level domain; the CORS construct's origin pattern does not (yet)."""
    domain = {"zone": "cora.xn--p1ai", "app_host": "cora.xn--p1ai", "api_host": "api.cora.xn--p1ai"}
    message = _refused(tmp_path, "stg", set_key("domain", domain))
    assert "stg.toml: domain.app_host: the app's origins ['https://cora.xn--p1ai'] are refused" in message
    assert "CORS origin 'https://cora.xn--p1ai' is malformed" in message
