"""``python -m devtools.preflight <env>``: this repository's name for ``cora-infra preflight <env>``.

The check moved into the published package (:mod:`constructs_lib.deploy.preflight`), so that generated
projects, which have no ``devtools/``, run it too; this module keeps the old command and reads this
repository's ``config/`` wherever it is run from.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from constructs_lib.deploy.checks import secret_problem, zone_problem
from constructs_lib.deploy.cli import main as cli_main
from constructs_lib.deploy.preflight import ROLE_SETTLE_SECONDS, Verdict
from constructs_lib.deploy.preflight import check as _check

__all__ = ["CONFIG_DIR", "ROLE_SETTLE_SECONDS", "Verdict", "check", "main", "secret_problem", "zone_problem"]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


def check(environment: str, **options: Any) -> Verdict:
    """:func:`constructs_lib.deploy.preflight.check` on this repository's ``config/``."""
    options.setdefault("config_dir", CONFIG_DIR)
    return _check(environment, **options)


def main(argv: list[str] | None = None) -> int:
    """``cora-infra preflight`` with ``--config-dir`` this repository's ``config/``."""
    args = sys.argv[1:] if argv is None else argv
    return cli_main(["preflight", *args, "--config-dir", str(CONFIG_DIR)])


if __name__ == "__main__":
    sys.exit(main())
