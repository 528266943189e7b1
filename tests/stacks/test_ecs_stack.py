"""The ECS sample (examples/ecs/config): the same environments with ``[app] compute = "ecs"``.

Synthesized as ``main.py`` would with ``CORA_CONFIG_DIR=examples/ecs/config``, read as AWS's docs describe
the resources, snapshot-pinned, and valid Terraform."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cdktf import App
from syrupy.extensions.json import JSONSnapshotExtension

from constructs_lib.stacks import build_app, load_config
from tests.conftest import ALL_ENVIRONMENTS, ROOT, Synthesized, only, resources

ECS_CONFIG = ROOT / "examples" / "ecs" / "config"


@pytest.fixture(scope="module")
def ecs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synthesized]:
    outdir = tmp_path_factory.mktemp("ecs.out")
    app = App(outdir=str(outdir))
    build_app(app, [load_config(env, ECS_CONFIG) for env in ALL_ENVIRONMENTS])
    app.synth()
    return {
        env: json.loads((outdir / "stacks" / env / "cdk.tf.json").read_text()) for env in ALL_ENVIRONMENTS
    }


def _only(doc: Synthesized, kind: str) -> dict[str, Any]:
    return only(resources(doc, kind))


@pytest.mark.parametrize("env", ALL_ENVIRONMENTS)
def test_snapshot(ecs: dict[str, Synthesized], snapshot: Any, env: str) -> None:
    assert ecs[env] == snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("env", ALL_ENVIRONMENTS)
def test_compute_ecs_swaps_app_runner_for_a_fargate_service_behind_a_load_balancer(
    ecs: dict[str, Synthesized], env: str
) -> None:
    doc = ecs[env]
    assert not [kind for kind in doc["resource"] if kind.startswith("aws_apprunner_")]
    cluster = _only(doc, "aws_ecs_cluster")
    assert {"name": "containerInsights", "value": "enabled"} in cluster["setting"]
    service = _only(doc, "aws_ecs_service")
    assert service["launch_type"] == "FARGATE"
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["deployment_minimum_healthy_percent"] == 100
    assert service["deployment_maximum_percent"] == 200
    assert set(service["lifecycle"]["ignore_changes"]) == {"task_definition", "desired_count"}
    task = _only(doc, "aws_ecs_task_definition")
    assert task["requires_compatibilities"] == ["FARGATE"] and task["network_mode"] == "awsvpc"
    assert (task["cpu"], task["memory"]) == ("1024", "2048")
    (container,) = json.loads(task["container_definitions"])
    assert container["image"].endswith(":0.1.0")
    secret_names = sorted(s["name"] for s in container["secrets"])
    assert secret_names == ["NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET", "SUPABASE_ANON_KEY"]
    assert _only(doc, "aws_lb")["drop_invalid_header_fields"] is True
    target_group = _only(doc, "aws_lb_target_group")
    assert target_group["target_type"] == "ip" and target_group["health_check"]["path"] == "/api/health"


def test_the_deploy_tool_finds_the_backend_in_the_published_outputs(ecs: dict[str, Synthesized]) -> None:
    parameters = {p["name"]: p["value"] for p in resources(ecs["stg"], "aws_ssm_parameter")}
    assert parameters["/cora/stg/COMPUTE"] == "ecs"
    assert parameters["/cora/stg/TASK_FAMILY"] == "cora-stg-web"
    assert "aws_ecs_cluster" in parameters["/cora/stg/CLUSTER_ARN"]
    assert "aws_ecs_service" in parameters["/cora/stg/SERVICE_ARN"]
    assert parameters["/cora/stg/APP_URL"] == "https://stg.cora.example.com"


def test_stg_and_prd_serve_https_only_and_keep_their_load_balancer(ecs: dict[str, Synthesized]) -> None:
    for env in ("stg", "prd"):
        doc = ecs[env]
        listeners = {x["port"]: x for x in resources(doc, "aws_lb_listener")}
        assert listeners[443]["protocol"] == "HTTPS"
        assert listeners[443]["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        (redirect,) = listeners[80]["default_action"]
        assert redirect["type"] == "redirect" and redirect["redirect"]["protocol"] == "HTTPS"
        lb = _only(doc, "aws_lb")
        assert lb["enable_deletion_protection"] is True and lb["access_logs"]["enabled"] is True
        aliases = [r for r in resources(doc, "aws_route53_record") if r.get("alias") and r["type"] == "A"]
        assert {r["name"] for r in aliases} >= {ecs_host(env)}


def ecs_host(env: str) -> str:
    return {"stg": "stg.cora.example.com", "prd": "cora.example.com"}[env]


def test_dev_without_a_domain_serves_plain_http_from_public_ips(ecs: dict[str, Synthesized]) -> None:
    doc = ecs["dev"]
    (listener,) = resources(doc, "aws_lb_listener")
    assert listener["protocol"] == "HTTP" and listener["default_action"][0]["type"] == "forward"
    assert doc["output"]["app_url"]["value"].startswith("http://")
    network = _only(doc, "aws_ecs_service")["network_configuration"]
    assert network["assign_public_ip"] is True
    assert resources(doc, "aws_nat_gateway") == []


def test_stg_runs_in_the_vpc_it_names(ecs: dict[str, Synthesized]) -> None:
    doc = ecs["stg"]
    assert resources(doc, "aws_vpc") == []
    network = _only(doc, "aws_ecs_service")["network_configuration"]
    assert network["subnets"] == ["subnet-0a1b2c3d4e5f60101", "subnet-0a1b2c3d4e5f60102"]
    assert network["assign_public_ip"] is False
    assert _only(doc, "aws_lb")["subnets"] == ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]


def test_prd_creates_a_vpc_with_a_nat_gateway_per_zone_and_endpoints(ecs: dict[str, Synthesized]) -> None:
    doc = ecs["prd"]
    assert len(resources(doc, "aws_nat_gateway")) == 3
    services = {e["service_name"] for e in resources(doc, "aws_vpc_endpoint")}
    assert {
        f"com.amazonaws.us-east-1.{s}" for s in ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
    } <= services


@pytest.mark.terraform
def test_the_sample_is_valid_terraform(
    ecs: dict[str, Synthesized], terraform_env: dict[str, str], tmp_path: Path
) -> None:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: install Terraform >= 1.10 (see README)")
    for env in ALL_ENVIRONMENTS:
        workdir = tmp_path / env
        workdir.mkdir()
        (workdir / "cdk.tf.json").write_text(json.dumps(ecs[env]), encoding="utf-8")
        for args in (
            ["init", "-backend=false", "-input=false", "-no-color"],
            ["validate", "-json", "-no-color"],
        ):
            run = subprocess.run(
                ["terraform", *args],
                cwd=workdir,
                env=terraform_env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert run.returncode == 0, f"{env}: terraform {args[0]}:\n{run.stdout}\n{run.stderr}"
        result = json.loads(run.stdout)
        assert result["valid"] is True and result["warning_count"] == 0, (env, result["diagnostics"])
