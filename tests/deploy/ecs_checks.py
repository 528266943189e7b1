"""What a deployed ECS environment must look like on the emulators, read back with boto3 and compared with
the environment's config (what users write), not with the synthesized JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from constructs_lib.compute.fargate_props import FargateServiceProps
from constructs_lib.compute.fargate_task import fargate_role_names
from constructs_lib.deploy.preflight_ecs import ecs_service_exists
from constructs_lib.stacks import EnvConfig
from tests.deploy.domain_checks import records

Client = Callable[[str], Any]

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
GRACE_SECONDS = FargateServiceProps.model_fields["health_check_grace_period_seconds"].default


def _fqdn(name: str) -> str:
    return name if name.endswith(".") else f"{name}."


def service(aws: Client, config: EnvConfig) -> dict[str, Any]:
    """The ECS service ``<project>-<env>-web`` in its cluster of the same name."""
    name = config.name("web")
    (found,) = aws("ecs").describe_services(cluster=name, services=[name])["services"]
    return dict(found)


def _vpc_name(config: EnvConfig) -> str:
    return f"{config.project}-{config.environment.value}"


def _vpc_id(aws: Client, config: EnvConfig) -> str:
    """The VPC the stack created (tagged ``Name=<project>-<env>``, exactly one)."""
    vpcs = aws("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [_vpc_name(config)]}])["Vpcs"]
    (vpc,) = vpcs
    return str(vpc["VpcId"])


def _subnets(aws: Client, vpc_id: str) -> list[dict[str, Any]]:
    found = aws("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    return list(found)


def _public_subnet_ids(aws: Client, vpc_id: str) -> set[str]:
    """The subnets whose route table sends 0.0.0.0/0 to an internet gateway (the others are private)."""
    tables = aws("ec2").describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    return {
        association["SubnetId"]
        for table in tables
        if any(
            r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("GatewayId", "").startswith("igw-")
            for r in table["Routes"]
        )
        for association in table["Associations"]
        if association.get("SubnetId")
    }


def _private_subnet_ids(aws: Client, vpc_id: str) -> set[str]:
    """The subnets whose route table sends 0.0.0.0/0 to a NAT gateway."""
    tables = aws("ec2").describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    return {
        association["SubnetId"]
        for table in tables
        if any(
            r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("NatGatewayId", "").startswith("nat-")
            for r in table["Routes"]
        )
        for association in table["Associations"]
        if association.get("SubnetId")
    }


def check_service(aws: Client, config: EnvConfig) -> None:
    """Fargate, circuit breaker with rollback, 100/200 %, the grace period, ``min_size`` tasks running,
    awsvpc in the private subnets without a public IP, behind the target group on the app's port."""
    found = service(aws, config)
    assert found["status"] == "ACTIVE"
    assert found["launchType"] == "FARGATE"
    deployment = found["deploymentConfiguration"]
    assert deployment["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (deployment["minimumHealthyPercent"], deployment["maximumPercent"]) == (100, 200)
    assert found["healthCheckGracePeriodSeconds"] == GRACE_SECONDS
    assert found["desiredCount"] == config.app.auto_scaling.min_size
    assert found["runningCount"] == config.app.auto_scaling.min_size
    (primary,) = found["deployments"]
    assert primary["rolloutState"] == "COMPLETED"
    network = found["networkConfiguration"]["awsvpcConfiguration"]
    assert network["assignPublicIp"] == "DISABLED"
    private = _private_subnet_ids(aws, _vpc_id(aws, config))
    assert len(private) == 2
    assert set(network["subnets"]) == private
    (balancer,) = found["loadBalancers"]
    assert (balancer["containerName"], balancer["containerPort"]) == ("web", config.app.port)


def check_task_definition(aws: Client, config: EnvConfig) -> None:
    """The service's revision: ``<repository>:<tag>``, cpu/memory from ``[app]``, the secrets by exactly
    the stack's ARNs, logs to ``/ecs/<service>``, the Fargate roles."""
    name = config.name("web")
    arn = service(aws, config)["taskDefinition"]
    definition = aws("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]
    assert definition["family"] == name
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert definition["networkMode"] == "awsvpc"
    assert (definition["cpu"], definition["memory"]) == (str(config.app.cpu), str(config.app.memory))
    execution, task = fargate_role_names(name)
    assert definition["executionRoleArn"].endswith(f":role/{execution}")
    assert definition["taskRoleArn"].endswith(f":role/{task}")
    (container,) = definition["containerDefinitions"]
    url = aws("ecr").describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryUri"]
    assert container["image"] == f"{url}:{config.app.image_tag}"
    assert [(p["containerPort"], p["protocol"]) for p in container["portMappings"]] == [
        (config.app.port, "tcp")
    ]
    listed = aws("secretsmanager").list_secrets()["SecretList"]
    arns = {s["Name"]: s["ARN"] for s in listed}
    assert {s["name"]: s["valueFrom"] for s in container["secrets"]} == {
        n.rsplit("/", 1)[-1]: arns[n] for n in config.secret_names
    }
    plain = {e["name"] for e in container["environment"]}
    assert not plain & set(config.app.secrets)
    logs = container["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    assert logs["options"]["awslogs-group"] == f"/ecs/{name}"
    assert logs["options"]["awslogs-region"] == config.region
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=f"/ecs/{name}")["logGroups"]
    assert [g["logGroupName"] for g in groups] == [f"/ecs/{name}"]


def load_balancer(aws: Client, config: EnvConfig) -> dict[str, Any]:
    """The application load balancer ``<project>-<env>-web``."""
    (found,) = aws("elbv2").describe_load_balancers(Names=[config.name("web")])["LoadBalancers"]
    return dict(found)


def check_load_balancer(aws: Client, config: EnvConfig) -> None:
    """HTTP :80 redirects (301) to HTTPS; HTTPS :443 forwards to the ``ip`` target group with the ACM
    certificate of the app's host and the TLS 1.3 policy; invalid headers dropped; health check on
    ``[app] health_check.path``."""
    assert config.domain is not None
    elb = aws("elbv2")
    found = load_balancer(aws, config)
    assert (found["Type"], found["Scheme"]) == ("application", "internet-facing")
    attributes = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=found["LoadBalancerArn"])["Attributes"]
    }
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    listeners = {
        listener["Port"]: listener
        for listener in elb.describe_listeners(LoadBalancerArn=found["LoadBalancerArn"])["Listeners"]
    }
    assert set(listeners) == {80, 443}
    (redirect,) = listeners[80]["DefaultActions"]
    assert listeners[80]["Protocol"] == "HTTP"
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    assert redirect["RedirectConfig"]["Port"] == "443"
    assert redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"] == TLS_POLICY
    (certificate,) = https["Certificates"]
    acm = aws("acm").describe_certificate(CertificateArn=certificate["CertificateArn"])["Certificate"]
    assert acm["DomainName"] == config.domain.app_host
    assert acm["Status"] == "ISSUED"
    (forward,) = https["DefaultActions"]
    assert forward["Type"] == "forward"
    (group,) = elb.describe_target_groups(TargetGroupArns=[forward["TargetGroupArn"]])["TargetGroups"]
    assert group["TargetType"] == "ip"
    assert (group["Protocol"], group["Port"]) == ("HTTP", config.app.port)
    assert group["HealthCheckPath"] == config.app.health_check.path
    assert group["VpcId"] == _vpc_id(aws, config)
    assert service(aws, config)["loadBalancers"][0]["targetGroupArn"] == group["TargetGroupArn"]


