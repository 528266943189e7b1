"""``AlertsStack``: an encrypted SNS topic for acme's alarms and an alarm on the API's 5xx responses."""

from __future__ import annotations

from constructs_lib import LocalBackendConfig, S3BackendConfig, apply_backend, apply_policy
from constructs_lib.stacks import EnvConfig
from constructs_lib.stacks.provider import add_aws_provider

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from stacks.aws import CloudwatchMetricAlarm, SnsTopic


class AlertsStack(TerraformStack):
    """``alerts-<env>``: its own state next to the environment stack's, the same account and region."""

    def __init__(self, scope: Construct, config: EnvConfig, *, local_state: bool = False) -> None:
        env = config.environment.value
        super().__init__(scope, f"alerts-{env}")
        add_aws_provider(
            self,
            region=config.region,
            account_id=config.account_id,
            tags={"project": config.project, "environment": env, "managed-by": "acme"},
        )
        state = config.s3_backend
        apply_backend(
            self,
            LocalBackendConfig(path=f"alerts.{env}.tfstate")
            if local_state
            else S3BackendConfig(
                bucket=state.bucket, key=f"{config.project}/{env}/alerts.tfstate", region=state.region
            ),
        )
        apply_policy(self, environment=config.environment)
        topic = SnsTopic(
            self, "alerts", name=f"{config.project}-{env}-alerts", kms_master_key_id="alias/aws/sns"
        )
        CloudwatchMetricAlarm(
            self,
            "api-5xx",
            alarm_name=f"{config.project}-{env}-api-5xx",
            namespace="AWS/ApiGateway",
            metric_name="5xx",
            statistic="Sum",
            period=300,
            evaluation_periods=1,
            threshold=5,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[topic.arn],
        )
        TerraformOutput(self, "alerts_topic_arn", value=topic.arn)
