"""Config values are data: the helpers behind the hostile cases, checked in-process.

The literal-text walk, cdktf's number tokens, AWS's tag rules, URL ports, messages of discriminated
unions, reading files safely and the checks across environments (``load_configs``).
"""

from __future__ import annotations

import errno
import os
import tomllib
from pathlib import Path
from typing import Any

import cdktf
import pytest
from cdktf import TerraformStack, TerraformVariable, Token
from pydantic import ValidationError

from constructs_lib import ApiRoute, ConfigError
from constructs_lib._runtime.validation import (
    check_tags,
    format_validation_error,
    is_number_token,
    known_keys,
    literal_text_problem,
    url_port_problem,
)
from constructs_lib.stacks import build_app
from constructs_lib.stacks.config import (
    DEFAULT_TAG_KEYS,
    PLAIN_ENV_NAMES,
    EnvConfig,
    load_config,
    load_configs,
)
from constructs_lib.stacks.config_checks import literal_problems
from tests.conftest import CONFIG_DIR, set_key
from tests.hostile.harness import toml

ALL = ("dev", "stg", "prd", "local")


def _copy(tmp_path: Path, changes: dict[str, Any] | None = None) -> Path:
    """Every sample config in ``tmp_path``, each changed by its mutation in ``changes``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for env in ALL:
        data = tomllib.loads((CONFIG_DIR / f"{env}.toml").read_text())
        for change in (changes or {}).get(env, ()):
            change(data)
        (tmp_path / f"{env}.toml").write_text(toml(data))
    return tmp_path


# -- literal text ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["${var.x}", "a${b}", "$${escaped}", "%{ if x }", "x%{y", "${TfToken[TOKEN.7]}", "#{TfToken[TOKEN.1]}",
     "&{TfToken[TOKEN.2]}"],
)  # fmt: skip
def test_terraform_and_cdktf_syntax_is_not_literal(text: str):
    assert literal_text_problem(text) is not None


@pytest.mark.parametrize(
    "text", ["GET /items/{id}", "$request.header.Authorization", "100%", "$LATEST", "{}", "a$b{c}", "#{x}"]
)
def test_ordinary_text_is_literal(text: str):
    assert literal_text_problem(text) is None


def test_the_walk_names_every_refused_key_and_value_by_its_path():
    data = {
        "auth": {"okta_client_id": "${x}"},
        "api": {"routes": [{"key": "GET /a"}, {"key": "GET /b", "integration": {"url": "%{y}"}}]},
        "tags": {"${k}": "fine"},
        "ok": "plain",
    }
    found = literal_problems(data, source="dev.toml")
    assert [p.path for p in found] == ["auth.okta_client_id", "api.routes.1.integration.url", "tags"]
    assert all(p.line.startswith("dev.toml: ") for p in found)
    assert "key '${k}'" in found[2].line


def test_the_walk_blames_an_override_on_its_variable():
    found = literal_problems(
        {"app": {"image_tag": "${t}"}}, source="dev.toml", origins={"app.image_tag": "V"}
    )
    assert found[0].line.startswith("V (overrides app.image_tag of dev.toml): app.image_tag: '${t}'")


def test_real_cdktf_number_tokens_are_recognised():
    """The bit pattern is cdktf's: a number token made by cdktf itself is recognised, numbers are not."""
    stack = TerraformStack(cdktf.Testing.app(), "t")
    number = TerraformVariable(stack, "n", type="number").number_value
    listed = Token.as_number_list(TerraformVariable(stack, "l", type="list(number)").list_value)
    assert is_number_token(number)
    assert is_number_token(listed[0])
    for plain in (0, 1, -1, 3000, 50.0, 1e300, -1e300, float("inf"), 10**400, True):
        assert not is_number_token(plain), plain


def test_a_string_token_from_cdktf_is_refused_as_config_text():
    stack = TerraformStack(cdktf.Testing.app(), "t")
    text = TerraformVariable(stack, "s", type="string").string_value
    assert literal_text_problem(text) is not None


# -- tags --------------------------------------------------------------------------------------------
def test_fifty_tags_pass_and_fifty_one_do_not():
    assert check_tags("tags", {f"k{i}": "v" for i in range(50)})
    with pytest.raises(ValueError, match="51 tags; AWS allows at most 50"):
        check_tags("tags", {f"k{i}": "v" for i in range(51)})


