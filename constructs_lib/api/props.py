"""``ModularApiGatewayProps``: the settings of a :class:`~constructs_lib.ModularApiGateway`, and the
access log format of its stage."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, Field, field_validator, model_validator

from constructs_lib._runtime.validation import FROZEN, LogRetentionDays, check_kms_key_arn, check_tags
from constructs_lib.api.models import (
    AnyRoutePreflight,
    ApiRoute,
    CorsConfig,
    JwtAuthorizer,
    LambdaAuthorizer,
    Throttling,
    check_routes,
)

__all__ = ["ACCESS_LOG_FORMAT", "ModularApiGatewayProps"]

# No spaces: the access log group is named after the API, and log group names allow none.
_API_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


class ModularApiGatewayProps(BaseModel):
    """Settings of a :class:`ModularApiGateway`."""

    model_config = FROZEN

    name: str
    cors: CorsConfig
    description: str = ""
    throttling: Throttling = Field(default_factory=Throttling)
    log_retention_days: LogRetentionDays = 30
    """Default: access logs are kept 30 days."""
    log_kms_key_arn: str | None = None
    """Default: CloudWatch's own encryption; set a KMS key ARN for the access log group."""
    authorizers: tuple[Annotated[JwtAuthorizer | LambdaAuthorizer, Field(discriminator="type")], ...] = ()
    routes: tuple[ApiRoute, ...] = ()
    any_route_preflight: AnyRoutePreflight = Field(default=AnyRoutePreflight.ADD_OPTIONS_ROUTE)
    """Default: an authorized ``ANY /path`` route gets an unauthenticated ``OPTIONS /path`` route to the
    same integration, which must then answer preflight requests with a 2xx; see
    :class:`AnyRoutePreflight`."""
    disable_execute_api_endpoint: bool = Field(default=False, strict=True)
    """Default: the API also answers at its ``execute-api`` URL. With a custom domain
    (:class:`~constructs_lib.ApiCustomDomain`) set it true so every call goes through the domain (its TLS
    policy, its name in CORS and logs); the ``api_endpoint`` URL then refuses requests."""
    tags: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _API_NAME.fullmatch(value):
            raise ValueError(f"API name {value!r} is invalid: use 1-128 letters, digits or _.-")
        return value

    @field_validator("log_kms_key_arn")
    @classmethod
    def _log_kms(cls, value: str | None) -> str | None:
        return check_kms_key_arn("log_kms_key_arn", value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)

    @model_validator(mode="after")
    def _references(self) -> ModularApiGatewayProps:
        names = [a.name for a in self.authorizers]
        if len(set(names)) != len(names):
            raise ValueError(f"authorizer names must be unique; got {names}")
        check_routes(self.routes, names)
        return self


ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
    }
)
