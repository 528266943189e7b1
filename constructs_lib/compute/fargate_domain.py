"""``FargateCustomDomain``: a :class:`~constructs_lib.FargateService` at its own name, over HTTPS.

An ACM certificate for the name (and ``www.<name>`` as a second name when ``enable_www``), validated
by DNS: one CNAME per name in the zone, each picked from ``domain_validation_options`` by its domain
name (known at plan, so the records' number is fixed and no ``for_each`` is needed);
``aws_acm_certificate_validation`` waits until ACM has issued it (at most
:data:`~constructs_lib.api.custom_domain.VALIDATION_TIMEOUT`). The load balancer then serves HTTPS
with it and redirects HTTP (:meth:`~constructs_lib.network.load_balancer.WebLoadBalancer.use_certificate`),
and alias ``A`` records send the name (and www) to the load balancer. No ``AAAA``: the load balancer
is IPv4 only.
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
from constructs_lib.api.custom_domain import VALIDATION_TIMEOUT
from constructs_lib.compute.fargate_service import FargateService
from constructs_lib.dns.hosted_zone import HostedZone
from constructs_lib.dns.names import HostName, check_host_name

__all__ = ["FargateCustomDomain", "FargateCustomDomainProps"]


class FargateCustomDomainProps(BaseModel):
    """Settings of a :class:`FargateCustomDomain`."""

    model_config = FROZEN_WITH_CONSTRUCTS

    service: FargateService
    """The service whose load balancer serves the name. It may be built with ``create_service=False``:
    the load balancer, its listeners and the certificate exist in the first deploy phase too."""
    zone: HostedZone
    """The public hosted zone holding ``domain_name``."""
    domain_name: HostName
    """The app's host: the zone's apex (``cora.example.com``) or a name in it (``app.cora.example.com``)."""
    enable_www: bool = Field(default=False, strict=True)
    """Default: off. On: ``www.<domain_name>`` is on the certificate and points at the app too."""
    tags: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)

    @model_validator(mode="after")
    def _names(self) -> FargateCustomDomainProps:
        self.zone.check_host("domain_name", self.domain_name)
        if self.enable_www:
            try:
                check_host_name(f"www.{self.domain_name}")
            except ValueError as err:
                raise ValueError(f"enable_www: the www name is not valid: {err}") from None
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """The names served: ``domain_name``, then ``www.<domain_name>`` when ``enable_www``."""
        return (self.domain_name, f"www.{self.domain_name}") if self.enable_www else (self.domain_name,)


class FargateCustomDomain(Construct):
    """A DNS-validated ACM certificate on the service's load balancer, and alias records to it.

    Example::

        web.add_custom_domain(stack, "web-domain", zone=zone, domain_name="cora.example.com",
                              enable_www=True)

    One per service: the load balancer has one HTTPS listener and one certificate.
    """

    def __init__(self, scope: Construct, id_: str, *, props: FargateCustomDomainProps) -> None:
        with unique_id("FargateCustomDomain", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        zone_id = props.zone.zone_id
        names = props.names
        self.certificate = _aws.AcmCertificate(
            self,
            "certificate",
            domain_name=props.domain_name,
            subject_alternative_names=list(names[1:]) or None,
            validation_method="DNS",
            # A replacement is issued and put on the listener before the old one is deleted: ELB
            # refuses to delete a certificate a listener still uses.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            tags=dict(props.tags) or None,
        )
        options = Address("aws_acm_certificate", self.certificate).expression("domain_validation_options")
        self.validation_records = []
        for index, name in enumerate(names):
            option = f"[for o in {options} : o if o.domain_name == {_hcl_string(name)}][0]"
            self.validation_records.append(
                _aws.Route53Record(
                    self,
                    f"certificate-validation-{index}",
                    zone_id=zone_id,
                    name=f"${{{option}.resource_record_name}}",
                    type=f"${{{option}.resource_record_type}}",
                    ttl=60,
                    records=[f"${{{option}.resource_record_value}}"],
                    # ACM gives a renewed or re-requested certificate of the same name the same record.
                    allow_overwrite=True,
                )
            )
        self.validation = _aws.AcmCertificateValidation(
            self,
            "certificate-issued",
            certificate_arn=Address("aws_acm_certificate", self.certificate).ref("arn"),
            validation_record_fqdns=[
                Address("aws_route53_record", record).ref("fqdn") for record in self.validation_records
            ],
            timeouts=_aws.AcmCertificateValidationTimeouts(create=VALIDATION_TIMEOUT),
        )
        load_balancer = props.service.load_balancer
        # From the validation, not the certificate: the listener waits until ACM has issued it.
        self.https_listener = load_balancer.use_certificate(
            Address("aws_acm_certificate_validation", self.validation).ref("certificate_arn")
        )
        alias = _aws.Route53RecordAlias(
            name=load_balancer.dns_name, zone_id=load_balancer.zone_id, evaluate_target_health=True
        )
        self.alias_records = [
            _aws.Route53Record(
                self, "alias" if index == 0 else "www", zone_id=zone_id, name=name, type="A", alias=alias
            )
            for index, name in enumerate(names)
        ]

    @property
    def url(self) -> str:
        """``https://<domain_name>``: known before any deploy."""
        return f"https://{self.props.domain_name}"

    @property
    def dns_target(self) -> str:
        """The load balancer's DNS name the alias records point at (a token until apply)."""
        return self.props.service.load_balancer.dns_name


def _hcl_string(text: str) -> str:
    # A host name holds only letters, digits, '-' and '.': quoting it is all HCL needs.
    return f'"{text}"'
