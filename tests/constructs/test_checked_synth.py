"""``synth_app`` (constructs_lib.policy.checked_synth): the policy checks the JSON synth writes, each stack is
rendered once, the bytes are those of check_app + synth, and nothing is written on a violation."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from cdktf import App, TerraformStack
from jsii._kernel.providers.process import ProcessProvider

import main
from constructs_lib import PolicyViolationError, _aws, apply_policy, check_app, suppress
from constructs_lib.policy.checked_synth import STAGING_PREFIX, synth_app
from tests.conftest import STACKS
from tests.constructs.policy_helpers import OTHER_RULES, api, mutable_repo, short_logs
from tests.constructs.test_feature_modules import items_module


@pytest.fixture
def kernel_calls(monkeypatch) -> collections.Counter[str]:
    """Methods invoked on jsii objects from Python (``toTerraform``, ``findAll``, ...), counted."""
    calls: collections.Counter[str] = collections.Counter()
    invoke = ProcessProvider.invoke

    def counting(self, request):  # type: ignore[no-untyped-def]
        calls[request.method] += 1
        return invoke(self, request)

    monkeypatch.setattr(ProcessProvider, "invoke", counting)
    return calls


def _stack(app: App, environment: str) -> TerraformStack:
    stack = TerraformStack(app, environment)
    _aws.AwsProvider(stack, "aws", region="us-east-1")
    apply_policy(stack, environment=environment, rules=OTHER_RULES)
    return stack


def test_main_renders_each_stack_once(tmp_path, monkeypatch, kernel_calls):
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "out"))
    monkeypatch.delenv("CORA_ENVIRONMENTS", raising=False)
    assert main.main() == 0
    # check_app asked the kernel for every stack's configuration, then synth rendered it again.
    assert kernel_calls["toTerraform"] == 0
    assert kernel_calls["findAll"] == 0
    assert kernel_calls["synth"] == 1


def test_main_writes_the_bytes_of_check_app_and_synth(tmp_path, monkeypatch, synth_dir):
    out = tmp_path / "out"
    monkeypatch.setenv("CDKTF_OUTDIR", str(out))
    monkeypatch.delenv("CORA_ENVIRONMENTS", raising=False)
    assert main.main() == 0
    for stack in STACKS:
        path = Path("stacks") / stack / "cdk.tf.json"
        assert (out / path).read_bytes() == (synth_dir / path).read_bytes(), stack
    assert (out / "manifest.json").read_bytes() == (synth_dir / "manifest.json").read_bytes()
    assert not list(out.glob(f"{STAGING_PREFIX}*"))


def test_a_violation_writes_nothing_and_reports_like_check_app(tmp_path):
    def build(app: App) -> None:
        for env in ("stg", "prd"):
            stack = _stack(app, env)
            api(stack)
            short_logs(stack)

    reference = App(outdir=str(tmp_path / "reference"))
    build(reference)
    with pytest.raises(PolicyViolationError) as expected:
        check_app(reference)

    out = tmp_path / "out"
    with pytest.raises(PolicyViolationError) as err:
        synth_app(out, build)
    assert str(err.value) == str(expected.value)
    assert [v.path for v in err.value.violations] == ["stg/api/api", "prd/api/api", "prd/logs"]
    assert not out.exists(), "the output folder was created for nothing"


def test_a_violation_leaves_an_existing_output_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    previous = out / "stacks" / "prd" / "cdk.tf.json"
    previous.parent.mkdir(parents=True)
    previous.write_text("{}")
    with pytest.raises(PolicyViolationError):
        synth_app(out, lambda app: mutable_repo(_stack(app, "prd")))
    assert previous.read_text() == "{}"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "stacks",
        "stacks/prd",
        "stacks/prd/cdk.tf.json",
    ]


def test_files_next_to_the_stacks_are_kept(tmp_path):
    out = tmp_path / "out"
    lock = out / "stacks" / "dev" / ".terraform.lock.hcl"
    lock.parent.mkdir(parents=True)
    lock.write_text("# lock")
    synth_app(out, lambda app: _stack(app, "dev"))
    assert lock.read_text() == "# lock"
    assert json.loads((out / "stacks" / "dev" / "cdk.tf.json").read_text())["provider"]["aws"]
    assert json.loads((out / "manifest.json").read_text())["stacks"]["dev"]


def test_a_suppression_lands_in_the_json_through_synth_app(tmp_path):
    def build(app: App) -> None:
        stack = _stack(app, "prd")
        reason = "Public read-only catalogue API, called from any site"
        suppress(api(stack), "cors-no-wildcard", reason=reason)

    synth_app(tmp_path, build)
    doc = json.loads((tmp_path / "stacks" / "prd" / "cdk.tf.json").read_text())
    (resource,) = doc["resource"]["aws_apigatewayv2_api"].values()
    assert resource["//"]["cora-infra"]["suppressed"][0]["rule"] == "cors-no-wildcard"


def test_synth_alone_still_refuses_after_synth_app(tmp_path):
    # synth_app stands the validation aside only while it synthesizes.
    app = App(outdir=str(tmp_path / "plain"))
    stack = _stack(app, "prd")
    synth_app(tmp_path / "checked", lambda other: _stack(other, "dev"))
    mutable_repo(stack)
    with pytest.raises(Exception, match=r"\[prd/repo/repository\] ecr-immutable-tags"):
        app.synth()


def test_module_assets_are_written_as_plain_synth_writes_them(tmp_path):
    # An HCL feature module is copied into the output as an asset; staging must not show anywhere.
    def build(app: App) -> None:
        items_module(_stack(app, "dev"))

    plain = App(outdir=str(tmp_path / "plain"))
    build(plain)
    plain.synth()
    synth_app(tmp_path / "checked", build)

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    written = files(tmp_path / "checked")
    assert any("/assets/" in name for name in written), sorted(written)
    assert written == files(tmp_path / "plain")
