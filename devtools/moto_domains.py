"""ACM DNS validation and API Gateway custom domain names on moto as AWS runs them.

moto (5.2.5) differs from AWS where a custom domain deploy can go wrong:

* ACM: a requested (``AMAZON_ISSUED``) certificate stays ``PENDING_VALIDATION`` for
  ``MOTO_ACM_VALIDATION_WAIT`` seconds (60 by default) and is then ``ISSUED``, whether or not
  anybody created its validation records. AWS issues a DNS-validated certificate once public DNS
  has every ``DomainValidationOptions[*].ResourceRecord`` CNAME, and never without them.
* API Gateway v2 ``CreateDomainName``: moto echoes the request's configuration. AWS adds the
  ``ApiGatewayDomainName`` (``d-<10 alnum>.execute-api.<region>.amazonaws.com``, what the alias
  records point to), the regional ``HostedZoneId``, ``DomainNameStatus`` ``AVAILABLE`` (the AWS
  provider waits for it), the ``REGIONAL``/``TLS_1_2``/``ipv4`` defaults; and it refuses a certificate
  that does not exist, is not ``ISSUED`` or does not cover the domain (``BadRequestException``).
  moto also answers ``mutualTlsAuthentication: {}`` for a domain without mutual TLS, which the
  provider reads as a configured (empty) block; AWS leaves the member out.

:func:`install` patches moto's backends in this process (moto's threaded server runs in it) to behave
like AWS; :func:`uninstall` restores moto's own behaviour. "Public DNS" is moto's Route 53: the
most specific public hosted zone of the certificate's account that contains the record name.

One opt-in departure from AWS, for speed: the AWS provider waits a fixed 15 s after every Route 53
``ChangeResourceRecordSets`` before it even asks whether the change is ``INSYNC`` (moto's changes
are, at once), and skips the wait when the answer has no ``ChangeInfo``. :func:`set_instant_dns_changes`
makes moto leave ``ChangeInfo`` out, which takes 15 s off every chain of dependent records in a
Terraform run and changes nothing else (``running(dns_change_wait=False)``).
"""

from __future__ import annotations

import secrets
import string
from typing import Any, Final

from moto.acm.models import CertBundle, acm_backends
from moto.apigatewayv2.exceptions import BadRequestException
from moto.apigatewayv2.models import ApiGatewayV2Backend, DomainName
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.route53.models import FakeZone, route53_backends
from moto.route53.responses import Route53

# API Gateway's regional endpoints' Route 53 hosted zones (AWS General Reference, "Amazon API
# Gateway endpoints and quotas"), for the alias records that point at a custom domain name.
REGIONAL_HOSTED_ZONES: Final = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
}

_ORIGINALS: dict[str, Any] = {}
_INSTANT_DNS_CHANGES = {"enabled": False}
_ALNUM: Final = string.ascii_lowercase + string.digits


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def public_zone_for(account_id: str, partition: str, name: str) -> FakeZone | None:
    """The public hosted zone DNS would ask for ``name``: the most specific one that contains it."""
    fqdn = _fqdn(name)
    zones = [
        zone
        for zone in route53_backends[account_id][partition].zones.values()
        if not zone.private_zone and (fqdn == _fqdn(zone.name) or fqdn.endswith("." + _fqdn(zone.name)))
    ]
    return max(zones, key=lambda zone: len(_fqdn(zone.name)), default=None)


def has_cname(account_id: str, partition: str, name: str, value: str) -> bool:
    """True when moto's public DNS answers the CNAME ``name`` with ``value``."""
    zone = public_zone_for(account_id, partition, name)
    if zone is None:
        return False
    return any(
        rrset.type == "CNAME"
        and _fqdn(rrset.name) == _fqdn(name)
        and _fqdn(value) in map(_fqdn, rrset.records)
        for rrset in zone.rrsets
    )


def _validated(cert: CertBundle) -> bool:
    _, partition, _, _, account_id, *_ = cert.arn.split(":")
    options = cert.describe()["Certificate"].get("DomainValidationOptions", [])
    return bool(options) and all(
        has_cname(account_id, partition, option["ResourceRecord"]["Name"], option["ResourceRecord"]["Value"])
        for option in options
    )


def _check(self: CertBundle) -> None:
    """moto's ``CertBundle.check``, issuing on DNS records instead of after a fixed wait."""
    if self._not_valid_after(self._cert) <= utcnow():
        self.status = "EXPIRED"
        return
    if self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION" and _validated(self):
        self.status = "ISSUED"


