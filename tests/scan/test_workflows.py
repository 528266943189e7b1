"""What the workflows do, ours and a generated project's (issue 20, section C), read from the parsed YAML
with the expressions evaluated for an event (tests/github_expressions.py): which jobs run for a pull
request from a fork, which concurrency group a deploy waits in, which steps see the cora-infra token.

The hygiene of the same files (pins, zizmor, actionlint, yamllint) is tests/scan/test_lint_workflows.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from constructs_lib import __version__
from constructs_lib.api.feature_modules import ModuleLayout
from constructs_lib.scaffold import render_project
from tests.github_expressions import condition, evaluate_field
from tests.workflow_files import (
    TOKEN,
    all_sets,
    context,
    generated,
    group,
    install_steps,
    installs,
    jobs,
    matrix_values,
    ours,
    steps,
    uses_aws,
)

SETS = all_sets()
GENERATED = ("monorepo", "two-repo")
DEPLOY_GROUPS = {f"deploy-{env}" for env in ("dev", "stg", "prd")}


def _pull_request(*, fork: bool) -> dict[str, object]:
    head = "someone/acme" if fork else "org/acme"
    return context(
        "pull_request",
        github={"event": {"pull_request": {"number": 7, "head": {"repo": {"full_name": head}}}}},
    )


# -- C.12: Node 22 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SETS)
def test_ci_runs_node_22(name):
    setups = [
        step
        for job in jobs(SETS[name]).values()
        for step in steps(job)
        if str(step.get("uses", "")).startswith("actions/setup-node@")
    ]
    assert setups, name
    assert {step["with"]["node-version"] for step in setups} == {"22"}


# -- C.9: pull requests from forks -----------------------------------------------------------------
@pytest.mark.parametrize("name", SETS)
def test_a_fork_pull_request_runs_no_job_that_needs_secrets_and_says_why(name):
    workflow = SETS[name]["deploy-infra.yml"]
    fork, own = _pull_request(fork=True), _pull_request(fork=False)
    running = {job_id: job for job_id, job in workflow["jobs"].items() if condition(job.get("if"), fork)}
    assert list(running) == ["plan-skipped"]
    (summary,) = running.values()
    assert summary["permissions"] == {}
    assert [set(step) for step in steps(summary)] == [{"name", "run"}]
    assert '>> "$GITHUB_STEP_SUMMARY"' in summary["steps"][0]["run"]
    assert "fork" in summary["steps"][0]["run"] and "${{" not in summary["steps"][0]["run"]
    # A pull request from the repository itself still plans every environment, and is told nothing.
    assert condition(workflow["jobs"]["plan"]["if"], own)
    assert not condition(summary["if"], own)
    assert not condition(summary["if"], context("push"))


# -- C.8: one deploy group per environment; the app after the infra of the same push -----------------
def _deploy_group(workflow: dict[str, object], job_id: str, ctx: dict[str, object]) -> str | None:
    job = workflow["jobs"][job_id]  # type: ignore[index]
    return group(job, ctx)


@pytest.mark.parametrize("name", ["ours", "two-repo"])
def test_infra_and_app_deploys_wait_in_deploy_env(name):
    infra, app = SETS[name]["deploy-infra.yml"], SETS[name]["deploy-app.yml"]
    assert group(infra, context("push")) is None  # no run-wide hold: each job waits on its own
    deploy = infra["jobs"]["deploy"]
    for event, environments in (("push", ["dev"]), ("workflow_dispatch", ["stg", "prd"])):
        assert matrix_values(deploy, "environment", context(event)) == environments
        for env in environments:
            assert group(deploy, context(event, matrix={"environment": env})) == f"deploy-{env}"
    for env in ("dev", "stg", "prd"):
        ctx = context("workflow_call", inputs={"environment": env}, matrix={"environment": env})
        assert group(app["jobs"]["deploy"], ctx) == f"deploy-{env}"
    for workflow in (infra, app):
        assert workflow["jobs"]["deploy"]["concurrency"]["cancel-in-progress"] is False


def test_our_deploy_app_is_dispatch_or_call_only_and_a_dispatch_deploys_dev():
    app = ours()["deploy-app.yml"]
    assert set(app["on"]) == {"workflow_call", "workflow_dispatch"}
    assert group(app["jobs"]["deploy"], context("workflow_dispatch")) == "deploy-dev"


def test_the_monorepo_deploys_the_app_of_a_push_only_after_its_infra():
    workflows = SETS["monorepo"]
    infra, app = workflows["deploy-infra.yml"], workflows["deploy-app.yml"]
    assert set(app["on"]) == {"workflow_call", "workflow_dispatch"}  # no push trigger: it would race
    call = infra["jobs"]["app"]
    assert call["uses"] == "./.github/workflows/deploy-app.yml"
    assert call["needs"] == "deploy"
    assert call["with"]["environment"] == "dev"
    push = context("push")
    assert condition(call.get("if"), push) and condition(infra["jobs"]["deploy"]["if"], push)
    for event in ("pull_request", "workflow_dispatch"):
        assert not condition(call.get("if"), context(event))


def test_a_monorepo_push_holds_deploy_dev_from_its_infra_to_its_app():
    """GitHub keeps one waiting run per group and cancels an older waiting one when another queues. The
    run of a push holds deploy-dev as a whole, so a newer push waits and supersedes an older waiting push
    whole: no app job of an older commit can queue alone and cancel the newest commit's infra."""
    infra = SETS["monorepo"]["deploy-infra.yml"]
    push = context("push", matrix={"environment": "dev"})
    assert group(infra, push) == "deploy-dev"
    assert infra["concurrency"]["cancel-in-progress"] is False
    # A dispatch (stg, then prd) holds nothing run-wide; each deploy job waits in its environment's group.
    dispatch = context("workflow_dispatch")
    assert group(infra, dispatch) not in DEPLOY_GROUPS
    for env in matrix_values(infra["jobs"]["deploy"], "environment", dispatch):
        assert (
            _deploy_group(infra, "deploy", context("workflow_dispatch", matrix={"environment": env}))
            == f"deploy-{env}"
        )


