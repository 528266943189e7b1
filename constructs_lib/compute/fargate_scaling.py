"""Auto scaling of a :class:`~constructs_lib.FargateService`: App Runner's ``AutoScaling`` settings as
Application Auto Scaling of the ECS service's task count.

``min_size``/``max_size`` bound the task count. ``max_concurrency`` (App Runner: concurrent requests
per instance before it adds one) has no ECS equivalent; the nearest metric is the load balancer's
``ALBRequestCountPerTarget``, requests per task *per minute*. By Little's law, concurrency = arrival
rate x time in the system, so ``max_concurrency`` concurrent requests of about one second each are
``max_concurrency`` requests per second, x 60 per minute (:func:`requests_per_target`). An app whose
requests take longer than a second scales later than App Runner would; a second policy on average CPU
(70 %) catches that case. Either policy scales out; scale-in needs both to agree.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib import _aws
from constructs_lib.compute.app_runner_service import AutoScaling
from constructs_lib.network.load_balancer import fit_name

__all__ = ["CPU_TARGET_PERCENT", "SECONDS_PER_REQUEST", "add_auto_scaling", "requests_per_target"]

#: Average CPU the second policy holds the service at.
CPU_TARGET_PERCENT = 70
#: The request duration assumed when turning concurrency into a request rate.
SECONDS_PER_REQUEST = 1
_MAX_POLICY_NAME = 255
_DIMENSION = "ecs:service:DesiredCount"


def requests_per_target(max_concurrency: int) -> int:
    """The ``ALBRequestCountPerTarget`` target (requests per task per minute) for App Runner's
    ``max_concurrency``: ``max_concurrency x 60 / SECONDS_PER_REQUEST``."""
    return max_concurrency * 60 // SECONDS_PER_REQUEST


def add_auto_scaling(
    scope: Construct, *, name: str, resource_id: str, scaling: AutoScaling, request_count_label: str
) -> _aws.AppautoscalingTarget:
    """The scalable target (``min_size``-``max_size`` tasks) and its two target-tracking policies.

    ``resource_id`` is ``service/<cluster>/<service>``; ``request_count_label`` is
    ``<load balancer arn suffix>/<target group arn suffix>``.
    """
    target = _aws.AppautoscalingTarget(
        scope,
        "scaling-target",
        service_namespace="ecs",
        scalable_dimension=_DIMENSION,
        resource_id=resource_id,
        min_capacity=scaling.min_size,
        max_capacity=scaling.max_size,
    )
    policies = (
        (
            "requests",
            "ALBRequestCountPerTarget",
            requests_per_target(scaling.max_concurrency),
            request_count_label,
        ),
        ("cpu", "ECSServiceAverageCPUUtilization", CPU_TARGET_PERCENT, None),
    )
    for kind, metric, value, resource_label in policies:
        _aws.AppautoscalingPolicy(
            scope,
            f"scaling-{kind}",
            name=fit_name(name, _MAX_POLICY_NAME, f"-{kind}"),
            policy_type="TargetTrackingScaling",
            service_namespace="ecs",
            scalable_dimension=_DIMENSION,
            resource_id=resource_id,
            target_tracking_scaling_policy_configuration=_aws.AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                target_value=value,
                predefined_metric_specification=_aws.AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                    predefined_metric_type=metric, resource_label=resource_label
                ),
                # Out quickly, in slowly: a new task takes a minute or two to pass its health checks.
                scale_out_cooldown=60,
                scale_in_cooldown=300,
            ),
            depends_on=[target],
        )
    return target
