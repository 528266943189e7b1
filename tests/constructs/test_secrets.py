"""AppSecrets / Secret: created empty, named under a prefix, read grants scoped to exact ARNs."""

from __future__ import annotations

import json
import re
from typing import Any

import cdktf
import pytest
from cdktf import TerraformStack
from pydantic import ValidationError

from constructs_lib import AppSecrets, AppSecretsProps, Secret, SecretProps, SecretRotation, _aws
from tests.conftest import Synthesized, data_sources, only, resources

KMS_KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
NAMES = ("NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET", "DATABASE_URL")


def app_secrets(stack: TerraformStack, **overrides: Any) -> AppSecrets:
    values = {"prefix": "cora/dev", "names": NAMES, **overrides}
    return AppSecrets(stack, "secrets", props=AppSecretsProps(**values))


def arn_refs(doc: Synthesized) -> dict[str, str]:
    """Secret name → Terraform reference to its ARN."""
    return {
        secret["name"]: f"${{aws_secretsmanager_secret.{id_}.arn}}"
        for id_, secret in doc["resource"]["aws_secretsmanager_secret"].items()
    }


def statements_of(doc: Synthesized, policy: dict[str, Any]) -> list[dict[str, Any]]:
    doc_id = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(.+)\.json\}", policy["policy"])
    assert doc_id, policy["policy"]
    return list(data_sources(doc, "aws_iam_policy_document")[doc_id[1]]["statement"])


def readable(doc: Synthesized) -> list[str]:
    """Every resource any policy lets its role call GetSecretValue on."""
    return sorted(
        resource
        for policy in resources(doc, "aws_iam_role_policy")
        for statement in statements_of(doc, policy)
        if "secretsmanager:GetSecretValue" in statement["actions"]
        for resource in statement["resources"]
    )


def role(stack: TerraformStack) -> _aws.IamRole:
    return _aws.IamRole(stack, "role", name="cora-dev-app", assume_role_policy="{}")


# -- resources ----------------------------------------------------------------------------------------


def test_secrets_are_created_without_any_value(synth):
    doc = synth(app_secrets)
    assert len(resources(doc, "aws_secretsmanager_secret")) == 3
    assert "aws_secretsmanager_secret_version" not in doc["resource"]
    assert "secret_string" not in json.dumps(doc)
    assert "secret_binary" not in json.dumps(doc)


def test_secret_names_are_prefix_slash_env_name(synth):
    doc = synth(app_secrets)
    names = sorted(s["name"] for s in resources(doc, "aws_secretsmanager_secret"))
    assert names == ["cora/dev/DATABASE_URL", "cora/dev/NEXTAUTH_SECRET", "cora/dev/OKTA_CLIENT_SECRET"]


def test_recovery_window_defaults_to_30_days_and_managed_key(synth):
    doc = synth(app_secrets)
    for secret in resources(doc, "aws_secretsmanager_secret"):
        assert secret["recovery_window_in_days"] == 30
        assert "kms_key_id" not in secret


def test_recovery_window_key_and_tags_are_configurable(synth):
    doc = synth(
        lambda s: app_secrets(s, recovery_window_days=0, kms_key_arn=KMS_KEY, tags={"project": "cora"})
    )
    for secret in resources(doc, "aws_secretsmanager_secret"):
        assert secret["recovery_window_in_days"] == 0
        assert secret["kms_key_id"] == KMS_KEY
        assert secret["tags"] == {"project": "cora"}


def test_by_env_name_and_lookup_return_the_secrets():
    secrets = app_secrets(TerraformStack(cdktf.Testing.app(), "lookup"))
    assert list(secrets.by_env_name) == list(NAMES)
    assert secrets.secret("DATABASE_URL").name == "cora/dev/DATABASE_URL"
    assert secrets.by_env_name["NEXTAUTH_SECRET"] is secrets.secret("NEXTAUTH_SECRET")


def test_single_secret_is_created_empty_with_its_settings(synth):
    props = SecretProps(name="cora/dev/API_SECRET", description="third-party API", recovery_window_days=7)
    doc = synth(lambda s: Secret(s, "api", props=props))
    secret = only(resources(doc, "aws_secretsmanager_secret"))
    assert secret == {
        "name": "cora/dev/API_SECRET",
        "description": "third-party API",
        "recovery_window_in_days": 7,
    }
    assert "aws_secretsmanager_secret_version" not in doc["resource"]


# -- grants -------------------------------------------------------------------------------------------


