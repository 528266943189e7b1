"""The App Runner emulator's HTTP side: the AWS JSON 1.0 server on loopback and :class:`AppRunnerEmulator`."""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final

from devtools.apprunner.backend import AppRunnerBackend
from devtools.apprunner.state import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Check, DnsCheck, EventLog
from devtools.apprunner.validation import ApiError, Json, _error_body

LOG = logging.getLogger("devtools.apprunner_emulator")

JSON_CONTENT_TYPE: Final = "application/x-amz-json-1.0"
# Test hooks beside the AWS API (devtools.apprunner.faults); App Runner's own requests all POST /.
HEALTH_PATH: Final = "/_health/"
FAULTS_PATH: Final = "/_faults/"


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
        """One AWS JSON 1.0 request, or a fault injection (``POST /_faults/<service-id>``)."""
        raw = self._read_body()
        if self.path.startswith(FAULTS_PATH):
            self._inject_faults(self.path[len(FAULTS_PATH) :], raw)
            return
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

    def do_GET(self) -> None:
        """``GET /_health/<service-id>``: the service's health (see :mod:`devtools.apprunner.faults`)."""
        if not self.path.startswith(HEALTH_PATH):
            self._not_json_rpc()
            return
        self._read_body()
        status, body = self.server.backend.health(self.path[len(HEALTH_PATH) :])
        self._send(status, body, content_type="application/json")

    def _inject_faults(self, service_id: str, raw: bytes) -> None:
        try:
            self.server.backend.inject_faults_json(service_id, json.loads(raw or b"{}"))
        except ValueError as exc:
            self._send(400, _error_body("SerializationException", f"Request body is not valid JSON: {exc}"))
        except ApiError as exc:
            self._send(exc.status, _error_body(exc.type_name, exc.message))
        else:
            self._send(200, {})

    do_PUT = do_DELETE = do_PATCH = _not_json_rpc  # noqa: N815 - http.server's naming

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

    def _send(self, status: int, body: Json, *, content_type: str = JSON_CONTENT_TYPE) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if status != 200 and "__type" in body:
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
    operations received, in order). ``secret_check``, ``role_check``, ``dns_check`` and ``event_log``
    are passed to :class:`AppRunnerBackend`, which documents them.
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
        secret_check: Check | None = None,
        role_check: Check | None = None,
        dns_check: DnsCheck | None = None,
        event_log: EventLog | None = None,
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(f"the emulator only binds loopback addresses, not {host!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0-65535, got {port}")
        self.host = host
        self._requested_port = port
        self.backend = AppRunnerBackend(
            region=region,
            account_id=account_id,
            ready_delay=ready_delay,
            clock=clock,
            secret_check=secret_check,
            role_check=role_check,
            dns_check=dns_check,
            event_log=event_log,
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
