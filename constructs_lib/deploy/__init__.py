"""The deploy tool: ``cora-infra outputs``, ``cora-infra preflight`` and ``cora-infra deploy-app``
(see :mod:`.cli`).

It finds everything from what the stack publishes in SSM (:mod:`constructs_lib.published_outputs`),
so a job with AWS credentials and no Terraform can deploy: to App Runner (:func:`deploy_app`) or, when
the stack publishes ``COMPUTE=ecs``, to ECS Fargate (:func:`deploy_ecs`). ``preflight`` reads
``config/<env>.toml``.
boto3 (and dnspython, for the preflight's delegation check) are imported only when a command runs
(install the ``deploy`` extra: ``pip install 'cora-infra[deploy]'``).
"""

from constructs_lib.deploy.app import Clients, DeployRequest, deploy_app
from constructs_lib.deploy.cli import main
from constructs_lib.deploy.ecs import EcsClients, EcsTarget, deploy_ecs
from constructs_lib.deploy.errors import BadInputError, DeployFailedError, DeployInterruptedError
from constructs_lib.deploy.health import health_url_for
from constructs_lib.deploy.lock import LockHeldError, StateLock

__all__ = [
    "BadInputError",
    "Clients",
    "DeployFailedError",
    "DeployInterruptedError",
    "DeployRequest",
    "EcsClients",
    "EcsTarget",
    "LockHeldError",
    "StateLock",
    "deploy_app",
    "deploy_ecs",
    "health_url_for",
    "main",
]
