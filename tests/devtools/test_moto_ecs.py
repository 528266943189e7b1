"""devtools.moto_ecs (installed by ``running()``): Application Auto Scaling keeps tags, ECS services keep
their deployment settings and run their tasks, Fargate task definitions size their tasks, and security
group rules keep the description of a referenced group, load balancers default to internet-facing.
The whole ECS stack applies, re-plans clean and destroys in tests/deploy/test_local_deploy_ecs.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devtools import moto_ecs

Client = Callable[[str], Any]
CLUSTER = "cora-test"
SERVICE = "cora-test-web"


def network(aws: Client) -> dict[str, Any]:
    """A VPC with one subnet and two security groups (``alb``, ``tasks``)."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")
    groups = {
        name: ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        for name in ("alb", "tasks")
    }
    return {"vpc": vpc, "subnet": subnet["Subnet"]["SubnetId"], **groups}


def task_definition(aws: Client, image: str = "web:1") -> str:
    """A Fargate task definition sized at the task level only (its container has no ``memory``)."""
    arn: str = aws("ecs").register_task_definition(
        family="cora-test-web",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="2048",
        runtimePlatform={"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        containerDefinitions=[
            {"name": "web", "image": image, "essential": True, "portMappings": [{"containerPort": 3000}]}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    return arn


def create_service(aws: Client, net: dict[str, Any], definition: str, **extra: Any) -> dict[str, Any]:
    ecs = aws("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    service: dict[str, Any] = ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=definition,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": [net["subnet"]], "securityGroups": [net["tasks"]]}
        },
        **extra,
    )["service"]
    return service


def describe_service(aws: Client) -> dict[str, Any]:
    (service,) = aws("ecs").describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
    return dict(service)