def test_default_tags_count_towards_fifty():
    check_tags("tags", {f"k{i}": "v" for i in range(47)}, reserved=DEFAULT_TAG_KEYS)
    with pytest.raises(ValueError, match="at most 47 here besides the 3 default tags"):
        check_tags("tags", {f"k{i}": "v" for i in range(48)}, reserved=DEFAULT_TAG_KEYS)


@pytest.mark.parametrize("key", ["Project", "ENVIRONMENT", "managed-by"])
def test_a_tag_may_not_reuse_a_default_key_in_any_case(key: str):
    with pytest.raises(ValueError, match=f"tag key '{key}' is the same as a default tag"):
        check_tags("tags", {key: "x"}, reserved=DEFAULT_TAG_KEYS)


def test_tag_keys_differing_only_in_case_are_refused():
    with pytest.raises(ValueError, match="'team' is the same as another tag 'Team'"):
        check_tags("tags", {"Team": "a", "team": "b"})


@pytest.mark.parametrize("key", ["équipe", "チーム", "cost center", "a:b/c=d+e-f@g_h.i", "١٢"])
def test_unicode_letters_digits_spaces_and_the_listed_marks_are_allowed(key: str):
    assert check_tags("tags", {key: key})


@pytest.mark.parametrize("text", ["a<b", "a\u2028b", "a\nb", "a\tb", "a#b", "a'b", "emoji\U0001f600"])
def test_other_characters_are_refused_in_keys_and_values(text: str):
    with pytest.raises(ValueError, match="tag key"):
        check_tags("tags", {text: "v"})
    with pytest.raises(ValueError, match="value"):
        check_tags("tags", {"k": text})


def test_the_default_tag_keys_are_the_ones_the_stack_adds(synthesized):
    """DEFAULT_TAG_KEYS (config) and the provider's default tags (CoraAppStack) must not drift apart."""
    for env in ALL:
        tags = synthesized[env]["provider"]["aws"][0]["default_tags"][0]["tags"]
        assert set(tags) == set(DEFAULT_TAG_KEYS), env


def test_the_plain_env_names_are_the_ones_the_stack_sets(synthesized):
    """PLAIN_ENV_NAMES (config) and the App Runner plain variables (CoraAppStack) must not drift apart:
    dev (no domain) sets AUTH_TRUST_HOST where stg (a domain) sets NEXTAUTH_URL."""
    names: dict[str, set[str]] = {}
    for env in ("dev", "stg"):
        service = next(iter(synthesized[env]["resource"]["aws_apprunner_service"].values()))
        image = service["source_configuration"]["image_repository"]["image_configuration"]
        names[env] = set(image["runtime_environment_variables"])
    assert names["dev"] - names["stg"] == {"AUTH_TRUST_HOST"}
    assert names["stg"] - names["dev"] == {"NEXTAUTH_URL"}
    assert names["dev"] | names["stg"] == set(PLAIN_ENV_NAMES)


# -- ports -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["https://a.example.com", "https://a.example.com:1/x", "https://a.example.com:65535",
            "http://[::1]:4566", "https://user:pw@a.example.com:443/p", "https://a.example.com/x:99999"],
)  # fmt: skip
def test_ports_1_to_65535_or_none_pass(url: str):
    assert url_port_problem(url) is None


@pytest.mark.parametrize(
    "url", ["https://a.example.com:0", "https://a.example.com:65536", "https://a.example.com:0443",
            "https://a.example.com:", "http://[::1]:99999", "https://a.example.com:4\u0664\u0663",
            "https://a.example.com:+80", "https://a.example.com: 80"],
)  # fmt: skip
def test_other_ports_are_refused(url: str):
    assert "1-65535" in (url_port_problem(url) or "")


# -- messages of discriminated unions ----------------------------------------------------------------
def _route_error(integration: object) -> str:
    with pytest.raises(ValidationError) as err:
        ApiRoute.model_validate({"key": "GET /x", "integration": integration})
    return format_validation_error(err.value, source="f.toml", model=ApiRoute)


def test_known_keys_follow_the_member_the_tag_chose():
    assert known_keys(ApiRoute, ("integration", "http")) == ("type", "url", "method", "timeout_ms")
    assert known_keys(ApiRoute, ("integration", "lambda"))[:2] == ("type", "function_arn")  # type: ignore[index]


def test_a_missing_or_unknown_type_lists_the_types():
    assert _route_error({"url": "https://a.b"}) == (
        "f.toml: integration.type: required key is missing; allowed types: 'lambda', 'http'"
    )
    assert _route_error({"type": "sqs"}) == (
        "f.toml: integration.type: 'sqs' is not allowed; allowed types: 'lambda', 'http'"
    )


