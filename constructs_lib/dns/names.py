"""DNS names as AWS takes them: host names, hosted zones and the hosts a zone may serve.

Route 53, ACM, App Runner and API Gateway all store names in lowercase ASCII, without the trailing
root dot. A name written otherwise either fails late (an invalid ``CreateDomainName``) or, worse,
leads to a second plan that is never empty (``App.example.com`` stored as ``app.example.com``), so
names are checked here, before any Terraform is written.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

__all__ = [
    "HOSTED_ZONE_ID",
    "HostName",
    "check_host_name",
    "check_hosted_zone_id",
    "in_zone",
]

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_MAX_NAME = 253  # RFC 1035, without the root dot
HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_RULE = (
    "lowercase ASCII labels of letters, digits and '-' (1-63 characters, no '-' at either end) joined "
    "by '.', at most 253 characters, no scheme, path, port, wildcard or trailing dot"
)


def _punycode(value: str) -> str | None:
    try:
        return value.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def check_host_name(value: str) -> str:
    """``value`` when it is a DNS host name as AWS stores it, else a ValueError that says why.

    Internationalised names must be written in punycode (``xn--``): the message gives the punycode
    form of a name written in Unicode.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{value!r} is not a host name; use {_RULE}")
    if "://" in value:
        host = value.split("://", 1)[1].split("/", maxsplit=1)[0]
        raise ValueError(f"{value!r} is a URL; give the host name alone, e.g. {host!r}")
    if value.endswith("."):
        raise ValueError(f"{value!r} ends with a dot; write it without the root dot: {value.rstrip('.')!r}")
    if "/" in value:
        raise ValueError(f"{value!r} contains '/'; give the host name alone, without a path")
    if not value.isascii():
        hint = _punycode(value.lower())
        written = f"; write it in punycode: {hint!r}" if hint else ""
        raise ValueError(f"{value!r} is not ASCII: AWS takes internationalised names in punycode{written}")
    if value != value.lower():
        raise ValueError(f"{value!r} has uppercase letters; AWS stores names in lowercase: {value.lower()!r}")
    if len(value) > _MAX_NAME:
        raise ValueError(f"{value[:40]!r}... is {len(value)} characters; a host name has at most {_MAX_NAME}")
    for label in value.split("."):
        if not _LABEL.fullmatch(label):
            raise ValueError(f"{value!r}: label {label!r} is invalid; use {_RULE}")
        if label.startswith("xn--") and _decodes(label) is False:
            raise ValueError(f"{value!r}: label {label!r} starts with 'xn--' but is not valid punycode")
    return value


def _decodes(label: str) -> bool:
    try:
        label.encode("ascii").decode("idna")
    except UnicodeError:
        return False
    return True


HostName = Annotated[str, AfterValidator(check_host_name)]
"""A DNS host name in the form AWS stores (see :func:`check_host_name`)."""


def check_hosted_zone_id(value: str) -> str:
    """``value`` when it is a Route 53 hosted zone ID such as ``Z0123456789ABCDEFGHIJ``."""
    if isinstance(value, str) and value.startswith("/hostedzone/"):
        raise ValueError(f"{value!r}: give the ID alone, without '/hostedzone/': {value[12:]!r}")
    if not isinstance(value, str) or not HOSTED_ZONE_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a Route 53 hosted zone ID ('Z' then up to 31 uppercase letters or digits)"
        )
    return value


def in_zone(host: str, zone: str) -> bool:
    """True when ``host`` is ``zone`` itself (its apex) or a name below it."""
    return host == zone or host.endswith(f".{zone}")
