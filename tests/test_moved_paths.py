"""The flat module paths of releases before 0.5 keep importing (same module, a DeprecationWarning), and
the documented paths (constructs_lib.policy, constructs_lib.iam, constructs_lib.aws, ...) need none."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from constructs_lib._runtime.moved import MOVED


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_path_is_the_module_at_its_new_home(old: str, new: str) -> None:
    moved = importlib.import_module(f"constructs_lib.{new}")
    sys.modules.pop(f"constructs_lib.{old}", None)
    with pytest.warns(DeprecationWarning, match=f"constructs_lib.{old} moved to constructs_lib.{new}"):
        aliased = importlib.import_module(f"constructs_lib.{old}")
    assert aliased is moved
    assert moved.__spec__ is not None and moved.__spec__.name == f"constructs_lib.{new}"


def test_from_imports_of_old_paths_work_in_a_fresh_process() -> None:
    code = (
        "import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
        "from constructs_lib.policy import OrganisationPolicy, RULES\n"
        "from constructs_lib.iam import PolicyStatement\n"
        "import constructs_lib.aws, constructs_lib.deploy, constructs_lib.stacks.urls\n"
        "warnings.simplefilter('ignore', DeprecationWarning)\n"
        "from constructs_lib.app_runner_service import AppRunnerService\n"
        "from constructs_lib.modular_api_gateway import ModularApiGateway\n"
        "import constructs_lib\n"
        "assert AppRunnerService is constructs_lib.AppRunnerService\n"
        "assert ModularApiGateway is constructs_lib.ModularApiGateway\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_an_unknown_name_is_still_an_import_error() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("constructs_lib.no_such_module")