def test_an_unknown_key_in_a_union_member_lists_that_members_keys_without_its_tag():
    message = _route_error({"type": "http", "url": "https://a.b", "methd": "GET"})
    assert message == (
        "f.toml: integration.methd: unknown key 'methd'; did you mean 'method'? "
        "allowed keys here: type, url, method, timeout_ms"
    )


# -- files -------------------------------------------------------------------------------------------
def test_an_unreadable_file_is_one_line(tmp_path, monkeypatch):
    """Root reads any file, so the permission error is simulated where the loader opens the file."""
    config_dir = _copy(tmp_path)
    real_open = os.open

    def denied(path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith("dev.toml"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ConfigError) as err:
        load_config("dev", config_dir)
    assert str(err.value).endswith("dev.toml: cannot open the config file (Permission denied); it must be a "
                                   "readable regular file")  # fmt: skip


def test_a_schedule_expression_replaces_after_days(tmp_path):
    """TOML has no null: a rotation table with a schedule and no after_days loads (it could not)."""
    rotation = {"lambda_arn": "arn:aws:lambda:us-east-1:222222222222:function:r", "schedule_expression":
                "rate(30 days)"}  # fmt: skip
    config_dir = _copy(tmp_path, {"stg": [set_key("app.secret_rotation", rotation)]})
    loaded = load_config("stg", config_dir).app.secret_rotation
    assert loaded is not None
    assert (loaded.after_days, loaded.schedule_expression) == (None, "rate(30 days)")


# -- across environments -----------------------------------------------------------------------------
def test_the_sample_configs_load_together():
    configs = load_configs(ALL, CONFIG_DIR)
    assert [c.environment.value for c in configs] == list(ALL)
    assert all(isinstance(c, EnvConfig) for c in configs)


def test_every_file_is_reported_then_the_shared_state(tmp_path):
    dev_bucket = "cora-tfstate-111111111111-us-east-1"
    config_dir = _copy(
        tmp_path,
        {
            "dev": [set_key("project", "Cora")],
            "stg": [set_key("state.bucket", dev_bucket)],
            "prd": [set_key("state.bucket", dev_bucket), set_key("app.port", 0)],
        },
    )
    with pytest.raises(ConfigError) as err:
        load_configs(ALL, config_dir)
    lines = str(err.value).splitlines()
    assert "dev.toml: project:" in lines[0]
    assert "prd.toml: app.port:" in lines[1]
    # dev and prd did not load, so stg shares its bucket with no loaded environment: only loaded
    # configs are compared across environments.
    assert len(lines) == 2, lines


def test_one_bucket_for_two_accounts_names_both_files(tmp_path):
    dev_bucket = "cora-tfstate-111111111111-us-east-1"
    config_dir = _copy(tmp_path, {"stg": [set_key("state.bucket", dev_bucket)]})
    with pytest.raises(ConfigError) as err:
        load_configs(("dev", "stg"), config_dir)
    message = str(err.value)
    assert "dev.toml, " in message and "stg.toml: state.bucket" in message
    assert "dev: account_id 111111111111, stg: account_id 222222222222" in message
    # Each file alone is fine: only loading them together shows the conflict.
    assert load_configs(("stg",), config_dir)


def test_environments_without_an_account_may_share_a_bucket_with_distinct_keys(tmp_path):
    """An unset account_id is not a different account: dev and stg in one account, one bucket."""
    config_dir = _copy(
        tmp_path,
        {
            env: [set_key("state.bucket", "cora-shared-state"), lambda d: d.pop("account_id")]
            for env in ("dev", "stg")
        },
    )
    assert len(load_configs(("dev", "stg"), config_dir)) == 2


def test_accepted_text_reaches_the_terraform_json_as_written(tmp_path):
    """What the walk lets through is not rewritten by cdktf: the JSON holds the text the user wrote."""
    import json

    text = 'a$b {c} 100% #{x} &{y} "q" \\ é $'
    config_dir = _copy(tmp_path / "config", {"dev": [set_key("auth.okta_client_id", text)]})
    config = load_config("dev", config_dir)
    app = cdktf.App(outdir=str(tmp_path / "out"))
    build_app(app, [config])
    app.synth()
    doc = json.loads((tmp_path / "out" / "stacks" / "dev" / "cdk.tf.json").read_text())
    service = next(iter(doc["resource"]["aws_apprunner_service"].values()))
    env = service["source_configuration"]["image_repository"]["image_configuration"]
    assert env["runtime_environment_variables"]["OKTA_CLIENT_ID"] == text
