"""The rules of ``cora-infra check``: each takes what :func:`~constructs_lib.scaffold.check.check_project`
found on disk (:class:`ProjectFacts`) and returns its :class:`Finding` s, each naming a path and a fix.

Rules read files and never write; a broken config is a finding, never an exception, so every other rule
still runs.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, field_validator

from constructs_lib._runtime.validation import FROZEN
from constructs_lib.api.feature_modules import ModuleLayout, check_module_source, module_source_dir
from constructs_lib.environment import Environment
from constructs_lib.errors import ConfigError, CoraInfraError
from constructs_lib.stacks.config import EnvConfig, load_config
from constructs_lib.stacks.config_checks import shared_state_problems
from constructs_lib.stacks.config_files import display

REQUIRED_ENVIRONMENTS = (Environment.DEV, Environment.STG, Environment.PRD)
"""Every CORA project deploys these; ``local`` (the emulators) is optional."""
WORKFLOWS = ("deploy-infra", "deploy-app")
"""Workflows both layouts need in ``.github/workflows/`` (``.yml`` or ``.yaml``)."""
README_CONFIG_RULES = "see the README's Config rules"

_INPUT_SHOULD_BE = re.compile(r"^(?P<key>[\w.\[\]-]+): Input should be (?P<allowed>.+) \(got .+\)$")


class Finding(BaseModel):
    """One problem of a project: where it is, what is wrong (naming the value) and the one fix."""

    model_config = FROZEN

    path: str
    """Relative to the checked root, POSIX style (``config/stg.toml``, ``../acme-stack/Dockerfile``)."""
    problem: str
    fix: str

    @field_validator("path", "problem", "fix")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # A finding prints as one line: a message that spans lines (a TOML parse error) is folded.
        return " ".join(value.split())

    def line(self) -> str:
        """``<path>: <problem>; fix: <fix>``, on one line."""
        return f"{self.path}: {self.problem}; fix: {self.fix}"


@dataclass(frozen=True)
class ProjectFacts:
    """What the rules look at, gathered once: the root, its files and its configs as read."""

    root: Path
    files: tuple[str, ...]
    """Every file under the root (POSIX, relative), without tool folders and nested projects."""
    raw: dict[str, dict[str, Any]]
    """``config/<env>.toml`` as TOML data, by environment, for each file that parses."""
    project: str | None
    layout: ModuleLayout | None


def rel(root: Path, path: Path) -> str:
    """``path`` relative to ``root``, POSIX style, ``..`` allowed (a sibling repository)."""
    return Path(os.path.relpath(path.absolute(), root.absolute())).as_posix()


# -- 2. project root ------------------------------------------------------------------------------------
def root_findings(facts: ProjectFacts) -> list[Finding]:
    """``cdktf.json`` (valid JSON with an ``"app"``) and ``main.py`` at the root."""
    fix = "run check on the project root (the folder of cdktf.json), or generate one with `cora-infra new`"
    found = [
        Finding(path=name, problem="missing at the project root", fix=fix)
        for name in ("cdktf.json", "main.py")
        if not (facts.root / name).is_file()
    ]
    cdktf = facts.root / "cdktf.json"
    if cdktf.is_file():
        try:
            data = json.loads(cdktf.read_text(encoding="utf-8"))
        except (ValueError, OSError) as err:
            found.append(Finding(path="cdktf.json", problem=f"not valid JSON ({err})", fix="fix the JSON"))
        else:
            if not isinstance(data, dict) or not isinstance(data.get("app"), str) or not data["app"]:
                found.append(
                    Finding(
                        path="cdktf.json",
                        problem='has no "app" (the command that synthesizes the stacks)',
                        fix='add "app": "python main.py"',
                    )
                )
    return found


# -- 3. config per environment ------------------------------------------------------------------------
def config_findings(facts: ProjectFacts) -> tuple[list[Finding], list[EnvConfig]]:
    """Each environment's config in ``config/``, valid, with no two sharing state; the valid ones."""
    found: list[Finding] = []
    config_dir = facts.root / "config"
    names = ", ".join(e.value for e in Environment)
    for path in sorted(config_dir.glob("*.toml")):
        if path.stem not in {e.value for e in Environment}:
            found.append(
                Finding(
                    path=f"config/{path.name}",
                    problem=f"{path.stem!r} is not an environment; config files are named after one "
                    f"({names})",
                    fix=f"rename it to config/<environment>.toml ({names}) or move it out of config/",
                )
            )
    for env in REQUIRED_ENVIRONMENTS:
        if not (config_dir / f"{env.value}.toml").exists():
            found.append(_missing_config(facts, env.value))
    loaded: list[tuple[EnvConfig, str]] = []
    for env in Environment:
        path = config_dir / f"{env.value}.toml"
        if not path.exists() and not path.is_symlink():
            continue
        shown = f"config/{env.value}.toml"
        try:
            loaded.append((load_config(env.value, config_dir), shown))
        except ConfigError as err:
            prefix = f"{display(path)}: "
            for line in str(err).splitlines():
                found.append(config_line_finding(shown, line.removeprefix(prefix)))
    for line in shared_state_problems(loaded):
        files, _, rest = line.partition(": ")
        problem, fix = _split_fix(rest)
        found.append(Finding(path="config", problem=f"{files}: {problem}", fix=fix))
    return found, [config for config, _ in loaded]


