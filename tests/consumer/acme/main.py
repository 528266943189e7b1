"""acme's synth entry point: ``python main.py`` (or ``npx cdktf synth``) writes ``cdktf.out/``."""

from __future__ import annotations

import os
from pathlib import Path

# jsii prints a banner on every run under Node 20 (end of life).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
from constructs_lib import Environment
from constructs_lib.stacks.synth import exit_now, run

from stacks import build_app

CONFIG_DIR = Path(__file__).resolve().parent / "config"


def main() -> int:
    """Build and synthesize acme's stacks; return the process exit code."""
    # acme has dev and prd only (cora-infra's default is dev, stg, prd and local).
    return run(CONFIG_DIR, build=build_app, environments=(Environment.DEV, Environment.PRD))


if __name__ == "__main__":
    exit_now(main())  # flushes output, stops the jsii kernel, skips Python's teardown (~50 ms)
