"""The deploy preflight (``cora-infra preflight``, ``python -m devtools.preflight`` here) against the
emulators: it names what AWS would reject (no image, secrets without a value, roles not created, a zone
that public DNS does not delegate) before Terraform asks for it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from constructs_lib.deploy import checks
from constructs_lib.deploy.cli import main
from devtools import preflight
from devtools.emulators import LOCAL_ZONE, Emulators, seed_hosted_zone
from devtools.local_values import push_stub_image
from devtools.preflight import CONFIG_DIR

ENV = "local"
SECRETS = [f"cora/local/{n}" for n in ("NEXTAUTH_SECRET", "OKTA_CLIENT_SECRET", "SUPABASE_ANON_KEY")]
REPOSITORY = "cora-local-web"
ROLES = [f"{REPOSITORY}-access", f"{REPOSITORY}-instance"]


@pytest.fixture(autouse=True)
def zone(aws: Any, emulators: Emulators) -> str:
    """local's public hosted zone: created once, outside the stack, as in AWS (the emulators seed it)."""
    return seed_hosted_zone(emulators)


def _first_phase(aws: Any, *, image: bool) -> None:
    """What ``CORA_SKIP_SERVICE=1 make deploy ENV=local`` creates: repository, empty secrets, roles."""
    aws("ecr").create_repository(repositoryName=REPOSITORY)
    for name in SECRETS:
        aws("secretsmanager").create_secret(Name=name)
    for role in ROLES:
        aws("iam").create_role(RoleName=role, AssumeRolePolicyDocument="{}")
    if image:
        push_stub_image(aws("ecr"), REPOSITORY, "0.1.0")


def _fill(aws: Any, names: list[str]) -> None:
    for name in names:
        aws("secretsmanager").put_secret_value(SecretId=name, SecretString="value")


def _check(**kwargs: Any) -> preflight.Verdict:
    kwargs.setdefault("role_settle_seconds", 0)
    return preflight.check(ENV, **kwargs)


def test_a_new_environment_is_told_every_step_of_the_first_deploy(aws):
    verdict = _check()
    assert not verdict.ok
    text = verdict.message
    assert "ECR repository cora-local-web" in text
    assert "CORA_SKIP_SERVICE=1 make deploy ENV=local" in text
    for name in SECRETS:
        assert f"--secret-id {name} --secret-string file://" in text
    assert text.index("CORA_SKIP_SERVICE=1") < text.index("put-secret-value") < text.index("docker push")


def test_empty_secrets_are_named_with_the_command_that_fills_them(aws):
    _first_phase(aws, image=True)
    _fill(aws, SECRETS[:1])
    verdict = _check()
    assert not verdict.ok
    assert "2 secret(s) have no value: cora/local/OKTA_CLIENT_SECRET, cora/local/SUPABASE_ANON_KEY" in (
        verdict.message
    )
    assert (
        "aws secretsmanager put-secret-value --region us-east-1 --secret-id cora/local/OKTA_CLIENT_SECRET "
        "--secret-string file://OKTA_CLIENT_SECRET.txt" in verdict.message
    )
    assert "NEXTAUTH_SECRET" not in verdict.message
    assert "is not in ECR" not in verdict.message


def test_missing_image_and_empty_secrets_are_reported_together(aws):
    _first_phase(aws, image=False)
    verdict = _check()
    assert not verdict.ok
    assert "image cora-local-web:0.1.0 is not in ECR" in verdict.message
    assert "3 secret(s) have no value" in verdict.message


def test_ready_when_image_values_and_roles_are_there(aws):
    _first_phase(aws, image=True)
    _fill(aws, SECRETS)
    verdict = _check()
    assert verdict.ok, verdict.message
    assert "the service can be created" in verdict.message


def test_waits_until_new_roles_have_had_time_to_propagate(aws):
    _first_phase(aws, image=True)
    _fill(aws, SECRETS)
    created = max(aws("iam").get_role(RoleName=r)["Role"]["CreateDate"].timestamp() for r in ROLES)
    waited: list[float] = []
    verdict = _check(role_settle_seconds=10, clock=lambda: created + 3, sleep=waited.append)
    assert verdict.ok
    assert waited == [pytest.approx(7)]
    assert "waited 7 s for IAM" in verdict.message
    waited.clear()
    assert _check(role_settle_seconds=10, clock=lambda: created + 30, sleep=waited.append).ok
    assert waited == []


