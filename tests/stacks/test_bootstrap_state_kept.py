"""The bootstrap stacks' local state survives `make clean` and a synth of fewer stacks.

Losing it would orphan the real state bucket (its own state is the only record Terraform has of it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.terraform  # runs processes (make, main.py)


def _project(tmp_path: Path) -> Path:
    """A scratch project folder with the Makefile, a previous synth and a bootstrap state file."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "Makefile", project / "Makefile")
    (project / "cdktf.out" / "stacks" / "bootstrap-dev").mkdir(parents=True)
    (project / "cdktf.out" / "stacks" / "bootstrap-dev" / "cdk.tf.json").write_text("{}")
    state = project / ".cora-state" / "bootstrap-dev.tfstate"
    state.parent.mkdir()
    state.write_text('{"version": 4}')
    return project


def _state_path_in(outdir: Path, stack: str) -> Path:
    doc = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())
    return (outdir / "stacks" / stack / doc["terraform"]["backend"]["local"]["path"]).resolve()


def test_make_clean_keeps_the_bootstrap_state(tmp_path):
    project = _project(tmp_path)
    run = subprocess.run(["make", "clean"], cwd=project, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert not (project / "cdktf.out").exists()
    assert (project / ".cora-state" / "bootstrap-dev.tfstate").read_text() == '{"version": 4}'


def test_a_partial_synth_keeps_the_bootstrap_state_and_points_at_it(tmp_path, terraform_env):
    project = _project(tmp_path)
    outdir = project / "cdktf.out"
    env = {**terraform_env, "CDKTF_OUTDIR": str(outdir), "CORA_ENVIRONMENTS": "dev"}
    env.pop("CORA_IMAGE_TAG", None)
    run = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert (project / ".cora-state" / "bootstrap-dev.tfstate").read_text() == '{"version": 4}'
    # The freshly synthesized stack keeps using that file, wherever the project folder is.
    assert _state_path_in(outdir, "bootstrap-dev") == project / ".cora-state" / "bootstrap-dev.tfstate"
