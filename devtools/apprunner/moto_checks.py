"""The App Runner emulator's ``secret_check``, ``role_check`` and ``dns_check`` answered by moto.

App Runner asks AWS whether it can read a service's secrets and assume its roles, and public DNS
whether a custom domain's certificate validation records are there; on emulators, the secrets, roles
and hosted zones live in moto. :class:`MotoChecks` asks moto the same questions, through boto3.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError


class MotoChecks:
    """``secret``, ``role``, ``dns`` and ``event``: hooks for
    :class:`~devtools.apprunner_emulator.AppRunnerEmulator`.

    A secret is readable when Secrets Manager has a version staged ``AWSCURRENT`` (``GetSecretValue``
    fails without one) and it is not scheduled for deletion; an SSM parameter when ``GetParameter``
    finds it. A role can be assumed when IAM has it and it was created at least
    ``role_propagation_seconds`` ago (0: existing is enough), as IAM takes a while to propagate a new
    role. A validation CNAME is in public DNS when a public hosted zone of moto's Route 53, the most
    specific one that contains the name (the one DNS would be delegated to), has a CNAME of that name
    with that value. boto3 clients are made on first use, so starting the emulators costs nothing extra.
    """

    def __init__(self, endpoint_url: str, *, region: str, role_propagation_seconds: float = 0.0) -> None:
        if role_propagation_seconds < 0:
            raise ValueError(f"role_propagation_seconds must not be negative, got {role_propagation_seconds}")
        self.endpoint_url = endpoint_url
        self.region = region
        self.role_propagation_seconds = role_propagation_seconds
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(
                    service,
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    aws_access_key_id="test",
                    aws_secret_access_key="test",
                )
            return self._clients[service]

    def secret(self, reference: str) -> str | None:
        """``None`` when App Runner could read ``reference`` (secret ARN, parameter ARN or name)."""
        if reference.startswith("arn:") and reference.split(":")[2] == "secretsmanager":
            return self._secrets_manager(reference)
        try:
            self._client("ssm").get_parameter(Name=reference, WithDecryption=True)
        except ClientError as err:
            return f"SSM parameter {reference}: {_message(err)}"
        return None

    def _secrets_manager(self, arn: str) -> str | None:
        # A reference may select a JSON key (<secret arn>:<key>:<stage>:<version>); the secret is the
        # first seven fields.
        secret_arn = ":".join(arn.split(":")[:7])
        try:
            described = self._client("secretsmanager").describe_secret(SecretId=secret_arn)
        except ClientError as err:
            return f"secret {secret_arn}: {_message(err)}"
        if described.get("DeletedDate") is not None:
            return f"secret {secret_arn} is scheduled for deletion"
        stages = described.get("VersionIdsToStages") or {}
        if not any("AWSCURRENT" in labels for labels in stages.values()):
            return f"secret {secret_arn} has no AWSCURRENT version: no value was ever put"
        return None

    def role(self, arn: str) -> str | None:
        """``None`` when App Runner could assume the role ``arn``."""
        name = arn.rsplit("/", 1)[-1]
        try:
            role = self._client("iam").get_role(RoleName=name)["Role"]
        except ClientError as err:
            return f"role {arn}: {_message(err)}"
        if role["Arn"] != arn:
            return f"role {arn} does not exist (IAM has {role['Arn']})"
        if self.role_propagation_seconds:
            age = (datetime.now(UTC) - role["CreateDate"]).total_seconds()
            if age < self.role_propagation_seconds:
                return (
                    f"role {arn} was created {age:.1f} s ago; IAM needs "
                    f"{self.role_propagation_seconds:g} s to propagate it"
                )
        return None

    def event(self, service_name: str, service_id: str, message: str) -> None:
        """Write one line of App Runner's event log of the service into moto's CloudWatch Logs, where
        App Runner writes it: log group ``/aws/apprunner/<name>/<id>/service``, stream ``events``."""
        logs = self._client("logs")
        group = f"/aws/apprunner/{service_name}/{service_id}/service"
        for create, arguments in (
            (logs.create_log_group, {"logGroupName": group}),
            (logs.create_log_stream, {"logGroupName": group, "logStreamName": "events"}),
        ):
            try:
                create(**arguments)
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
                    raise
        stamp = int(datetime.now(UTC).timestamp() * 1000)
        logs.put_log_events(
            logGroupName=group, logStreamName="events", logEvents=[{"timestamp": stamp, "message": message}]
        )

    def dns(self, name: str, value: str) -> str | None:
        """``None`` when public DNS (moto's public hosted zones) has the CNAME ``name`` → ``value``."""
        fqdn = _fqdn(name)
        route53 = self._client("route53")
        zones = [
            zone
            for page in route53.get_paginator("list_hosted_zones").paginate()
            for zone in page["HostedZones"]
            if not zone.get("Config", {}).get("PrivateZone")
            and (fqdn == _fqdn(zone["Name"]) or fqdn.endswith("." + _fqdn(zone["Name"])))
        ]
        if not zones:
            return f"no public hosted zone contains {fqdn}"
        zone = max(zones, key=lambda z: len(_fqdn(z["Name"])))
        for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone["Id"]):
            for record in page["ResourceRecordSets"]:
                if _fqdn(record["Name"]) != fqdn or record["Type"] != "CNAME":
                    continue
                values = [_fqdn(r["Value"]) for r in record.get("ResourceRecords", [])]
                if _fqdn(value) in values:
                    return None
                return f"CNAME {fqdn} in zone {zone['Name']} points to {', '.join(values)}, not {value}"
        return f"no CNAME {fqdn} in hosted zone {zone['Name']} ({zone['Id']})"


def _fqdn(name: str) -> str:
    """A DNS name as DNS compares it: case-insensitive, with the root dot."""
    return name.lower().rstrip(".") + "."


def _message(err: ClientError) -> str:
    error = err.response.get("Error", {})
    return f"{error.get('Code', 'Error')}: {error.get('Message', '')}"
