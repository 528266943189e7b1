"""The app's health check after a deploy: ``GET <app_url>/api/health`` answering 2xx."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

__all__ = ["check_health", "health_url_for"]


def health_url_for(app_url: str) -> str:
    """``<app_url>/api/health`` (App Runner's URL is published with its scheme; add one if not)."""
    base = app_url if app_url.startswith(("http://", "https://")) else f"https://{app_url}"
    return f"{base.rstrip('/')}/api/health"


def _probe(url: str, timeout: float) -> str | None:
    """``None`` when ``url`` answers 2xx, else what it answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return f"no answer ({getattr(error, 'reason', error)})"
    return None if 200 <= status < 300 else f"HTTP {status}"


def check_health(
    url: str,
    *,
    attempts: int,
    interval: float,
    say: Callable[[str], None],
    sleep: Callable[[float], None],
) -> str | None:
    """Probe ``url`` up to ``attempts`` times, ``interval`` apart: ``None`` once healthy, else the
    last answer (a freshly switched service can fail a request or two while traffic moves over)."""
    problem: str | None = None
    for attempt in range(1, attempts + 1):
        problem = _probe(url, timeout=10.0)
        if problem is None:
            say(f"health: GET {url}: ok")
            return None
        say(f"health: GET {url}: {problem} (attempt {attempt}/{attempts})")
        if attempt < attempts:
            sleep(interval)
    return problem
