"""``cora-infra check``: the layout it detects and every planted problem it reports, line by line."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from constructs_lib.api.feature_modules import ModuleLayout
from constructs_lib.deploy.cli import main
from constructs_lib.scaffold.check import CheckReport, Finding, check_project, format_report

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "check"
ENVS = ("dev", "stg", "prd")
WORKFLOW = "---\nname: {name}\non: workflow_dispatch\njobs:\n  run:\n    runs-on: ubuntu-latest\n"
MODULE_TF = 'output "routes" {\n  value = {}\n}\n'


def write(path: Path, text: str = "") -> Path:
    """Write ``text`` to ``path``, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_project(
    root: Path, *, layout: ModuleLayout | None = ModuleLayout.MONOREPO, names: tuple[str, ...] = ()
) -> Path:
    """A clean project as ``cora-infra new`` lays it out; ``layout=None`` leaves ``[modules]`` out.

    Two-repo: ``root`` should be named ``acme-infra``; its app repository ``../acme-stack`` is made
    beside it, with the Dockerfile and the modules in ``names``.
    """
    write(root / "cdktf.json", '{"language": "python", "app": "python main.py"}\n')
    write(root / "main.py", '"""Synthesizes the stacks."""\n')
    for env in ENVS:
        text = (FIXTURES / "config" / f"{env}.toml").read_text(encoding="utf-8")
        if layout is not None:
            text += f'\n[modules]\nlayout = "{layout.value}"\nnames = {list(names)!r}\n'.replace("'", '"')
        write(root / "config" / f"{env}.toml", text)
    for name in ("ci", "deploy-infra", "deploy-app"):
        write(root / ".github" / "workflows" / f"{name}.yml", WORKFLOW.format(name=name))
    if layout is ModuleLayout.TWO_REPO:
        image_repo = root.parent / "acme-stack"
    else:
        image_repo = root
        write(root / "packages" / "README.md", "Feature modules: packages/module-<name>/infrastructure\n")
    write(image_repo / "Dockerfile", "FROM node:20-alpine\n")
    write(image_repo / ".dockerignore", "**/node_modules\n**/.env*\n")
    for name in names:
        write(image_repo / "packages" / f"module-{name}" / "infrastructure" / "main.tf", MODULE_TF)
    return root


def lines(root: Path) -> list[str]:
    """The lines the CLI prints for ``root``."""
    return format_report(check_project(root))


# -- a fixture with planted problems --------------------------------------------------------------------
def test_every_planted_problem_of_the_monorepo_fixture_is_found_with_its_fix_and_nothing_else() -> None:
    root = FIXTURES / "monorepo-planted"
    report = check_project(root)
    billing = root / "packages" / "module-billing" / "infrastructure"
    assert format_report(report) == [
        "layout: monorepo (config [modules] layout; packages/ beside cdktf.json; apps/ beside cdktf.json)",
        "stg.toml: the stg environment's config is not where cora-infra reads it (config/stg.toml); "
        "fix: move stg.toml to config/stg.toml",
        "config/prd.toml: app.cpu: Input should be '256', '512', '1024', '2048' or '4096' (got '3000'); "
        "fix: app.cpu should be '256', '512', '1024', '2048' or '4096'",
        "workflows/deploy-app.yml: GitHub runs workflows only from <repo root>/.github/workflows/; "
        "fix: move it to .github/workflows/deploy-app.yml",
        "apps/web/Dockerfile: not at the root, the image's build context (the mono-repo root, with "
        "pnpm-lock.yaml and packages/); fix: move it to the root (Dockerfile)",
        "packages/module-billing/infrastructure: listed in config/dev.toml: modules.names: module 'billing' "
        f"(modules.layout 'monorepo', project root '{root}'): '{billing}' does not exist; the monorepo "
        "layout expects <project root>/packages/module-<name>/infrastructure; fix: add the module's *.tf "
        "files to packages/module-billing/infrastructure, or remove 'billing' from [modules] names",
        "packages/module-items/infrastructure: module 'items' is listed in no environment's [modules] "
        "names, so no stack deploys it; fix: add 'items' to [modules] names",
        "6 problems",
    ]
    assert report.layout is ModuleLayout.MONOREPO
    assert not report.ok


def test_a_clean_monorepo_project_passes(tmp_path: Path) -> None:
    report = check_project(make_project(tmp_path / "acme", names=("items",)))
    assert format_report(report) == [
        "layout: monorepo (config [modules] layout; packages/ beside cdktf.json)",
        "ok: no problems",
    ]
    assert report.ok