def check_app_alias(aws: Client, config: EnvConfig) -> None:
    """``A`` alias of the app's host to the load balancer, and the certificate's validation CNAME."""
    assert config.domain is not None
    host = config.domain.app_host
    found = records(aws, config.domain.zone)
    alias = found[(_fqdn(host), "A")]["AliasTarget"]
    balancer = load_balancer(aws, config)
    assert alias["DNSName"].rstrip(".").lower() == balancer["DNSName"].lower()
    assert alias["HostedZoneId"] == balancer["CanonicalHostedZoneId"]
    assert alias["EvaluateTargetHealth"] is True
    assert (_fqdn(host), "CNAME") not in found  # an alias, not a CNAME
    acm = aws("acm")
    (summary,) = [c for c in acm.list_certificates()["CertificateSummaryList"] if c["DomainName"] == host]
    certificate = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
    for option in certificate["DomainValidationOptions"]:
        record = option["ResourceRecord"]
        validation = found[(_fqdn(record["Name"]), "CNAME")]
        assert [r["Value"] for r in validation["ResourceRecords"]] == [record["Value"]]


def check_network(aws: Client, config: EnvConfig) -> None:
    """A public and a private subnet in each configured zone, one NAT gateway (a public subnet's), and
    flow logs of all traffic."""
    ec2 = aws("ec2")
    vpc_id = _vpc_id(aws, config)
    subnets = _subnets(aws, vpc_id)
    zones = set(config.network.availability_zones)
    assert len(zones) == 2
    public, private = _public_subnet_ids(aws, vpc_id), _private_subnet_ids(aws, vpc_id)
    assert len(subnets) == 4
    zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}
    assert sorted(zone_of[s] for s in private) == sorted(zones)
    assert sorted(zone_of[s] for s in public) == sorted(zones)
    gateways = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    (nat,) = [g for g in gateways if g["State"] == "available"]
    assert nat["SubnetId"] in public
    logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    (flow,) = logs
    assert flow["TrafficType"] == "ALL"
    assert flow["LogDestinationType"] == "cloud-watch-logs"


