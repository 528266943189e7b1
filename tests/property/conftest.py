"""Hypothesis keeps its caches (unicode tables, constants it collects) outside the work tree.

The tests set ``database=None``, so no example database is written; the remaining caches go to
``$HYPOTHESIS_STORAGE_DIRECTORY`` when set, else beside the project's other caches
(``$CORA_INFRA_CACHE_DIR``, else ``$XDG_CACHE_HOME/cora-infra``, else ``~/.cache/cora-infra``), in
``hypothesis/``. Safe to delete.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir


def _cache_dir() -> Path:
    explicit = os.environ.get("CORA_INFRA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "cora-infra"


if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(_cache_dir() / "hypothesis")