def test_this_repository_passes() -> None:
    # A real mono-repo-layout project: no [modules] table, no packages/ (and its fixtures are skipped).
    assert lines(ROOT)[1:] == ["ok: no problems"]


def test_copies_in_synth_scratch_folders_are_not_findings(tmp_path: Path) -> None:
    # make scan copies the workflows into cdktf.out.scan/checkov/.github/ for checkov.
    root = make_project(tmp_path / "acme")
    write(root / "cdktf.out.scan" / "checkov" / ".github" / "workflows" / "deploy-app.yml", "on: push\n")
    assert lines(root)[1:] == ["ok: no problems"]


def test_the_cli_exits_1_on_findings_and_2_on_a_path_that_is_no_folder(tmp_path: Path) -> None:
    root = make_project(tmp_path / "acme")
    (root / "Dockerfile").unlink()
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", str(root)], out=out, err=err) == 1
    assert out.getvalue().splitlines()[-1] == "1 problem"
    assert main(["check", str(root / "main.py")], out=out, err=err) == 2
    assert "is not a folder" in err.getvalue()
    assert main(["check", str(make_project(tmp_path / "clean"))], out=io.StringIO(), err=err) == 0


# -- two-repo ----------------------------------------------------------------------------------------
def test_a_two_repo_project_with_its_app_repository_beside_it_passes(tmp_path: Path) -> None:
    root = make_project(tmp_path / "acme-infra", layout=ModuleLayout.TWO_REPO, names=("items",))
    assert lines(root) == [
        "layout: two-repo (config [modules] layout; ../acme-stack exists; folder named acme-infra)",
        "ok: no problems",
    ]


def test_a_module_missing_from_the_app_repository_is_found(tmp_path: Path) -> None:
    root = make_project(tmp_path / "acme-infra", layout=ModuleLayout.TWO_REPO, names=("items",))
    shutil.rmtree(tmp_path / "acme-stack" / "packages" / "module-items")
    folder = tmp_path / "acme-stack" / "packages" / "module-items" / "infrastructure"
    assert lines(root)[1:] == [
        "../acme-stack/packages/module-items/infrastructure: listed in config/dev.toml, config/stg.toml, "
        f"config/prd.toml: modules.names: module 'items' (modules.layout 'two-repo', project root '{root}'): "
        f"'{folder}' does not exist; the two-repo layout expects <project root>/../acme-stack/packages/"
        "module-<name>/infrastructure; fix: add the module's *.tf files to "
        "../acme-stack/packages/module-items/infrastructure, or remove 'items' from [modules] names",
        "1 problem",
    ]


def test_without_the_app_repository_the_fix_is_to_check_it_out_beside(tmp_path: Path) -> None:
    root = make_project(tmp_path / "acme-infra", layout=ModuleLayout.TWO_REPO, names=("items",))
    shutil.rmtree(tmp_path / "acme-stack")
    report = check_project(root)
    assert report.layout_reason == "config [modules] layout; folder named acme-infra"
    assert [(f.path, f.fix) for f in report.findings] == [
        (
            "../acme-stack/packages/module-items/infrastructure",
            "check out acme-stack beside this repository (as ../acme-stack)",
        )
    ]


def test_a_dockerfile_in_the_infra_repository_is_misplaced(tmp_path: Path) -> None:
    root = make_project(tmp_path / "acme-infra", layout=ModuleLayout.TWO_REPO)
    (tmp_path / "acme-stack" / "Dockerfile").rename(root / "Dockerfile")
    assert lines(root)[1:] == [
        "Dockerfile: the two-repo layout builds the app image in the app repository, not here; "
        "fix: move it to ../acme-stack/Dockerfile",
        "../acme-stack/Dockerfile: missing: the app image is built from acme-stack's root; "
        "fix: add the web image's Dockerfile at the root of acme-stack",
        "2 problems",
    ]


# -- layout detection --------------------------------------------------------------------------------
def test_no_modules_table_and_no_evidence_means_the_library_default(tmp_path: Path) -> None:
    root = make_project(tmp_path / "acme", layout=None)
    shutil.rmtree(root / "packages")
    report = check_project(root)
    assert (report.layout, report.layout_reason, report.ok) == (
        ModuleLayout.MONOREPO,
        "no [modules] layout in config: the library default; no layout evidence on disk",
        True,
    )


