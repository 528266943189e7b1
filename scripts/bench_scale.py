#!/usr/bin/env python3
"""Scale benchmark: what one more route costs, and whether that cost stays flat as routes grow.

A stack of 10 Python :class:`~constructs_lib.ApiModule`\\ s on one :class:`~constructs_lib.ModularApiGateway`
(Lambda integrations with literal ARNs, one function per module, the organisation policy applied) is
built, checked and synthesized with N routes in all (N/10 per module) for each N of :data:`ROUTE_COUNTS`,
in one process, alternating the Ns over several rounds after an untimed warm-up (so that the jsii
kernel's one-off costs, loading modules and compiling code, land on no N). Each figure is the median
of the rounds of wall time from the first construct to the written JSON.

From those figures: the marginal cost per route (the slope from the smallest to the largest N), and
the slopes of the first and second half of the range: growth is linear when the second half's slope
is at most :data:`LINEAR_TOLERANCE` times the first's (a per-route scan of all earlier routes would
double it).

    .venv/bin/python scripts/bench_scale.py              # prints the table, exit 1 if super-linear
    .venv/bin/python scripts/bench_scale.py --json       # one JSON object (for scripts/bench_synth.py)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# constructs_lib before cdktf: it starts the jsii kernel the way main.py runs it (_runtime/kernel.py).
from constructs_lib import (
    ApiModule,
    ApiRoute,
    CorsConfig,
    LambdaIntegration,
    ModularApiGateway,
    ModularApiGatewayProps,
    _aws,
    apply_policy,
)
from constructs_lib.policy.checked_synth import synth_app

MODULES = 10
ROUTES_PER_MODULE = 20
ROUTE_COUNTS = (0, 50, 100, 200)
LINEAR_TOLERANCE = 1.5
METHODS = ("GET", "POST", "PUT", "DELETE")


def modules(routes: int) -> list[ApiModule]:
    """``routes`` routes spread over :data:`MODULES` modules, each module's routes on its own function."""
    built = []
    for index in range(MODULES):
        arn = f"arn:aws:lambda:us-east-1:111111111111:function:module-{index}"
        count = routes // MODULES + (1 if index < routes % MODULES else 0)
        built.append(
            ApiModule(
                name=f"module-{index}",
                routes=tuple(
                    ApiRoute(
                        key=f"{METHODS[r % len(METHODS)]} /module-{index}/items-{r}/{{id}}",
                        integration=LambdaIntegration(function_arn=arn),
                    )
                    for r in range(count)
                ),
            )
        )
    return built


def synth_once(routes: int, outdir: str) -> float:
    """Seconds to build, check and synthesize the scale stack with ``routes`` routes."""
    # Here, not at the top: constructs_lib must be imported first (see there).
    from cdktf import App, TerraformStack  # noqa: PLC0415

    feature_modules = modules(routes)  # pydantic models: built before the clock starts
    props = ModularApiGatewayProps(name="scale-api", cors=CorsConfig(allow_origins=("https://a.example",)))

    def build(app: App) -> None:
        stack = TerraformStack(app, "scale")
        _aws.AwsProvider(stack, "aws", region="us-east-1")
        apply_policy(stack, environment="dev")
        api = ModularApiGateway(stack, "api", props=props)
        for module in feature_modules:
            api.add_module(module)

    start = time.perf_counter()
    synth_app(outdir, build)  # as main.py synthesizes: build, policy check, write
    return time.perf_counter() - start


@dataclass(frozen=True)
class Scale:
    """Median seconds per route count, and what they say about growth."""

    seconds: dict[int, float]

    def slope(self, low: int, high: int) -> float:
        """Seconds per route between two measured route counts."""
        return (self.seconds[high] - self.seconds[low]) / (high - low)

    @property
    def per_route(self) -> float:
        counts = sorted(self.seconds)
        return self.slope(counts[0], counts[-1])

    @property
    def halves(self) -> tuple[float, float]:
        """Slopes of the first and the second half of the route range."""
        counts = sorted(self.seconds)
        middle = (counts[0] + counts[-1]) // 2
        if middle not in self.seconds:
            raise ValueError(f"route counts {counts} lack the middle of their range ({middle})")
        return self.slope(counts[0], middle), self.slope(middle, counts[-1])

    @property
    def growth(self) -> float:
        """Second half's slope over the first's (1.0: perfectly linear)."""
        first, second = self.halves
        return second / first if first > 0 else float("inf")

    @property
    def linear(self) -> bool:
        return self.growth <= LINEAR_TOLERANCE

    def lines(self) -> list[str]:
        """The human-readable report."""
        first, second = self.halves
        rows = [f"  {n:4d} routes  {s * 1000:8.1f} ms" for n, s in sorted(self.seconds.items())]
        return [
            f"scale: {MODULES} modules x up to {ROUTES_PER_MODULE} routes, build + check + write (median):",
            *rows,
            f"marginal cost per route: {self.per_route * 1000:.2f} ms "
            f"(first half {first * 1000:.2f}, second half {second * 1000:.2f} ms/route, "
            f"growth {self.growth:.2f}x)  target <= {LINEAR_TOLERANCE:.1f}x  "
            f"{'linear ok' if self.linear else 'SUPER-LINEAR'}",
        ]


def measure(counts: Sequence[int] = ROUTE_COUNTS, rounds: int = 3) -> Scale:
    """Median seconds per route count over ``rounds`` alternating rounds, after a warm-up."""
    samples: dict[int, list[float]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        synth_once(max(counts), f"{tmp}/warm-up")
        for round_ in range(rounds):
            for n in counts:
                samples[n].append(synth_once(n, f"{tmp}/{round_}-{n}"))
    return Scale({n: statistics.median(s) for n, s in samples.items()})


def main(argv: list[str] | None = None) -> int:
    """Measure and print; exit 1 when growth is super-linear."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of every route count (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    scale = measure(rounds=args.rounds)
    if args.json:
        seconds = {str(n): s for n, s in scale.seconds.items()}
        print(json.dumps({"seconds": seconds, "linear": scale.linear, "lines": scale.lines()}))
    else:
        print("\n".join(scale.lines()))
    return 0 if scale.linear else 1


if __name__ == "__main__":
    sys.exit(main())
