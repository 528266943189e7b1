"""The deploy tool: ``cora-infra outputs`` and ``cora-infra deploy-app`` (see :mod:`.cli`).

It finds everything from what the stack publishes in SSM (:mod:`constructs_lib.published_outputs`),
so a job with AWS credentials and no Terraform can deploy. boto3 is imported only when a command
runs (install the ``deploy`` extra: ``pip install 'cora-infra[deploy]'``).
"""

from constructs_lib.deploy.app import Clients, DeployRequest, deploy_app
from constructs_lib.deploy.cli import main
from constructs_lib.deploy.errors import BadInputError, DeployFailedError
from constructs_lib.deploy.health import health_url_for

__all__ = [
    "BadInputError",
    "Clients",
    "DeployFailedError",
    "DeployRequest",
    "deploy_app",
    "health_url_for",
    "main",
]
