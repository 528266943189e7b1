#!/usr/bin/env python3
"""Warm the caches that make synth fast on this machine (``make install`` runs it).

1. The lazy copy of the provider tarball (``<user cache>/cora-infra/provider-aws/``), derived on import.
2. The jsii kernel's package cache entry for it and its runtime index
   (``~/.cache/aws/jsii/package-cache/@cdktf/provider-aws/``), built by the kernel in the background:
   this waits until it exists, so the first real synth does not parse the 114 MB type file.

Both are safe to delete (``make clean-caches``); they are rebuilt on next use.
"""

from __future__ import annotations

import os
import sys
import time

START = time.monotonic()
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from constructs_lib import _aws  # noqa: E402 - loading it is the first half of the warm-up


def main() -> int:
    """Wait for the kernel's runtime index of the lazily loaded provider."""
    entry = _aws.warm()
    took = time.monotonic() - START
    if entry is None:
        print(
            f"provider caches: lazy load not in use (package cache disabled?) [{took:.1f} s]", file=sys.stderr
        )
    else:
        print(f"provider caches warm: {_aws.cache_dir()} and {entry} [{took:.1f} s]", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