def test_a_monorepo_checked_out_as_project_infra_is_no_two_repo_project(tmp_path: Path) -> None:
    # GitHub Actions checks a repository out as <name>/<name>; the folder name alone is only a hint.
    root = make_project(tmp_path / "acme-infra")
    shutil.rmtree(root / "packages")
    assert lines(root) == [
        "layout: monorepo (config [modules] layout; folder named acme-infra)",
        "ok: no problems",
    ]


def test_two_repo_declared_but_packages_beside_cdktf_json(tmp_path: Path) -> None:
    root = make_project(tmp_path / "acme-infra", layout=ModuleLayout.TWO_REPO)
    write(root / "packages" / "module-x" / "infrastructure" / "main.tf", MODULE_TF)
    report = check_project(root)
    assert report.layout is ModuleLayout.TWO_REPO
    assert format_report(report)[1:] == [
        "packages: config [modules] layout is 'two-repo' but packages/ beside cdktf.json (the monorepo "
        'layout); fix: set [modules] layout = "monorepo" in every config file, or move packages into '
        "acme-stack",
        "1 problem",
    ]


def test_monorepo_declared_but_the_app_repository_beside_it(tmp_path: Path) -> None:
    root = make_project(tmp_path / "acme")
    (tmp_path / "acme-stack").mkdir()
    assert lines(root)[1:] == [
        "../acme-stack: config [modules] layout is 'monorepo' but ../acme-stack exists (the two-repo "
        'layout); fix: set [modules] layout = "two-repo" in every config file, or remove the '
        "../acme-stack checkout",
        "1 problem",
    ]


def test_config_files_that_disagree_leave_the_layout_to_the_evidence(tmp_path: Path) -> None:
    root = make_project(tmp_path / "acme", layout=None)
    with (root / "config" / "dev.toml").open("a", encoding="utf-8") as file:
        file.write('\n[modules]\nlayout = "two-repo"\n')
    report = check_project(root)
    assert report.layout is ModuleLayout.MONOREPO
    assert report.layout_reason == "config files disagree on [modules] layout; packages/ beside cdktf.json"
    assert [f.line() for f in report.findings] == [
        "config: the config files disagree on [modules] layout: config/dev.toml 'two-repo', config/stg.toml "
        "'monorepo' (default), config/prd.toml 'monorepo' (default); fix: set the same [modules] layout "
        "in every config file"
    ]


# -- one planted problem at a time -------------------------------------------------------------------
def _rm(relative: str) -> Callable[[Path], object]:
    return lambda root: (root / relative).unlink()


def _move(source: str, target: str) -> Callable[[Path], object]:
    return lambda root: (root / source).rename(write(root / target))


def _append(relative: str, text: str) -> Callable[[Path], object]:
    def change(root: Path) -> None:
        with (root / relative).open("a", encoding="utf-8") as file:
            file.write(text)

    return change


def _share_dev_state(root: Path) -> None:
    # stg in dev's account, bucket and state key: each would overwrite the other's state.
    path = root / "config" / "stg.toml"
    text = path.read_text(encoding="utf-8").replace("222222222222", "111111111111")
    path.write_text(
        text.replace("[state]\n", '[state]\nkey = "acme/dev/terraform.tfstate"\n'), encoding="utf-8"
    )


