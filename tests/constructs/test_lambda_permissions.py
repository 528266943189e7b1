"""Lambda permissions of an API's routes: least privilege that fits a function's 20 KB resource policy.

AWS stores each ``aws_lambda_permission`` as one statement of the function's resource policy, which
may hold at most 20,480 bytes. One statement per route overflows it around 60 routes, so a function
with more than ``ROUTE_STATEMENTS_PER_FUNCTION`` routes on one API gets one statement scoped to that
API (``<execution_arn>/*/*/*``, as AWS CDK's ``scopePermissionToRoute: false``).
"""

from __future__ import annotations

import json
import random
from typing import Any

from cdktf import TerraformVariable

from constructs_lib.api.lambda_permissions import POLICY_SIZE_LIMIT, ROUTE_STATEMENTS_PER_FUNCTION, slug
from tests.conftest import Synthesized, resources
from tests.constructs.api_helpers import api_ref, arn_like, build_api, http_route, lambda_route

EXECUTION_ARN = "arn:aws:execute-api:us-east-1:111111111111:a1b2c3d4e5"
OTHER_API = "arn:aws:execute-api:us-east-1:111111111111:z9y8x7w6v5"
FEATURES = "arn:aws:lambda:us-east-1:111111111111:function:cora-prd-feature-modules"
SMALL = "arn:aws:lambda:us-east-1:111111111111:function:cora-prd-status"
# Terraform names a statement "terraform-<26 digits>"; AWS-generated and hand-written ids run longer.
SID = "terraform-2025120112000000000000000001xx"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def feature_keys(count: int) -> list[str]:
    """``count`` realistic, distinct route keys of feature modules."""
    return [
        f"{METHODS[i % len(METHODS)]} /v1/module-{i // len(METHODS):02d}/items/{{itemId}}/attachments"
        for i in range(count)
    ]


def permissions_of(doc: Synthesized, function_arn: str) -> dict[str, dict[str, Any]]:
    return {
        logical: body
        for logical, body in doc["resource"].get("aws_lambda_permission", {}).items()
        if body["function_name"] == function_arn
    }


def stored_policy(doc: Synthesized, function_arn: str) -> str:
    """The function's resource policy as AWS stores it after these permissions were added."""
    statements = []
    for body in permissions_of(doc, function_arn).values():
        statements.append(
            {
                "Sid": body.get("statement_id", SID),
                "Effect": "Allow",
                "Principal": {"Service": body["principal"]},
                "Action": body["action"],
                "Resource": function_arn,
                "Condition": {
                    "ArnLike": {
                        "AWS:SourceArn": body["source_arn"].replace(
                            api_ref(doc, "execution_arn"), EXECUTION_ARN
                        )
                    }
                },
            }
        )
    policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
    return json.dumps(policy, separators=(",", ":"))


def invoke_arn(key: str, api: str = EXECUTION_ARN) -> str:
    """The source ARN API Gateway presents when a request on ``key`` invokes the function."""
    method, path = key.split(" ")
    return f"{api}/$default/{method}{path.replace('{itemId}', 'abc123')}"


def test_100_routes_on_one_function_fit_its_resource_policy_and_stay_scoped_to_this_api(synth):
    keys = feature_keys(100)
    doc = synth(build_api(routes=tuple(lambda_route(k, FEATURES) for k in keys)))
    permissions = permissions_of(doc, FEATURES)
    assert len(permissions) == 1
    (permission,) = permissions.values()
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["source_arn"] == f"{api_ref(doc, 'execution_arn')}/*/*/*"
    policy = stored_policy(doc, FEATURES)
    assert len(policy.encode()) < POLICY_SIZE_LIMIT
    (statement,) = json.loads(policy)["Statement"]
    source = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert all(arn_like(source, invoke_arn(k)) for k in keys)
    assert not any(arn_like(source, invoke_arn(k, OTHER_API)) for k in keys)


