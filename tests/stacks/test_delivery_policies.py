"""The delivery policies in the synthesized stacks: ``<project>-<env>-deploy-app`` grants exactly what the
deploy tool calls (the deploy tests check every recorded call against the same statements), and
``<project>-<env>-infra-plan`` lets a pull request's plan read state but never a secret value, whatever
else (AWS's ``ReadOnlyAccess``) the plan role holds. Read as IAM would evaluate them."""

from __future__ import annotations

import json
from typing import Any

import cdktf
import pytest

from constructs_lib import LocalBackendConfig
from constructs_lib.stacks import CoraAppStack, load_config
from devtools.iam_policy import Request, evaluate
from tests.conftest import ALL_ENVIRONMENTS, CONFIG_DIR, Synthesized, data_sources

STATE_KEY_ARN = "arn:aws:kms:us-east-1:333333333333:key/0f6a1c2e-9d8b-4c7a-8e5f-3b2a1c0d9e8f"
# What AWS's ReadOnlyAccess gives a plan role, in the parts that matter here.
READ_ONLY_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "secretsmanager:Get*",
                "secretsmanager:Describe*",
                "kms:Decrypt",
                "s3:Get*",
                "ssm:Get*",
            ],
            "Resource": "*",
        }
    ],
}


def _policy(doc: Synthesized, name: str) -> dict[str, Any]:
    """The named ``aws_iam_policy``'s document, as IAM's JSON (from its policy-document data source)."""
    (policy,) = [p for p in doc["resource"]["aws_iam_policy"].values() if p["name"] == name]
    reference = policy["policy"]
    logical = reference.removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
    statements = []
    for block in data_sources(doc, "aws_iam_policy_document")[logical]["statement"]:
        statement: dict[str, Any] = {
            "Sid": block.get("sid"),
            "Effect": block["effect"],
            "Action": block["actions"],
        }
        if "resources" in block:
            statement["Resource"] = block["resources"]
        if "not_resources" in block:
            statement["NotResource"] = block["not_resources"]
        for condition in block.get("condition", []):
            statement.setdefault("Condition", {}).setdefault(condition["test"], {})[condition["variable"]] = (
                condition["values"]
            )
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def _by_sid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


@pytest.mark.parametrize("env", ALL_ENVIRONMENTS)
def test_deploy_app_grants_exactly_what_the_deploy_tool_and_workflow_call(synthesized, configs, env):
    doc = synthesized[env]
    region = configs[env].region
    statements = _by_sid(_policy(doc, f"cora-{env}-deploy-app"))
    account = "${data.aws_caller_identity.account.account_id}"
    assert sorted(statements) == [
        "CheckSecretsHaveValues",
        "DeployTheService",
        "EnvironmentLock",
        "PassTheAccessRole",
        "PushAndInspectImages",
        "ReadDeployEvents",
        "ReadPublishedOutputs",
        "RegistryLogin",
    ]
    assert all(s["Effect"] == "Allow" for s in statements.values())
    # GetParametersByPath is authorised on the path itself, not only on what is under it.
    assert statements["ReadPublishedOutputs"]["Resource"] == [
        f"arn:aws:ssm:{region}:{account}:parameter/cora/{env}",
        f"arn:aws:ssm:{region}:{account}:parameter/cora/{env}/*",
    ]
    assert "ecr:DescribeImages" in statements["PushAndInspectImages"]["Action"]
    assert statements["PushAndInspectImages"]["Resource"][0].startswith("${aws_ecr_repository.")
    assert statements["DeployTheService"]["Resource"] == [
        f"arn:aws:apprunner:{region}:{account}:service/cora-{env}-web/*"
    ]
    # UpdateService with AccessRoleArn passes the access role: to App Runner only, that role only.
    assert statements["PassTheAccessRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": ["apprunner.amazonaws.com"]}
    }
    (access,) = [
        k for k, r in doc["resource"]["aws_iam_role"].items() if r["name"] == f"cora-{env}-web-access"
    ]
    assert statements["PassTheAccessRole"]["Resource"] == [f"${{aws_iam_role.{access}.arn}}"]
    assert statements["CheckSecretsHaveValues"]["Action"] == ["secretsmanager:DescribeSecret"]
    assert len(statements["CheckSecretsHaveValues"]["Resource"]) == 3
    bucket = configs[env].s3_backend.bucket
    assert statements["EnvironmentLock"]["Resource"] == [
        f"arn:aws:s3:::{bucket}/cora/{env}/terraform.tfstate.tflock"
    ]
    actions = {a for s in statements.values() for a in s["Action"]}
    assert not any(a.startswith("secretsmanager:Get") or a == "kms:Decrypt" for a in actions)


