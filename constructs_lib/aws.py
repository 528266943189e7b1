"""The fast way into the AWS provider bindings for your own provider classes, and :func:`warm`.

``import constructs_lib.aws`` before any ``cdktf_cdktf_provider_aws`` module, then import provider
classes from the bindings as usual::

    import constructs_lib.aws  # noqa: F401 - first: loads the bindings lazily
    from cdktf_cdktf_provider_aws.sns_topic import SnsTopic

Importing the bindings first runs their package ``__init__`` (all ~2,100 submodules) and makes the jsii
kernel load every JS module of the provider: 10-40 s and ~1 GB per synth, whatever comes after. Imported
after this module, only the submodules you name load (see :mod:`constructs_lib._aws`). The order cannot
be repaired later in the process, so a warning says when it happened; keep it with ruff's import
sorting (a section for ``constructs_lib`` before third-party) and the banned-api rule on
``cdktf_cdktf_provider_aws`` outside one module of yours (README, "Using cora-infra in your project").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from constructs_lib._aws import PACKAGE
from constructs_lib._runtime import provider_loader as _provider_loader

__all__ = ["PACKAGE", "WarmResult", "warm"]


@dataclass(frozen=True)
class WarmResult:
    """What :func:`warm` found or built."""

    tarball: Path | None
    """The derived provider tarball (``None``: the stock one is in use, after an eager import of the
    bindings, ``CORA_INFRA_EAGER_PROVIDER=1`` or a failed derivation)."""
    tarball_built: bool
    """Whether the tarball was built in this process (else it came from the cache)."""
    load_seconds: float
    """How long loading the bindings took when ``constructs_lib`` was imported (deriving included)."""
    runtime_index: Path | None
    """The jsii kernel's package cache entry holding the runtime index (``None``: no derived tarball
    in use, or the kernel's package cache is disabled)."""
    index_seconds: float
    """How long the wait for the runtime index took."""


def warm(timeout_seconds: float = 300.0) -> WarmResult:
    """Build what makes synth fast on this machine; call it once after installing cora-infra.

    The derived provider tarball is built when :mod:`constructs_lib` is first imported; the jsii kernel
    then builds its runtime index of the provider in a background thread, which a short synth exits
    before finishing, so without this wait every synth parses the 114 MB type file again (~1 GB). Both
    caches are safe to delete (they are rebuilt on next use). Raises ``TimeoutError`` after
    ``timeout_seconds``.
    """
    start = time.monotonic()
    tarball, built, load_seconds = _provider_loader.load_report()
    entry = _provider_loader.warm(timeout_seconds) if tarball is not None else None
    return WarmResult(
        tarball=tarball,
        tarball_built=built,
        load_seconds=load_seconds,
        runtime_index=entry,
        index_seconds=time.monotonic() - start,
    )
