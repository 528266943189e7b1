"""Each organisation rule (``constructs_lib.policy.rules``) refuses what it should, where it should, with
one line naming the construct path, the rule and the fix."""

from __future__ import annotations

import json

import pytest
from cdktf import TerraformStack

from constructs_lib import (
    RULES,
    ApiCustomDomain,
    ApiCustomDomainProps,
    AppRunnerCustomDomain,
    AppRunnerCustomDomainProps,
    AppRunnerService,
    AppRunnerServiceProps,
    AppSecrets,
    AppSecretsProps,
    CorsConfig,
    EcrRepo,
    EcrRepoProps,
    HostedZone,
    HostedZoneProps,
    ModularApiGateway,
    ModularApiGatewayProps,
    StateBucket,
    StateBucketProps,
    _aws,
    suppress,
)
from constructs_lib.iam.statements import PolicyStatement
from tests.constructs.policy_helpers import (
    Build,
    api,
    granting,
    mutable_repo,
    refused,
    short_logs,
    violations,
)


# -- each rule ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ["stg", "prd"])
def test_wildcard_cors_is_refused_in_stg_and_prd(env):
    error = refused(env, api)
    assert str(error).splitlines()[1:] == [
        f"  {env}/api/api: cors-no-wildcard: CORS allow_origins is '*'; {env} admits only explicit https "
        "origins. Fix: list the app's https origins in CorsConfig.allow_origins (ModularApiGatewayProps.cors)"
    ]
    assert error.violations[0].rule == "cors-no-wildcard"


@pytest.mark.parametrize("env", ["dev", "local"])
def test_wildcard_cors_is_allowed_in_dev_and_local(env):
    assert violations(env, api) == []


def destroyable_stateful(stack: TerraformStack) -> None:
    EcrRepo(stack, "repo", props=EcrRepoProps(name="t-web"))
    AppSecrets(stack, "secrets", props=AppSecretsProps(prefix="t/prd", names=("NEXTAUTH_SECRET",)))
    StateBucket(stack, "state", props=StateBucketProps(bucket="t-state-bucket", prevent_destroy=False))


@pytest.mark.parametrize("env", ["stg", "prd", "shared"])
def test_destroyable_stateful_resources_are_refused_in_stg_prd_and_state_buckets(env):
    lines = violations(env, destroyable_stateful)
    assert sorted(line.split(":")[0] for line in lines) == [
        f"{env}/repo/repository",
        f"{env}/secrets/NEXTAUTH_SECRET/secret",
        f"{env}/state/bucket",
    ]
    assert all(": prevent-destroy: " in line and "Fix: set prevent_destroy=True" in line for line in lines)


@pytest.mark.parametrize("env", ["dev", "local"])
def test_destroyable_stateful_resources_are_allowed_in_dev_and_local(env):
    assert violations(env, destroyable_stateful) == []


def test_protected_stateful_resources_pass():
    def build(stack: TerraformStack) -> None:
        EcrRepo(stack, "repo", props=EcrRepoProps(name="t-web", prevent_destroy=True))
        AppSecrets(
            stack,
            "secrets",
            props=AppSecretsProps(prefix="t/prd", names=("NEXTAUTH_SECRET",), prevent_destroy=True),
        )
        StateBucket(stack, "state", props=StateBucketProps(bucket="t-state-bucket"))  # on by default

    assert violations("prd", build) == []


def test_mutable_ecr_tags_are_refused_in_prd_only():
    (line,) = violations("prd", mutable_repo)
    assert line.startswith("prd/repo/repository: ecr-immutable-tags: image_tag_mutability is 'MUTABLE'")
    assert "Fix: set EcrRepoProps.tag_mutability to TagMutability.IMMUTABLE" in line
    assert violations("stg", mutable_repo) == []
    assert violations("dev", mutable_repo) == []


def test_raw_repository_without_mutability_uses_the_provider_default_and_is_refused_in_prd():
    lines = violations("prd", lambda s: _aws.EcrRepository(s, "raw", name="raw"))
    assert [line.split(": ")[1] for line in lines] == ["ecr-immutable-tags", "prevent-destroy"]
    assert "prd/raw: ecr-immutable-tags: image_tag_mutability is 'MUTABLE'" in lines[0]


def test_prd_log_retention_below_30_days_is_refused():
    (line,) = violations("prd", short_logs)
    assert line.startswith(
        "prd/logs: log-retention: retention_in_days is 14; prd keeps logs at least 30 days"
    )
    assert violations("dev", short_logs) == []


