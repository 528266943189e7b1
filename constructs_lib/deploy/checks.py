"""What AWS would refuse, asked before anything changes: the checks ``cora-infra preflight`` and
``cora-infra deploy-app`` share.

Each function asks AWS one question through a boto3 client (or any object with the same methods) and
answers ``None`` (fine) or why not, in words that name the fix. None of them reads a secret's value:
``DescribeSecret`` is enough to know whether a value exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "NameServerLookup",
    "client_error_code",
    "delegation_problem",
    "public_name_servers",
    "runtime_secret_problems",
    "secret_arn_of",
    "secret_problem",
    "zone_problem",
]

#: ``lookup(zone)`` → the name servers public DNS delegates ``zone`` to (empty: not delegated);
#: raises :class:`LookupError` when DNS cannot be asked (no network, a timeout).
NameServerLookup = Callable[[str], Iterable[str]]


def client_error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def secret_arn_of(reference: str) -> str:
    """The secret a ``RuntimeEnvironmentSecrets`` reference names: ``<secret arn>[:<key>:<stage>:<v>]``
    selects a JSON key of a version; the secret is the first seven ``:`` fields."""
    return ":".join(reference.split(":")[:7]) if reference.startswith("arn:") else reference


def secret_problem(secretsmanager: Any, secret_id: str) -> str | None:
    """Why App Runner could not read secret ``secret_id`` (a name or an ARN) now; ``None``: it has a
    current value. Never reads the value."""
    try:
        described = secretsmanager.describe_secret(SecretId=secret_id)
    except Exception as error:
        if client_error_code(error) == "ResourceNotFoundException":
            return "does not exist"
        raise
    if described.get("DeletedDate"):
        name = described.get("Name", secret_id)
        return f"is scheduled for deletion (aws secretsmanager restore-secret --secret-id {name})"
    stages = described.get("VersionIdsToStages") or {}
    if not any("AWSCURRENT" in labels for labels in stages.values()):
        return "has no value"
    return None


def runtime_secret_problems(secretsmanager: Any, secrets: dict[str, str]) -> list[str]:
    """``<ENV NAME> (<secret arn>) <problem>`` for each Secrets Manager secret of a service's
    ``RuntimeEnvironmentSecrets`` (env name → reference) that App Runner could not read now."""
    problems = []
    for name, reference in sorted(secrets.items()):
        if reference.startswith("arn:") and ":secretsmanager:" in reference:
            problem = secret_problem(secretsmanager, secret_arn_of(reference))
            if problem:
                problems.append(f"{name} ({secret_arn_of(reference)}) {problem}")
    return problems


def _create_zone(zone: str) -> str:
    return (
        f"create it and delegate it from its parent first (README, 'Custom domains'): "
        f"aws route53 create-hosted-zone --name {zone} --caller-reference $(date +%s)"
    )


def _zone_by_id(route53: Any, zone: str, zone_id: str) -> str | None:
    try:
        found = route53.get_hosted_zone(Id=zone_id)["HostedZone"]
    except Exception as error:
        if client_error_code(error) == "NoSuchHostedZone":
            return (
                f"hosted zone {zone_id} ([domain] zone_id) does not exist in this account; "
                + _create_zone(zone)
            )
        raise
    if found["Name"].rstrip(".") != zone:
        return f"hosted zone {zone_id} ([domain] zone_id) is {found['Name'].rstrip('.')}, not {zone}"
    if found.get("Config", {}).get("PrivateZone"):
        return f"hosted zone {zone_id} ([domain] zone_id) is private; the domains need a public zone"
    return None


def _public_zone_id(route53: Any, zone: str) -> tuple[str | None, str | None]:
    """(the ID of the one public zone named ``zone``, None) or (None, why there is no such one zone)."""
    zones = route53.list_hosted_zones_by_name(DNSName=zone)["HostedZones"]
    public = [
        z for z in zones if z["Name"].rstrip(".") == zone and not z.get("Config", {}).get("PrivateZone")
    ]
    if not public:
        return (
            None,
            f"no public Route 53 hosted zone {zone} ([domain] zone) in this account; {_create_zone(zone)}",
        )
    if len(public) > 1:
        ids = ", ".join(z["Id"].rsplit("/", 1)[-1] for z in public)
        return (
            None,
            f"{len(public)} public hosted zones are named {zone} ({ids}); set [domain] zone_id to one",
        )
    return str(public[0]["Id"]), None


def zone_problem(route53: Any, zone: str, zone_id: str | None) -> str | None:
    """Why the stack could not find its public hosted zone ``zone`` (``zone_id`` if given), or ``None``.

    The zone is not the stack's own: it is created and delegated once, before the first deploy.
    """
    if zone_id:
        return _zone_by_id(route53, zone, zone_id)
    return _public_zone_id(route53, zone)[1]


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def delegation_problem(route53: Any, zone: str, zone_id: str | None, lookup: NameServerLookup) -> str | None:
    """Why public DNS would not send ACM and App Runner to the zone's records, or ``None``.

    A certificate validation that never ends (``aws_acm_certificate_validation`` waits, ACM gives up after
    72 hours) is most often a zone that is not delegated: its parent has no ``NS`` record for it, or one
    naming other name servers (an older zone of the same name). This compares public DNS's ``NS`` answer
    for ``zone`` with the hosted zone's own delegation set. Call it once :func:`zone_problem` is ``None``.
    """
    if not zone_id:
        zone_id, problem = _public_zone_id(route53, zone)
        if zone_id is None:
            return problem
    servers = route53.get_hosted_zone(Id=zone_id).get("DelegationSet", {}).get("NameServers", [])
    wanted = {_fqdn(s) for s in servers}
    try:
        public = {_fqdn(s) for s in lookup(zone)}
    except LookupError as error:
        return (
            f"cannot check the delegation of {zone} in public DNS ({error}); check it: dig +short NS {zone}"
        )
    listed = ", ".join(sorted(s.rstrip(".") for s in wanted))
    if not public:
        return (
            f"{zone} is not delegated: public DNS has no NS record for it, so ACM and App Runner never see "
            f"its validation records (a certificate would wait until the deploy times out). Add an NS "
            f"record {zone} in its parent zone with this hosted zone's name servers: {listed}"
        )
    if wanted and not public & wanted:
        found = ", ".join(sorted(s.rstrip(".") for s in public))
        return (
            f"{zone} is delegated to other name servers ({found}), not to this hosted zone's ({listed}): "
            "update the NS record in its parent zone (an older zone of the same name?)"
        )
    return None


def public_name_servers(zone: str) -> list[str]:
    """The ``NS`` records public DNS gives for ``zone`` (dnspython, the system's resolvers); ``[]`` when
    the name does not exist or has none; :class:`LookupError` when DNS cannot be asked."""
    import dns.exception  # noqa: PLC0415 - only the delegation check needs dnspython ("deploy" extra)
    import dns.resolver  # noqa: PLC0415

    try:
        answer = dns.resolver.resolve(zone, "NS", lifetime=10.0)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as error:
        raise LookupError(f"{type(error).__name__}: {error}") from error
    return [str(record.target) for record in answer]
