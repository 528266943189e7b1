"""The App Runner emulator's model: resource records, statuses and the state every operation shares.

:class:`_BackendState` holds the in-memory resources and what the service and auto scaling operations
have in common: the clock-driven state machine, ARNs and look-ups, and the JSON views of resources.
"""

from __future__ import annotations

import copy
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from devtools.apprunner.validation import Json, _check_arn, _Input, _invalid, _not_found, _now

DEFAULT_ACCOUNT_ID: Final = "123456789012"
DEFAULT_REGION: Final = "us-east-1"

LOG = logging.getLogger("devtools.apprunner_emulator")

Check: TypeAlias = Callable[[str], str | None]
"""A readiness hook: a secret reference or role ARN in, ``None`` when it is usable, else the reason."""

DnsCheck: TypeAlias = Callable[[str, str], str | None]
"""A DNS hook: a CNAME record's name and value in, ``None`` when public DNS has it, else the reason."""

EventLog: TypeAlias = Callable[[str, str, str], None]
"""An event-log hook: service name, service ID and one line of the service's event log, as App Runner
writes them to CloudWatch Logs (``/aws/apprunner/<name>/<id>/service``, stream ``events``)."""

# Service statuses (types.ServiceStatus) and the lower-case statuses App Runner really returns for
# auto scaling configurations (the provider waits for "active", not the SDK enum's "ACTIVE").
RUNNING: Final = "RUNNING"
PAUSED: Final = "PAUSED"
IN_PROGRESS: Final = "OPERATION_IN_PROGRESS"
DELETED: Final = "DELETED"
CREATE_FAILED: Final = "CREATE_FAILED"
ASC_ACTIVE: Final = "active"
ASC_INACTIVE: Final = "inactive"

DEFAULT_ASC_NAME: Final = "DefaultConfiguration"
DEFAULT_ASC_ID: Final = "00000000000000000000000000000001"

# Operation statuses (types.OperationStatus in botocore's apprunner model).
OP_IN_PROGRESS: Final = "IN_PROGRESS"
OP_SUCCEEDED: Final = "SUCCEEDED"
OP_FAILED: Final = "FAILED"
OP_ROLLBACK_SUCCEEDED: Final = "ROLLBACK_SUCCEEDED"

# The operations after which App Runner deploys the configured image, reading its secrets.
_DEPLOYING: Final = frozenset({"CREATE_SERVICE", "UPDATE_SERVICE", "START_DEPLOYMENT"})


@dataclass
class _AutoScalingConfig:
    arn: str
    name: str
    revision: int
    max_concurrency: int
    min_size: int
    max_size: int
    created_at: float
    status: str = ASC_ACTIVE
    deleted_at: float | None = None
    is_default: bool = False
    reserved: bool = False


@dataclass
class _Operation:
    id: str
    type: str
    target_arn: str
    started_at: float
    status: str = OP_IN_PROGRESS
    ended_at: float | None = None

    def to_json(self) -> Json:
        out: Json = {
            "Id": self.id,
            "Type": self.type,
            "Status": self.status,
            "TargetArn": self.target_arn,
            "StartedAt": self.started_at,
            "UpdatedAt": self.ended_at if self.ended_at is not None else self.started_at,
        }
        if self.ended_at is not None:
            out["EndedAt"] = self.ended_at
        return out


@dataclass
class _Pending:
    ready_at: float  # on the emulator's monotonic clock
    final_status: str
    operation: _Operation
    # What a failed deployment rolls back to: (configuration, auto scaling ARN); None for a create,
    # which has nothing to go back to and fails instead.
    previous: tuple[Json, str] | None = None
    # An injected fault (devtools.apprunner.faults): why this deployment fails, whatever else holds.
    injected_failure: str | None = None


@dataclass
class _ValidationRecord:
    name: str
    value: str
    status: str = "PENDING_VALIDATION"

    def to_json(self) -> Json:
        return {"Name": self.name, "Type": "CNAME", "Value": self.value, "Status": self.status}


@dataclass
class _CustomDomain:
    domain_name: str
    enable_www: bool
    records: list[_ValidationRecord]
    status: str

    def to_json(self) -> Json:
        return {
            "DomainName": self.domain_name,
            "EnableWWWSubdomain": self.enable_www,
            "Status": self.status,
            "CertificateValidationRecords": [record.to_json() for record in self.records],
        }


@dataclass
class _Service:
    arn: str
    id: str
    name: str
    url: str
    created_at: float
    updated_at: float
    status: str
    config: Json
    auto_scaling_arn: str
    operations: list[_Operation] = field(default_factory=list)
    pending: _Pending | None = None
    # Domain name → association; a deleted service takes its associations with it.
    custom_domains: dict[str, _CustomDomain] = field(default_factory=dict)
    # Injected faults (devtools.apprunner.faults): the next UpdateService rolls back / takes this long,
    # and the health endpoint answers 503 while one of these images runs.
    fail_next_update: bool = False
    next_update_seconds: float | None = None
    unhealthy_images: set[str] = field(default_factory=set)


