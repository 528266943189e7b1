"""The app's health URL of emulated ECS services: what the load balancer would answer.

``GET /_health/<cluster>/<service>`` (on loopback, a thread of this process): 200 while the service's
tasks serve an image not marked unhealthy (:func:`devtools.ecs.deployments.inject_faults`), 503 while no
task runs or the image is unhealthy, 404 for an unknown service. During a rollout the old tasks serve,
as they do behind an ALB until the new ones are healthy.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto.ecs.exceptions import ServiceNotFoundException
from moto.ecs.models import ecs_backends

from devtools.ecs.faults import serving_image

__all__ = ["HEALTH_PATH", "HealthServer"]

HEALTH_PATH = "/_health/"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        if not self.path.startswith(HEALTH_PATH) or self.path.count("/") != 3:
            self._answer(404, {"status": "not a health URL"})
            return
        cluster, name = self.path[len(HEALTH_PATH) :].split("/")
        try:
            service = ecs_backends[self.server.account][self.server.region]._get_service(cluster, name)
        except ServiceNotFoundException:
            self._answer(404, {"status": "unknown service", "service": name})
            return
        image, unhealthy = serving_image(service)
        if image is None:
            self._answer(503, {"status": "no task runs"})
        else:
            self._answer(
                503 if unhealthy else 200, {"status": "unhealthy" if unhealthy else "ok", "image": image}
            )

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, account: str, region: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.account, self.region = account, region


class HealthServer:
    """Serves the health URLs of the emulated services of ``account`` in ``region`` (a context manager)."""

    def __init__(self, *, account: str, region: str) -> None:
        self._server = _Server(account, region)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    def health_url(self, service_arn: str) -> str:
        """``<url>/_health/<cluster>/<service>`` of the service ``service_arn``."""
        _, cluster, name = service_arn.split(":")[5].split("/")
        return f"{self.url}{HEALTH_PATH}{cluster}/{name}"

    def __enter__(self) -> HealthServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
