"""The small IAM evaluator the deploy tests rely on, against AWS's documented evaluation rules
("Policy evaluation logic", "IAM JSON policy elements: Condition operators") and the cases moto's
evaluator gets wrong; and the mapping of recorded calls to the IAM requests AWS authorises."""

from __future__ import annotations

import pytest

from devtools.aws_calls import Call, authorisations
from devtools.iam_policy import Request, evaluate, explain

ROLE = "arn:aws:iam::123456789012:role/cora-dev-web-access"


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action, resource, **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_nothing_applies_is_an_implicit_deny():
    assert evaluate(
        [_doc(_allow("s3:GetObject", "arn:aws:s3:::b/k"))], Request("s3:PutObject", "arn:aws:s3:::b/k")
    ) == ("implicit-deny")


def test_an_explicit_deny_wins_over_any_allow_in_any_document():
    allow = _doc(_allow("secretsmanager:*", "*"))
    deny = _doc({"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    request = Request("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:1:secret:x")
    assert evaluate([allow, deny], request) == "explicit-deny"
    assert evaluate([allow], request) == "allow"


def test_actions_ignore_case_resources_do_not():
    document = _doc(_allow("ECR:describeimages", "arn:aws:ecr:us-east-1:1:repository/web"))
    assert (
        evaluate([document], Request("ecr:DescribeImages", "arn:aws:ecr:us-east-1:1:repository/web"))
        == "allow"
    )
    assert (
        evaluate([document], Request("ecr:DescribeImages", "arn:aws:ecr:us-east-1:1:repository/WEB"))
        != "allow"
    )


def test_wildcards_are_star_and_question_mark_and_dots_are_literal():
    document = _doc(_allow("ssm:GetParameter?", "arn:aws:ssm:us-east-1:1:parameter/cora/dev/*"))
    assert (
        evaluate([document], Request("ssm:GetParameters", "arn:aws:ssm:us-east-1:1:parameter/cora/dev/A/B"))
        == "allow"
    )
    # The path itself is not under "/cora/dev/*" (GetParametersByPath is authorised on it).
    assert (
        evaluate([document], Request("ssm:GetParameters", "arn:aws:ssm:us-east-1:1:parameter/cora/dev"))
        != "allow"
    )
    dotted = _doc(_allow("s3:GetObject", "arn:aws:s3:::a.b/k"))
    assert evaluate([dotted], Request("s3:GetObject", "arn:aws:s3:::aXb/k")) == "implicit-deny"


def test_a_failed_condition_makes_an_allow_not_apply_it_is_no_deny():
    document = _doc(
        _allow(
            "iam:PassRole",
            ROLE,
            Condition={"StringEquals": {"iam:PassedToService": "apprunner.amazonaws.com"}},
        )
    )
    assert evaluate(
        [document], Request("iam:PassRole", ROLE, {"iam:PassedToService": "apprunner.amazonaws.com"})
    ) == ("allow")
    assert evaluate(
        [document], Request("iam:PassRole", ROLE, {"iam:PassedToService": "ec2.amazonaws.com"})
    ) == ("implicit-deny")
    # A condition on a key the request does not carry does not hold.
    assert evaluate([document], Request("iam:PassRole", ROLE)) == "implicit-deny"


def test_negated_operators_and_if_exists_hold_for_a_missing_key():
    deny = _doc(
        {
            "Effect": "Deny",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
        }
    )
    key = "arn:aws:kms:us-east-1:1:key/k"
    assert evaluate([deny], Request("kms:Decrypt", key)) == "explicit-deny"
    assert evaluate(
        [deny], Request("kms:Decrypt", key, {"kms:ViaService": "s3.us-east-1.amazonaws.com"})
    ) == ("implicit-deny")
    allow = _doc(_allow("kms:Decrypt", "*", Condition={"StringEqualsIfExists": {"kms:ViaService": "x"}}))
    assert evaluate([allow], Request("kms:Decrypt", key)) == "allow"


def test_not_resource_and_not_action():
    key = "arn:aws:kms:us-east-1:1:key/state"
    deny = _doc({"Effect": "Deny", "Action": "kms:Decrypt", "NotResource": [key]})
    assert evaluate([deny], Request("kms:Decrypt", key.replace("state", "other"))) == "explicit-deny"
    assert evaluate([deny], Request("kms:Decrypt", key)) == "implicit-deny"
    allow = _doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate([allow], Request("s3:GetObject", "arn:aws:s3:::b/k")) == "allow"
    assert evaluate([allow], Request("iam:PassRole", ROLE)) == "implicit-deny"


def test_like_operators_and_the_deciding_statement():
    document = _doc(
        {
            "Sid": "Arns",
            **_allow("sts:AssumeRole", "*", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:*:*:1:*"}}),
        }
    )
    request = Request("sts:AssumeRole", "*", {"aws:sourcearn": "arn:aws:apprunner:us-east-1:1:service/x"})
    assert explain([document], request) == ("allow", "Arns")


def test_an_unknown_condition_operator_is_refused_not_guessed():
    document = _doc(_allow("s3:GetObject", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    with pytest.raises(ValueError, match="'IpAddress' is not supported"):
        evaluate([document], Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:SourceIp": "10.1.1.1"}))


# -- recorded calls → IAM requests ----------------------------------------------------------------------
def test_calls_map_to_the_resources_iam_authorises():
    arn = "arn:aws:apprunner:us-east-1:123456789012:service/cora-dev-web/abc"
    update = Call(
        "apprunner",
        "us-east-1",
        "UpdateService",
        {"ServiceArn": arn, "SourceConfiguration": {"AuthenticationConfiguration": {"AccessRoleArn": ROLE}}},
    )
    assert authorisations(update, account="123456789012") == [
        Request("apprunner:UpdateService", arn),
        Request("iam:PassRole", ROLE, {"iam:PassedToService": "apprunner.amazonaws.com"}),
    ]
    by_path = Call("ssm", "us-east-1", "GetParametersByPath", {"Path": "/cora/dev"})
    assert authorisations(by_path, account="1") == [
        Request("ssm:GetParametersByPath", "arn:aws:ssm:us-east-1:1:parameter/cora/dev")
    ]
    lock = Call("s3", "us-east-1", "PutObject", {"Bucket": "b", "Key": "k.tflock", "IfNoneMatch": "*"})
    assert authorisations(lock, account="1") == [Request("s3:PutObject", "arn:aws:s3:::b/k.tflock")]


def test_an_unmapped_call_is_an_error_not_a_pass():
    with pytest.raises(KeyError, match="no IAM mapping for ecs:DeleteService"):
        authorisations(Call("ecs", "us-east-1", "DeleteService", {}), account="1")
    with pytest.raises(KeyError, match="pass the ARN"):
        authorisations(
            Call("secretsmanager", "us-east-1", "DescribeSecret", {"SecretId": "cora/dev/X"}), account="1"
        )
