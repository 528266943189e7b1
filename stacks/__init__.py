"""Per-environment stacks of a CORA project and the config they are built from."""

from collections.abc import Sequence

from cdktf import App

from constructs_lib import LocalBackendConfig
from stacks.bootstrap_stack import StateBootstrapStack
from stacks.config import EnvConfig, Environment, load_config
from stacks.cora_app_stack import CoraAppStack

__all__ = ["CoraAppStack", "EnvConfig", "Environment", "StateBootstrapStack", "build_app", "load_config"]


def build_app(app: App, configs: Sequence[EnvConfig], *, local_state: bool = False) -> None:
    """Add every environment stack, and one bootstrap stack per state bucket, to ``app``.

    Bootstrap stack ids: ``bootstrap`` for the (single) AWS state bucket, ``bootstrap-local`` for the
    emulator's; with several AWS buckets, ``bootstrap-<bucket>``.
    """
    buckets: dict[tuple[str, str, bool], EnvConfig] = {}
    for config in configs:
        backend = (
            LocalBackendConfig(path=f"terraform.{config.environment.value}.tfstate") if local_state else None
        )
        CoraAppStack(app, config, backend=backend)
        state = config.s3_backend
        buckets.setdefault((state.bucket, state.region, state.emulated), config)
    real = [key for key in buckets if not key[2]]
    for (bucket, region, emulated), config in buckets.items():
        id_ = "bootstrap-local" if emulated else ("bootstrap" if len(real) == 1 else f"bootstrap-{bucket}")
        StateBootstrapStack(
            app, id_, project=config.project, bucket=bucket, region=region, emulator=config.emulator
        )