def test_up_to_the_limit_each_route_keeps_its_own_statement_and_construct_id(synth):
    keys = feature_keys(ROUTE_STATEMENTS_PER_FUNCTION)
    doc = synth(build_api(routes=tuple(lambda_route(k, FEATURES) for k in keys)))
    permissions = permissions_of(doc, FEATURES)
    execution_arn = api_ref(doc, "execution_arn")
    assert len(permissions) == len(keys)
    for key in keys:
        # Construct id "permission-<slug of the route key>", as it always was: no replacement.
        (body,) = [
            p for logical, p in permissions.items() if logical.startswith(f"api_permission-{slug(key)}_")
        ]
        method, path = key.split(" ")
        assert body["source_arn"] == f"{execution_arn}/*/{method}{path.replace('{itemId}', '*')}"
    # Well below the cap: room is left for the function's other statements (other APIs, S3, ...).
    assert len(stored_policy(doc, FEATURES).encode()) < POLICY_SIZE_LIMIT // 2


def test_existing_permission_ids_are_unchanged(synth):
    doc = synth(build_api(routes=(lambda_route("GET /v1/module-00/items/{itemId}/attachments", FEATURES),)))
    # The logical id this route's permission had before permissions were planned per function.
    assert list(permissions_of(doc, FEATURES)) == [
        "api_permission-GET-v1-module-00-items-itemId-attachments-08fd56_F096E10B"
    ]


def test_one_route_over_the_limit_switches_that_function_to_one_api_scoped_statement(synth):
    keys = feature_keys(ROUTE_STATEMENTS_PER_FUNCTION + 1)
    doc = synth(build_api(routes=tuple(lambda_route(k, FEATURES) for k in keys)))
    (permission,) = permissions_of(doc, FEATURES).values()
    assert permission["source_arn"] == f"{api_ref(doc, 'execution_arn')}/*/*/*"


def test_each_function_is_planned_on_its_own(synth):
    routes = (
        *(lambda_route(k, FEATURES) for k in feature_keys(100)),
        lambda_route("GET /v1/status", SMALL),
        lambda_route("ANY /v1/status/{proxy+}", SMALL),
        http_route("GET /v1/health"),
    )
    doc = synth(build_api(routes=routes))
    execution_arn = api_ref(doc, "execution_arn")
    assert [p["source_arn"] for p in permissions_of(doc, FEATURES).values()] == [f"{execution_arn}/*/*/*"]
    assert sorted(p["source_arn"] for p in permissions_of(doc, SMALL).values()) == [
        f"{execution_arn}/*/*/v1/status/*",
        f"{execution_arn}/*/GET/v1/status",
    ]
    assert len(resources(doc, "aws_lambda_permission")) == 3


def test_the_plan_does_not_depend_on_the_order_routes_are_added_in(synth):
    routes = [lambda_route(k, FEATURES) for k in feature_keys(30)] + [
        lambda_route(k.replace("/v1/", "/v2/"), SMALL) for k in feature_keys(3)
    ]
    shuffled = list(routes)
    random.Random(7).shuffle(shuffled)

    def one_by_one(stack):
        api = build_api()(stack)
        for route in shuffled:
            api.add_route(route)

    assert synth(build_api(routes=tuple(routes))) == synth(one_by_one)


def test_function_arns_given_as_tokens_are_planned_per_function_not_per_token(synth):
    def build(stack):
        variable = TerraformVariable(stack, "features_arn", type="string")
        api = build_api()(stack)
        # Each read of the attribute is a new token string for the same function.
        for key in feature_keys(ROUTE_STATEMENTS_PER_FUNCTION + 5):
            api.add_route(lambda_route(key, variable.string_value))

    doc = synth(build)
    (permission,) = resources(doc, "aws_lambda_permission")
    assert permission["function_name"] == "${var.features_arn}"
    assert permission["source_arn"] == f"{api_ref(doc, 'execution_arn')}/*/*/*"
