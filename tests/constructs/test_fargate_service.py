"""FargateService: least-privilege roles, secrets by reference, safe deployments, scaling, validation."""

from __future__ import annotations

import json
from typing import Any

import cdktf
import pytest
from cdktf import TerraformStack
from pydantic import ValidationError

from constructs_lib import (
    AppSecrets,
    AppSecretsProps,
    AutoScaling,
    EcrRepo,
    EcrRepoProps,
    Secret,
    SecretProps,
)
from constructs_lib.compute.fargate_scaling import requests_per_target
from constructs_lib.compute.fargate_service import FargateService, FargateServiceProps
from constructs_lib.compute.fargate_sizes import FargateCpu
from constructs_lib.compute.fargate_task import CpuArchitecture
from constructs_lib.compute.web_service import Compute, WebService
from constructs_lib.errors import CoraInfraError
from tests.conftest import Synthesized, only, resources
from tests.constructs.test_app_runner_service import role_policies, secret_arn_refs, trust_principals
from tests.constructs.test_load_balancer import NETWORK

KMS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def build(*, secret_names: tuple[str, ...] = (), keep: list[FargateService] | None = None, **overrides: Any):
    """A builder for ``synth``: an ECR repo, optional app secrets and a Fargate service."""

    def run(stack: TerraformStack) -> FargateService:
        repo = EcrRepo(stack, "repo", props=EcrRepoProps(name="cora-dev-web"))
        values: dict[str, Any] = {
            "service_name": "cora-dev-web",
            "repository": repo,
            "image_tag": "abc1234",
            "network": NETWORK,
            **overrides,
        }
        if secret_names:
            app = AppSecrets(stack, "secrets", props=AppSecretsProps(prefix="cora/dev", names=secret_names))
            values["secrets"] = app.by_env_name
        service = FargateService(stack, "web", props=FargateServiceProps(**values))
        if keep is not None:
            keep.append(service)
        return service

    return run


def container(doc: Synthesized) -> dict[str, Any]:
    (definition,) = json.loads(only(resources(doc, "aws_ecs_task_definition"))["container_definitions"])
    return dict(definition)


def service(doc: Synthesized) -> dict[str, Any]:
    return only(resources(doc, "aws_ecs_service"))


def props(**overrides: Any) -> FargateServiceProps:
    """Props validated outside a synth (the repository only needs to exist)."""
    stack = TerraformStack(cdktf.Testing.app(), "props")
    repo = EcrRepo(stack, "repo", props=EcrRepoProps(name="cora-dev-web"))
    values = {"service_name": "cora-dev-web", "repository": repo, "image_tag": "abc1234", "network": NETWORK}
    return FargateServiceProps(**{**values, **overrides})


# -- roles --------------------------------------------------------------------------------------------


def test_the_execution_role_reads_exactly_the_given_secrets(synth):
    doc = synth(build(secret_names=("NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET")))
    arns = secret_arn_refs(doc)
    read = role_policies(doc, "cora-dev-web-execution")["cora-dev-web-read-secrets"]
    (statement,) = read
    assert statement["actions"] == ["secretsmanager:GetSecretValue"]
    assert sorted(statement["resources"]) == sorted(arns.values())
    assert container(doc)["secrets"] == [
        {"name": "NEXTAUTH_SECRET", "valueFrom": arns["cora/dev/NEXTAUTH_SECRET"]},
        {"name": "OKTA_CLIENT_SECRET", "valueFrom": arns["cora/dev/OKTA_CLIENT_SECRET"]},
    ]


def test_a_customer_key_is_decryptable_only_through_secrets_manager(synth):
    def run(stack: TerraformStack) -> None:
        secret = Secret(stack, "s", props=SecretProps(name="cora/dev/DB_URL", kms_key_arn=KMS_KEY))
        build(secrets={"DATABASE_URL": secret})(stack)

    doc = synth(run)
    _, decrypt = role_policies(doc, "cora-dev-web-execution")["cora-dev-web-read-secrets"]
    assert (decrypt["actions"], decrypt["resources"]) == (["kms:Decrypt"], [KMS_KEY])
    assert decrypt["condition"][0]["variable"] == "kms:ViaService"


def test_the_execution_role_pulls_from_exactly_the_one_repository_and_writes_only_its_logs(synth):
    doc = synth(build())
    policies = role_policies(doc, "cora-dev-web-execution")
    assert set(policies) == {"cora-dev-web-ecr-pull", "cora-dev-web-write-logs"}
    (repo_id,) = doc["resource"]["aws_ecr_repository"]
    pull, login = policies["cora-dev-web-ecr-pull"]
    assert pull["resources"] == [f"${{aws_ecr_repository.{repo_id}.arn}}"]
    assert login["actions"] == ["ecr:GetAuthorizationToken"]
    (logs,) = policies["cora-dev-web-write-logs"]
    (log_id,) = doc["resource"]["aws_cloudwatch_log_group"]
    assert logs["resources"] == [f"${{aws_cloudwatch_log_group.{log_id}.arn}}:log-stream:*"]
    assert logs["actions"] == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_both_roles_are_for_ecs_tasks_and_the_task_role_has_no_permissions(synth):
    doc = synth(build())
    assert trust_principals(doc, "cora-dev-web-execution") == ["ecs-tasks.amazonaws.com"]
    assert trust_principals(doc, "cora-dev-web-task") == ["ecs-tasks.amazonaws.com"]
    assert role_policies(doc, "cora-dev-web-task") == {}


