"""A local emulator of the AWS App Runner control plane, for end-to-end tests.

moto has no App Runner, so ``terraform apply`` of a stack with ``aws_apprunner_service`` and
``aws_apprunner_auto_scaling_configuration_version`` needs something else to talk to. This module serves
the App Runner AWS JSON 1.0 protocol (``POST /`` with ``X-Amz-Target: AppRunner.<Operation>``) on
loopback and keeps an in-memory model of services, auto scaling configurations, operations and tags that
behaves like the real service where Terraform can tell the difference:

* services go through ``OPERATION_IN_PROGRESS`` for ``ready_delay`` seconds before they are ``RUNNING``
  (or gone, after ``DeleteService``); what they echo back is normalized the way App Runner does it
  (``"1 vCPU"`` → ``"1024"``, defaults filled in), so a plan right after an apply shows no changes;
* auto scaling configurations get revisions 1, 2, 3… per name, report ``active``/``inactive`` in lower
  case as the real API does, and cannot be deleted while a service uses them;
* bad input is refused with the error types and, where known, the messages of the real service.

Usage from Python::

    with AppRunnerEmulator(ready_delay=0.2) as emulator:
        ...  # point the AWS provider's ``endpoints { apprunner = emulator.url }`` here

or as a process (prints ``listening on http://127.0.0.1:<port>`` once it accepts requests)::

    python -m devtools.apprunner_emulator --port 0 --ready-delay 0.5

Requests are not authenticated: any (or no) ``Authorization`` header is accepted.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import ipaddress
import json
import logging
import re
import secrets
import signal
import socket
import string
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, Final, TypeVar

__all__ = ["ApiError", "AppRunnerBackend", "AppRunnerEmulator", "main"]

LOG = logging.getLogger(__name__)

Json = dict[str, Any]
_T = TypeVar("_T")

DEFAULT_ACCOUNT_ID: Final = "123456789012"
DEFAULT_REGION: Final = "us-east-1"
JSON_CONTENT_TYPE: Final = "application/x-amz-json-1.0"
TARGET_PREFIX: Final = "AppRunner."

# Service statuses (types.ServiceStatus) and the lower-case statuses App Runner really returns for
# auto scaling configurations (the provider waits for "active", not the SDK enum's "ACTIVE").
RUNNING: Final = "RUNNING"
PAUSED: Final = "PAUSED"
IN_PROGRESS: Final = "OPERATION_IN_PROGRESS"
DELETED: Final = "DELETED"
ASC_ACTIVE: Final = "active"
ASC_INACTIVE: Final = "inactive"

DEFAULT_ASC_NAME: Final = "DefaultConfiguration"
DEFAULT_ASC_ID: Final = "00000000000000000000000000000001"

_SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-_]{3,39}")
_ASC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_]{3,31}")
_ARN = re.compile(r"arn:aws(-[\w]+)*:[a-z0-9-\\.]{0,63}:[a-z0-9-\\.]{0,63}:[0-9]{12}:(\w|/|-){1,1011}")
_ROLE_ARN = re.compile(
    r"arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):iam::[0-9]{12}:(role|role/service-role)/[\w+=,.@\-/]{1,1000}"
)
_KMS_ARN = re.compile(r"arn:aws(-[\w]+)*:kms:[a-z\-]+-[0-9]{1}:[0-9]{12}:key/[0-9a-zA-Z-]+")
_PRIVATE_IMAGE = re.compile(r"[0-9]{12}\.dkr\.ecr\.[a-z\-]+-[0-9]{1}\.amazonaws\.com(\.cn)?/.+")
_PUBLIC_IMAGE = re.compile(r"public\.ecr\.aws/.+/.+")
_SECRET_REF = re.compile(r"arn:aws(-[\w]+)*:(secretsmanager|ssm):[a-z0-9-]+:[0-9]{12}:.+|[\w.\-/]{1,2048}")
_RESERVED_ENV_PREFIX = "AWSAPPRUNNER"

# CPU in vCPU units and memory in MB, as App Runner returns them, from every spelling it accepts.
_CPU_UNITS: Final = {
    "256": "256",
    "0.25 vCPU": "256",
    "512": "512",
    "0.5 vCPU": "512",
    "1024": "1024",
    "1 vCPU": "1024",
    "2048": "2048",
    "2 vCPU": "2048",
    "4096": "4096",
    "4 vCPU": "4096",
}
_MEMORY_MB: Final = {
    "512": "512",
    "0.5 GB": "512",
    "1024": "1024",
    "1 GB": "1024",
    "2048": "2048",
    "2 GB": "2048",
    "3072": "3072",
    "3 GB": "3072",
    "4096": "4096",
    "4 GB": "4096",
    "6144": "6144",
    "6 GB": "6144",
    "8192": "8192",
    "8 GB": "8192",
    "10240": "10240",
    "10 GB": "10240",
    "12288": "12288",
    "12 GB": "12288",
}
VALID_CPU_MEMORY: Final[Mapping[str, tuple[str, ...]]] = {
    "256": ("512", "1024"),
    "512": ("1024",),
    "1024": ("2048", "3072", "4096"),
    "2048": ("4096", "6144"),
    "4096": ("8192", "10240", "12288"),
}
_CPU_PATTERN = "256|512|1024|2048|4096|(0.25|0.5|1|2|4) vCPU"
_MEMORY_PATTERN = "512|1024|2048|3072|4096|6144|8192|10240|12288|(0.5|1|2|3|4|6|8|10|12) GB"

_RUNTIMES: Final = (
    "PYTHON_3",
    "NODEJS_12",
    "NODEJS_14",
    "CORRETTO_8",
    "CORRETTO_11",
    "NODEJS_16",
    "GO_1",
    "DOTNET_6",
    "PHP_81",
    "RUBY_31",
    "PYTHON_311",
    "NODEJS_18",
    "NODEJS_22",
)


class ApiError(Exception):
    """An App Runner error response: HTTP 400 (unless ``status`` says otherwise) with ``__type``."""

    def __init__(self, type_name: str, message: str, *, status: int = 400) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.status = status


def _invalid(message: str) -> ApiError:
    return ApiError("InvalidRequestException", message)


def _not_found(message: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message)


def _invalid_state(message: str) -> ApiError:
    return ApiError("InvalidStateException", message)


def _quota(message: str) -> ApiError:
    return ApiError("ServiceQuotaExceededException", message)


def _show(value: object) -> str:
    """A value as the validation messages of AWS quote it."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"'{value}'"
    return json.dumps(value)


