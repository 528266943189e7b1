#!/usr/bin/env python3
"""The new-project check (``make new-projects``, in ``make test``): ``cora-infra new`` as a team meets it.

Outside the repository (a temporary folder), from this checkout:

1. build the wheel and install it into a clean venv, as the consumer check does
   (``scripts/consumer_check.py``): that venv's ``cora-infra new`` generates the projects;
2. make a git repository of the same copy of the checkout (the files git tracks or would track, so
   uncommitted work is what is tested) and tag it ``v<version>``: the "private cora-infra repository";
3. for each layout, ``cora-infra new acme --region eu-west-1 [--layout two-repo]`` with the default
   ``--library-url``, then the generated README's test command (``make test``) in the generated project,
   which installs cora-infra as in CI: pip clones ``git+<library URL>@v<version>`` and builds it, git
   being pointed at the temporary repository for that URL only (``GIT_CONFIG_*``:
   ``url.<file URL>.insteadOf=<library URL>``, the generated README's offline way). The mono-repo runs
   with a fake ``CORA_INFRA_TOKEN`` (CI's path: the Makefile adds its credential helper and keeps the
   mapping; the token must never appear in the output) in a venv of its own, the two-repo one without
   (a developer's own git) in the mono-repo project's venv, active (``VIRTUAL_ENV``: the README's other
   way; it saves a second install of the provider bindings). The installed cora-infra must record the
   tag's commit (PEP 610), the project's snapshots pass
   unchanged (``cora-infra new`` wrote them), ``cora-infra check`` be clean; nothing from this
   checkout is on its path and its Terraform config is its own;
4. this repository's workflow gate (``scripts/lint_workflows.py``: SHA pins, zizmor, actionlint,
   yamllint) on each generated ``.github/`` (checkov and hadolint scan them in ``make scan``);
5. a third variant, ``ecs``: the mono-repo layout with ``--compute ecs``, checked with the cheapest steps
   that still prove its own tests pass: ``make check unit`` (install, ``cora-infra check``, pytest:
   synth, snapshots, ``terraform validate``) in the active venv. Its Python and workflows are the
   mono-repo's but for the ECS branch of ``tests/test_stacks.py``, so lint and types are not re-run
   and its ``.github/`` must equal the mono-repo's byte for byte (the gate runs when it has nothing
   to compare with). Measured on 2 busy cores: ~120 s (``new`` 8 s; install in the active venv ~40 s,
   ``cora-infra check`` 9 s, pytest 58 s) beside the mono-repo's ~175 s.

    .venv/bin/python scripts/new_project_check.py [--keep] [--layout monorepo|two-repo|ecs ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

# Run as a script (``python scripts/new_project_check.py``), only ``scripts/`` itself is on sys.path.
if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.consumer_check import (
    ROOT,
    StepFailedError,
    Timing,
    build_and_install,
    outside_env,
    run,
    run_in_workdir,
)

#: What ``cora-infra new`` is run with per checked variant: the two layouts, and ECS (``--compute ecs``).
VARIANTS: Mapping[str, tuple[str, ...]] = {
    "monorepo": ("--layout", "monorepo"),
    "two-repo": ("--layout", "two-repo"),
    "ecs": ("--layout", "monorepo", "--compute", "ecs"),
}
#: The make targets of the ECS variant: its README's ``make test`` without lint and typecheck.
ECS_TARGETS = ("make", "check", "unit")
SCAN_VENV = ROOT / ".venv-scan"
REGION = "eu-west-1"
FAKE_TOKEN = "fake-cora-infra-token-for-the-new-project-check"
_TEST_COMMAND = re.compile(r"^(make test)\b")
_REFERENCE = re.compile(r"cora-infra(\[[a-z,]+\])? @ git\+(?P<url>https://\S+)@(?P<tag>v[0-9][^@\s]*)")
# Only this check's identity and none of the user's git config (hooks, signing) makes the repository.
_GIT = [
    "git",
    "-c",
    "user.name=new-project check",
    "-c",
    "user.email=check@invalid",
    "-c",
    "commit.gpgsign=false",
]


def readme_test_command(readme: str) -> list[str]:
    """The test command of a generated README: the ``make test`` line of its "Two commands" block."""
    section = readme.split("## Two commands", 1)[-1]
    block = section.split("```sh", 1)[-1].split("```", 1)[0]
    for line in block.splitlines():
        match = _TEST_COMMAND.match(line.strip())
        if match:
            return match[1].split()
    raise StepFailedError("the generated README names no `make test` command in its 'Two commands' block")


def library_reference(pyproject: str) -> tuple[str, str]:
    """``(library URL, tag)`` of a generated ``pyproject.toml``'s ``cora-infra @ git+<url>@<tag>``."""
    dependencies = tomllib.loads(pyproject)["project"]["dependencies"]
    for dependency in dependencies:
        match = _REFERENCE.fullmatch(dependency)
        if match:
            return match["url"], match["tag"]
    raise StepFailedError(f"the generated pyproject.toml asks for no cora-infra git tag: {dependencies}")


