"""What ``cora-infra preflight`` asks AWS about an environment on ECS (``[app] compute = "ecs"``).

The service is ``<project>-<env>-web`` in the cluster of the same name; its roles are the execution
and task roles :func:`~constructs_lib.compute.fargate_task.fargate_role_names` names. With a
``[domain]`` the load balancer's certificate comes with the first phase (Terraform waits for its DNS
validation), so before the service is created the check also wants it issued.
"""

from __future__ import annotations

from typing import Any

from constructs_lib.deploy.checks import client_error_code

__all__ = ["certificate_problem", "ecs_service_exists"]


def ecs_service_exists(ecs: Any, *, cluster: str, service: str) -> bool:
    """Whether ``service`` is in ``cluster`` and not deleted (``INACTIVE``)."""
    try:
        found = ecs.describe_services(cluster=cluster, services=[service])
    except Exception as error:
        if client_error_code(error) == "ClusterNotFoundException":
            return False
        raise
    return any(s.get("status") in {"ACTIVE", "DRAINING"} for s in found.get("services", []))


def certificate_problem(acm: Any, host: str) -> str | None:
    """Why the load balancer could not serve ``host`` over HTTPS yet, or ``None`` (a certificate for it
    is ``ISSUED``)."""
    statuses: dict[str, str] = {}
    for page in acm.get_paginator("list_certificates").paginate():
        for summary in page.get("CertificateSummaryList", []):
            names = {summary.get("DomainName"), *summary.get("SubjectAlternativeNameSummaries", [])}
            if host in names:
                statuses[summary["CertificateArn"]] = summary.get("Status", "UNKNOWN")
    if "ISSUED" in statuses.values():
        return None
    if not statuses:
        return (
            f"no ACM certificate for {host} yet: the first phase creates it with the load balancer "
            "(CORA_SKIP_SERVICE=1 make deploy); run that first"
        )
    listed = ", ".join(f"{arn} ({status})" for arn, status in sorted(statuses.items()))
    return (
        f"the certificate for {host} is not issued: {listed}. ACM validates it through the CNAME records "
        "the first phase wrote into the hosted zone: check that the zone is delegated (NS records in its "
        "parent), then run the first phase again"
    )
