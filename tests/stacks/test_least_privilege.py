"""Least privilege, read from the synthesized JSON: each role's exact trust, actions and resources.

Every policy of a role is resolved to its statements (inline role policies → policy documents), so
a widened action list, a new resource or a stray managed policy fails here, in every environment.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ALL_ENVIRONMENTS, Synthesized, data_sources

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
def test_the_stack_has_exactly_two_roles_and_no_managed_policies(synthesized, env):
    doc = synthesized[env]
    assert sorted(r["name"] for r in doc["resource"]["aws_iam_role"].values()) == [
        f"cora-{env}-web-access",
        f"cora-{env}-web-instance",
    ]
    for role in doc["resource"]["aws_iam_role"].values():
        assert "managed_policy_arns" not in role
        assert "inline_policy" not in role
    for kind in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_policy"):
        assert kind not in doc["resource"]


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


def test_prd_and_stg_decrypt_with_their_own_key_dev_needs_none(synthesized, configs):
    assert configs["prd"].encryption.kms_key_arn != configs["stg"].encryption.kms_key_arn
    for env in ("prd", "stg"):
        statements = role_permissions(synthesized[env], f"cora-{env}-web-instance")
        assert any(s[2] == ("kms:Decrypt",) for s in statements)
    statements = role_permissions(synthesized["dev"], "cora-dev-web-instance")
    assert all(not action.startswith("kms:") for s in statements for action in s[2])


@pytest.mark.parametrize("env", ALL_ENVIRONMENTS)
def test_api_gateway_may_invoke_each_function_for_its_own_route_only(synthesized, configs, env):
    doc = synthesized[env]
    (api,) = doc["resource"]["aws_apigatewayv2_api"]
    execution_arn = _ref("aws_apigatewayv2_api", api, "execution_arn")
    by_principal: dict[str, list[dict[str, Any]]] = {}
    for permission in doc["resource"]["aws_lambda_permission"].values():
        assert permission["action"] == "lambda:InvokeFunction"
        by_principal.setdefault(permission["principal"], []).append(permission)
    lambda_routes = [r for r in configs[env].api.routes if r.integration.type == "lambda"]
    assert sorted(p["source_arn"] for p in by_principal.pop("apigateway.amazonaws.com")) == sorted(
        f"{execution_arn}/*/{r.method.value}{r.path}" for r in lambda_routes
    )
    rotation = configs[env].app.secret_rotation
    if rotation is None:
        assert by_principal == {}
        return
    # Secrets Manager may call the rotation function for each app secret, and nothing else.
    secrets = sorted(
        _ref("aws_secretsmanager_secret", logical, "arn")
        for logical in doc["resource"]["aws_secretsmanager_secret"]
    )
    permissions = by_principal.pop("secretsmanager.amazonaws.com")
    assert sorted(p["source_arn"] for p in permissions) == secrets
    assert {p["function_name"] for p in permissions} == {rotation.lambda_arn}
    assert by_principal == {}
