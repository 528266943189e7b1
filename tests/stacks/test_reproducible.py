"""Synthesis is machine-independent: another project folder and output folder give the same bytes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, STACKS

pytestmark = pytest.mark.slow

PROJECT_FILES = ("main.py", "cdktf.json", "constructs_lib", "stacks", "config")


def test_synth_in_another_directory_gives_identical_bytes(synth_dir, tmp_path):
    # A copy of the project at a different (longer) path, writing to a different output folder.
    project = tmp_path / "elsewhere" / "checkout of cora-infra"
    project.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    outdir = tmp_path / "out"
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir), "PYTHONPATH": str(project)}
    env.pop("CORA_IMAGE_TAG", None)
    env.pop("CORA_STATE_BACKEND", None)
    run = subprocess.run(
        [sys.executable, "main.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    for env_name in STACKS:
        ours = (synth_dir / "stacks" / env_name / "cdk.tf.json").read_bytes()
        theirs = (outdir / "stacks" / env_name / "cdk.tf.json").read_bytes()
        assert ours == theirs, f"{env_name}: synthesized JSON depends on the directory"


@pytest.mark.parametrize("env", STACKS)
def test_no_machine_specific_values(synth_dir, env):
    text = (synth_dir / "stacks" / env / "cdk.tf.json").read_text()
    assert str(synth_dir) not in text
    assert str(ROOT) not in text
    assert not re.search(r'"/(tmp|root|home|work|Users|var)/', text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text), "timestamp in synthesized JSON"
