"""scripts/new_project_check.py, the part of make test that runs a generated project's own test command."""

from __future__ import annotations

import pytest

from constructs_lib.feature_modules import ModuleLayout
from constructs_lib.scaffold import render_project
from scripts import new_project_check as check
from scripts.consumer_check import StepFailedError
from tests.processes import make_test_commands


def test_make_test_runs_it():
    assert "scripts/new_project_check.py" in make_test_commands()


@pytest.mark.parametrize("layout", ["monorepo", "two-repo"])
def test_the_test_command_is_read_from_the_generated_readme(layout):
    readme = render_project("acme", region="eu-west-1", layout=ModuleLayout(layout))["README.md"]
    assert check.readme_test_command(readme) == ["make", "test"]


def test_a_readme_without_the_command_is_a_failure():
    with pytest.raises(StepFailedError, match="names no `make test` command"):
        check.readme_test_command("# acme\n\n## Two commands\n\n```sh\nmake synth\n```\n")


def test_the_project_sees_the_wheel_and_nothing_of_this_checkout(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{check.ROOT}/.venv/bin:/usr/bin")
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    for name in ("VIRTUAL_ENV", "TF_CLI_CONFIG_FILE", "CORA_IMAGE_TAG", "MAKEFLAGS"):
        monkeypatch.setenv(name, "x")
    env = check.project_env(tmp_path)
    assert env["PATH"] == "/usr/bin"
    assert env["PIP_FIND_LINKS"] == f"{tmp_path / 'dist'} /opt/wheels"
    assert not {"VIRTUAL_ENV", "TF_CLI_CONFIG_FILE", "CORA_IMAGE_TAG", "MAKEFLAGS"} & set(env)


def test_the_two_repo_project_runs_in_the_venv_that_has_the_wheel(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin")
    env = check.project_env(tmp_path, activated=True)
    assert env["VIRTUAL_ENV"] == str(tmp_path / "venv")
    assert env["PATH"] == f"{tmp_path / 'venv' / 'bin'}:/usr/bin"
