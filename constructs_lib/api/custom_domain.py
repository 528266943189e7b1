"""``ApiCustomDomain``: a :class:`~constructs_lib.ModularApiGateway` at its own name.

An ACM certificate validated by DNS (its CNAME in the zone; ``aws_acm_certificate_validation`` waits
until ACM has issued it, at most :data:`VALIDATION_TIMEOUT`), a regional, dual-stack API Gateway domain
name with TLS 1.2, the mapping of the API's ``$default`` stage at the root path, and alias ``A``/``AAAA``
records to the domain's regional target.

The certificate's validation record is known at plan, unlike App Runner's: ACM's record name depends
on the domain only, and there is one domain (no alternative names), so there is no ``for_each``.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformResourceLifecycle
from constructs import Construct
from pydantic import BaseModel, Field, field_validator, model_validator

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.refs import Address
from constructs_lib._runtime.validation import FROZEN_WITH_CONSTRUCTS, check_tags
from constructs_lib.api.modular_api_gateway import ModularApiGateway
from constructs_lib.dns.hosted_zone import HostedZone
from constructs_lib.dns.names import HostName

__all__ = ["SECURITY_POLICY", "VALIDATION_TIMEOUT", "ApiCustomDomain", "ApiCustomDomainProps"]

SECURITY_POLICY = "TLS_1_2"  # the newest policy regional HTTP API domains offer
#: How long an apply waits for ACM to issue the certificate: the provider's default is 75 minutes,
#: longer than a deploy job runs (60); a validation that has not finished by then is almost always a
#: zone that public DNS does not delegate (``cora-infra preflight`` checks it), and the apply should say
#: so while the job can still report it.
VALIDATION_TIMEOUT = "45m"


class ApiCustomDomainProps(BaseModel):
    """Settings of an :class:`ApiCustomDomain`."""

    model_config = FROZEN_WITH_CONSTRUCTS

    api: ModularApiGateway
    zone: HostedZone
    """The public hosted zone holding ``domain_name``."""
    domain_name: HostName
    """The API's host, e.g. ``api.cora.example.com``."""
    ipv6: bool = Field(default=True, strict=True)
    """Default: the domain answers IPv4 and IPv6 (``ip_address_type = "dualstack"``) and has an ``AAAA``
    alias next to the ``A`` alias. ``False``: IPv4 only, and no ``AAAA`` record (it would point at
    nothing)."""
    tags: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)

    @model_validator(mode="after")
    def _in_zone(self) -> ApiCustomDomainProps:
        self.zone.check_host("domain_name", self.domain_name)
        return self


class ApiCustomDomain(Construct):
    """A custom domain for an HTTP API, its certificate and its DNS.

    Example::

        ApiCustomDomain(stack, "api-domain", props=ApiCustomDomainProps(
            api=api, zone=zone, domain_name="api.cora.example.com"))

    Pair it with ``ModularApiGatewayProps.disable_execute_api_endpoint=True`` so the domain is the
    only way in.
    """

    def __init__(self, scope: Construct, id_: str, *, props: ApiCustomDomainProps) -> None:
        with unique_id("ApiCustomDomain", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        tags = dict(props.tags) or None
        zone_id = props.zone.zone_id
        self.certificate = _aws.AcmCertificate(
            self,
            "certificate",
            domain_name=props.domain_name,
            validation_method="DNS",
            # A new certificate (another domain) is issued and mapped before the old one is deleted:
            # API Gateway refuses to delete a certificate a domain name still uses.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            tags=tags,
        )
        certificate = Address("aws_acm_certificate", self.certificate)
        option = f"tolist({certificate.expression('domain_validation_options')})[0]"
        self.validation_record = _aws.Route53Record(
            self,
            "certificate-validation",
            zone_id=zone_id,
            name=f"${{{option}.resource_record_name}}",
            type=f"${{{option}.resource_record_type}}",
            ttl=60,
            records=[f"${{{option}.resource_record_value}}"],
            # ACM gives a renewed or re-requested certificate of the same domain the same record.
            allow_overwrite=True,
        )
        self.validation = _aws.AcmCertificateValidation(
            self,
            "certificate-issued",
            certificate_arn=certificate.ref("arn"),
            validation_record_fqdns=[self.validation_record.fqdn],
            timeouts=_aws.AcmCertificateValidationTimeouts(create=VALIDATION_TIMEOUT),
        )
        self.domain_name = _aws.Apigatewayv2DomainName(
            self,
            "domain-name",
            domain_name=props.domain_name,
            domain_name_configuration=_aws.Apigatewayv2DomainNameDomainNameConfiguration(
                # From the validation, not the certificate: the domain waits until ACM has issued it.
                certificate_arn=self.validation.certificate_arn,
                endpoint_type="REGIONAL",
                security_policy=SECURITY_POLICY,
                # The AAAA alias needs a domain that answers IPv6 (the default, ipv4, does not).
                ip_address_type="dualstack" if props.ipv6 else "ipv4",
            ),
            tags=tags,
        )
        domain = Address("aws_apigatewayv2_domain_name", self.domain_name)
        self.mapping = _aws.Apigatewayv2ApiMapping(
            self,
            "mapping",
            api_id=props.api.api_id,
            domain_name=domain.ref("id"),
            stage=props.api.stage_id,
        )
        alias = _aws.Route53RecordAlias(
            name=domain.ref("domain_name_configuration[0].target_domain_name"),
            zone_id=domain.ref("domain_name_configuration[0].hosted_zone_id"),
            evaluate_target_health=False,
        )
        self.alias_records = [
            _aws.Route53Record(
                self, f"alias-{kind.lower()}", zone_id=zone_id, name=props.domain_name, type=kind, alias=alias
            )
            for kind in (("A", "AAAA") if props.ipv6 else ("A",))
        ]

    @property
    def url(self) -> str:
        """``https://<domain_name>``: known before any deploy (the app's image is built with it)."""
        return f"https://{self.props.domain_name}"
