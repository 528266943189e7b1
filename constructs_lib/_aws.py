"""The one module that imports the AWS provider bindings.

Every provider class the library uses is re-exported from here, so that loading the bindings (a
multi-second cost) is decided in one place and a migration to another binding package touches one file.
Nothing else in the project may import ``cdktf_cdktf_provider_aws``; ruff's banned-api rule enforces it.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.apigatewayv2_api import Apigatewayv2Api, Apigatewayv2ApiCorsConfiguration
from cdktf_cdktf_provider_aws.apigatewayv2_authorizer import (
    Apigatewayv2Authorizer,
    Apigatewayv2AuthorizerJwtConfiguration,
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
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret

__all__ = [
    "Apigatewayv2Api",
    "Apigatewayv2ApiCorsConfiguration",
    "Apigatewayv2Authorizer",
    "Apigatewayv2AuthorizerJwtConfiguration",
    "Apigatewayv2Integration",
    "Apigatewayv2Route",
    "Apigatewayv2Stage",
    "Apigatewayv2StageAccessLogSettings",
    "Apigatewayv2StageDefaultRouteSettings",
    "ApprunnerAutoScalingConfigurationVersion",
    "ApprunnerService",
    "ApprunnerServiceHealthCheckConfiguration",
    "ApprunnerServiceInstanceConfiguration",
    "ApprunnerServiceSourceConfiguration",
    "ApprunnerServiceSourceConfigurationAuthenticationConfiguration",
    "ApprunnerServiceSourceConfigurationImageRepository",
    "ApprunnerServiceSourceConfigurationImageRepositoryImageConfiguration",
    "AwsProvider",
    "AwsProviderDefaultTags",
    "CloudwatchLogGroup",
    "DataAwsIamPolicyDocument",
    "DataAwsIamPolicyDocumentStatement",
    "DataAwsIamPolicyDocumentStatementCondition",
    "DataAwsIamPolicyDocumentStatementPrincipals",
    "EcrLifecyclePolicy",
    "EcrRepository",
    "EcrRepositoryEncryptionConfiguration",
    "EcrRepositoryImageScanningConfiguration",
    "IamRole",
    "IamRolePolicy",
    "LambdaPermission",
    "SecretsmanagerSecret",
]