@pytest.mark.parametrize("days", [30, 365, None])
def test_prd_log_retention_of_30_days_or_more_or_never_expiring_passes(days):
    assert (
        violations("prd", lambda s: _aws.CloudwatchLogGroup(s, "logs", name="l", retention_in_days=days))
        == []
    )


def test_api_retention_comes_through_the_construct():
    def build(stack: TerraformStack) -> None:
        ModularApiGateway(
            stack,
            "api",
            props=ModularApiGatewayProps(
                name="t-api", cors=CorsConfig(allow_origins=("https://a.example.com",)), log_retention_days=7
            ),
        )

    (line,) = violations("prd", build)
    assert line.startswith("prd/api/access-logs: log-retention: retention_in_days is 7")


@pytest.mark.parametrize("env", ["dev", "prd"])
def test_stage_without_access_logs_or_throttling_is_refused_everywhere(env):
    def build(stack: TerraformStack) -> None:
        _aws.Apigatewayv2Stage(stack, "stage", api_id="abc", name="$default")

    lines = violations(env, build)
    assert lines == [
        f"{env}/stage: api-access-logs: the API stage writes no access logs (access_log_settings with "
        "destination_arn and format). Fix: set access_log_settings on the stage "
        "(ModularApiGateway always does)",
        f"{env}/stage: api-throttling: the API stage sets no throttling_burst_limit or throttling_rate_limit "
        "(default_route_settings). Fix: set throttling_burst_limit and throttling_rate_limit in "
        "default_route_settings (ModularApiGatewayProps.throttling)",
    ]


def test_stage_with_half_the_throttling_names_the_missing_limit():
    def build(stack: TerraformStack) -> None:
        _aws.Apigatewayv2Stage(
            stack,
            "stage",
            api_id="abc",
            name="$default",
            access_log_settings=_aws.Apigatewayv2StageAccessLogSettings(destination_arn="arn:x", format="{}"),
            default_route_settings=_aws.Apigatewayv2StageDefaultRouteSettings(throttling_burst_limit=10),
        )

    (line,) = violations("dev", build)
    assert "api-throttling: the API stage sets no throttling_rate_limit (default_route_settings)" in line


def test_secret_looking_plain_env_var_is_refused_even_when_it_bypasses_the_props(tmp_path):
    def build(stack: TerraformStack) -> None:
        repo = EcrRepo(stack, "repo", props=EcrRepoProps(name="t-web"))
        service = AppRunnerService(
            stack,
            "web",
            props=AppRunnerServiceProps(
                service_name="t-web", repository=repo, image_tag="1", environment={"NODE_ENV": "production"}
            ),
        )
        # The props refuse such a name; an escape hatch does not get past the policy either.
        service.service.add_override(
            "source_configuration.image_repository.image_configuration.runtime_environment_variables.DB_PASSWORD",
            "hunter2",
        )

    (line,) = violations("dev", build)
    assert line.startswith(
        "dev/web/service: no-secret-env: plain environment variable 'DB_PASSWORD' looks like a secret"
    )
    assert "Fix: pass the value through AppRunnerServiceProps.secrets" in line


# -- IAM ------------------------------------------------------------------------------------------------
def test_star_action_and_star_resource_are_refused():
    lines = violations("dev", granting(PolicyStatement(sid="Admin", actions=("*",), resources=("*",))))
    assert [line.split(": ")[1] for line in lines] == ["iam-no-wildcard-action", "iam-no-wildcard-resource"]
    assert "statement 'Admin' allows the wildcard action *" in lines[0]
    assert "statement 'Admin' allows * on resource '*'" in lines[1]


def test_service_wide_wildcard_action_is_refused_even_on_a_named_resource():
    (line,) = violations(
        "dev", granting(PolicyStatement(actions=("s3:*",), resources=("arn:aws:s3:::bucket/*",)))
    )
    assert "iam-no-wildcard-action: a statement allows the wildcard action s3:*" in line


def test_star_resource_is_refused_unless_aws_requires_it():
    (line,) = violations(
        "dev", granting(PolicyStatement(sid="Read", actions=("s3:GetObject",), resources=("*",)))
    )
    assert "iam-no-wildcard-resource: statement 'Read' allows s3:GetObject on resource '*'" in line
    assert "'*' is only accepted for actions that AWS requires it for (ecr:GetAuthorizationToken, " in line


def test_registry_login_on_star_is_the_accepted_exception_but_not_when_mixed():
    ok = granting(PolicyStatement(actions=("ecr:GetAuthorizationToken",), resources=("*",)))
    assert violations("prd", ok) == []
    mixed = granting(
        PolicyStatement(actions=("ecr:GetAuthorizationToken", "ecr:BatchGetImage"), resources=("*",))
    )
    (line,) = violations("prd", mixed)
    assert "allows ecr:BatchGetImage on resource '*'" in line


