"""The provider classes acme uses that cora-infra does not wrap: the one module importing the bindings.

``constructs_lib.aws`` comes first (ruff's isort sections keep it there; banned-api keeps the bindings
out of every other module): imported after it, only the modules named here load.
"""

from __future__ import annotations

import constructs_lib.aws  # noqa: F401 - first: loads the provider bindings lazily

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic

__all__ = ["CloudwatchMetricAlarm", "SnsTopic"]