@pytest.mark.parametrize("env", ALL_ENVIRONMENTS)
def test_a_plan_role_reads_state_but_never_a_secret_value(synthesized, configs, env):
    doc = synthesized[env]
    plan = _policy(doc, f"cora-{env}-infra-plan")
    documents = [READ_ONLY_ACCESS, plan]
    bucket = configs[env].s3_backend.bucket
    secret = f"arn:aws:secretsmanager:us-east-1:111111111111:secret:cora/{env}/NEXTAUTH_SECRET-AbCdEf"
    assert evaluate(documents, Request("secretsmanager:GetSecretValue", secret)) == "explicit-deny"
    assert evaluate(documents, Request("secretsmanager:BatchGetSecretValue", "*")) == "explicit-deny"
    key = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert evaluate(documents, Request("kms:Decrypt", key)) == "explicit-deny"
    assert (
        evaluate([plan], Request("s3:GetObject", f"arn:aws:s3:::{bucket}/cora/{env}/terraform.tfstate"))
        == "allow"
    )
    lock = f"arn:aws:s3:::{bucket}/cora/{env}/terraform.tfstate.tflock"
    for action in ("s3:PutObject", "s3:GetObject", "s3:DeleteObject"):
        assert evaluate([plan], Request(action, lock)) == "allow"
    assert (
        evaluate([plan], Request("s3:PutObject", f"arn:aws:s3:::{bucket}/cora/{env}/terraform.tfstate"))
        != "allow"
    )


def test_with_a_state_key_a_plan_decrypts_with_it_through_s3_only():
    config = load_config("prd", CONFIG_DIR, overrides={"state.kms_key_id": STATE_KEY_ARN})
    doc = json.loads(
        cdktf.Testing.synth(CoraAppStack(cdktf.Testing.app(), config, backend=LocalBackendConfig()))
    )
    plan = _policy(doc, "cora-prd-infra-plan")
    documents = [READ_ONLY_ACCESS, plan]
    via_s3 = {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    assert evaluate(documents, Request("kms:Decrypt", STATE_KEY_ARN, via_s3)) == "allow"
    assert evaluate([plan], Request("kms:GenerateDataKey", STATE_KEY_ARN, via_s3)) == "allow"
    via_ssm = {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}
    assert evaluate(documents, Request("kms:Decrypt", STATE_KEY_ARN, via_ssm)) == "explicit-deny"
    other = STATE_KEY_ARN.replace("0f6a", "aaaa")
    assert evaluate(documents, Request("kms:Decrypt", other, via_s3)) == "explicit-deny"
    # The deploy tool writes the lock object into the same bucket: it may use the key, through S3.
    deploy = _by_sid(_policy(doc, "cora-prd-deploy-app"))
    assert deploy["EnvironmentLockKey"]["Resource"] == [STATE_KEY_ARN]
    assert deploy["EnvironmentLockKey"]["Condition"] == {
        "StringEquals": {"kms:ViaService": ["s3.us-east-1.amazonaws.com"]}
    }


def test_both_policy_arns_are_outputs(synthesized):
    outputs = synthesized["prd"]["output"]
    assert outputs["deploy_app_policy_arn"]["value"].startswith(
        "${aws_iam_policy.delivery-policies_deploy-app"
    )
    assert outputs["infra_plan_policy_arn"]["value"].startswith(
        "${aws_iam_policy.delivery-policies_infra-plan"
    )