def test_missing_roles_send_you_back_to_the_first_phase(aws):
    _first_phase(aws, image=True)
    _fill(aws, SECRETS)
    aws("iam").delete_role(RoleName=ROLES[0])
    verdict = _check()
    assert not verdict.ok
    assert f"role {ROLES[0]}" in verdict.message
    assert "CORA_SKIP_SERVICE=1 make deploy ENV=local" in verdict.message


def test_a_secret_scheduled_for_deletion_is_named(aws):
    _first_phase(aws, image=True)
    _fill(aws, SECRETS)
    aws("secretsmanager").delete_secret(SecretId=SECRETS[2], RecoveryWindowInDays=7)
    verdict = _check()
    assert not verdict.ok
    assert f"secret {SECRETS[2]} is scheduled for deletion" in verdict.message
    assert f"restore-secret --secret-id {SECRETS[2]}" in verdict.message


@contextmanager
def _service(aws: Any) -> Iterator[None]:
    """An App Runner service named as the stack's, deleted again afterwards."""
    apprunner = aws("apprunner")
    arn = apprunner.create_service(
        ServiceName=REPOSITORY,
        SourceConfiguration={
            "ImageRepository": {
                "ImageIdentifier": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{REPOSITORY}:0.1.0",
                "ImageRepositoryType": "ECR",
            },
            "AutoDeploymentsEnabled": False,
            "AuthenticationConfiguration": {
                "AccessRoleArn": f"arn:aws:iam::123456789012:role/{REPOSITORY}-access"
            },
        },
    )["Service"]["ServiceArn"]
    try:
        yield
    finally:
        deadline = time.monotonic() + 10
        while apprunner.describe_service(ServiceArn=arn)["Service"]["Status"] != "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        apprunner.delete_service(ServiceArn=arn)
        while any(
            s["ServiceArn"] == arn and s["Status"] != "DELETED"
            for s in apprunner.list_services()["ServiceSummaryList"]
        ):
            assert time.monotonic() < deadline + 10
            time.sleep(0.05)


def test_first_phase_is_refused_once_the_service_exists(aws):
    assert _check(skip_service=True).ok
    _first_phase(aws, image=True)
    _fill(aws, SECRETS)
    with _service(aws):
        verdict = _check(skip_service=True)
    assert not verdict.ok
    assert "would DESTROY the running service cora-local-web" in verdict.message


def test_an_existing_service_still_needs_every_secret_value(aws):
    _first_phase(aws, image=True)
    _fill(aws, SECRETS[1:])
    with _service(aws):
        refused = _check()
        _fill(aws, SECRETS[:1])
        accepted = _check()
    assert not refused.ok
    assert "1 secret(s) have no value: cora/local/NEXTAUTH_SECRET" in refused.message
    assert accepted.ok
    assert "update-service" in accepted.message