def test_long_names_give_role_names_iam_accepts(synth):
    doc = synth(build(service_name="w" * 100))
    names = [role["name"] for role in resources(doc, "aws_iam_role")]
    assert all(len(name) <= 64 for name in names), names
    assert any(name.endswith("-execution") for name in names)


# -- task definition ----------------------------------------------------------------------------------


def test_the_task_runs_the_tagged_image_with_sorted_plain_environment(synth):
    doc = synth(build(environment={"SUPABASE_URL": "https://s", "OKTA_ISSUER": "https://o"}))
    task = only(resources(doc, "aws_ecs_task_definition"))
    assert task["requires_compatibilities"] == ["FARGATE"]
    assert (task["network_mode"], task["cpu"], task["memory"]) == ("awsvpc", "1024", "2048")
    assert task["runtime_platform"] == {"operating_system_family": "LINUX", "cpu_architecture": "X86_64"}
    assert task["skip_destroy"] is True
    web = container(doc)
    (repo_id,) = doc["resource"]["aws_ecr_repository"]
    assert web["image"] == f"${{aws_ecr_repository.{repo_id}.repository_url}}:abc1234"
    assert web["environment"] == [
        {"name": "OKTA_ISSUER", "value": "https://o"},
        {"name": "SUPABASE_URL", "value": "https://s"},
    ]
    assert web["portMappings"] == [{"containerPort": 3000, "hostPort": 3000, "protocol": "tcp"}]
    assert web["logConfiguration"]["logDriver"] == "awslogs"


def test_the_container_definition_is_deterministic_json_with_sorted_keys(synth):
    first = only(resources(synth(build(environment={"B": "2", "A": "1"})), "aws_ecs_task_definition"))
    second = only(resources(synth(build(environment={"A": "1", "B": "2"})), "aws_ecs_task_definition"))
    text = first["container_definitions"]
    assert text == second["container_definitions"]
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def test_a_readonly_root_filesystem_gets_the_nextjs_cache_and_tmp_as_task_volumes(synth):
    doc = synth(build())
    web = container(doc)
    assert web["readonlyRootFilesystem"] is True
    assert {m["containerPath"] for m in web["mountPoints"]} == {"/app/.next/cache", "/tmp"}
    volumes = {v["name"] for v in only(resources(doc, "aws_ecs_task_definition"))["volume"]}
    assert volumes == {m["sourceVolume"] for m in web["mountPoints"]}
    writable = synth(build(readonly_root_filesystem=False))
    assert container(writable)["mountPoints"] == []
    assert "volume" not in only(resources(writable, "aws_ecs_task_definition"))


def test_size_and_architecture_are_configurable(synth):
    doc = synth(build(cpu=FargateCpu.HALF_VCPU, memory=3072, cpu_architecture=CpuArchitecture.ARM64))
    task = only(resources(doc, "aws_ecs_task_definition"))
    assert (task["cpu"], task["memory"], task["runtime_platform"]["cpu_architecture"]) == (
        "512",
        "3072",
        "ARM64",
    )


def test_the_log_group_keeps_logs_as_configured(synth):
    doc = synth(build(log_retention_days=90, log_kms_key_arn=KMS_KEY))
    group = only(resources(doc, "aws_cloudwatch_log_group"))
    assert (group["name"], group["retention_in_days"], group["kms_key_id"]) == (
        "/ecs/cora-dev-web",
        90,
        KMS_KEY,
    )


# -- service ------------------------------------------------------------------------------------------


