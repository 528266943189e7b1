"""The app's health check after a deploy: ``GET <url>/api/health`` answering 2xx.

Where to probe: the service's own URL (``https://<ServiceUrl>``) always; the custom domain (the
published ``APP_URL``) only once App Runner says its association is ``active``. Until then (App Runner
validates the domain's certificate records, and AWS allows 24-48 hours for DNS) TLS at the domain fails,
and a healthy image would be rolled back for it.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["DEFAULT_HEALTH_PATH", "Probe", "check_health", "health_url_for", "health_urls", "probe"]

DEFAULT_HEALTH_PATH = "/api/health"

#: ``probe(url)`` → ``None`` when ``url`` answers 2xx, else what it answered.
Probe = Callable[[str], "str | None"]


def health_url_for(app_url: str, path: str = DEFAULT_HEALTH_PATH) -> str:
    """``<app_url>/api/health`` (App Runner's URL is published with its scheme; add one if not)."""
    base = app_url if app_url.startswith(("http://", "https://")) else f"https://{app_url}"
    return f"{base.rstrip('/')}{path}"


def probe(url: str) -> str | None:
    """One ``GET url`` (10 s timeout): ``None`` when it answers 2xx, else what it answered."""
    try:
        with urllib.request.urlopen(url, timeout=10.0) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return f"no answer ({getattr(error, 'reason', error)})"
    return None if 200 <= status < 300 else f"HTTP {status}"


def _domain_status(apprunner: Any, service_arn: str, host: str) -> str | None:
    """App Runner's status of the custom domain serving ``host`` (or its www name), ``None``: none."""
    token: str | None = None
    while True:
        page = apprunner.describe_custom_domains(
            ServiceArn=service_arn, **({"NextToken": token} if token else {})
        )
        for domain in page.get("CustomDomains", []):
            name = str(domain["DomainName"]).lower()
            if host == name or (domain.get("EnableWWWSubdomain") and host == f"www.{name}"):
                return str(domain["Status"])
        token = page.get("NextToken")
        if not token:
            return None


def health_urls(
    apprunner: Any,
    service: dict[str, Any],
    *,
    app_url: str | None,
    path: str,
    say: Callable[[str], None],
) -> list[str]:
    """The URLs a deploy's health check probes: the service's own, then the app's custom domain once
    App Runner serves it (``active``)."""
    own_host = str(service["ServiceUrl"]).removeprefix("https://").removeprefix("http://").rstrip("/")
    urls = [health_url_for(own_host, path)]
    if not app_url:
        return urls
    host = (urllib.parse.urlsplit(health_url_for(app_url, path)).hostname or "").lower()
    if not host or host == own_host.lower():
        return urls
    status = _domain_status(apprunner, service["ServiceArn"], host)
    if status == "active":
        urls.append(health_url_for(app_url, path))
    else:
        say(
            f"health: {host} is {status or 'not associated with the service'} in App Runner, not active: "
            "it does not serve the app yet (certificate validation can take up to 48 hours); checking "
            "the service's own URL only"
        )
    return urls


def check_health(
    urls: str | Sequence[str],
    *,
    attempts: int,
    interval: float,
    say: Callable[[str], None],
    sleep: Callable[[float], None],
    probe: Probe = probe,
) -> str | None:
    """Probe every URL up to ``attempts`` times, ``interval`` apart: ``None`` once all are healthy,
    else the last answer of the first that is not (a freshly switched service can fail a request or
    two while traffic moves over)."""
    for url in [urls] if isinstance(urls, str) else urls:
        problem: str | None = None
        for attempt in range(1, attempts + 1):
            problem = probe(url)
            if problem is None:
                say(f"health: GET {url}: ok")
                break
            say(f"health: GET {url}: {problem} (attempt {attempt}/{attempts})")
            if attempt < attempts:
                sleep(interval)
        if problem is not None:
            return f"GET {url} failed: {problem}"
    return None
