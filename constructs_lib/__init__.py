"""cora-infra: cdktf constructs for a containerised Next.js app on App Runner or ECS Fargate, and its API.

The public API is everything in ``__all__``; other names are private and may change. Versions follow
semantic versioning (see CHANGELOG.md).
"""

__version__ = "0.5.0"

# First: starts the jsii kernel as one node process, before anything imports cdktf (see _runtime/kernel.py).
import constructs_lib._runtime.kernel  # noqa: F401, I001
from constructs_lib._runtime import moved as _moved

# While node boots on the other core (~80 ms): the pure-Python imports that need no kernel.
import pydantic  # noqa: F401
import typeguard  # noqa: F401
import importlib
from typing import TYPE_CHECKING
from constructs_lib.api.custom_domain import ApiCustomDomain, ApiCustomDomainProps
from constructs_lib.compute.app_runner_domain import AppRunnerCustomDomain, AppRunnerCustomDomainProps
from constructs_lib.compute.app_runner_service import (
    AppRunnerService,
    AppRunnerServiceProps,
    AutoScaling,
    Cpu,
    HealthCheck,
    HealthCheckProtocol,
    Memory,
)
from constructs_lib.iam.delivery_policies import (
    DeliveryPolicies,
    DeployAppTargets,
    EcsDeployTargets,
    InfraPlanTargets,
)
from constructs_lib.compute.ecr_repo import EcrRepo, EcrRepoProps, TagMutability
from constructs_lib.environment import SHARED, Environment, PolicyEnvironment
from constructs_lib.errors import ConfigError, CoraInfraError
from constructs_lib.api.feature_modules import (
    FeatureModule,
    FeatureModuleInputs,
    HclFeatureModule,
    HclFeatureModuleProps,
    ModuleLayout,
    check_module_source,
    module_source_dir,
)
from constructs_lib.dns.hosted_zone import HostedZone, HostedZoneProps
from constructs_lib.iam.statements import PolicyStatement
from constructs_lib.api.modular_api_gateway import (
    AnyRoutePreflight,
    ApiModule,
    ApiRoute,
    CorsConfig,
    HclRoutes,
    HttpIntegration,
    HttpMethod,
    JwtAuthorizer,
    LambdaAuthorizer,
    LambdaIntegration,
    ModularApiGateway,
    ModularApiGatewayProps,
    Throttling,
)
from constructs_lib.policy.organisation import (
    RULES,
    OrganisationPolicy,
    PolicyViolationError,
    Rule,
    Violation,
    apply_policy,
    check_app,
    suppress,
)
from constructs_lib.published_outputs import PublishedOutputs, PublishedOutputsProps, parameter_prefix
from constructs_lib.secrets import AppSecrets, AppSecretsProps, Secret, SecretProps, SecretRotation
from constructs_lib.state_backend import (
    BackendConfig,
    LocalBackendConfig,
    S3BackendConfig,
    StateBucket,
    StateBucketProps,
    apply_backend,
)

_moved.install()  # the flat module paths of releases before 0.5 keep importing

# The ECS backend's names load on first use (PEP 562 below): an App Runner synth never imports them.
_ON_FIRST_USE = {
    "Compute": "constructs_lib.compute.web_service",
    "WebService": "constructs_lib.compute.web_service",
    "WebDomain": "constructs_lib.compute.web_service",
    "FargateCpu": "constructs_lib.compute.fargate_sizes",
    "FargateService": "constructs_lib.compute.fargate_service",
    "FargateServiceProps": "constructs_lib.compute.fargate_service",
    "CpuArchitecture": "constructs_lib.compute.fargate_sizes",
    "FargateCustomDomain": "constructs_lib.compute.fargate_domain",
    "FargateCustomDomainProps": "constructs_lib.compute.fargate_domain",
    "WebLoadBalancer": "constructs_lib.network.load_balancer",
    "WebLoadBalancerProps": "constructs_lib.network.load_balancer",
    "Network": "constructs_lib.network.placement",
    "NatGateways": "constructs_lib.network.placement",
    "Vpc": "constructs_lib.network.vpc",
    "VpcProps": "constructs_lib.network.vpc",
}
if TYPE_CHECKING:
    from constructs_lib.compute.fargate_domain import FargateCustomDomain, FargateCustomDomainProps
    from constructs_lib.compute.fargate_service import FargateService, FargateServiceProps
    from constructs_lib.compute.fargate_sizes import CpuArchitecture, FargateCpu
    from constructs_lib.compute.web_service import Compute, WebDomain, WebService
    from constructs_lib.network.load_balancer import WebLoadBalancer, WebLoadBalancerProps
    from constructs_lib.network.placement import NatGateways, Network
    from constructs_lib.network.vpc import Vpc, VpcProps


def __getattr__(name: str) -> object:
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "RULES",
    "SHARED",
    "AnyRoutePreflight",
    "ApiCustomDomain",
    "ApiCustomDomainProps",
    "ApiModule",
    "ApiRoute",
    "AppRunnerCustomDomain",
    "AppRunnerCustomDomainProps",
    "AppRunnerService",
    "AppRunnerServiceProps",
    "AppSecrets",
    "AppSecretsProps",
    "AutoScaling",
    "BackendConfig",
    "Compute",
    "ConfigError",
    "CoraInfraError",
    "CorsConfig",
    "Cpu",
    "CpuArchitecture",
    "DeliveryPolicies",
    "DeployAppTargets",
    "EcrRepo",
    "EcrRepoProps",
    "EcsDeployTargets",
    "Environment",
    "FargateCpu",
    "FargateCustomDomain",
    "FargateCustomDomainProps",
    "FargateService",
    "FargateServiceProps",
    "FeatureModule",
    "FeatureModuleInputs",
    "HclFeatureModule",
    "HclFeatureModuleProps",
    "HclRoutes",
    "HealthCheck",
    "HealthCheckProtocol",
    "HostedZone",
    "HostedZoneProps",
    "HttpIntegration",
    "HttpMethod",
    "InfraPlanTargets",
    "JwtAuthorizer",
    "LambdaAuthorizer",
    "LambdaIntegration",
    "LocalBackendConfig",
    "Memory",
    "ModularApiGateway",
    "ModularApiGatewayProps",
    "ModuleLayout",
    "NatGateways",
    "Network",
    "OrganisationPolicy",
    "PolicyEnvironment",
    "PolicyStatement",
    "PolicyViolationError",
    "PublishedOutputs",
    "PublishedOutputsProps",
    "Rule",
    "S3BackendConfig",
    "Secret",
    "SecretProps",
    "SecretRotation",
    "StateBucket",
    "StateBucketProps",
    "TagMutability",
    "Throttling",
    "Violation",
    "Vpc",
    "VpcProps",
    "WebDomain",
    "WebLoadBalancer",
    "WebLoadBalancerProps",
    "WebService",
    "__version__",
    "apply_backend",
    "apply_policy",
    "check_app",
    "check_module_source",
    "module_source_dir",
    "parameter_prefix",
    "suppress",
]
