"""``cora-infra new --compute apprunner|ecs``: the configs, README and messages of each choice.

A generated ECS project's own ``make test`` runs in ``make new-projects`` (scripts/new_project_check.py).
"""

from __future__ import annotations

import io
import json
import re
import tomllib
from pathlib import Path

import pytest

from constructs_lib.compute.web_service import Compute
from constructs_lib.deploy.cli import main
from constructs_lib.scaffold import (
    NewProject,
    ScaffoldError,
    check_project,
    format_report,
    new_project,
    render_project,
)
from constructs_lib.scaffold import new as new_module
from constructs_lib.scaffold.new import summary
from constructs_lib.scaffold.project_files import COMPUTE_ADVICE
from constructs_lib.stacks import load_configs
from constructs_lib.stacks.config import EnvConfig
from constructs_lib.stacks.config_network import DEFAULT_CIDR
from scripts import new_project_check

ENVS = ("dev", "stg", "prd")
LAYOUT = new_module.ModuleLayout.MONOREPO


@pytest.fixture(scope="module")
def apprunner() -> dict[str, str]:
    return render_project("acme", region="eu-west-1")


@pytest.fixture(scope="module")
def ecs() -> dict[str, str]:
    return render_project("acme", region="eu-west-1", compute=Compute.ECS)


def _network_block(config: str) -> str:
    """The commented ``[network]`` table of a generated config: its ``# key = value`` lines up to the
    blank ``#`` line, uncommented."""
    block = config.split("# [network]\n", 1)[1].split("#\n", 1)[0]
    keys = [line[2:] for line in block.splitlines() if re.match(r"# [a-z_]+ = ", line)]
    return "[network]\n" + "\n".join(keys) + "\n"


# -- configs ---------------------------------------------------------------------------------------------
def test_the_default_is_app_runner_with_no_compute_key_and_no_network(apprunner):
    for env in ENVS:
        config = apprunner[f"config/{env}.toml"]
        assert "compute" not in tomllib.loads(config)["app"]
        assert "[network]" not in config and "ecs" not in config.lower()


@pytest.mark.parametrize("env", ENVS)
def test_ecs_configs_set_compute_and_leave_the_network_defaults_commented(ecs, env):
    config = ecs[f"config/{env}.toml"]
    parsed = tomllib.loads(config)
    assert parsed["app"]["compute"] == "ecs"
    assert (parsed["app"]["cpu"], parsed["app"]["memory"]) == ("1024", "2048")  # a Fargate pair
    assert "network" not in parsed  # the defaults apply
    assert tomllib.loads(_network_block(config))["network"] == {
        "cidr": "10.0.0.0/16",
        "az_count": 2,
        "nat": "per_az" if env == "prd" else "single",
        "vpc_endpoints": False,
        "assign_public_ip": False,
    }
    for key in ("vpc_id", "public_subnet_ids", "private_subnet_ids"):  # the other way, an existing VPC
        assert f"\n# {key} = " in config, key


def _load(folder: Path, files: dict[str, str]) -> list[EnvConfig]:
    folder.mkdir(exist_ok=True)
    for env in ENVS:
        (folder / f"{env}.toml").write_text(files[f"config/{env}.toml"])
    return load_configs(list(ENVS), folder)


def test_ecs_configs_load_and_their_commented_network_is_the_configs_own_default(tmp_path, ecs):
    configs = _load(tmp_path / "as-generated", ecs)
    assert [c.app.compute for c in configs] == [Compute.ECS] * 3
    assert [c.network for c in configs] == [None] * 3
    uncommented = {
        path: text + "\n" + _network_block(text) if path.startswith("config/") else text
        for path, text in ecs.items()
    }
    for default, spelled in zip(configs, _load(tmp_path / "uncommented", uncommented), strict=True):
        prd = default.environment.value == "prd"
        ours, theirs = default.network_settings, spelled.network_settings
        assert spelled.network is not None and ours.creates_vpc and theirs.creates_vpc
        assert (ours.cidr or DEFAULT_CIDR, ours.az_count or 2) == (theirs.cidr, theirs.az_count)
        assert ours.nat_for(prd) is theirs.nat
        assert (ours.vpc_endpoints, ours.assign_public_ip) == (theirs.vpc_endpoints, theirs.assign_public_ip)


