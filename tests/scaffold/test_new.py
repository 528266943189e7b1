"""``cora-infra new``: what a generated project holds, what is refused (with nothing written), the pins.

The generated project's own ``make test`` (install against the wheel, lint, types, synth, snapshots,
validate) runs in ``make new-projects`` (scripts/new_project_check.py), part of ``make test``.
"""

from __future__ import annotations

import io
import json
import re
import tomllib
from pathlib import Path

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from constructs_lib import __version__
from constructs_lib.deploy.cli import main
from constructs_lib.scaffold import (
    ScaffoldError,
    check_project,
    default_target,
    format_report,
    new_project,
    render_project,
)
from constructs_lib.scaffold import new as new_module
from constructs_lib.scaffold.project_files import ACTIONS, DEV_PINS, stack_names
from constructs_lib.stacks import load_configs
from tests.workflow_files import parse

ROOT = Path(__file__).resolve().parents[2]
MONOREPO_ONLY = {"Dockerfile", ".dockerignore", "packages/README.md"}


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def monorepo() -> dict[str, str]:
    return render_project("acme", region="eu-west-1")


@pytest.fixture(scope="module")
def two_repo() -> dict[str, str]:
    return render_project("acme", region="eu-west-1", layout=new_module.ModuleLayout.TWO_REPO)


# -- what is generated ---------------------------------------------------------------------------------
def test_the_monorepo_layout_has_the_web_image_files_and_the_two_repo_layout_not(monorepo, two_repo):
    assert set(monorepo) - set(two_repo) == MONOREPO_ONLY
    assert set(two_repo) <= set(monorepo)
    for needed in (
        "README.md", "Makefile", "pyproject.toml", "cdktf.json", "main.py", ".gitignore",
        "config/dev.toml", "config/stg.toml", "config/prd.toml", "stacks/__init__.py",
        "tests/conftest.py", "tests/test_stacks.py", ".github/workflows/deploy-infra.yml",
        ".github/workflows/deploy-app.yml", ".github/workflows/ci.yml",
    ):  # fmt: skip
        assert needed in two_repo, needed


def test_every_template_is_used_and_nothing_is_left_unrendered(monorepo):
    templates = set((new_module.TEMPLATES).rglob("*.j2"))
    used = {new_module.TEMPLATES / spec.template for spec in new_module.FILES}
    assert templates == used
    for path, text in monorepo.items():
        assert "<%" not in text and "%>" not in text, path
        assert str(ROOT) not in text and "/tmp/" not in text, path


@pytest.mark.parametrize("layout", ["monorepo", "two-repo"])
def test_the_configs_say_the_layout_and_load(tmp_path, layout):
    files = render_project("acme", region="eu-west-1", layout=new_module.ModuleLayout(layout))
    for path, text in files.items():
        if path.startswith("config/"):
            (tmp_path / path).parent.mkdir(exist_ok=True)
            (tmp_path / path).write_text(text)
            assert tomllib.loads(text)["modules"] == {"layout": layout, "names": []}
    configs = load_configs(["dev", "stg", "prd"], tmp_path / "config")
    assert [c.region for c in configs] == ["eu-west-1"] * 3
    assert configs[0].domain is None  # dev runs on the generated URLs without --domain
    assert [c.domain.zone for c in configs[1:]] == ["stg.acme.example.com", "acme.example.com"]


def test_a_domain_names_every_environment(tmp_path):
    files = render_project("acme", region="us-east-1", domain="acme.io")
    for env in ("dev", "stg", "prd"):
        (tmp_path / f"{env}.toml").write_text(files[f"config/{env}.toml"])
    dev, stg, prd = load_configs(["dev", "stg", "prd"], tmp_path)
    assert (dev.app_url, dev.api_url) == ("https://dev.acme.io", "https://api.dev.acme.io")
    assert (stg.app_url, stg.api_url) == ("https://stg.acme.io", "https://api.stg.acme.io")
    assert (prd.app_url, prd.api_url) == ("https://acme.io", "https://api.acme.io")
    assert prd.cors_origins == ("https://acme.io", "https://www.acme.io")