def test_grant_read_covers_exactly_all_the_secrets(synth):
    def build(stack):
        app_secrets(stack).grant_read(role(stack))

    doc = synth(build)
    policy = only(resources(doc, "aws_iam_role_policy"))
    (role_id,) = doc["resource"]["aws_iam_role"]
    assert policy["role"] == f"${{aws_iam_role.{role_id}.name}}"
    assert policy["name"] == "cora-dev-read-secrets"
    (statement,) = statements_of(doc, policy)
    assert statement["actions"] == ["secretsmanager:GetSecretValue"]
    assert sorted(statement["resources"]) == sorted(arn_refs(doc).values())


def test_grant_read_of_some_names_covers_only_those(synth):
    def build(stack):
        app_secrets(stack).grant_read(role(stack), names=["NEXTAUTH_SECRET", "DATABASE_URL"])

    doc = synth(build)
    arns = arn_refs(doc)
    assert readable(doc) == sorted([arns["cora/dev/NEXTAUTH_SECRET"], arns["cora/dev/DATABASE_URL"]])


def test_grant_read_is_idempotent(synth):
    def build(stack):
        secrets, reader = app_secrets(stack), role(stack)
        assert secrets.grant_read(reader) is secrets.grant_read(reader)

    doc = synth(build)
    assert len(resources(doc, "aws_iam_role_policy")) == 1


def test_customer_key_adds_decrypt_on_that_key_only(synth):
    def build(stack):
        app_secrets(stack, kms_key_arn=KMS_KEY).grant_read(role(stack))

    doc = synth(build)
    statements = statements_of(doc, only(resources(doc, "aws_iam_role_policy")))
    decrypt = only([s for s in statements if s["actions"] == ["kms:Decrypt"]])
    assert decrypt["resources"] == [KMS_KEY]


def test_managed_key_needs_no_decrypt_grant(synth):
    def build(stack):
        app_secrets(stack).grant_read(role(stack))

    doc = synth(build)
    statements = statements_of(doc, only(resources(doc, "aws_iam_role_policy")))
    assert not any(a.startswith("kms:") for s in statements for a in s["actions"])


def test_single_secret_grant_read_covers_only_that_secret(synth):
    def build(stack):
        Secret(stack, "other", props=SecretProps(name="cora/dev/OTHER"))
        Secret(stack, "api", props=SecretProps(name="cora/dev/API_SECRET")).grant_read(role(stack))

    doc = synth(build)
    policy = only(resources(doc, "aws_iam_role_policy"))
    assert policy["name"] == "cora-dev-API_SECRET-read-secrets"
    assert readable(doc) == [arn_refs(doc)["cora/dev/API_SECRET"]]


def test_second_grant_of_other_names_to_the_same_role_is_not_dropped(synth):
    def build(stack):
        secrets, reader = app_secrets(stack), role(stack)
        first = secrets.grant_read(reader, names=["NEXTAUTH_SECRET"])
        second = secrets.grant_read(reader, names=["DATABASE_URL"])
        assert first is not second
        assert secrets.grant_read(reader, names=["DATABASE_URL"]) is second

    doc = synth(build)
    policies = resources(doc, "aws_iam_role_policy")
    assert len(policies) == 2
    assert len({p["name"] for p in policies}) == 2, "inline policy names must be unique per role"
    refs = arn_refs(doc)
    readable_by_policy = sorted(r for p in policies for s in statements_of(doc, p) for r in s["resources"])
    assert readable_by_policy == sorted([refs["cora/dev/NEXTAUTH_SECRET"], refs["cora/dev/DATABASE_URL"]])


def test_alias_kms_arn_is_refused_because_iam_ignores_it_as_a_decrypt_resource():
    alias = "arn:aws:kms:us-east-1:111111111111:alias/cora"
    with pytest.raises(ValidationError, match="kms_key_arn") as err:
        AppSecretsProps(prefix="cora/dev", names=("API_SECRET",), kms_key_arn=alias)
    assert "alias ARNs are not accepted" in str(err.value)


# -- validation ---------------------------------------------------------------------------------------

# Both props models share the recovery window and KMS key rules.
PROPS = {
    "AppSecretsProps": lambda **kw: AppSecretsProps(prefix="cora/dev", names=NAMES, **kw),
    "SecretProps": lambda **kw: SecretProps(name="cora/dev/X", **kw),
}


@pytest.mark.parametrize("prefix", ["cora/dev/", "cora dev", "", "cora#dev", "cora/dév"])
def test_bad_prefix_is_refused(prefix):
    with pytest.raises(ValidationError, match="prefix") as err:
        AppSecretsProps(prefix=prefix, names=NAMES)
    assert f"secret prefix {prefix!r} is invalid" in str(err.value)


