"""``WebService``: what a stack, the domains, the published outputs, the policy and deploys need of the
web app's compute, whichever backend runs it.

Two backends implement it: :class:`~constructs_lib.AppRunnerService` (App Runner) and
:class:`~constructs_lib.FargateService` (ECS on Fargate behind an Application Load Balancer). The
environment's ``[app] compute`` chooses; everything else in ``[app]`` means the same on both.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Protocol, runtime_checkable

from constructs import Construct

from constructs_lib.dns.hosted_zone import HostedZone

__all__ = ["Compute", "DeployRoles", "WebDomain", "WebService"]


class Compute(StrEnum):
    """The backend that runs the web container (config ``[app] compute``)."""

    APPRUNNER = "apprunner"
    """AWS App Runner: closed to new AWS customers since 30 April 2026 (existing accounts keep it)."""
    ECS = "ecs"
    """Amazon ECS on Fargate behind an Application Load Balancer, in a VPC (``[network]``)."""


class DeployRoles(Protocol):
    """The roles a deploy hands to the service (``iam:PassRole``), and the service they go to."""

    @property
    def role_arns(self) -> tuple[str, ...]: ...

    @property
    def passed_to(self) -> str:
        """``iam:PassedToService``: ``apprunner.amazonaws.com`` or ``ecs-tasks.amazonaws.com``."""
        ...


@runtime_checkable
class WebDomain(Protocol):
    """A custom domain attached to a web service: its URL and the name its records point at."""

    @property
    def url(self) -> str: ...

    @property
    def dns_target(self) -> str: ...


@runtime_checkable
class WebService(Protocol):
    """The web app's compute, as the rest of the library sees it."""

    @property
    def compute(self) -> Compute: ...

    @property
    def created(self) -> bool:
        """False in the first deploy phase (``create_service=False``): roles and repository grants
        exist, the service (and its URL and ARN) does not."""
        ...

    @property
    def service_url(self) -> str:
        """The backend's own URL (App Runner's ``https://<id>.<region>.awsapprunner.com``, or the load
        balancer's); a token until apply. Raises when the service is not created."""
        ...

    @property
    def service_arn(self) -> str:
        """What a deploy targets (App Runner service or ECS service ARN); a token until apply."""
        ...

    @property
    def deploy_roles(self) -> DeployRoles:
        """The roles a deploy passes to the service."""
        ...

    def deploy_outputs(self) -> Mapping[str, str]:
        """Published values a deploy needs beyond ``SERVICE_ARN`` and ``APP_URL`` (none for App Runner)."""
        ...

    def add_custom_domain(
        self, scope: Construct, id_: str, *, zone: HostedZone, domain_name: str, enable_www: bool
    ) -> WebDomain:
        """Serve the app at ``domain_name`` (and ``www.``): certificate and records in ``zone``."""
        ...
