"""Terraform references written as text, for resources whose attributes a construct reads often.

Every attribute read of a cdktf resource (``certificate.arn``) is a round trip to the jsii kernel,
and a nested one (``domain_validation_options.get(0).resource_record_name``) is three. The logical id
costs one read; with the resource type, which the construct knows, every reference to that resource
is then plain text, exactly what cdktf would have written (``${aws_acm_certificate.<id>.arn}``).
"""

from __future__ import annotations

from cdktf import TerraformElement

__all__ = ["Address"]


class Address:
    """``<type>.<logical id>`` of one resource (``data.<type>.<id>`` of a data source)."""

    def __init__(self, kind: str, element: TerraformElement, *, data: bool = False) -> None:
        self.text = f"{'data.' if data else ''}{kind}.{element.friendly_unique_id}"

    def expression(self, path: str) -> str:
        """The raw expression ``<address>.<path>``, to embed in a larger expression."""
        return f"{self.text}.{path}"

    def ref(self, path: str) -> str:
        """``${<address>.<path>}``: the reference cdktf writes for an attribute."""
        return f"${{{self.text}.{path}}}"
