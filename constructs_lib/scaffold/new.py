"""``cora-infra new``: a new CORA infra project, rendered from ``templates/`` and proven before it is written.

The order is what makes "nothing written" true for every refusal:

1. the options are checked (project name against every AWS name derived from it, region (one with
   App Runner for ``compute=apprunner``, any AWS region for ``ecs``), domain, the cora-infra
   repository's URL, target folder): all problems are reported at once;
2. every file is rendered in memory with Jinja2 (``templates/``, delimiters ``<%= %>``/``<% %>`` so
   that GitHub's ``${{ }}``, TOML's ``[[ ]]`` and shell stay literal) and parsed back (TOML, JSON,
   Python);
3. the files are written to a staging folder beside the target, the configs loaded and every stack
   synthesized there (the organisation policy included): the snapshots the project's tests compare
   against are these stacks;
4. the staging folder is renamed to the target in one step.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment as Jinja
from jinja2 import FileSystemLoader, StrictUndefined

from constructs_lib import __version__
from constructs_lib._runtime.validation import check_project_name
from constructs_lib.api.feature_modules import ModuleLayout
from constructs_lib.compute.web_service import Compute
from constructs_lib.dns.names import check_host_name
from constructs_lib.errors import CoraInfraError
from constructs_lib.scaffold.library_source import (
    GIT_CREDENTIAL_HELPER,
    TOKEN_VARIABLE,
    credential_key,
    default_library_url,
    library_url_problem,
    requirement,
)
from constructs_lib.scaffold.project_files import (
    ACTIONS,
    COMPUTE_ADVICE,
    DEV_PINS,
    ENVIRONMENTS,
    FILES,
    environment_settings,
    stack_names,
)
from constructs_lib.scaffold.regions import AWS_REGIONS, region_problem

__all__ = ["NewProject", "ScaffoldError", "default_target", "new_project", "render_project"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The snapshot of stack ``s`` (syrupy's JSON extension, test ``test_snapshot[s]`` of tests/test_stacks.py).
SNAPSHOT = "tests/__snapshots__/test_stacks/test_snapshot[{stack}].json"


class ScaffoldError(CoraInfraError):
    """``cora-infra new`` refused its input; one line per problem. Nothing was written."""


@dataclass(frozen=True)
class NewProject:
    """What :func:`new_project` wrote."""

    target: Path
    compute: Compute
    """The backend of every environment's web service (``[app] compute``)."""
    files: tuple[str, ...]
    """Every file written, relative to ``target``, sorted."""
    stacks: tuple[str, ...]
    library_url: str
    """The cora-infra git repository the project installs from (at tag ``v<version>``)."""


def default_target(project: str, layout: ModuleLayout) -> str:
    """The folder name CORA uses: ``<project>`` (mono-repo) or ``<project>-infra`` (two-repo)."""
    return project if layout is ModuleLayout.MONOREPO else f"{project}-infra"


def _library_url(library_url: str | None) -> tuple[str, str | None]:
    """``--library-url`` or its default, and why it cannot be used (``None``: it can)."""
    url = library_url if library_url is not None else default_library_url()
    if url is None:
        return "", (
            "--library-url: no default (this cora-infra was not installed from git and its metadata "
            "names no Source URL); give the https URL of the cora-infra git repository"
        )
    return url, library_url_problem(url)


def _region_problem(region: str, compute: Compute) -> str | None:
    if compute is Compute.APPRUNNER:
        return region_problem(region)
    if region not in AWS_REGIONS:  # ECS and Fargate run in every commercial region
        return f"--region {region!r} is not an AWS region; choose one of: {', '.join(sorted(AWS_REGIONS))}"
    return None


def _option_problems(
    project: str, region: str, domain: str | None, library_problem: str | None, compute: Compute
) -> list[str]:
    problems = []
    try:
        check_project_name(project)
    except ValueError as err:
        problems.append(str(err))
    problem = _region_problem(region, compute)
    if problem:
        problems.append(problem)
    if domain is not None:
        try:
            check_host_name(domain)
        except ValueError as err:
            problems.append(f"--domain: {err}")
        else:
            longest = f"api.stg.{domain}"
            if len(longest) > 253:
                problems.append(f"--domain {domain!r}: {longest!r} would exceed 253 characters")
    if library_problem:
        problems.append(library_problem)
    return problems


