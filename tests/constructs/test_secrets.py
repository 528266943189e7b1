"""AppSecrets / Secret: created empty, named under a prefix, read grants scoped to exact ARNs."""

from __future__ import annotations

import json
import re
from typing import Any

import cdktf
import pytest
from cdktf import TerraformStack
from pydantic import ValidationError

from constructs_lib import AppSecrets, AppSecretsProps, Secret, SecretProps, _aws
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
