"""Builders shared by the organisation policy tests: a stack with the policy, and what it refuses."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cdktf
import pytest
from cdktf import App, TerraformStack

from constructs_lib import (
    RULES,
    CorsConfig,
    EcrRepo,
    EcrRepoProps,
    ModularApiGateway,
    ModularApiGatewayProps,
    PolicyViolationError,
    Rule,
    TagMutability,
    _aws,
    apply_policy,
    check_app,
)
from constructs_lib.iam.statements import PolicyStatement, grant, service_role
from constructs_lib.policy.organisation import find_violations

Build = Callable[[TerraformStack], object]
# The rules these helpers apply by default: every rule but custom-domain, which refuses any stg/prd
# service or API without a domain and is tested on its own (test_policy_rules.py).
OTHER_RULES = tuple(rule for rule in RULES if rule.id != "custom-domain")


def make(environment: str, build: Build, rules: Sequence[Rule] = OTHER_RULES) -> tuple[App, TerraformStack]:
    app = cdktf.Testing.app()
    stack = TerraformStack(app, environment)
    _aws.AwsProvider(stack, "aws", region="us-east-1")
    apply_policy(stack, environment=environment, rules=rules)
    build(stack)
    return app, stack


def violations(environment: str, build: Build, rules: Sequence[Rule] = OTHER_RULES) -> list[str]:
    app, _ = make(environment, build, rules)
    return [str(v) for v in find_violations(app)]


def refused(environment: str, build: Build, rules: Sequence[Rule] = OTHER_RULES) -> PolicyViolationError:
    app, _ = make(environment, build, rules)
    with pytest.raises(PolicyViolationError) as err:
        check_app(app)
    return err.value


def api(stack: TerraformStack, origins: tuple[str, ...] = ("*",)) -> ModularApiGateway:
    return ModularApiGateway(
        stack, "api", props=ModularApiGatewayProps(name="t-api", cors=CorsConfig(allow_origins=origins))
    )


def mutable_repo(stack: TerraformStack) -> EcrRepo:
    return EcrRepo(
        stack,
        "repo",
        props=EcrRepoProps(name="t-web", tag_mutability=TagMutability.MUTABLE, prevent_destroy=True),
    )


def short_logs(stack: TerraformStack) -> None:
    _aws.CloudwatchLogGroup(stack, "logs", name="t-logs", retention_in_days=14)


def role(stack: TerraformStack) -> _aws.IamRole:
    return service_role(
        stack, "role", name="t-role", service_principal="lambda.amazonaws.com", description="t", tags={}
    )


def granting(*statements: PolicyStatement) -> Build:
    def build(stack: TerraformStack) -> None:
        grant(stack, "test", role(stack), policy_name="t-policy", statements=statements)

    return build
