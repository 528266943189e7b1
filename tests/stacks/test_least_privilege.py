"""Least privilege, read from the synthesized JSON: each role's exact trust, actions and resources.

Every policy of a role is resolved to its statements (inline role policies → policy documents), so
a widened action list, a new resource or a stray managed policy fails here, in every environment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import cdktf
import pytest

from constructs_lib import ApiRoute, LambdaIntegration, LocalBackendConfig
from constructs_lib.api.lambda_permissions import ROUTE_STATEMENTS_PER_FUNCTION
from constructs_lib.stacks import CoraAppStack, load_config
from tests.conftest import ALL_ENVIRONMENTS, CONFIG_DIR, Synthesized, data_sources

APIGATEWAY = "apigateway.amazonaws.com"

Statement = tuple[str | None, str, tuple[str, ...], tuple[str, ...]]


def _ref(kind: str, logical: str, attribute: str) -> str:
    return f"${{{kind}.{logical}.{attribute}}}"


def _logical(doc: Synthesized, kind: str, **match: str) -> str:
    """The logical id of the one resource of ``kind`` whose fields equal ``match``."""
    found = [
        logical
        for logical, body in doc["resource"][kind].items()
        if all(body.get(key) == value for key, value in match.items())
    ]
    assert len(found) == 1, f"{kind} matching {match}: {found}"
    return found[0]


def _document(doc: Synthesized, reference: str) -> dict[str, Any]:
    """The policy document data source behind ``${data.aws_iam_policy_document.<id>.json}``."""
    prefix, suffix = "${data.aws_iam_policy_document.", ".json}"
    assert reference.startswith(prefix) and reference.endswith(suffix), reference
    return data_sources(doc, "aws_iam_policy_document")[reference[len(prefix) : -len(suffix)]]


def _statements(document: dict[str, Any]) -> set[Statement]:
    return {
        (
            s.get("sid"),
            s.get("effect", "Allow"),
            tuple(sorted(s.get("actions", []))),
            tuple(sorted(s.get("resources", []))),
        )
        for s in document["statement"]
    }


def role_permissions(doc: Synthesized, role_name: str) -> set[Statement]:
    """Every statement of every inline policy attached to the role named ``role_name``."""
    logical = _logical(doc, "aws_iam_role", name=role_name)
    policies = [
        p
        for p in doc["resource"]["aws_iam_role_policy"].values()
        if p["role"] == _ref("aws_iam_role", logical, "name")
    ]
    assert policies, f"{role_name} has no policy"
    statements: set[Statement] = set()
    for policy in policies:
        statements |= _statements(_document(doc, policy["policy"]))
    return statements


def role_trust(doc: Synthesized, role_name: str) -> set[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(action, principal type, identifiers) of the role's trust policy."""
    role = doc["resource"]["aws_iam_role"][_logical(doc, "aws_iam_role", name=role_name)]
    document = _document(doc, role["assume_role_policy"])
    return {
        (action, principal["type"], tuple(principal["identifiers"]))
        for statement in document["statement"]
        for action in statement["actions"]
        for principal in statement["principals"]
    }


@pytest.mark.parametrize("env", ALL_ENVIRONMENTS)
def test_the_stack_has_exactly_two_roles_and_attaches_no_managed_policy(synthesized, env):
    doc = synthesized[env]
    assert sorted(r["name"] for r in doc["resource"]["aws_iam_role"].values()) == [
        f"cora-{env}-web-access",
        f"cora-{env}-web-instance",
    ]
    for role in doc["resource"]["aws_iam_role"].values():
        assert "managed_policy_arns" not in role
        assert "inline_policy" not in role
    for kind in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
        assert kind not in doc["resource"]
    # The two delivery policies, for a team's own CI roles (tests/stacks/test_delivery_policies.py).
    assert sorted(p["name"] for p in doc["resource"]["aws_iam_policy"].values()) == [
        f"cora-{env}-deploy-app",
        f"cora-{env}-infra-plan",
    ]


