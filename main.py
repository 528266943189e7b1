"""Synthesize every environment stack: ``python main.py`` (or ``npx cdktf synth``).

Reads the environment and config files, builds all stacks, then writes Terraform JSON, so a bad
config stops the run before anything is written. Settings from the environment:

- ``CDKTF_OUTDIR``: output folder (default ``cdktf.out``), honoured by cdktf itself.
- ``CORA_CONFIG_DIR``: folder of the ``<env>.toml`` files (default: ``config/`` beside this file).
- ``CORA_ENVIRONMENTS``: comma-separated subset of ``dev,stg,prd,local`` (default: all).
- ``CORA_IMAGE_TAG``: the image tag to create services with (default: ``app.image_tag`` of the config).
- ``CORA_STATE_BACKEND=local``: keep state in a local file instead of S3 (tests, demos).
- ``CORA_SKIP_SERVICE=1``: leave out the App Runner service (first deploy, before the image is pushed).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# jsii prints a banner on every run under Node 20 (end of life); the version is known and tested.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from cdktf import App

from constructs_lib import ConfigError, CoraInfraError, check_app
from stacks import Environment, build_app, load_config

CONFIG_DIR = Path(__file__).resolve().parent / "config"


def _setting(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, default)
    if value not in allowed:
        raise ConfigError(f"{name}={value!r} is not allowed; use one of: {', '.join(map(repr, allowed))}")
    return value


def _environments() -> list[str]:
    """``CORA_ENVIRONMENTS``: known environment names, each once (default: all)."""
    known = [e.value for e in Environment]
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


def main() -> int:
    """Build and synthesize the stacks; return the process exit code."""
    overrides: dict[str, object] = {}
    origins: dict[str, str] = {}
    if os.environ.get("CORA_IMAGE_TAG"):
        overrides["app.image_tag"] = os.environ["CORA_IMAGE_TAG"]
        origins["app.image_tag"] = "CORA_IMAGE_TAG"
    config_dir = Path(os.environ.get("CORA_CONFIG_DIR") or CONFIG_DIR)
    try:
        if _setting("CORA_SKIP_SERVICE", ("", "0", "1"), "") == "1":
            overrides["app.create_service"] = False
        local_state = _setting("CORA_STATE_BACKEND", ("s3", "local"), "s3") == "local"
        configs = [
            load_config(env, config_dir, overrides=overrides, origins=origins) for env in _environments()
        ]
        # Read here, not by the jsii kernel: its environment is fixed when it starts.
        app = App(outdir=os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
        build_app(app, configs, local_state=local_state)
        check_app(app)  # organisation rules of every stack, before anything is written
    except (CoraInfraError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
