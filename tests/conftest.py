"""Shared fixtures: configs, one synth of every environment per session, and a scratch stack helper."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")

from cdktf import App, TerraformStack, Testing

from constructs_lib.stacks import EnvConfig, build_app, load_config

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
ENVIRONMENTS = ("dev", "stg", "prd")  # the AWS environments
ALL_ENVIRONMENTS = (*ENVIRONMENTS, "local")
# Every stack main.py writes: the environments plus one bootstrap stack per state bucket.
STACKS = (*ALL_ENVIRONMENTS, "bootstrap-dev", "bootstrap-stg", "bootstrap-prd", "bootstrap-local")
# The bootstrap stacks of the AWS environments (one state bucket per account and region).
BOOTSTRAP_STACKS = ("bootstrap-dev", "bootstrap-stg", "bootstrap-prd")

Synthesized = dict[str, Any]


@pytest.fixture(scope="session")
def configs() -> dict[str, EnvConfig]:
    """The sample project's validated configs, by environment."""
    return {env: load_config(env, CONFIG_DIR) for env in ALL_ENVIRONMENTS}


@pytest.fixture(scope="session")
def synth_dir(configs: dict[str, EnvConfig], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All environment stacks synthesized once per session, exactly as ``main.py`` does."""
    outdir = tmp_path_factory.mktemp("cdktf.out")
    app = App(outdir=str(outdir))
    build_app(app, list(configs.values()))
    app.synth()
    return outdir


@pytest.fixture(scope="session")
def synthesized(synth_dir: Path) -> dict[str, Synthesized]:
    """Parsed ``cdk.tf.json`` of every stack."""
    return {stack: json.loads((synth_dir / "stacks" / stack / "cdk.tf.json").read_text()) for stack in STACKS}


@pytest.fixture
def synth() -> Callable[[Callable[[TerraformStack], object]], Synthesized]:
    """``synth(build)``: run ``build(stack)`` on a fresh stack and return the parsed Terraform JSON."""

    def run(build: Callable[[TerraformStack], object]) -> Synthesized:
        stack = TerraformStack(Testing.app(), "test")
        build(stack)
        result: Synthesized = json.loads(Testing.synth(stack))
        return result

    return run


def resources(doc: Synthesized, kind: str) -> list[dict[str, Any]]:
    """All resources of one Terraform type in a synthesized document."""
    return list(doc.get("resource", {}).get(kind, {}).values())


def data_sources(doc: Synthesized, kind: str) -> dict[str, dict[str, Any]]:
    """All data sources of one type, by logical id."""
    return dict(doc.get("data", {}).get(kind, {}))


def only(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The single item of a list (fails the test otherwise)."""
    assert len(items) == 1, f"expected exactly one, got {len(items)}"
    return items[0]


@pytest.fixture(scope="session")
def terraform_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for running terraform: the project's CLI config (offline provider mirror if any).

    Uses ``TF_CLI_CONFIG_FILE`` when it names an existing file (``make`` sets it); otherwise writes one
    with ``constructs_lib/terraform_cli_config.py``, exactly as ``make install`` does.
    """
    from constructs_lib.terraform_cli_config import discover_mirror, write

    env = dict(os.environ)
    current = env.get("TF_CLI_CONFIG_FILE", "")
    if not current or not Path(current).is_file():
        path = write(tmp_path_factory.mktemp("terraform") / "cli.tfrc", discover_mirror())
        env["TF_CLI_CONFIG_FILE"] = str(path)
    env.update(CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0")
    return env


Mutation = Callable[[dict[str, Any]], None]


def set_key(path: str, value: Any) -> Mutation:
    """A config change: set the dotted key ``path`` (creating tables on the way) to ``value``."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    return mutate


def delete_key(path: str) -> Mutation:
    """A config change: remove the dotted key ``path``."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        del node[last]

    return mutate
