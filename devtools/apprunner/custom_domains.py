"""Custom domain operations of the App Runner emulator: associate, describe and disassociate.

An association goes through the lower-case statuses App Runner really returns (the AWS provider
waits for these strings, not the SDK enum's upper-case ones):

* ``creating`` in the ``AssociateCustomDomain`` response;
* ``pending_certificate_dns_validation`` from the next ``DescribeCustomDomains`` on, its validation
  records ``PENDING_VALIDATION``;
* ``active`` (records ``SUCCESS``) on the first describe that finds every validation CNAME in public
  DNS, asked through ``dns_check`` (on the emulators: moto's Route 53). Without a ``dns_check`` there
  is no DNS to look at, and the records count as present: ``active`` on the describe after the one
  that reported ``pending_certificate_dns_validation``;
* ``deleting`` in the ``DisassociateCustomDomain`` response, and gone from the next describe on.

The validation records have the shape of App Runner's: two CNAMEs for the domain (one for the
domain's certificate, one for App Runner's ``2a57j78…`` subdomain) plus one for ``www.<domain>``
when ``EnableWWWSubdomain`` is true (the default). Their names and values are derived from the
service ARN and the domain (sha256), so the same association gives the same records on every run.
"""

from __future__ import annotations

import hashlib
import re
import string
from typing import Final

from devtools.apprunner.state import (
    PAUSED,
    RUNNING,
    _BackendState,
    _CustomDomain,
    _Service,
    _ValidationRecord,
)
from devtools.apprunner.validation import (
    Json,
    _check_length,
    _check_pattern,
    _Input,
    _invalid,
    _invalid_state,
    _not_found,
    _page,
    _with_token,
)

# Statuses as the App Runner API returns them (types.CustomDomainAssociationStatus spells them in
# upper case; the wire and the provider's waiters use these).
CREATING: Final = "creating"
PENDING_DNS_VALIDATION: Final = "pending_certificate_dns_validation"
ACTIVE: Final = "active"
DELETING: Final = "deleting"
# Record statuses (types.CertificateValidationRecordStatus): these are upper case on the wire.
RECORD_PENDING: Final = "PENDING_VALIDATION"
RECORD_SUCCESS: Final = "SUCCESS"

_DOMAIN_NAME = re.compile(r"[A-Za-z0-9*.-]{1,255}")
_BASE36: Final = string.digits + string.ascii_lowercase
# The second label of the record App Runner adds for its own subdomain's certificate.
_APP_RUNNER_LABEL_PREFIX: Final = "2a57j78"


def _digest(service_arn: str, domain: str, purpose: str) -> int:
    data = f"{service_arn}\n{domain.lower()}\n{purpose}".encode()
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def _text(number: int, alphabet: str, length: int) -> str:
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


def _token(service_arn: str, domain: str, purpose: str) -> str:
    """``_<32 hex>``: the leading label of every validation name and value."""
    return f"_{_digest(service_arn, domain, purpose) >> 128:032x}"


def _value(service_arn: str, domain: str, purpose: str) -> str:
    token = _token(service_arn, domain, f"{purpose}/value")
    letters = _text(_digest(service_arn, domain, f"{purpose}/host"), string.ascii_lowercase, 10)
    return f"{token}.{letters}.acm-validations.aws."


def validation_records(service_arn: str, domain: str, *, enable_www: bool) -> list[tuple[str, str]]:
    """The (name, value) CNAMEs App Runner asks for to validate ``domain`` of ``service_arn``."""
    base = domain.rstrip(".")
    subdomain = _APP_RUNNER_LABEL_PREFIX + _text(_digest(service_arn, domain, "subdomain"), _BASE36, 24)
    names = {
        "domain": f"{_token(service_arn, domain, 'domain')}.{base}.",
        "app-runner": f"{_token(service_arn, domain, 'app-runner')}.{subdomain}.{base}.",
    }
    if enable_www:
        names["www"] = f"{_token(service_arn, domain, 'www')}.www.{base}."
    return [(name, _value(service_arn, domain, purpose)) for purpose, name in names.items()]


class _CustomDomainOperations(_BackendState):
    """The ``AssociateCustomDomain``, ``DescribeCustomDomains`` and ``DisassociateCustomDomain`` handlers."""

    def _domain_name(self, inp: _Input) -> str:
        domain = inp.req_str("DomainName")
        _check_length(inp, "DomainName", domain, 1, 255)
        _check_pattern(inp, "DomainName", domain, _DOMAIN_NAME, _DOMAIN_NAME.pattern)
        return domain

    def _domain_response(self, service: _Service, domain: _CustomDomain) -> Json:
        return {
            "DNSTarget": service.url,
            "ServiceArn": service.arn,
            "CustomDomain": domain.to_json(),
            "VpcDNSTargets": [],
        }

    def _associate_custom_domain(self, inp: _Input) -> Json:
        service = self._service(inp)
        domain_name = self._domain_name(inp)
        enable_www = inp.bool_("EnableWWWSubdomain")
        enable_www = True if enable_www is None else enable_www
        if service.status not in (RUNNING, PAUSED):
            raise _invalid_state(
                f"A custom domain cannot be associated in the service's current state: {service.status}."
            )
        if any(existing.lower() == domain_name.lower() for existing in service.custom_domains):
            # The wording clients match on (copilot-cli looks for "<domain> is already associated with").
            raise _invalid(f"Domain name {domain_name} is already associated with service {service.arn}")
        records = [
            _ValidationRecord(name, value)
            for name, value in validation_records(service.arn, domain_name, enable_www=enable_www)
        ]
        domain = _CustomDomain(
            domain_name=domain_name, enable_www=enable_www, records=records, status=CREATING
        )
        service.custom_domains[domain_name] = domain
        return self._domain_response(service, domain)

    def _describe_custom_domains(self, inp: _Input) -> Json:
        service = self._service(inp)
        for domain in list(service.custom_domains.values()):
            self._progress(service, domain)
        domains = [domain.to_json() for domain in service.custom_domains.values()]
        page, token = _page(inp, domains, limit=5, kind="domains")
        return _with_token(
            {"DNSTarget": service.url, "ServiceArn": service.arn, "CustomDomains": page, "VpcDNSTargets": []},
            token,
        )

    def _progress(self, service: _Service, domain: _CustomDomain) -> None:
        """Move ``domain`` one step along its lifecycle, as a describe observes it."""
        if domain.status == CREATING:
            domain.status = PENDING_DNS_VALIDATION
        elif domain.status == PENDING_DNS_VALIDATION:
            check = self._dns_check
            for record in domain.records:
                if check is None or check(record.name, record.value) is None:
                    record.status = RECORD_SUCCESS
            if all(record.status == RECORD_SUCCESS for record in domain.records):
                domain.status = ACTIVE
        elif domain.status == DELETING:
            del service.custom_domains[domain.domain_name]

    def _disassociate_custom_domain(self, inp: _Input) -> Json:
        service = self._service(inp)
        domain_name = self._domain_name(inp)
        domain = service.custom_domains.get(domain_name)
        if domain is None:
            raise _not_found(f"Domain name {domain_name} is not associated with service {service.arn}")
        if domain.status == DELETING:
            raise _invalid_state(
                f"Domain name {domain_name} is already being disassociated (status {DELETING})."
            )
        domain.status = DELETING
        return self._domain_response(service, domain)
