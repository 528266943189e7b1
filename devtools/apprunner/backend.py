"""The App Runner emulator's backend: the operation table, request dispatch, reset and tags."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from devtools.apprunner.auto_scaling import _AutoScalingOperations
from devtools.apprunner.custom_domains import _CustomDomainOperations
from devtools.apprunner.faults import _FaultOperations
from devtools.apprunner.services import _ServiceOperations
from devtools.apprunner.state import (
    ASC_ACTIVE,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_ASC_ID,
    DEFAULT_ASC_NAME,
    DEFAULT_REGION,
    Check,
    DnsCheck,
    EventLog,
    _AutoScalingConfig,
    _Service,
)
from devtools.apprunner.validation import (
    ApiError,
    Json,
    _check_arn,
    _constraint,
    _error_body,
    _Input,
    _invalid,
    _not_found,
    _now,
    _tag_list,
)

LOG = logging.getLogger("devtools.apprunner_emulator")

TARGET_PREFIX: Final = "AppRunner."


class AppRunnerBackend(_ServiceOperations, _CustomDomainOperations, _AutoScalingOperations, _FaultOperations):
    """The in-memory App Runner model behind the HTTP server; thread-safe, usable without HTTP.

    ``ready_delay`` is how long a create, update, deployment, pause, resume or delete stays
    ``OPERATION_IN_PROGRESS``; ``clock`` (monotonic seconds) drives those transitions and can be replaced
    in tests. ``max_*`` are the quotas past which creation fails with ``ServiceQuotaExceededException``.

    ``secret_check`` is asked about each ``RuntimeEnvironmentSecrets`` reference (a Secrets Manager
    secret ARN, an SSM parameter ARN or name) when a create, update or deployment finishes: a reason
    (not ``None``) means App Runner could not read it, so a new service ends ``CREATE_FAILED`` and a
    running one rolls back (operation ``ROLLBACK_SUCCEEDED``). ``role_check`` is asked about the access
    and instance role ARNs of ``CreateService``/``UpdateService``: a reason refuses the request with
    ``InvalidRequestException: Error in assuming access role <arn>`` (or ``instance role``).
    Default for both: no check, every secret has a value and every role can be assumed.

    ``dns_check`` is asked, on ``DescribeCustomDomains``, whether public DNS has each certificate
    validation CNAME of a custom domain (name, value): once all are there the association is
    ``active``. Default: no check, the records count as present (see
    :mod:`devtools.apprunner.custom_domains`).

    ``event_log`` receives the lines App Runner writes to a service's event log (a deployment started,
    completed, failed with its reason, rolled back): the deploy tool reads the cause of a failure there.
    Default: nowhere.

    Tests inject a rolled-back, slow or unhealthy deployment with :meth:`inject_faults` and read
    :meth:`health` (see :mod:`devtools.apprunner.faults`).
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
        secret_check: Check | None = None,
        role_check: Check | None = None,
        dns_check: DnsCheck | None = None,
        event_log: EventLog | None = None,
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
        self._secret_check = secret_check
        self._role_check = role_check
        self._dns_check = dns_check
        self._event_log = event_log
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
            "AssociateCustomDomain": self._associate_custom_domain,
            "DescribeCustomDomains": self._describe_custom_domains,
            "DisassociateCustomDomain": self._disassociate_custom_domain,
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