def check_scaling(aws: Client, config: EnvConfig) -> None:
    """The service's scalable target (``min_size``..``max_size`` tasks) and its two target tracking
    policies (CPU, requests per target)."""
    name = config.name("web")
    resource = f"service/{name}/{name}"
    scaling = aws("application-autoscaling")
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])[
        "ScalableTargets"
    ]
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    sizes = config.app.auto_scaling
    assert (target["MinCapacity"], target["MaxCapacity"]) == (sizes.min_size, sizes.max_size)
    policies = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)[
        "ScalingPolicies"
    ]
    metrics = {
        p["PolicyName"]: p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
        for p in policies
    }
    assert {n: m["PredefinedMetricType"] for n, m in metrics.items()} == {
        f"{name}-cpu": "ECSServiceAverageCPUUtilization",
        f"{name}-requests": "ALBRequestCountPerTarget",
    }
    balancer = load_balancer(aws, config)["LoadBalancerArn"].split(":loadbalancer/", 1)[1]
    assert metrics[f"{name}-requests"]["ResourceLabel"].startswith(f"{balancer}/targetgroup/")


def published(aws: Client, config: EnvConfig) -> dict[str, str]:
    """The SSM parameters under ``/<project>/<env>/``, by their last segment."""
    prefix = f"/{config.project}/{config.environment.value}"
    parameters = aws("ssm").get_parameters_by_path(Path=prefix)["Parameters"]
    return {p["Name"].rsplit("/", 1)[-1]: p["Value"] for p in parameters}


def check_published(aws: Client, config: EnvConfig) -> None:
    """COMPUTE=ecs, the cluster's and the service's ARNs, the task family and the app's URL."""
    values = published(aws, config)
    name = config.name("web")
    found = service(aws, config)
    assert values["COMPUTE"] == "ecs"
    assert values["CLUSTER_ARN"] == found["clusterArn"]
    assert values["SERVICE_ARN"] == found["serviceArn"]
    assert values["TASK_FAMILY"] == name
    assert values["APP_URL"] == config.app_url
    assert "ECR_REPOSITORY_URL" in values


def check_gone(aws: Client, config: EnvConfig) -> None:
    """After destroy: no service, cluster, load balancer, target group, scaling, VPC, role, secret,
    repository or published parameter is left. The task definition's revisions stay registered
    (``skip_destroy``: a deployed revision must outlive a replaced stack) but ``INACTIVE`` is not asked:
    AWS keeps them ``ACTIVE`` too."""
    name = config.name("web")
    ecs = aws("ecs")
    assert all(c["status"] == "INACTIVE" for c in ecs.describe_clusters(clusters=[name])["clusters"])
    assert not ecs_service_exists(ecs, cluster=name, service=name)
    assert aws("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert aws("elbv2").describe_target_groups()["TargetGroups"] == []
    scaling = aws("application-autoscaling")
    assert scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    assert scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []
    ec2 = aws("ec2")
    assert not ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [_vpc_name(config)]}])["Vpcs"]
    assert not [g for g in ec2.describe_nat_gateways()["NatGateways"] if g["State"] != "deleted"]
    assert ec2.describe_flow_logs()["FlowLogs"] == []
    roles = {r["RoleName"] for r in aws("iam").list_roles()["Roles"]}
    assert not set(fargate_role_names(name)) & roles
    left = aws("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert not {s["Name"] for s in left} & set(config.secret_names)
    assert name not in {r["repositoryName"] for r in aws("ecr").describe_repositories()["repositories"]}
    assert published(aws, config) == {}
    assert aws("logs").describe_log_groups(logGroupNamePrefix=f"/ecs/{name}")["logGroups"] == []
