"""``constructs_lib.stacks.synth.run``: a consumer's whole main.py, for the environments it has."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from constructs_lib import Environment
from constructs_lib.stacks.synth import run
from tests.conftest import CONFIG_DIR


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project with dev and prd configs only, synthesizing into its own cdktf.out."""
    config = tmp_path / "config"
    config.mkdir()
    for env in ("dev", "prd"):
        shutil.copy(CONFIG_DIR / f"{env}.toml", config / f"{env}.toml")
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "cdktf.out"))
    for name in ("CORA_ENVIRONMENTS", "CORA_IMAGE_TAG", "CORA_CONFIG_DIR", "CORA_SKIP_SERVICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CORA_STATE_BACKEND", "local")
    return tmp_path


def test_a_project_with_dev_and_prd_synthesizes_just_those(project):
    assert run(project / "config", environments=(Environment.DEV, "prd")) == 0
    written = sorted(p.parent.name for p in (project / "cdktf.out" / "stacks").glob("*/cdk.tf.json"))
    assert written == ["bootstrap-dev", "bootstrap-prd", "dev", "prd"]


def test_cora_environments_selects_among_the_projects_environments(project, monkeypatch, capsys):
    monkeypatch.setenv("CORA_ENVIRONMENTS", "stg")
    assert run(project / "config", environments=(Environment.DEV, Environment.PRD)) == 2
    assert "CORA_ENVIRONMENTS: environment 'stg' is unknown; allowed: dev, prd" in capsys.readouterr().err
    assert not (project / "cdktf.out" / "stacks").exists()


@pytest.mark.parametrize(
    ("environments", "message"),
    [
        (("dev", "production"), "run(environments=...): environment 'production' is not allowed"),
        ((), "run(environments=...) is empty"),
        (("dev", Environment.DEV), "run(environments=...) lists 'dev' more than once"),
    ],
)
def test_bad_project_environments_exit_2_before_anything_is_written(project, capsys, environments, message):
    assert run(project / "config", environments=environments) == 2
    assert message in capsys.readouterr().err
    assert not (project / "cdktf.out").exists()


def test_without_environments_every_config_file_is_expected(project, capsys):
    assert run(project / "config") == 2
    err = capsys.readouterr().err
    assert "stg.toml" in err and "local.toml" in err