def test_ecs_configs_differ_from_app_runners_only_in_the_compute_comments(apprunner, ecs):
    def without_comments(text: str) -> dict[str, object]:
        parsed = tomllib.loads(text)
        parsed["app"] = {k: v for k, v in parsed["app"].items() if k != "compute"}
        return parsed

    for env in ENVS:
        path = f"config/{env}.toml"
        assert without_comments(ecs[path]) == without_comments(apprunner[path])


def test_dev_without_a_domain_says_which_generated_name_it_runs_on(apprunner, ecs):
    assert "*.awsapprunner.com" in apprunner["config/dev.toml"]
    assert "*.elb.amazonaws.com" in ecs["config/dev.toml"] and "awsapprunner" not in ecs["config/dev.toml"]


# -- regions ---------------------------------------------------------------------------------------------
def test_ecs_runs_in_a_region_without_app_runner(tmp_path):
    with pytest.raises(ScaffoldError, match="App Runner is not available there"):
        render_project("acme", region="ca-central-1")
    files = render_project("acme", region="ca-central-1", compute=Compute.ECS)
    assert tomllib.loads(files["config/prd.toml"])["region"] == "ca-central-1"
    assert [c.region for c in _load(tmp_path, files)] == ["ca-central-1"] * 3  # the config agrees


def test_ecs_still_refuses_a_region_that_does_not_exist():
    with pytest.raises(ScaffoldError, match=r"--region 'mars-east-1' is not an AWS region; choose one of: "):
        render_project("acme", region="mars-east-1", compute=Compute.ECS)


# -- README and the other files ---------------------------------------------------------------------------
def _section(readme: str, title: str) -> str:
    return readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("compute", list(Compute))
def test_the_readme_says_when_to_choose_app_runner_or_ecs(compute):
    readme = render_project("acme", region="eu-west-1", compute=compute)["README.md"]
    section = " ".join(_section(readme, "App Runner or ECS").split())
    for fact in (
        "no new customers since 30 April 2026",
        "a new AWS account cannot use it",
        "a VPC",
        "fixed egress IPs through NAT",
        "16 vCPU / 120 GB",
        "ARM64",
        "simpler and cheaper at low traffic",
        "~USD 16+/month",
        "~USD 32/month",
        "docs/adr/0002-ecs-fargate-backend.md",
    ):
        assert fact in section, fact
    created = 'created with `compute = "ecs"`' if compute is Compute.ECS else "created with App Runner"
    assert created in section


def test_the_ecs_readme_and_project_files_name_ecs(ecs):
    intro = " ".join(ecs["README.md"].split("## Two commands", 1)[0].split())
    assert "ECS Fargate service" in intro and "App Runner" not in intro
    deploying = _section(ecs["README.md"], "Deploying")
    assert "App Runner" not in deploying and "task definition revision" in deploying
    assert "ECS Fargate" in tomllib.loads(ecs["pyproject.toml"])["project"]["description"]
    assert "App Runner" not in ecs["Makefile"]
    # The project's own test looks for the ECS service, named as App Runner's was.
    assert 'resources(stack, "aws_ecs_service")' in ecs["tests/test_stacks.py"]
    assert "aws_apprunner_service" not in ecs["tests/test_stacks.py"]


def test_only_the_compute_dependent_files_differ(apprunner, ecs):
    assert set(apprunner) == set(ecs)
    differ = sorted(path for path in ecs if ecs[path] != apprunner[path])
    assert differ == [
        "Makefile", "README.md", "config/dev.toml", "config/prd.toml", "config/stg.toml",
        "pyproject.toml", "tests/test_stacks.py",
    ]  # fmt: skip


