"""The deploy preflight of an environment on ECS (examples/ecs/config, ``compute = "ecs"``): the ECS
service in its cluster, the execution and task roles, and, before the service is created, the load
balancer's certificate for the app's host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from constructs_lib.compute.fargate_task import fargate_role_names
from constructs_lib.deploy import preflight
from constructs_lib.deploy.preflight_ecs import certificate_problem
from devtools.emulators import seed_hosted_zone
from devtools.local_values import push_stub_image

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "ecs" / "config"
SECRETS = [f"cora/local/{n}" for n in ("NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET", "SUPABASE_ANON_KEY")]
NAME = "cora-local-web"
HOST = "app.local.cora.example.com"


@pytest.fixture(autouse=True)
def zone(aws: Any, emulators: Any) -> str:
    return seed_hosted_zone(emulators)


def _check(**kwargs: Any) -> preflight.Verdict:
    return preflight.check("local", config_dir=CONFIG, role_settle_seconds=0, **kwargs)


def _first_phase(aws: Any) -> None:
    aws("ecr").create_repository(repositoryName=NAME)
    push_stub_image(aws("ecr"), NAME, "0.1.0")
    for name in SECRETS:
        aws("secretsmanager").create_secret(Name=name, SecretString="value")
    for role in fargate_role_names(NAME):
        aws("iam").create_role(RoleName=role, AssumeRolePolicyDocument="{}")


def test_a_new_ecs_environment_names_its_fargate_roles_and_ecs(aws: Any) -> None:
    verdict = _check()
    assert not verdict.ok
    assert (
        "role cora-local-web-execution" in verdict.message and "role cora-local-web-task" in verdict.message
    )
    assert "ECS could not start cora-local-web:0.1.0" in verdict.message


def test_the_certificate_must_be_issued_before_the_service_is_created(aws: Any, zone: str) -> None:
    _first_phase(aws)
    verdict = _check()
    assert not verdict.ok
    assert f"no ACM certificate for {HOST} yet" in verdict.message
    acm = aws("acm")
    arn = acm.request_certificate(DomainName=HOST, ValidationMethod="DNS")["CertificateArn"]
    verdict = _check()
    assert f"the certificate for {HOST} is not issued: {arn} (PENDING_VALIDATION)" in verdict.message
    # What the first phase's validation records do: ACM issues it once public DNS has the CNAME.
    option = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]
    record = option["ResourceRecord"]
    change = {
        "Name": record["Name"],
        "Type": "CNAME",
        "TTL": 60,
        "ResourceRecords": [{"Value": record["Value"]}],
    }
    aws("route53").change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": change}]}
    )
    verdict = _check()
    assert verdict.ok, verdict.message


def test_a_running_ecs_service_is_deployed_by_the_deploy_tool(aws: Any) -> None:
    _first_phase(aws)
    ecs = aws("ecs")
    ecs.create_cluster(clusterName=NAME)
    ecs.register_task_definition(
        family=NAME, containerDefinitions=[{"name": "web", "image": "x:0.1.0", "memory": 512}]
    )
    ecs.create_service(cluster=NAME, serviceName=NAME, taskDefinition=NAME, desiredCount=0)
    verdict = _check()
    assert verdict.ok, verdict.message
    assert "ECS UpdateService" in verdict.message and "cora-infra deploy-app --env local" in verdict.message


class _Acm:
    def __init__(self, summaries: list[dict[str, Any]]) -> None:
        self.summaries = summaries

    def get_paginator(self, name: str) -> Any:
        assert name == "list_certificates"
        pages = [{"CertificateSummaryList": self.summaries}]
        return type("P", (), {"paginate": lambda _self: pages})()


def test_a_certificate_counts_by_its_alternative_names_and_only_when_issued() -> None:
    www = {"CertificateArn": "arn:1", "DomainName": "www.x.com", "SubjectAlternativeNameSummaries": ["x.com"]}
    assert certificate_problem(_Acm([{**www, "Status": "ISSUED"}]), "x.com") is None
    pending = certificate_problem(_Acm([{**www, "Status": "PENDING_VALIDATION"}]), "x.com")
    assert pending is not None and "arn:1 (PENDING_VALIDATION)" in pending and "delegated" in pending
    assert "no ACM certificate for x.com" in (certificate_problem(_Acm([]), "x.com") or "")