def document(**statement: object) -> Build:
    """A stack holding one policy document with one raw statement."""

    def build(stack: TerraformStack) -> None:
        _aws.DataAwsIamPolicyDocument(
            stack,
            "doc",
            statement=[_aws.DataAwsIamPolicyDocumentStatement(**statement)],  # type: ignore[arg-type]
        )

    return build


def test_not_action_and_not_resource_in_allow_statements_are_refused():
    lines = violations(
        "dev", document(effect="Allow", not_actions=["iam:*"], not_resources=["arn:aws:s3:::x"])
    )
    assert any("allows everything except iam:*" in line for line in lines)
    assert any("applies to every resource except arn:aws:s3:::x" in line for line in lines)


def test_deny_statements_may_use_wildcards():
    assert violations("prd", document(effect="Deny", actions=["s3:*"], resources=["*"])) == []


def test_literal_json_policies_are_read_too():
    def build(stack: TerraformStack) -> None:
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        _aws.IamRolePolicy(stack, "inline", role="r", name="inline", policy=json.dumps(policy))

    lines = violations("dev", build)
    assert [line.split(": ")[:2] for line in lines] == [
        ["dev/inline", "iam-no-wildcard-action"],
        ["dev/inline", "iam-no-wildcard-resource"],
    ]


# -- custom-domain: a rule about what a stack lacks ----------------------------------------------------
def web_service(stack: TerraformStack) -> AppRunnerService:
    repo = EcrRepo(stack, "repo", props=EcrRepoProps(name="t-web", prevent_destroy=True))
    return AppRunnerService(
        stack, "web", props=AppRunnerServiceProps(service_name="t-web", repository=repo, image_tag="0.1.0")
    )


def without_domains(stack: TerraformStack) -> None:
    web_service(stack)
    api(stack, origins=("https://app.example.com",))


def with_domains(stack: TerraformStack) -> None:
    zone = HostedZone(stack, "zone", props=HostedZoneProps(name="example.com"))
    AppRunnerCustomDomain(
        stack,
        "web-domain",
        props=AppRunnerCustomDomainProps(
            service=web_service(stack), zone=zone, domain_name="app.example.com"
        ),
    )
    ApiCustomDomain(
        stack,
        "api-domain",
        props=ApiCustomDomainProps(
            api=api(stack, origins=("https://app.example.com",)), zone=zone, domain_name="api.example.com"
        ),
    )


@pytest.mark.parametrize("env", ["stg", "prd"])
def test_stg_and_prd_without_custom_domains_are_refused(env):
    lines = violations(env, without_domains, RULES)
    fix = (
        "Fix: add AppRunnerCustomDomain (AppRunnerCustomDomainProps) for the service and ApiCustomDomain "
        "(ApiCustomDomainProps) for the API to the stack (CoraAppStack adds both when its config has a "
        "domain)"
    )
    assert lines == [
        f"{env}/web/service: custom-domain: the App Runner service has no custom domain; {env} serves the "
        f"app at its own name. {fix}",
        f"{env}/api/api: custom-domain: the HTTP API has no custom domain mapping; {env} serves the API at "
        f"its own name. {fix}",
    ]


@pytest.mark.parametrize("env", ["stg", "prd"])
def test_stg_and_prd_with_custom_domains_pass(env):
    assert violations(env, with_domains, RULES) == []


@pytest.mark.parametrize("env", ["dev", "local"])
def test_dev_and_local_may_run_without_custom_domains(env):
    assert violations(env, without_domains, RULES) == []


def test_a_domain_for_another_service_does_not_count():
    def build(stack: TerraformStack) -> None:
        with_domains(stack)
        repo = EcrRepo(stack, "repo2", props=EcrRepoProps(name="t-admin", prevent_destroy=True))
        AppRunnerService(
            stack,
            "admin",
            props=AppRunnerServiceProps(service_name="t-admin", repository=repo, image_tag="1"),
        )

    assert [line.split(": ")[:2] for line in violations("prd", build, RULES)] == [
        ["prd/admin/service", "custom-domain"]
    ]


def test_custom_domain_can_be_suppressed_with_a_reason():
    def build(stack: TerraformStack) -> None:
        without_domains(stack)
        for construct in stack.node.children:
            if construct.node.id in {"web", "api"}:
                suppress(
                    construct, "custom-domain", reason="Internal load-test copy, reached by its AWS URLs"
                )

    assert violations("stg", build, RULES) == []
