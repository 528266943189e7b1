"""The consumer check's own checks, and the fixture project's tool config (tests/consumer/acme).

The check itself (wheel, clean venv, synth, terraform validate, mypy) runs in ``make consumer``
(part of ``make test``, so of ``.ci/run``): scripts/consumer_check.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from scripts import consumer_check
from tests.conftest import ROOT
from tests.processes import make_test_commands

FIXTURE = ROOT / "tests" / "consumer" / "acme"
# Beside this interpreter, whichever venv runs the tests.
RUFF = Path(sys.executable).parent / "ruff"


def _wheel(path, names):
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, "")
    return path


LIBRARY_FILES = ("constructs_lib/__init__.py", "constructs_lib/py.typed", "constructs_lib/aws.py")


def test_a_wheel_of_only_the_library_passes(tmp_path):
    wheel = _wheel(
        tmp_path / "cora_infra-0.2.0-py3-none-any.whl", [*LIBRARY_FILES, "cora_infra-0.2.0.dist-info/RECORD"]
    )
    assert consumer_check.wheel_problems(wheel) == []


@pytest.mark.parametrize("extra", ["stacks/__init__.py", "main.py", "tests/__init__.py", "scripts/x.py"])
def test_a_wheel_with_another_top_level_name_is_refused(tmp_path, extra):
    wheel = _wheel(tmp_path / "cora_infra-0.2.0-py3-none-any.whl", [*LIBRARY_FILES, extra])
    top = extra.split("/")[0]
    assert consumer_check.wheel_problems(wheel) == [f"unexpected top-level name {top!r} in {wheel.name}"]


def test_a_wheel_without_the_type_marker_is_refused(tmp_path):
    wheel = _wheel(
        tmp_path / "cora_infra-0.2.0-py3-none-any.whl",
        ["constructs_lib/__init__.py", "constructs_lib/aws.py"],
    )
    assert consumer_check.wheel_problems(wheel) == [f"{wheel.name} lacks constructs_lib/py.typed"]


def test_mypy_is_installed_at_the_dev_pin():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert consumer_check.dev_pin("mypy") in pyproject["project"]["optional-dependencies"]["dev"]


def test_the_fixture_type_checks_without_the_pydantic_plugin_and_skips_only_the_bindings_package():
    config = tomllib.loads((FIXTURE / "pyproject.toml").read_text(encoding="utf-8"))
    assert "plugins" not in config["tool"]["mypy"]
    assert config["tool"]["mypy"]["strict"] is True
    # Skipping cdktf_cdktf_provider_aws.* too would make every provider class Any.
    assert config["tool"]["mypy"]["overrides"] == [
        {"module": ["cdktf_cdktf_provider_aws"], "follow_imports": "skip"}
    ]


def _ruff(project):
    return subprocess.run(
        [str(RUFF), "check", "--output-format", "concise", "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_fixture_passes_its_own_ruff_config():
    run = _ruff(FIXTURE)
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_keeps_provider_imports_behind_constructs_lib_aws(tmp_path):
    project = tmp_path / "acme"
    shutil.copytree(FIXTURE, project)
    aws = project / "stacks" / "aws.py"
    first = "import constructs_lib.aws  # noqa: F401 - first: loads the provider bindings lazily\n\n"
    text = aws.read_text(encoding="utf-8")
    assert first in text
    # The order ruff's default sorting would give: the bindings (cdktf_...) before constructs_lib.
    last = "from cdktf_cdktf_provider_aws.sns_topic import SnsTopic\n"
    aws.write_text(text.replace(first, "").replace(last, last + "\n" + first), encoding="utf-8")
    alerts = project / "stacks" / "alerts.py"
    alerts.write_text(
        alerts.read_text(encoding="utf-8").replace(
            "from constructs import Construct\n",
            "from constructs import Construct\nfrom cdktf_cdktf_provider_aws.sqs_queue import SqsQueue\n",
        )
        + "\n\nQUEUE = SqsQueue\n",
        encoding="utf-8",
    )
    found = _ruff(project).stdout
    assert "stacks/aws.py:7:1: I001" in found
    assert (
        "stacks/alerts.py:11:1: TID251 `cdktf_cdktf_provider_aws` is banned: "
        "import provider classes from stacks.aws" in found
    )
    fixed = subprocess.run(
        [str(RUFF), "check", "--fix", "--no-cache", "stacks/aws.py"],
        cwd=project,
        capture_output=True,
        check=False,
    )
    assert fixed.returncode == 0
    assert aws.read_text(encoding="utf-8").index("import constructs_lib.aws") < aws.read_text(
        encoding="utf-8"
    ).index("cdktf_cdktf_provider_aws")


def test_the_check_is_part_of_make_test():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "scripts/consumer_check.py --dist dist" in make_test_commands()
    assert "\t$(PY) scripts/consumer_check.py --dist dist\n" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
