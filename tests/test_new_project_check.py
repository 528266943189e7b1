"""scripts/new_project_check.py, the part of make test that runs a generated project's own test command."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from constructs_lib import __version__
from constructs_lib.api.feature_modules import ModuleLayout
from constructs_lib.scaffold import render_project
from scripts import new_project_check as check
from scripts.consumer_check import StepFailedError, Timing
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


def test_the_project_sees_nothing_of_this_checkout(monkeypatch):
    monkeypatch.setenv("PATH", f"{check.ROOT}/node_modules/.bin:/usr/bin")  # an entry inside the checkout
    for name in ("VIRTUAL_ENV", "TF_CLI_CONFIG_FILE", "CORA_IMAGE_TAG", "CORA_INFRA_TOKEN", "MAKEFLAGS"):
        monkeypatch.setenv(name, "x")
    env = check.project_env()
    assert env["PATH"] == "/usr/bin"
    assert not {"VIRTUAL_ENV", "TF_CLI_CONFIG_FILE", "CORA_IMAGE_TAG", "CORA_INFRA_TOKEN", "MAKEFLAGS"} & set(
        env
    )
    assert env["GIT_TERMINAL_PROMPT"] == "0"  # a missing credential fails instead of waiting for input
    assert check.project_env(token="t")["CORA_INFRA_TOKEN"] == "t"


def test_git_is_pointed_at_the_library_repository_after_the_callers_own_config():
    url = "https://github.com/cora-platform/cora-infra"
    rule = ("url.file:///tmp/work/src.insteadOf", url)
    assert check.with_git_config({}, [rule]) == {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": rule[0],
        "GIT_CONFIG_VALUE_0": url,
    }
    theirs = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.autocrlf", "GIT_CONFIG_VALUE_0": "false"}
    env = check.with_git_config(theirs, [rule])
    assert env["GIT_CONFIG_COUNT"] == "2" and env["GIT_CONFIG_KEY_0"] == "core.autocrlf"
    assert (env["GIT_CONFIG_KEY_1"], env["GIT_CONFIG_VALUE_1"]) == rule


@pytest.mark.parametrize("layout", ["monorepo", "two-repo"])
def test_the_library_reference_is_read_from_the_generated_pyproject(layout):
    files = render_project("acme", region="eu-west-1", layout=ModuleLayout(layout))
    url, tag = check.library_reference(files["pyproject.toml"])
    assert (url, tag) == ("https://github.com/cora-platform/cora-infra", f"v{__version__}")


def test_a_pyproject_without_a_git_tag_is_a_failure():
    with pytest.raises(StepFailedError, match="asks for no cora-infra git tag"):
        check.library_reference('[project]\nname = "x"\ndependencies = ["cora-infra>=0.3,<0.4"]\n')


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_library_repository_holds_the_copy_at_the_version_tag(tmp_path):
    (tmp_path / "constructs_lib").mkdir()
    (tmp_path / "constructs_lib" / "__init__.py").write_text('__version__ = "9.8.7"\n')
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "junk").write_text("")
    timings: list[Timing] = []
    commit = check.library_repository(tmp_path, check._version(tmp_path), timings)
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "v9.8.7"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert listed == [".gitignore", "constructs_lib/__init__.py"]
    assert re.fullmatch(r"[0-9a-f]{40}", commit)
