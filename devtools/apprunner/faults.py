"""Fault injection and a health endpoint of the App Runner emulator, for tests of the deploy tool.

Real App Runner can roll a deployment back (the new image fails its health check), can be slow, and
can run an image that starts but answers its health check with an error. Tests set these up per
service, in Python (:meth:`_FaultOperations.inject_faults`) or over HTTP (``POST /_faults/<service-id>``
with a JSON object of the same keyword arguments), and point the deploy tool's health check at
``GET /_health/<service-id>``: 200 while the service is ``RUNNING`` an image not marked unhealthy,
503 otherwise, 404 for an unknown service.
"""

from __future__ import annotations

from typing import Any

from devtools.apprunner.state import RUNNING, _BackendState, _Service
from devtools.apprunner.validation import ApiError, Json, _invalid, _not_found

_FAULT_KEYS = frozenset({"fail_next_deployment", "next_deployment_seconds", "unhealthy_image"})


class _FaultOperations(_BackendState):
    """``inject_faults`` and ``health``: test hooks, not App Runner operations."""

    def _by_id(self, service_id: str) -> _Service:
        for service in self._services.values():
            if service.id == service_id:
                return service
        raise _not_found(f"No service with the ID {service_id!r}")

    def inject_faults(
        self,
        service_id: str,
        *,
        fail_next_deployment: bool = False,
        next_deployment_seconds: float | None = None,
        unhealthy_image: str | None = None,
    ) -> None:
        """Set faults of the service ``service_id`` (its ``ServiceId``).

        ``fail_next_deployment``: the next ``UpdateService`` ends ``ROLLBACK_SUCCEEDED`` (the service
        keeps its previous configuration, as App Runner does when a new image fails its health check).
        ``next_deployment_seconds``: the next ``UpdateService`` stays in progress that long instead of
        ``ready_delay``. ``unhealthy_image``: the health endpoint answers 503 while the service runs
        this image identifier (the deployment itself succeeds).
        """
        if next_deployment_seconds is not None and next_deployment_seconds < 0:
            raise _invalid(f"next_deployment_seconds must not be negative, got {next_deployment_seconds}")
        with self._lock:
            self._advance()
            service = self._by_id(service_id)
            if fail_next_deployment:
                service.fail_next_update = True
            if next_deployment_seconds is not None:
                service.next_update_seconds = next_deployment_seconds
            if unhealthy_image is not None:
                service.unhealthy_images.add(unhealthy_image)

    def inject_faults_json(self, service_id: str, body: Any) -> None:
        """:meth:`inject_faults` from a decoded JSON request body (the ``POST /_faults/...`` route)."""
        if not isinstance(body, dict) or not set(body) <= _FAULT_KEYS:
            raise _invalid(f"a fault request is a JSON object with keys among {sorted(_FAULT_KEYS)}")
        seconds = body.get("next_deployment_seconds")
        image = body.get("unhealthy_image")
        if not isinstance(body.get("fail_next_deployment", False), bool):
            raise _invalid("fail_next_deployment must be true or false")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int | float)):
            raise _invalid("next_deployment_seconds must be a number")
        if image is not None and not isinstance(image, str):
            raise _invalid("unhealthy_image must be a string")
        self.inject_faults(
            service_id,
            fail_next_deployment=body.get("fail_next_deployment", False),
            next_deployment_seconds=seconds,
            unhealthy_image=image,
        )

    def health(self, service_id: str) -> tuple[int, Json]:
        """The service's health as the app's ``GET /api/health`` would answer it: status and body."""
        with self._lock:
            self._advance()
            try:
                service = self._by_id(service_id)
            except ApiError:
                return 404, {"status": "unknown service", "serviceId": service_id}
            image = service.config["SourceConfiguration"].get("ImageRepository", {}).get("ImageIdentifier")
            if service.status != RUNNING:
                return 503, {"status": f"service is {service.status}", "image": image}
            if image in service.unhealthy_images:
                return 503, {"status": "unhealthy", "image": image}
            return 200, {"status": "ok", "image": image}
