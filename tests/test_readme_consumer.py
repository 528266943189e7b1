"""The README's "Using cora-infra in your project" shows the fixture project's files as they are."""

from __future__ import annotations

import constructs_lib
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "consumer" / "acme"


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Using cora-infra in your project\n", 1)[1].split("\n## ", 1)[0]


def _blocks(language: str) -> list[str]:
    return [part.split("```", 1)[0] for part in _section().split(f"```{language}\n")[1:]]


def test_the_main_py_shown_is_the_fixtures():
    main, aws = _blocks("python")
    assert main == (FIXTURE / "main.py").read_text(encoding="utf-8")
    assert aws in (FIXTURE / "stacks" / "aws.py").read_text(encoding="utf-8")


def test_the_tool_config_shown_is_the_fixtures_line_for_line():
    (shown,) = _blocks("toml")
    config = (FIXTURE / "pyproject.toml").read_text(encoding="utf-8")
    missing = [line for line in shown.splitlines() if line and line not in config.splitlines()]
    assert not missing, f"README lines not in {FIXTURE / 'pyproject.toml'}: {missing}"
    assert "plugins" not in shown


def test_the_install_commands_name_a_version_tag_and_warm():
    (commands,) = _blocks("sh")
    version = constructs_lib.__version__  # pyproject.toml reads it from there
    assert f'"cora-infra @ git+https://github.com/<org>/cora-infra@v{version}"' in commands
    assert f"dist/cora_infra-{version}-py3-none-any.whl" in commands
    assert "cora-infra warm" in commands
