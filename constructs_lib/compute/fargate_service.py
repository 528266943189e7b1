"""``FargateService``: the web container on ECS Fargate behind an Application Load Balancer.

The second backend of :class:`~constructs_lib.compute.web_service.WebService` (``[app] compute =
"ecs"``): the same ``[app]`` settings as :class:`~constructs_lib.AppRunnerService`, the same image
from the same ``EcrRepo``, the same secrets by reference.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from constructs_lib import _aws
from constructs_lib import published_outputs as published
from constructs_lib._runtime.ids import unique_id
from constructs_lib._runtime.refs import Address
from constructs_lib.compute.fargate_props import FargateServiceProps
from constructs_lib.compute.fargate_scaling import add_auto_scaling
from constructs_lib.compute.fargate_task import (
    CONTAINER_NAME,
    ECS_TASKS_PRINCIPAL,
    WRITABLE_PATHS,
    CpuArchitecture,
    PassedRoles,
    add_task_roles,
    container_definitions,
)
from constructs_lib.compute.web_service import Compute, WebDomain
from constructs_lib.dns.hosted_zone import HostedZone
from constructs_lib.errors import CoraInfraError
from constructs_lib.network.load_balancer import WebLoadBalancer, WebLoadBalancerProps

__all__ = [
    "OUTPUT_CLUSTER_ARN",
    "OUTPUT_COMPUTE",
    "OUTPUT_TASK_FAMILY",
    "CpuArchitecture",
    "FargateService",
    "FargateServiceProps",
]

#: Published output names a deploy of an ECS service reads (beside ``SERVICE_ARN`` and ``APP_URL``).
OUTPUT_COMPUTE = published.COMPUTE
OUTPUT_CLUSTER_ARN = published.CLUSTER_ARN
OUTPUT_TASK_FAMILY = published.TASK_FAMILY


class FargateService(Construct):
    """An ECS service on Fargate running one image from an ``EcrRepo``, behind a :class:`WebLoadBalancer`.

    Creates a cluster (Container Insights on), a log group, an execution role (trusted by
    ``ecs-tasks.amazonaws.com``: pulls from that one repository, reads exactly the given secrets,
    writes to that log group), a task role with no permissions (``task_role``: a stack grants what the
    app calls), a task definition whose old revisions stay registered for rollbacks (``skip_destroy``),
    the load balancer, and with ``create_service`` the service and its auto scaling.

    The service ignores changes to ``task_definition`` and ``desired_count``: a deploy
    (``cora-infra deploy-app``) registers a revision that differs only in the image and points the
    service at it, and auto scaling moves the count; neither is drift. A Terraform change to the task
    (environment, secrets, size) registers a new revision that reaches the service with the next
    deploy. Deployments use the circuit breaker with rollback, never go below 100 % healthy tasks and
    start up to 200 %.

    Implements :class:`~constructs_lib.compute.web_service.WebService` (``compute`` is ``ecs``).
    """

    compute = Compute.ECS

    def __init__(self, scope: Construct, id_: str, *, props: FargateServiceProps) -> None:
        with unique_id("FargateService", scope, id_):
            super().__init__(scope, id_)
        self.props = props
        name = props.service_name
        tags = dict(props.tags) or None

        self.cluster = _aws.EcsCluster(
            self,
            "cluster",
            name=name,
            setting=[_aws.EcsClusterSetting(name="containerInsights", value="enabled")],
            tags=tags,
        )
        self.log_group = _aws.CloudwatchLogGroup(
            self,
            "logs",
            name=props.log_group_name,
            retention_in_days=props.log_retention_days,
            kms_key_id=props.log_kms_key_arn,
            tags=tags,
        )
        # Read once, as text: every attribute read is a round trip to the jsii kernel.
        cluster = Address("aws_ecs_cluster", self.cluster)
        self._cluster_arn, cluster_name = cluster.ref("arn"), cluster.ref("name")
        log_group = Address("aws_cloudwatch_log_group", self.log_group)
        account = Address("aws_caller_identity", _aws.DataAwsCallerIdentity(self, "account"), data=True)
        region = Address("aws_region", _aws.DataAwsRegion(self, "region"), data=True)

        roles = add_task_roles(
            self,
            name=name,
            repository=props.repository,
            secrets=list(props.secrets.values()),
            log_group_arn=log_group.ref("arn"),
            account_id=account.ref("account_id"),
            tags=props.tags,
        )
        self.execution_role, self.task_role = roles.execution_role, roles.task_role
        self._execution_role_arn = Address("aws_iam_role", self.execution_role).ref("arn")
        self._task_role_arn = Address("aws_iam_role", self.task_role).ref("arn")

        self.task_definition = _aws.EcsTaskDefinition(
            self,
            "task",
            family=name,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=props.cpu.value,
            memory=str(props.memory),
            runtime_platform=_aws.EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture=props.cpu_architecture.value
            ),
            execution_role_arn=self._execution_role_arn,
            task_role_arn=self._task_role_arn,
            container_definitions=container_definitions(
                image=props.repository.image_uri(props.image_tag),
                port=props.port,
                environment=props.environment,
                secrets={env: secret.arn for env, secret in props.secrets.items()},
                log_group=log_group.ref("name"),
                region=region.ref("name"),
                readonly_root_filesystem=props.readonly_root_filesystem,
            ),
            volume=(
                [_aws.EcsTaskDefinitionVolume(name=volume) for volume in sorted(WRITABLE_PATHS)]
                if props.readonly_root_filesystem
                else None
            ),
            # Old revisions stay registered: a rollback points the service at one of them.
            skip_destroy=True,
            tags=tags,
        )

        self.load_balancer = WebLoadBalancer(
            self,
            "load-balancer",
            props=WebLoadBalancerProps(
                name=name,
                network=props.network,
                port=props.port,
                health_check=props.health_check,
                protected=props.protected,
                tags=props.tags,
            ),
        )

        self.service: _aws.EcsService | None = None
        self.scaling_target: _aws.AppautoscalingTarget | None = None
        if not props.create_service:
            return
        subnets = (
            props.network.public_subnet_ids if props.assign_public_ip else props.network.private_subnet_ids
        )
        self.service = _aws.EcsService(
            self,
            "service",
            name=name,
            cluster=self._cluster_arn,
            task_definition=Address("aws_ecs_task_definition", self.task_definition).ref("arn"),
            launch_type="FARGATE",
            platform_version="LATEST",
            desired_count=props.auto_scaling.min_size,
            deployment_circuit_breaker=_aws.EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            health_check_grace_period_seconds=props.health_check_grace_period_seconds,
            network_configuration=_aws.EcsServiceNetworkConfiguration(
                subnets=list(subnets),
                security_groups=[self.load_balancer.tasks_security_group_id],
                assign_public_ip=props.assign_public_ip,
            ),
            load_balancer=[
                _aws.EcsServiceLoadBalancer(
                    target_group_arn=self.load_balancer.target_group_arn,
                    container_name=CONTAINER_NAME,
                    container_port=props.port,
                )
            ],
            propagate_tags="SERVICE",
            enable_execute_command=False,
            tags=tags,
            # ECS refuses a target group that no listener attaches to a load balancer yet, and tasks
            # cannot start before the execution role may pull, read and log.
            depends_on=[self.load_balancer.http_listener, *roles.execution_policies],
            lifecycle=TerraformResourceLifecycle(ignore_changes=["task_definition", "desired_count"]),
        )
        self._service_arn = Address("aws_ecs_service", self.service).ref("id")
        self.scaling_target = add_auto_scaling(
            self,
            name=name,
            resource_id=f"service/{cluster_name}/{Address('aws_ecs_service', self.service).ref('name')}",
            scaling=props.auto_scaling,
            request_count_label=(
                f"{self.load_balancer.arn_suffix}/{self.load_balancer.target_group_arn_suffix}"
            ),
        )

    def _created(self) -> str:
        if self.service is None:
            raise CoraInfraError(
                f"FargateService {self.props.service_name!r} was built with create_service=False: "
                "it has no service (URL or ARN) yet"
            )
        return self._service_arn

    @property
    def created(self) -> bool:
        """Whether the ECS service itself exists (``create_service``)."""
        return self.service is not None

    @property
    def service_url(self) -> str:
        """The load balancer's URL: ``http://<alb dns name>`` until a custom domain adds HTTPS."""
        self._created()
        return self.load_balancer.url

    @property
    def service_arn(self) -> str:
        """The ECS service's ARN (a token until apply); a deploy updates the service with it."""
        return self._created()

    @property
    def cluster_arn(self) -> str:
        """The cluster's ARN (a token until apply)."""
        return self._cluster_arn

    @property
    def task_family(self) -> str:
        """The task definition family: deploys register new revisions in it."""
        return self.props.service_name

    @property
    def execution_role_arn(self) -> str:
        """The execution role's ARN."""
        return self._execution_role_arn

    @property
    def task_role_arn(self) -> str:
        """The task role's ARN."""
        return self._task_role_arn

    @property
    def deploy_roles(self) -> PassedRoles:
        """A deploy registers a task definition naming both roles, so it passes both to ECS tasks."""
        return PassedRoles((self._execution_role_arn, self._task_role_arn), ECS_TASKS_PRINCIPAL)

    def deploy_outputs(self) -> Mapping[str, str]:
        """``COMPUTE``, ``CLUSTER_ARN`` and ``TASK_FAMILY``: what a deploy needs beyond the service ARN."""
        return {
            OUTPUT_COMPUTE: Compute.ECS.value,
            OUTPUT_CLUSTER_ARN: self._cluster_arn,
            OUTPUT_TASK_FAMILY: self.task_family,
        }

    def add_custom_domain(
        self, scope: Construct, id_: str, *, zone: HostedZone, domain_name: str, enable_www: bool
    ) -> WebDomain:
        """A :class:`~constructs_lib.compute.fargate_domain.FargateCustomDomain` for this service: its
        certificate, the HTTPS listener and the alias records in ``zone``."""
        from constructs_lib.compute.fargate_domain import (  # noqa: PLC0415 - it imports this module
            FargateCustomDomain,
            FargateCustomDomainProps,
        )

        return FargateCustomDomain(
            scope,
            id_,
            props=FargateCustomDomainProps(
                service=self, zone=zone, domain_name=domain_name, enable_www=enable_www
            ),
        )
