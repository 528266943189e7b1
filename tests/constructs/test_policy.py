"""The organisation policy as a mechanism (``constructs_lib.policy``): suppressions need a written reason
that lands in the synthesized JSON; check_app and synth refuse violating stacks; main.py exits 2."""

from __future__ import annotations

import json

import cdktf
import pytest
from cdktf import App, TerraformStack

import main
from constructs_lib import (
    RULES,
    CoraInfraError,
    PolicyViolationError,
    _aws,
    apply_policy,
    check_app,
    suppress,
)
from constructs_lib.policy.organisation import evaluate
from tests.conftest import CONFIG_DIR
from tests.constructs.policy_helpers import (
    OTHER_RULES,
    api,
    mutable_repo,
    short_logs,
    violations,
)


# -- suppressions ---------------------------------------------------------------------------------------
def test_a_suppression_with_a_reason_excuses_the_construct_and_lands_in_the_json(tmp_path):
    def build(stack: TerraformStack) -> None:
        suppress(
            api(stack), "cors-no-wildcard", reason="Public read-only catalogue API, called from any site"
        )

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "prd")
    _aws.AwsProvider(stack, "aws", region="us-east-1")
    apply_policy(stack, environment="prd", rules=OTHER_RULES)
    build(stack)
    check_app(app)  # no violation left
    app.synth()
    doc = json.loads((tmp_path / "stacks" / "prd" / "cdk.tf.json").read_text())
    (resource,) = doc["resource"]["aws_apigatewayv2_api"].values()
    assert resource["//"]["cora-infra"]["suppressed"] == [
        {
            "rule": "cors-no-wildcard",
            "reason": "Public read-only catalogue API, called from any site",
            "declared_at": "prd/api",
        }
    ]
    assert resource["//"]["metadata"]["path"] == "prd/api/api"


def test_a_suppression_covers_only_its_rule_and_its_subtree():
    def build(stack: TerraformStack) -> None:
        suppress(mutable_repo(stack), "log-retention", reason="This repository writes no logs at all")
        short_logs(stack)

    lines = violations("prd", build)
    assert [line.split(": ")[:2] for line in lines] == [
        ["prd/repo/repository", "ecr-immutable-tags"],
        ["prd/logs", "log-retention"],
    ]


def test_a_suppression_on_the_stack_covers_every_resource_in_it():
    def build(stack: TerraformStack) -> None:
        suppress(stack, "ecr-immutable-tags", reason="Scratch registry for a migration, deleted next week")
        mutable_repo(stack)

    assert violations("prd", build) == []


@pytest.mark.parametrize("reason", ["", "   ", "because", "n/a      x"])
def test_a_suppression_needs_a_written_reason(reason):
    stack = TerraformStack(cdktf.Testing.app(), "prd")
    with pytest.raises(CoraInfraError) as err:
        suppress(stack, "ecr-immutable-tags", reason=reason)
    assert f"reason {reason!r} for rule 'ecr-immutable-tags' is too short" in str(err.value)
    assert "at least 10 characters" in str(err.value)


def test_a_suppression_of_an_unknown_rule_lists_the_known_ones():
    stack = TerraformStack(cdktf.Testing.app(), "prd")
    with pytest.raises(CoraInfraError) as err:
        suppress(stack, "cors-wildcard", reason="a perfectly good reason")
    assert "rule 'cors-wildcard' is unknown; known rules: " + ", ".join(r.id for r in RULES) in str(err.value)


def test_policy_is_applied_once_per_stack():
    stack = TerraformStack(cdktf.Testing.app(), "prd")
    apply_policy(stack, environment="prd", rules=OTHER_RULES)
    with pytest.raises(CoraInfraError, match="already has the organisation policy"):
        apply_policy(stack, environment="prd", rules=OTHER_RULES)


# -- enforcement --------------------------------------------------------------------------------------
def test_all_violations_of_all_stacks_are_reported_together():
    app = cdktf.Testing.app()
    for env in ("stg", "prd"):
        stack = TerraformStack(app, env)
        _aws.AwsProvider(stack, "aws", region="us-east-1")
        apply_policy(stack, environment=env, rules=OTHER_RULES)
        api(stack)
        short_logs(stack)
    with pytest.raises(PolicyViolationError) as err:
        check_app(app)
    message = str(err.value)
    assert message.splitlines()[0] == "3 policy violations:"
    assert [v.path for v in err.value.violations] == ["stg/api/api", "prd/api/api", "prd/logs"]


def test_cdktf_synth_alone_refuses_the_stack_through_the_aspect(tmp_path):
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "prd")
    _aws.AwsProvider(stack, "aws", region="us-east-1")
    apply_policy(stack, environment="prd", rules=OTHER_RULES)
    mutable_repo(stack)
    with pytest.raises(Exception, match=r"\[prd/repo/repository\] ecr-immutable-tags"):
        app.synth()
    assert not (tmp_path / "stacks" / "prd" / "cdk.tf.json").exists()


def test_constructs_added_after_check_app_are_still_checked_at_synth(tmp_path):
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "prd")
    _aws.AwsProvider(stack, "aws", region="us-east-1")
    apply_policy(stack, environment="prd", rules=OTHER_RULES)
    check_app(app)
    mutable_repo(stack)
    with pytest.raises(Exception, match=r"\[prd/repo/repository\] ecr-immutable-tags"):
        app.synth()


def test_the_sample_project_has_no_violations(synthesized):
    for stack, doc in synthesized.items():
        environment = {"bootstrap-local": "local"}.get(
            stack, "shared" if stack.startswith("bootstrap") else stack
        )
        assert evaluate(doc, environment) == [], stack


def test_main_exits_2_listing_policy_violations_and_writes_nothing(tmp_path, monkeypatch, capsys):
    # prd's config accepts any CloudWatch period; the organisation rule wants 30 days or more.
    config = tmp_path / "config"
    config.mkdir()
    text = (CONFIG_DIR / "prd.toml").read_text()
    assert "log_retention_days = 365" in text
    (config / "prd.toml").write_text(text.replace("log_retention_days = 365", "log_retention_days = 14"))
    out = tmp_path / "out"
    monkeypatch.setenv("CORA_CONFIG_DIR", str(config))
    monkeypatch.setenv("CORA_ENVIRONMENTS", "prd")
    monkeypatch.setenv("CDKTF_OUTDIR", str(out))
    monkeypatch.delenv("CORA_IMAGE_TAG", raising=False)

    assert main.main() == 2

    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: 1 policy violation:",
        "  prd/api/access-logs: log-retention: retention_in_days is 14; prd keeps logs at least 30 days. "
        "Fix: set retention_in_days to 30 or more "
        "(allowed periods from 30: 30, 60, 90, 120, 150, 180, 365, ...)",
    ]
    assert not out.exists() or not list(out.rglob("cdk.tf.json"))
