"""The environment's web service, on the backend ``[app] compute`` names, and the network ECS needs.

:class:`~constructs_lib.stacks.CoraAppStack` asks for a
:class:`~constructs_lib.compute.web_service.WebService` and never which backend it got: App Runner
(construct ``web``, as before ECS existed) or ECS on Fargate (construct ``web``, in the VPC of
construct ``network`` or the one ``[network]`` names).
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformStack

from constructs_lib import AppRunnerService, AppRunnerServiceProps, Cpu, EcrRepo, Memory, Secret
from constructs_lib.compute.fargate_sizes import FargateCpu
from constructs_lib.compute.web_service import Compute, WebService
from constructs_lib.network.placement import Network
from constructs_lib.policy.rules import PROTECTED_ENVIRONMENTS
from constructs_lib.stacks.config import EnvConfig

__all__ = ["network_of", "web_service"]


def web_service(
    stack: TerraformStack,
    config: EnvConfig,
    *,
    repository: EcrRepo,
    environment: Mapping[str, str],
    secrets: Mapping[str, Secret],
) -> WebService:
    """The ``web`` construct of ``stack``: an App Runner service or an ECS service behind a load balancer."""
    app = config.app
    if app.compute is Compute.APPRUNNER:
        return AppRunnerService(
            stack,
            "web",
            props=AppRunnerServiceProps(
                create_service=app.create_service,
                service_name=config.name("web"),
                repository=repository,
                image_tag=app.image_tag,
                port=app.port,
                cpu=Cpu(app.cpu),
                memory=Memory(app.memory),
                health_check=app.health_check,
                auto_scaling=app.auto_scaling,
                auto_deployments_enabled=app.auto_deployments_enabled,
                environment=environment,
                secrets=secrets,
            ),
        )
    from constructs_lib.compute.fargate_service import (  # noqa: PLC0415 - App Runner stacks never load ECS
        FargateService,
        FargateServiceProps,
    )

    return FargateService(
        stack,
        "web",
        props=FargateServiceProps(
            create_service=app.create_service,
            service_name=config.name("web"),
            repository=repository,
            image_tag=app.image_tag,
            port=app.port,
            cpu=FargateCpu(app.cpu),
            cpu_architecture=app.cpu_architecture,
            memory=int(app.memory),
            health_check=app.health_check,
            auto_scaling=app.auto_scaling,
            environment=environment,
            secrets=secrets,
            network=network_of(stack, config),
            assign_public_ip=config.network_settings.assign_public_ip,
            log_retention_days=config.api.log_retention_days,
            log_kms_key_arn=config.encryption.kms_key_arn,
            protected=config.environment in PROTECTED_ENVIRONMENTS,
        ),
    )


def network_of(stack: TerraformStack, config: EnvConfig) -> Network:
    """The ``[network]`` VPC: created by the stack (construct ``network``) or an existing one's ids."""
    settings = config.network_settings
    if not settings.creates_vpc:
        assert settings.vpc_id is not None  # creates_vpc says so
        return Network(
            vpc_id=settings.vpc_id,
            public_subnet_ids=settings.public_subnet_ids,
            private_subnet_ids=settings.private_subnet_ids,
        )
    from constructs_lib.network.vpc import Vpc, VpcProps  # noqa: PLC0415 - App Runner stacks never load it

    vpc = Vpc(
        stack,
        "network",
        props=VpcProps(
            name=f"{config.project}-{config.environment.value}",
            region=config.region,
            cidr=settings.cidr or "10.0.0.0/16",
            az_count=settings.zone_count,
            availability_zones=settings.availability_zones,
            nat=config.network_settings.nat_for(config.environment.value == "prd"),
            vpc_endpoints=settings.vpc_endpoints,
            flow_log_retention_days=config.api.log_retention_days,
            kms_key_arn=config.encryption.kms_key_arn,
        ),
    )
    return vpc.network
