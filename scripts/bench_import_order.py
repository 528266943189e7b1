#!/usr/bin/env python3
"""Benchmark the consumer fixture's synth with provider classes imported after and before constructs_lib.

``make bench`` runs it after ``scripts/bench_synth.py``. In a copy of ``tests/consumer/acme`` (six
stacks, two of them with provider classes cora-infra does not wrap), N rounds, pair by pair, each round
in a rotating order:

  (ours)   ``python main.py`` of this repository (eight stacks)
  (after)  the fixture's ``main.py``: ``constructs_lib`` first, provider classes through
           ``constructs_lib.aws`` (what the fixture's ruff config keeps)
  (before) the same ``main.py`` with ``from cdktf_cdktf_provider_aws.sns_topic import SnsTopic`` above
           the ``constructs_lib`` import: the order ruff's default import sorting gives

It prints median/min/max wall time and peak RSS (the largest process of each run's tree, from
``wait4``), the median of the per-round ratios before/after, and each against ours. Exit 1 if the
fast order misses its target: after/ours <= 1.5 (median of rounds). The slow order is the documented
cost of importing the bindings first (README, "Using cora-infra in your project").

    .venv/bin/python scripts/bench_import_order.py          # N=5
    .venv/bin/python scripts/bench_import_order.py -n 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "consumer" / "acme"
TARGET = 1.5
WARNING = "was imported before constructs_lib"
PROVIDER_FIRST = (
    "from cdktf_cdktf_provider_aws.sns_topic import SnsTopic  # noqa: F401 - ruff's default order\n"
)


@dataclass(frozen=True)
class Sample:
    """One run: wall seconds, peak RSS in MB, and whether it printed the import-order warning."""

    seconds: float
    rss_mb: float
    warned: bool


def _run(command: list[str], cwd: Path, outdir: Path) -> Sample:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "CDKTF_OUTDIR"}}
    env.update(CDKTF_OUTDIR=str(outdir), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    shutil.rmtree(outdir, ignore_errors=True)
    start = time.monotonic()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - start
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{text}")
    return Sample(seconds, usage.ru_maxrss / 1024, WARNING in text)


def _project(work: Path) -> Path:
    """The fixture, plus ``main_provider_first.py``: its main.py with a provider import first."""
    project = work / "acme"
    shutil.copytree(
        FIXTURE, project, ignore=shutil.ignore_patterns("cdktf.out", "__pycache__", ".mypy_cache")
    )
    lines = (project / "main.py").read_text(encoding="utf-8").splitlines(keepends=True)
    # Above the first import of constructs_lib, whatever it imports: ruff's default order puts it there.
    first = next(
        (
            i
            for i, line in enumerate(lines)
            if line.startswith(("from constructs_lib", "import constructs_lib"))
        ),
        None,
    )
    if first is None:
        raise SystemExit(f"{FIXTURE / 'main.py'} no longer imports constructs_lib; update this benchmark")
    lines.insert(first, PROVIDER_FIRST)
    (project / "main_provider_first.py").write_text("".join(lines), encoding="utf-8")
    return project


def _line(name: str, samples: list[Sample]) -> str:
    times = [s.seconds for s in samples]
    rss = [s.rss_mb for s in samples]
    return (
        f"  {name:<7} median {statistics.median(times):6.2f} s  min {min(times):6.2f}  max {max(times):6.2f}"
        f"   RSS median {statistics.median(rss):6.0f} MB  max {max(rss):6.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the rounds; print the table and ratios; 0 if the fast order meets its target."""
    parser = argparse.ArgumentParser(
        description="Consumer synth: provider imports after vs before constructs_lib."
    )
    parser.add_argument("-n", type=int, default=5, help="rounds (default 5)")
    args = parser.parse_args(argv)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="cora-import-order-") as tmp:
        work = Path(tmp)
        project = _project(work)
        commands = {
            "ours": ([python, "main.py"], ROOT),
            "after": ([python, "main.py"], project),
            "before": ([python, "main_provider_first.py"], project),
        }
        _run(*commands["after"], work / "out-untimed")  # one untimed run: the same warm file cache for all
        samples: dict[str, list[Sample]] = {name: [] for name in commands}
        names = list(commands)
        for round_ in range(args.n):
            for name in names[round_ % 3 :] + names[: round_ % 3]:  # rotate: noise hits each alike
                command, cwd = commands[name]
                samples[name].append(_run(command, cwd, work / f"out-{name}"))
            print(
                f"round {round_ + 1}/{args.n}: "
                + "  ".join(f"{n} {samples[n][-1].seconds:.2f} s" for n in names),
                flush=True,
            )
    for name in names:
        print(_line(name, samples[name]))

    def ratio(top: str, bottom: str) -> float:
        return statistics.median(
            a.seconds / b.seconds for a, b in zip(samples[top], samples[bottom], strict=True)
        )

    before_after, after_ours, before_ours = (
        ratio("before", "after"),
        ratio("after", "ours"),
        ratio("before", "ours"),
    )
    print(f"before/after {before_after:.2f}   after/ours {after_ours:.2f}   before/ours {before_ours:.2f}")
    warned = [sum(s.warned for s in samples[n]) for n in names]
    print(
        "import-order warning printed: "
        + ", ".join(f"{n} {w}/{args.n}" for n, w in zip(names, warned, strict=True))
    )
    if warned[names.index("before")] != args.n:
        # The slow order must really be slow: without the warning, "before" did not import first.
        print("bench broken: the provider-first runs did not import the bindings first", file=sys.stderr)
        return 1
    if after_ours > TARGET:
        print(f"target missed: after/ours {after_ours:.2f} > {TARGET}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