def _target_problem(target: Path) -> str | None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        return f"target {str(target)!r} exists and is not a folder; choose another --dir"
    if target.is_dir():
        entries = sorted(p.name for p in target.iterdir())
        if entries:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            return (
                f"target {str(target)!r} is not empty ({len(entries)} entries: {shown}); "
                "choose another --dir or an empty folder"
            )
    blocker = next((p for p in target.parents if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        return f"target {str(target)!r}: {str(blocker)!r} is not a folder"
    return None


def _context(
    project: str, region: str, layout: ModuleLayout, domain: str | None, library_url: str, *, compute: Compute
) -> dict[str, Any]:
    return {
        "project": project,
        "region": region,
        "layout": layout.value,
        "monorepo": layout is ModuleLayout.MONOREPO,
        "compute": compute.value,
        "ecs": compute is Compute.ECS,
        "backend": "ECS Fargate" if compute is Compute.ECS else "App Runner",
        "service_kind": "ECS service" if compute is Compute.ECS else "App Runner service",
        "domain": domain,
        "repo_name": default_target(project, layout),
        "stack_repo": f"{project}-stack",
        "version": __version__,
        "library_url": library_url,
        "library_host": urlsplit(library_url).netloc,
        # With the deploy extra: `make deploy` runs `cora-infra preflight` (boto3, dnspython).
        "requirement": requirement(library_url, extras=("deploy",)),
        "deploy_requirement": requirement(library_url, extras=("deploy",)),
        "token_variable": TOKEN_VARIABLE,
        "credential_key": credential_key(library_url),
        "credential_helper": GIT_CREDENTIAL_HELPER,
        "pins": DEV_PINS,
        "uses": {key: action.uses for key, action in ACTIONS.items()},
        "environments": [environment_settings(e, project, region, domain, compute) for e in ENVIRONMENTS],
        "stacks": stack_names(),
    }


def _jinja() -> Jinja:
    return Jinja(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<%=",
        variable_end_string="%>",
        comment_start_string="<%#",
        comment_end_string="#%>",
    )


def _parse_back(path: str, text: str) -> None:
    """Each rendered file must parse as what its name says (a template bug fails here, not in the project)."""
    if path.endswith(".toml"):
        tomllib.loads(text)
    elif path.endswith(".json"):
        json.loads(text)
    elif path.endswith(".py"):
        compile(text, path, "exec")


def render_project(
    project: str,
    *,
    region: str,
    layout: ModuleLayout = ModuleLayout.MONOREPO,
    domain: str | None = None,
    library_url: str | None = None,
    compute: Compute = Compute.APPRUNNER,
) -> dict[str, str]:
    """Every file of the project (relative path → text), rendered in memory; the snapshots are not
    among them (they need a synth: :func:`new_project`). Raises :class:`ScaffoldError` on bad options."""
    url, library_problem = _library_url(library_url)
    problems = _option_problems(project, region, domain, library_problem, compute)
    if problems:
        raise ScaffoldError("\n".join(problems))
    return _render(_context(project, region, layout, domain, url, compute=compute), layout)


def _render(context: Mapping[str, Any], layout: ModuleLayout) -> dict[str, str]:
    """Every file of ``layout``, rendered with ``context`` and parsed back (options checked already)."""
    jinja = _jinja()
    files: dict[str, str] = {}
    for spec in FILES:
        if layout not in spec.layouts:
            continue
        template = jinja.get_template(spec.template)
        for path, extra in spec.outputs(context):
            text = template.render({**context, **extra})
            _parse_back(path, text)
            files[path] = text
    return files


def _snapshot_text(stack_json: str) -> str:
    # What syrupy's JSONSnapshotExtension writes: keys sorted, two-space indent, non-ASCII kept.
    return json.dumps(json.loads(stack_json), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _synthesize(staging: Path) -> dict[str, str]:
    """Load the staged configs and synthesize every stack, as the project's ``main.py`` does."""
    from constructs_lib.policy.checked_synth import synth_app  # noqa: PLC0415 - the kernel work, only here
    from constructs_lib.stacks import build_app, load_configs  # noqa: PLC0415

    configs = load_configs([e.value for e in ENVIRONMENTS], staging / "config")
    outdir = Path(tempfile.mkdtemp(prefix="cora-new-synth-"))
    try:
        synth_app(str(outdir), lambda app: build_app(app, configs, project_root=staging))
        written = outdir / "stacks"
        return {p.name: (p / "cdk.tf.json").read_text(encoding="utf-8") for p in sorted(written.iterdir())}
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(folder: Path, files: Mapping[str, str]) -> None:
    for path, text in files.items():
        dest = folder / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")


def new_project(
    project: str,
    *,
    region: str,
    layout: ModuleLayout = ModuleLayout.MONOREPO,
    domain: str | None = None,
    target: Path | None = None,
    library_url: str | None = None,
    compute: Compute = Compute.APPRUNNER,
) -> NewProject:
    """Create the project in ``target`` (default ``./<project>``, two-repo ``./<project>-infra``).

    ``library_url`` is the https URL of the cora-infra git repository the project installs from, at the
    tag ``v<this version>`` (default: :func:`~constructs_lib.scaffold.library_source.default_library_url`).
    ``compute`` is every environment's ``[app] compute``: App Runner (the default; closed to new AWS
    customers since 30 April 2026) or ECS Fargate behind a load balancer, in a VPC (``[network]``).
    Raises :class:`ScaffoldError`, with nothing written, for a bad project name, region, domain or
    library URL, or a target that exists and is not an empty folder.
    """
    folder = (target or Path(default_target(project, layout))).absolute()
    url, library_problem = _library_url(library_url)
    problems = _option_problems(project, region, domain, library_problem, compute)
    target_problem = _target_problem(folder)
    if target_problem:
        problems.append(target_problem)
    if problems:
        raise ScaffoldError("\n".join(problems))
    files = _render(_context(project, region, layout, domain, url, compute=compute), layout)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    except OSError as err:
        raise ScaffoldError(f"target {str(folder)!r}: cannot write there: {err.strerror}") from None
    try:
        _write(staging, files)
        try:
            stacks = _synthesize(staging)
        except (CoraInfraError, ValueError) as err:
            raise ScaffoldError(f"the generated project does not synthesize: {err}") from None
        expected = stack_names()
        if sorted(stacks) != sorted(expected):
            raise ScaffoldError(f"the generated project synthesized {sorted(stacks)}; expected {expected}")
        snapshots = {SNAPSHOT.format(stack=s): _snapshot_text(text) for s, text in stacks.items()}
        _write(staging, snapshots)
        staging.chmod(0o777 & ~_umask())  # mkdtemp made it private; the project is an ordinary folder
        try:
            # rename(2) replaces an empty folder in one step and refuses a non-empty one.
            staging.rename(folder)
        except OSError as err:
            raise ScaffoldError(f"target {str(folder)!r}: cannot create it: {err.strerror}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return NewProject(
        target=folder,
        compute=compute,
        files=tuple(sorted([*files, *snapshots])),
        stacks=tuple(expected),
        library_url=url,
    )


def summary(result: NewProject, *, layout: ModuleLayout) -> Sequence[str]:
    """What the CLI prints after a successful ``new``: where, what, the two commands, and what the
    choice of compute means (App Runner: a new AWS account cannot use it)."""
    where = result.target
    return [
        f"created {where} ({layout.value} layout): {len(result.files)} files, "
        f"stacks {', '.join(result.stacks)}",
        *COMPUTE_ADVICE[result.compute],
        f"next: cd {where.name} && make test    # install, lint, type-check, synth, snapshots, validate",
        "      make synth                       # Terraform JSON in cdktf.out/stacks/<stack>/",
        f"cora-infra comes from git+{result.library_url}@v{__version__} (private): your git credentials, "
        f"or a read-only token in {TOKEN_VARIABLE}; see the project's README, 'Installing cora-infra'.",
    ]
