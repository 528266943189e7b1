"""The scale benchmark (scripts/bench_scale.py): its stack, its slope and its linearity verdict."""

from __future__ import annotations

import json

from scripts.bench_scale import LINEAR_TOLERANCE, Scale, modules, synth_once


def test_routes_are_spread_over_ten_modules_of_one_function_each():
    built = modules(200)
    assert [len(m.routes) for m in built] == [20] * 10
    assert [len(m.routes) for m in modules(55)] == [6] * 5 + [5] * 5
    assert len({r.key for m in built for r in m.routes}) == 200
    for module in built:
        assert len({r.integration.function_arn for r in module.routes}) == 1  # type: ignore[union-attr]


def test_the_scale_stack_is_written_with_every_route(tmp_path):
    assert synth_once(20, str(tmp_path)) > 0
    doc = json.loads((tmp_path / "stacks" / "scale" / "cdk.tf.json").read_text())
    assert len(doc["resource"]["aws_apigatewayv2_route"]) == 20
    assert len(doc["resource"]["aws_lambda_permission"]) == 20


def test_linear_growth_passes_and_a_per_route_scan_is_flagged():
    linear = Scale({0: 1.0, 50: 1.1, 100: 1.2, 200: 1.4})
    assert abs(linear.per_route - 0.002) < 1e-12
    assert linear.linear and abs(linear.growth - 1.0) < 1e-9
    # Each route scanning all earlier ones: time ~ n^2, the second half's slope is 3x the first's.
    quadratic = Scale({n: 1.0 + 1e-5 * n * n for n in (0, 50, 100, 200)})
    assert quadratic.growth > LINEAR_TOLERANCE
    assert not quadratic.linear
    assert "SUPER-LINEAR" in quadratic.lines()[-1]
    assert "linear ok" in linear.lines()[-1]
