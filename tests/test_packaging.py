"""What other CORA projects install: one version everywhere, only the library's own package."""

from __future__ import annotations

import re
import tomllib

import constructs_lib
from tests.conftest import ROOT


def test_the_version_is_semantic_and_the_changelog_opens_with_it():
    assert re.fullmatch(r"\d+\.\d+\.\d+", constructs_lib.__version__)
    changelog = (ROOT / "CHANGELOG.md").read_text()
    first = re.search(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.MULTILINE)
    assert first is not None and first[1] == constructs_lib.__version__


def test_the_wheel_holds_only_the_library_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    setuptools = project["tool"]["setuptools"]
    assert project["project"]["dynamic"] == ["version"]
    assert setuptools["dynamic"]["version"] == {"attr": "constructs_lib.__version__"}
    assert setuptools["packages"]["find"]["include"] == ["constructs_lib", "constructs_lib.*"]
    assert project["project"]["license"] == "LicenseRef-Proprietary"  # SPDX, not the deprecated table
