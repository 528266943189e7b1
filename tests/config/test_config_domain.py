"""``[domain]``: the hosts, their rules, and the URLs and origins derived from them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from constructs_lib.stacks.config_domain import DomainConfig

STG = {
    "zone": "stg.cora.example.com",
    "app_host": "stg.cora.example.com",
    "api_host": "api.stg.cora.example.com",
}
PRD = {
    "zone": "cora.example.com",
    "app_host": "cora.example.com",
    "www": True,
    "api_host": "api.cora.example.com",
}


def _refused(**values: Any) -> str:
    with pytest.raises(ValidationError) as err:
        DomainConfig(**values)
    return str(err.value)


def test_urls_and_origins_come_from_the_hosts():
    domain = DomainConfig(**STG)
    assert domain.app_url == "https://stg.cora.example.com"
    assert domain.api_url == "https://api.stg.cora.example.com"
    assert domain.app_origins == ("https://stg.cora.example.com",)
    assert domain.www_host is None
    assert domain.zone_id is None
    assert domain.disable_execute_api_endpoint is True


def test_www_adds_the_www_origin_after_the_app_origin():
    domain = DomainConfig(**PRD)
    assert domain.www_host == "www.cora.example.com"
    assert domain.app_origins == ("https://cora.example.com", "https://www.cora.example.com")
    assert domain.app_url == "https://cora.example.com"


def test_a_subdomain_app_host_is_fine():
    domain = DomainConfig(zone="local.cora.example.com", app_host="app.local.cora.example.com",
                          api_host="api.local.cora.example.com")  # fmt: skip
    assert domain.app_origins == ("https://app.local.cora.example.com",)


def test_a_zone_id_skips_the_lookup_and_is_checked():
    assert DomainConfig(**STG, zone_id="Z0123456789ABCDEFGHIJ").zone_id == "Z0123456789ABCDEFGHIJ"
    message = _refused(**STG, zone_id="/hostedzone/Z0123456789ABCDEFGHIJ")
    assert "zone_id" in message and "without '/hostedzone/'" in message
    assert "is not a Route 53 hosted zone ID" in _refused(**STG, zone_id="z123")


@pytest.mark.parametrize("key", ["app_host", "api_host"])
def test_hosts_must_be_inside_the_zone(key):
    message = _refused(**{**STG, key: "app.other.example.com"})
    assert key in message
    assert "'app.other.example.com' is not inside the zone 'stg.cora.example.com' (domain.zone)" in message
    assert "ending in '.stg.cora.example.com'" in message


def test_a_name_that_only_ends_like_the_zone_is_outside_it():
    message = _refused(**{**STG, "app_host": "xstg.cora.example.com"})
    assert "'xstg.cora.example.com' is not inside the zone" in message


def test_the_api_needs_a_host_of_its_own():
    message = _refused(**{**STG, "api_host": "stg.cora.example.com"})
    assert "api_host" in message
    assert "'stg.cora.example.com' is also domain.app_host" in message
    assert "e.g. 'api.stg.cora.example.com'" in message


def test_the_api_may_not_take_the_www_host_when_www_is_served():
    message = _refused(**{**PRD, "api_host": "www.cora.example.com"})
    assert "api_host" in message
    assert "'www.cora.example.com' is the app's www host (domain.www = true serves it)" in message
    # Without www the name is free.
    assert DomainConfig(**{**PRD, "www": False, "api_host": "www.cora.example.com"}).www_host is None


def test_www_must_make_a_valid_name():
    def app(last: int) -> str:
        return ".".join(["a" * 63, "a" * 63, "a" * 63, "b" * last, "com"])

    assert len(app(53)) == 249  # www. makes 253: the longest name DNS allows
    DomainConfig(zone="com", app_host=app(53), api_host="api.com", www=True)
    assert len(app(54)) == 250  # fine alone, 254 with www.
    DomainConfig(zone="com", app_host=app(54), api_host="api.com")
    message = _refused(zone="com", app_host=app(54), api_host="api.com", www=True)
    assert "www" in message
    assert "is 254 characters; a host name has at most 253" in message
    assert "shorten domain.app_host or set domain.www = false" in message


@pytest.mark.parametrize("key", ["www", "disable_execute_api_endpoint"])
@pytest.mark.parametrize("value", ["yes", 1, "true"])
def test_switches_are_strict_booleans(key, value):
    assert "valid boolean" in _refused(**{**STG, key: value})


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (
            "Stg.cora.example.com",
            "has uppercase letters; AWS stores names in lowercase: 'stg.cora.example.com'",
        ),
        ("stg.cora.example.com.", "ends with a dot; write it without the root dot: 'stg.cora.example.com'"),
        ("stg.cora.example.com/", "contains '/'; give the host name alone"),
        ("https://stg.cora.example.com", "is a URL; give the host name alone, e.g. 'stg.cora.example.com'"),
        ("stg.córa.example.com", "write it in punycode: 'stg.xn--cra-gna.example.com'"),
        ("stg.cora.example.com:443", "label 'com:443' is invalid"),
        ("*.stg.cora.example.com", "label '*' is invalid"),
        ("", "is not a host name"),
    ],
)
@pytest.mark.parametrize("key", ["zone", "app_host", "api_host"])
def test_bad_host_names_are_refused_with_the_dns_rule(key, host, expected):
    message = _refused(**{**STG, key: host})
    assert key in message
    assert expected in message


def test_unknown_keys_are_refused():
    assert "Extra inputs are not permitted" in _refused(**STG, app_url="https://stg.cora.example.com")


def test_frozen():
    domain = DomainConfig(**STG)
    with pytest.raises(ValidationError, match="frozen"):
        domain.app_host = "x.stg.cora.example.com"  # type: ignore[misc]