def covers(cert: CertBundle, domain: str) -> bool:
    """True when one of the certificate's names is ``domain`` or a wildcard for it (one label)."""
    wanted = _fqdn(domain)
    for name in (_fqdn(str(n)) for n in {*cert.sans, cert.common_name}):
        if name == wanted or (name.startswith("*.") and wanted.partition(".")[2] == name[2:]):
            return True
    return False


def _certificate_refusal(backend: ApiGatewayV2Backend, domain: str, arn: str | None) -> str | None:
    if not arn:
        return f"A certificate ARN is required for the domain name {domain}."
    certificates = acm_backends[backend.account_id][backend.region_name]._certificates
    cert = certificates.get(arn)
    if cert is None:
        return f"Invalid certificate ARN: {arn}. Certificate not found in this account and Region."
    cert.check()
    if cert.status != "ISSUED":
        return f"Invalid certificate ARN: {arn}. Certificate must be in 'ISSUED' state (it is {cert.status})."
    if not covers(cert, domain):
        return f"The certificate {arn} does not cover the domain name {domain}."
    return None


def _create_domain_name(
    self: ApiGatewayV2Backend,
    domain_name: str,
    domain_name_configurations: list[dict[str, str]],
    mutual_tls_authentication: dict[str, str],
    tags: dict[str, str],
) -> DomainName:
    configurations = []
    for configuration in domain_name_configurations or [{}]:
        refusal = _certificate_refusal(self, domain_name, configuration.get("certificateArn"))
        if refusal is not None:
            raise BadRequestException(refusal)
        hosted_zone = REGIONAL_HOSTED_ZONES.get(self.region_name)
        if hosted_zone is None:
            known = ", ".join(sorted(REGIONAL_HOSTED_ZONES))
            raise BadRequestException(
                f"devtools.moto_domains knows API Gateway's regional hosted zone only for {known}, "
                f"not {self.region_name}: add it to REGIONAL_HOSTED_ZONES"
            )
        suffix = "".join(secrets.choice(_ALNUM) for _ in range(10))
        configurations.append(
            {
                "endpointType": "REGIONAL",
                "securityPolicy": "TLS_1_2",
                "ipAddressType": "ipv4",
                **configuration,
                "apiGatewayDomainName": f"d-{suffix}.execute-api.{self.region_name}.amazonaws.com",
                "hostedZoneId": hosted_zone,
                "domainNameStatus": "AVAILABLE",
            }
        )
    domain: DomainName = _ORIGINALS["create_domain_name"](
        self, domain_name, configurations, mutual_tls_authentication, tags
    )
    return domain


def _domain_name_json(self: DomainName) -> dict[str, Any]:
    out: dict[str, Any] = _ORIGINALS["domain_name_to_json"](self)
    if not out.get("mutualTlsAuthentication"):
        out.pop("mutualTlsAuthentication", None)
    return out


def _change_resource_record_sets(self: Route53) -> ActionResult:
    result: ActionResult = _ORIGINALS["change_resource_record_sets"](self)
    if _INSTANT_DNS_CHANGES["enabled"]:
        return ActionResult({})
    return result


def set_instant_dns_changes(enabled: bool) -> None:
    """Answer ``ChangeResourceRecordSets`` without ``ChangeInfo`` (``enabled``) or as AWS does."""
    _INSTANT_DNS_CHANGES["enabled"] = enabled


def install() -> None:
    """Make moto's ACM validation and API Gateway v2 domain names behave like AWS's (idempotent)."""
    if _ORIGINALS:
        return
    _ORIGINALS["check"] = CertBundle.check
    _ORIGINALS["create_domain_name"] = ApiGatewayV2Backend.create_domain_name
    _ORIGINALS["domain_name_to_json"] = DomainName.to_json
    _ORIGINALS["change_resource_record_sets"] = Route53.change_resource_record_sets
    Route53.change_resource_record_sets = _change_resource_record_sets  # type: ignore[method-assign]
    CertBundle.check = _check  # type: ignore[method-assign]
    ApiGatewayV2Backend.create_domain_name = _create_domain_name  # type: ignore[method-assign]
    DomainName.to_json = _domain_name_json  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore moto's own behaviour."""
    if not _ORIGINALS:
        return
    CertBundle.check = _ORIGINALS.pop("check")  # type: ignore[method-assign]
    ApiGatewayV2Backend.create_domain_name = _ORIGINALS.pop("create_domain_name")  # type: ignore[method-assign]
    DomainName.to_json = _ORIGINALS.pop("domain_name_to_json")  # type: ignore[method-assign]
    Route53.change_resource_record_sets = _ORIGINALS.pop("change_resource_record_sets")  # type: ignore[method-assign]


def installed() -> bool:
    """True while the patches are in."""
    return bool(_ORIGINALS)