def test_duplicate_names_are_refused():
    with pytest.raises(ValidationError, match="names") as err:
        AppSecretsProps(prefix="cora/dev", names=("DATABASE_URL", "NEXTAUTH_SECRET", "DATABASE_URL"))
    assert "repeated: DATABASE_URL" in str(err.value)


def test_empty_names_are_refused():
    with pytest.raises(ValidationError, match="names") as err:
        AppSecretsProps(prefix="cora/dev", names=())
    assert "input_value=()" in str(err.value)


@pytest.mark.parametrize("name", ["1ABC", "A-B", "A B", "", "cora/dev"])
def test_invalid_env_names_are_refused(name):
    with pytest.raises(ValidationError, match="names") as err:
        AppSecretsProps(prefix="cora/dev", names=(name,))
    assert f"environment variable name {name!r} is invalid" in str(err.value)


def test_reserved_env_name_is_refused():
    with pytest.raises(ValidationError, match="names") as err:
        AppSecretsProps(prefix="cora/dev", names=("AWSAPPRUNNER_SECRET",))
    assert "'AWSAPPRUNNER_SECRET' is reserved" in str(err.value)


@pytest.mark.parametrize("days", [5, 31, 6, -1])
@pytest.mark.parametrize("model", ["AppSecretsProps", "SecretProps"])
def test_recovery_window_outside_0_or_7_to_30_is_refused(model, days):
    with pytest.raises(ValidationError, match="recovery_window_days") as err:
        PROPS[model](recovery_window_days=days)
    assert f"recovery window {days} days is not allowed" in str(err.value)


@pytest.mark.parametrize("days", [0, 7, 30])
def test_recovery_window_0_or_7_to_30_is_accepted(days):
    assert (
        AppSecretsProps(prefix="cora/dev", names=NAMES, recovery_window_days=days).recovery_window_days
        == days
    )