@pytest.mark.parametrize("env", ALL_ENVIRONMENTS)
def test_access_role_pulls_from_its_one_repository(synthesized, env):
    doc = synthesized[env]
    repository = _logical(doc, "aws_ecr_repository", name=f"cora-{env}-web")
    assert role_trust(doc, f"cora-{env}-web-access") == {
        ("sts:AssumeRole", "Service", ("build.apprunner.amazonaws.com",))
    }
    assert role_permissions(doc, f"cora-{env}-web-access") == {
        (
            "Pull",
            "Allow",
            (
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:DescribeImages",
                "ecr:GetDownloadUrlForLayer",
            ),
            (_ref("aws_ecr_repository", repository, "arn"),),
        ),
        # AWS accepts the registry login only on "*"; it reads no image.
        ("RegistryLogin", "Allow", ("ecr:GetAuthorizationToken",), ("*",)),
    }


@pytest.mark.parametrize("env", ALL_ENVIRONMENTS)
def test_instance_role_reads_exactly_its_secrets(synthesized, configs, env):
    doc = synthesized[env]
    secrets = tuple(
        sorted(
            _ref("aws_secretsmanager_secret", logical, "arn")
            for logical, secret in doc["resource"]["aws_secretsmanager_secret"].items()
            if secret["name"].startswith(f"cora/{env}/")
        )
    )
    assert len(secrets) == 3
    expected: set[Statement] = {("ReadSecrets", "Allow", ("secretsmanager:GetSecretValue",), secrets)}
    key = configs[env].encryption.kms_key_arn
    if key:  # a customer key encrypts the secrets: decrypt with that key and no other
        expected.add(("DecryptSecrets", "Allow", ("kms:Decrypt",), (key,)))
    assert role_trust(doc, f"cora-{env}-web-instance") == {
        ("sts:AssumeRole", "Service", ("tasks.apprunner.amazonaws.com",))
    }
    assert role_permissions(doc, f"cora-{env}-web-instance") == expected


@pytest.mark.parametrize("env", ["stg", "prd"])
def test_the_instance_role_decrypts_only_through_secrets_manager_of_its_region(synthesized, configs, env):
    doc = synthesized[env]
    logical = _logical(doc, "aws_iam_role", name=f"cora-{env}-web-instance")
    (policy,) = [
        p
        for p in doc["resource"]["aws_iam_role_policy"].values()
        if p["role"] == _ref("aws_iam_role", logical, "name")
    ]
    (decrypt,) = [
        s for s in _document(doc, policy["policy"])["statement"] if s.get("sid") == "DecryptSecrets"
    ]
    assert decrypt["condition"] == [
        {
            "test": "StringEquals",
            "variable": "kms:ViaService",
            "values": [f"secretsmanager.{configs[env].region}.amazonaws.com"],
        }
    ]


def test_prd_and_stg_decrypt_with_their_own_key_dev_needs_none(synthesized, configs):
    assert configs["prd"].encryption.kms_key_arn != configs["stg"].encryption.kms_key_arn
    for env in ("prd", "stg"):
        statements = role_permissions(synthesized[env], f"cora-{env}-web-instance")
        assert any(s[2] == ("kms:Decrypt",) for s in statements)
    statements = role_permissions(synthesized["dev"], "cora-dev-web-instance")
    assert all(not action.startswith("kms:") for s in statements for action in s[2])


