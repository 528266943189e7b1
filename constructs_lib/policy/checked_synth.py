"""Synthesize an app whose stacks pass the organisation policy, rendering each stack once.

``check_app(app)`` then ``app.synth()`` renders every stack twice: ``check_app`` asks the jsii kernel for
each stack's Terraform configuration (``to_terraform()``, which the kernel sends as a deep ``any`` value,
walking and type-checking every node: most of the cost), and synth renders it again to write it.

:func:`synth_app` renders once: it synthesizes into a staging folder inside ``outdir`` (the policy's
synth-time validation stands aside), reads the written JSON back (plain file reads), evaluates the
rules on it and only then moves the files into ``outdir``. The output is byte-identical to
``check_app`` + ``app.synth()``, and on a violation nothing reaches ``outdir``: the staging folder is
removed and :class:`~constructs_lib.policy.PolicyViolationError` lists every violation, in the words
and order ``check_app`` uses (its own check runs for that report).

A stack that declares suppressions (``suppress(...)``) has them written into its JSON only after they
excused something, which needs a render before synth: an app with any suppression takes the
``check_app`` + synth way, still through the staging folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from cdktf import App, TerraformStack
from jsii.errors import JSIIError

from constructs_lib.errors import CoraInfraError
from constructs_lib.policy.organisation import (
    _POLICIES,
    _SUPPRESSIONS,
    OrganisationPolicy,
    PolicyViolationError,
    check_app,
    evaluate,
    find_violations,
)

__all__ = ["STAGING_PREFIX", "SynthWriteError", "synth_app"]

STAGING_PREFIX = ".cora-synth-"
MANIFEST = "manifest.json"


class SynthWriteError(CoraInfraError):
    """Synth or writing its files failed (the kernel's or the file system's error is the ``__cause__``)."""


def _policy_stacks(app: App) -> Iterator[tuple[TerraformStack, str, OrganisationPolicy]]:
    """(stack, its id, policy) of every stack of ``app`` that applies the organisation policy."""
    for child in app.node.children:
        if isinstance(child, TerraformStack) and child in _POLICIES:
            yield child, child.node.id, _POLICIES[child]


def _publish(staging: Path, outdir: Path) -> None:
    """Move every file of ``staging`` to the same place below ``outdir``; the manifest last."""
    manifest = staging / MANIFEST
    files = sorted(p for p in staging.rglob("*") if p.is_file() and p != manifest)
    if manifest.is_file():
        files.append(manifest)
    for source in files:
        target = outdir / source.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)


def _passes(staging: Path, policies: list[tuple[TerraformStack, str, OrganisationPolicy]]) -> bool:
    """True when the JSON synth wrote breaks no rule of its stack's policy."""
    stacks = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))["stacks"]
    for _, stack_id, policy in policies:
        path = staging / stacks[stack_id]["synthesizedStackPath"]
        config = json.loads(path.read_text(encoding="utf-8"))
        if evaluate(config, policy.environment, policy.rules):
            return False
    return True


def synth_app(outdir: str | os.PathLike[str], build: Callable[[App], object]) -> App:
    """Build an app into ``outdir`` with ``build(app)``, check its policy and write it; return the app.

    Raises :class:`~constructs_lib.policy.PolicyViolationError` (nothing written to ``outdir``), what
    ``build`` raises, and :class:`SynthWriteError` when synth or writing its files fails. ``outdir`` is
    created if missing (and removed again when nothing was written to it).
    """
    out = Path(outdir)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    except OSError as err:
        raise SynthWriteError(f"cannot create a folder in {str(out)!r}: {err.strerror or err}") from err
    published = False
    try:
        app = App(outdir=str(staging))
        build(app)
        policies = list(_policy_stacks(app))
        deferred = not any(_SUPPRESSIONS.get(stack) for stack, _, _ in policies)
        if not deferred:
            check_app(app)  # records the suppressions that excused something, before synth writes
        for _, _, policy in policies:
            policy._deferred = deferred
        try:
            app.synth()
        except (OSError, RuntimeError, JSIIError) as err:
            raise SynthWriteError(str(err)) from err
        finally:
            for _, _, policy in policies:
                policy._deferred = False
        if deferred and not _passes(staging, policies):
            found = find_violations(app)  # check_app's own words and order for the report
            if found:
                raise PolicyViolationError(found)
        try:
            _publish(staging, out)
        except OSError as err:
            raise SynthWriteError(str(err)) from err
        published = True
        return app
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not published:
            with_nothing = out.is_dir() and not any(out.iterdir())
            if with_nothing:
                out.rmdir()