def _constraint(path: str, value: object, constraint: str) -> ApiError:
    """The message shape of AWS request validation, naming the member and the rejected value."""
    return _invalid(
        f"1 validation error detected: Value {_show(value)} at '{path}' failed to satisfy constraint: "
        f"{constraint}"
    )


class _Input:
    """Typed read access to one JSON object of a request; ``path`` names it in error messages."""

    def __init__(self, data: Mapping[str, Any], path: str = "") -> None:
        self._data = data
        self._path = path

    def path(self, key: str) -> str:
        """The dotted member path of ``key``, e.g. ``SourceConfiguration.ImageRepository.Port``."""
        return f"{self._path}.{key}" if self._path else key

    def has(self, key: str) -> bool:
        """True when the member is present and not null."""
        return self._data.get(key) is not None

    def _get(self, key: str, kind: type[_T], kind_name: str, *, required: bool) -> _T | None:
        value = self._data.get(key)
        if value is None:
            if required:
                raise _constraint(self.path(key), None, "Member must not be null")
            return None
        # bool is an int in Python, not in JSON.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ApiError(
                "SerializationException",
                f"Expected {kind_name} for '{self.path(key)}', got {type(value).__name__} {_show(value)}",
            )
        return value

    def str_(self, key: str, *, required: bool = False) -> str | None:
        """A string member."""
        return self._get(key, str, "a string", required=required)

    def req_str(self, key: str) -> str:
        """A required string member."""
        value = self.str_(key, required=True)
        assert value is not None
        return value

    def int_(self, key: str, *, required: bool = False) -> int | None:
        """An integer member."""
        return self._get(key, int, "an integer", required=required)

    def bool_(self, key: str, *, required: bool = False) -> bool | None:
        """A boolean member."""
        return self._get(key, bool, "a boolean", required=required)

    def obj(self, key: str, *, required: bool = False) -> _Input | None:
        """A structure member."""
        value = self._get(key, dict, "an object", required=required)
        return None if value is None else _Input(value, self.path(key))

    def str_map(self, key: str) -> dict[str, str] | None:
        """A map of strings."""
        value = self._get(key, dict, "an object", required=False)
        if value is None:
            return None
        for name, item in value.items():
            if not isinstance(item, str):
                raise ApiError("SerializationException", f"Expected a string for '{self.path(key)}.{name}'")
        return dict(value)

    def str_list(self, key: str) -> list[str] | None:
        """A list of strings."""
        value = self._get(key, list, "a list", required=False)
        if value is None:
            return None
        if not all(isinstance(item, str) for item in value):
            raise ApiError("SerializationException", f"Expected a list of strings for '{self.path(key)}'")
        return list(value)

    def obj_list(self, key: str) -> list[_Input] | None:
        """A list of structures."""
        value = self._get(key, list, "a list", required=False)
        if value is None:
            return None
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise ApiError("SerializationException", f"Expected an object at '{self.path(key)}[{index}]'")
            items.append(_Input(item, f"{self.path(key)}[{index}]"))
        return items


def _check_pattern(inp: _Input, key: str, value: str, pattern: re.Pattern[str], shown: str) -> None:
    if not pattern.fullmatch(value):
        raise _constraint(inp.path(key), value, f"Member must satisfy regular expression pattern: {shown}")


def _check_length(inp: _Input, key: str, value: str, low: int, high: int) -> None:
    if len(value) < low:
        raise _constraint(inp.path(key), value, f"Member must have length greater than or equal to {low}")
    if len(value) > high:
        raise _constraint(inp.path(key), value, f"Member must have length less than or equal to {high}")


