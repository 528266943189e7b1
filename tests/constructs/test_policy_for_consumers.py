"""The policy as another project meets it: a closed environment type, every prd rule in the library,
fixes that name props (not this repository's config keys), and duplicate ids as a clear ValueError."""

from __future__ import annotations

import cdktf
import pytest
from cdktf import TerraformStack

from constructs_lib import (
    RULES,
    AppRunnerService,
    AppRunnerServiceProps,
    CoraInfraError,
    EcrRepo,
    EcrRepoProps,
    Environment,
    OrganisationPolicy,
    _aws,
    apply_policy,
    check_app,
    suppress,
)
from constructs_lib.policy.rules import evaluate, image_tag_of
from constructs_lib.stacks import CoraAppStack, load_config
from tests.conftest import CONFIG_DIR
from tests.constructs.policy_helpers import OTHER_RULES, mutable_repo, refused, violations


@pytest.mark.parametrize(
    ("value", "hint"),
    [("production", "(production is 'prd')"), ("staging", "(staging is 'stg')"), ("PRD", ""), ("qa", "")],
)
def test_an_unknown_environment_is_refused_not_treated_as_lax(value, hint):
    stack = TerraformStack(cdktf.Testing.app(), "s")
    with pytest.raises(ValueError, match="apply_policy: environment") as err:
        apply_policy(stack, environment=value)
    message = str(err.value)
    assert f"environment {value!r} is not allowed" in message
    assert "'dev', 'stg', 'prd', 'local', 'shared'" in message
    assert hint in message


def test_organisation_policy_and_evaluate_refuse_an_unknown_environment():
    with pytest.raises(CoraInfraError, match=r"OrganisationPolicy\.environment: environment 'production'"):
        OrganisationPolicy(environment="production")  # type: ignore[arg-type]
    with pytest.raises(CoraInfraError, match="evaluate: environment 'prod'"):
        evaluate({}, "prod")  # type: ignore[arg-type]


@pytest.mark.parametrize("env", [Environment.PRD, "prd"])
def test_the_enum_and_its_value_apply_the_same_strict_rules(env):
    assert [v.split(":")[1].strip() for v in violations(env, mutable_repo)] == ["ecr-immutable-tags"]


def service_with_tag(tag: str):
    def build(stack: TerraformStack) -> AppRunnerService:
        repo = EcrRepo(stack, "repo", props=EcrRepoProps(name="t-web", prevent_destroy=True))
        return AppRunnerService(
            stack, "web", props=AppRunnerServiceProps(service_name="t-web", repository=repo, image_tag=tag)
        )

    return build


@pytest.mark.parametrize("env", ["stg", "prd"])
@pytest.mark.parametrize("tag", ["latest", "main", "Production"])
def test_a_moving_image_tag_is_refused_in_stg_and_prd_whoever_builds_the_stack(env, tag):
    error = refused(env, service_with_tag(tag))
    assert [v.rule for v in error.violations] == ["pinned-image-tag"]
    (line,) = str(error).splitlines()[1:]
    assert f"{env}/web/service: pinned-image-tag: the image tag {tag!r} is a moving tag" in line
    assert "Fix: set AppRunnerServiceProps.image_tag to a git SHA or a version ('0.1.0')" in line


@pytest.mark.parametrize("env", ["dev", "local"])
def test_a_moving_image_tag_is_allowed_in_dev_and_local(env):
    assert violations(env, service_with_tag("latest")) == []


@pytest.mark.parametrize("tag", ["0.2.0", "3d3c42e5aac5", "v1"])
def test_pinned_image_tags_pass_in_prd(tag):
    assert violations("prd", service_with_tag(tag)) == []


def test_the_moving_tag_rule_is_suppressible_with_a_reason():
    def build(stack: TerraformStack) -> None:
        service = service_with_tag("latest")(stack)
        suppress(service, "pinned-image-tag", reason="Demo stack that always runs the newest image")

    assert violations("prd", build) == []


@pytest.mark.parametrize(
    ("identifier", "tag"),
    [
        ("${aws_ecr_repository.r.repository_url}:latest", "latest"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:0.1.0", "0.1.0"),
        ("localhost:5000/web", None),  # a registry port, no tag
        ("${aws_ecr_repository.r.repository_url}:${var.tag}", None),  # known only to Terraform
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:abcd", None),  # a digest
        ("${aws_ecr_repository.r.repository_url}", None),
    ],
)
def test_image_tag_of(identifier, tag):
    assert image_tag_of(identifier) == tag


def test_fix_texts_name_props_not_this_repositorys_config_keys():
    for rule in RULES:
        for config_word in ("[domain]", "cors.", "allow_origins in config", "config (", "toml"):
            assert config_word not in rule.fix, (rule.id, rule.fix)
    fixes = {rule.id: rule.fix for rule in RULES}
    assert "CorsConfig.allow_origins (ModularApiGatewayProps.cors)" in fixes["cors-no-wildcard"]
    assert "AppRunnerCustomDomainProps" in fixes["custom-domain"]
    assert "ApiCustomDomainProps" in fixes["custom-domain"]
    assert "AppRunnerServiceProps.image_tag" in fixes["pinned-image-tag"]


def test_other_rules_helper_still_applies_the_new_rule():
    assert "pinned-image-tag" in {rule.id for rule in OTHER_RULES}


def test_a_duplicate_construct_id_is_a_clear_value_error():
    stack = TerraformStack(cdktf.Testing.app(), "prd")
    _aws.AwsProvider(stack, "aws", region="us-east-1")
    EcrRepo(stack, "web", props=EcrRepoProps(name="t-web"))
    with pytest.raises(ValueError, match="EcrRepo: construct id 'web' is already used") as err:
        EcrRepo(stack, "web", props=EcrRepoProps(name="t-other"))
    assert isinstance(err.value, CoraInfraError)
    assert "by a EcrRepo in 'prd'" in str(err.value) or "by an EcrRepo in 'prd'" in str(err.value)
    assert "choose another id" in str(err.value)
    assert "jsii" not in str(err.value).lower()


def test_a_second_stack_for_the_same_environment_is_a_clear_value_error():
    app = cdktf.Testing.app()
    config = load_config("dev", CONFIG_DIR)
    CoraAppStack(app, config)
    with pytest.raises(
        CoraInfraError, match=r"CoraAppStack: construct id 'dev' is already used .* in the app"
    ):
        CoraAppStack(app, config)


def test_other_runtime_errors_from_the_kernel_are_not_reworded():
    stack = TerraformStack(cdktf.Testing.app(), "s")
    with pytest.raises(RuntimeError) as err:
        EcrRepo(stack, "", props=EcrRepoProps(name="t-web"))
    assert not isinstance(err.value, CoraInfraError)


def test_a_stack_with_a_moving_tag_stops_before_anything_is_written(tmp_path):
    app = cdktf.App(outdir=str(tmp_path))
    stack = TerraformStack(app, "prd")
    _aws.AwsProvider(stack, "aws", region="us-east-1")
    apply_policy(stack, environment=Environment.PRD)
    service_with_tag("latest")(stack)
    with pytest.raises(CoraInfraError, match="pinned-image-tag"):
        check_app(app)
    assert list(tmp_path.rglob("*.json")) == []
