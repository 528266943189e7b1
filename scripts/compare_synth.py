#!/usr/bin/env python3
"""Prove a change leaves the synthesized JSON alone: synth a git revision and the working tree, compare.

The revision (default ``main``) is exported with ``git archive`` into a temporary folder and its
``main.py`` run there with this interpreter (so the same pinned packages), its own ``constructs_lib``
first on the path; the working tree's ``main.py`` runs likewise. Every ``stacks/*/cdk.tf.json`` and
``manifest.json`` of both outputs must be byte-identical: exit 0 when they are, 1 otherwise (each
difference named), 2 when a synth fails.

    .venv/bin/python scripts/compare_synth.py            # against main
    .venv/bin/python scripts/compare_synth.py --ref HEAD~3
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run main.py with the tree's own constructs_lib (an editable install would otherwise win elsewhere).
RUNNER = """
import runpy, sys
tree = sys.argv[1]
sys.path.insert(0, tree)
import constructs_lib
assert constructs_lib.__file__.startswith(tree), f"{constructs_lib.__file__} is not from {tree}"
sys.argv = ["main.py"]
runpy.run_path("main.py", run_name="__main__")
"""
SETTINGS = (
    "CORA_ENVIRONMENTS",
    "CORA_IMAGE_TAG",
    "CORA_SKIP_SERVICE",
    "CORA_STATE_BACKEND",
    "CORA_CONFIG_DIR",
)


def export(ref: str, dest: Path) -> None:
    """The files of ``ref`` in ``dest``."""
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")


def synth(tree: Path, outdir: Path) -> None:
    """Run ``tree``'s main.py into ``outdir``; exit 2 when it fails."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(CDKTF_OUTDIR=str(outdir), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    argv = [sys.executable, "-c", RUNNER, str(tree)]
    run = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise SystemExit(f"synth of {tree} failed ({run.returncode}):\n{run.stderr}")


def outputs(outdir: Path) -> dict[str, bytes]:
    """``manifest.json`` and every stack's JSON, by path relative to ``outdir``."""
    paths = [outdir / "manifest.json", *sorted(outdir.glob("stacks/*/cdk.tf.json"))]
    return {p.relative_to(outdir).as_posix(): p.read_bytes() for p in paths if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    """Compare; return 0 when every file is byte-identical."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="git revision to compare against (default: main)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="compare-synth-") as tmp:
        reference = Path(tmp) / "reference"
        export(args.ref, reference)
        try:
            synth(reference, Path(tmp) / "out-reference")
            synth(ROOT, Path(tmp) / "out-tree")
        except SystemExit as failed:
            print(failed, file=sys.stderr)
            return 2
        before, after = outputs(Path(tmp) / "out-reference"), outputs(Path(tmp) / "out-tree")
    different = 0
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old == new and old is not None:
            print(f"identical  {name} ({len(old)} bytes)")
            continue
        different += 1
        sizes = [str(len(data)) if data is not None else "missing" for data in (old, new)]
        print(f"DIFFERENT  {name} ({' -> '.join(sizes)} bytes)")
    stacks = sum(1 for name in before if name.startswith("stacks/"))
    print(f"{args.ref} vs working tree: {stacks} stacks, {different} file(s) differ")
    return 1 if different or not stacks else 0


if __name__ == "__main__":
    sys.exit(main())
