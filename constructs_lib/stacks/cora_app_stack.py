"""``CoraAppStack``: one environment of a CORA project, composed from the library's constructs."""

from __future__ import annotations

from pathlib import Path

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from constructs_lib import (
    ApiCustomDomain,
    ApiCustomDomainProps,
    AppSecrets,
    AppSecretsProps,
    BackendConfig,
    CoraInfraError,
    DeliveryPolicies,
    DeployAppTargets,
    EcrRepo,
    EcrRepoProps,
    FeatureModuleInputs,
    HclFeatureModule,
    HclFeatureModuleProps,
    HostedZone,
    HostedZoneProps,
    InfraPlanTargets,
    ModularApiGateway,
    ModularApiGatewayProps,
    PublishedOutputs,
    PublishedOutputsProps,
    _aws,
    apply_backend,
    apply_policy,
    check_module_source,
    parameter_prefix,
)
from constructs_lib import published_outputs as published
from constructs_lib._runtime.ids import unique_id
from constructs_lib.compute.web_service import Compute, WebDomain, WebService
from constructs_lib.iam.delivery_policies import EcsDeployTargets, partition_of
from constructs_lib.policy.rules import PROTECTED_ENVIRONMENTS
from constructs_lib.stacks.config import EnvConfig
from constructs_lib.stacks.provider import add_aws_provider
from constructs_lib.stacks.web import web_service


