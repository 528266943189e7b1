"""What the workflows do, ours and a generated project's (issue 20, section C), read from the parsed YAML
with the expressions evaluated for an event (tests/github_expressions.py): which jobs run for a pull
request from a fork, which concurrency group a deploy waits in, which steps see the cora-infra token.

The hygiene of the same files (pins, zizmor, actionlint, yamllint) is tests/scan/test_lint_workflows.py.
"""

from __future__ import annotations

import pytest

from tests.github_expressions import condition
from tests.workflow_files import (
    all_sets,
    context,
    jobs,
    steps,
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