def test_deployments_use_the_circuit_breaker_with_rollback_and_never_drop_capacity(synth):
    svc = service(synth(build()))
    assert svc["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert (svc["deployment_minimum_healthy_percent"], svc["deployment_maximum_percent"]) == (100, 200)
    assert (svc["launch_type"], svc["propagate_tags"], svc["enable_execute_command"]) == (
        "FARGATE",
        "SERVICE",
        False,
    )


def test_deploys_and_auto_scaling_are_not_drift(synth):
    svc = service(synth(build()))
    assert svc["lifecycle"]["ignore_changes"] == ["task_definition", "desired_count"]


def test_the_service_registers_the_web_container_behind_the_target_group(synth):
    doc = synth(build(port=8080))
    svc = service(doc)
    (group_id,) = doc["resource"]["aws_lb_target_group"]
    assert svc["load_balancer"] == [
        {
            "target_group_arn": f"${{aws_lb_target_group.{group_id}.arn}}",
            "container_name": "web",
            "container_port": 8080,
        }
    ]
    (http_id,) = doc["resource"]["aws_lb_listener"]
    assert f"aws_lb_listener.{http_id}" in svc["depends_on"]


def test_tasks_run_in_the_private_subnets_unless_given_public_ips(synth):
    private = service(synth(build()))["network_configuration"]
    assert (private["subnets"], private["assign_public_ip"]) == (list(NETWORK.private_subnet_ids), False)
    public = service(synth(build(assign_public_ip=True)))["network_configuration"]
    assert (public["subnets"], public["assign_public_ip"]) == (list(NETWORK.public_subnet_ids), True)


def test_auto_scaling_follows_the_app_runner_settings(synth):
    doc = synth(build(auto_scaling=AutoScaling(min_size=2, max_size=7, max_concurrency=50)))
    assert service(doc)["desired_count"] == 2
    target = only(resources(doc, "aws_appautoscaling_target"))
    assert (target["min_capacity"], target["max_capacity"]) == (2, 7)
    assert target["scalable_dimension"] == "ecs:service:DesiredCount"
    assert target["resource_id"].startswith("service/${aws_ecs_cluster.")
    by_metric = {
        p["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"][
            "predefined_metric_type"
        ]: p["target_tracking_scaling_policy_configuration"]
        for p in resources(doc, "aws_appautoscaling_policy")
    }
    requests = by_metric["ALBRequestCountPerTarget"]
    assert requests["target_value"] == 50 * 60 == requests_per_target(50)
    label = requests["predefined_metric_specification"]["resource_label"]
    assert label.startswith("${aws_lb.") and "}/${aws_lb_target_group." in label
    assert by_metric["ECSServiceAverageCPUUtilization"]["target_value"] == 70


def test_without_the_service_there_is_no_service_and_no_scaling(synth):
    kept: list[FargateService] = []
    doc = synth(build(create_service=False, keep=kept))
    assert resources(doc, "aws_ecs_service") == []
    assert resources(doc, "aws_appautoscaling_target") == []
    assert len(resources(doc, "aws_ecs_task_definition")) == 1
    assert kept[0].created is False
    with pytest.raises(CoraInfraError, match="create_service=False"):
        _ = kept[0].service_arn


# -- the web-service interface ------------------------------------------------------------------------


def test_it_is_a_web_service_with_the_ecs_deploy_outputs(synth):
    kept: list[FargateService] = []
    doc = synth(build(keep=kept))
    web = kept[0]
    assert isinstance(web, WebService)
    assert web.compute is Compute.ECS
    assert web.created is True
    (cluster_id,) = doc["resource"]["aws_ecs_cluster"]
    assert web.deploy_outputs() == {
        "COMPUTE": "ecs",
        "CLUSTER_ARN": f"${{aws_ecs_cluster.{cluster_id}.arn}}",
        "TASK_FAMILY": "cora-dev-web",
    }
    assert web.service_url.startswith("http://${aws_lb.")
    assert web.service_arn.startswith("${aws_ecs_service.")
    assert web.deploy_roles.passed_to == "ecs-tasks.amazonaws.com"
    assert len(web.deploy_roles.role_arns) == 2
    cluster = only(resources(doc, "aws_ecs_cluster"))
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enabled"}]


# -- validation ---------------------------------------------------------------------------------------


def test_a_memory_fargate_does_not_offer_with_the_cpu_is_refused_naming_field_value_and_allowed():
    with pytest.raises(ValidationError) as err:
        props(cpu=FargateCpu.QUARTER_VCPU, memory=4096)
    message = str(err.value)
    assert "FargateServiceProps.memory" in message
    assert "4096" in message
    assert "512, 1024, 2048" in message


def test_an_unknown_cpu_is_refused():
    with pytest.raises(ValidationError, match="cpu"):
        props(cpu="300")


@pytest.mark.parametrize("name", ["", "has space", "x" * 256, "internal-web", "sg-web", "dot.name"])
def test_bad_service_names_are_refused(name):
    with pytest.raises(ValidationError, match="service_name"):
        props(service_name=name)


def test_secret_like_plain_variables_are_refused_as_for_app_runner():
    with pytest.raises(ValidationError, match="looks like a secret"):
        props(environment={"DB_PASSWORD": "x"})


def test_a_bad_secret_variable_name_is_refused():
    secret = Secret(TerraformStack(cdktf.Testing.app(), "s"), "s", props=SecretProps(name="cora/dev/X"))
    with pytest.raises(ValidationError, match="secrets") as err:
        props(secrets={"1BAD": secret})
    assert "1BAD" in str(err.value)
    assert "for type=" not in str(err.value)  # refused by the name check, not by the value's type
