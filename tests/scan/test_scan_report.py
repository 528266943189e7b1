"""The checkov gate reads checkov's JSON output and summarizes it (scan_checkov.py, scan_report.py)."""

from __future__ import annotations

import json

import pytest

from scripts import scan

# --- reading checkov's output -----------------------------------------------------------------------


def _report(check_type, passed=(), failed=(), parsing_errors=()):
    def record(check_id, path, resource):
        return {
            "check_id": check_id,
            "check_name": f"name of {check_id}",
            "file_path": path,
            "file_abs_path": f"/abs/checkov{path}",
            "resource": resource,
        }

    return {
        "check_type": check_type,
        "results": {
            "passed_checks": [record(*r) for r in passed],
            "failed_checks": [record(*r) for r in failed],
            "skipped_checks": [],
            "parsing_errors": list(parsing_errors),
        },
        "summary": {"checkov_version": "3.3.30", "parsing_errors": len(parsing_errors)},
    }


DEV = "/stacks/dev/cdk.tf.json"
PRD = "/stacks/prd/cdk.tf.json"


def test_parse_checkov_reads_every_report():
    out = json.dumps(
        [
            _report("terraform_json", passed=[("CKV_AWS_1", DEV, "a.b")], failed=[("CKV_AWS_2", PRD, "c.d")]),
            _report("dockerfile", passed=[("CKV_DOCKER_2", "/Dockerfile", "/Dockerfile.")]),
        ]
    )
    run = scan.parse_checkov(1, out, "")
    assert run.errors == []
    assert [(r.framework, r.check_id, r.target) for r in run.passed] == [
        ("terraform_json", "CKV_AWS_1", "stacks/dev"),
        ("dockerfile", "CKV_DOCKER_2", "Dockerfile"),
    ]
    assert [r.check_id for r in run.failed] == ["CKV_AWS_2"]
    assert run.version == "3.3.30"


def test_parsing_errors_make_the_run_untrustworthy():
    # What checkov 3.3.30 prints, exit code 0, for a cdk.tf.json with terraform.required_version.
    out = json.dumps(_report("terraform_json", parsing_errors=["/abs/checkov/stacks/dev/cdk.tf.json"]))
    assert scan.parse_checkov(0, out, "").errors == [
        "terraform_json: checkov could not parse /abs/checkov/stacks/dev/cdk.tf.json"
    ]


@pytest.mark.parametrize(
    ("returncode", "stdout", "stderr", "error"),
    [
        (2, json.dumps(_report("dockerfile")), "", "exited 2"),
        (0, json.dumps(_report("dockerfile")), "Traceback (most recent call last):\n", "traceback"),
        (0, "not json", "", "no single JSON document"),
    ],
)
def test_crashes_make_the_run_untrustworthy(returncode, stdout, stderr, error):
    assert any(error in e for e in scan.parse_checkov(returncode, stdout, stderr).errors)


def _summary(gate_reports, audit_reports, config, targets=("stacks/dev", "stacks/prd")):
    gate = scan.parse_checkov(0, json.dumps(gate_reports), "")
    audit = scan.parse_checkov(0, json.dumps(audit_reports), "")
    return scan.summarize(gate, audit, scan.parse_skips(config), list(targets), scan.Hadolint(findings=[]))


SKIP_DEV = "skip-check:\n  - CKV_AWS_9:/stacks/dev/cdk\\.tf\\.json$  # dev only\n"


def test_summary_counts_what_each_skip_suppresses():
    gate = [_report("terraform_json", passed=[("CKV_AWS_1", DEV, "x.a"), ("CKV_AWS_9", PRD, "x.a")])]
    audit = [
        _report(
            "terraform_json",
            passed=[("CKV_AWS_1", DEV, "x.a"), ("CKV_AWS_9", PRD, "x.a")],
            failed=[("CKV_AWS_9", DEV, "x.a")],
        )
    ]
    summary = _summary(gate, audit, SKIP_DEV)
    assert summary.errors == []
    assert summary.exit_code == 0
    assert dict(summary.targets["stacks/dev"]) == {"passed": 1, "skipped": 1}
    assert dict(summary.targets["stacks/prd"]) == {"passed": 1}
    (use,) = summary.skips
    assert [r.target for r in use.failed] == ["stacks/dev"]
    assert "dev only" in scan.render(summary, {"checkov": 1.0})


def test_summary_fails_on_a_failed_check():
    gate = [_report("terraform_json", passed=[("CKV_AWS_1", DEV, "x.a")], failed=[("CKV_AWS_9", PRD, "x.a")])]
    audit = [
        _report(
            "terraform_json",
            passed=[("CKV_AWS_1", DEV, "x.a")],
            failed=[("CKV_AWS_9", PRD, "x.a"), ("CKV_AWS_9", DEV, "x.a")],
        )
    ]
    summary = _summary(gate, audit, SKIP_DEV)
    assert summary.errors == []
    assert summary.exit_code == 1
    assert "FAILED checks (1)" in scan.render(summary, {})


def test_summary_refuses_a_skip_that_matches_nothing():
    reports = [_report("terraform_json", passed=[("CKV_AWS_1", DEV, "x.a"), ("CKV_AWS_1", PRD, "x.a")])]
    summary = _summary(reports, reports, SKIP_DEV)
    assert summary.exit_code == 2
    assert any("matches no result" in e for e in summary.errors)


def test_summary_names_every_dead_skip():
    reports = [_report("terraform_json", passed=[("CKV_AWS_1", DEV, "x.a"), ("CKV_AWS_1", PRD, "x.a")])]
    config = SKIP_DEV + "  - CKV_AWS_8:/stacks/prd/cdk\\.tf\\.json$  # prd too\n"
    summary = _summary(reports, reports, config)
    assert [e.split(": ")[1] for e in summary.errors] == [
        "CKV_AWS_9:/stacks/dev/cdk\\.tf\\.json$ matches no result",
        "CKV_AWS_8:/stacks/prd/cdk\\.tf\\.json$ matches no result",
    ]


def test_summary_warns_about_a_skip_that_suppresses_only_passes():
    gate = [_report("terraform_json", passed=[("CKV_AWS_1", DEV, "x.a")])]
    audit = [_report("terraform_json", passed=[("CKV_AWS_1", DEV, "x.a"), ("CKV_AWS_9", DEV, "x.a")])]
    summary = _summary(gate, audit, SKIP_DEV, targets=("stacks/dev",))
    assert summary.exit_code == 0
    assert any("suppresses no failure" in w for w in summary.warnings)


def test_summary_refuses_when_checkov_skipped_something_else():
    # checkov dropped a prd result that no entry matches: this script's reading of the skips is wrong.
    gate = [_report("terraform_json", passed=[("CKV_AWS_1", DEV, "x.a")])]
    audit = [
        _report(
            "terraform_json",
            passed=[("CKV_AWS_1", DEV, "x.a"), ("CKV_AWS_9", PRD, "x.a")],
            failed=[("CKV_AWS_9", DEV, "x.a")],
        )
    ]
    summary = _summary(gate, audit, SKIP_DEV)
    assert summary.exit_code == 2
    assert any("differ from what the skip entries match" in e for e in summary.errors)


def test_summary_refuses_a_target_without_results():
    reports = [
        _report("terraform_json", passed=[("CKV_AWS_1", DEV, "x.a")], failed=[("CKV_AWS_9", DEV, "x.a")])
    ]
    gate = [_report("terraform_json", passed=[("CKV_AWS_1", DEV, "x.a")])]
    summary = _summary(gate, reports, SKIP_DEV)
    assert any("stacks/prd: checkov produced no result" in e for e in summary.errors)