def test_the_project_depends_on_this_release_from_git(monorepo):
    # More in test_library_source.py: the URL, its default and its refusals.
    project = tomllib.loads(monorepo["pyproject.toml"])["project"]
    (dependency,) = project["dependencies"]
    # With the deploy extra: make deploy runs cora-infra preflight, which needs boto3 and dnspython.
    assert dependency.startswith("cora-infra[deploy] @ git+https://") and dependency.endswith(
        f"@v{__version__}"
    )
    assert project["name"] == "acme-infra"


def test_the_tool_pins_are_cora_infras_own():
    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())
    dev = set(ours["project"]["optional-dependencies"]["dev"])
    assert {DEV_PINS[n] for n in ("pytest", "syrupy", "ruff", "mypy")} <= dev
    assert [DEV_PINS["setuptools"]] == ours["build-system"]["requires"]


def test_the_actions_are_the_commits_cora_infras_workflows_use(monorepo):
    ours = "".join(p.read_text() for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    for key, action in ACTIONS.items():
        assert f"uses: {action.repository}@{action.sha}  # {action.version}" in ours, key
    generated = "".join(t for p, t in monorepo.items() if p.startswith(".github/workflows/"))
    uses = set(re.findall(r"uses: (\S+@\S+)", generated))
    assert uses == {f"{a.repository}@{a.sha}" for a in ACTIONS.values()}


def test_the_web_image_files_are_cora_infras_own_linted_copies(monorepo):
    assert monorepo["Dockerfile"] == (ROOT / "Dockerfile").read_text()
    assert monorepo[".dockerignore"] == (ROOT / ".dockerignore").read_text()


def test_the_workflow_linter_configs_are_cora_infras_own(two_repo):
    assert two_repo[".yamllint"] == (ROOT / ".yamllint").read_text()
    assert two_repo[".github/zizmor.yml"] == (ROOT / ".github" / "zizmor.yml").read_text()


def test_the_two_repo_deploy_app_is_reusable_only_and_names_the_project(two_repo, monorepo):
    two = parse(two_repo[".github/workflows/deploy-app.yml"])
    assert set(two["on"]) == {"workflow_call"}
    assert "--project acme" in two["jobs"]["deploy"]["steps"][-1]["run"]
    # The mono-repo's: called by deploy-infra after a push's infra, or dispatched (test_workflows.py).
    mono = parse(monorepo[".github/workflows/deploy-app.yml"])
    assert set(mono["on"]) == {"workflow_call", "workflow_dispatch"}


def test_the_snapshot_text_is_what_syrupy_writes():
    data = {"b": [3, {"z": 1, "a": "é"}], "a": {"y": True, "x": None}}
    ours = new_module._snapshot_text(json.dumps(data))
    assert ours == JSONSnapshotExtension().serialize(data)


# -- refusals: every problem at once, nothing written ------------------------------------------------
@pytest.mark.parametrize(
    ("project", "reason"),
    [
        ("Acme", "2-24 lowercase"),
        ("a", "2-24 lowercase"),
        ("a" * 25, "2-24 lowercase"),
        ("acme-", "2-24 lowercase"),
        ("ac--me", "2-24 lowercase"),
        ("9acme", "2-24 lowercase"),
        ("aws-shop", "SSM reserves"),
        ("ssmx", "SSM reserves"),
        ("sthree", "S3 reserves"),
        ("amzn-s3-demo-x", "S3 reserves"),
    ],
)
def test_an_invalid_project_name_is_refused_naming_it(tmp_path, project, reason):
    with pytest.raises(ScaffoldError, match=re.escape(repr(project))) as refused:
        new_project(project, region="eu-west-1", target=tmp_path / "out")
    assert reason in str(refused.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("region", "reason"),
    [("mars-east-1", "is not an AWS region"), ("ca-central-1", "App Runner is not available there")],
)
def test_an_unknown_region_is_refused(tmp_path, region, reason):
    with pytest.raises(ScaffoldError, match=re.escape(f"--region {region!r}")) as refused:
        new_project("acme", region=region, target=tmp_path / "out")
    assert reason in str(refused.value) and "eu-west-1" in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_domain_is_refused(tmp_path):
    with pytest.raises(ScaffoldError, match="--domain"):
        new_project("acme", region="eu-west-1", domain="not a zone", target=tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_target_is_refused_and_left_alone(tmp_path):
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match=r"is not empty \(1 entries: notes\.txt\)"):
        new_project("acme", region="eu-west-1", target=tmp_path / "acme")
    assert [p.name for p in tmp_path.rglob("*")] == ["acme", "notes.txt"]


def test_a_file_as_target_is_refused(tmp_path):
    (tmp_path / "acme").write_text("")
    with pytest.raises(ScaffoldError, match="exists and is not a folder"):
        new_project("acme", region="eu-west-1", target=tmp_path / "acme")


def test_every_problem_is_reported_at_once(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("")
    with pytest.raises(ScaffoldError) as refused:
        new_project("Bad", region="nowhere-1", domain="-", target=tmp_path / "x")
    lines = str(refused.value).splitlines()
    assert len(lines) == 4, lines


def test_a_folder_that_cannot_be_written_is_refused(tmp_path, monkeypatch):
    def refuse(**_: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(new_module.tempfile, "mkdtemp", refuse)
    with pytest.raises(ScaffoldError, match="cannot write there: Permission denied"):
        new_project("acme", region="eu-west-1", target=tmp_path / "acme")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_synth_leaves_nothing_behind(tmp_path, monkeypatch):
    def fail(staging: Path) -> dict[str, str]:
        raise ValueError("boom")

    monkeypatch.setattr(new_module, "_synthesize", fail)
    with pytest.raises(ScaffoldError, match="does not synthesize: boom"):
        new_project("acme", region="eu-west-1", target=tmp_path / "acme")
    assert list(tmp_path.iterdir()) == []


# -- a real run ------------------------------------------------------------------------------------------
def test_new_writes_the_project_with_a_snapshot_per_stack(tmp_path):
    (tmp_path / "acme").mkdir()  # an empty folder is fine
    result = new_project("acme", region="eu-west-1", target=tmp_path / "acme")
    assert result.target == tmp_path / "acme"
    assert [p.name for p in tmp_path.iterdir()] == ["acme"]  # no staging folder left
    assert (result.target.stat().st_mode & 0o777) != 0o700
    snapshots = sorted(p.name for p in (result.target / "tests/__snapshots__/test_stacks").iterdir())
    assert snapshots == sorted(f"test_snapshot[{s}].json" for s in stack_names())
    dev = json.loads((result.target / "tests/__snapshots__/test_stacks/test_snapshot[dev].json").read_text())
    (service,) = dev["resource"]["aws_apprunner_service"].values()
    assert service["service_name"] == "acme-dev-web"
    assert dev["terraform"]["backend"]["s3"]["bucket"] == "acme-dev-tfstate-eu-west-1"
    written = sorted(str(p.relative_to(result.target)) for p in result.target.rglob("*") if p.is_file())
    assert written == list(result.files)


def test_the_cli_creates_the_two_repo_project_in_its_infra_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli("new", "acme", "--region", "eu-west-1", "--layout", "two-repo")
    assert (code, err) == (0, "")
    assert (tmp_path / "acme-infra" / "main.py").is_file()
    assert not (tmp_path / "acme-infra" / "Dockerfile").exists()
    assert "make test" in out


def test_the_cli_refuses_with_exit_2_and_says_nothing_was_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli("new", "AWS", "--region", "eu-west-1")
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == "error: nothing was written"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("layout", "reason"),
    [
        ("monorepo", "config [modules] layout; packages/ beside cdktf.json"),
        ("two-repo", "config [modules] layout; folder named acme-infra"),
    ],
)
def test_cora_infra_check_passes_on_a_generated_project(tmp_path, layout, reason):
    project = tmp_path / default_target("acme", new_module.ModuleLayout(layout))
    new_project("acme", region="eu-west-1", layout=new_module.ModuleLayout(layout), target=project)
    assert format_report(check_project(project)) == [f"layout: {layout} ({reason})", "ok: no problems"]


def test_terraformrc_writes_the_cli_config(tmp_path, monkeypatch):
    monkeypatch.setenv("CORA_TF_PROVIDER_MIRROR", "")
    code, out, _ = _cli("terraformrc", str(tmp_path / ".terraformrc"))
    assert code == 0 and "the Terraform registry" in out
    assert "No provider mirror found" in (tmp_path / ".terraformrc").read_text()
