"""Reading what the stack publishes under ``/<project>/<env>/`` (SSM ``String`` parameters).

Only AWS credentials are needed: no Terraform, no state, no config files (see
:mod:`constructs_lib.published_outputs`, which writes them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from constructs_lib.deploy.errors import BadInputError
from constructs_lib.published_outputs import parameter_prefix

__all__ = ["read_all", "read_required"]


def _hint(prefix: str) -> str:
    return (
        f"the stack publishes them under {prefix}/ when it is deployed (make deploy); SERVICE_ARN and"
        " APP_URL appear once the App Runner service exists (the second phase of a first deploy),"
        " STATE_LOCK with cora-infra 0.4 (deploy the stack again after upgrading)"
    )


def read_all(ssm: Any, project: str, environment: str) -> dict[str, str]:
    """Every published value of the environment, by name; :class:`BadInputError` when there are none."""
    prefix = parameter_prefix(project, environment)
    values: dict[str, str] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=prefix, Recursive=False):
        for parameter in page["Parameters"]:
            values[parameter["Name"][len(prefix) + 1 :]] = parameter["Value"]
    if not values:
        raise BadInputError(f"no SSM parameters under {prefix}/: {_hint(prefix)}")
    return dict(sorted(values.items()))


def read_required(ssm: Any, project: str, environment: str, names: Iterable[str]) -> dict[str, str]:
    """The values ``names``; :class:`BadInputError` naming every missing parameter."""
    prefix = parameter_prefix(project, environment)
    wanted = {f"{prefix}/{name}": name for name in names}
    found = ssm.get_parameters(Names=sorted(wanted))
    values = {wanted[p["Name"]]: p["Value"] for p in found["Parameters"]}
    missing = sorted(
        set(found.get("InvalidParameters", [])) | (set(wanted) - {f"{prefix}/{n}" for n in values})
    )
    if missing:
        raise BadInputError(f"missing SSM parameter(s) {', '.join(missing)}: {_hint(prefix)}")
    return values
