"""``python -m constructs_lib.stacks.urls``: the URLs the image build and workflows need, from config."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from constructs_lib.stacks import urls
from tests.config.helpers import write_config
from tests.conftest import CONFIG_DIR, ROOT, delete_key, set_key


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = urls.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_env_format_prints_one_variable_per_line(capsys):
    code, out, err = _run(capsys, "prd", "--config-dir", str(CONFIG_DIR))
    assert (code, err) == (0, "")
    assert out == (
        "NEXT_PUBLIC_API_URL=https://api.cora.example.com\n"
        "NEXTAUTH_URL=https://cora.example.com\n"
        "APP_ORIGINS=https://cora.example.com,https://www.cora.example.com\n"
    )


def test_json_format_prints_one_object(capsys):
    code, out, err = _run(capsys, "stg", "--config-dir", str(CONFIG_DIR), "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "NEXT_PUBLIC_API_URL": "https://api.stg.cora.example.com",
        "NEXTAUTH_URL": "https://stg.cora.example.com",
        "APP_ORIGINS": ["https://stg.cora.example.com"],
    }


def test_the_urls_are_the_configs_own(capsys, configs):
    for env in ("stg", "prd", "local"):
        code, out, _ = _run(capsys, env, "--config-dir", str(CONFIG_DIR), "--format", "json")
        printed = json.loads(out)
        assert code == 0
        assert printed["NEXTAUTH_URL"] == configs[env].app_url
        assert printed["NEXT_PUBLIC_API_URL"] == configs[env].api_url
        assert set(printed["APP_ORIGINS"]) <= set(configs[env].cors_config.allow_origins)


@pytest.mark.parametrize("fmt", ["env", "json"])
def test_without_a_domain_nothing_is_printed_and_the_exit_is_3(capsys, fmt):
    code, out, err = _run(capsys, "dev", "--config-dir", str(CONFIG_DIR), "--format", fmt)
    assert code == 3
    assert out == ""
    assert err.startswith("dev: no [domain] in ")
    assert "dev.toml" in err
    assert "only known after deploy" in err
    assert "stack outputs app_url / api_url" in err
    assert err.count("\n") == 1


def test_a_bad_config_is_one_error_line_per_problem_and_exit_2(capsys, tmp_path):
    folder = write_config(
        tmp_path,
        "stg",
        set_key("app.url", "https://stg.cora.example.com"),
        set_key("domain.api_host", "API.stg"),
    )
    code, out, err = _run(capsys, "stg", "--config-dir", str(folder))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert all(line.startswith(f"error: {folder}/stg.toml: ") for line in lines), err
    assert "app.url: 'https://stg.cora.example.com': app.url is no longer a setting" in lines[0]
    assert "domain.api_host: 'API.stg' has uppercase letters" in lines[1]


def test_an_unknown_environment_exits_2(capsys):
    code, out, err = _run(capsys, "qa", "--config-dir", str(CONFIG_DIR))
    assert (code, out) == (2, "")
    assert err == "error: environment 'qa' is unknown; allowed: dev, stg, prd, local\n"


def test_a_missing_config_exits_2(capsys, tmp_path):
    code, _, err = _run(capsys, "stg", "--config-dir", str(tmp_path))
    assert code == 2
    assert err.startswith(f"error: {tmp_path}/stg.toml: config file not found")


def test_stg_without_a_domain_exits_3(capsys, tmp_path):
    folder = write_config(
        tmp_path, "stg", delete_key("domain"), set_key("cors.extra_origins", ["https://stg.cora.example.com"])
    )
    code, out, err = _run(capsys, "stg", "--config-dir", str(folder))
    assert (code, out) == (3, "")
    assert "stg: no [domain]" in err


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        urls.main(["stg", "--format", "yaml"])
    assert exit_.value.code == 2
    assert "invalid choice: 'yaml'" in capsys.readouterr().err


def test_runs_as_a_module_from_the_project_root():
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    done = subprocess.run(
        [sys.executable, "-m", "constructs_lib.stacks.urls", "stg"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[0] == "NEXT_PUBLIC_API_URL=https://api.stg.cora.example.com"
    missing = subprocess.run(
        [sys.executable, "-m", "constructs_lib.stacks.urls", "dev"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (missing.returncode, missing.stdout) == (3, "")