def _missing_config(facts: ProjectFacts, env: str) -> Finding:
    target = f"config/{env}.toml"
    elsewhere = [f for f in facts.files if f.rsplit("/", 1)[-1] == f"{env}.toml" and f != target]
    if elsewhere:
        return Finding(
            path=elsewhere[0],
            problem=f"the {env} environment's config is not where cora-infra reads it ({target})",
            fix=f"move {elsewhere[0]} to {target}",
        )
    return Finding(
        path=target,
        problem=f"missing: every environment ({', '.join(e.value for e in REQUIRED_ENVIRONMENTS)}) needs "
        "its config file",
        fix=f"add {target} (copy another environment's and change its values)",
    )


def _split_fix(text: str) -> tuple[str, str]:
    # The library's messages say what is wrong, then after "; " what is allowed.
    problem, sep, allowed = text.partition("; ")
    return (problem, allowed) if sep else (text, README_CONFIG_RULES)


def config_line_finding(path: str, line: str) -> Finding:
    """One line of a :class:`ConfigError` as a finding: the fix is what the message allows."""
    match = _INPUT_SHOULD_BE.fullmatch(line)
    if match:
        return Finding(path=path, problem=line, fix=f"{match['key']} should be {match['allowed']}")
    problem, fix = _split_fix(line)
    return Finding(path=path, problem=problem, fix=fix)


# -- 4. workflows -------------------------------------------------------------------------------------
def workflow_findings(facts: ProjectFacts) -> list[Finding]:
    """The deploy workflows in ``.github/workflows/``, where GitHub runs them, and nowhere else."""
    found: list[Finding] = []
    for name in WORKFLOWS:
        names = (f"{name}.yml", f"{name}.yaml")
        placed = [f".github/workflows/{n}" for n in names if (facts.root / ".github/workflows" / n).is_file()]
        stray = [f for f in facts.files if f.rsplit("/", 1)[-1] in names and f not in placed]
        for path in stray:
            target = f".github/workflows/{path.rsplit('/', 1)[-1]}"
            if placed:
                found.append(
                    Finding(
                        path=path,
                        problem=f"a second {name} workflow, which GitHub never runs (it runs {placed[0]})",
                        fix=f"delete it, or merge what it adds into {placed[0]}",
                    )
                )
            else:
                found.append(
                    Finding(
                        path=path,
                        problem="GitHub runs workflows only from <repo root>/.github/workflows/",
                        fix=f"move it to {target}",
                    )
                )
        if not placed and not stray:
            found.append(
                Finding(
                    path=f".github/workflows/{name}.yml",
                    problem=f"missing: the {name} workflow deploys the "
                    + ("infrastructure" if name == "deploy-infra" else "app image"),
                    fix="add it (`cora-infra new` generates one for your layout)",
                )
            )
    return found


# -- 5. Dockerfile ------------------------------------------------------------------------------------
def _covers_env(dockerignore: Path) -> bool:
    for raw in dockerignore.read_text(encoding="utf-8", errors="replace").splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith(("#", "!")):
            continue
        pattern = pattern.lstrip("/").removeprefix("**/")
        if fnmatch.fnmatchcase(".env", pattern):
            return True
    return False


def _dockerignore_finding(facts: ProjectFacts, path: Path) -> list[Finding]:
    if path.is_file() and not _covers_env(path):
        return [
            Finding(
                path=rel(facts.root, path),
                problem="no pattern excludes .env files, so secrets would enter the image build context",
                fix="add the line **/.env*",
            )
        ]
    return []


