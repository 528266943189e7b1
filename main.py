"""Synthesize every environment stack of this repository: ``python main.py`` (or ``npx cdktf synth``).

The whole entry point is the library's :func:`constructs_lib.stacks.synth.run` (settings such as
``CORA_ENVIRONMENTS``, ``CORA_IMAGE_TAG``, ``CORA_SKIP_SERVICE`` and ``CORA_STATE_BACKEND`` are
documented there) with this repository's ``config/`` folder and ``stacks.build_app``.
"""

from __future__ import annotations

import os

# jsii prints a banner on every run under Node 20 (end of life); the version is known and tested.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from constructs_lib.stacks.synth import exit_now, run
from stacks import CONFIG_DIR, build_app


def main() -> int:
    """Build and synthesize the stacks; return the process exit code."""
    return run(CONFIG_DIR, build=build_app)


if __name__ == "__main__":
    exit_now(main())  # without Python's teardown (~50 ms): the work is done