PLANTED: dict[str, tuple[Callable[[Path], object], list[str]]] = {
    "no cdktf.json": (
        _rm("cdktf.json"),
        [
            "cdktf.json: missing at the project root; fix: run check on the project root (the folder of "
            "cdktf.json), or generate one with `cora-infra new`"
        ],
    ),
    "no main.py": (
        _rm("main.py"),
        [
            "main.py: missing at the project root; fix: run check on the project root (the folder of "
            "cdktf.json), or generate one with `cora-infra new`"
        ],
    ),
    "cdktf.json without app": (
        lambda root: write(root / "cdktf.json", '{"language": "python"}'),
        [
            'cdktf.json: has no "app" (the command that synthesizes the stacks); '
            'fix: add "app": "python main.py"'
        ],
    ),
    "cdktf.json not JSON": (
        lambda root: write(root / "cdktf.json", "{app:\n"),
        [
            "cdktf.json: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 "
            "(char 1)); fix: fix the JSON"
        ],
    ),
    "no config/prd.toml": (
        _rm("config/prd.toml"),
        [
            "config/prd.toml: missing: every environment (dev, stg, prd) needs its config file; "
            "fix: add config/prd.toml (copy another environment's and change its values)"
        ],
    ),
    "stg config under envs/stg": (
        _move("config/stg.toml", "envs/stg/stg.toml"),
        [
            "envs/stg/stg.toml: the stg environment's config is not where cora-infra reads it "
            "(config/stg.toml); fix: move envs/stg/stg.toml to config/stg.toml"
        ],
    ),
    "a toml that is no environment": (
        lambda root: write(root / "config" / "staging.toml"),
        [
            "config/staging.toml: 'staging' is not an environment; config files are named after one (dev, "
            "stg, prd, local); fix: rename it to config/<environment>.toml (dev, stg, prd, local) or move "
            "it out of config/"
        ],
    ),
    "an unknown key": (
        _append("config/dev.toml", "colour = 'blue'\n"),
        ["config/dev.toml: modules.colour: unknown key 'colour'; fix: allowed keys here: layout, names"],
    ),
    "broken TOML": (
        _append("config/dev.toml", "colour = \n"),
        [
            "config/dev.toml: not valid TOML: Invalid value (at line 23, column 10); fix: see the README's "
            "Config rules"
        ],
    ),
    "two environments in one state object": (
        _share_dev_state,
        [
            "config: config/dev.toml, config/stg.toml: state.bucket + state.key: dev and stg would keep "
            "their state in one object, s3://acme-tfstate-111111111111-eu-west-1/acme/dev/terraform.tfstate, "
            "and overwrite each other; fix: each environment needs its own state object: set a different "
            "state.key"
        ],
    ),
    "deploy-infra.yml under .github/": (
        _move(".github/workflows/deploy-infra.yml", ".github/deploy-infra.yml"),
        [
            ".github/deploy-infra.yml: GitHub runs workflows only from <repo root>/.github/workflows/; "
            "fix: move it to .github/workflows/deploy-infra.yml"
        ],
    ),
    "a second deploy-app under apps/web": (
        lambda root: write(root / "apps" / "web" / ".github" / "workflows" / "deploy-app.yaml", WORKFLOW),
        [
            "apps/web/.github/workflows/deploy-app.yaml: a second deploy-app workflow, which GitHub never "
            "runs (it runs .github/workflows/deploy-app.yml); fix: delete it, or merge what it adds into "
            ".github/workflows/deploy-app.yml"
        ],
    ),
    "no deploy-app workflow": (
        _rm(".github/workflows/deploy-app.yml"),
        [
            ".github/workflows/deploy-app.yml: missing: the deploy-app workflow deploys the app image; "
            "fix: add it (`cora-infra new` generates one for your layout)"
        ],
    ),
    "no Dockerfile": (
        _rm("Dockerfile"),
        [
            "Dockerfile: missing at the root, the image's build context (the mono-repo root, with "
            "pnpm-lock.yaml and packages/); fix: add Dockerfile (`cora-infra new` generates one)"
        ],
    ),
    ".dockerignore without .env": (
        lambda root: write(root / ".dockerignore", "**/node_modules\n# .env\n!.env.example\n.envrc\n"),
        [
            ".dockerignore: no pattern excludes .env files, so secrets would enter the image build "
            "context; fix: add the line **/.env*"
        ],
    ),
}


@pytest.mark.parametrize("case", list(PLANTED))
def test_one_planted_problem_gives_exactly_its_finding(case: str, tmp_path: Path) -> None:
    change, expected = PLANTED[case]
    root = make_project(tmp_path / "acme")
    change(root)
    report = check_project(root)
    assert [f.line() for f in report.findings] == expected
    assert not report.ok


# -- the report ---------------------------------------------------------------------------------------
def test_a_finding_is_one_line_whatever_its_message() -> None:
    finding = Finding(path="config/dev.toml", problem="not valid TOML:\n  line 2", fix="fix\nit")
    assert finding.line() == "config/dev.toml: not valid TOML: line 2; fix: fix it"


def test_the_summary_counts_problems() -> None:
    one = Finding(path="main.py", problem="missing", fix="add it")
    report = CheckReport(root=Path("."), layout=None, layout_reason="no readable config", findings=(one,))
    assert format_report(report) == [
        "layout: unknown (no readable config)",
        "main.py: missing; fix: add it",
        "1 problem",
    ]
