"""Reading what the stack publishes under ``/<project>/<env>/`` (SSM ``String`` parameters).

Only AWS credentials are needed: no Terraform, no state, no config files (see
:mod:`constructs_lib.published_outputs`, which writes them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from constructs_lib.deploy.errors import BadInputError
from constructs_lib.published_outputs import parameter_prefix

__all__ = ["read_all", "read_required", "require"]


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


def read_required(
    ssm: Any, project: str, environment: str, names: Iterable[str], optional: Iterable[str] = ()
) -> dict[str, str]:
    """The values ``names`` (and those of ``optional`` that exist, in the same call);
    :class:`BadInputError` naming every missing one of ``names``."""
    prefix = parameter_prefix(project, environment)
    required = {f"{prefix}/{name}": name for name in names}
    wanted = {**{f"{prefix}/{name}": name for name in optional}, **required}
    found = ssm.get_parameters(Names=sorted(wanted))
    values = {wanted[p["Name"]]: p["Value"] for p in found["Parameters"]}
    require(values, project, environment, required.values())
    return values


def require(values: dict[str, str], project: str, environment: str, names: Iterable[str]) -> None:
    """:class:`BadInputError` naming every one of ``names`` that ``values`` lacks."""
    prefix = parameter_prefix(project, environment)
    missing = sorted(f"{prefix}/{name}" for name in names if name not in values)
    if missing:
        raise BadInputError(f"missing SSM parameter(s) {', '.join(missing)}: {_hint(prefix)}")
