"""CoraAppStack adds the ``[modules]`` feature modules of a project, found per layout from its root.

The fixture projects (``tests/fixtures/modular``): ``monorepo/`` holds ``config/`` and
``packages/module-items``; ``two-repo/acme-infra/`` holds ``config/`` and its module is in
``two-repo/acme-stack/packages/module-items``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cdktf import App

from constructs_lib import CoraInfraError, LocalBackendConfig
from constructs_lib.stacks import CoraAppStack, build_app, load_config
from constructs_lib.stacks.synth import run
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "modular"
PROJECTS = {"monorepo": FIXTURES / "monorepo", "two-repo": FIXTURES / "two-repo" / "acme-infra"}


def synth_project(root: Path, outdir: Path) -> tuple[dict, Path]:
    """The fixture project's ``local`` stack, as ``CoraAppStack`` builds it; its JSON and folder."""
    app = App(outdir=str(outdir))
    config = load_config("local", root / "config")
    CoraAppStack(app, config, backend=LocalBackendConfig(path="terraform.tfstate"), project_root=root)
    app.synth()
    folder = outdir / "stacks" / "local"
    return json.loads((folder / "cdk.tf.json").read_text()), folder


@pytest.fixture(scope="module", params=sorted(PROJECTS))
def project(request, tmp_path_factory) -> tuple[str, dict, Path]:
    layout = request.param
    doc, folder = synth_project(PROJECTS[layout], tmp_path_factory.mktemp(f"modules-{layout}"))
    return layout, doc, folder


def test_the_module_is_added_with_the_stack_inputs(project):
    _, doc, folder = project
    (module_id,) = doc["module"]
    module = doc["module"][module_id]
    assert module_id.startswith("module-items_module_")
    assert (module["name_prefix"], module["environment"], module["tags"]) == ("acme-local", "local", {})
    # The asset is the module's folder, copied into the stack's folder.
    copied = folder / module["source"]
    assert sorted(p.name for p in copied.iterdir()) == ["handler.zip", "main.tf"]


def test_the_module_routes_are_wired_into_the_api(project):
    _, doc, _ = project
    (module_id,) = doc["module"]
    resources = doc["resource"]
    wired = {
        kind: [body for key, body in resources[kind].items() if "module-items" in key]
        for kind in ("aws_apigatewayv2_integration", "aws_apigatewayv2_route", "aws_lambda_permission")
    }
    assert {kind: len(bodies) for kind, bodies in wired.items()} == {
        "aws_apigatewayv2_integration": 1,
        "aws_apigatewayv2_route": 2,  # the routes and the preflight routes of authorized ANY routes
        "aws_lambda_permission": 1,
    }
    for bodies in wired.values():
        assert any(b["for_each"] == f"${{module.{module_id}.routes}}" for b in bodies)
    (integration,) = wired["aws_apigatewayv2_integration"]
    messages = [c["error_message"] for c in integration["lifecycle"]["precondition"]]
    assert any("unknown authorizer" in m and m.endswith("known on this API: okta.") for m in messages)
    # The config's own route is known at synth: a module may not take its key.
    taken = [c["condition"] for c in integration["lifecycle"]["precondition"] if "concat(" in c["condition"]]
    assert taken == ['${!contains(concat(["GET /v1/status"]), each.key)}']


def test_no_absolute_path_is_in_the_json(project):
    _, doc, _ = project
    text = json.dumps(doc)
    assert str(ROOT) not in text
    assert str(FIXTURES) not in text
    assert "acme-stack" not in text  # the two-repo layout's folder is not named either


def test_both_layouts_synthesize_the_same_json(tmp_path):
    mono, _ = synth_project(PROJECTS["monorepo"], tmp_path / "mono")
    two, _ = synth_project(PROJECTS["two-repo"], tmp_path / "two")
    assert mono == two  # same module content, same config: machine- and layout-independent JSON


