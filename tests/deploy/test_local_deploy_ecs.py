"""End to end on emulators, the ECS sample (examples/ecs/config, ``[app] compute = "ecs"``): bootstrap →
phase 1 (everything but the ECS service, its scaling and the secret rotation) → image tag and secret
values → ``cora-infra preflight`` → phase 2 (the service) → no-change plan → what exists, read back with
boto3 and compared with the config → ``cora-infra deploy-app`` of a second tag (ECS deployments as
:mod:`devtools.ecs` emulates them), its re-run, and a plan that still has no changes → destroy.
No AWS account: moto, with :mod:`devtools.moto_ecs` making ECS, the load balancer and Application Auto
Scaling answer as AWS does.

Tests run in file order and share one set of emulators and working directories.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.compute.ecr_repo import HEALTHY_TAG_PREFIX
from constructs_lib.deploy import cli as deploy_cli
from constructs_lib.deploy import main as deploy_main
from constructs_lib.deploy.preflight import check as preflight_check
from constructs_lib.stacks import load_config
from devtools import ecs
from devtools.aws_calls import CallRecorder
from devtools.emulators import ACCOUNT_ID, Emulators, running, seed, seed_hosted_zone
from devtools.local_values import fill, push_stub_image
from tests.conftest import ROOT
from tests.deploy import domain_checks, ecs_checks
from tests.deploy.local_stack import deployed_policy, refused_calls, stack_dir, synth, timed
from tests.deploy.terraform_cli import terraform

pytestmark = [pytest.mark.deploy, pytest.mark.terraform]

ENV = "local"
CONFIG_DIR = ROOT / "examples" / "ecs" / "config"
NAME = "cora-local-web"
TAG = "0.1.0"
NEXT_TAG = "0.2.0"
STATE_BUCKET = "cora-terraform-state-local"
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    # Roles younger than 2 s cannot be assumed yet (IAM propagation): phase 1 creates them early enough.
    # Route 53 answers without ChangeInfo: the provider skips its fixed 15 s wait after each change.
    with running(apprunner_ready_delay=0.3, role_propagation_seconds=2, dns_change_wait=False) as started:
        seed_hosted_zone(started)  # delegated once, outside the stack, as in AWS
        yield started


@pytest.fixture(scope="module")
def env(emulators: Emulators, terraform_env: dict[str, str]) -> dict[str, str]:
    merged = {**terraform_env, **emulators.env}
    for key in ("CORA_IMAGE_TAG", "CORA_SKIP_SERVICE", "CORA_STATE_BACKEND", "CORA_ENVIRONMENTS"):
        merged.pop(key, None)
    merged["CORA_CONFIG_DIR"] = str(CONFIG_DIR)
    return merged


@pytest.fixture(scope="module")
def aws(emulators: Emulators, env: dict[str, str]) -> Iterator[Any]:
    """``aws("ecs")``: a boto3 client for the emulators. The preflight and ``devtools.local_values`` find
    them through AWS_* variables, set for this module only: later tests must not talk to emulators that
    have stopped."""

    with pytest.MonkeyPatch.context() as patch:
        for key, value in emulators.env.items():
            if key.startswith("AWS_"):
                patch.setenv(key, value)
        yield emulators.client


@pytest.fixture(scope="module")
def health(emulators: Emulators) -> Iterator[ecs.HealthServer]:
    """ECS deployments that roll out (and the app's health URL behind the load balancer) as ECS runs
    them, from the deploy tool's step on: Terraform created the service on moto_ecs alone."""
    ecs.install(deployment_seconds=0.2)
    with ecs.HealthServer(account=ACCOUNT_ID, region=emulators.region) as server:
        yield server
    ecs.uninstall()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("deploy-ecs")
    # Stack folders laid out as cdktf's (<outdir>/stacks/<id>): the bootstrap state goes beside <outdir>.
    return {name: root / "out" / "stacks" / name for name in ("bootstrap", "local")} | {
        name: root / name for name in ("synth-first", "synth-full")
    }


def _resources(folder: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((folder / "stacks" / ENV / "cdk.tf.json").read_text())
    return dict(doc["resource"])


def test_synth(work, env):
    with timed(TIMINGS, "synth (both phases)"):
        synth(work["synth-first"], env, ENV, CORA_SKIP_SERVICE="1")
        synth(work["synth-full"], env, ENV)
    first, full = _resources(work["synth-first"]), _resources(work["synth-full"])
    # Phase 1: no service, no scaling of it, no rotation (the service needs the image and the secrets'
    # values; rotation is tested at once); but the cluster, the task definition, the load balancer and
    # the service's roles.
    later = {"aws_ecs_service", "aws_appautoscaling_target", "aws_appautoscaling_policy"}
    assert not later & set(first)
    assert "aws_secretsmanager_secret_rotation" not in first
    assert {"aws_ecs_cluster", "aws_ecs_task_definition", "aws_lb", "aws_vpc"} <= set(first)
    assert first["aws_iam_role"] == full["aws_iam_role"]
    assert later <= set(full)
    assert len(full["aws_secretsmanager_secret_rotation"]) == 3


def test_bootstrap_creates_the_state_bucket(work, env, aws):
    cwd = stack_dir(work, "bootstrap", "synth-full", "bootstrap-local")
    with timed(TIMINGS, "bootstrap apply"):
        terraform("init", "-input=false", cwd=cwd, env=env)
        terraform("apply", "-auto-approve", "-input=false", cwd=cwd, env=env)
    assert aws("s3").get_bucket_versioning(Bucket=STATE_BUCKET)["Status"] == "Enabled"


def test_first_phase_deploys_everything_but_the_service(work, env, aws, emulators):
    # The feature module's and the rotation Lambda functions exist outside this stack (seeded).
    seed(emulators)
    cwd = stack_dir(work, "local", "synth-first", ENV)
    with timed(TIMINGS, "first phase apply (no service, no scaling, no rotation)"):
        terraform("init", "-input=false", cwd=cwd, env=env)
        terraform("apply", "-auto-approve", "-input=false", cwd=cwd, env=env)
    assert aws("ecs").describe_services(cluster=NAME, services=[NAME])["services"] == []
    assert (
        aws("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
        == []
    )
    verdict = preflight_check(ENV, config_dir=CONFIG_DIR, role_settle_seconds=0)
    assert not verdict.ok
    assert f"image {NAME}:{TAG} is not in ECR" in verdict.message
    assert "3 secret(s) have no value" in verdict.message
    # The certificate of the app's host comes with phase 1 (the load balancer's HTTPS listener).
    assert "certificate" not in verdict.message
    assert preflight_check(ENV, config_dir=CONFIG_DIR, skip_service=True).ok


def test_after_the_image_and_the_values_the_preflight_passes(aws, capsys):
    done = fill(CONFIG_DIR)
    assert done[-1] == f"image {NAME}:{TAG}: in ECR (stub manifest)"
    assert len(done) == 4
    capsys.readouterr()
    # What `cora-infra preflight local --config-dir examples/ecs/config` runs (it waits, if need be,
    # until the Fargate roles are 10 s old).
    with timed(TIMINGS, "preflight"):
        code = deploy_main(["preflight", ENV, "--config-dir", str(CONFIG_DIR)])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err


def test_second_phase_creates_the_service_and_replans_clean(work, env, aws):
    cwd = stack_dir(work, "local", "synth-full", ENV)
    with timed(TIMINGS, "second phase apply (service, scaling, rotation)"):
        terraform("apply", "-auto-approve", "-input=false", cwd=cwd, env=env)
    with timed(TIMINGS, "no-change plan"):
        plan = terraform("plan", "-detailed-exitcode", "-input=false", cwd=cwd, env=env, check=False)
    assert plan.returncode == 0, f"second plan is not empty:\n{plan.stdout[-6000:]}{plan.stderr[-2000:]}"


def test_the_service_and_its_task_definition_are_as_configured(aws):
    config = load_config(ENV, CONFIG_DIR)
    ecs_checks.check_service(aws, config)
    ecs_checks.check_task_definition(aws, config)


def test_the_load_balancer_and_its_domain_are_as_configured(aws):
    config = load_config(ENV, CONFIG_DIR)
    ecs_checks.check_load_balancer(aws, config)
    ecs_checks.check_app_alias(aws, config)
    domain_checks.check_api_domain(aws, config)


def test_the_network_and_the_scaling_are_as_configured(aws):
    config = load_config(ENV, CONFIG_DIR)
    ecs_checks.check_network(aws, config)
    ecs_checks.check_scaling(aws, config)


def test_the_published_outputs_name_the_ecs_service(aws):
    ecs_checks.check_published(aws, load_config(ENV, CONFIG_DIR))


def _healthy_marks(aws: Any, tag: str) -> list[str]:
    (image,) = aws("ecr").describe_images(repositoryName=NAME, imageIds=[{"imageTag": tag}])["imageDetails"]
    return [t for t in image["imageTags"] if t.startswith(HEALTHY_TAG_PREFIX)]


def test_the_deploy_tool_deploys_a_new_tag_within_the_deployed_policy(work, env, aws, health, monkeypatch):
    config = load_config(ENV, CONFIG_DIR)
    published = ecs_checks.published(aws, config)
    before = ecs_checks.service(aws, config)["taskDefinition"]
    push_stub_image(aws("ecr"), NAME, NEXT_TAG)
    recorder = CallRecorder()
    monkeypatch.setattr(deploy_cli, "_client", recorder.wrap(deploy_cli._client))
    argv = ["deploy-app", "--env", ENV, "--tag", NEXT_TAG, "--poll-interval", "0.1"]
    argv += ["--health-url", health.health_url(published["SERVICE_ARN"])]
    with timed(TIMINGS, "deploy-app"):
        assert deploy_main(argv) == 0
    after = ecs_checks.service(aws, config)
    revision = lambda arn: int(arn.rsplit(":", 1)[1])  # noqa: E731
    assert revision(after["taskDefinition"]) == revision(before) + 1
    assert [(d["status"], d["rolloutState"]) for d in after["deployments"]] == [("PRIMARY", "COMPLETED")]
    assert after["deployments"][0]["taskDefinition"] == after["taskDefinition"]
    definition = aws("ecs").describe_task_definition(taskDefinition=after["taskDefinition"])["taskDefinition"]
    (container,) = definition["containerDefinitions"]
    assert container["image"] == f"{published['ECR_REPOSITORY_URL']}:{NEXT_TAG}"
    assert len(_healthy_marks(aws, NEXT_TAG)) == 1
    # Every call it made is allowed by the ECS deploy-app policy the stack deployed (ARNs as resolved).
    calls = recorder.take()
    assert {c.operation for c in calls} >= {"GetParameters", "RegisterTaskDefinition", "UpdateService"}
    assert refused_calls(calls, deployed_policy(aws, published["DEPLOY_APP_POLICY_ARN"])) == []


def test_a_rerun_of_the_deploy_registers_nothing_and_terraform_still_plans_no_change(
    work, env, aws, health, capsys
):
    config = load_config(ENV, CONFIG_DIR)
    running = ecs_checks.service(aws, config)["taskDefinition"]
    health_url = health.health_url(ecs_checks.published(aws, config)["SERVICE_ARN"])
    capsys.readouterr()
    argv = [
        "deploy-app",
        "--env",
        ENV,
        "--tag",
        NEXT_TAG,
        "--poll-interval",
        "0.1",
        "--health-url",
        health_url,
    ]
    assert deploy_main(argv) == 0
    assert "check: the service already runs" in capsys.readouterr().out
    assert ecs_checks.service(aws, config)["taskDefinition"] == running
    newest = aws("ecs").describe_task_definition(taskDefinition=NAME)["taskDefinition"]["taskDefinitionArn"]
    assert newest == running  # no revision registered
    assert len(_healthy_marks(aws, NEXT_TAG)) == 1
    # The service ignores task_definition (and desired_count): a deploy is not drift.
    plan = terraform("plan", "-detailed-exitcode", "-input=false", cwd=work["local"], env=env, check=False)
    assert plan.returncode == 0, f"the plan after a deploy is not empty:\n{plan.stdout[-6000:]}"


def test_destroy_removes_everything(work, env, aws):
    with timed(TIMINGS, "destroy"):
        terraform("destroy", "-auto-approve", "-input=false", cwd=work["local"], env=env)
    ecs_checks.check_gone(aws, load_config(ENV, CONFIG_DIR))
    domain_checks.check_domains_gone(aws, load_config(ENV, CONFIG_DIR))


def test_report_phase_timings(capsys):
    with capsys.disabled():
        print("\nlocal ECS deploy phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items()))
    assert TIMINGS