def test_the_cli_prints_the_verdict_and_exits_1_when_not_ready(aws, capsys):
    assert preflight.main([ENV]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: first deploy of local:")


def test_the_cli_refuses_an_unknown_environment_in_one_line(capsys):
    assert preflight.main(["qa"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["error: environment 'qa' is unknown; allowed: dev, stg, prd, local"]


def test_the_cli_says_when_aws_cannot_be_reached(monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert preflight.main([ENV]) == 2
    assert capsys.readouterr().err.startswith("error: cannot check local on AWS: ")


# -- the hosted zone of [domain] ----------------------------------------------------------------------
def test_a_missing_hosted_zone_is_named_first_in_both_phases(aws, zone):
    aws("route53").delete_hosted_zone(Id=zone)
    for skip_service in (True, False):
        verdict = _check(skip_service=skip_service)
        assert not verdict.ok
        assert verdict.message == (
            f"local: no public Route 53 hosted zone {LOCAL_ZONE} ([domain] zone) in this account; create "
            "it and delegate it from its parent first (README, 'Custom domains'): aws route53 "
            f"create-hosted-zone --name {LOCAL_ZONE} --caller-reference $(date +%s)"
        )


def test_a_private_zone_of_that_name_does_not_count(aws, zone):
    aws("route53").delete_hosted_zone(Id=zone)
    aws("route53").create_hosted_zone(
        Name=LOCAL_ZONE,
        CallerReference="private",
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
    )
    assert "no public Route 53 hosted zone" in _check(skip_service=True).message


def test_two_public_zones_of_that_name_ask_for_zone_id(aws, zone):
    other = aws("route53").create_hosted_zone(Name=LOCAL_ZONE, CallerReference="second")["HostedZone"]["Id"]
    verdict = _check(skip_service=True)
    assert not verdict.ok
    ids = sorted(i.rsplit("/", 1)[-1] for i in (zone, other))
    assert f"2 public hosted zones are named {LOCAL_ZONE}" in verdict.message
    assert all(i in verdict.message for i in ids)
    assert "set [domain] zone_id to one" in verdict.message


def test_zone_id_must_name_the_zone(aws, zone):
    other = aws("route53").create_hosted_zone(Name="other.example.com", CallerReference="o")["HostedZone"][
        "Id"
    ]
    other_id = other.rsplit("/", 1)[-1]
    assert preflight.zone_problem(aws("route53"), LOCAL_ZONE, zone.rsplit("/", 1)[-1]) is None
    assert preflight.zone_problem(aws("route53"), LOCAL_ZONE, other_id) == (
        f"hosted zone {other_id} ([domain] zone_id) is other.example.com, not {LOCAL_ZONE}"
    )
    assert "does not exist in this account" in str(
        preflight.zone_problem(aws("route53"), LOCAL_ZONE, "ZNOPE1")
    )


# -- the zone's delegation in public DNS (not checked on the emulators: their zones are not public) ----
def _zone_servers(aws: Any, zone: str) -> list[str]:
    return list(aws("route53").get_hosted_zone(Id=zone)["DelegationSet"]["NameServers"])


def test_a_zone_public_dns_does_not_delegate_is_named_with_its_name_servers(aws, zone):
    servers = _zone_servers(aws, zone)
    problem = checks.delegation_problem(aws("route53"), LOCAL_ZONE, None, lambda name: [])
    assert problem is not None
    assert problem.startswith(f"{LOCAL_ZONE} is not delegated: public DNS has no NS record for it")
    assert all(server in problem for server in servers)


def test_a_zone_delegated_elsewhere_is_named(aws, zone):
    elsewhere = ["ns-1.awsdns-00.com.", "ns-2.awsdns-00.net."]
    problem = checks.delegation_problem(aws("route53"), LOCAL_ZONE, None, lambda name: elsewhere)
    assert problem is not None
    assert "is delegated to other name servers (ns-1.awsdns-00.com, ns-2.awsdns-00.net)" in problem


def test_a_delegated_zone_passes_whatever_the_case_and_final_dot(aws, zone):
    servers = [s.upper().rstrip(".") for s in _zone_servers(aws, zone)]
    assert checks.delegation_problem(aws("route53"), LOCAL_ZONE, None, lambda name: servers) is None
    zone_id = zone.rsplit("/", 1)[-1]
    assert checks.delegation_problem(aws("route53"), LOCAL_ZONE, zone_id, lambda name: servers) is None


def test_dns_that_cannot_be_asked_says_how_to_check_by_hand(aws, zone):
    def unreachable(name: str) -> list[str]:
        raise LookupError("LifetimeTimeout: no answer")

    problem = checks.delegation_problem(aws("route53"), LOCAL_ZONE, None, unreachable)
    assert problem == (
        f"cannot check the delegation of {LOCAL_ZONE} in public DNS (LifetimeTimeout: no answer); "
        f"check it: dig +short NS {LOCAL_ZONE}"
    )


def test_the_preflight_checks_delegation_outside_the_emulators(aws, zone, tmp_path):
    """A config without [emulator] (dev) on the emulators' AWS: the delegation is asked for, first."""
    config = (CONFIG_DIR / "local.toml").read_text()
    start, end = config.index("[emulator]"), config.index("[state]")
    (tmp_path / "dev.toml").write_text(config[:start] + config[end:])
    asked: list[str] = []

    def lookup(name: str) -> list[str]:
        asked.append(name)
        return []

    verdict = preflight.check("dev", config_dir=tmp_path, role_settle_seconds=0, name_servers=lookup)
    assert asked == [LOCAL_ZONE]
    assert not verdict.ok
    assert verdict.message.startswith(f"dev: {LOCAL_ZONE} is not delegated")
    assert preflight.check(ENV, role_settle_seconds=0, name_servers=lookup).message.startswith(
        "first deploy of local"
    ), "with [emulator], no delegation check"
    assert asked == [LOCAL_ZONE]


def test_cora_infra_preflight_reads_the_config_dir_and_exits_like_the_devtools_command(aws, capsys):
    assert main(["preflight", ENV, "--config-dir", str(CONFIG_DIR)]) == 1
    assert capsys.readouterr().err.startswith("error: first deploy of local:")
    assert main(["preflight", "qa", "--config-dir", str(CONFIG_DIR)]) == 2
    assert "environment 'qa' is unknown" in capsys.readouterr().err
