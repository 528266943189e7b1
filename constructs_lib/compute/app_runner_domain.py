"""``AppRunnerCustomDomain``: an App Runner service at its own name, with its DNS in Route 53.

App Runner issues and renews the certificate itself (in ACM, on its side); it asks for a set of
validation CNAMEs and a record that sends traffic to the service's ``dns_target``.

**The unknown validation records.** ``certificate_validation_records`` is known only once the
association exists, so ``for_each`` over it fails at plan on a new environment ("Invalid for_each
argument"; hashicorp/terraform-provider-aws#23460), which is why peers leave these records to a manual
step. Their *number* is known, though: App Runner returns one record for the domain, one for its
internal ``2a57j78....<domain>`` name and one for ``www.<domain>`` when www is on. So this construct
creates that many records, each taking one name of the sorted list of names (sorted: the list does
not reorder when a record's status changes, so no record is ever replaced), and a postcondition on
the association stops the apply with a clear message if App Runner ever returns another number
(``validation_record_count`` then takes the new one). One ``cdktf deploy`` therefore creates the
association, its records and the traffic record.

**Traffic record.** A subdomain gets a CNAME to ``dns_target``; a zone's apex cannot hold a CNAME, so
it gets an alias ``A`` record to ``dns_target`` in App Runner's hosted zone of the region (the
provider's ``aws_apprunner_hosted_zone_id``), as AWS documents. ``www.<domain>`` is a CNAME.
"""

from __future__ import annotations

from cdktf import Postcondition, TerraformResourceLifecycle
from constructs import Construct
from pydantic import BaseModel, Field, model_validator

from constructs_lib import _aws
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.refs import Address
from constructs_lib._runtime.validation import FROZEN_WITH_CONSTRUCTS
from constructs_lib.compute.app_runner_service import AppRunnerService
from constructs_lib.dns.hosted_zone import HostedZone
from constructs_lib.dns.names import HostName, check_host_name

__all__ = ["AppRunnerCustomDomain", "AppRunnerCustomDomainProps", "expected_validation_records"]


def expected_validation_records(*, www: bool) -> int:
    """How many certificate validation CNAMEs App Runner returns for one domain."""
    return 3 if www else 2


class AppRunnerCustomDomainProps(BaseModel):
    """Settings of an :class:`AppRunnerCustomDomain`."""

    model_config = FROZEN_WITH_CONSTRUCTS

    service: AppRunnerService
    """The service to serve; it must be created (``create_service=True``)."""
    zone: HostedZone
    """The public hosted zone holding ``domain_name``."""
    domain_name: HostName
    """The app's host: the zone's apex (``cora.example.com``) or a name in it (``app.cora.example.com``)."""
    enable_www: bool = Field(default=False, strict=True)
    """Default: off (App Runner's API defaults to on). On: ``www.<domain_name>`` serves the app too."""
    validation_record_count: int | None = Field(default=None, strict=True, ge=1, le=10)
    """Default: what App Runner returns today, 2 (3 with www). Only if App Runner changes it."""
    ttl_seconds: int = Field(default=300, strict=True, ge=60, le=172_800)
    """TTL of the CNAME records."""

    @model_validator(mode="after")
    def _names(self) -> AppRunnerCustomDomainProps:
        self.zone.check_host("domain_name", self.domain_name)
        if self.enable_www:
            try:
                check_host_name(f"www.{self.domain_name}")
            except ValueError as err:
                raise ValueError(f"enable_www: the www name is not valid: {err}") from None
        if self.service.service is None:
            raise ValueError(
                f"service: {self.service.props.service_name!r} is built with create_service=False; a domain "
                "is associated with the service, so it comes with the service (the second deploy phase)"
            )
        return self

    @property
    def record_count(self) -> int:
        """The number of validation records created."""
        return self.validation_record_count or expected_validation_records(www=self.enable_www)


class AppRunnerCustomDomain(Construct):
    """An App Runner custom domain association with its validation and traffic records in Route 53.

    Example::

        zone = HostedZone(stack, "zone", props=HostedZoneProps(name="cora.example.com"))
        AppRunnerCustomDomain(stack, "web-domain", props=AppRunnerCustomDomainProps(
            service=web, zone=zone, domain_name="cora.example.com", enable_www=True))

    App Runner validates the certificate once the records resolve (minutes on Route 53; its status
    goes ``pending_certificate_dns_validation`` → ``active``); Terraform does not wait for that.
    """

    def __init__(self, scope: Construct, id_: str, *, props: AppRunnerCustomDomainProps) -> None:
        with unique_id("AppRunnerCustomDomain", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        count = props.record_count
        self.association = _aws.ApprunnerCustomDomainAssociation(
            self,
            "association",
            domain_name=props.domain_name,
            service_arn=props.service.service_arn,
            enable_www_subdomain=props.enable_www,
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    Postcondition(
                        condition=f"${{length(self.certificate_validation_records) == {count}}}",
                        error_message=(
                            f"App Runner returned another number of certificate validation records than "
                            f"the {count} cora-infra creates for {props.domain_name}; set "
                            "AppRunnerCustomDomainProps.validation_record_count to the number it returned "
                            "(see certificate_validation_records in the state) and apply again"
                        ),
                    )
                ]
            ),
        )
        zone_id = props.zone.zone_id
        # A raw expression: the records are indexed by position in the sorted names, known at apply.
        records = Address("aws_apprunner_custom_domain_association", self.association).expression(
            "certificate_validation_records"
        )
        names = f"sort([for r in {records} : r.name])"
        self.validation_records = [
            _aws.Route53Record(
                self,
                f"validation-{index}",
                zone_id=zone_id,
                name=f"${{{names}[{index}]}}",
                type="CNAME",
                ttl=props.ttl_seconds,
                records=[f"${{{{for r in {records} : r.name => r.value}}[{names}[{index}]]}}"],
                # A validation name belongs to this association; taking over a leftover one is safe.
                allow_overwrite=True,
            )
            for index in range(count)
        ]
        self._dns_target: str = self.association.dns_target  # read once: a round trip each
        dns_target = self._dns_target
        self.traffic_record = self._traffic(zone_id, dns_target)
        self.www_record: _aws.Route53Record | None = None
        if props.enable_www:
            self.www_record = _aws.Route53Record(
                self,
                "www",
                zone_id=zone_id,
                name=f"www.{props.domain_name}",
                type="CNAME",
                ttl=props.ttl_seconds,
                records=[dns_target],
            )

    def _traffic(self, zone_id: str, dns_target: str) -> _aws.Route53Record:
        props = self.props
        if props.zone.is_apex(props.domain_name):
            apprunner_zone = _aws.DataAwsApprunnerHostedZoneId(self, "apprunner-zone")
            return _aws.Route53Record(
                self,
                "alias",
                zone_id=zone_id,
                name=props.domain_name,
                type="A",
                alias=_aws.Route53RecordAlias(
                    name=dns_target, zone_id=apprunner_zone.id, evaluate_target_health=True
                ),
            )
        return _aws.Route53Record(
            self,
            "cname",
            zone_id=zone_id,
            name=props.domain_name,
            type="CNAME",
            ttl=props.ttl_seconds,
            records=[dns_target],
        )

    @property
    def url(self) -> str:
        """``https://<domain_name>``: known before any deploy."""
        return f"https://{self.props.domain_name}"

    @property
    def dns_target(self) -> str:
        """The App Runner name the records point at (a token until apply)."""
        return self._dns_target
