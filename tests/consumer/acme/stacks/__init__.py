"""acme's stacks: cora-infra's environment and bootstrap stacks, plus an alerts stack per environment."""

from __future__ import annotations

from collections.abc import Sequence

from constructs_lib.stacks import EnvConfig
from constructs_lib.stacks import build_app as build_cora_stacks

from cdktf import App

from stacks.alerts import AlertsStack

__all__ = ["AlertsStack", "build_app"]


def build_app(app: App, configs: Sequence[EnvConfig], *, local_state: bool = False) -> None:
    """The library's stacks for ``configs``, then acme's own alerts stack for each environment."""
    build_cora_stacks(app, configs, local_state=local_state)
    for config in configs:
        AlertsStack(app, config, local_state=local_state)
