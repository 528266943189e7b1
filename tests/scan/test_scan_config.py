"""The checkov gate's configuration and helpers (scripts/scan.py); checkov itself runs in `make scan`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scripts import scan
from tests.processes import make_test_commands

ROOT = Path(__file__).resolve().parents[2]
CONFIG_TEXT = (ROOT / ".checkov.yaml").read_text(encoding="utf-8")
SKIPS = scan.parse_skips(CONFIG_TEXT)
STACKS = scan.EXPECTED_STACKS
# Where the scan tree may live: graph checks see absolute paths, and checkov does not anchor the regex.
SCAN_ROOTS = (
    "",  # resource checks: the path relative to the scan tree
    "/work/main/cdktf.out.scan/checkov",
    "/home/dev/local/stg/prd/bootstrap/cora-infra/cdktf.out.scan/checkov",
)

# What each skip is for: the stacks whose results it may suppress, and nothing more.
BOOTSTRAP = {"bootstrap-dev", "bootstrap-stg", "bootstrap-prd", "bootstrap-local"}
ECS_ALL = {"ecs-dev", "ecs-stg", "ecs-prd", "ecs-local"}
INTENDED = {
    "CKV_AWS_136": {"dev", "local", "ecs-dev", "ecs-local"},  # customer KMS key: ECR
    "CKV_AWS_149": {"dev", "local", "ecs-dev", "ecs-local"},  # customer KMS key: secrets
    "CKV_AWS_158": {"dev", "local", "ecs-dev", "ecs-local"},  # customer KMS key: log group
    "CKV2_AWS_57": {"dev", "ecs-dev"},  # secret rotation (local rotates with a stub Lambda on the emulator)
    "CKV_AWS_338": {"dev", "stg", "local", "ecs-dev", "ecs-stg", "ecs-local"},  # log retention >= 1 year
    "CKV_AWS_309": {"dev", "stg", "prd", "local"} | ECS_ALL,  # the deliberately public GET /v1/status route
    "CKV2_AWS_34": {"dev", "stg", "prd", "local"}
    | ECS_ALL,  # published outputs: non-secret String parameters
    "CKV2_AWS_62": BOOTSTRAP | {"ecs-stg", "ecs-prd"},  # state bucket; access-log bucket
    "CKV_AWS_144": BOOTSTRAP | {"ecs-stg", "ecs-prd"},
    "CKV_AWS_145": BOOTSTRAP | {"ecs-stg", "ecs-prd"},  # access logs: ELB writes only to SSE-S3 buckets
    "CKV_AWS_18": BOOTSTRAP | {"ecs-stg", "ecs-prd"},
    "CKV_AWS_21": {"ecs-stg", "ecs-prd"},  # access-log bucket: objects written once, expired at 90 days
    "CKV_AWS_260": ECS_ALL,  # :80 open: redirects to HTTPS (dev: no domain, plain HTTP)
    "CKV2_AWS_28": ECS_ALL,  # WAF: the organisation's choice
    "CKV_AWS_2": {"ecs-dev"},  # dev without a domain: plain HTTP
    "CKV_AWS_103": {"ecs-dev"},
    "CKV_AWS_378": {"ecs-dev"},
    "CKV2_AWS_20": {"ecs-dev"},
    "CKV_AWS_150": {"ecs-dev", "ecs-local"},  # deletion protection: stg and prd only
    "CKV_AWS_91": {"ecs-dev", "ecs-local"},  # access logs: stg and prd only
    "CKV_AWS_333": {"ecs-dev"},  # the dev sample's tasks take public IPs (no NAT)
}
# prd must satisfy these itself (customer key, rotation, a year of logs); stg all but retention.
PRD_MUST_PASS = ("CKV_AWS_136", "CKV_AWS_149", "CKV_AWS_158", "CKV2_AWS_57", "CKV_AWS_338")
STG_MUST_PASS = ("CKV_AWS_136", "CKV_AWS_149", "CKV_AWS_158", "CKV2_AWS_57")


def _stack_paths(stack: str) -> list[str]:
    return [f"{root}/stacks/{stack}/cdk.tf.json" for root in SCAN_ROOTS]


def _covered(check_id: str) -> set[str]:
    """The stacks where any skip entry suppresses ``check_id`` (for any location of the scan tree)."""
    return {
        stack
        for stack in STACKS
        for path in _stack_paths(stack)
        if any(skip.matches(check_id, [path]) for skip in SKIPS)
    }


# --- .checkov.yaml ----------------------------------------------------------------------------------


def test_config_has_skips_and_no_problems():
    assert SKIPS, "the skip-check list of .checkov.yaml is empty or unreadable"
    assert scan.validate_skips(SKIPS) == []


@pytest.mark.parametrize("skip", SKIPS, ids=lambda s: s.value)
def test_every_skip_has_a_reason(skip):
    assert len(skip.reason) >= 20, f"line {skip.line}: give a specific reason beside the entry"


@pytest.mark.parametrize("skip", SKIPS, ids=lambda s: s.value)
def test_every_skip_names_a_checkov_check_id(skip):
    assert scan.CHECK_ID.match(skip.check_id)
    assert skip.check_id in INTENDED, f"{skip.check_id}: new skip? add it to INTENDED with its scope"


def test_line_parser_agrees_with_yaml():
    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load(CONFIG_TEXT)["skip-check"] == [skip.value for skip in SKIPS]
    assert scan.yaml_skip_values(CONFIG_TEXT) == [skip.value for skip in SKIPS]


def test_config_stays_offline():
    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load(CONFIG_TEXT)["skip-download"] is True


@pytest.mark.parametrize("skip", SKIPS, ids=lambda s: s.value)
def test_terraform_skips_are_scoped_to_stacks(skip):
    assert skip.pattern is not None, f"{skip.value} skips the check everywhere; scope it to stacks"
    assert skip.pattern.endswith(r"/cdk\.tf\.json$"), "end the regex in the stack folder and file name"


@pytest.mark.parametrize("check_id", sorted(INTENDED))
def test_skips_cover_exactly_the_intended_stacks(check_id):
    assert _covered(check_id) == INTENDED[check_id]


@pytest.mark.parametrize("check_id", PRD_MUST_PASS)
def test_no_skip_covers_prd_for_checks_prd_must_pass(check_id):
    assert "prd" not in _covered(check_id)


@pytest.mark.parametrize("check_id", STG_MUST_PASS)
def test_no_skip_covers_stg_for_customer_keys_and_rotation(check_id):
    assert "stg" not in _covered(check_id)


def test_scope_does_not_depend_on_where_the_scan_tree_lives():
    for skip in SKIPS:
        for stack in STACKS:
            verdicts = {skip.matches(skip.check_id, [path]) for path in _stack_paths(stack)}
            assert len(verdicts) == 1, f"{skip.value} on {stack}: depends on the folder"


def test_skip_applies_to_dockerfile_and_workflows_never():
    for skip in SKIPS:
        assert not skip.matches(skip.check_id, ["/Dockerfile", "/.github/workflows/ci.yml"])


# --- parsing and validating skip entries ------------------------------------------------------------


def test_parse_skips_reads_values_reasons_and_lines():
    text = (
        "skip-download: true\n"
        "skip-check:\n"
        "  # a group comment\n"
        "  - CKV_AWS_1:/stacks/(dev|local)/cdk\\.tf\\.json$  # reason one\n"
        "\n"
        "  - 'CKV_AWS_2:a#b'   # reason two\n"
        "  - CKV_AWS_3\n"
        "framework: terraform_json\n"
        "  - not: part of the list\n"
    )
    skips = scan.parse_skips(text)
    assert [(s.value, s.reason, s.line) for s in skips] == [
        ("CKV_AWS_1:/stacks/(dev|local)/cdk\\.tf\\.json$", "reason one", 4),
        ("CKV_AWS_2:a#b", "reason two", 6),
        ("CKV_AWS_3", "", 7),
    ]
    assert skips[0].check_id == "CKV_AWS_1"
    assert skips[0].pattern == "/stacks/(dev|local)/cdk\\.tf\\.json$"
    assert skips[2].pattern is None


def test_a_hash_without_space_belongs_to_the_value():
    (skip,) = scan.parse_skips("skip-check:\n  - CKV_AWS_1:x#y  # why\n")
    assert (skip.value, skip.reason) == ("CKV_AWS_1:x#y", "why")


@pytest.mark.parametrize(
    "text",
    [
        "skip-check: [CKV_AWS_1, CKV_AWS_2]\n",
        'skip-check:\n  - "CKV_AWS_1:a\\.b"  # double quotes process escapes\n',
        "skip-check:\n  CKV_AWS_1  # not a list item\n",
        "skip-check:\n  - 'CKV_AWS_1  # unterminated\n",
    ],
)
def test_parse_skips_refuses_forms_without_a_reason_slot(text):
    with pytest.raises(scan.ScanConfigError):
        scan.parse_skips(text)


def test_no_skip_check_key_means_no_skips():
    assert scan.parse_skips("skip-download: true\n") == []


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("- CKV_AWS_1:/dev/", "no reason"),
        ("- CKV_AWS_1:/dev/  #   ", "no reason"),
        ("- CKV-AWS-1  # why", "not a checkov check id"),
        ("- CKV_AWS_1:/(dev,local)/  # why", "splits skip-check at ','"),
        ("- CKV_AWS_1:/dev/:x  # why", "contain no ':'"),
        ("- CKV_AWS_1:  # why", "non-empty"),
        ("- CKV_AWS_1:/(dev/  # why", "invalid regex"),
    ],
)
def test_validate_skips_names_the_problem(entry, problem):
    problems = scan.validate_skips(scan.parse_skips(f"skip-check:\n  {entry}\n"))
    assert any(problem in p for p in problems), problems


def test_validate_skips_refuses_duplicates():
    skips = scan.parse_skips("skip-check:\n  - CKV_AWS_1  # a\n  - CKV_AWS_1  # b\n")
    assert any("listed twice" in p for p in scan.validate_skips(skips))


def test_config_without_skips_keeps_the_other_settings():
    stripped = scan.config_without_skips(CONFIG_TEXT)
    assert scan.parse_skips(stripped) == []
    assert "skip-download: true" in stripped
    assert "CKV_" not in re.sub(r"#.*", "", stripped)


# --- the scan copy ----------------------------------------------------------------------------------


def _stack_doc():
    return {
        "//": {"metadata": {"stackName": "dev", "version": "0.20.12"}},
        "terraform": {
            "required_providers": {"aws": {"source": "aws", "version": "~> 5.99"}},
            "backend": {"s3": {"bucket": "b", "key": "k", "use_lockfile": True}},
            "required_version": ">= 1.10",
        },
        "provider": {"aws": [{"region": "us-east-1"}]},
        "resource": {"aws_ecr_repository": {"repo": {"name": "cora-dev-web", "required_version": "kept"}}},
        "output": {"required_version": {"value": "kept too"}},
    }


def test_scan_copy_drops_only_terraform_required_version(tmp_path):
    source = tmp_path / "synth" / "cdk.tf.json"
    source.parent.mkdir()
    source.write_text(json.dumps(_stack_doc(), indent=2), encoding="utf-8")
    before = source.read_bytes()
    mtime = source.stat().st_mtime_ns

    target = tmp_path / "scan" / "stacks" / "dev" / "cdk.tf.json"
    scan.write_scan_copy(source, target)

    expected = _stack_doc()
    del expected["terraform"]["required_version"]
    copy = json.loads(target.read_text(encoding="utf-8"))
    assert copy == expected
    assert list(copy) == list(expected)  # order kept
    assert list(copy["terraform"]) == ["required_providers", "backend"]
    assert source.read_bytes() == before  # the real output is untouched
    assert source.stat().st_mtime_ns == mtime


def test_scan_copy_of_a_document_without_required_version_is_equal(tmp_path):
    doc = _stack_doc()
    del doc["terraform"]["required_version"]
    source = tmp_path / "cdk.tf.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    scan.write_scan_copy(source, tmp_path / "copy" / "cdk.tf.json")
    assert json.loads((tmp_path / "copy" / "cdk.tf.json").read_text(encoding="utf-8")) == doc


def test_scan_dir_refuses_a_foreign_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("not ours", encoding="utf-8")
    with pytest.raises(SystemExit, match="not a scan folder"):
        scan.prepare_dir(tmp_path)
    assert (tmp_path / "keep.txt").exists()


def test_scan_dir_is_emptied_when_it_is_ours(tmp_path):
    scan.prepare_dir(tmp_path / "s")
    (tmp_path / "s" / "old").write_text("x", encoding="utf-8")
    scan.prepare_dir(tmp_path / "s")
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [scan.MARKER]


# --- wiring -----------------------------------------------------------------------------------------


def test_make_test_runs_the_scan():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "scripts/scan.py --checkov" in make_test_commands()
    assert re.search(r"^scan:.*\$\(STAMP\)/scan", makefile, re.MULTILINE)
    assert "-c constraints-scan.txt" in makefile


def test_scanner_versions_are_pinned():
    pins = (ROOT / "constraints-scan.txt").read_text(encoding="utf-8").splitlines()
    assert "checkov==3.3.30" in pins
    assert all("==" in line for line in pins if line and not line.startswith("#"))


def test_scratch_folders_are_ignored():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".venv-scan/" in ignored
    assert "cdktf.out.scan/" in ignored


# --- Dockerfile: what checkov's dockerfile checks do not look at ------------------------------------

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
INSTRUCTIONS = [
    line.strip()
    for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.startswith("#")
]


def test_base_images_are_an_exact_node_22_alpine_release():
    images = [line.split()[1] for line in INSTRUCTIONS if line.startswith("FROM ")]
    external = [image for image in images if ":" in image]
    assert external, images
    for image in external:
        assert re.fullmatch(r"node:22\.\d+\.\d+-alpine(3\.\d+)?(@sha256:[0-9a-f]{64})?", image), image


def test_runs_as_non_root_with_a_health_check_on_the_app_runner_path():
    users = [line.split()[1] for line in INSTRUCTIONS if line.startswith("USER ")]
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
    (healthcheck,) = [line for line in INSTRUCTIONS if line.startswith("HEALTHCHECK ")]
    assert "/api/health" in healthcheck
    assert ":3000" in healthcheck


def test_build_settings():
    env_lines = [line for line in INSTRUCTIONS if line.startswith("ENV ")]
    assert all("=" in line.split()[1] for line in env_lines), "use ENV key=value"
    assert "NEXT_TELEMETRY_DISABLED=1" in DOCKERFILE
    assert "--frozen-lockfile" in DOCKERFILE
    assert re.search(r"^ARG PNPM_VERSION=\d+\.\d+\.\d+$", DOCKERFILE, re.MULTILINE)
    assert "ARG NEXT_PUBLIC_API_URL" in DOCKERFILE
    assert "latest" not in "\n".join(INSTRUCTIONS)


# The ECS sample's stg and prd satisfy these themselves: HTTPS only, deletion protection, access logs,
# no public IPs on tasks (the organisation policy enforces the first three at synth).
ECS_PROTECTED_MUST_PASS = (
    "CKV_AWS_2",
    "CKV_AWS_103",
    "CKV2_AWS_20",
    "CKV_AWS_150",
    "CKV_AWS_91",
    "CKV_AWS_333",
)


@pytest.mark.parametrize("check_id", ECS_PROTECTED_MUST_PASS)
def test_no_skip_covers_ecs_stg_or_prd_for_https_protection_logs_and_private_tasks(check_id):
    assert not _covered(check_id) & {"ecs-stg", "ecs-prd"}
