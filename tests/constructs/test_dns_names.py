"""Host names and hosted zone IDs as AWS stores them (constructs_lib.dns.names)."""

from __future__ import annotations

import re

import pytest

from constructs_lib.dns.names import check_host_name, check_hosted_zone_id, in_zone


@pytest.mark.parametrize(
    "name", ["example.com", "app.stg.cora.example.com", "xn--bcher-kva.example.com", "a-1.b2.io"]
)
def test_host_names_aws_stores_are_accepted(name: str) -> None:
    assert check_host_name(name) == name


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("App.example.com", "uppercase letters; AWS stores names in lowercase: 'app.example.com'"),
        ("app.example.com.", "ends with a dot; write it without the root dot: 'app.example.com'"),
        ("app.example.com/", "contains '/'"),
        ("https://app.example.com", "is a URL; give the host name alone, e.g. 'app.example.com'"),
        ("bücher.example.com", "write it in punycode: 'xn--bcher-kva.example.com'"),
        ("xn--zz.example.com", "label 'xn--zz' starts with 'xn--' but is not valid punycode"),
        ("-app.example.com", "label '-app' is invalid"),
        ("app_1.example.com", "label 'app_1' is invalid"),
        ("*.example.com", "label '*' is invalid"),
        ("app.example.com:443", "label 'com:443' is invalid"),
        ("a..example.com", "label '' is invalid"),
        (f"{'a' * 64}.example.com", "is invalid"),
        (".".join(["abcdefghi"] * 26), "is 259 characters; a host name has at most 253"),
        ("", "is not a host name"),
    ],
)
def test_bad_host_names_are_refused_with_the_fix(name: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        check_host_name(name)


def test_hosted_zone_ids() -> None:
    assert check_hosted_zone_id("Z0123456789ABCDEFGHIJ") == "Z0123456789ABCDEFGHIJ"
    with pytest.raises(ValueError, match="without '/hostedzone/': 'Z123'"):
        check_hosted_zone_id("/hostedzone/Z123")
    with pytest.raises(ValueError, match="not a Route 53 hosted zone ID"):
        check_hosted_zone_id("z123")


def test_in_zone_is_the_apex_or_below_never_a_suffix_match() -> None:
    assert in_zone("example.com", "example.com")
    assert in_zone("app.example.com", "example.com")
    assert not in_zone("badexample.com", "example.com")
    assert not in_zone("example.com", "app.example.com")
