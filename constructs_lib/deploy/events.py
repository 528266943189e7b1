"""Why App Runner failed a deployment, in its own words: the service's event log.

App Runner writes what it does to CloudWatch Logs, in the log group
``/aws/apprunner/<service name>/<service id>/service``: the stream ``events`` has the service's event
log (a deployment started, its health check failed, a secret could not be read, a rollback), one line
per event. ``ListOperations`` only says ``ROLLBACK_SUCCEEDED``; these lines say why.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from constructs_lib.deploy.checks import client_error_code

__all__ = ["EVENTS_STREAM", "failure_events", "service_log_group"]

EVENTS_STREAM = "events"
# Lines worth showing: what failed, and why.
_CAUSE = re.compile(r"fail|error|unable|cannot|could not|denied|invalid|rollback|rolled back", re.IGNORECASE)


def service_log_group(service: dict[str, Any]) -> str:
    """The service's own log group (``DescribeService``'s ``ServiceName`` and ``ServiceId``)."""
    return f"/aws/apprunner/{service['ServiceName']}/{service['ServiceId']}/service"


def _millis(when: Any) -> int:
    if isinstance(when, datetime):
        return int(when.timestamp() * 1000)
    return int(float(when) * 1000)


def failure_events(logs: Any, service: dict[str, Any], since: Any, *, limit: int = 5) -> list[str]:
    """The last ``limit`` event lines since ``since`` (the operation's ``StartedAt``) that tell a failure;
    ``[]`` when App Runner logged none or the log cannot be read (the caller says where to look)."""
    if logs is None:
        return []
    lines: list[str] = []
    try:
        paginator = logs.get_paginator("filter_log_events")
        pages = paginator.paginate(
            logGroupName=service_log_group(service),
            logStreamNames=[EVENTS_STREAM],
            startTime=_millis(since),
        )
        for page in pages:
            lines.extend(str(event.get("message", "")).strip() for event in page.get("events", []))
    except Exception as error:
        if client_error_code(error):  # no such group yet, access denied: no cause to give
            return []
        raise
    return [line for line in lines if _CAUSE.search(line)][-limit:]
