"""Property-based tests (hypothesis) of config values: ports, ASCII digits, literal text.

- A port in any URL the config or the constructs take is accepted exactly when it is 1-65535 written
  in ASCII digits without leading zeros.
- A digit of an account ID, region, ARN or port replaced by any other Unicode decimal digit is refused.
- Any text as a config value either reaches the loaded config exactly as written, free of Terraform
  and cdktf syntax, or is refused naming its key path.

Same profile as the other property tests (``tests.property.grammars``): deterministic, no example database.
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from constructs_lib import ConfigError, CorsConfig, HttpIntegration, JwtAuthorizer
from constructs_lib._runtime.validation import ACCOUNT_ID, check_kms_key_arn, check_lambda_arn
from constructs_lib.stacks import load_config
from constructs_lib.stacks.config import EmulatorConfig, SupabaseConfig
from constructs_lib.state_backend import check_region
from tests.hostile.harness import toml
from tests.property.grammars import CONFIG_DIR, PROFILE

# -- ports -------------------------------------------------------------------------------------------
URL_CHECKS: dict[str, Callable[[str], object]] = {
    "supabase.url": lambda port: SupabaseConfig(url=f"https://cora.supabase.co:{port}/rest"),
    "emulator.endpoint": lambda port: EmulatorConfig(endpoint=f"http://127.0.0.1:{port}"),
    "cors origin": lambda port: CorsConfig(allow_origins=(f"https://app.example.com:{port}",)),
    "integration url": lambda port: HttpIntegration(url=f"https://api.example.com:{port}/v1"),
    "jwt issuer": lambda port: JwtAuthorizer(
        name="okta", issuer=f"https://cora.okta.com:{port}/oauth2", audience=("api://cora",)
    ),
}
PORT_TEXT = st.one_of(
    st.integers(-5, 70_000).map(str),
    st.builds(lambda zeros, n: "0" * zeros + str(n), st.integers(1, 3), st.integers(0, 65535)),
    st.text(alphabet="0123456789+- \u0660\u0664\u09e6\uff11", min_size=1, max_size=6),
)


def _port_ok(text: str) -> bool:
    return bool(re.fullmatch(r"[1-9][0-9]{0,4}", text)) and int(text) <= 65535


@pytest.mark.parametrize("where", list(URL_CHECKS))
@PROFILE
@given(port=PORT_TEXT)
@example(port="1")
@example(port="65535")
@example(port="65536")
@example(port="0")
@example(port="0443")
def test_a_port_is_accepted_exactly_when_it_is_1_to_65535(where: str, port: str):
    check = URL_CHECKS[where]
    if _port_ok(port):
        check(port)
    else:
        with pytest.raises(ValueError, match=re.escape(port)):
            check(port)


# -- ASCII digits ------------------------------------------------------------------------------------
OTHER_DIGITS = st.characters(categories=("Nd",)).filter(lambda c: not c.isascii())


def _refuses(check: Callable[[str], object]) -> Callable[[str], bool]:
    def refused(value: str) -> bool:
        try:
            check(value)
        except ValueError:
            return True
        return False

    return refused


def _account(value: str) -> object:
    if not ACCOUNT_ID.fullmatch(value):
        raise ValueError(value)
    return value


DIGIT_CHECKS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "account id": ("111122223333", _refuses(_account)),
    "region": ("eu-west-1", _refuses(check_region)),
    "kms key arn": (
        "arn:aws:kms:us-east-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        _refuses(lambda v: check_kms_key_arn("kms_key_arn", v)),
    ),
    "lambda arn": ("arn:aws:lambda:us-east-1:111111111111:function:items", _refuses(check_lambda_arn)),
    "origin port": ("https://app.example.com:8443", _refuses(lambda v: CorsConfig(allow_origins=(v,)))),
    "https url port": ("https://cora.supabase.co:8443", _refuses(lambda v: SupabaseConfig(url=v))),
}


@pytest.mark.parametrize("what", list(DIGIT_CHECKS))
@PROFILE
@given(data=st.data(), digit=OTHER_DIGITS)
def test_a_unicode_digit_where_aws_wants_0_to_9_is_refused(what: str, data: st.DataObject, digit: str):
    valid, refused = DIGIT_CHECKS[what]
    assert not refused(valid)
    positions = [i for i, c in enumerate(valid) if c.isdigit()]
    if what == "kms key arn":  # the key id is hex, not a number: only the account's digits count
        positions = [i for i in positions if valid.index(":333333333333:") < i < valid.index(":key/")]
    at = data.draw(st.sampled_from(positions))
    assert refused(valid[:at] + digit + valid[at + 1 :])


# -- literal text ------------------------------------------------------------------------------------
PIECES = ["$", "%", "#", "&", "{", "}", "[", "]", "TfToken", "TOKEN.1", "a", " ", "é", "\\", '"', "${"]
TEXT = st.one_of(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), st.text(max_size=12))
MARKERS = ("${", "%{", "{TfToken[")


@PROFILE
@given(text=TEXT)
@example(text="${TfToken[TOKEN.1]}")
@example(text="$${escaped}")
@example(text="a$b{c}%d")
def test_any_text_as_a_value_is_kept_literally_or_refused_by_key(text: str):
    data = tomllib.loads((CONFIG_DIR / "dev.toml").read_text())
    data["auth"]["okta_client_id"] = text
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "dev.toml").write_text(toml(data), encoding="utf-8")
        try:
            loaded: str = load_config("dev", Path(folder)).auth.okta_client_id
        except ConfigError as err:
            loaded = f"refused: {err}"
    if loaded.startswith("refused: "):
        assert "auth.okta_client_id" in loaded
        # okta_client_id takes any non-empty text: only the markers (or nothing) may be refused.
        assert any(marker in text for marker in MARKERS) or text == "", loaded
    else:
        assert loaded == text
        assert not any(marker in text for marker in MARKERS)