def _check_range(inp: _Input, key: str, value: int, low: int, high: int) -> None:
    if value < low:
        raise _constraint(inp.path(key), value, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise _constraint(inp.path(key), value, f"Member must have value less than or equal to {high}")


def _check_enum(inp: _Input, key: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise _constraint(inp.path(key), value, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def _check_arn(inp: _Input, key: str, value: str) -> None:
    _check_length(inp, key, value, 1, 1011)
    _check_pattern(inp, key, value, _ARN, _ARN.pattern)


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
    status: str = "IN_PROGRESS"
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


class AppRunnerBackend:
    """The in-memory App Runner model behind the HTTP server; thread-safe, usable without HTTP.

    ``ready_delay`` is how long a create, update, deployment, pause, resume or delete stays
    ``OPERATION_IN_PROGRESS``; ``clock`` (monotonic seconds) drives those transitions and can be replaced
    in tests. ``max_*`` are the quotas past which creation fails with ``ServiceQuotaExceededException``.
    """

    def __init__(
        self,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        ready_delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        max_services: int = 30,
        max_auto_scaling_names: int = 10,
        max_auto_scaling_revisions: int = 5,
    ) -> None:
        if not re.fullmatch(r"[0-9]{12}", account_id):
            raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]", region):
            raise ValueError(f"region {region!r} does not look like an AWS region")
        if ready_delay < 0:
            raise ValueError("ready_delay must not be negative")
        self.region = region
        self.account_id = account_id
        self.ready_delay = ready_delay
        self.max_services = max_services
        self.max_auto_scaling_names = max_auto_scaling_names
        self.max_auto_scaling_revisions = max_auto_scaling_revisions
        self._clock = clock
        self._lock = threading.RLock()
        if region.startswith("cn-"):
            self.partition = "aws-cn"
        elif region.startswith("us-gov-"):
            self.partition = "aws-us-gov"
        else:
            self.partition = "aws"
        self._operations: dict[str, Callable[[_Input], Json]] = {
            "CreateService": self._create_service,
            "DescribeService": self._describe_service,
            "UpdateService": self._update_service,
            "DeleteService": self._delete_service,
            "ListServices": self._list_services,
            "PauseService": self._pause_service,
            "ResumeService": self._resume_service,
            "StartDeployment": self._start_deployment,
            "ListOperations": self._list_operations,
            "DescribeCustomDomains": self._describe_custom_domains,
            "CreateAutoScalingConfiguration": self._create_asc,
            "DescribeAutoScalingConfiguration": self._describe_asc,
            "DeleteAutoScalingConfiguration": self._delete_asc,
            "ListAutoScalingConfigurations": self._list_ascs,
            "UpdateDefaultAutoScalingConfiguration": self._update_default_asc,
            "ListServicesForAutoScalingConfiguration": self._list_services_for_asc,
            "TagResource": self._tag_resource,
            "UntagResource": self._untag_resource,
            "ListTagsForResource": self._list_tags,
        }
        self.calls: list[str] = []
        self._services: dict[str, _Service] = {}
        self._ascs: dict[str, _AutoScalingConfig] = {}
        self._asc_revisions: dict[str, int] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self.reset()

    # ------------------------------------------------------------------ public API

    @property
    def operations(self) -> tuple[str, ...]:
        """The operation names this emulator implements."""
        return tuple(sorted(self._operations))

    def reset(self) -> None:
        """Forget every service, configuration, tag and recorded call; recreate DefaultConfiguration."""
        with self._lock:
            self.calls.clear()
            self._services.clear()
            self._ascs.clear()
            self._asc_revisions.clear()
            self._tags.clear()
            default = _AutoScalingConfig(
                arn=self._asc_arn(DEFAULT_ASC_NAME, 1, DEFAULT_ASC_ID),
                name=DEFAULT_ASC_NAME,
                revision=1,
                max_concurrency=100,
                min_size=1,
                max_size=25,
                created_at=_now(),
                is_default=True,
                reserved=True,
            )
            self._ascs[default.arn] = default
            self._asc_revisions[DEFAULT_ASC_NAME] = 1

    def handle(self, operation: str, body: Mapping[str, Any]) -> Json:
        """Run one operation on a parsed request body; raise :class:`ApiError` as App Runner would."""
        handler = self._operations.get(operation)
        if handler is None:
            raise ApiError("UnknownOperationException", f"Unknown operation: {operation}")
        with self._lock:
            self.calls.append(operation)
            self._advance()
            return handler(_Input(body))

    def handle_http(self, target: str | None, raw_body: bytes) -> tuple[int, Json]:
        """Run one JSON 1.0 request: ``X-Amz-Target`` value and raw body in, HTTP status and body out."""
        if not target or not target.startswith(TARGET_PREFIX):
            return 400, _error_body("UnknownOperationException", f"Unknown target: {target or '(none)'}")
        operation = target[len(TARGET_PREFIX) :]
        try:
            body = json.loads(raw_body.decode("utf-8")) if raw_body.strip() else {}
        except (UnicodeDecodeError, ValueError) as exc:
            return 400, _error_body("SerializationException", f"Request body is not valid JSON: {exc}")
        if not isinstance(body, dict):
            return 400, _error_body("SerializationException", "Request body must be a JSON object")
        try:
            return 200, self.handle(operation, body)
        except ApiError as exc:
            return exc.status, _error_body(exc.type_name, exc.message)
        except Exception as exc:  # a bug here must still answer like AWS (500), and be visible
            LOG.exception("internal error in %s", operation)
            return 500, _error_body("InternalServiceErrorException", f"Internal emulator error: {exc!r}")

    # ------------------------------------------------------------------ state machine

    def _advance(self) -> None:
        """Finish every operation whose delay has passed."""
        now = self._clock()
        for service in list(self._services.values()):
            pending = service.pending
            if pending is None or now < pending.ready_at:
                continue
            finished = _now()
            pending.operation.status = "SUCCEEDED"
            pending.operation.ended_at = finished
            service.pending = None
            if pending.final_status == DELETED:
                del self._services[service.arn]
                self._tags.pop(service.arn, None)
            else:
                service.status = pending.final_status
                service.updated_at = finished

    def _begin(self, service: _Service, op_type: str, final_status: str) -> _Operation:
        now = _now()
        operation = _Operation(id=str(uuid.uuid4()), type=op_type, target_arn=service.arn, started_at=now)
        service.operations.append(operation)
        service.status = IN_PROGRESS
        service.updated_at = now
        service.pending = _Pending(self._clock() + self.ready_delay, final_status, operation)
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
        out: Json = {
            "ServiceName": service.name,
            "ServiceId": service.id,
            "ServiceArn": service.arn,
            "ServiceUrl": service.url,
            "CreatedAt": service.created_at,
            "UpdatedAt": service.updated_at,
            "Status": service.status,
        }
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

    # ------------------------------------------------------------------ services

    def _create_service(self, inp: _Input) -> Json:
        name = inp.req_str("ServiceName")
        _check_pattern(inp, "ServiceName", name, _SERVICE_NAME, _SERVICE_NAME.pattern)
        source = inp.obj("SourceConfiguration", required=True)
        assert source is not None
        config: Json = {"SourceConfiguration": _source_configuration(source)}
        config["InstanceConfiguration"] = _instance_configuration(inp.obj("InstanceConfiguration"))
        encryption = inp.obj("EncryptionConfiguration")
        if encryption is not None:
            kms_key = encryption.req_str("KmsKey")
            _check_pattern(encryption, "KmsKey", kms_key, _KMS_ARN, _KMS_ARN.pattern)
            config["EncryptionConfiguration"] = {"KmsKey": kms_key}
        config["HealthCheckConfiguration"] = _health_check(inp.obj("HealthCheckConfiguration"))
        config["NetworkConfiguration"] = _network(inp.obj("NetworkConfiguration"))
        observability = inp.obj("ObservabilityConfiguration")
        if observability is not None:
            config["ObservabilityConfiguration"] = _observability(observability)
        tags = _tag_list(inp, "Tags")
        auto_scaling = self._asc_for_service(inp)

        if any(s.name == name for s in self._services.values()):
            raise _invalid(f"Service with the provided name already exists: {name}")
        if len(self._services) >= self.max_services:
            raise _quota(
                f"You have reached the maximum number of services ({self.max_services}) "
                f"in this account and Region ({self.region})"
            )
        now = _now()
        service_id = uuid.uuid4().hex
        subdomain = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
        service = _Service(
            arn=f"{self._arn_prefix()}service/{name}/{service_id}",
            id=service_id,
            name=name,
            url=f"{subdomain}.{self.region}.awsapprunner.com",
            created_at=now,
            updated_at=now,
            status=IN_PROGRESS,
            config=config,
            auto_scaling_arn=auto_scaling.arn,
        )
        self._services[service.arn] = service
        if tags:
            self._tags[service.arn] = tags
        operation = self._begin(service, "CREATE_SERVICE", RUNNING)
        return {"Service": self._service_json(service), "OperationId": operation.id}

    def _describe_service(self, inp: _Input) -> Json:
        return {"Service": self._service_json(self._service(inp))}

    def _update_service(self, inp: _Input) -> Json:
        service = self._service(inp)
        if service.status not in (RUNNING, PAUSED):
            raise _invalid_state(f"Service cannot be updated in the current state: {service.status}.")
        members = (
            "SourceConfiguration",
            "InstanceConfiguration",
            "HealthCheckConfiguration",
            "NetworkConfiguration",
            "ObservabilityConfiguration",
            "AutoScalingConfigurationArn",
        )
        if not any(inp.has(member) for member in members):
            raise _invalid("No configurations provided in the UpdateService request.")
        config = copy.deepcopy(service.config)
        source = inp.obj("SourceConfiguration")
        if source is not None:
            config["SourceConfiguration"] = _source_configuration(source)
        instance = inp.obj("InstanceConfiguration")
        if instance is not None:
            config["InstanceConfiguration"] = _instance_configuration(instance)
        health = inp.obj("HealthCheckConfiguration")
        if health is not None:
            config["HealthCheckConfiguration"] = _health_check(health)
        network = inp.obj("NetworkConfiguration")
        if network is not None:
            config["NetworkConfiguration"] = _network(network)
        observability = inp.obj("ObservabilityConfiguration")
        if observability is not None:
            config["ObservabilityConfiguration"] = _observability(observability)
        auto_scaling_arn = service.auto_scaling_arn
        if inp.has("AutoScalingConfigurationArn"):
            auto_scaling_arn = self._asc_for_service(inp).arn

        service.config = config
        service.auto_scaling_arn = auto_scaling_arn
        operation = self._begin(service, "UPDATE_SERVICE", service.status)
        return {"Service": self._service_json(service), "OperationId": operation.id}

    def _delete_service(self, inp: _Input) -> Json:
        service = self._service(inp)
        if service.status == IN_PROGRESS:
            raise _invalid_state(f"Service cannot be deleted in the current state: {service.status}.")
        operation = self._begin(service, "DELETE_SERVICE", DELETED)
        return {"Service": self._service_json(service), "OperationId": operation.id}

    def _pause_service(self, inp: _Input) -> Json:
        service = self._service(inp)
        if service.status != RUNNING:
            raise _invalid_state(f"Service cannot be paused in the current state: {service.status}.")
        operation = self._begin(service, "PAUSE_SERVICE", PAUSED)
        return {"Service": self._service_json(service), "OperationId": operation.id}

    def _resume_service(self, inp: _Input) -> Json:
        service = self._service(inp)
        if service.status != PAUSED:
            raise _invalid_state(f"Service cannot be resumed in the current state: {service.status}.")
        operation = self._begin(service, "RESUME_SERVICE", RUNNING)
        return {"Service": self._service_json(service), "OperationId": operation.id}

    def _start_deployment(self, inp: _Input) -> Json:
        service = self._service(inp)
        if service.status != RUNNING:
            raise _invalid_state(f"Service cannot be deployed in the current state: {service.status}.")
        operation = self._begin(service, "START_DEPLOYMENT", RUNNING)
        return {"OperationId": operation.id}

    def _list_services(self, inp: _Input) -> Json:
        services = sorted(self._services.values(), key=lambda s: (s.created_at, s.name))
        page, token = _page(inp, [self._service_summary(s) for s in services], limit=20, kind="services")
        return _with_token({"ServiceSummaryList": page}, token)

    def _list_operations(self, inp: _Input) -> Json:
        service = self._service(inp)
        newest_first = [op.to_json() for op in reversed(service.operations)]
        page, token = _page(inp, newest_first, limit=20, kind="operations")
        return _with_token({"OperationSummaryList": page}, token)

    def _describe_custom_domains(self, inp: _Input) -> Json:
        service = self._service(inp)
        page, token = _page(inp, list[Json](), limit=5, kind="domains")
        return _with_token(
            {"DNSTarget": service.url, "ServiceArn": service.arn, "CustomDomains": page, "VpcDNSTargets": []},
            token,
        )

    # ------------------------------------------------------------------ auto scaling configurations

    def _create_asc(self, inp: _Input) -> Json:
        name = inp.req_str("AutoScalingConfigurationName")
        _check_pattern(inp, "AutoScalingConfigurationName", name, _ASC_NAME, _ASC_NAME.pattern)
        if name == DEFAULT_ASC_NAME:
            raise _invalid(f"You can't create a reserved auto scaling configuration: '{name}'.")
        max_concurrency = _int_in_range(inp, "MaxConcurrency", 1, 200, default=100)
        min_size = _int_in_range(inp, "MinSize", 1, 25, default=1)
        max_size = _int_in_range(inp, "MaxSize", 1, 25, default=25)
        if min_size > max_size:
            raise _invalid(f"MinSize ({min_size}) must be less than or equal to MaxSize ({max_size}).")
        tags = _tag_list(inp, "Tags")

        active = [c for c in self._ascs.values() if c.status == ASC_ACTIVE and not c.reserved]
        names = {c.name for c in active}
        if name not in names and len(names) >= self.max_auto_scaling_names:
            raise _quota(
                "You have reached the maximum number of auto scaling configuration names "
                f"({self.max_auto_scaling_names}) in this account and Region ({self.region})"
            )
        if sum(c.name == name for c in active) >= self.max_auto_scaling_revisions:
            raise _quota(
                f"You have reached the maximum number of revisions ({self.max_auto_scaling_revisions}) "
                f"for the auto scaling configuration '{name}'"
            )
        revision = self._asc_revisions.get(name, 0) + 1
        self._asc_revisions[name] = revision
        config = _AutoScalingConfig(
            arn=self._asc_arn(name, revision, uuid.uuid4().hex),
            name=name,
            revision=revision,
            max_concurrency=max_concurrency,
            min_size=min_size,
            max_size=max_size,
            created_at=_now(),
        )
        self._ascs[config.arn] = config
        if tags:
            self._tags[config.arn] = tags
        return {"AutoScalingConfiguration": self._asc_json(config)}

    def _describe_asc(self, inp: _Input) -> Json:
        return {"AutoScalingConfiguration": self._asc_json(self._asc(inp))}

    def _delete_asc(self, inp: _Input) -> Json:
        arn = inp.req_str("AutoScalingConfigurationArn")
        delete_all = bool(inp.bool_("DeleteAllRevisions"))
        config = self._asc(inp)
        if delete_all:
            if arn.rstrip("/").count("/") != 1:
                raise _invalid(
                    "When DeleteAllRevisions is true, AutoScalingConfigurationArn must be a partial ARN "
                    f"ending with the configuration name (.../name), got '{arn}'"
                )
            targets = [c for c in self._ascs.values() if c.name == config.name and c.status == ASC_ACTIVE]
        else:
            targets = [config]
        if config.status != ASC_ACTIVE:
            raise _not_found(f"Auto scaling configuration with the provided ARN doesn't exist: {arn}")
        for target in targets:
            if target.reserved or target.is_default:
                raise _invalid(f"You can't delete a reserved auto scaling configuration: '{target.name}'.")
            if self._has_associated_service(target):
                raise _invalid(
                    "You can't delete the auto scaling configuration. It's used by one or more services. "
                    "To delete it, update the services to use other auto scaling configurations."
                )
        now = _now()
        for target in targets:
            target.status = ASC_INACTIVE
            target.deleted_at = now
            self._tags.pop(target.arn, None)
        return {"AutoScalingConfiguration": self._asc_json(config)}

    def _list_ascs(self, inp: _Input) -> Json:
        name = inp.str_("AutoScalingConfigurationName")
        latest_only = bool(inp.bool_("LatestOnly"))
        configs = [c for c in self._ascs.values() if c.status == ASC_ACTIVE]
        if name is not None:
            configs = [c for c in configs if c.name == name]
        if latest_only:
            configs = [c for c in configs if self._is_latest(c)]
        configs.sort(key=lambda c: (c.name, c.revision))
        page, token = _page(inp, [self._asc_summary(c) for c in configs], limit=100, kind="asc")
        return _with_token({"AutoScalingConfigurationSummaryList": page}, token)

    def _update_default_asc(self, inp: _Input) -> Json:
        config = self._asc(inp)
        if config.status != ASC_ACTIVE:
            raise _not_found(f"Auto scaling configuration with the provided ARN doesn't exist: {config.arn}")
        for other in self._ascs.values():
            other.is_default = other is config
        return {"AutoScalingConfiguration": self._asc_json(config)}

    def _list_services_for_asc(self, inp: _Input) -> Json:
        config = self._asc(inp)
        arns = sorted(s.arn for s in self._services.values() if s.auto_scaling_arn == config.arn)
        page, token = _page(inp, arns, limit=100, kind="asc-services")
        return _with_token({"ServiceArnList": page}, token)

    # ------------------------------------------------------------------ tags

    def _taggable(self, inp: _Input) -> str:
        arn = inp.req_str("ResourceArn")
        _check_arn(inp, "ResourceArn", arn)
        if arn in self._services:
            return arn
        config = self._ascs.get(arn)
        if config is not None and config.status == ASC_ACTIVE:
            return arn
        raise _not_found(f"Resource with the provided ARN doesn't exist: {arn}")

    def _tag_resource(self, inp: _Input) -> Json:
        arn = self._taggable(inp)
        if not inp.has("Tags"):
            raise _constraint(inp.path("Tags"), None, "Member must not be null")
        tags = _tag_list(inp, "Tags")
        merged = {**self._tags.get(arn, {}), **tags}
        if len(merged) > 50:
            raise _invalid(f"A resource can have at most 50 tags; this request would leave {len(merged)}")
        self._tags[arn] = merged
        return {}

    def _untag_resource(self, inp: _Input) -> Json:
        arn = self._taggable(inp)
        keys = inp.str_list("TagKeys")
        if keys is None:
            raise _constraint(inp.path("TagKeys"), None, "Member must not be null")
        current = self._tags.get(arn, {})
        for key in keys:
            current.pop(key, None)
        return {}

    def _list_tags(self, inp: _Input) -> Json:
        arn = self._taggable(inp)
        return {"Tags": [{"Key": k, "Value": v} for k, v in self._tags.get(arn, {}).items()]}


# ---------------------------------------------------------------------- request normalization


def _now() -> float:
    """Wall-clock time as the JSON protocol sends timestamps: epoch seconds, millisecond precision."""
    return round(time.time(), 3)


def _error_body(type_name: str, message: str) -> Json:
    return {"__type": type_name, "Message": message}


def _int_in_range(inp: _Input, key: str, low: int, high: int, *, default: int) -> int:
    value = inp.int_(key)
    if value is None:
        return default
    _check_range(inp, key, value, low, high)
    return value


def _tag_list(inp: _Input, key: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in inp.obj_list(key) or []:
        tag_key = item.req_str("Key")
        _check_length(item, "Key", tag_key, 1, 128)
        if tag_key.lower().startswith("aws:"):
            raise _constraint(
                item.path("Key"), tag_key, "Member must satisfy regular expression pattern: ^(?!aws:).+"
            )
        value = item.str_("Value") or ""
        _check_length(item, "Value", value, 0, 256)
        tags[tag_key] = value
    if len(tags) > 50:
        raise _invalid(f"A resource can have at most 50 tags, got {len(tags)} at '{inp.path(key)}'")
    return tags


def _page(inp: _Input, items: list[_T], *, limit: int, kind: str) -> tuple[list[_T], str | None]:
    """One page of ``items`` from ``NextToken``/``MaxResults``, and the token of the next page."""
    size = _int_in_range(inp, "MaxResults", 1, limit, default=limit)
    start = 0
    token = inp.str_("NextToken")
    if token is not None:
        try:
            decoded = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
            token_kind, _, offset = decoded.partition(":")
            start = int(offset)
        except (UnicodeError, ValueError, binascii.Error):
            token_kind, start = "", -1
        if token_kind != kind or not 0 <= start <= len(items):
            raise _invalid(f"The NextToken you specified isn't valid: '{token}'")
    end = start + size
    if end >= len(items):
        return items[start:], None
    return items[start:end], base64.urlsafe_b64encode(f"{kind}:{end}".encode("ascii")).decode("ascii")


def _with_token(body: Json, token: str | None) -> Json:
    if token is not None:
        body["NextToken"] = token
    return body


def _port(inp: _Input, key: str = "Port") -> str:
    value = inp.str_(key)
    if value is None:
        return "8080"
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise _invalid(
            f"The port '{value}' at '{inp.path(key)}' isn't valid: use a port number from 1 to 65535."
        )
    return value


def _environment(inp: _Input) -> Json:
    """``RuntimeEnvironmentVariables``/``RuntimeEnvironmentSecrets`` of an image or code configuration."""
    out: Json = {}
    for key in ("RuntimeEnvironmentVariables", "RuntimeEnvironmentSecrets"):
        values = inp.str_map(key)
        if values is None:
            continue
        for name, value in values.items():
            if not name:
                raise _constraint(inp.path(key), name, "Member must have length greater than or equal to 1")
            if name.upper().startswith(_RESERVED_ENV_PREFIX):
                raise _invalid(
                    f"The environment variable name '{name}' at '{inp.path(key)}' isn't valid: "
                    f"names starting with {_RESERVED_ENV_PREFIX} are reserved by App Runner."
                )
            if key == "RuntimeEnvironmentSecrets" and not _SECRET_REF.fullmatch(value):
                raise _invalid(
                    f"The secret reference '{value}' for '{name}' at '{inp.path(key)}' isn't valid: "
                    "use the ARN of a Secrets Manager secret or SSM parameter (or an SSM parameter name)."
                )
        out[key] = dict(values)
    return out


def _image_configuration(inp: _Input) -> Json:
    out: Json = {"Port": _port(inp)}
    out.update(_environment(inp))
    start = inp.str_("StartCommand")
    if start is not None:
        out["StartCommand"] = start
    return out


def _image_repository(inp: _Input) -> Json:
    identifier = inp.req_str("ImageIdentifier")
    _check_length(inp, "ImageIdentifier", identifier, 1, 1024)
    repo_type = inp.req_str("ImageRepositoryType")
    _check_enum(inp, "ImageRepositoryType", repo_type, ("ECR", "ECR_PUBLIC"))
    expected = _PRIVATE_IMAGE if repo_type == "ECR" else _PUBLIC_IMAGE
    if not expected.fullmatch(identifier):
        kind = "a private ECR image (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>)"
        if repo_type == "ECR_PUBLIC":
            kind = "a public ECR image (public.ecr.aws/<alias>/<repo>:<tag>)"
        raise _invalid(
            f"The image identifier '{identifier}' at '{inp.path('ImageIdentifier')}' isn't valid for "
            f"ImageRepositoryType {repo_type}: expected {kind}."
        )
    out: Json = {"ImageIdentifier": identifier}
    image_config = inp.obj("ImageConfiguration")
    if image_config is not None:
        out["ImageConfiguration"] = _image_configuration(image_config)
    out["ImageRepositoryType"] = repo_type
    return out


def _code_repository(inp: _Input) -> Json:
    url = inp.req_str("RepositoryUrl")
    _check_length(inp, "RepositoryUrl", url, 1, 51200)
    version = inp.obj("SourceCodeVersion", required=True)
    assert version is not None
    version_type = version.req_str("Type")
    _check_enum(version, "Type", version_type, ("BRANCH",))
    version_value = version.req_str("Value")
    _check_length(version, "Value", version_value, 1, 51200)
    out: Json = {"RepositoryUrl": url, "SourceCodeVersion": {"Type": version_type, "Value": version_value}}
    code_config = inp.obj("CodeConfiguration")
    if code_config is not None:
        source = code_config.req_str("ConfigurationSource")
        _check_enum(code_config, "ConfigurationSource", source, ("REPOSITORY", "API"))
        built: Json = {"ConfigurationSource": source}
        values = code_config.obj("CodeConfigurationValues")
        if source == "API" and values is None:
            raise _constraint(code_config.path("CodeConfigurationValues"), None, "Member must not be null")
        if values is not None:
            runtime = values.req_str("Runtime")
            _check_enum(values, "Runtime", runtime, _RUNTIMES)
            built_values: Json = {"Runtime": runtime, "Port": _port(values)}
            for key in ("BuildCommand", "StartCommand"):
                command = values.str_(key)
                if command is not None:
                    built_values[key] = command
            built_values.update(_environment(values))
            built["CodeConfigurationValues"] = built_values
        out["CodeConfiguration"] = built
    directory = inp.str_("SourceDirectory")
    out["SourceDirectory"] = directory if directory else "/"
    return out


def _source_configuration(inp: _Input) -> Json:
    image = inp.obj("ImageRepository")
    code = inp.obj("CodeRepository")
    if (image is None) == (code is None):
        raise _invalid(
            f"'{inp.path('ImageRepository')}' or '{inp.path('CodeRepository')}' is required: "
            "specify exactly one of them."
        )
    out: Json = {}
    auth_in = inp.obj("AuthenticationConfiguration")
    auth: Json = {}
    if auth_in is not None:
        role = auth_in.str_("AccessRoleArn")
        if role is not None:
            _check_pattern(auth_in, "AccessRoleArn", role, _ROLE_ARN, _ROLE_ARN.pattern)
            auth["AccessRoleArn"] = role
        connection = auth_in.str_("ConnectionArn")
        if connection is not None:
            _check_arn(auth_in, "ConnectionArn", connection)
            auth["ConnectionArn"] = connection
    if image is not None:
        repository = _image_repository(image)
        is_public = repository["ImageRepositoryType"] == "ECR_PUBLIC"
        auto_deploy = inp.bool_("AutoDeploymentsEnabled")
        if auto_deploy is None:
            auto_deploy = not is_public
        if is_public and auto_deploy:
            raise _invalid(
                "App Runner doesn't support automatic deployments for an image in an ECR Public repository."
            )
        if not is_public and "AccessRoleArn" not in auth:
            raise _invalid(
                f"'{inp.path('AuthenticationConfiguration.AccessRoleArn')}' is required for an image in a "
                "private ECR repository (ImageRepositoryType ECR): App Runner needs a role to pull it."
            )
        key, value = "ImageRepository", repository
    else:
        assert code is not None
        value = _code_repository(code)
        auto_deploy = inp.bool_("AutoDeploymentsEnabled")
        auto_deploy = True if auto_deploy is None else auto_deploy
        if "ConnectionArn" not in auth:
            raise _invalid(
                f"'{inp.path('AuthenticationConfiguration.ConnectionArn')}' is required for a source code "
                "repository: App Runner needs a connection to read it."
            )
        key = "CodeRepository"
    if auth:
        out["AuthenticationConfiguration"] = auth
    out["AutoDeploymentsEnabled"] = auto_deploy
    out[key] = value
    return out


def _instance_configuration(inp: _Input | None) -> Json:
    if inp is None:
        return {"Cpu": "1024", "Memory": "2048"}
    cpu_in = inp.str_("Cpu") or "1024"
    memory_in = inp.str_("Memory") or "2048"
    cpu = _CPU_UNITS.get(cpu_in)
    if cpu is None:
        raise _constraint(
            inp.path("Cpu"), cpu_in, f"Member must satisfy regular expression pattern: {_CPU_PATTERN}"
        )
    memory = _MEMORY_MB.get(memory_in)
    if memory is None:
        raise _constraint(
            inp.path("Memory"),
            memory_in,
            f"Member must satisfy regular expression pattern: {_MEMORY_PATTERN}",
        )
    allowed = VALID_CPU_MEMORY[cpu]
    if memory not in allowed:
        raise _invalid(
            f"The combination of {inp.path('Cpu')} '{cpu_in}' and {inp.path('Memory')} '{memory_in}' isn't "
            f"supported: with {cpu} CPU units, Memory must be one of {', '.join(allowed)} (MB)."
        )
    out: Json = {"Cpu": cpu, "Memory": memory}
    role = inp.str_("InstanceRoleArn")
    if role is not None:
        _check_pattern(inp, "InstanceRoleArn", role, _ROLE_ARN, _ROLE_ARN.pattern)
        out["InstanceRoleArn"] = role
    return out


def _health_check(inp: _Input | None) -> Json:
    if inp is None:
        inp = _Input({}, "HealthCheckConfiguration")
    protocol = inp.str_("Protocol") or "TCP"
    _check_enum(inp, "Protocol", protocol, ("TCP", "HTTP"))
    path = inp.str_("Path")
    if path is None:
        path = "/"
    _check_length(inp, "Path", path, 1, 51200)
    return {
        "Protocol": protocol,
        "Path": path,
        "Interval": _int_in_range(inp, "Interval", 1, 20, default=5),
        "Timeout": _int_in_range(inp, "Timeout", 1, 20, default=2),
        "HealthyThreshold": _int_in_range(inp, "HealthyThreshold", 1, 20, default=1),
        "UnhealthyThreshold": _int_in_range(inp, "UnhealthyThreshold", 1, 20, default=5),
    }


def _network(inp: _Input | None) -> Json:
    if inp is None:
        inp = _Input({}, "NetworkConfiguration")
    egress_in = inp.obj("EgressConfiguration")
    egress: Json = {"EgressType": "DEFAULT"}
    if egress_in is not None:
        egress_type = egress_in.str_("EgressType") or "DEFAULT"
        _check_enum(egress_in, "EgressType", egress_type, ("DEFAULT", "VPC"))
        connector = egress_in.str_("VpcConnectorArn")
        if egress_type == "VPC" and not connector:
            raise _invalid(f"'{egress_in.path('VpcConnectorArn')}' is required when EgressType is VPC.")
        if egress_type == "DEFAULT" and connector:
            raise _invalid(f"'{egress_in.path('VpcConnectorArn')}' can only be set when EgressType is VPC.")
        egress = {"EgressType": egress_type}
        if connector:
            _check_arn(egress_in, "VpcConnectorArn", connector)
            egress["VpcConnectorArn"] = connector
    ingress_in = inp.obj("IngressConfiguration")
    # An empty IngressConfiguration means "not public": SDKs omit a false IsPubliclyAccessible.
    public = True if ingress_in is None else bool(ingress_in.bool_("IsPubliclyAccessible"))
    ip_type = inp.str_("IpAddressType") or "IPV4"
    _check_enum(inp, "IpAddressType", ip_type, ("IPV4", "DUAL_STACK"))
    if ip_type == "DUAL_STACK" and not public:
        raise _invalid("IpAddressType DUAL_STACK is only supported for a publicly accessible service.")
    return {
        "EgressConfiguration": egress,
        "IngressConfiguration": {"IsPubliclyAccessible": public},
        "IpAddressType": ip_type,
    }


def _observability(inp: _Input) -> Json:
    enabled = inp.bool_("ObservabilityEnabled", required=True)
    out: Json = {"ObservabilityEnabled": enabled}
    arn = inp.str_("ObservabilityConfigurationArn")
    if enabled and not arn:
        raise _invalid(
            f"'{inp.path('ObservabilityConfigurationArn')}' is required when ObservabilityEnabled is true."
        )
    if arn:
        _check_arn(inp, "ObservabilityConfigurationArn", arn)
        out["ObservabilityConfigurationArn"] = arn
    return out


# ---------------------------------------------------------------------- HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Terraform opens many connections at once; the default backlog of 5 is easy to overflow.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], backend: AppRunnerBackend, *, ipv6: bool) -> None:
        self.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
        self.backend = backend
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "AppRunnerEmulator/1.0"
    # Each response must leave in one piece, at once: with http.server's defaults (unbuffered writer,
    # Nagle on) headers and body are two small writes, the body waits ~40 ms for a delayed ACK, and the
    # AWS SDK for Go then intermittently drops the keep-alive connection and retries the call - which
    # for a non-idempotent call (CreateService, DeleteAutoScalingConfiguration) changes the outcome.
    wbufsize = -1
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        """One AWS JSON 1.0 request."""
        raw = self._read_body()
        target = self.headers.get("X-Amz-Target")
        status, body = self.server.backend.handle_http(target, raw)
        LOG.info(
            "%s -> %d%s", target, status, f" {body['__type']}: {body['Message']}" if status != 200 else ""
        )
        self._send(status, body)

    def _not_json_rpc(self) -> None:
        self._read_body()
        self._send(
            400,
            _error_body(
                "UnknownOperationException", f"{self.command} is not supported; POST / with X-Amz-Target"
            ),
        )

    do_GET = do_PUT = do_DELETE = do_PATCH = _not_json_rpc  # noqa: N815 - http.server's naming

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: Json) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", JSON_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if status != 200:
            self.send_header("X-Amzn-ErrorType", str(body["__type"]))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        """Route http.server's access log to this module's logger."""
        LOG.debug("%s " + format, self.address_string(), *args)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AppRunnerEmulator:
    """The App Runner emulator served over HTTP on loopback, in a daemon thread.

    ``port=0`` picks a free port (see :attr:`url` after :meth:`start`). Use as a context manager, or
    call :meth:`start` and :meth:`stop`. :attr:`backend` exposes the model (and :attr:`calls`, the
    operations received, in order).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        ready_delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(f"the emulator only binds loopback addresses, not {host!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0-65535, got {port}")
        self.host = host
        self._requested_port = port
        self.backend = AppRunnerBackend(
            region=region, account_id=account_id, ready_delay=ready_delay, clock=clock
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> AppRunnerEmulator:
        """Bind and serve in a daemon thread; returns ``self``."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        host = "127.0.0.1" if self.host == "localhost" else self.host
        server = _Server((host, self._requested_port), self.backend, ipv6=":" in host)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="apprunner-emulator", daemon=True
        )
        self._thread.start()
        LOG.info("App Runner emulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and release the port (a no-op when not running)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        LOG.info("App Runner emulator stopped")

    @property
    def port(self) -> int:
        """The bound port."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://<host>:<port>``, the value for the provider's ``endpoints { apprunner = ... }``."""
        host = self.host if self.host == "localhost" or ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    @property
    def calls(self) -> list[str]:
        """Operation names received so far, in order (cleared by :meth:`reset`)."""
        return self.backend.calls

    def reset(self) -> None:
        """Drop all state, as if freshly started (the server keeps running)."""
        self.backend.reset()

    def __enter__(self) -> AppRunnerEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ---------------------------------------------------------------------- CLI


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.apprunner_emulator",
        description="Serve a local AWS App Runner emulator (AWS JSON 1.0) until SIGTERM or SIGINT.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default 0)")
    parser.add_argument(
        "--ready-delay",
        type=float,
        default=1.0,
        help="seconds an operation stays OPERATION_IN_PROGRESS (default 1.0)",
    )
    parser.add_argument(
        "--region", default=DEFAULT_REGION, help=f"region in ARNs and URLs (default {DEFAULT_REGION})"
    )
    parser.add_argument("--account-id", default=DEFAULT_ACCOUNT_ID, help="account id in ARNs")
    parser.add_argument("--quiet", action="store_true", help="do not log each request to stderr")
    args = parser.parse_args(argv)
    if not _is_loopback(args.host):
        parser.error(f"--host must be a loopback address, got {args.host!r}")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0-65535, got {args.port}")
    if args.ready_delay < 0:
        parser.error("--ready-delay must not be negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGTERM/SIGINT; prints ``listening on <url>`` once it accepts requests."""
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s apprunner-emulator %(message)s",
        stream=sys.stderr,
    )
    try:
        emulator = AppRunnerEmulator(
            host=args.host,
            port=args.port,
            region=args.region,
            account_id=args.account_id,
            ready_delay=args.ready_delay,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        emulator.start()
        print(f"listening on {emulator.url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
