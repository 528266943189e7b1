"""``python -m devtools.apprunner_emulator``: serve the emulator until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from devtools.apprunner.server import AppRunnerEmulator, _is_loopback
from devtools.apprunner.state import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Check, DnsCheck, EventLog


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
    parser.add_argument(
        "--moto-endpoint",
        help="a moto server URL: read runtime secrets, roles and custom domain validation records from it "
        "as App Runner does from AWS (a service whose secret has no value ends CREATE_FAILED; a missing "
        "role is refused; a custom domain is active once its validation CNAMEs are in Route 53)",
    )
    parser.add_argument(
        "--role-propagation-seconds",
        type=float,
        default=0.0,
        help="with --moto-endpoint: refuse roles younger than this (default 0: no age check)",
    )
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
    secret_check: Check | None = None
    role_check: Check | None = None
    dns_check: DnsCheck | None = None
    event_log: EventLog | None = None
    if args.moto_endpoint:
        # Imported only when asked for: it brings boto3, which the plain emulator does not need.
        from devtools.apprunner.moto_checks import MotoChecks  # noqa: PLC0415

        checks = MotoChecks(
            args.moto_endpoint, region=args.region, role_propagation_seconds=args.role_propagation_seconds
        )
        secret_check, role_check, dns_check = checks.secret, checks.role, checks.dns
        event_log = checks.event
    try:
        emulator = AppRunnerEmulator(
            host=args.host,
            port=args.port,
            region=args.region,
            account_id=args.account_id,
            ready_delay=args.ready_delay,
            secret_check=secret_check,
            role_check=role_check,
            dns_check=dns_check,
            event_log=event_log,
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
