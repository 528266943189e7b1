"""``cora-infra check [path]``: is this folder a CORA infra project, laid out as its layout needs?

:func:`check_project` tells a mono-repo from a two-repo project (declared in ``config/*.toml``
``[modules] layout``, against the evidence on disk), then reports what is missing or misplaced:
``cdktf.json``/``main.py``, a config per environment (each validated), the deploy workflows, the
Dockerfile and the feature modules' paths. :func:`format_report` gives the lines the CLI prints, one per
finding with its fix. The rules live in :mod:`constructs_lib.scaffold.check_rules`.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from constructs_lib._runtime.validation import FROZEN
from constructs_lib.api.feature_modules import ModuleLayout
from constructs_lib.environment import Environment
from constructs_lib.errors import ConfigError
from constructs_lib.scaffold.check_rules import (
    Finding,
    ProjectFacts,
    config_findings,
    dockerfile_findings,
    module_findings,
    root_findings,
    workflow_findings,
)
from constructs_lib.stacks.config_files import display, read_config

__all__ = ["CheckReport", "Finding", "check_project", "format_report"]

_SKIP_DIRS = frozenset({"node_modules", "cdktf.out", "__pycache__", "site-packages"})


class CheckReport(BaseModel):
    """What :func:`check_project` found: the layout, why, and every finding (none: the project is fine)."""

    model_config = FROZEN

    root: Path
    layout: ModuleLayout | None
    """The declared layout (config ``[modules] layout``), else the one the files on disk show; ``None``
    when neither tells."""
    layout_reason: str
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """No findings: ``cora-infra check`` exits 0."""
        return not self.findings


def _project_files(root: Path) -> tuple[str, ...]:
    """Files under ``root`` (POSIX, relative), without tool folders, hidden caches and nested projects
    (a folder with its own ``cdktf.json``, such as a test fixture, is checked on its own)."""
    files: list[str] = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP_DIRS
            and not d.startswith((".venv", "cdktf.out"))  # cdktf.out.scan: scratch copies of the output
            # Hidden folders are tool caches and VCS data (.git, .mypy_cache, .terraform), except
            # .github: a workflow misplaced in .github/ is one of the things to find.
            and (not d.startswith(".") or d == ".github")
            and not (here / d / "cdktf.json").exists()
        )
        prefix = here.relative_to(root).as_posix()
        files.extend(name if prefix == "." else f"{prefix}/{name}" for name in sorted(names))
    return tuple(files)


def _read_raw(root: Path) -> dict[str, dict[str, Any]]:
    raw: dict[str, dict[str, Any]] = {}
    for env in Environment:
        path = root / "config" / f"{env.value}.toml"
        if path.exists():
            try:
                raw[env.value] = read_config(path, display(path))
            except ConfigError:
                continue  # reported by the config rule, with the reason
    return raw


def _project_name(root: Path, raw: dict[str, dict[str, Any]]) -> str | None:
    names: list[str] = [data["project"] for data in raw.values() if isinstance(data.get("project"), str)]
    if names:
        return Counter(names).most_common(1)[0][0]
    # Without a readable config, a two-repo checkout's folder name still tells the project.
    return root.name.removesuffix("-infra") if root.name.endswith("-infra") else None


def _declared(raw: dict[str, dict[str, Any]]) -> tuple[ModuleLayout | None, str, list[Finding]]:
    """The layout the configs declare (absent: the library default), or a finding when they differ."""
    if not raw:
        return None, "no readable config", []
    says: dict[str, tuple[ModuleLayout, bool]] = {}
    for env, data in raw.items():
        modules = data.get("modules")
        value = modules.get("layout") if isinstance(modules, dict) else None
        if value is None:
            says[env] = (ModuleLayout.MONOREPO, False)
        elif value in {layout.value for layout in ModuleLayout}:
            says[env] = (ModuleLayout(value), True)
        # An invalid value is the config rule's finding (with the allowed values).
    layouts = {layout for layout, _ in says.values()}
    if len(layouts) > 1:
        detail = ", ".join(
            f"config/{env}.toml {layout.value!r}{'' if explicit else ' (default)'}"
            for env, (layout, explicit) in says.items()
        )
        finding = Finding(
            path="config",
            problem=f"the config files disagree on [modules] layout: {detail}",
            fix="set the same [modules] layout in every config file",
        )
        return None, "config files disagree on [modules] layout", [finding]
    if not layouts:
        return None, "no valid [modules] layout in config", []
    layout = layouts.pop()
    if any(explicit for _, explicit in says.values()):
        return layout, "config [modules] layout", []
    return layout, "no [modules] layout in config: the library default", []


Evidence = dict[ModuleLayout, list[tuple[str, str]]]


def _evidence(root: Path, project: str | None) -> tuple[Evidence, str | None]:
    """(path, description) of what the files on disk show, by layout; and a weak hint (folder name)."""
    mono = [
        (name.rstrip("/"), f"{name} beside cdktf.json")
        for name, is_there in (
            ("packages/", (root / "packages").is_dir()),
            ("apps/", (root / "apps").is_dir()),
            ("pnpm-workspace.yaml", (root / "pnpm-workspace.yaml").is_file()),
        )
        if is_there
    ]
    two = []
    if project and (root.parent / f"{project}-stack").is_dir():
        two.append((f"../{project}-stack", f"../{project}-stack exists"))
    # The folder name is a hint only: a checkout can be named anything (GitHub Actions checks a
    # mono-repo out as <repo>/<repo>, and this library's own repository is cora-infra).
    hint = f"folder named {root.name}" if project and root.name == f"{project}-infra" else None
    return {ModuleLayout.MONOREPO: mono, ModuleLayout.TWO_REPO: two}, hint


def _disagreement(
    declared: ModuleLayout, other: ModuleLayout, items: list[tuple[str, str]], project: str | None
) -> Finding:
    path = items[0][0]
    if other is ModuleLayout.MONOREPO:
        alternative = f"move {path} into {f'{project}-stack' if project else 'the app repository'}"
    else:
        alternative = f"remove the {path} checkout"
    what = ", ".join(text for _, text in items)
    return Finding(
        path=path,
        problem=f"config [modules] layout is {declared.value!r} but {what} (the {other.value} layout)",
        fix=f'set [modules] layout = "{other.value}" in every config file, or {alternative}',
    )


def _layout(
    root: Path, raw: dict[str, dict[str, Any]], project: str | None
) -> tuple[ModuleLayout | None, str, list[Finding]]:
    declared, reason, found = _declared(raw)
    evidence, hint = _evidence(root, project)
    shown = [text for items in evidence.values() for _, text in items] + ([hint] if hint else [])
    reason = "; ".join([reason, *shown] if shown else [reason, "no layout evidence on disk"])
    if declared is None:
        strong = [layout for layout, items in evidence.items() if items]
        if len(strong) == 1:
            return strong[0], reason, found
        return (ModuleLayout.TWO_REPO if hint and not strong else None), reason, found
    for other, items in evidence.items():
        if other is not declared and items:
            found.append(_disagreement(declared, other, items, project))
    return declared, reason, found


def check_project(root: Path) -> CheckReport:
    """Check the CORA infra project at ``root`` (a folder); read-only, and fast (nothing synthesizes)."""
    raw = _read_raw(root)
    project = _project_name(root, raw)
    layout, reason, layout_found = _layout(root, raw, project)
    facts = ProjectFacts(root=root, files=_project_files(root), raw=raw, project=project, layout=layout)
    found_configs, configs = config_findings(facts)
    findings = (
        *layout_found,
        *root_findings(facts),
        *found_configs,
        *workflow_findings(facts),
        *dockerfile_findings(facts),
        *module_findings(facts, configs),
    )
    return CheckReport(root=root, layout=layout, layout_reason=reason, findings=findings)


def format_report(report: CheckReport) -> list[str]:
    """The lines ``cora-infra check`` prints: the layout and why, one line per finding, a summary."""
    layout = report.layout.value if report.layout else "unknown"
    count = len(report.findings)
    summary = "ok: no problems" if report.ok else f"{count} problem{'s' if count > 1 else ''}"
    return [f"layout: {layout} ({report.layout_reason})", *(f.line() for f in report.findings), summary]