def test_no_job_waits_for_a_group_its_own_run_holds():
    """A called workflow's job (or a job of the run) that waits in a group its run holds waits for itself:
    GitHub cancels it as a deadlock."""
    workflows = SETS["monorepo"]
    infra, app = workflows["deploy-infra.yml"], workflows["deploy-app.yml"]
    push = context("push", matrix={"environment": "dev"})
    held = group(infra, push)
    assert held in DEPLOY_GROUPS
    assert _deploy_group(infra, "deploy", push) not in DEPLOY_GROUPS
    call = infra["jobs"]["app"]
    inputs = {key: evaluate_field(value, push) for key, value in call["with"].items()}
    called = context("push", inputs=inputs)
    for env in matrix_values(app["jobs"]["deploy"], "environment", called):
        assert group(app["jobs"]["deploy"], {**called, "matrix": {"environment": env}}) not in DEPLOY_GROUPS
    assert group(call, push) is None


def test_the_monorepo_app_alone_waits_in_deploy_env():
    app = SETS["monorepo"]["deploy-app.yml"]
    dispatch = context("workflow_dispatch")
    assert matrix_values(app["jobs"]["deploy"], "environment", dispatch) == ["stg", "prd"]
    for env in ("stg", "prd"):
        assert (
            group(app["jobs"]["deploy"], context("workflow_dispatch", matrix={"environment": env}))
            == f"deploy-{env}"
        )
    other_caller = context("workflow_call", inputs={"environment": "stg"}, matrix={"environment": "stg"})
    assert group(app["jobs"]["deploy"], other_caller) == "deploy-stg"


# -- C.11: the cora-infra token reaches the install steps only, before any AWS credentials ----------
@pytest.mark.parametrize("layout", GENERATED)
def test_the_token_is_given_to_exactly_the_install_steps(layout):
    workflows = SETS[layout]
    for name, workflow in workflows.items():
        assert TOKEN not in workflow.get("env", {}), name
        for job_id, job in workflow["jobs"].items():
            assert TOKEN not in job.get("env", {}), (name, job_id)
            for step in steps(job):
                has_token = TOKEN in step.get("env", {})
                assert has_token == installs(step, job), (name, job_id, step)
                if has_token:
                    assert step["env"][TOKEN] == f"${{{{ secrets.{TOKEN} }}}}"
    installing = [s for job in jobs(workflows).values() for s in install_steps(job)]
    assert len(installing) == 4  # ci, plan, deploy, deploy-app's tool


@pytest.mark.parametrize("name", SETS)
def test_no_secret_is_expanded_into_a_shell_command(name):
    for job_id, job in jobs(SETS[name]).items():
        for step in steps(job):
            assert "secrets." not in str(step.get("run", "")), (job_id, step)
            assert "${{" not in str(step.get("run", "")), (job_id, step)


@pytest.mark.parametrize("name", SETS)
def test_every_install_comes_before_the_aws_credentials(name):
    for job_id, job in jobs(SETS[name]).items():
        order = steps(job)
        aws = [i for i, step in enumerate(order) if uses_aws(step)]
        install = [i for i, step in enumerate(order) if installs(step, job)]
        assert install or not aws, job_id
        if aws and install:
            assert max(install) < min(aws), job_id


