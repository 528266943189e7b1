"""This repository's own stacks: the library's environment stacks, built from ``config/``.

The stack composition (config models, :class:`~constructs_lib.stacks.CoraAppStack`, the provider
helper, the bootstrap stacks) is public API of the library, in :mod:`constructs_lib.stacks`, so that
other CORA projects build theirs the same way; this package is what a consuming project writes on top
of it, and is not part of the wheel.
"""

from pathlib import Path

from constructs_lib.stacks import build_app

__all__ = ["CONFIG_DIR", "build_app"]

#: The sample project's ``<env>.toml`` files.
CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
