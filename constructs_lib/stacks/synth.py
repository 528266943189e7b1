"""The synth entry point of a CORA project: ``sys.exit(run(config_dir))`` is a whole ``main.py``.

Reads the settings below and the ``<env>.toml`` files, builds every stack, applies the organisation
policy, then writes Terraform JSON, so a bad config stops the run before anything is written (exit 2,
one ``error:`` line per problem). Settings from the environment (read here, never by a construct):

- ``CDKTF_OUTDIR``: output folder (default ``cdktf.out``), honoured by cdktf itself.
- ``CORA_CONFIG_DIR``: folder of the ``<env>.toml`` files (default: the ``config_dir`` passed in).
- ``CORA_ENVIRONMENTS``: comma-separated subset of ``dev,stg,prd,local`` (default: all).
- ``CORA_IMAGE_TAG``: the image tag to create services with (default: ``app.image_tag`` of the config).
- ``CORA_STATE_BACKEND=local``: keep state in a local file instead of S3 (tests, demos).
- ``CORA_SKIP_SERVICE=1``: leave out the App Runner service and secret rotation (the first deploy
  phase, before the secrets have values and the image is pushed).
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cdktf import App
from pydantic import ValidationError

from constructs_lib._runtime.kernel import exit_now
from constructs_lib._runtime.validation import format_validation_error
from constructs_lib.environment import check_environment
from constructs_lib.errors import ConfigError, CoraInfraError
from constructs_lib.policy.checked_synth import SynthWriteError, synth_app
from constructs_lib.stacks import build_app
from constructs_lib.stacks.config import EnvConfig, Environment, load_configs
from constructs_lib.stacks.config_files import display

__all__ = ["exit_now", "run"]

#: What builds the stacks from the validated configs (``constructs_lib.stacks.build_app`` by default).
BuildApp = Callable[..., None]


def _setting(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, default)
    if value not in allowed:
        raise ConfigError(f"{name}={value!r} is not allowed; use one of: {', '.join(map(repr, allowed))}")
    return value


def _project_environments(environments: Sequence[Environment | str] | None) -> list[str]:
    """The project's environments (``run(environments=...)``; default: all four), each once."""
    if environments is None:
        return [e.value for e in Environment]
    names = [str(check_environment(e, field="run(environments=...)")) for e in environments]
    if not names:
        raise ConfigError("run(environments=...) is empty; list the project's environments")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"run(environments=...) lists {', '.join(map(repr, repeated))} more than once")
    return names


def _environments(known: Sequence[str]) -> list[str]:
    """``CORA_ENVIRONMENTS``: some of the project's environments, each once (default: all of them)."""
    wanted = [e.strip() for e in os.environ.get("CORA_ENVIRONMENTS", ",".join(known)).split(",")]
    names = [e for e in wanted if e]
    if not names:
        raise ConfigError(f"CORA_ENVIRONMENTS is empty; list some of: {', '.join(known)}")
    for name in names:
        if name not in known:
            raise ConfigError(
                f"CORA_ENVIRONMENTS: environment {name!r} is unknown; allowed: {', '.join(known)}"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(
            f"CORA_ENVIRONMENTS lists {', '.join(map(repr, repeated))} more than once; list each once"
        )
    return names


def _config_dir(default: Path) -> Path:
    """``CORA_CONFIG_DIR`` (default: ``default``), which must be a folder."""
    given = os.environ.get("CORA_CONFIG_DIR")
    folder = Path(given or default)
    if not folder.is_dir():
        name = f"CORA_CONFIG_DIR={given!r}" if given else f"config folder {str(folder)!r}"
        raise ConfigError(f"{name} is not a folder; point CORA_CONFIG_DIR at the folder of <env>.toml files")
    return folder


def _outdir_problem(outdir: str) -> str | None:
    """Why ``CDKTF_OUTDIR`` cannot hold the output (checked before anything is written), or ``None``."""
    path = Path(outdir)
    if path.exists() and not path.is_dir():
        return f"CDKTF_OUTDIR={outdir!r} is a file, not a folder; name a folder (it is created if missing)"
    ancestor = next((p for p in (path, *path.parents) if p.exists()), None)
    if ancestor is not None and not ancestor.is_dir():
        return (
            f"CDKTF_OUTDIR={outdir!r}: cannot create the output folder, {str(ancestor)!r} is not a folder; "
            "name a folder that can be created"
        )
    return None


def _stack_being_built(app: App, files: Mapping[str, str]) -> str:
    """The config file(s) and stack that were being built when a construct refused its props."""
    children = app.node.children
    stack = children[-1].node.id if children else ""
    # Environment stacks are named after the environment; bootstrap stacks list theirs after "bootstrap-".
    environments = [stack] if stack in files else stack.split("-")[1:]
    named = ", ".join(files[e] for e in environments if e in files) or "the configs"
    return f"{named} (while building stack {stack!r})" if stack else named


def _takes_project_root(build: BuildApp) -> bool:
    """Whether ``build`` accepts ``project_root=`` (builds written before it existed do not)."""
    try:
        parameters = inspect.signature(build).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "project_root" or p.kind is p.VAR_KEYWORD for p in parameters)