class _BackendState:
    """What the operation mixins share; :class:`AppRunnerBackend` sets these attributes up."""

    region: str
    account_id: str
    partition: str
    ready_delay: float
    max_services: int
    max_auto_scaling_names: int
    max_auto_scaling_revisions: int
    calls: list[str]
    _clock: Callable[[], float]
    _lock: threading.RLock
    _services: dict[str, _Service]
    _ascs: dict[str, _AutoScalingConfig]
    _asc_revisions: dict[str, int]
    _tags: dict[str, dict[str, str]]
    _secret_check: Check | None
    _role_check: Check | None
    _dns_check: DnsCheck | None
    _event_log: EventLog | None

    def _event(self, service: _Service, message: str) -> None:
        """One line of the service's event log (``[AppRunner] ...``, App Runner's own prefix)."""
        if self._event_log is not None:
            try:
                self._event_log(service.name, service.id, f"[AppRunner] {message}")
            except Exception:  # the event log is a side channel: it must not fail an operation
                LOG.exception("could not write the event log of %s", service.name)

    # ------------------------------------------------------------------ state machine

    def _advance(self) -> None:
        """Finish every operation whose delay has passed."""
        now = self._clock()
        for service in list(self._services.values()):
            pending = service.pending
            if pending is None or now < pending.ready_at:
                continue
            finished = _now()
            pending.operation.ended_at = finished
            service.pending = None
            if pending.final_status == DELETED:
                pending.operation.status = OP_SUCCEEDED
                del self._services[service.arn]
                self._tags.pop(service.arn, None)
                continue
            failure = self._deployment_failure(service, pending)
            op_id = pending.operation.id
            deploying = pending.operation.type in _DEPLOYING
            if failure is None:
                pending.operation.status = OP_SUCCEEDED
                service.status = pending.final_status
                if deploying:
                    self._event(service, f"Deployment with ID : {op_id} has completed successfully.")
            elif pending.previous is None:
                LOG.warning("%s: %s failed: %s", service.name, pending.operation.type, failure)
                pending.operation.status = OP_FAILED
                service.status = CREATE_FAILED
                self._event(service, f"Deployment with ID : {op_id} failed. Failure reason : {failure}.")
            else:
                # A failed deployment of a running service leaves the old one serving.
                LOG.warning("%s: %s rolled back: %s", service.name, pending.operation.type, failure)
                pending.operation.status = OP_ROLLBACK_SUCCEEDED
                service.config, service.auto_scaling_arn = pending.previous
                service.status = pending.final_status
                self._event(service, f"Deployment with ID : {op_id} failed. Failure reason : {failure}.")
                self._event(service, f"Rollback with ID : {op_id} has completed successfully.")
            service.updated_at = finished

    def _deployment_failure(self, service: _Service, pending: _Pending) -> str | None:
        """Why the deployment that ``pending`` ends cannot start, or ``None``.

        App Runner reads the runtime secrets when it deploys (not when it accepts the request), so this
        asks ``secret_check`` only when an operation that deploys finishes on a running service.
        """
        if pending.injected_failure is not None:
            return pending.injected_failure
        check = self._secret_check
        if check is None or pending.final_status != RUNNING or pending.operation.type not in _DEPLOYING:
            return None
        for name, reference in _runtime_secrets(service.config).items():
            reason = check(reference)
            if reason is not None:
                return f"cannot read the secret of {name} ({reference}): {reason}"
        return None

    def _begin(
        self,
        service: _Service,
        op_type: str,
        final_status: str,
        *,
        previous: tuple[Json, str] | None = None,
    ) -> _Operation:
        now = _now()
        operation = _Operation(id=str(uuid.uuid4()), type=op_type, target_arn=service.arn, started_at=now)
        service.operations.append(operation)
        service.status = IN_PROGRESS
        service.updated_at = now
        delay, failure = self.ready_delay, None
        if op_type == "UPDATE_SERVICE":
            if service.next_update_seconds is not None:
                delay, service.next_update_seconds = service.next_update_seconds, None
            if service.fail_next_update:
                service.fail_next_update = False
                failure = "injected fault: the new deployment failed its health check"
        service.pending = _Pending(self._clock() + delay, final_status, operation, previous, failure)
        if op_type in _DEPLOYING:
            self._event(service, f"Deployment with ID : {operation.id} started. Triggering event : {op_type}")
        return operation

    # ------------------------------------------------------------------ ARNs and look-ups

    def _arn_prefix(self) -> str:
        return f"arn:{self.partition}:apprunner:{self.region}:{self.account_id}:"

    def _asc_arn(self, name: str, revision: int, id_: str) -> str:
        return f"{self._arn_prefix()}autoscalingconfiguration/{name}/{revision}/{id_}"

    def _service(self, inp: _Input, key: str = "ServiceArn") -> _Service:
        arn = inp.req_str(key)
        _check_arn(inp, key, arn)
        service = self._services.get(arn)
        if service is None:
            raise _not_found(f"Service with the provided ARN doesn't exist: {arn}")
        return service

    def _resolve_asc(self, arn: str) -> _AutoScalingConfig | None:
        """An auto scaling configuration by full ARN, or by ``.../name`` or ``.../name/revision``."""
        exact = self._ascs.get(arn)
        if exact is not None:
            return exact
        prefix = f"{self._arn_prefix()}autoscalingconfiguration/"
        if not arn.startswith(prefix):
            return None
        parts = arn[len(prefix) :].split("/")
        candidates = [c for c in self._ascs.values() if c.name == parts[0]]
        if len(parts) == 1:
            active = [c for c in candidates if c.status == ASC_ACTIVE]
            return max(active, key=lambda c: c.revision) if active else None
        if len(parts) == 2 and parts[1].isdigit():
            matching = [c for c in candidates if c.revision == int(parts[1])]
            return matching[0] if matching else None
        return None

    def _asc(self, inp: _Input, key: str = "AutoScalingConfigurationArn") -> _AutoScalingConfig:
        arn = inp.req_str(key)
        _check_arn(inp, key, arn)
        config = self._resolve_asc(arn)
        if config is None:
            raise _not_found(f"Auto scaling configuration with the provided ARN doesn't exist: {arn}")
        return config

    def _asc_for_service(self, inp: _Input) -> _AutoScalingConfig:
        arn = inp.str_("AutoScalingConfigurationArn")
        if arn is None:
            return next(c for c in self._ascs.values() if c.is_default and c.status == ASC_ACTIVE)
        _check_arn(inp, "AutoScalingConfigurationArn", arn)
        config = self._resolve_asc(arn)
        if config is None or config.status != ASC_ACTIVE:
            raise _invalid(f"The auto scaling configuration ARN you specified isn't valid. ARN: '{arn}'")
        return config

    def _has_associated_service(self, config: _AutoScalingConfig) -> bool:
        return any(s.auto_scaling_arn == config.arn for s in self._services.values())

    def _is_latest(self, config: _AutoScalingConfig) -> bool:
        if config.status != ASC_ACTIVE:
            return False
        active = [c.revision for c in self._ascs.values() if c.name == config.name and c.status == ASC_ACTIVE]
        return config.revision == max(active)

    # ------------------------------------------------------------------ JSON views

    def _asc_summary(self, config: _AutoScalingConfig) -> Json:
        return {
            "AutoScalingConfigurationArn": config.arn,
            "AutoScalingConfigurationName": config.name,
            "AutoScalingConfigurationRevision": config.revision,
            "Status": config.status,
            "CreatedAt": config.created_at,
            "HasAssociatedService": self._has_associated_service(config),
            "IsDefault": config.is_default,
        }

    def _asc_json(self, config: _AutoScalingConfig) -> Json:
        out: Json = {
            "AutoScalingConfigurationArn": config.arn,
            "AutoScalingConfigurationName": config.name,
            "AutoScalingConfigurationRevision": config.revision,
            "Latest": self._is_latest(config),
            "Status": config.status,
            "MaxConcurrency": config.max_concurrency,
            "MinSize": config.min_size,
            "MaxSize": config.max_size,
            "CreatedAt": config.created_at,
            "HasAssociatedService": self._has_associated_service(config),
            "IsDefault": config.is_default,
        }
        if config.deleted_at is not None:
            out["DeletedAt"] = config.deleted_at
        return out

    def _service_json(self, service: _Service) -> Json:
        out = self._service_summary(service)
        out.update(copy.deepcopy(service.config))
        config = self._ascs[service.auto_scaling_arn]
        out["AutoScalingConfigurationSummary"] = self._asc_summary(config)
        return out

    def _service_summary(self, service: _Service) -> Json:
        return {
            "ServiceName": service.name,
            "ServiceId": service.id,
            "ServiceArn": service.arn,
            "ServiceUrl": service.url,
            "CreatedAt": service.created_at,
            "UpdatedAt": service.updated_at,
            "Status": service.status,
        }


def _runtime_secrets(config: Json) -> dict[str, str]:
    """``RuntimeEnvironmentSecrets`` (env name → reference) of an image or source code service."""
    source: Json = config["SourceConfiguration"]
    if "ImageRepository" in source:
        values: Json = source["ImageRepository"].get("ImageConfiguration", {})
    else:
        code: Json = source["CodeRepository"].get("CodeConfiguration", {})
        values = code.get("CodeConfigurationValues", {})
    secrets: dict[str, str] = values.get("RuntimeEnvironmentSecrets", {})
    return secrets
