"""What the workflows do, ours and a generated project's (issue 20, section C), read from the parsed YAML
with the expressions evaluated for an event (tests/github_expressions.py): which jobs run for a pull
request from a fork, which concurrency group a deploy waits in, which steps see the cora-infra token.

The hygiene of the same files (pins, zizmor, actionlint, yamllint) is tests/scan/test_lint_workflows.py.
"""

from __future__ import annotations

import pytest

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