class CoraAppStack(TerraformStack):
    """ECR → secrets → HTTP API → App Runner for one environment; the stack id is the environment name.

    With a ``[domain]`` the API and the app get their custom domains (records in the hosted zone), and
    every URL the app and CORS use comes from that table alone; without one (dev) the app takes its URL
    from the request (``AUTH_TRUST_HOST``), CORS admits ``*`` and the outputs give App Runner's and API
    Gateway's own URLs. ``backend`` defaults to the environment's S3 backend; tests and the local demo
    pass a :class:`~constructs_lib.LocalBackendConfig`.

    The ``[modules]`` feature modules are found from ``project_root`` (the folder of ``cdktf.json`` and
    ``config/``; :func:`constructs_lib.stacks.synth.run` passes the config folder's parent), each added
    as an :class:`~constructs_lib.HclFeatureModule` with the inputs ``name_prefix``
    (``<project>-<env>``), ``environment`` and ``tags`` (the config's), its routes wired into the API.
    A missing module folder is refused before any resource is created.
    """

    def __init__(
        self,
        scope: Construct,
        config: EnvConfig,
        *,
        backend: BackendConfig | None = None,
        project_root: Path | None = None,
    ) -> None:
        env = config.environment.value
        with unique_id("CoraAppStack", scope, env):
            super().__init__(scope, env)
        # Before any resource: a missing module is a config error, not a half-built stack.
        sources = _module_sources(config, project_root)
        # Images and secret values of stg and prd must not be lost to an ordinary apply.
        stateful = config.environment.value in PROTECTED_ENVIRONMENTS
        self.config = config

        add_aws_provider(
            self,
            region=config.region,
            account_id=config.account_id,
            emulator=config.emulator,
            network=config.app.compute is Compute.ECS,
            tags={**config.tags, "project": config.project, "environment": env, "managed-by": "cora-infra"},
        )
        apply_backend(self, backend or config.s3_backend)
        apply_policy(self, environment=config.environment)

        self.repository = EcrRepo(
            self,
            "web-repository",
            props=EcrRepoProps(
                name=config.name("web"),
                keep_tagged_images=config.ecr.keep_tagged_images,
                keep_healthy_images=config.ecr.keep_healthy_images,
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
                recovery_window_days=config.secret_recovery_window_days,
                # Secrets Manager tests a new rotation at once, and the secrets start empty: rotation
                # comes with the service, once the preflight has seen every value.
                rotation=config.app.secret_rotation if config.app.create_service else None,
                prevent_destroy=stateful,
            ),
        )
        domain = config.domain
        self.zone: HostedZone | None = None
        if domain is not None:
            self.zone = HostedZone(
                self, "zone", props=HostedZoneProps(name=domain.zone, zone_id=domain.zone_id)
            )
        self.api = ModularApiGateway(
            self,
            "api",
            props=ModularApiGatewayProps(
                name=config.name("api"),
                description=f"{config.project} {env} HTTP API",
                cors=config.cors_config,
                disable_execute_api_endpoint=domain is not None and domain.disable_execute_api_endpoint,
                throttling=config.api.throttling,
                log_retention_days=config.api.log_retention_days,
                log_kms_key_arn=config.encryption.kms_key_arn,
                authorizers=(config.jwt_authorizer,),
                routes=config.api.routes,
            ),
        )
        self.feature_modules = tuple(
            HclFeatureModule(
                self,
                f"module-{name}",
                props=HclFeatureModuleProps(
                    name=name,
                    source=source,
                    inputs=FeatureModuleInputs(
                        name_prefix=f"{config.project}-{env}", environment=env, tags=config.tags
                    ),
                ),
            )
            for name, source in sources.items()
        )
        for module in self.feature_modules:
            self.api.add_feature_module(module)
        self.api_domain: ApiCustomDomain | None = None
        if domain is not None and self.zone is not None:
            self.api_domain = ApiCustomDomain(
                self,
                "api-domain",
                props=ApiCustomDomainProps(api=self.api, zone=self.zone, domain_name=domain.api_host),
            )
        # From [domain], known before any deploy; without one, NextAuth takes its URL from the request.
        urls = {"NEXTAUTH_URL": config.app_url} if config.app_url else {"AUTH_TRUST_HOST": "true"}
        # Without the service (the first deploy phase) its roles are still created: by the time the
        # service is, IAM has propagated them.
        self.web: WebService = web_service(
            self,
            config,
            repository=self.repository,
            environment={
                "NODE_ENV": "production",
                # Both URLs come from config (or the API resource), never from the service: CORS
                # (admits the app) and the app (calls the API) form no cycle.
                "NEXT_PUBLIC_API_URL": config.api_url or self.api.api_endpoint,
                **urls,
                "OKTA_ISSUER": config.auth.okta_issuer,
                "OKTA_CLIENT_ID": config.auth.okta_client_id,
                "SUPABASE_URL": config.supabase.url,
            },
            secrets=self.secrets.by_env_name,
        )
        self.web_domain: WebDomain | None = None
        # App Runner associates a domain with a running service; a load balancer takes its certificate
        # from the first phase on (validation has the time the image and secrets take).
        if domain is not None and self.zone is not None and self._has_url:
            self.web_domain = self.web.add_custom_domain(
                self, "web-domain", zone=self.zone, domain_name=domain.app_host, enable_www=domain.www
            )
        self.delivery = self._delivery_policies(config)
        self._outputs(config)
        self.published = self._publish(config)

    @property
    def _has_url(self) -> bool:
        # An App Runner service has its URL once created; a load balancer from the first phase on.
        return self.web.created or self.web.compute is Compute.ECS

    @property
    def _backend_name(self) -> str:
        return "App Runner" if self.web.compute is Compute.APPRUNNER else "the load balancer"

    def _delivery_policies(self, config: EnvConfig) -> DeliveryPolicies:
        """The policies a team attaches to its deploy-app and infra plan roles (from phase 1 on: the
        service is named by its ARN pattern, so the policy does not change when it is created)."""
        backend = config.s3_backend
        state = InfraPlanTargets(
            partition=partition_of(backend.region),
            state_bucket=backend.bucket,
            state_key=backend.key,
            state_region=backend.region,
            state_kms_key_arn=backend.kms_key_id,
        )
        account = _aws.DataAwsCallerIdentity(self, "account")
        secret_arns = tuple(secret.arn for secret in self.secrets.by_env_name.values())
        targets: DeployAppTargets | EcsDeployTargets
        if self.web.compute is Compute.ECS:
            from constructs_lib.compute.fargate_service import FargateService  # noqa: PLC0415 - ECS only

            assert isinstance(self.web, FargateService)  # what compute ECS builds
            name = config.name("web")
            targets = EcsDeployTargets(
                partition=partition_of(config.region),
                region=config.region,
                account=account.account_id,
                parameter_path=parameter_prefix(config.project, config.environment.value),
                repository_arn=self.repository.repository_arn,
                cluster_name=name,
                service_name=name,
                task_family=self.web.task_family,
                execution_role_arn=self.web.execution_role_arn,
                task_role_arn=self.web.task_role_arn,
                log_group_name=self.web.props.log_group_name,
                secret_arns=secret_arns,
                state=state,
            )
        else:
            targets = DeployAppTargets(
                partition=partition_of(config.region),
                region=config.region,
                account=account.account_id,
                parameter_path=parameter_prefix(config.project, config.environment.value),
                repository_arn=self.repository.repository_arn,
                service_name=config.name("web"),
                access_role_arn=self.web.deploy_roles.role_arns[0],
                secret_arns=secret_arns,
                state=state,
            )
        prefix = f"{config.project}-{config.environment.value}"
        return DeliveryPolicies(self, "delivery-policies", prefix=prefix, deploy_app=targets)

    def _publish(self, config: EnvConfig) -> PublishedOutputs:
        """What a deploy job in another repository needs, readable with AWS credentials alone."""
        values = {
            published.ECR_REPOSITORY_URL: self.repository.repository_url,
            published.API_URL: config.api_url or self.api.api_endpoint,
            published.STATE_LOCK: self.delivery.targets.state.lock_url,
            published.DEPLOY_APP_POLICY_ARN: self.delivery.deploy_app_arn,
            published.INFRA_PLAN_POLICY_ARN: self.delivery.infra_plan_arn,
        }
        if self.web.created:
            values[published.SERVICE_ARN] = self.web.service_arn
        values.update(self.web.deploy_outputs())
        app_url = config.app_url or (self.web.service_url if self._has_url else None)
        if app_url is not None:
            values[published.APP_URL] = app_url
        return PublishedOutputs(
            self,
            "published-outputs",
            props=PublishedOutputsProps(
                prefix=parameter_prefix(config.project, config.environment.value), values=values
            ),
        )

    def _outputs(self, config: EnvConfig) -> None:
        if config.app_url:
            TerraformOutput(self, "app_url", value=config.app_url, description="The app ([domain] app_host)")
        elif self._has_url:
            TerraformOutput(
                self,
                "app_url",
                value=self.web.service_url,
                description=f"The app: {self._backend_name}'s URL (no [domain])",
            )
        api_url = config.api_url or self.api.api_endpoint
        where = "[domain] api_host" if config.api_url else "API Gateway's execute-api URL (no [domain])"
        TerraformOutput(self, "api_url", value=api_url, description=f"The API, NEXT_PUBLIC_API_URL: {where}")
        TerraformOutput(
            self,
            "app_origins",
            value=list(config.cors_config.allow_origins),
            description="The origins the API's CORS admits",
        )
        if self.web_domain is not None:
            TerraformOutput(
                self,
                "app_dns_target",
                value=self.web_domain.dns_target,
                description="App Runner's name the app's records point at",
            )
        if self.web.created:
            TerraformOutput(
                self, "service_url", value=self.web.service_url, description=f"{self._backend_name} URL"
            )
            TerraformOutput(
                self,
                "service_arn",
                value=self.web.service_arn,
                description="For update-service (a new image) and start-deployment (new secret values)",
            )
        disabled = config.domain is not None and config.domain.disable_execute_api_endpoint
        TerraformOutput(
            self,
            "api_endpoint",
            value=self.api.api_endpoint,
            description="execute-api URL (disabled: use api_url)" if disabled else "HTTP API URL",
        )
        TerraformOutput(
            self, "ecr_repository_url", value=self.repository.repository_url, description="Push images here"
        )
        TerraformOutput(
            self,
            "deploy_app_policy_arn",
            value=self.delivery.deploy_app_arn,
            description="Attach to the role deploy-app jobs assume (cora-infra deploy-app, image push)",
        )
        TerraformOutput(
            self,
            "infra_plan_policy_arn",
            value=self.delivery.infra_plan_arn,
            description="Attach, with AWS's ReadOnlyAccess, to the plan role of pull requests",
        )
        TerraformOutput(
            self,
            "secret_names",
            value=[s.name for s in self.secrets.by_env_name.values()],
            description="Secrets to fill with `aws secretsmanager put-secret-value` (names, never values)",
        )


def _module_sources(config: EnvConfig, project_root: Path | None) -> dict[str, Path]:
    """Module name → its folder, every ``[modules]`` name checked (all problems in one error)."""
    modules = config.modules
    if not modules.names:
        return {}
    if project_root is None:
        raise CoraInfraError(
            f"modules.names: {list(modules.names)} are HCL feature modules, found from the project root, "
            "but none was given: pass CoraAppStack(..., project_root=...) (the folder of cdktf.json and "
            "config/; synth.run and build_app pass the config folder's parent)"
        )
    sources: dict[str, Path] = {}
    problems: list[str] = []
    for name in modules.names:
        try:
            sources[name] = check_module_source(
                project_root, project=config.project, layout=modules.layout, name=name
            )
        except CoraInfraError as err:
            problems.append(str(err))
    if problems:
        raise CoraInfraError("\n".join(problems))
    return sources
