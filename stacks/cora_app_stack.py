"""``CoraAppStack``: one environment of a CORA project, composed from the library's constructs."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from constructs_lib import (
    AppRunnerService,
    AppRunnerServiceProps,
    AppSecrets,
    AppSecretsProps,
    BackendConfig,
    EcrRepo,
    EcrRepoProps,
    ModularApiGateway,
    ModularApiGatewayProps,
    apply_backend,
    apply_policy,
)
from constructs_lib.policy_rules import PROTECTED_ENVIRONMENTS
from stacks.config import EnvConfig
from stacks.provider import add_aws_provider


class CoraAppStack(TerraformStack):
    """ECR → secrets → HTTP API → App Runner for one environment; the stack id is the environment name.

    ``backend`` defaults to the environment's S3 backend; tests and the local demo pass a
    :class:`~constructs_lib.LocalBackendConfig`.
    """

    def __init__(self, scope: Construct, config: EnvConfig, *, backend: BackendConfig | None = None) -> None:
        env = config.environment.value
        super().__init__(scope, env)
        # Images and secret values of stg and prd must not be lost to an ordinary apply.
        stateful = config.environment.value in PROTECTED_ENVIRONMENTS
        self.config = config

        add_aws_provider(
            self,
            region=config.region,
            account_id=config.account_id,
            emulator=config.emulator,
            tags={**config.tags, "project": config.project, "environment": env, "managed-by": "cora-infra"},
        )
        apply_backend(self, backend or config.s3_backend)
        apply_policy(self, environment=env)

        self.repository = EcrRepo(
            self,
            "web-repository",
            props=EcrRepoProps(
                name=config.name("web"),
                keep_tagged_images=config.ecr.keep_tagged_images,
                untagged_expiry_days=config.ecr.untagged_expiry_days,
                force_delete=config.ecr.force_delete,
                kms_key_arn=config.encryption.kms_key_arn,
                prevent_destroy=stateful,
            ),
        )
        self.secrets = AppSecrets(
            self,
            "web-secrets",
            props=AppSecretsProps(
                prefix=config.secret_prefix,
                names=config.app.secrets,
                kms_key_arn=config.encryption.kms_key_arn,
                # Secrets Manager tests a new rotation at once, and the secrets start empty: rotation
                # comes with the service, once the preflight has seen every value.
                rotation=config.app.secret_rotation if config.app.create_service else None,
                prevent_destroy=stateful,
            ),
        )
        self.api = ModularApiGateway(
            self,
            "api",
            props=ModularApiGatewayProps(
                name=config.name("api"),
                description=f"{config.project} {env} HTTP API",
                cors=config.cors_config,
                throttling=config.api.throttling,
                log_retention_days=config.api.log_retention_days,
                log_kms_key_arn=config.encryption.kms_key_arn,
                authorizers=(config.jwt_authorizer,),
                routes=config.api.routes,
            ),
        )
        app = config.app
        # Without the service (the first deploy phase) its roles are still created: by the time the
        # service is, IAM has propagated them.
        self.web = AppRunnerService(
            self,
            "web",
            props=AppRunnerServiceProps(
                create_service=app.create_service,
                service_name=config.name("web"),
                repository=self.repository,
                image_tag=app.image_tag,
                port=app.port,
                cpu=app.cpu,
                memory=app.memory,
                health_check=app.health_check,
                auto_scaling=app.auto_scaling,
                auto_deployments_enabled=app.auto_deployments_enabled,
                environment={
                    "NODE_ENV": "production",
                    # The API URL comes from the API resource; the app URL from config, never from
                    # the service: CORS (admits the app) and the app (calls the API) form no cycle.
                    "NEXT_PUBLIC_API_URL": self.api.api_endpoint,
                    # Without a domain NextAuth takes its URL from the request's host.
                    **({"NEXTAUTH_URL": config.app_url} if config.app_url else {"AUTH_TRUST_HOST": "true"}),
                    "OKTA_ISSUER": config.auth.okta_issuer,
                    "OKTA_CLIENT_ID": config.auth.okta_client_id,
                    "SUPABASE_URL": config.supabase.url,
                },
                secrets=self.secrets.by_env_name,
            ),
        )

        if self.web.service is not None:
            TerraformOutput(self, "service_url", value=self.web.service_url, description="App Runner URL")
            TerraformOutput(
                self,
                "service_arn",
                value=self.web.service_arn,
                description="For update-service (a new image) and start-deployment (new secret values)",
            )
        TerraformOutput(self, "api_endpoint", value=self.api.api_endpoint, description="HTTP API URL")
        TerraformOutput(
            self, "ecr_repository_url", value=self.repository.repository_url, description="Push images here"
        )
        TerraformOutput(
            self,
            "secret_names",
            value=[s.name for s in self.secrets.by_env_name.values()],
            description="Secrets to fill with `aws secretsmanager put-secret-value` (names, never values)",
        )