def running_tasks(aws: Client) -> list[dict[str, Any]]:
    ecs = aws("ecs")
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE, desiredStatus="RUNNING")["taskArns"]
    if not arns:
        return []
    return list(ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"])


# ---------------------------------------------------------------- Application Auto Scaling tags


def scalable_target(aws: Client, tags: dict[str, str]) -> str:
    create_service(aws, network(aws), task_definition(aws))
    arn: str = aws("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{CLUSTER}/{SERVICE}",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=4,
        Tags=tags,
    )["ScalableTargetARN"]
    return arn


def test_a_scalable_target_keeps_the_tags_it_was_registered_with(aws):
    arn = scalable_target(aws, {"project": "cora", "environment": "local"})
    tags = aws("application-autoscaling").list_tags_for_resource(ResourceARN=arn)["Tags"]
    assert tags == {"project": "cora", "environment": "local"}


def test_tags_of_a_scalable_target_are_added_overwritten_and_removed(aws):
    scaling = aws("application-autoscaling")
    arn = scalable_target(aws, {"project": "cora", "owner": "a"})
    scaling.tag_resource(ResourceARN=arn, Tags={"owner": "b", "cost": "web"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["project"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"owner": "b", "cost": "web"}


def test_tag_calls_on_an_unknown_scalable_target_are_refused(aws):
    arn = "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/0123456789abcdef"
    with pytest.raises(ClientError) as caught:
        aws("application-autoscaling").list_tags_for_resource(ResourceARN=arn)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


# ---------------------------------------------------------------- ECS services


def test_a_service_reports_the_deployment_settings_it_was_created_with(aws):
    net = network(aws)
    create_service(
        aws,
        net,
        task_definition(aws),
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
        healthCheckGracePeriodSeconds=60,
        enableECSManagedTags=True,
        propagateTags="SERVICE",
        availabilityZoneRebalancing="ENABLED",
    )
    service = describe_service(aws)
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["enableECSManagedTags"] is True
    assert service["enableExecuteCommand"] is False
    assert service["availabilityZoneRebalancing"] == "ENABLED"


def test_a_service_created_without_settings_reports_ecs_defaults(aws):
    create_service(aws, network(aws), task_definition(aws))
    service = describe_service(aws)
    assert service["deploymentConfiguration"] == moto_ecs.DEFAULT_DEPLOYMENT_CONFIGURATION
    assert (service["healthCheckGracePeriodSeconds"], service["enableECSManagedTags"]) == (0, False)


def test_a_new_service_runs_its_tasks_and_its_deployment_completes(aws):
    definition = task_definition(aws)
    create_service(aws, network(aws), definition)
    service = describe_service(aws)
    assert (service["runningCount"], service["pendingCount"]) == (2, 0)
    (deployment,) = service["deployments"]
    assert (deployment["status"], deployment["rolloutState"]) == ("PRIMARY", "COMPLETED")
    assert deployment["taskDefinition"] == definition
    assert "has reached a steady state" in service["events"][0]["message"]
    for _ in range(2):  # moto would report a task STOPPED as soon as it is described
        tasks = running_tasks(aws)
        assert [t["lastStatus"] for t in tasks] == ["RUNNING", "RUNNING"]
    assert {t["taskDefinitionArn"] for t in tasks} == {definition}
    assert {t["startedBy"] for t in tasks} == {deployment["id"]}


def test_a_new_task_definition_is_a_new_deployment_that_replaces_every_task(aws):
    first = task_definition(aws, "web:1")
    create_service(aws, network(aws), first)
    old = describe_service(aws)["deployments"][0]["id"]
    second = task_definition(aws, "web:2")
    aws("ecs").update_service(cluster=CLUSTER, service=SERVICE, taskDefinition="cora-test-web:2")
    service = describe_service(aws)
    (deployment,) = service["deployments"]
    assert deployment["id"] != old
    assert (service["taskDefinition"], deployment["taskDefinition"]) == (second, second)
    assert deployment["rolloutState"] == "COMPLETED"
    assert {t["taskDefinitionArn"] for t in running_tasks(aws)} == {second}


def test_a_count_change_scales_the_current_deployment(aws):
    create_service(aws, network(aws), task_definition(aws))
    before = describe_service(aws)["deployments"][0]["id"]
    aws("ecs").update_service(cluster=CLUSTER, service=SERVICE, desiredCount=3)
    service = describe_service(aws)
    assert service["deployments"][0]["id"] == before
    assert (service["runningCount"], len(running_tasks(aws))) == (3, 3)


def test_a_forced_deployment_gets_a_new_id(aws):
    create_service(aws, network(aws), task_definition(aws))
    before = describe_service(aws)["deployments"][0]["id"]
    aws("ecs").update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)
    assert describe_service(aws)["deployments"][0]["id"] != before


def test_a_deleted_service_leaves_no_task_running(aws):
    create_service(aws, network(aws), task_definition(aws))
    ecs = aws("ecs")
    ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=0)
    ecs.delete_service(cluster=CLUSTER, service=SERVICE)
    assert ecs.list_tasks(cluster=CLUSTER, desiredStatus="RUNNING")["taskArns"] == []
    assert ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["runningTasksCount"] == 0


def test_a_task_of_a_fargate_task_definition_without_container_memory_runs(aws):
    net = network(aws)
    aws("ecs").create_cluster(clusterName=CLUSTER)
    definition = task_definition(aws)
    (task,) = aws("ecs").run_task(
        cluster=CLUSTER,
        taskDefinition=definition,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": [net["subnet"]], "securityGroups": [net["tasks"]]}
        },
    )["tasks"]
    assert (task["taskDefinitionArn"], task["launchType"]) == (definition, "FARGATE")


# ---------------------------------------------------------------- security group rules


def test_a_rule_that_references_a_group_keeps_its_description(aws):
    net = network(aws)
    aws("ec2").authorize_security_group_ingress(
        GroupId=net["tasks"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 3000,
                "ToPort": 3000,
                "UserIdGroupPairs": [{"GroupId": net["alb"], "Description": "from the ALB"}],
            }
        ],
    )
    rules = aws("ec2").describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [net["tasks"]]}])
    (ingress,) = [r for r in rules["SecurityGroupRules"] if not r["IsEgress"]]
    assert ingress["ReferencedGroupInfo"]["GroupId"] == net["alb"]
    assert ingress["Description"] == "from the ALB"


def test_a_load_balancer_created_without_a_scheme_is_internet_facing(aws):
    net = network(aws)
    second = aws("ec2").create_subnet(
        VpcId=net["vpc"], CidrBlock="10.9.2.0/24", AvailabilityZone="us-east-1b"
    )
    elbv2 = aws("elbv2")
    arn = elbv2.create_load_balancer(Name="no-scheme", Subnets=[net["subnet"], second["Subnet"]["SubnetId"]])[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    (described,) = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    assert described["Scheme"] == "internet-facing"  # AWS's default, what the provider reads back


def test_install_is_idempotent_and_uninstall_restores_moto():
    was = moto_ecs.installed()
    try:
        moto_ecs.install()
        moto_ecs.install()
        assert moto_ecs.installed()
        moto_ecs.uninstall()
        assert not moto_ecs.installed()
        from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

        assert not hasattr(ApplicationAutoScalingResponse, "list_tags_for_resource")
    finally:
        if was:
            moto_ecs.install()
