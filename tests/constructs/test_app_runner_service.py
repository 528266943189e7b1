"""AppRunnerService: safe defaults, least-privilege roles, secrets by reference, input validation."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import cdktf
import pytest
from cdktf import TerraformStack
from pydantic import ValidationError

from constructs_lib import (
    AppRunnerService,
    AppRunnerServiceProps,
    AppSecrets,
    AppSecretsProps,
    AutoScaling,
    Cpu,
    EcrRepo,
    EcrRepoProps,
    HealthCheck,
    HealthCheckProtocol,
    Memory,
    Secret,
    SecretProps,
)
from tests.conftest import Synthesized, data_sources, only, resources

KMS_KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"

# The CPU/memory pairs App Runner documents (vCPU units → MB), written out independently of the library.
VALID_PAIRS = {
    ("256", "512"),
    ("256", "1024"),
    ("512", "1024"),
    ("1024", "2048"),
    ("1024", "3072"),
    ("1024", "4096"),
    ("2048", "4096"),
    ("2048", "6144"),
    ("4096", "8192"),
    ("4096", "10240"),
    ("4096", "12288"),
}
INVALID_PAIRS = sorted(
    (cpu.value, memory.value)
    for cpu, memory in itertools.product(Cpu, Memory)
    if (cpu.value, memory.value) not in VALID_PAIRS
)


# -- helpers ------------------------------------------------------------------------------------------


def logical_id(doc: Synthesized, kind: str) -> str:
    """The logical id of the single resource of one type."""
    (id_,) = doc["resource"][kind]
    return str(id_)


def ref(doc: Synthesized, kind: str, attribute: str) -> str:
    """The Terraform reference to an attribute of the single resource of one type."""
    return f"${{{kind}.{logical_id(doc, kind)}.{attribute}}}"


def role_id(doc: Synthesized, role_name: str) -> str:
    """The logical id of the IAM role with this name."""
    (id_,) = [i for i, r in doc["resource"]["aws_iam_role"].items() if r["name"] == role_name]
    return str(id_)


def trust_principals(doc: Synthesized, role_name: str) -> list[str]:
    """The service principals allowed to assume the role."""
    role = doc["resource"]["aws_iam_role"][role_id(doc, role_name)]
    doc_id = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(.+)\.json\}", role["assume_role_policy"])
    assert doc_id, role["assume_role_policy"]
    (statement,) = data_sources(doc, "aws_iam_policy_document")[doc_id[1]]["statement"]
    assert statement["actions"] == ["sts:AssumeRole"]
    return [i for p in statement["principals"] for i in p["identifiers"]]


def role_policies(doc: Synthesized, role_name: str) -> dict[str, list[dict[str, Any]]]:
    """Inline policy name → its statements, for every policy attached to the role."""
    role = f"${{aws_iam_role.{role_id(doc, role_name)}.name}}"
    documents = data_sources(doc, "aws_iam_policy_document")
    result = {}
    for policy in resources(doc, "aws_iam_role_policy"):
        if policy["role"] != role:
            continue
        doc_id = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(.+)\.json\}", policy["policy"])
        assert doc_id, policy["policy"]
        result[policy["name"]] = documents[doc_id[1]]["statement"]
    return result


def secret_arn_refs(doc: Synthesized) -> dict[str, str]:
    """Secret name → Terraform reference to its ARN."""
    return {
        secret["name"]: f"${{aws_secretsmanager_secret.{id_}.arn}}"
        for id_, secret in doc["resource"]["aws_secretsmanager_secret"].items()
    }


def service(doc: Synthesized) -> dict[str, Any]:
    return only(resources(doc, "aws_apprunner_service"))


def image_configuration(doc: Synthesized) -> dict[str, Any]:
    return service(doc)["source_configuration"]["image_repository"]["image_configuration"]


def build_service(**overrides: Any):
    """A builder for ``synth``: an ECR repo plus an App Runner service with these prop overrides."""

    def build(stack: TerraformStack) -> AppRunnerService:
        repo = EcrRepo(stack, "web", props=EcrRepoProps(name="cora-dev-web"))
        values = {"service_name": "cora-dev-web", "repository": repo, "image_tag": "abc1234", **overrides}
        return AppRunnerService(stack, "app", props=AppRunnerServiceProps(**values))

    return build


# -- defaults -----------------------------------------------------------------------------------------


def test_defaults_are_port_3000_one_vcpu_two_gb(synth):
    doc = synth(build_service())
    svc = service(doc)
    assert svc["service_name"] == "cora-dev-web"
    assert image_configuration(doc)["port"] == "3000"
    assert svc["instance_configuration"]["cpu"] == "1024"
    assert svc["instance_configuration"]["memory"] == "2048"


def test_default_health_check_is_http_api_health(synth):
    doc = synth(build_service())
    assert service(doc)["health_check_configuration"] == {
        "protocol": "HTTP",
        "path": "/api/health",
        "interval": 10,
        "timeout": 5,
        "healthy_threshold": 1,
        "unhealthy_threshold": 5,
    }


def test_tcp_health_check_has_no_path(synth):
    doc = synth(build_service(health_check=HealthCheck(protocol=HealthCheckProtocol.TCP)))
    check = service(doc)["health_check_configuration"]
    assert check["protocol"] == "TCP"
    assert "path" not in check


def test_auto_deployments_are_off_by_default(synth):
    doc = synth(build_service())
    assert service(doc)["source_configuration"]["auto_deployments_enabled"] is False


def test_image_identifier_is_repository_url_and_tag_and_ignored_after_creation(synth):
    doc = synth(build_service(image_tag="0f3c9a1"))
    svc = service(doc)
    repo_url = ref(doc, "aws_ecr_repository", "repository_url")
    assert svc["source_configuration"]["image_repository"]["image_identifier"] == f"{repo_url}:0f3c9a1"
    assert svc["source_configuration"]["image_repository"]["image_repository_type"] == "ECR"
    assert (
        "source_configuration[0].image_repository[0].image_identifier" in svc["lifecycle"]["ignore_changes"]
    )


def test_auto_scaling_is_replaced_before_destroy_and_referenced_by_the_service(synth):
    doc = synth(build_service())
    scaling = only(resources(doc, "aws_apprunner_auto_scaling_configuration_version"))
    assert scaling["lifecycle"] == {"create_before_destroy": True}
    assert (scaling["min_size"], scaling["max_size"], scaling["max_concurrency"]) == (1, 5, 100)
    assert service(doc)["auto_scaling_configuration_arn"] == ref(
        doc, "aws_apprunner_auto_scaling_configuration_version", "arn"
    )


def test_auto_scaling_name_fits_app_runner_32_character_limit(synth):
    name = "a" * 40
    doc = synth(build_service(service_name=name))
    scaling_name = only(resources(doc, "aws_apprunner_auto_scaling_configuration_version"))[
        "auto_scaling_configuration_name"
    ]
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{3,31}", scaling_name)


def test_settings_are_configurable(synth):
    doc = synth(
        build_service(
            port=8080,
            cpu=Cpu.TWO_VCPU,
            memory=Memory.SIX_GB,
            auto_deployments_enabled=True,
            auto_scaling=AutoScaling(min_size=2, max_size=10, max_concurrency=50),
            health_check=HealthCheck(path="/healthz", interval_seconds=20, unhealthy_threshold=3),
            tags={"project": "cora"},
        )
    )
    svc = service(doc)
    scaling = only(resources(doc, "aws_apprunner_auto_scaling_configuration_version"))
    assert image_configuration(doc)["port"] == "8080"
    assert (svc["instance_configuration"]["cpu"], svc["instance_configuration"]["memory"]) == ("2048", "6144")
    assert svc["source_configuration"]["auto_deployments_enabled"] is True
    assert (scaling["min_size"], scaling["max_size"], scaling["max_concurrency"]) == (2, 10, 50)
    assert svc["health_check_configuration"]["path"] == "/healthz"
    assert svc["health_check_configuration"]["interval"] == 20
    assert svc["health_check_configuration"]["unhealthy_threshold"] == 3
    assert svc["tags"] == {"project": "cora"}
    assert scaling["tags"] == {"project": "cora"}


# -- roles --------------------------------------------------------------------------------------------


def test_access_role_is_trusted_by_app_runner_build_and_pulls_only_the_repository(synth):
    doc = synth(build_service())
    assert trust_principals(doc, "cora-dev-web-access") == ["build.apprunner.amazonaws.com"]
    assert service(doc)["source_configuration"]["authentication_configuration"] == {
        "access_role_arn": f"${{aws_iam_role.{role_id(doc, 'cora-dev-web-access')}.arn}}"
    }
    statements = only(list(role_policies(doc, "cora-dev-web-access").values()))
    by_resource = {tuple(s["resources"]): s["actions"] for s in statements}
    assert set(by_resource) == {(ref(doc, "aws_ecr_repository", "arn"),), ("*",)}
    assert by_resource[("*",)] == ["ecr:GetAuthorizationToken"]
    assert all(a.startswith("ecr:") for actions in by_resource.values() for a in actions)


def test_instance_role_is_trusted_by_app_runner_tasks(synth):
    doc = synth(build_service())
    assert trust_principals(doc, "cora-dev-web-instance") == ["tasks.apprunner.amazonaws.com"]
    assert service(doc)["instance_configuration"]["instance_role_arn"] == (
        f"${{aws_iam_role.{role_id(doc, 'cora-dev-web-instance')}.arn}}"
    )


def test_without_secrets_the_instance_role_has_no_policy(synth):
    doc = synth(build_service())
    assert role_policies(doc, "cora-dev-web-instance") == {}
    config = image_configuration(doc)
    assert "runtime_environment_secrets" not in config


def test_instance_role_reads_exactly_the_given_secrets(synth):
    def build(stack):
        secrets = AppSecrets(
            stack,
            "secrets",
            props=AppSecretsProps(prefix="cora/dev", names=("NEXTAUTH_SECRET", "DATABASE_URL", "UNUSED")),
        )
        chosen = {n: secrets.secret(n) for n in ("NEXTAUTH_SECRET", "DATABASE_URL")}
        return build_service(secrets=chosen)(stack)

    doc = synth(build)
    arns = secret_arn_refs(doc)
    policies = role_policies(doc, "cora-dev-web-instance")
    (statement,) = policies["cora-dev-web-read-secrets"]
    assert list(policies) == ["cora-dev-web-read-secrets"]
    assert statement["sid"] == "ReadSecrets"
    assert statement["actions"] == ["secretsmanager:GetSecretValue"]
    assert sorted(statement["resources"]) == sorted(
        [arns["cora/dev/NEXTAUTH_SECRET"], arns["cora/dev/DATABASE_URL"]]
    )
    assert arns["cora/dev/UNUSED"] not in statement["resources"]


def test_customer_kms_key_adds_decrypt_on_that_key_only(synth):
    def build(stack):
        managed = Secret(stack, "managed", props=SecretProps(name="cora/dev/DATABASE_URL"))
        customer = Secret(
            stack, "customer", props=SecretProps(name="cora/dev/API_SECRET", kms_key_arn=KMS_KEY)
        )
        return build_service(secrets={"DATABASE_URL": managed, "API_SECRET": customer})(stack)

    doc = synth(build)
    statements = role_policies(doc, "cora-dev-web-instance")["cora-dev-web-read-secrets"]
    decrypt = next(s for s in statements if s["actions"] == ["kms:Decrypt"])
    assert decrypt["resources"] == [KMS_KEY]
    assert len(statements) == 2


def test_plain_env_vars_and_secret_references_are_injected_separately(synth):
    def build(stack):
        secret = Secret(stack, "auth", props=SecretProps(name="cora/dev/NEXTAUTH_SECRET"))
        return build_service(
            environment={"NODE_ENV": "production", "NEXT_PUBLIC_APP_NAME": "cora"},
            secrets={"NEXTAUTH_SECRET": secret},
        )(stack)

    doc = synth(build)
    config = image_configuration(doc)
    assert config["runtime_environment_variables"] == {
        "NODE_ENV": "production",
        "NEXT_PUBLIC_APP_NAME": "cora",
    }
    assert config["runtime_environment_secrets"] == {
        "NEXTAUTH_SECRET": secret_arn_refs(doc)["cora/dev/NEXTAUTH_SECRET"]
    }
    text = json.dumps(doc)
    assert "secret_string" not in text
    assert "aws_secretsmanager_secret_version" not in doc.get("resource", {})


def test_service_waits_for_the_role_policies(synth):
    def build(stack):
        secret = Secret(stack, "auth", props=SecretProps(name="cora/dev/NEXTAUTH_SECRET"))
        return build_service(secrets={"NEXTAUTH_SECRET": secret})(stack)

    doc = synth(build)
    expected = sorted(f"aws_iam_role_policy.{id_}" for id_ in doc["resource"]["aws_iam_role_policy"])
    assert len(expected) == 2
    assert sorted(service(doc)["depends_on"]) == expected


def test_service_outputs_are_tokens():
    stack = TerraformStack(cdktf.Testing.app(), "outputs")
    app = build_service()(stack)
    assert app.service_url.startswith("https://")
    for value in (app.service_url, app.service_arn, app.service_id):
        assert "${TfToken[" in value


# -- validation ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scope() -> TerraformStack:
    return TerraformStack(cdktf.Testing.app(), "validation")


@pytest.fixture(scope="module")
def repo(scope) -> EcrRepo:
    return EcrRepo(scope, "web", props=EcrRepoProps(name="cora-dev-web"))


@pytest.fixture(scope="module")
def secret(scope) -> Secret:
    return Secret(scope, "db", props=SecretProps(name="cora/dev/DATABASE_URL"))


def make_props(repo: EcrRepo, **overrides: Any) -> AppRunnerServiceProps:
    values = {"service_name": "cora-dev-web", "repository": repo, "image_tag": "abc1234", **overrides}
    return AppRunnerServiceProps(**values)


@pytest.mark.parametrize(("cpu", "memory"), sorted(VALID_PAIRS))
def test_every_documented_cpu_memory_pair_is_accepted(repo, cpu, memory):
    props = make_props(repo, cpu=cpu, memory=memory)
    assert (props.cpu.value, props.memory.value) == (cpu, memory)


@pytest.mark.parametrize(("cpu", "memory"), INVALID_PAIRS)
def test_every_invalid_cpu_memory_pair_is_refused(repo, cpu, memory):
    with pytest.raises(ValidationError, match="memory") as err:
        make_props(repo, cpu=cpu, memory=memory)
    assert f"memory {memory} MB is not available with cpu {cpu}" in str(err.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("interval_seconds", 0),
        ("interval_seconds", 21),
        ("timeout_seconds", 0),
        ("timeout_seconds", 21),
        ("healthy_threshold", 0),
        ("healthy_threshold", 21),
        ("unhealthy_threshold", 0),
        ("unhealthy_threshold", 21),
    ],
)
def test_out_of_range_health_check_is_refused(repo, field, value):
    with pytest.raises(ValidationError, match=f"health_check.{field}") as err:
        make_props(repo, health_check={field: value})
    assert f"input_value={value}," in str(err.value)


@pytest.mark.parametrize("path", ["api/health", "", "/api/ health"])
def test_malformed_health_check_path_is_refused(path):
    with pytest.raises(ValidationError, match="path") as err:
        HealthCheck(path=path)
    assert f"health check path {path!r}" in str(err.value)


def test_auto_scaling_min_above_max_is_refused():
    with pytest.raises(ValidationError, match="min_size") as err:
        AutoScaling(min_size=6, max_size=5)
    assert "min_size (6) must not exceed max_size (5)" in str(err.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("min_size", 0), ("max_size", 26), ("max_concurrency", 0), ("max_concurrency", 201)],
)
def test_out_of_range_auto_scaling_is_refused(repo, field, value):
    with pytest.raises(ValidationError, match=f"auto_scaling.{field}") as err:
        make_props(repo, auto_scaling={field: value})
    assert f"input_value={value}," in str(err.value)


@pytest.mark.parametrize("port", [0, 70000])
def test_out_of_range_port_is_refused(repo, port):
    with pytest.raises(ValidationError, match="port") as err:
        make_props(repo, port=port)
    assert f"input_value={port}," in str(err.value)


@pytest.mark.parametrize("name", ["abc", "x" * 41, "cora dev", "-cora", "_cora", "cora.dev", ""])
def test_invalid_service_names_are_refused(repo, name):
    with pytest.raises(ValidationError, match="service_name") as err:
        make_props(repo, service_name=name)
    assert f"App Runner service name {name!r} is invalid" in str(err.value)


@pytest.mark.parametrize("name", ["cora", "x" * 40, "Cora_Dev-1"])
def test_service_names_within_limits_are_accepted(repo, name):
    assert make_props(repo, service_name=name).service_name == name


@pytest.mark.parametrize("field", ["environment", "secrets"])
@pytest.mark.parametrize("name", ["AWSAPPRUNNER_X", "awsapprunnerFoo"])
def test_reserved_env_names_are_refused(repo, secret, field, name):
    value = {name: "x"} if field == "environment" else {name: secret}
    with pytest.raises(ValidationError, match=field) as err:
        make_props(repo, **{field: value})
    assert f"{name!r} is reserved by App Runner" in str(err.value)


@pytest.mark.parametrize(
    "name", ["DB_PASSWORD", "NEXTAUTH_SECRET", "GITHUB_TOKEN", "STRIPE_API_KEY", "KEY", "OKTA_PRIVATE_JWK"]
)
def test_secret_looking_plain_env_vars_are_refused(repo, name):
    with pytest.raises(ValidationError, match="environment") as err:
        make_props(repo, environment={name: "hunter2"})
    assert f"plain environment variable {name!r} looks like a secret" in str(err.value)


@pytest.mark.parametrize("field", ["environment", "secrets"])
@pytest.mark.parametrize("name", ["1ABC", "A-B", "A B", ""])
def test_invalid_env_var_names_are_refused(repo, secret, field, name):
    value = {name: "x"} if field == "environment" else {name: secret}
    with pytest.raises(ValidationError, match=field) as err:
        make_props(repo, **{field: value})
    assert f"environment variable name {name!r} is invalid" in str(err.value)


def test_same_name_as_plain_env_and_secret_is_refused(repo, secret):
    with pytest.raises(ValidationError, match="environment") as err:
        make_props(repo, environment={"DATABASE_URL": "postgres://"}, secrets={"DATABASE_URL": secret})
    assert "DATABASE_URL set both as plain environment and as secret" in str(err.value)


@pytest.mark.parametrize("tag", ["", "-x", ".x", "a b", "x" * 129, "v1:latest"])
def test_invalid_image_tags_are_refused(repo, tag):
    with pytest.raises(ValidationError, match="image_tag") as err:
        make_props(repo, image_tag=tag)
    assert f"image tag {tag!r} is invalid" in str(err.value)


@pytest.mark.parametrize("key", ["aws:project", ""])
def test_invalid_tag_keys_are_refused(repo, key):
    with pytest.raises(ValidationError, match="tags") as err:
        make_props(repo, tags={key: "cora"})
    assert f"tag key {key!r} is invalid" in str(err.value)


def test_secret_mapping_must_hold_secret_constructs(repo):
    with pytest.raises(ValidationError, match="secrets"):
        make_props(repo, secrets={"DATABASE_URL": "arn:aws:secretsmanager:us-east-1:111111111111:secret:x"})


def test_unknown_prop_is_refused(repo):
    with pytest.raises(ValidationError, match="cpus"):
        make_props(repo, cpus="1024")
