"""The one module that imports the AWS provider bindings, and loads only the part of them we use.

Every provider class the library uses is re-exported from here; nothing else in the project may import
``cdktf_cdktf_provider_aws`` (ruff's banned-api rule enforces it).

Why this module does more than import (the loading lives in :mod:`constructs_lib._runtime.provider_loader`):
the bindings' package ``__init__`` imports all ~2,100 submodules
(Python side), and the jsii kernel's ``require()`` of the package's ``lib/index.js`` loads all ~2,100 JS
modules (node side): 12-15 s and ~550 MB before the first resource. Here:

- Python: the package is registered as a bare module (its real ``__path__``, no ``__init__`` run), its
  ``_jsii`` module is imported (which loads the assembly into the kernel), then only the submodules
  below. Attribute access on the package imports submodules on demand, so code that imports the full
  package later keeps working, with the same classes.
- node: the kernel is handed a copy of the provider tarball whose ``lib/index.js`` defines each
  submodule export as a lazy getter; the copy also leaves out what is never used at run time (inline
  source maps, ``.d.ts`` declarations), which makes it a third of the size; the code is unchanged.
  The copy is derived from the installed, pinned tarball on first use and cached under
  ``<user cache>/cora-infra/provider-aws/<sha256>-v<N>/``
  (``$CORA_INFRA_CACHE_DIR``, else ``$XDG_CACHE_HOME/cora-infra``, else ``~/.cache/cora-infra``).
  Writes are atomic; racing processes write identical bytes. Any failure falls back to the stock
  tarball with a warning.

If the package was imported before this module, nothing of this happens: its classes are used as they
are. ``CORA_INFRA_EAGER_PROVIDER=1`` forces the stock, eager load (for comparisons and debugging).
The synthesized JSON is byte-identical either way (tests/stacks/test_fast_synth.py).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

# The loader's names stay importable from here (scripts and tests use them).
from constructs_lib._runtime.provider_loader import (
    ASSEMBLY,
    DERIVATION_VERSION,
    LAZY_MARKER,
    PACKAGE,
    cache_dir,
    derive_tarball,
    lazy_index,
    load_provider,
    strip_inline_source_map,
    warm,
)
from constructs_lib._runtime.type_hints import memoise_type_hints

load_provider()

from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import (
    AcmCertificateValidation,
    AcmCertificateValidationTimeouts,
)
from cdktf_cdktf_provider_aws.apigatewayv2_api import Apigatewayv2Api, Apigatewayv2ApiCorsConfiguration
from cdktf_cdktf_provider_aws.apigatewayv2_api_mapping import Apigatewayv2ApiMapping
from cdktf_cdktf_provider_aws.apigatewayv2_authorizer import (
    Apigatewayv2Authorizer,
    Apigatewayv2AuthorizerJwtConfiguration,
)
from cdktf_cdktf_provider_aws.apigatewayv2_domain_name import (
    Apigatewayv2DomainName,
    Apigatewayv2DomainNameDomainNameConfiguration,
)
from cdktf_cdktf_provider_aws.apigatewayv2_integration import Apigatewayv2Integration
from cdktf_cdktf_provider_aws.apigatewayv2_route import Apigatewayv2Route
from cdktf_cdktf_provider_aws.apigatewayv2_stage import (
    Apigatewayv2Stage,
    Apigatewayv2StageAccessLogSettings,
    Apigatewayv2StageDefaultRouteSettings,
)
from cdktf_cdktf_provider_aws.apprunner_auto_scaling_configuration_version import (
    ApprunnerAutoScalingConfigurationVersion,
)
from cdktf_cdktf_provider_aws.apprunner_custom_domain_association import ApprunnerCustomDomainAssociation
from cdktf_cdktf_provider_aws.apprunner_service import (
    ApprunnerService,
    ApprunnerServiceHealthCheckConfiguration,
    ApprunnerServiceInstanceConfiguration,
    ApprunnerServiceSourceConfiguration,
    ApprunnerServiceSourceConfigurationAuthenticationConfiguration,
    ApprunnerServiceSourceConfigurationImageRepository,
    ApprunnerServiceSourceConfigurationImageRepositoryImageConfiguration,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_apprunner_hosted_zone_id import DataAwsApprunnerHostedZoneId
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags, AwsProviderEndpoints
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_rotation import (
    SecretsmanagerSecretRotation,
    SecretsmanagerSecretRotationRotationRules,
)
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter

# Classes only an ECS environment uses load on first use (PEP 562 ``__getattr__`` below), so an App
# Runner synth never pays for their modules: class name -> its submodule of the bindings. The
# TYPE_CHECKING imports give mypy the same names with their types.
_ON_FIRST_USE: dict[str, str] = {
    # network/: the VPC and what lives in it
    "DataAwsAvailabilityZones": "data_aws_availability_zones",
    "DefaultSecurityGroup": "default_security_group",
    "Eip": "eip",
    "FlowLog": "flow_log",
    "InternetGateway": "internet_gateway",
    "NatGateway": "nat_gateway",
    "Route": "route",
    "RouteTable": "route_table",
    "RouteTableAssociation": "route_table_association",
    "SecurityGroup": "security_group",
    "Subnet": "subnet",
    "Vpc": "vpc",
    "VpcEndpoint": "vpc_endpoint",
    "VpcSecurityGroupIngressRule": "vpc_security_group_ingress_rule",
    # compute/: ECS, the load balancer, Application Auto Scaling
    "AppautoscalingPolicy": "appautoscaling_policy",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration": "appautoscaling_policy",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification": "appautoscaling_policy",  # noqa: E501
    "AppautoscalingTarget": "appautoscaling_target",
    "DataAwsElbServiceAccount": "data_aws_elb_service_account",
    "DataAwsRegion": "data_aws_region",
    "EcsCluster": "ecs_cluster",
    "EcsClusterSetting": "ecs_cluster",
    "EcsService": "ecs_service",
    "EcsServiceDeploymentCircuitBreaker": "ecs_service",
    "EcsServiceLoadBalancer": "ecs_service",
    "EcsServiceNetworkConfiguration": "ecs_service",
    "EcsTaskDefinition": "ecs_task_definition",
    "EcsTaskDefinitionRuntimePlatform": "ecs_task_definition",
    "EcsTaskDefinitionVolume": "ecs_task_definition",
    "Lb": "lb",
    "LbAccessLogs": "lb",
    "LbListener": "lb_listener",
    "LbListenerDefaultAction": "lb_listener",
    "LbListenerDefaultActionRedirect": "lb_listener",
    "LbTargetGroup": "lb_target_group",
    "LbTargetGroupHealthCheck": "lb_target_group",
    "S3BucketLifecycleConfigurationRuleExpiration": "s3_bucket_lifecycle_configuration",
    "VpcSecurityGroupEgressRule": "vpc_security_group_egress_rule",
}
if TYPE_CHECKING:
    # compute/
    from cdktf_cdktf_provider_aws.appautoscaling_policy import (
        AppautoscalingPolicy,
        AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
        AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
    )
    from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget

    # network/
    from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones
    from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
    from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
    from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
    from cdktf_cdktf_provider_aws.ecs_cluster import (
        EcsCluster,
        EcsClusterSetting,
    )
    from cdktf_cdktf_provider_aws.ecs_service import (
        EcsService,
        EcsServiceDeploymentCircuitBreaker,
        EcsServiceLoadBalancer,
        EcsServiceNetworkConfiguration,
    )
    from cdktf_cdktf_provider_aws.ecs_task_definition import (
        EcsTaskDefinition,
        EcsTaskDefinitionRuntimePlatform,
        EcsTaskDefinitionVolume,
    )
    from cdktf_cdktf_provider_aws.eip import Eip
    from cdktf_cdktf_provider_aws.flow_log import FlowLog
    from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
    from cdktf_cdktf_provider_aws.lb import (
        Lb,
        LbAccessLogs,
    )
    from cdktf_cdktf_provider_aws.lb_listener import (
        LbListener,
        LbListenerDefaultAction,
        LbListenerDefaultActionRedirect,
    )
    from cdktf_cdktf_provider_aws.lb_target_group import (
        LbTargetGroup,
        LbTargetGroupHealthCheck,
    )
    from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
    from cdktf_cdktf_provider_aws.route import Route
    from cdktf_cdktf_provider_aws.route_table import RouteTable
    from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
    from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
        S3BucketLifecycleConfigurationRuleExpiration,
    )
    from cdktf_cdktf_provider_aws.security_group import SecurityGroup
    from cdktf_cdktf_provider_aws.subnet import Subnet
    from cdktf_cdktf_provider_aws.vpc import Vpc
    from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
    from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
    from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule


def __getattr__(name: str) -> Any:
    submodule = _ON_FIRST_USE.get(name)
    if submodule is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    loaded = set(sys.modules)
    value = getattr(importlib.import_module(f"{PACKAGE}.{submodule}"), name)
    if os.environ.get("CORA_INFRA_EAGER_PROVIDER") != "1":
        memoise_type_hints([sys.modules[n] for n in set(sys.modules) - loaded if n.endswith("._private")])
    globals()[name] = value
    return value


# Generated modules loaded so far (``publication`` keeps each one's code in ``<module>._private``):
# their argument checks look type hints up once per stub.
if os.environ.get("CORA_INFRA_EAGER_PROVIDER") != "1":
    _GENERATED = ("cdktf.", "constructs.", f"{PACKAGE}.")
    memoise_type_hints(
        [m for n, m in list(sys.modules.items()) if n.endswith("._private") and n.startswith(_GENERATED)]
    )

__all__ = [
    "ASSEMBLY",
    "DERIVATION_VERSION",
    "LAZY_MARKER",
    "PACKAGE",
    "AcmCertificate",
    "AcmCertificateValidation",
    "AcmCertificateValidationTimeouts",
    "Apigatewayv2Api",
    "Apigatewayv2ApiCorsConfiguration",
    "Apigatewayv2ApiMapping",
    "Apigatewayv2Authorizer",
    "Apigatewayv2AuthorizerJwtConfiguration",
    "Apigatewayv2DomainName",
    "Apigatewayv2DomainNameDomainNameConfiguration",
    "Apigatewayv2Integration",
    "Apigatewayv2Route",
    "Apigatewayv2Stage",
    "Apigatewayv2StageAccessLogSettings",
    "Apigatewayv2StageDefaultRouteSettings",
    "AppautoscalingPolicy",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification",
    "AppautoscalingTarget",
    "ApprunnerAutoScalingConfigurationVersion",
    "ApprunnerCustomDomainAssociation",
    "ApprunnerService",
    "ApprunnerServiceHealthCheckConfiguration",
    "ApprunnerServiceInstanceConfiguration",
    "ApprunnerServiceSourceConfiguration",
    "ApprunnerServiceSourceConfigurationAuthenticationConfiguration",
    "ApprunnerServiceSourceConfigurationImageRepository",
    "ApprunnerServiceSourceConfigurationImageRepositoryImageConfiguration",
    "AwsProvider",
    "AwsProviderDefaultTags",
    "AwsProviderEndpoints",
    "CloudwatchLogGroup",
    "DataAwsApprunnerHostedZoneId",
    "DataAwsCallerIdentity",
    "DataAwsElbServiceAccount",
    "DataAwsIamPolicyDocument",
    "DataAwsIamPolicyDocumentStatement",
    "DataAwsIamPolicyDocumentStatementCondition",
    "DataAwsIamPolicyDocumentStatementPrincipals",
    "DataAwsRegion",
    "DataAwsRoute53Zone",
    "EcrLifecyclePolicy",
    "EcrRepository",
    "EcrRepositoryEncryptionConfiguration",
    "EcrRepositoryImageScanningConfiguration",
    "EcsCluster",
    "EcsClusterSetting",
    "EcsService",
    "EcsServiceDeploymentCircuitBreaker",
    "EcsServiceLoadBalancer",
    "EcsServiceNetworkConfiguration",
    "EcsTaskDefinition",
    "EcsTaskDefinitionRuntimePlatform",
    "EcsTaskDefinitionVolume",
    "IamPolicy",
    "IamRole",
    "IamRolePolicy",
    "LambdaPermission",
    "Lb",
    "LbAccessLogs",
    "LbListener",
    "LbListenerDefaultAction",
    "LbListenerDefaultActionRedirect",
    "LbTargetGroup",
    "LbTargetGroupHealthCheck",
    "Route53Record",
    "Route53RecordAlias",
    "S3Bucket",
    "S3BucketLifecycleConfiguration",
    "S3BucketLifecycleConfigurationRule",
    "S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload",
    "S3BucketLifecycleConfigurationRuleExpiration",
    "S3BucketLifecycleConfigurationRuleFilter",
    "S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration",
    "S3BucketOwnershipControls",
    "S3BucketOwnershipControlsRule",
    "S3BucketPolicy",
    "S3BucketPublicAccessBlock",
    "S3BucketServerSideEncryptionConfigurationA",
    "S3BucketServerSideEncryptionConfigurationRuleA",
    "S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA",
    "S3BucketVersioningA",
    "S3BucketVersioningVersioningConfiguration",
    "SecretsmanagerSecret",
    "SecretsmanagerSecretRotation",
    "SecretsmanagerSecretRotationRotationRules",
    "SecurityGroup",
    "SsmParameter",
    "VpcSecurityGroupEgressRule",
    "VpcSecurityGroupIngressRule",
    "cache_dir",
    "derive_tarball",
    "lazy_index",
    "strip_inline_source_map",
    "warm",
]
# The first-use classes are public names of this module too: mypy --strict sees a name exported only
# when __all__ lists it (and a `from constructs_lib._aws import *` then loads them, as it should).
__all__ += [
    # network/
    "DataAwsAvailabilityZones",
    "DefaultSecurityGroup",
    "Eip",
    "FlowLog",
    "InternetGateway",
    "NatGateway",
    "Route",
    "RouteTable",
    "RouteTableAssociation",
    "Subnet",
    "Vpc",
    "VpcEndpoint",
]