# -- a real run ------------------------------------------------------------------------------------------
def test_new_writes_an_ecs_project_that_synthesizes_where_app_runner_does_not_run(tmp_path):
    result = new_project("acme", region="ca-central-1", compute=Compute.ECS, target=tmp_path / "acme")
    assert result.compute is Compute.ECS
    snapshots = result.target / "tests/__snapshots__/test_stacks"
    for env, nat_gateways in (("dev", 1), ("stg", 1), ("prd", 2)):  # nat: single, or per_az in prd
        stack = json.loads((snapshots / f"test_snapshot[{env}].json").read_text())
        resources = stack["resource"]
        (service,) = resources["aws_ecs_service"].values()
        assert service["name"] == f"acme-{env}-web"  # what the project's own test_names_and_region reads
        assert "aws_apprunner_service" not in resources
        assert len(resources["aws_nat_gateway"]) == nat_gateways, env
    assert format_report(check_project(result.target))[-1] == "ok: no problems"


# -- what new prints -------------------------------------------------------------------------------------
def _result(compute: Compute) -> NewProject:
    return NewProject(
        target=Path("/x/acme"), compute=compute, files=("a",), stacks=("dev",), library_url="https://h/r"
    )


def test_new_prints_two_lines_on_the_choice_for_either_compute():
    for compute in Compute:
        lines = list(summary(_result(compute), layout=LAYOUT))
        assert lines[1:3] == list(COMPUTE_ADVICE[compute])
        assert lines[1].startswith("compute: ")
    app_runner = " ".join(COMPUTE_ADVICE[Compute.APPRUNNER])
    assert "30 April 2026: a new AWS account cannot use it" in app_runner and "--compute ecs" in app_runner
    assert "~USD 16+/month" in app_runner and "~USD 32/month" in app_runner
    ecs = " ".join(COMPUTE_ADVICE[Compute.ECS])
    assert "any AWS account" in ecs and "16 vCPU / 120 GB" in ecs and "ARM64" in ecs
    assert "~USD 16+/month" in ecs and "~USD 32/month" in ecs


@pytest.mark.parametrize(("argv", "compute"), [((), Compute.APPRUNNER), (("--compute", "ecs"), Compute.ECS)])
def test_the_cli_passes_compute_on_and_prints_its_advice(monkeypatch, argv, compute):
    seen: dict[str, object] = {}

    def fake_new_project(project: str, **options: object) -> NewProject:
        seen.update(options)
        assert isinstance(options["compute"], Compute)
        return _result(options["compute"])

    monkeypatch.setattr(new_module, "new_project", fake_new_project)
    out, err = io.StringIO(), io.StringIO()
    assert main(["new", "acme", "--region", "eu-west-1", *argv], out=out, err=err) == 0
    assert seen["compute"] is compute
    assert out.getvalue().splitlines()[1:3] == list(COMPUTE_ADVICE[compute])


def test_a_bad_compute_is_refused_by_argparse_with_the_allowed_values(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as refused:
        main(["new", "acme", "--region", "eu-west-1", "--compute", "lambda"])
    assert refused.value.code == 2
    said = capsys.readouterr().err
    allowed = r"\(choose from '?apprunner'?, '?ecs'?\)"
    assert re.search(rf"--compute: invalid choice: 'lambda' {allowed}", said), said
    assert list(tmp_path.iterdir()) == []


# -- the new-project check's ECS variant (scripts/new_project_check.py) ------------------------------------
def test_the_new_project_check_generates_the_ecs_variant_with_the_cli_options(monkeypatch):
    seen: dict[str, object] = {}

    def fake_new_project(project: str, **options: object) -> NewProject:
        seen.update(options)
        assert isinstance(options["compute"], Compute)
        return _result(options["compute"])

    monkeypatch.setattr(new_module, "new_project", fake_new_project)
    argv = ["new", "acme", "--region", "eu-west-1", *new_project_check.VARIANTS["ecs"]]
    assert main(argv, out=io.StringIO(), err=io.StringIO()) == 0
    assert (seen["compute"], seen["layout"]) == (Compute.ECS, LAYOUT)


def test_the_ecs_variant_runs_make_test_without_lint_and_typecheck(ecs):
    makefile = ecs["Makefile"]
    test_goal = re.search(r"^test: (.+)$", makefile, re.M)
    assert test_goal is not None
    assert test_goal[1].split() == ["install", "lint", "typecheck", "check", "unit"]
    _, *targets = new_project_check.ECS_TARGETS
    assert targets == ["check", "unit"]
    assert new_project_check.readme_test_command(ecs["README.md"]) == ["make", "test"]
