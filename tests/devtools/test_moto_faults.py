"""devtools.moto_faults: moto refuses what AWS refuses, once installed (and the emulators install it)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from devtools import moto_faults
from devtools.emulators import running

REGION = "us-east-1"
EXECUTION_ARN = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"


@pytest.fixture
def faults() -> Iterator[None]:
    was = moto_faults.installed()
    moto_faults.install()
    yield
    if not was:
        moto_faults.uninstall()


@pytest.fixture
def no_faults() -> Iterator[None]:
    was = moto_faults.installed()
    moto_faults.uninstall()
    yield
    if was:
        moto_faults.install()


@pytest.fixture
def aws() -> Iterator[Any]:
    with mock_aws():
        yield lambda service: boto3.client(
            service, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
        )


def api_with_route(apigw: Any) -> tuple[str, str, str]:
    """An HTTP API with one route targeting one integration: (api id, integration id, route id)."""
    api_id = apigw.create_api(Name="faults", ProtocolType="HTTP")["ApiId"]
    integration_id = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri="https://a.example.com",
        IntegrationMethod="ANY",
    )["IntegrationId"]
    route_id = apigw.create_route(ApiId=api_id, RouteKey="GET /x", Target=f"integrations/{integration_id}")[
        "RouteId"
    ]
    return api_id, integration_id, route_id


def function(aws: Any) -> str:
    role = aws("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    created = aws("lambda").create_function(
        FunctionName="features", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": package.getvalue()},
    )  # fmt: skip
    return str(created["FunctionArn"])


def add_route_permission(aws: Any, index: int) -> None:
    aws("lambda").add_permission(
        FunctionName="features",
        StatementId=f"terraform-{index:026d}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"{EXECUTION_ARN}/*/GET/v1/module-{index:02d}/items/*/attachments",
    )


def statements(aws: Any) -> list[dict[str, Any]]:
    policy: dict[str, Any] = json.loads(aws("lambda").get_policy(FunctionName="features")["Policy"])
    return list(policy["Statement"])


# -- DeleteIntegration ----------------------------------------------------------------------------------


def test_plain_moto_deletes_an_integration_a_route_still_targets(no_faults, aws):
    apigw = aws("apigatewayv2")
    api_id, integration_id, _ = api_with_route(apigw)
    apigw.delete_integration(ApiId=api_id, IntegrationId=integration_id)  # AWS refuses this
    assert apigw.get_integrations(ApiId=api_id)["Items"] == []


def test_deleting_an_integration_a_route_targets_is_a_conflict(faults, aws):
    apigw = aws("apigatewayv2")
    api_id, integration_id, route_id = api_with_route(apigw)
    with pytest.raises(ClientError) as err:
        apigw.delete_integration(ApiId=api_id, IntegrationId=integration_id)
    assert err.value.response["Error"]["Code"] == "ConflictException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert err.value.response["Error"]["Message"] == (
        f"Cannot delete Integration because it is referenced by the following Routes with Ids: [{route_id}]"
    )
    assert [i["IntegrationId"] for i in apigw.get_integrations(ApiId=api_id)["Items"]] == [integration_id]


def test_once_no_route_targets_it_the_integration_is_deleted(faults, aws):
    apigw = aws("apigatewayv2")
    api_id, old, route_id = api_with_route(apigw)
    new = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri="https://b.example.com",
        IntegrationMethod="ANY",
    )["IntegrationId"]
    apigw.update_route(ApiId=api_id, RouteId=route_id, Target=f"integrations/{new}")
    apigw.delete_integration(ApiId=api_id, IntegrationId=old)
    assert [i["IntegrationId"] for i in apigw.get_integrations(ApiId=api_id)["Items"]] == [new]


# -- AddPermission --------------------------------------------------------------------------------------


def test_plain_moto_lets_a_resource_policy_grow_past_20_kb(no_faults, aws):
    function(aws)
    for index in range(100):
        add_route_permission(aws, index)
    assert moto_faults.policy_size(statements(aws)) > moto_faults.POLICY_SIZE_LIMIT


def test_a_permission_that_would_pass_20480_bytes_is_refused_and_the_policy_kept(faults, aws):
    function(aws)
    index = 0
    while index < 200:
        try:
            add_route_permission(aws, index)
        except ClientError as refused:
            error = refused.response
            break
        index += 1
    else:
        pytest.fail("200 permissions were accepted")
    kept = statements(aws)
    assert 50 < len(kept) == index < 80  # around 60 routes, as on AWS
    assert moto_faults.policy_size(kept) <= moto_faults.POLICY_SIZE_LIMIT
    assert error["Error"]["Code"] == "PolicyLengthExceededException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    size = int(error["Error"]["Message"].split("(")[1].split(")")[0])
    assert size > moto_faults.POLICY_SIZE_LIMIT
    assert error["Error"]["Message"] == f"The final policy size ({size}) is bigger than the limit (20480)."
    # The refused statement is not stored, and a smaller policy change still works.
    aws("lambda").remove_permission(FunctionName="features", StatementId=kept[-1]["Sid"])
    add_route_permission(aws, index)
    assert len(statements(aws)) == index


def test_install_is_idempotent_and_uninstall_restores_moto(no_faults):
    from moto.apigatewayv2.models import ApiGatewayV2Backend

    original = ApiGatewayV2Backend.delete_integration
    moto_faults.install()
    moto_faults.install()
    assert moto_faults.installed()
    assert ApiGatewayV2Backend.delete_integration is not original
    moto_faults.uninstall()
    assert ApiGatewayV2Backend.delete_integration is original
    assert not moto_faults.installed()


def test_the_emulators_refuse_like_aws():
    with running(apprunner_ready_delay=0.1) as emulators:
        assert moto_faults.installed()
        apigw = boto3.client(
            "apigatewayv2",
            endpoint_url=emulators.moto_url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        api_id, integration_id, _ = api_with_route(apigw)
        with pytest.raises(ClientError, match="ConflictException"):
            apigw.delete_integration(ApiId=api_id, IntegrationId=integration_id)