@pytest.mark.parametrize("layout", GENERATED)
def test_the_deploy_tool_is_the_projects_pinned_git_release_with_the_deploy_extra(layout):
    files = render_project("acme", region="eu-west-1", layout=ModuleLayout(layout))
    (dependency,) = tomllib.loads(files["pyproject.toml"])["project"]["dependencies"]
    assert dependency.startswith("cora-infra[deploy] @ git+https://") and dependency.endswith(
        f"@v{__version__}"
    )
    (step,) = install_steps(SETS[layout]["deploy-app.yml"]["jobs"]["deploy"])
    assert f'"{dependency}"' in step["run"]


@pytest.mark.parametrize("layout", GENERATED)
def test_our_deploy_app_installs_with_the_generated_one_s_credential_mechanism(layout):
    (ours_step,) = install_steps(ours()["deploy-app.yml"]["jobs"]["deploy"])
    (theirs,) = install_steps(SETS[layout]["deploy-app.yml"]["jobs"]["deploy"])
    assert ours_step["env"] == theirs["env"]
    secrets = ours()["deploy-app.yml"]["on"]["workflow_call"]["secrets"]
    assert secrets[TOKEN]["required"] is False


@pytest.mark.skipif(sys.platform == "win32", reason="git credential helpers run through sh")
def test_the_deploy_tool_step_hands_git_the_token(tmp_path):
    """Its env, as the runner sets it, with a fake token: what git would be given for github.com."""
    (step,) = install_steps(generated("two-repo")["deploy-app.yml"]["jobs"]["deploy"])
    env = {k: str(v) for k, v in step["env"].items()}
    env.update(
        CORA_INFRA_TOKEN="fake-token-42", HOME=str(tmp_path), GIT_CONFIG_NOSYSTEM="1", PATH=os.environ["PATH"]
    )
    done = subprocess.run(
        ["git", "credential", "fill"],
        input="protocol=https\nhost=github.com\n\n",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines()[-2:] == ["username=x-access-token", "password=fake-token-42"]


# -- C.11: our release workflow ------------------------------------------------------------------------
def test_a_version_tag_makes_a_release_with_the_wheel():
    release = ours()["release.yml"]
    assert release["on"] == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {}
    (job,) = release["jobs"].values()
    assert job["permissions"] == {"contents": "write"}
    runs = [str(step.get("run", "")) for step in steps(job)]
    assert "make wheel" in runs
    assert any("gh release create" in r and "dist/cora_infra-" in r for r in runs)
    for name, workflow in ours().items():
        if name != "release.yml":
            assert "write" not in str(workflow.get("permissions")) and not [
                j
                for j in workflow["jobs"].values()
                if "contents" in j.get("permissions", {}) and j["permissions"]["contents"] == "write"
            ], name


@pytest.mark.parametrize(
    ("tag", "ok"), [(f"v{__version__}", True), (f"v{__version__}.1", False), (__version__, False)]
)
def test_the_release_refuses_a_tag_that_is_not_the_package_version(tmp_path, tag, ok):
    (job,) = ours()["release.yml"]["jobs"].values()
    (check,) = [s for s in steps(job) if "TAG" in s.get("env", {}) and "gh release" not in s["run"]]
    # The step runs the venv `make wheel` made; here a stand-in for it runs this interpreter.
    python = tmp_path.joinpath(".venv", "bin", "python")
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / f"cora_infra-{__version__}-py3-none-any.whl").touch()
    env = {"PATH": os.environ["PATH"], "TAG": tag, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        ["bash", "-e", "-c", check["run"]], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert (done.returncode == 0) is ok, done.stdout + done.stderr
    if not ok:
        assert f"tag {tag} is not v{__version__}" in done.stdout


def _minutes(duration: str) -> float:
    """A Terraform timeout (``45m``, ``1h30m``, ``90s``) in minutes."""
    import re

    units = {"h": 60.0, "m": 1.0, "s": 1 / 60}
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(number) * units[unit] for number, unit in parts)


@pytest.mark.parametrize("name", ["ours", "monorepo", "two-repo"])
def test_acm_validation_gives_up_before_the_deploy_job_is_killed(name):
    """The provider waits 75 minutes for ACM by default; a deploy job killed at 60 says nothing useful.
    The certificate validation must time out first, with room for the rest of the apply."""
    from constructs_lib.api.custom_domain import VALIDATION_TIMEOUT

    deploying = [
        job
        for job in jobs(all_sets()[name]).values()
        if any("make deploy" in str(step.get("run", "")) for step in steps(job))
    ]
    assert deploying, f"{name}: no job runs make deploy"
    for job in deploying:
        assert _minutes(VALIDATION_TIMEOUT) <= float(job["timeout-minutes"]) - 10
