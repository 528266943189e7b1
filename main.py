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

from constructs_lib import CoraInfraError, check_app
from stacks import Environment, build_app, load_config

CONFIG_DIR = Path(__file__).resolve().parent / "config"


def main() -> int:
    """Build and synthesize the stacks; return the process exit code."""
    wanted = os.environ.get("CORA_ENVIRONMENTS", ",".join(e.value for e in Environment))
    overrides: dict[str, object] = {}
    if os.environ.get("CORA_IMAGE_TAG"):
        overrides["app.image_tag"] = os.environ["CORA_IMAGE_TAG"]
    if os.environ.get("CORA_SKIP_SERVICE") == "1":
        overrides["app.create_service"] = False
    local_state = os.environ.get("CORA_STATE_BACKEND", "s3") == "local"
    config_dir = Path(os.environ.get("CORA_CONFIG_DIR") or CONFIG_DIR)
    try:
        configs = [
            load_config(env.strip(), config_dir, overrides=overrides)
            for env in wanted.split(",")
            if env.strip()
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
