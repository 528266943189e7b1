"""Hypothesis keeps its caches (unicode tables, constants it collects) outside the work tree.

The tests set ``database=None``, so no example database is written; the remaining caches go to
``$HYPOTHESIS_STORAGE_DIRECTORY`` when set, else beside the project's other caches
(``$CORA_INFRA_CACHE_DIR``, else ``$XDG_CACHE_HOME/cora-infra``, else ``~/.cache/cora-infra``), in
``hypothesis/``. Safe to delete.
"""

from __future__ import annotations

import os

from hypothesis.configuration import set_hypothesis_home_dir

from constructs_lib._aws import cache_dir

if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(cache_dir() / "hypothesis")