@pytest.mark.parametrize("key", ["alias/cora", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:s3:::b"])
@pytest.mark.parametrize("model", ["AppSecretsProps", "SecretProps"])
def test_non_arn_kms_key_is_refused(model, key):
    with pytest.raises(ValidationError, match="kms_key_arn") as err:
        PROPS[model](kms_key_arn=key)
    assert f"{key!r} is not a KMS key ARN" in str(err.value)


@pytest.mark.parametrize("name", ["", "has space", "cora/dev/#1", "x" * 513])
def test_invalid_secret_name_is_refused(name):
    with pytest.raises(ValidationError, match="name") as err:
        SecretProps(name=name)
    assert f"secret name {name!r} is invalid" in str(err.value)


def test_prefix_and_name_longer_than_512_characters_are_refused():
    prefix = "p" * 500
    with pytest.raises(ValidationError, match="longer than 512 characters") as err:
        AppSecretsProps(prefix=prefix, names=("NEXTAUTH_SECRET",))
    assert "NEXTAUTH_SECRET" in str(err.value)


def test_unknown_name_lookup_raises_key_error():
    secrets = app_secrets(TerraformStack(cdktf.Testing.app(), "lookup"))
    with pytest.raises(KeyError, match="no secret named 'STRIPE_SECRET'") as err:
        secrets.secret("STRIPE_SECRET")
    assert "known: NEXTAUTH_SECRET, OKTA_CLIENT_SECRET, DATABASE_URL" in str(err.value)


def test_grant_read_of_unknown_name_raises_key_error():
    stack = TerraformStack(cdktf.Testing.app(), "lookup")
    secrets = app_secrets(stack)
    with pytest.raises(KeyError, match="'STRIPE_SECRET'"):
        secrets.grant_read(role(stack), names=["STRIPE_SECRET"])


def test_unknown_prop_is_refused():
    with pytest.raises(ValidationError, match="recovery_days"):
        AppSecretsProps(prefix="cora/dev", names=NAMES, recovery_days=7)


# -- rotation hook --------------------------------------------------------------------------------------
ROTATOR = "arn:aws:lambda:us-east-1:111111111111:function:cora-dev-rotate"


def test_rotation_schedules_the_lambda_for_each_secret_and_lets_only_secrets_manager_invoke_it(synth):
    doc = synth(lambda s: app_secrets(s, rotation=SecretRotation(lambda_arn=ROTATOR, after_days=45)))
    arns = arn_refs(doc)
    rotations = resources(doc, "aws_secretsmanager_secret_rotation")
    # The secret's id is its ARN: the rotation names it by the ARN already read.
    assert sorted(r["secret_id"] for r in rotations) == sorted(arns.values())
    for rotation in rotations:
        assert rotation["rotation_lambda_arn"] == ROTATOR
        assert rotation["rotation_rules"] == {"automatically_after_days": 45}
        # Secrets are created empty: the first rotation waits for the schedule, not the creation.
        assert rotation["rotate_immediately"] is False
    permissions = resources(doc, "aws_lambda_permission")
    assert sorted(p["source_arn"] for p in permissions) == sorted(arns.values())
    assert {(p["principal"], p["action"], p["function_name"]) for p in permissions} == {
        ("secretsmanager.amazonaws.com", "lambda:InvokeFunction", ROTATOR)
    }


def test_rotation_takes_a_schedule_expression_alone(synth):
    # No after_days=None needed: TOML has no null, so a config could not say it.
    rotation = SecretRotation(lambda_arn=ROTATOR, schedule_expression="rate(10 days)")
    doc = synth(lambda s: Secret(s, "one", props=SecretProps(name="cora/dev/X", rotation=rotation)))
    assert only(resources(doc, "aws_secretsmanager_secret_rotation"))["rotation_rules"] == {
        "schedule_expression": "rate(10 days)"
    }


def test_no_rotation_by_default(synth):
    doc = synth(app_secrets)
    assert resources(doc, "aws_secretsmanager_secret_rotation") == []
    assert resources(doc, "aws_lambda_permission") == []


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"lambda_arn": "arn:aws:s3:::bucket"}, "Lambda function ARN 'arn:aws:s3:::bucket' is invalid"),
        ({"lambda_arn": ROTATOR, "after_days": 0}, "greater than or equal to 1"),
        ({"lambda_arn": ROTATOR, "after_days": 1001}, "less than or equal to 1000"),
        (
            {"lambda_arn": ROTATOR, "schedule_expression": "every day"},
            "'every day' is invalid; use 'rate(N hours)' with N >= 4, 'rate(N days)'",
        ),
        (
            {"lambda_arn": ROTATOR, "after_days": 30, "schedule_expression": "rate(1 days)"},
            "one of after_days and schedule_expression, not both",
        ),
        ({"lambda_arn": ROTATOR, "window": "3h"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_rotation_is_refused(values, fragment):
    with pytest.raises(ValidationError) as err:
        SecretRotation(**values)
    assert fragment in str(err.value)


def test_rotation_defaults_to_every_30_days(synth):
    doc = synth(
        lambda s: Secret(
            s, "one", props=SecretProps(name="cora/dev/X", rotation=SecretRotation(lambda_arn=ROTATOR))
        )
    )
    assert only(resources(doc, "aws_secretsmanager_secret_rotation"))["rotation_rules"] == {
        "automatically_after_days": 30
    }


@pytest.mark.parametrize(
    "expression",
    [
        "rate(4 hours)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(1000 days)",
        "cron(0 16 1,15 * ? *)",
        "cron(0 */4 * * ? *)",
        "cron(30 0,6,12,18 ? * MON-FRI *)",
    ],
)
def test_schedules_aws_accepts_are_accepted(expression):
    assert (
        SecretRotation(lambda_arn=ROTATOR, schedule_expression=expression).schedule_expression == expression
    )


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("rate(1 hours)", "more often than AWS allows (every 4 hours at most)"),
        ("rate(3 hours)", "more often than AWS allows"),
        ("rate(1001 days)", "longer than 1000 days"),
        ("rate(24001 hours)", "longer than 1000 days"),
        ("rate(0 days)", "is invalid"),
        ("rate(٤ hours)", "is invalid"),  # an Arabic-Indic digit is not a number here
        ("cron(0 * * * ? *)", "more often than every 4 hours"),
        ("cron(*/30 8 * * ? *)", "more often than every 4 hours"),
        ("cron(0 */2 * * ? *)", "more often than every 4 hours"),
        ("cron(0 1,3 * * ? *)", "more often than every 4 hours"),
        ("cron(0 22,1 * * ? *)", "more often than every 4 hours"),  # 22:00 then 01:00 the next day
        ("cron(0 8-17 * * ? *)", "more often than every 4 hours"),
        ("cron(0 12 * * ?)", "has 5 cron fields, not 6"),
    ],
)
def test_schedules_aws_refuses_are_refused(expression, fragment):
    with pytest.raises(ValidationError) as err:
        SecretRotation(lambda_arn=ROTATOR, schedule_expression=expression)
    assert fragment in str(err.value)
    assert repr(expression) in str(err.value)
