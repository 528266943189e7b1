"""Where a generated project gets cora-infra: a pinned tag of the organisation's private git repository.

A project asks for ``cora-infra @ git+<library URL>@v<version>`` (a PEP 508 direct reference: pip never
takes it from an index, so a package of the same name on PyPI cannot stand in for it). The URL is
``cora-infra new --library-url``; by default the repository this cora-infra was installed from, when
pip recorded a git source (PEP 610 ``direct_url.json``), else our own metadata's ``Source`` project URL
(``[project.urls]`` in cora-infra's ``pyproject.toml``).

The repository is private: git authenticates with a read-only token, ``CORA_INFRA_TOKEN``, handed to it
by :data:`GIT_CREDENTIAL_HELPER` through ``GIT_CONFIG_*`` environment variables only (the generated
Makefile's install and the deploy tool's install in deploy-app.yml), so the token is never written to
a file or into a URL.
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from urllib.parse import urlsplit

from constructs_lib import __version__

__all__ = [
    "DISTRIBUTION",
    "GIT_CREDENTIAL_HELPER",
    "TOKEN_VARIABLE",
    "credential_key",
    "default_library_url",
    "library_url_problem",
    "requirement",
]

DISTRIBUTION = "cora-infra"
#: The secret (CI) or environment variable (a developer) that holds the read-only token.
TOKEN_VARIABLE = "CORA_INFRA_TOKEN"
#: The git credential helper that answers with the token: git runs it through the shell with the
#: operation as ``$1`` (``get``, ``store``, ``erase``); only ``get`` answers. The token is read from the
#: environment when git asks, so it appears in no command line, file or log.
GIT_CREDENTIAL_HELPER = (
    '!f() { test "$1" = get || return 0; echo username=x-access-token; '
    'echo "password=$CORA_INFRA_TOKEN"; }; f'
)

# https://host[:port]/segment/...: the characters a repository path needs and nothing a shell, TOML,
# YAML or a Makefile would read as syntax (the URL is written into all four).
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._~-]*"
_URL = re.compile(rf"https://(?P<host>[A-Za-z0-9.-]+(?::[0-9]{{1,5}})?)(?P<path>(?:/{_SEGMENT})+)")


def library_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the cora-infra repository's URL (``--library-url`` is named), or ``None``."""
    shown = f"--library-url {url!r}"
    parts = urlsplit(url)
    if parts.scheme != "https":
        return f"{shown}: give the https URL of the cora-infra git repository (CI fetches it over https)"
    if "@" in parts.netloc:
        return (
            f"{shown}: no credentials in the URL; git gets the token from {TOKEN_VARIABLE} "
            "(the generated README, 'Installing cora-infra')"
        )
    if "@" in url:
        return f"{shown}: no @<ref> in the URL; the project pins the tag v{__version__} itself"
    if parts.query or parts.fragment or not _URL.fullmatch(url):
        return (
            f"{shown}: expected https://<host>/<path to the repository>, e.g. "
            "https://github.com/cora-platform/cora-infra (letters, digits, '.', '_', '~', '-' per segment)"
        )
    return None


def _recorded_git_url(distribution: metadata.Distribution) -> str | None:
    """The https URL pip recorded when it installed ``distribution`` from git (PEP 610), without any
    user info; ``None`` when it came from elsewhere (an index, a wheel, a folder) or over ssh."""
    text = distribution.read_text("direct_url.json")
    if not text:
        return None
    try:
        recorded = json.loads(text)
    except json.JSONDecodeError:
        return None
    vcs = recorded.get("vcs_info") if isinstance(recorded, dict) else None
    url = recorded.get("url") if isinstance(recorded, dict) else None
    if not isinstance(vcs, dict) or vcs.get("vcs") != "git" or not isinstance(url, str):
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]  # PEP 610 allows ${VAR}-style user info: never copy it
    return parts._replace(netloc=host).geturl()


def _source_url(distribution: metadata.Distribution) -> str | None:
    """Our metadata's ``Project-URL: Source, <url>``."""
    entries: list[str] = distribution.metadata.get_all("Project-URL") or []
    for entry in entries:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() == "source" and url.strip():
            return url.strip()
    return None


def default_library_url(distribution: metadata.Distribution | None = None) -> str | None:
    """The default ``--library-url``: where pip fetched this cora-infra from git (an https URL that
    :func:`library_url_problem` accepts), else the ``Source`` URL of its metadata; ``None`` if neither.

    ``distribution`` defaults to the installed ``cora-infra``.
    """
    if distribution is None:
        try:
            distribution = metadata.distribution(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            return None
    recorded = _recorded_git_url(distribution)
    if recorded is not None and library_url_problem(recorded) is None:
        return recorded
    return _source_url(distribution)


def requirement(library_url: str, *, extras: tuple[str, ...] = ()) -> str:
    """The PEP 508 direct reference to this version's tag: ``cora-infra @ git+<url>@v<version>``."""
    name = DISTRIBUTION + (f"[{','.join(extras)}]" if extras else "")
    return f"{name} @ git+{library_url}@v{__version__}"


def credential_key(library_url: str) -> str:
    """The git config key of the helper: ``credential.https://<host>.helper``, the host's URLs only."""
    parts = urlsplit(library_url)
    return f"credential.{parts.scheme}://{parts.netloc}.helper"
