"""The generated Makefile, run by make: how its install lets git authenticate (issue 20, C.11), and the
preflight before an apply (C.8).

The install runs for real with a stand-in venv whose ``python`` asks git, in the environment pip would
give it, for the credentials of the library's host (``git credential fill``): what git would get.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from constructs_lib.scaffold import render_project

FAKE_TOKEN = "github_pat_fake0123456789"
LIBRARY = "https://github.com/cora-platform/cora-infra"
# The stand-in for <venv>/bin/python: `python -m pip install ...` asks git what pip's git would be given.
FAKE_PYTHON = """#!/bin/sh
printf 'protocol=https\\nhost=github.com\\npath=cora-platform/cora-infra\\n\\n' \\
  | git credential fill > "$PROBE/credentials" 2>&1
env | grep -E '^GIT_CONFIG_(COUNT|KEY_|VALUE_)' | sort > "$PROBE/git-config-env"
git config --get-regexp '^url\\.' > "$PROBE/url-rules"
printf '%s\\n' "$@" > "$PROBE/args"
"""

needs_make_and_git = pytest.mark.skipif(
    not (shutil.which("make") and shutil.which("git")), reason="needs make and git"
)


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "acme"
    project.mkdir()
    files = render_project("acme", region="eu-west-1")
    for name in ("Makefile", "pyproject.toml"):
        (project / name).write_text(files[name])
    return project


def _fake_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for name, text in (("python", FAKE_PYTHON), ("cora-infra", "#!/bin/sh\nexit 0\n")):
        (venv / "bin" / name).write_text(text)
        (venv / "bin" / name).chmod(0o755)
    return venv


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No git config of this machine or user, no prompt, no make flags of an enclosing make."""
    (tmp_path / "home").mkdir(exist_ok=True)
    (tmp_path / "probe").mkdir(exist_ok=True)
    keep = {"PATH", "LANG", "LC_ALL", "TMPDIR"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        HOME=str(tmp_path / "home"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        PROBE=str(tmp_path / "probe"),
    )
    env.update(extra)
    return env


def _install(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    project, venv = _project(tmp_path), _fake_venv(tmp_path)
    command = ["make", "-C", str(project), f"VENV={venv}", f"{venv}/.acme-infra-installed"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _probe(tmp_path: Path, name: str) -> str:
    return (tmp_path / "probe" / name).read_text()


@needs_make_and_git
def test_with_the_token_git_gets_it_from_the_environment_only(tmp_path):
    done = _install(tmp_path, _env(tmp_path, CORA_INFRA_TOKEN=FAKE_TOKEN))
    credentials = _probe(tmp_path, "credentials").splitlines()
    assert "username=x-access-token" in credentials
    assert f"password={FAKE_TOKEN}" in credentials
    # The token is read from the environment when git asks: it is in no config value, argument or output.
    assert FAKE_TOKEN not in _probe(tmp_path, "git-config-env") + _probe(tmp_path, "args")
    assert FAKE_TOKEN not in done.stdout + done.stderr
    assert "git authenticated by CORA_INFRA_TOKEN" in done.stdout
    assert _probe(tmp_path, "args").split()[:3] == ["-m", "pip", "install"]
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "probe" not in p.parts]
    assert not [p for p in written if FAKE_TOKEN in p.read_text(errors="replace")]


@needs_make_and_git
def test_the_helper_is_the_only_one_for_the_host_and_the_callers_git_config_is_kept(tmp_path):
    caller = {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "url.file:///srv/cora-infra.insteadOf",
        "GIT_CONFIG_VALUE_0": LIBRARY,
        "GIT_CONFIG_KEY_1": "credential.helper",
        "GIT_CONFIG_VALUE_1": "!f() { echo username=someone-else; echo password=wrong; }; f",
    }
    _install(tmp_path, _env(tmp_path, CORA_INFRA_TOKEN=FAKE_TOKEN, **caller))
    assert f"url.file:///srv/cora-infra.insteadof {LIBRARY}" in _probe(tmp_path, "url-rules")
    seen = dict(line.split("=", 1) for line in _probe(tmp_path, "git-config-env").splitlines())
    assert seen["GIT_CONFIG_COUNT"] == "4"
    assert {k: seen[k] for k in caller if k != "GIT_CONFIG_COUNT"} == {
        k: v for k, v in caller.items() if k != "GIT_CONFIG_COUNT"
    }
    credentials = _probe(tmp_path, "credentials")
    assert f"password={FAKE_TOKEN}" in credentials and "wrong" not in credentials


@needs_make_and_git
def test_without_the_token_git_uses_your_own_credentials(tmp_path):
    done = _install(tmp_path, _env(tmp_path))
    assert _probe(tmp_path, "git-config-env") == ""  # nothing added to git's config
    credentials = _probe(tmp_path, "credentials")
    assert "password=" not in credentials and "terminal prompts disabled" in credentials
    assert "CORA_INFRA_TOKEN" not in done.stdout


# -- make deploy: cora-infra preflight before the apply ----------------------------------------------
def _deploy_commands(tmp_path: Path, *args: str) -> list[str]:
    project, venv = _project(tmp_path), _fake_venv(tmp_path)
    (venv / ".acme-infra-installed").touch()
    (project / ".terraformrc").touch()
    command = ["make", "-n", "-C", str(project), f"VENV={venv}", "deploy", *args]
    done = subprocess.run(command, env=_env(tmp_path), capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.splitlines()


@needs_make_and_git
def test_deploy_runs_the_preflight_before_terraform_apply(tmp_path):
    commands = _deploy_commands(tmp_path, "ENV=stg")
    preflight = [i for i, c in enumerate(commands) if c.endswith("/bin/cora-infra preflight stg")]
    apply = [i for i, c in enumerate(commands) if "terraform -chdir=cdktf.out/stacks/stg apply" in c]
    assert len(preflight) == 1 and len(apply) == 1, commands
    assert preflight[0] < apply[0]


@needs_make_and_git
def test_a_bootstrap_stack_deploys_without_the_preflight(tmp_path):
    commands = _deploy_commands(tmp_path, "ENV=dev", "STACK=bootstrap-dev")
    assert not [c for c in commands if "preflight" in c], commands
    assert any("terraform -chdir=cdktf.out/stacks/bootstrap-dev apply" in c for c in commands)
