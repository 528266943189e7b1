"""PublishedOutputs: plain String parameters under /<project>/<env>/, names checked, never secrets;
and the stacks publish what the deploy tool reads."""

from __future__ import annotations

import json

import cdktf
import pytest
from pydantic import ValidationError

from constructs_lib import LocalBackendConfig, PublishedOutputs, PublishedOutputsProps, parameter_prefix
from constructs_lib.stacks import CoraAppStack, load_config
from tests.conftest import CONFIG_DIR, resources


def test_one_string_parameter_per_value_under_the_prefix(synth):
    props = PublishedOutputsProps(
        prefix=parameter_prefix("cora", "dev"),
        values={"APP_URL": "https://app.example.com", "API_URL": "https://api.example.com"},
    )
    doc = synth(lambda s: PublishedOutputs(s, "published-outputs", props=props))
    params = {p["name"]: p for p in resources(doc, "aws_ssm_parameter")}
    assert sorted(params) == ["/cora/dev/API_URL", "/cora/dev/APP_URL"]
    assert {p["type"] for p in params.values()} == {"String"}
    assert params["/cora/dev/APP_URL"]["value"] == "https://app.example.com"
    # The construct ids (part of the resource addresses) are the names in kebab case.
    keys = sorted(doc["resource"]["aws_ssm_parameter"])
    assert [key.rsplit("_", 1)[0] for key in keys] == [
        "published-outputs_api-url",
        "published-outputs_app-url",
    ]


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("cora/dev", "is not an SSM path"),
        ("/cora//dev", "is not an SSM path"),
        ("/cora/d ev", "is not an SSM path"),
        ("/aws-cora/dev", "reserves names whose first segment starts with 'aws' or 'ssm'"),
    ],
)
def test_bad_prefix_is_refused_naming_it(prefix, message):
    with pytest.raises(ValidationError, match=message) as caught:
        PublishedOutputsProps(prefix=prefix, values={"APP_URL": "x"})
    assert "prefix" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("app_url", "is not an output name: UPPER_SNAKE"),
        ("APP-URL", "is not an output name"),
        ("DB_PASSWORD", "looks like a secret"),
        ("API_KEY", "looks like a secret"),
    ],
)
def test_bad_or_secret_like_names_are_refused(name, message):
    with pytest.raises(ValidationError, match=message) as caught:
        PublishedOutputsProps(prefix="/cora/dev", values={name: "x"})
    assert "values" in str(caught.value)


def test_nothing_to_publish_is_refused():
    with pytest.raises(ValidationError, match="publish at least one value"):
        PublishedOutputsProps(prefix="/cora/dev", values={})


def _published(doc) -> dict[str, str]:
    return {p["name"]: p["value"] for p in resources(doc, "aws_ssm_parameter")}


def test_dev_publishes_the_repository_service_urls_lock_and_policies(synthesized):
    values = _published(synthesized["dev"])
    assert sorted(values) == [
        "/cora/dev/API_URL",
        "/cora/dev/APP_URL",
        "/cora/dev/DEPLOY_APP_POLICY_ARN",
        "/cora/dev/ECR_REPOSITORY_URL",
        "/cora/dev/INFRA_PLAN_POLICY_ARN",
        "/cora/dev/SERVICE_ARN",
        "/cora/dev/STATE_LOCK",
    ]
    # Terraform's own lock file of dev's state: the deploy tool takes the same object.
    assert (
        values["/cora/dev/STATE_LOCK"]
        == "s3://cora-tfstate-111111111111-us-east-1/cora/dev/terraform.tfstate.tflock"
    )
    assert values["/cora/dev/DEPLOY_APP_POLICY_ARN"].startswith(
        "${aws_iam_policy.delivery-policies_deploy-app"
    )
    assert values["/cora/dev/INFRA_PLAN_POLICY_ARN"].startswith(
        "${aws_iam_policy.delivery-policies_infra-plan"
    )
    # dev has no [domain]: the URLs are App Runner's and API Gateway's own.
    assert "aws_apprunner_service" in values["/cora/dev/SERVICE_ARN"]
    assert values["/cora/dev/APP_URL"].startswith("https://${aws_apprunner_service.")
    assert "aws_ecr_repository" in values["/cora/dev/ECR_REPOSITORY_URL"]


def test_prd_publishes_the_domain_urls(synthesized, configs):
    values = _published(synthesized["prd"])
    assert values["/cora/prd/APP_URL"] == configs["prd"].app_url
    assert values["/cora/prd/API_URL"] == configs["prd"].api_url


def test_first_phase_publishes_no_service_arn():
    config = load_config("dev", CONFIG_DIR, overrides={"app.create_service": False})
    doc = json.loads(
        cdktf.Testing.synth(CoraAppStack(cdktf.Testing.app(), config, backend=LocalBackendConfig()))
    )
    assert sorted(_published(doc)) == [
        "/cora/dev/API_URL",
        "/cora/dev/DEPLOY_APP_POLICY_ARN",
        "/cora/dev/ECR_REPOSITORY_URL",
        "/cora/dev/INFRA_PLAN_POLICY_ARN",
        "/cora/dev/STATE_LOCK",
    ]