def test_a_stack_with_modules_needs_the_project_root():
    config = load_config("local", PROJECTS["monorepo"] / "config")
    with pytest.raises(CoraInfraError, match=r"modules\.names: \['items'\] .*no.*project_root=") as caught:
        CoraAppStack(App(), config)
    assert "project_root" in str(caught.value)


def test_build_app_passes_the_project_root(tmp_path):
    app = App(outdir=str(tmp_path))
    build_app(app, [load_config("local", PROJECTS["monorepo"] / "config")], project_root=PROJECTS["monorepo"])
    assert [c.node.id for c in app.node.children] == ["local", "bootstrap-local"]


def _run(monkeypatch, tmp_path: Path, config_dir: Path, **kwargs: object) -> int:
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "out"))
    monkeypatch.setenv("CORA_ENVIRONMENTS", "local")
    monkeypatch.setenv("CORA_STATE_BACKEND", "local")
    monkeypatch.delenv("CORA_CONFIG_DIR", raising=False)
    return run(config_dir, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("layout", sorted(PROJECTS))
def test_run_finds_modules_from_the_config_folders_parent(monkeypatch, tmp_path, layout):
    assert _run(monkeypatch, tmp_path, PROJECTS[layout] / "config") == 0
    doc = json.loads((tmp_path / "out" / "stacks" / "local" / "cdk.tf.json").read_text())
    assert [k for k in doc["module"] if k.startswith("module-items_module_")]


def test_run_refuses_a_missing_module_before_writing(monkeypatch, tmp_path, capsys):
    project = tmp_path / "acme-infra"
    shutil.copytree(PROJECTS["two-repo"], project)  # no acme-stack beside the copy
    assert _run(monkeypatch, tmp_path, project / "config") == 2
    error = capsys.readouterr().err
    tried = tmp_path / "acme-stack" / "packages" / "module-items" / "infrastructure"
    assert error.startswith("error: ")
    assert "local.toml" in error
    assert "modules.names: module 'items' (modules.layout 'two-repo'" in error
    assert f"{str(tried)!r} does not exist" in error
    assert "<project root>/../acme-stack/packages/module-<name>/infrastructure" in error
    out = tmp_path / "out"
    assert not (list(out.rglob("cdk.tf.json")) if out.is_dir() else [])  # no Terraform written


def test_run_takes_an_explicit_project_root(monkeypatch, tmp_path, capsys):
    config_dir = tmp_path / "config"
    shutil.copytree(PROJECTS["monorepo"] / "config", config_dir)
    assert _run(monkeypatch, tmp_path, config_dir) == 2  # its parent has no packages/
    assert "'items' (modules.layout 'monorepo'" in capsys.readouterr().err
    assert _run(monkeypatch, tmp_path, config_dir, project_root=PROJECTS["monorepo"]) == 0


def test_a_build_without_project_root_still_works(monkeypatch, tmp_path):
    """Builds written for ``run`` before ``project_root`` existed are called as before."""
    seen = []

    def build(app: App, configs: list, *, local_state: bool) -> None:
        seen.append(local_state)
        build_app(app, configs, local_state=local_state, project_root=PROJECTS["monorepo"])

    assert _run(monkeypatch, tmp_path, PROJECTS["monorepo"] / "config", build=build) == 0
    assert seen == [True]


@pytest.mark.terraform
def test_the_stack_with_its_module_is_valid_terraform(project, terraform_env, tmp_path):
    _, _, folder = project
    work = tmp_path / "validate"
    shutil.copytree(folder, work)
    init = subprocess.run(
        ["terraform", "init", "-backend=false", "-input=false", "-no-color"],
        cwd=work,
        env=terraform_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    validate = subprocess.run(
        ["terraform", "validate", "-json", "-no-color"],
        cwd=work,
        env=terraform_env,
        capture_output=True,
        text=True,
        check=False,
    )
    result = json.loads(validate.stdout)
    assert result["valid"] is True, json.dumps(result["diagnostics"], indent=2)
    assert (result["error_count"], result["warning_count"]) == (0, 0), json.dumps(result["diagnostics"])
