"""SecretRotation: the rotation hook's resources, its schedules and AWS's limits on them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from constructs_lib import Secret, SecretProps, SecretRotation
from tests.conftest import only, resources
from tests.constructs.test_secrets import app_secrets, arn_refs

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
