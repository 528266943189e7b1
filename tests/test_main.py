"""``main.py``: synthesizes what the environment asks for; bad input exits 2 with one clear message."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import main
from tests.conftest import CONFIG_DIR


@pytest.fixture
def outdir(tmp_path, monkeypatch) -> Path:
    out = tmp_path / "cdktf.out"
    monkeypatch.setenv("CDKTF_OUTDIR", str(out))
    monkeypatch.delenv("CORA_IMAGE_TAG", raising=False)
    monkeypatch.delenv("CORA_STATE_BACKEND", raising=False)
    return out


def test_synthesizes_the_requested_environment(outdir, monkeypatch):
    monkeypatch.setenv("CORA_ENVIRONMENTS", "dev")
    monkeypatch.setenv("CORA_IMAGE_TAG", "3f2a9c1")
    monkeypatch.setenv("CORA_STATE_BACKEND", "local")
    assert main.main() == 0
    text = (outdir / "stacks" / "dev" / "cdk.tf.json").read_text()
    assert ":3f2a9c1" in text
    assert '"local"' in text
    assert not (outdir / "stacks" / "prd").exists()


def test_bad_config_exits_2_with_message_and_writes_nothing(outdir, monkeypatch, tmp_path, capsys):
    bad = tmp_path / "config"
    bad.mkdir()
    for env in ("dev", "prd"):
        (bad / f"{env}.toml").write_text((CONFIG_DIR / f"{env}.toml").read_text())
    text = (
        (bad / "prd.toml")
        .read_text()
        .replace("allow_credentials = true", 'extra_origins = ["*"]\nallow_credentials = true')
    )
    assert tomllib.loads(text)["cors"]["extra_origins"] == ["*"]
    (bad / "prd.toml").write_text(text)
    monkeypatch.setattr(main, "CONFIG_DIR", bad)
    monkeypatch.setenv("CORA_ENVIRONMENTS", "dev,prd")

    assert main.main() == 2

    err = capsys.readouterr().err
    assert "prd.toml" in err
    assert "cors.extra_origins" in err
    assert "'*' is only allowed in dev" in err
    assert "Traceback" not in err
    assert not outdir.exists(), "nothing may be written when any config is bad"


def test_a_config_that_still_sets_app_url_exits_2_saying_where_the_url_comes_from(
    outdir, monkeypatch, tmp_path, capsys
):
    bad = tmp_path / "config"
    bad.mkdir()
    text = (
        (CONFIG_DIR / "stg.toml")
        .read_text()
        .replace("[app]\n", '[app]\nurl = "https://stg.cora.example.com"\n')
    )
    assert tomllib.loads(text)["app"]["url"] == "https://stg.cora.example.com"
    (bad / "stg.toml").write_text(text)
    monkeypatch.setenv("CORA_CONFIG_DIR", str(bad))
    monkeypatch.setenv("CORA_ENVIRONMENTS", "stg")

    assert main.main() == 2

    err = capsys.readouterr().err
    assert err == (
        f"error: {bad}/stg.toml: app.url: 'https://stg.cora.example.com': app.url is no longer a setting: "
        "the app's URL now comes from [domain] app_host (NEXTAUTH_URL and the CORS origins derive from it); "
        "remove app.url and set [domain] zone, app_host and api_host\n"
    )
    assert not outdir.exists()


def test_unknown_environment_exits_2(outdir, monkeypatch, capsys):
    monkeypatch.setenv("CORA_ENVIRONMENTS", "dev,qa")
    assert main.main() == 2
    assert "'qa' is unknown; allowed: dev, stg, prd" in capsys.readouterr().err
    assert not outdir.exists()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "CORA_STATE_BACKEND",
            "dynamodb",
            "CORA_STATE_BACKEND='dynamodb' is not allowed; use one of: 's3', 'local'",
        ),
        ("CORA_SKIP_SERVICE", "yes", "CORA_SKIP_SERVICE='yes' is not allowed; use one of: '', '0', '1'"),
        ("CORA_ENVIRONMENTS", " , ", "CORA_ENVIRONMENTS is empty; list some of: dev, stg, prd, local"),
        ("CORA_ENVIRONMENTS", "dev,prd,dev", "CORA_ENVIRONMENTS lists 'dev' more than once"),
    ],
)
def test_bad_settings_exit_2_naming_the_variable(outdir, monkeypatch, capsys, variable, value, message):
    monkeypatch.setenv(variable, value)
    assert main.main() == 2
    err = capsys.readouterr().err
    assert message in err
    assert not outdir.exists()


def test_a_bad_image_tag_names_the_variable_it_came_from(outdir, monkeypatch, capsys):
    monkeypatch.setenv("CORA_ENVIRONMENTS", "stg")
    monkeypatch.setenv("CORA_IMAGE_TAG", "latest")
    assert main.main() == 2
    err = capsys.readouterr().err
    assert err.startswith("error: CORA_IMAGE_TAG (overrides app.image_tag of ")
    assert "stg.toml): app.image_tag: 'latest' is a moving tag" in err


def test_a_config_folder_that_is_not_a_folder_is_named(outdir, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CORA_CONFIG_DIR", str(tmp_path / "missing"))
    monkeypatch.setenv("CORA_ENVIRONMENTS", "dev,prd")
    assert main.main() == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: CORA_CONFIG_DIR={str(tmp_path / 'missing')!r} is not a folder; "
        "point CORA_CONFIG_DIR at the folder of <env>.toml files\n"
    )
    assert not outdir.exists()


def test_a_write_failure_during_synth_is_one_error_line(outdir, monkeypatch, capsys):
    """The output folder exists, but cdktf cannot write below it: one line, exit 2, no traceback."""
    outdir.mkdir()
    (outdir / "stacks").write_text("a file where cdktf makes a folder\n")
    monkeypatch.setenv("CORA_ENVIRONMENTS", "dev")
    assert main.main() == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: CDKTF_OUTDIR={str(outdir)!r}: cannot write the stacks: ")
    assert err.count("\n") == 1, err


def test_the_default_run_checks_the_environments_together(outdir, monkeypatch, capsys, tmp_path):
    """Without CORA_ENVIRONMENTS, main.py loads every config, so environments sharing state are caught."""
    bad = tmp_path / "config"
    bad.mkdir()
    for source in CONFIG_DIR.glob("*.toml"):
        (bad / source.name).write_text(source.read_text())
    stg = (
        (bad / "stg.toml")
        .read_text()
        .replace("cora-tfstate-222222222222-us-east-1", "cora-tfstate-111111111111-us-east-1")
    )
    (bad / "stg.toml").write_text(stg)
    monkeypatch.setenv("CORA_CONFIG_DIR", str(bad))
    monkeypatch.delenv("CORA_ENVIRONMENTS", raising=False)
    assert main.main() == 2
    err = capsys.readouterr().err
    assert "dev.toml, " in err and "stg.toml: state.bucket 'cora-tfstate-111111111111-us-east-1'" in err
    assert not outdir.exists()


def test_an_environment_without_a_domain_is_told_which_urls_it_uses(outdir, monkeypatch, capsys):
    monkeypatch.setenv("CORA_ENVIRONMENTS", "dev,stg")
    assert main.main() == 0
    err = capsys.readouterr().err
    (note,) = err.splitlines()
    assert note.startswith(
        "note: dev has no [domain]: the app runs at App Runner's generated URL (output app_url)"
    )
    assert "the API at its execute-api URL (output api_url, also the app's NEXT_PUBLIC_API_URL)" in note
    assert "CORS admits *" in note
    assert "AUTH_TRUST_HOST=true" in note
    assert (outdir / "stacks" / "stg" / "cdk.tf.json").exists()