def with_git_config(env: Mapping[str, str], pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """``env`` with git config ``pairs`` added through ``GIT_CONFIG_*``, after any already there."""
    result = dict(env)
    start = int(result.get("GIT_CONFIG_COUNT", "0") or "0")
    for index, (key, value) in enumerate(pairs, start=start):
        result[f"GIT_CONFIG_KEY_{index}"] = key
        result[f"GIT_CONFIG_VALUE_{index}"] = value
    result["GIT_CONFIG_COUNT"] = str(start + len(pairs))
    return result


def project_env(*, token: str | None = None) -> dict[str, str]:
    """A new project's environment: ours without our venvs, settings or Terraform config, with
    ``CORA_INFRA_TOKEN`` set to ``token`` (or unset), git never prompting."""
    # Our make's jobserver and -j must not reach the project's make.
    drop = {"TF_CLI_CONFIG_FILE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    env = outside_env(drop=drop, prefixes=("CORA_", "MYPY_"))
    env["GIT_TERMINAL_PROMPT"] = "0"
    if token is not None:
        env["CORA_INFRA_TOKEN"] = token
    return env


def library_repository(source: Path, version: str, timings: list[Timing]) -> str:
    """Make ``source`` (the copy of the checkout) a git repository tagged ``v<version>``; the tag's commit."""
    env = {
        **outside_env(drop=set(), prefixes=("GIT_",)),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for step, command in (
        ("git init", [*_GIT, "init", "-q", "-b", "main"]),
        ("git add", [*_GIT, "add", "-A"]),  # the copy's .gitignore keeps the wheel build's output out
        ("git commit", [*_GIT, "commit", "-q", "-m", f"cora-infra {version}: this checkout's files"]),
        ("git tag", [*_GIT, "tag", f"v{version}"]),
    ):
        run(f"library repository: {step}", command, cwd=source, env=env, timings=timings)
    said = run("library repository: tag", [*_GIT, "rev-parse", f"v{version}^{{commit}}"], cwd=source, env=env,
               timings=timings)  # fmt: skip
    return said.strip()


def installed_commit(venv: Path) -> str | None:
    """The commit pip recorded for the venv's cora-infra (PEP 610 ``direct_url.json``)."""
    for record in venv.glob("lib/python3*/site-packages/cora_infra-*.dist-info/direct_url.json"):
        vcs = json.loads(record.read_text(encoding="utf-8")).get("vcs_info", {})
        return str(vcs.get("commit_id")) if vcs.get("vcs") == "git" else None
    return None


def check_layout(
    work: Path, layout: str, commit: str, timings: list[Timing], venv: Path | None = None
) -> Path:
    """Generate one variant (:data:`VARIANTS`), run its README's test command (``ecs``:
    :data:`ECS_TARGETS`; cora-infra from git) in its own ``.venv`` or the active ``venv``, lint its
    workflows; returns the venv it used."""
    parent = work / layout
    parent.mkdir()
    tool = work / "venv" / "bin" / "cora-infra"
    token = FAKE_TOKEN if layout == "monorepo" else None
    env = project_env(token=token)
    run(f"cora-infra new ({layout})", [tool, "new", "acme", "--region", REGION, *VARIANTS[layout]],
        cwd=parent, env=env, timings=timings)  # fmt: skip
    (project,) = (p for p in parent.iterdir() if not p.name.startswith("."))
    snapshots = {p: p.read_bytes() for p in sorted(project.glob("tests/__snapshots__/**/*.json"))}
    if not snapshots:
        raise StepFailedError(f"{project}: cora-infra new wrote no snapshots")
    library_url, tag = library_reference((project / "pyproject.toml").read_text(encoding="utf-8"))
    folder = work / "src"  # the library repository (library_repository)
    if tag != f"v{_version(folder)}":
        raise StepFailedError(f"{layout}: the project pins {tag}, this checkout is v{_version(folder)}")
    env = with_git_config(env, [(f"url.{folder.as_uri()}.insteadOf", library_url)])
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
    command = readme_test_command((project / "README.md").read_text(encoding="utf-8"))
    if layout == "ecs":
        command = list(ECS_TARGETS)
    said = run(f"{' '.join(command)} ({layout})", command, cwd=project, env=env, timings=timings)
    summary = re.search(r"=+ (\d+) passed(?:, [^=]*)? in [0-9.]+s", said)
    if summary is None or re.search(r"\b(failed|error|skipped)\b", summary[0]):
        raise StepFailedError(f"{layout}: pytest did not report only passes:\n{said[-3000:]}")
    if FAKE_TOKEN in said:
        raise StepFailedError(f"{layout}: make test printed CORA_INFRA_TOKEN's value")
    used = venv or project / ".venv"
    installed = installed_commit(used)
    if installed != commit:
        raise StepFailedError(
            f"{layout}: cora-infra was installed from {installed}, not git {tag} ({commit})"
        )
    changed = [str(p.relative_to(project)) for p, data in snapshots.items() if p.read_bytes() != data]
    if changed:
        raise StepFailedError(f"{layout}: make test changed the snapshots cora-infra new wrote: {changed}")
    if "ok: no problems" not in said:
        raise StepFailedError(f"{layout}: cora-infra check did not pass:\n{said[-3000:]}")
    workflows = "workflows clean"
    monorepo = work / "monorepo" / "acme"
    if layout == "ecs" and monorepo.is_dir():
        if _tree(project / ".github") != _tree(monorepo / ".github"):
            raise StepFailedError("ecs: the generated .github/ differs from the mono-repo project's")
        workflows = "workflows the mono-repo's"
    else:
        run(f"workflow gate ({layout})", [
            sys.executable, ROOT / "scripts" / "lint_workflows.py", "--root", project,
            "--zizmor", SCAN_VENV / "bin" / "zizmor", "--yamllint", SCAN_VENV / "bin" / "yamllint",
        ], cwd=ROOT, env=env, timings=timings)  # fmt: skip
    how = "with CORA_INFRA_TOKEN" if token else "with the developer's git"
    where = "its own .venv" if venv is None else "the active venv"
    print(
        f"{layout}: cora-infra from git {library_url}@{tag} ({commit[:12]}, {how}, {where}), "
        f"{summary[1]} tests passed, snapshots unchanged, cora-infra check ok, {workflows}"
    )
    return used


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path → bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _version(source: Path) -> str:
    match = re.search(r'^__version__ = "([^"]+)"', (source / "constructs_lib/__init__.py").read_text(), re.M)
    if match is None:
        raise StepFailedError(f"{source}: constructs_lib/__init__.py has no __version__")
    return match[1]


def main(argv: Sequence[str] | None = None) -> int:
    """Every layout in a temporary folder; 0 on success, 1 on the first failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    parser.add_argument(
        "--layout",
        action="append",
        choices=list(VARIANTS),
        help="default: all three (ecs: the mono-repo layout with --compute ecs)",
    )
    args = parser.parse_args(argv)
    layouts = args.layout or list(VARIANTS)

    def body(work: Path, timings: list[Timing]) -> None:
        build_and_install(work, timings, mypy=False)
        commit = library_repository(work / "src", _version(work / "src"), timings)
        venv: Path | None = None
        for layout in layouts:
            # The first variant installs into its own .venv; the next ones use it, active.
            venv = check_layout(work, layout, commit, timings, venv)

    what = f"{', '.join(layouts)}: cora-infra new, make test with cora-infra from git, workflow gate"
    return run_in_workdir("new-project check", what, body, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
