"""The ``[domain]`` table: the app's and the API's public names, the one source of their URLs.

``NEXTAUTH_URL``, ``NEXT_PUBLIC_API_URL`` and the origins CORS admits are all derived from a
:class:`DomainConfig` (see :class:`constructs_lib.stacks.config.EnvConfig`), so no config can make
them disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from constructs_lib._runtime.validation import FROZEN
from constructs_lib.dns.names import HostName, check_host_name, check_hosted_zone_id, in_zone

__all__ = ["DomainConfig", "unique_in_order"]


def _outside(value: str, zone: str) -> str:
    return (
        f"{value!r} is not inside the zone {zone!r} (domain.zone); use the zone itself or a name "
        f"ending in '.{zone}'"
    )


def _api_example(value: str, info: ValidationInfo) -> str:
    """A host the API could take instead of ``value`` (for messages)."""
    base = info.data.get("zone") or info.data.get("app_host") or "example.com"
    example = f"api.{base}"
    return example if example != value else f"api.{info.data.get('app_host', base)}"


class DomainConfig(BaseModel):
    """The public names of one environment: a Route 53 hosted zone and the two hosts served in it.

    Fields are checked in this order, so a rule that compares two hosts sees the earlier one checked.
    """

    model_config = FROZEN

    zone: HostName
    """The public Route 53 hosted zone (``"cora.example.com"``) that holds the records; looked up by
    name unless ``zone_id`` is given."""
    zone_id: str | None = None
    """Default: look the hosted zone up by ``zone``. An ID (``"Z0123456789ABCDEFGHIJ"``) skips the
    lookup, e.g. when a private zone has the same name."""
    app_host: HostName
    """The web app's host: the zone apex itself (``"stg.cora.example.com"``) or a name below it."""
    www: bool = Field(default=False, strict=True)
    """Default: serve only ``app_host``. ``true`` also serves ``www.<app_host>`` (an admitted origin)."""
    api_host: HostName
    """The HTTP API's host (``"api.stg.cora.example.com"``), inside the zone, apart from the app's."""
    disable_execute_api_endpoint: bool = Field(default=True, strict=True)
    """Default: switch the API's generated ``execute-api`` URL off, so every call goes through
    ``api_host`` (its throttling, logs and certificate)."""

    @field_validator("zone_id")
    @classmethod
    def _zone_id(cls, value: str | None) -> str | None:
        return None if value is None else check_hosted_zone_id(value)

    @field_validator("app_host")
    @classmethod
    def _app_in_zone(cls, value: str, info: ValidationInfo) -> str:
        zone = info.data.get("zone")  # absent when the zone itself was refused (reported already)
        if zone is not None and not in_zone(value, zone):
            raise ValueError(_outside(value, zone))
        return value

    @field_validator("www")
    @classmethod
    def _www_is_a_name(cls, value: bool, info: ValidationInfo) -> bool:
        app = info.data.get("app_host")
        if value and app is not None:
            try:
                check_host_name(f"www.{app}")
            except ValueError as err:
                raise ValueError(
                    f"true also serves www.<app_host>, and {err}; shorten domain.app_host or set "
                    "domain.www = false"
                ) from None
        return value

    @field_validator("api_host")
    @classmethod
    def _api_own_host(cls, value: str, info: ValidationInfo) -> str:
        zone, app = info.data.get("zone"), info.data.get("app_host")
        if zone is not None and not in_zone(value, zone):
            raise ValueError(_outside(value, zone))
        if value == app:
            raise ValueError(
                f"{value!r} is also domain.app_host; the API needs a host of its own, "
                f"e.g. {_api_example(value, info)!r}"
            )
        if info.data.get("www") and value == f"www.{app}":
            raise ValueError(
                f"{value!r} is the app's www host (domain.www = true serves it); the API needs a host "
                f"of its own, e.g. {_api_example(value, info)!r}"
            )
        return value

    @property
    def www_host(self) -> str | None:
        """``www.<app_host>`` when ``www`` is on, else ``None``."""
        return f"www.{self.app_host}" if self.www else None

    @property
    def app_url(self) -> str:
        """``https://<app_host>``: ``NEXTAUTH_URL``, and what the browser shows."""
        return f"https://{self.app_host}"

    @property
    def api_url(self) -> str:
        """``https://<api_host>``: ``NEXT_PUBLIC_API_URL``, known before any deploy."""
        return f"https://{self.api_host}"

    @property
    def app_origins(self) -> tuple[str, ...]:
        """The origins the web app calls the API from: ``https://<app_host>`` (and its www host)."""
        hosts = (self.app_host,) if self.www_host is None else (self.app_host, self.www_host)
        return tuple(f"https://{host}" for host in hosts)


def unique_in_order(values: Iterable[str]) -> tuple[str, ...]:
    """``values`` without repeats, first occurrences kept in order."""
    return tuple(dict.fromkeys(values))