def expected_route_permissions(
    execution_arn: str, routes: Iterable[ApiRoute]
) -> set[tuple[str, str, str, str]]:
    """(function, principal, action, source ARN) the rule allows for these routes.

    Per function: one statement per route, scoped to its method and path, while the function has at
    most ROUTE_STATEMENTS_PER_FUNCTION routes on the API; beyond, one statement scoped to the API.
    """
    by_function: dict[str, list[ApiRoute]] = {}
    for route in routes:
        if isinstance(route.integration, LambdaIntegration):
            by_function.setdefault(route.integration.function_arn, []).append(route)
    expected = set()
    for function, own in by_function.items():
        if len(own) > ROUTE_STATEMENTS_PER_FUNCTION:
            sources = [f"{execution_arn}/*/*/*"]
        else:
            sources = [
                f"{execution_arn}/*/{'*' if r.method.value == 'ANY' else r.method.value}"
                + re.sub(r"\{[^}]+\}", "*", r.path)
                for r in own
            ]
        expected |= {(function, APIGATEWAY, "lambda:InvokeFunction", s) for s in sources}
    return expected


def api_permissions(doc: Synthesized) -> tuple[str, list[tuple[str, str, str, str]], list[dict[str, Any]]]:
    """The execution ARN reference, the API Gateway permissions, and every other Lambda permission."""
    (api,) = doc["resource"]["aws_apigatewayv2_api"]
    execution_arn = _ref("aws_apigatewayv2_api", api, "execution_arn")
    granted, others = [], []
    for permission in doc["resource"]["aws_lambda_permission"].values():
        assert permission["action"] == "lambda:InvokeFunction"
        if permission["principal"] == APIGATEWAY:
            granted.append(
                (permission["function_name"], APIGATEWAY, permission["action"], permission["source_arn"])
            )
        else:
            others.append(permission)
    return execution_arn, granted, others


@pytest.mark.parametrize("env", ALL_ENVIRONMENTS)
def test_api_gateway_may_invoke_each_function_for_its_own_route_only(synthesized, configs, env):
    doc = synthesized[env]
    execution_arn, granted, others = api_permissions(doc)
    routes = configs[env].api.routes
    # The sample functions serve at most a few routes each: every statement names one route.
    assert all(len([r for r in routes if r.integration == route.integration]) <= 2 for route in routes)
    assert len(granted) == len(set(granted))
    assert set(granted) == expected_route_permissions(execution_arn, routes)
    assert all(not source.endswith("/*/*/*") for *_, source in granted)
    rotation = configs[env].app.secret_rotation
    if rotation is None:
        assert others == []
        return
    # Secrets Manager may call the rotation function for each app secret, and nothing else.
    secrets = sorted(
        _ref("aws_secretsmanager_secret", logical, "arn")
        for logical in doc["resource"]["aws_secretsmanager_secret"]
    )
    assert {p["principal"] for p in others} == {"secretsmanager.amazonaws.com"}
    assert sorted(p["source_arn"] for p in others) == secrets
    assert {p["function_name"] for p in others} == {rotation.lambda_arn}


def test_a_function_with_many_routes_gets_one_statement_scoped_to_its_api(configs):
    """A feature module's one Lambda serving 25 routes: its resource policy would overflow otherwise."""
    feature = "arn:aws:lambda:us-east-1:111111111111:function:cora-dev-feature"
    many = [
        {
            "key": f"GET /v1/feature/{i}",
            "authorizer": "okta",
            "integration": {"type": "lambda", "function_arn": feature},
        }
        for i in range(ROUTE_STATEMENTS_PER_FUNCTION + 5)
    ]
    current = [r.model_dump(mode="json", exclude_none=True) for r in configs["dev"].api.routes]
    config = load_config("dev", CONFIG_DIR, overrides={"api.routes": current + many})
    app = cdktf.Testing.app()
    stack = CoraAppStack(app, config, backend=LocalBackendConfig(path="terraform.dev.tfstate"))
    doc = json.loads(cdktf.Testing.synth(stack))
    execution_arn, granted, _ = api_permissions(doc)
    assert set(granted) == expected_route_permissions(execution_arn, config.api.routes)
    assert [g for g in granted if g[0] == feature] == [
        (feature, APIGATEWAY, "lambda:InvokeFunction", f"{execution_arn}/*/*/*")
    ]
    # The sample's own function keeps one statement per route.
    assert len([g for g in granted if g[0] != feature]) == 2
