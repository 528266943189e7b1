"""Per-environment stacks of a CORA project and the config they are built from (public API).

A consuming project's ``main.py`` is ``sys.exit(constructs_lib.stacks.synth.run("config"))``; to add
stacks or resources of its own, it passes ``build=`` a function that calls :func:`build_app` (or
builds :class:`CoraAppStack` itself) and adds them. :func:`add_aws_provider` is the provider every
stack needs: it asks for ``~> 5.99`` (the bindings alone would pin exactly 5.99.1).
"""

from collections.abc import Sequence
from pathlib import Path

from cdktf import App

from constructs_lib import LocalBackendConfig
from constructs_lib.stacks.bootstrap_stack import StateBootstrapStack, bootstrap_stack_id
from constructs_lib.stacks.config import EnvConfig, Environment, load_config, load_configs
from constructs_lib.stacks.cora_app_stack import CoraAppStack
from constructs_lib.stacks.provider import add_aws_provider

__all__ = [
    "CoraAppStack",
    "EnvConfig",
    "Environment",
    "StateBootstrapStack",
    "add_aws_provider",
    "bootstrap_stack_id",
    "build_app",
    "load_config",
    "load_configs",
]


def build_app(
    app: App, configs: Sequence[EnvConfig], *, local_state: bool = False, project_root: Path | None = None
) -> None:
    """Add every environment stack, and one bootstrap stack per state bucket, to ``app``.

    ``project_root`` (the folder of ``cdktf.json`` and ``config/``) is where the ``[modules]`` feature
    modules are found; it is needed only when a config lists some.

    A state bucket lives in one account and region; the environments that keep their state in it are
    that bucket's group, and its bootstrap stack is ``bootstrap-<env>[-<env>...]`` (``bootstrap-prd``,
    ``bootstrap-local``): run it with that account's credentials before the first of them.
    """
    groups: dict[tuple[str, str, bool], list[EnvConfig]] = {}
    for config in configs:
        backend = (
            LocalBackendConfig(path=f"terraform.{config.environment.value}.tfstate") if local_state else None
        )
        CoraAppStack(app, config, backend=backend, project_root=project_root)
        state = config.s3_backend
        groups.setdefault((state.bucket, state.region, state.emulated), []).append(config)
    for (bucket, region, _), members in groups.items():
        first = members[0]
        StateBootstrapStack(
            app,
            bootstrap_stack_id(c.environment.value for c in members),
            project=first.project,
            bucket=bucket,
            region=region,
            account_id=next((c.account_id for c in members if c.account_id), None),
            emulator=first.emulator,
        )
