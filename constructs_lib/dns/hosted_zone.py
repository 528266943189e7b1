"""``HostedZone``: the public Route 53 hosted zone a stack puts its records in, which it does not own.

A zone is created once per domain and delegated from its parent (the registrar, or the parent zone's
``NS`` record): outside the stack, so that destroying an environment never removes its delegation.
The stack finds it by name or is given its ID.
"""

from __future__ import annotations

from constructs import Construct
from pydantic import BaseModel, field_validator

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.validation import FROZEN
from constructs_lib.dns.names import HostName, check_hosted_zone_id, in_zone
from constructs_lib.errors import CoraInfraError

__all__ = ["HostedZone", "HostedZoneProps"]


class HostedZoneProps(BaseModel):
    """Which zone: its name, and optionally its ID."""

    model_config = FROZEN

    name: HostName
    """The zone's domain, e.g. ``cora.example.com`` (lowercase, no trailing dot)."""
    zone_id: str | None = None
    """Default: looked up by name among the account's public zones (``data "aws_route53_zone"``; the
    plan fails if there is none). Give the ID when two public zones share the name."""

    @field_validator("zone_id")
    @classmethod
    def _zone_id(cls, value: str | None) -> str | None:
        return None if value is None else check_hosted_zone_id(value)


class HostedZone(Construct):
    """A public hosted zone by name (looked up) or by ID (no lookup).

    Example::

        zone = HostedZone(stack, "zone", props=HostedZoneProps(name="cora.example.com"))
    """

    def __init__(self, scope: Construct, id_: str, *, props: HostedZoneProps) -> None:
        with unique_id("HostedZone", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        self.lookup: _aws.DataAwsRoute53Zone | None = None
        if props.zone_id is None:
            self.lookup = _aws.DataAwsRoute53Zone(self, "lookup", name=props.name, private_zone=False)
            self._zone_id: str = self.lookup.zone_id
        else:
            self._zone_id = props.zone_id

    @property
    def name(self) -> str:
        """The zone's domain."""
        return self.props.name

    @property
    def zone_id(self) -> str:
        """The zone ID (a token when looked up)."""
        return self._zone_id

    def check_host(self, field: str, host: str) -> str:
        """``host`` when the zone can hold its records, else a :class:`CoraInfraError` naming ``field``."""
        if not in_zone(host, self.name):
            raise CoraInfraError(
                f"{field}: {host!r} is not inside the hosted zone {self.name!r}; use {self.name!r} itself "
                f"or a name ending in '.{self.name}'"
            )
        return host

    def is_apex(self, host: str) -> bool:
        """True when ``host`` is the zone's own name: a CNAME cannot live there, an alias can."""
        return host == self.name