def _build(
    app: App,
    configs: Sequence[EnvConfig],
    config_dir: Path,
    *,
    local_state: bool,
    build: BuildApp,
    project_root: Path,
) -> None:
    """``build_app``, with a construct's refusal worded like a config error (config checks should
    catch everything first; this is the fallback)."""
    files = {c.environment.value: display(config_dir / f"{c.environment.value}.toml") for c in configs}
    extra = {"project_root": project_root} if _takes_project_root(build) else {}
    try:
        build(app, configs, local_state=local_state, **extra)
    except ValidationError as err:
        source = _stack_being_built(app, files)
        raise ConfigError(format_validation_error(err, source=source, qualify=True)) from None
    except ValueError as err:  # CoraInfraError and the plain ValueErrors constructs raise for bad input
        raise ConfigError(f"{_stack_being_built(app, files)}: {err}") from None


def _no_domain_note(config: EnvConfig) -> str:
    """Which URLs an environment without a ``[domain]`` uses (said on every synth, so no one is surprised)."""
    origins = ", ".join(config.cors_config.allow_origins)
    where = (
        "the load balancer's DNS name over plain HTTP (no certificate without a domain)"
        if config.app.compute.value == "ecs"
        else "App Runner's generated URL"
    )
    return (
        f"note: {config.environment.value} has no [domain]: the app runs at {where} "
        "(output app_url) and the API at its execute-api URL (output api_url, also the app's "
        f"NEXT_PUBLIC_API_URL); CORS admits {origins}; NEXTAUTH_URL is not set, AUTH_TRUST_HOST=true makes "
        "NextAuth take its URL from the request. Add a [domain] table for your own names."
    )


def run(
    config_dir: Path | str = "config",
    *,
    build: BuildApp | None = None,
    environments: Sequence[Environment | str] | None = None,
    project_root: Path | str | None = None,
) -> int:
    """Build and synthesize the stacks from ``config_dir`` (``$CORA_CONFIG_DIR`` wins); return the exit code.

    ``environments``: the project's environments, each with its ``<env>.toml`` (default: dev, stg, prd
    and local); ``CORA_ENVIRONMENTS`` selects some of them.

    ``build(app, configs, local_state=..., project_root=...)`` adds the stacks (default
    :func:`constructs_lib.stacks.build_app`); pass your own to add more (one without a
    ``project_root`` parameter is called without it). ``project_root``, where the ``[modules]``
    feature modules are found, defaults to the config folder's parent.
    """
    build = build or build_app
    overrides: dict[str, object] = {}
    origins: dict[str, str] = {}
    if os.environ.get("CORA_IMAGE_TAG"):
        overrides["app.image_tag"] = os.environ["CORA_IMAGE_TAG"]
        origins["app.image_tag"] = "CORA_IMAGE_TAG"
    # Read here, not by the jsii kernel: its environment is fixed when it starts.
    outdir = os.environ.get("CDKTF_OUTDIR") or "cdktf.out"
    try:
        if _setting("CORA_SKIP_SERVICE", ("", "0", "1"), "") == "1":
            overrides["app.create_service"] = False
        local_state = _setting("CORA_STATE_BACKEND", ("s3", "local"), "s3") == "local"
        environments = _environments(_project_environments(environments))
        config_dir = _config_dir(Path(config_dir))
        problems: list[str] = []
        try:
            configs = load_configs(environments, config_dir, overrides=overrides, origins=origins)
        except ConfigError as err:
            problems.append(str(err))
        outdir_problem = _outdir_problem(outdir)
        if outdir_problem:
            problems.append(outdir_problem)
        if problems:
            raise ConfigError("\n".join(problems))
        root = Path(project_root) if project_root is not None else config_dir.absolute().parent
        # Builds, checks the organisation rules of every stack and writes them, each rendered once;
        # nothing reaches the output folder when a rule is broken.
        synth_app(
            outdir,
            lambda app: _build(
                app, configs, config_dir, local_state=local_state, build=build, project_root=root
            ),
        )
    except SynthWriteError as wrapped:
        cause = wrapped.__cause__ or wrapped
        # The jsii kernel raises RuntimeError whose message starts with the cause (ENOTDIR, EACCES, ...).
        text = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
        reason = next((line.strip() for line in text.splitlines() if line.strip()), type(cause).__name__)
        print(f"error: CDKTF_OUTDIR={outdir!r}: cannot write the stacks: {reason}", file=sys.stderr)
        return 2
    except (CoraInfraError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for config in configs:
        if config.domain is None:
            print(_no_domain_note(config), file=sys.stderr)
    return 0