def dockerfile_findings(facts: ProjectFacts) -> list[Finding]:
    """The web image's Dockerfile where its build context is: the mono-repo root or the app repository."""
    root = facts.root
    if facts.layout is ModuleLayout.MONOREPO:
        return _monorepo_dockerfile(facts)
    if facts.layout is not ModuleLayout.TWO_REPO:
        return []
    found: list[Finding] = []
    stack = f"{facts.project}-stack" if facts.project else None
    if (root / "Dockerfile").is_file():
        where = f"../{stack}/Dockerfile" if stack else "the app repository's root"
        found.append(
            Finding(
                path="Dockerfile",
                problem="the two-repo layout builds the app image in the app repository, not here",
                fix=f"move it to {where}",
            )
        )
    sibling = root.parent / stack if stack else None
    if sibling is not None and sibling.is_dir():
        if not (sibling / "Dockerfile").is_file():
            found.append(
                Finding(
                    path=f"../{stack}/Dockerfile",
                    problem=f"missing: the app image is built from {stack}'s root",
                    fix=f"add the web image's Dockerfile at the root of {stack}",
                )
            )
        found.extend(_dockerignore_finding(facts, sibling / ".dockerignore"))
    return found


def _monorepo_dockerfile(facts: ProjectFacts) -> list[Finding]:
    root = facts.root
    found: list[Finding] = []
    why = "the image's build context (the mono-repo root, with pnpm-lock.yaml and packages/)"
    for name in ("Dockerfile", ".dockerignore"):
        if (root / name).is_file():
            continue
        nested = sorted(rel(root, p) for p in root.glob(f"apps/*/{name}") if p.is_file())
        if nested:
            found.extend(
                Finding(path=path, problem=f"not at the root, {why}", fix=f"move it to the root ({name})")
                for path in nested
            )
        else:
            found.append(
                Finding(
                    path=name,
                    problem=f"missing at the root, {why}",
                    fix=f"add {name} (`cora-infra new` generates one)",
                )
            )
    return [*found, *_dockerignore_finding(facts, root / ".dockerignore")]


# -- 6. module paths ----------------------------------------------------------------------------------
def module_findings(facts: ProjectFacts, configs: list[EnvConfig]) -> list[Finding]:
    """Every listed module resolves; in a mono-repo, every module in ``packages/`` is listed."""
    found: list[Finding] = []
    listed: dict[tuple[str, ModuleLayout, str], list[str]] = {}
    for config in configs:
        for name in config.modules.names:
            key = (config.project, config.modules.layout, name)
            listed.setdefault(key, []).append(f"config/{config.environment.value}.toml")
    for (project, layout, name), files in listed.items():
        try:
            check_module_source(facts.root, project=project, layout=layout, name=name)
        except CoraInfraError as err:
            path = module_source_dir(facts.root, project=project, layout=layout, name=name)
            stack = facts.root.parent / f"{project}-stack"
            if layout is ModuleLayout.TWO_REPO and not stack.is_dir():
                fix = f"check out {project}-stack beside this repository (as ../{project}-stack)"
            else:
                fix = f"add the module's *.tf files to {rel(facts.root, path)}, or remove {name!r} from "
                fix += "[modules] names"
            found.append(
                Finding(path=rel(facts.root, path), problem=f"listed in {', '.join(files)}: {err}", fix=fix)
            )
    if facts.layout is ModuleLayout.MONOREPO:
        found.extend(_unlisted_modules(facts))
    return found


def _raw_names(facts: ProjectFacts) -> set[str]:
    # From the TOML as read, so a module listed by a config that fails validation is not "unlisted".
    names: set[str] = set()
    for data in facts.raw.values():
        modules = data.get("modules")
        listed = modules.get("names") if isinstance(modules, dict) else None
        if isinstance(listed, list):
            names.update(n for n in listed if isinstance(n, str))
    return names


def _unlisted_modules(facts: ProjectFacts) -> list[Finding]:
    listed = _raw_names(facts)
    found = []
    for folder in sorted((facts.root / "packages").glob("module-*/infrastructure")):
        name = folder.parent.name.removeprefix("module-")
        has_tf = any(folder.glob("*.tf")) or any(folder.glob("*.tf.json"))
        if has_tf and name not in listed:
            found.append(
                Finding(
                    path=rel(facts.root, folder),
                    problem=f"module {name!r} is listed in no environment's [modules] names, so no stack "
                    "deploys it",
                    fix=f"add {name!r} to [modules] names",
                )
            )
    return found
