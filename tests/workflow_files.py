"""The workflows tests reason about: this repository's (``.github/workflows``) and a generated project's,
parsed with PyYAML, plus the questions those tests ask of them (which steps install, which run with
AWS credentials, what a job's concurrency group is for an event)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from constructs_lib.api.feature_modules import ModuleLayout
from constructs_lib.scaffold import render_project
from tests.github_expressions import evaluate_field

ROOT = Path(__file__).resolve().parents[1]
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials@"
TOKEN = "CORA_INFRA_TOKEN"

Workflow = dict[str, Any]


def parse(text: str) -> Workflow:
    """One workflow; PyYAML reads the key ``on`` as ``True`` (YAML 1.1): it is put back as ``"on"``."""
    data: Workflow = yaml.safe_load(text)
    if True in data:
        data["on"] = data.pop(True)  # type: ignore[call-overload]
    return data


def ours() -> dict[str, Workflow]:
    """This repository's workflows by file name (``ci.yml``, ...)."""
    return {
        p.name: parse(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / ".github/workflows").glob("*.yml"))
    }


def generated(layout: str, **options: Any) -> dict[str, Workflow]:
    """A generated project's workflows by file name (``cora-infra new acme --region eu-west-1``)."""
    files = render_project("acme", region="eu-west-1", layout=ModuleLayout(layout), **options)
    prefix = ".github/workflows/"
    return {path.removeprefix(prefix): parse(text) for path, text in files.items() if path.startswith(prefix)}


def all_sets() -> dict[str, dict[str, Workflow]]:
    """Ours and both generated layouts, keyed ``ours``, ``monorepo``, ``two-repo``."""
    return {"ours": ours(), **{layout.value: generated(layout.value) for layout in ModuleLayout}}


def jobs(workflows: Mapping[str, Workflow]) -> dict[str, dict[str, Any]]:
    """Every job as ``<file>:<job id>``."""
    return {f"{name}:{job_id}": job for name, wf in workflows.items() for job_id, job in wf["jobs"].items()}


def steps(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A job's steps (none for a job that calls a reusable workflow)."""
    return list(job.get("steps", []))


# Make targets that install first (``install`` is their prerequisite) when nothing installed before.
_MAKE_INSTALLING = (
    "make install",
    "make test",
    "make wheel",
    "make synth",
    "make plan",
    "make deploy",
    "make lock",
)


def install_steps(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The steps of a job that install (cora-infra, or our venv): ``make install`` or ``pip install``,
    or the first ``make`` target with ``install`` as prerequisite when nothing installed before it."""
    found, installed = [], False
    for step in steps(job):
        run = str(step.get("run", ""))
        lines = [line.strip() for line in run.splitlines()]
        explicit = "pip install" in run or any(line.startswith("make install") for line in lines)
        first = not installed and any(line.startswith(_MAKE_INSTALLING) for line in lines)
        if explicit or first:
            found.append(step)
            installed = True
    return found


def installs(step: Mapping[str, Any], job: Mapping[str, Any]) -> bool:
    """Whether ``step`` is one of ``job``'s :func:`install_steps`."""
    return any(step is found for found in install_steps(job))


def uses_aws(step: Mapping[str, Any]) -> bool:
    """Whether a step gets AWS credentials into the job."""
    return str(step.get("uses", "")).startswith(AWS_CREDENTIALS)


def context(event: str, **extra: Any) -> dict[str, Any]:
    """An expression context for ``event`` (``push``, ``workflow_dispatch``, ``pull_request``, ...)."""
    github: dict[str, Any] = {"event_name": event, "run_id": "4242", "repository": "org/acme", "sha": "abc"}
    github.update(extra.pop("github", {}))
    return {"github": github, "inputs": {}, "matrix": {}, "vars": {}, **extra}


def group(holder: Mapping[str, Any], ctx: Mapping[str, Any]) -> str | None:
    """The concurrency group a workflow or job takes in ``ctx`` (``None``: it declares none)."""
    concurrency = holder.get("concurrency")
    if concurrency is None:
        return None
    if isinstance(concurrency, str):
        return str(evaluate_field(concurrency, ctx))
    return str(evaluate_field(concurrency["group"], ctx))


def matrix_values(job: Mapping[str, Any], key: str, ctx: Mapping[str, Any]) -> list[Any]:
    """The values of a job's matrix ``key`` in ``ctx`` (a list, or an expression that gives one)."""
    values = evaluate_field(job["strategy"]["matrix"][key], ctx)
    assert isinstance(values, list), values
    return values
