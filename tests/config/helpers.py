"""Config folders for tests: the sample configs copied, one of them changed."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.conftest import CONFIG_DIR, Mutation
from tests.hostile.harness import toml


def write_config(folder: Path, env: str, *changes: Mutation) -> Path:
    """``folder`` holding the sample config of ``env`` after ``changes``; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = tomllib.loads((CONFIG_DIR / f"{env}.toml").read_text(encoding="utf-8"))
    for change in changes:
        change(data)
    (folder / f"{env}.toml").write_text(toml(data), encoding="utf-8")
    return folder
