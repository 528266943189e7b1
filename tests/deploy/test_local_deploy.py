"""End to end on emulators: bootstrap → first deploy in phases (foundation and the API's custom domain;
secret values and image; service, its custom domain and rotation, after the preflight) → no-change plan
→ verify (domains against the config) → state locking → secrets never in plan or state → destroy.
No AWS account; moto + our App Runner emulator, which fail a service whose secrets have no value and
leave a rotation tested on an empty secret pending, as AWS does.

Tests run in file order and share one set of emulators and working directories.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from constructs_lib.deploy import cli as deploy_cli
from constructs_lib.deploy import main as deploy_main
from constructs_lib.deploy.lock import StateLock
from constructs_lib.stacks import load_config
from devtools import preflight
from devtools.aws_calls import CallRecorder
from devtools.emulators import Emulators, running, seed, seed_hosted_zone
from devtools.local_values import push_stub_image
from tests.deploy import domain_checks
from tests.deploy.local_stack import deployed_policy, refused_calls, stack_dir, synth, timed
from tests.deploy.terraform_cli import terraform

pytestmark = [pytest.mark.deploy, pytest.mark.terraform]

ENV = "local"
NAME = "cora-local"
REPOSITORY = f"{NAME}-web"
TAG = "0.1.0"
STATE_BUCKET = "cora-terraform-state-local"
STATE_KEY = "cora/local/terraform.tfstate"
CANARY = "canary-7f3a9c1e-do-not-leak"
SECRETS = [f"cora/local/{n}" for n in ("NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET", "SUPABASE_ANON_KEY")]
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
    return merged


@pytest.fixture(scope="module")
def aws(emulators: Emulators, env: dict[str, str]) -> Iterator[Any]:
    """``aws("ecr")``: a boto3 client for the emulators. The preflight finds them through AWS_* variables,
    set for this module only: later tests must not talk to emulators that have stopped."""

    with pytest.MonkeyPatch.context() as patch:
        for key, value in emulators.env.items():
            if key.startswith("AWS_"):
                patch.setenv(key, value)
        yield emulators.client


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("deploy")
    # Stack folders laid out as cdktf's (<outdir>/stacks/<id>): the bootstrap state goes beside <outdir>.
    return {name: root / "out" / "stacks" / name for name in ("bootstrap", "local")} | {
        name: root / name for name in ("synth-first", "synth-full")
    }


def _doc(cwd: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((cwd / "cdk.tf.json").read_text())
    return doc


def _push_image(aws: Any) -> None:
    push_stub_image(aws("ecr"), REPOSITORY, TAG)


def _state(aws: Any) -> dict[str, Any]:
    body = aws("s3").get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)["Body"].read()
    state: dict[str, Any] = json.loads(body)
    return state


def test_synth(work, env):
    with timed(TIMINGS, "synth"):
        synth(work["synth-first"], env, ENV, CORA_SKIP_SERVICE="1")
        synth(work["synth-full"], env, ENV)
    first = json.loads((work["synth-first"] / "stacks" / ENV / "cdk.tf.json").read_text())
    full = json.loads((work["synth-full"] / "stacks" / ENV / "cdk.tf.json").read_text())
    # Phase 1: no service and no rotation (both need the secrets' values), but the service's roles.
    assert "aws_apprunner_service" not in first["resource"]
    assert "aws_secretsmanager_secret_rotation" not in first["resource"]
    assert "aws_ecr_repository" in first["resource"]
    assert first["resource"]["aws_iam_role"] == full["resource"]["aws_iam_role"]
    assert len(full["resource"]["aws_secretsmanager_secret_rotation"]) == 3


def test_bootstrap_creates_a_safe_state_bucket(work, env, aws):
    cwd = stack_dir(work, "bootstrap", "synth-full", "bootstrap-local")
    with timed(TIMINGS, "bootstrap apply"):
        terraform("init", "-input=false", cwd=cwd, env=env)
        terraform("apply", "-auto-approve", "-input=false", cwd=cwd, env=env)
    s3 = aws("s3")
    assert s3.get_bucket_versioning(Bucket=STATE_BUCKET)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=STATE_BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=STATE_BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert (
        terraform("plan", "-detailed-exitcode", "-input=false", cwd=cwd, env=env, check=False).returncode == 0
    )
    # The bootstrap state lives beside the output folder, where no synth or clean removes it.
    assert (work["bootstrap"].parents[2] / ".cora-state" / "bootstrap-local.tfstate").is_file()
    assert not list(cwd.glob("*.tfstate"))


def test_first_deploy_without_repository_fails_fast_with_instructions(aws):
    verdict = preflight.check(ENV)
    assert not verdict.ok
    assert f"{REPOSITORY}:{TAG}" in verdict.message
    assert "CORA_SKIP_SERVICE=1 make deploy ENV=local" in verdict.message
    assert "put-secret-value --region us-east-1 --secret-id cora/local/NEXTAUTH_SECRET" in verdict.message
    assert preflight.check(ENV, skip_service=True).ok


def test_first_phase_deploys_everything_but_the_service_and_rotation(work, env, aws, emulators):
    # The feature module's and the rotation Lambda functions exist outside this stack (seeded).
    seed(emulators)
    cwd = stack_dir(work, "local", "synth-first", ENV)
    with timed(TIMINGS, "first phase apply (no service, no rotation)"):
        terraform("init", "-input=false", cwd=cwd, env=env)
        terraform("apply", "-auto-approve", "-input=false", cwd=cwd, env=env)
    for name in SECRETS:
        described = aws("secretsmanager").describe_secret(SecretId=name)
        assert not described.get("RotationEnabled"), name
        assert not described.get("VersionIdsToStages"), f"{name} must be created empty"
    roles = {r["RoleName"] for r in aws("iam").list_roles()["Roles"]}
    assert {f"{REPOSITORY}-access", f"{REPOSITORY}-instance"} <= roles
    verdict = preflight.check(ENV, role_settle_seconds=0)
    assert not verdict.ok
    assert f"image {REPOSITORY}:{TAG} is not in ECR" in verdict.message
    assert "3 secret(s) have no value: " + ", ".join(SECRETS) in verdict.message
    # The API's custom domain comes with phase 1 (its certificate is issued once its CNAME exists);
    # the app's comes with the service.
    domain_checks.check_api_domain(aws, load_config(ENV))
    assert not aws("apprunner").list_services()["ServiceSummaryList"]


def test_app_runner_fails_a_service_whose_secrets_are_empty_and_the_preflight_says_so_first(work, env, aws):
    _push_image(aws)
    verdict = preflight.check(ENV, role_settle_seconds=0)
    assert not verdict.ok
    assert "3 secret(s) have no value" in verdict.message
    assert "is not in ECR" not in verdict.message
    # Ignoring the preflight: App Runner reads the secrets when it deploys, and fails the service.
    cwd = stack_dir(work, "local", "synth-full", ENV)
    service = "aws_apprunner_service." + next(iter(_doc(cwd)["resource"]["aws_apprunner_service"]))
    with timed(TIMINGS, "service apply on empty secrets (fails)"):
        failed = terraform(
            "apply", "-auto-approve", "-input=false", f"-target={service}", cwd=cwd, env=env, check=False
        )
    assert failed.returncode != 0
    assert "CREATE_FAILED" in failed.stdout + failed.stderr


def test_after_the_values_are_set_the_service_and_rotation_are_created(work, env, aws):
    secrets = aws("secretsmanager")
    for name in SECRETS:
        secrets.put_secret_value(SecretId=name, SecretString=f"{CANARY}-{name}")
    verdict = preflight.check(ENV)  # waits, if need be, until the roles are 10 s old
    assert verdict.ok, verdict.message
    cwd = work["local"]
    with timed(TIMINGS, "full apply"):
        terraform("apply", "-auto-approve", "-input=false", cwd=cwd, env=env)
    with timed(TIMINGS, "no-change plan"):
        plan = terraform("plan", "-detailed-exitcode", "-input=false", cwd=cwd, env=env, check=False)
    assert plan.returncode == 0, f"second plan is not empty:\n{plan.stdout[-6000:]}"
    verdict = preflight.check(ENV)
    assert verdict.ok  # the service exists now
    assert "update-service" in verdict.message


def test_resources_are_as_configured(aws):
    ecr = aws("ecr")
    repo = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"][0]
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["imageTagMutability"] == "IMMUTABLE"
    rules = json.loads(ecr.get_lifecycle_policy(repositoryName=REPOSITORY)["lifecyclePolicyText"])["rules"]
    assert sorted(r["selection"]["tagStatus"] for r in rules) == ["tagged", "tagged", "untagged"]

    apigw = aws("apigatewayv2")
    api = next(a for a in apigw.get_apis()["Items"] if a["Name"] == f"{NAME}-api")
    assert api["CorsConfiguration"]["AllowOrigins"] == ["https://app.local.cora.example.com"]  # its [domain]
    assert api["CorsConfiguration"]["MaxAge"] == 300
    routes = {r["RouteKey"]: r for r in apigw.get_routes(ApiId=api["ApiId"])["Items"]}
    assert set(routes) == {"GET /v1/items", "GET /v1/status"}
    assert routes["GET /v1/items"]["AuthorizationType"] == "JWT"
    assert routes["GET /v1/status"]["AuthorizationType"] == "NONE"

    policy = json.loads(aws("lambda").get_policy(FunctionName="cora-local-items")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(f"{api['ApiId']}/*/GET/v1/items")

    iam = aws("iam")
    access = iam.get_role(RoleName=f"{REPOSITORY}-access")["Role"]
    instance = iam.get_role(RoleName=f"{REPOSITORY}-instance")["Role"]
    principal = lambda role: role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]  # noqa: E731
    assert principal(access) == "build.apprunner.amazonaws.com"
    assert principal(instance) == "tasks.apprunner.amazonaws.com"
    (read_policy,) = iam.list_role_policies(RoleName=f"{REPOSITORY}-instance")["PolicyNames"]
    document = iam.get_role_policy(RoleName=f"{REPOSITORY}-instance", PolicyName=read_policy)[
        "PolicyDocument"
    ]
    (statement,) = document["Statement"]
    secrets = aws("secretsmanager").list_secrets()["SecretList"]
    ours = sorted(s["ARN"] for s in secrets if s["Name"].startswith("cora/local/"))
    assert len(ours) == 3
    assert statement["Action"] in ("secretsmanager:GetSecretValue", ["secretsmanager:GetSecretValue"])
    assert sorted(statement["Resource"]) == ours

    service = next(
        s for s in aws("apprunner").list_services()["ServiceSummaryList"] if s["ServiceName"] == REPOSITORY
    )
    described = aws("apprunner").describe_service(ServiceArn=service["ServiceArn"])["Service"]
    assert described["Status"] == "RUNNING"
    image = described["SourceConfiguration"]["ImageRepository"]
    assert image["ImageIdentifier"].endswith(f"/{REPOSITORY}:{TAG}")
    assert image["ImageConfiguration"]["Port"] == "3000"
    assert set(image["ImageConfiguration"]["RuntimeEnvironmentSecrets"].values()) == set(ours)
    assert described["InstanceConfiguration"]["Cpu"] == "1024"
    assert described["HealthCheckConfiguration"]["Path"] == "/api/health"


def test_custom_domains_exist_and_agree_with_the_config(aws):
    config = load_config(ENV)
    domain_checks.check_api_domain(aws, config)
    domain_checks.check_app_domain(aws, config)
    domain_checks.check_app_urls(aws, config)


def test_the_deploy_tool_finds_the_stack_in_ssm_and_deploys_within_the_deployed_policy(
    aws, emulators, capsys, monkeypatch
):
    assert deploy_main(["outputs", "--env", ENV]) == 0
    published = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    names = "API_URL APP_URL DEPLOY_APP_POLICY_ARN ECR_REPOSITORY_URL INFRA_PLAN_POLICY_ARN SERVICE_ARN"
    assert sorted(published) == [*names.split(), "STATE_LOCK"]
    assert published["APP_URL"] == load_config(ENV).app_url
    assert published["STATE_LOCK"] == f"s3://{STATE_BUCKET}/{STATE_KEY}.tflock"
    push_stub_image(aws("ecr"), REPOSITORY, "0.2.0")
    recorder = CallRecorder()
    monkeypatch.setattr(deploy_cli, "_client", recorder.wrap(deploy_cli._client))
    health = f"{emulators.apprunner_url}/_health/{published['SERVICE_ARN'].rsplit('/', 1)[1]}"
    argv = ["deploy-app", "--env", ENV, "--tag", "0.2.0", "--health-url", health, "--poll-interval", "0.1"]
    assert deploy_main(argv) == 0
    service = aws("apprunner").describe_service(ServiceArn=published["SERVICE_ARN"])["Service"]
    image = service["SourceConfiguration"]["ImageRepository"]["ImageIdentifier"]
    assert image == f"{published['ECR_REPOSITORY_URL']}:0.2.0"
    # Every call it made is allowed by the policy the stack deployed (ARNs as Terraform resolved them).
    policy = deployed_policy(aws, published["DEPLOY_APP_POLICY_ARN"])
    calls = recorder.take()
    assert {c.operation for c in calls} >= {"GetParameters", "UpdateService", "PutObject", "DescribeSecret"}
    assert refused_calls(calls, policy) == []


def test_terraform_waits_for_a_deploy_holding_the_environments_lock(work, env, aws):
    """The deploy tool's lock is Terraform's own lock file: a plan (or apply) is refused while it is held,
    naming the deploy; once released, Terraform takes it again (the next test's plan)."""
    url = f"s3://{STATE_BUCKET}/{STATE_KEY}.tflock"
    cwd = work["local"]
    with StateLock(
        aws("s3"), url, operation="cora-infra deploy-app", who="ci@runner", info="deploy 0.2.0", say=str
    ):
        plan = terraform(
            "plan", "-input=false", "-lock-timeout=0s", "-no-color", cwd=cwd, env=env, check=False
        )
    assert plan.returncode != 0
    output = plan.stdout + plan.stderr
    assert "Error acquiring the state lock" in output
    assert "cora-infra deploy-app" in output and "ci@runner" in output
    # Released: the next test's plan (test_secret_values_never_reach_plan_or_state) takes the lock again.
    assert (
        aws("s3").list_objects_v2(Bucket=STATE_BUCKET, Prefix=f"{STATE_KEY}.tflock").get("KeyCount", 0) == 0
    )


def test_rotation_was_created_on_secrets_with_values_and_left_nothing_pending(aws):
    secrets = aws("secretsmanager")
    for name in SECRETS:
        described = secrets.describe_secret(SecretId=name)
        assert described["RotationEnabled"] is True
        assert described["RotationLambdaARN"].endswith(":function:cora-local-secret-rotation")
        # A rotation tested against an empty secret would have left AWSPENDING behind, and every
        # later rotation would be refused ("A previous rotation isn't complete").
        assert list(described["VersionIdsToStages"].values()) == [["AWSCURRENT"]], name
        assert secrets.get_secret_value(SecretId=name)["SecretString"] == f"{CANARY}-{name}"


def test_secret_values_never_reach_plan_or_state(work, env, aws):
    cwd = work["local"]
    plan = terraform("plan", "-detailed-exitcode", "-input=false", cwd=cwd, env=env, check=False)
    assert plan.returncode == 0
    state = terraform("state", "pull", cwd=cwd, env=env).stdout
    for text in (plan.stdout, plan.stderr, state, (cwd / "cdk.tf.json").read_text()):
        assert CANARY not in text


def test_concurrent_applies_are_serialized_by_the_state_lock(work, env, aws):
    cwd = work["local"]
    # Replacing the Lambda permission gives it a new statement id: a real change of state every time.
    permission = next(
        line.strip()
        for line in terraform("state", "list", cwd=cwd, env=env).stdout.splitlines()
        if line.startswith("aws_lambda_permission.")
    )
    before = _state(aws)["serial"]
    apply = [
        "terraform",
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-lock-timeout=0s",
        f"-replace={permission}",
    ]
    s3 = aws("s3")
    with timed(TIMINGS, "locked applies"):
        first = subprocess.Popen(
            apply, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the first apply holds the lock
            if s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=f"{STATE_KEY}.tflock").get("KeyCount"):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the first apply never took the lock")
        second = subprocess.run(
            apply, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        first_out, _ = first.communicate(timeout=300)
    assert first.returncode == 0, first_out[-3000:]
    assert second.returncode != 0
    assert "Error acquiring the state lock" in second.stdout + second.stderr
    assert _state(aws)["serial"] == before + 1, "exactly one apply ran"
    # Refused, not broken: once the lock is free the same apply runs and the state stays consistent.
    terraform(*[a for a in apply[1:] if a != "-no-color"], cwd=cwd, env=env)
    assert _state(aws)["serial"] == before + 2
    assert (
        terraform("plan", "-detailed-exitcode", "-input=false", cwd=cwd, env=env, check=False).returncode == 0
    )


def test_destroy_removes_everything(work, env, aws):
    with timed(TIMINGS, "destroy"):
        terraform("destroy", "-auto-approve", "-input=false", cwd=work["local"], env=env)
    with pytest.raises(ClientError, match="RepositoryNotFoundException"):
        aws("ecr").describe_repositories(repositoryNames=[REPOSITORY])
    assert not [a for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == f"{NAME}-api"]
    assert not [
        s for s in aws("apprunner").list_services()["ServiceSummaryList"] if s["ServiceName"] == REPOSITORY
    ]
    roles = {r["RoleName"] for r in aws("iam").list_roles()["Roles"]}
    assert not {f"{REPOSITORY}-access", f"{REPOSITORY}-instance"} & roles
    # local deletes its secrets without a recovery window: none is left, not even scheduled for deletion,
    # so the next deploy can create them again (no ResourceExistsException).
    left = aws("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert [s["Name"] for s in left if s["Name"].startswith("cora/local/")] == []
    for name in SECRETS:
        aws("secretsmanager").create_secret(Name=name)
        aws("secretsmanager").delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    domain_checks.check_domains_gone(aws, load_config(ENV))
    assert aws("ssm").get_parameters_by_path(Path=f"/cora/{ENV}")["Parameters"] == []
    # The bootstrap stack (the state bucket) is left to the emulator, which stops with the tests:
    # moto 5.2.5 crashes emptying a versioned bucket that holds delete markers ('FakeDeleteMarker'
    # object has no attribute 'dispose'), which Terraform's force_destroy does.


def test_report_phase_timings(capsys):
    with capsys.disabled():
        print("\nlocal deploy phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items()))
    assert TIMINGS
