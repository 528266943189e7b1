"""Refusals real AWS makes and moto does not, patched into moto's in-process backends.

A deploy test against moto proves little when moto accepts what AWS refuses. :func:`install` makes
moto (every backend of this process, in server mode too: :func:`devtools.emulators.running` calls it)
refuse like AWS:

- API Gateway v2 ``DeleteIntegration`` of an integration a route still targets:
  ``ConflictException`` (409) "Cannot delete Integration because it is referenced by the following
  Routes with Ids: [...]". Terraform replacing an integration destroy-first hits this.
- Lambda ``AddPermission`` that would make the function's resource policy longer than 20,480 bytes:
  ``PolicyLengthExceededException`` (400) "The final policy size (N) is bigger than the limit
  (20480).". One permission per route hits this around 60 routes on one function.

:func:`uninstall` restores moto's own behaviour (tests of the faults themselves use it).
"""

from __future__ import annotations

import json
from typing import Any

from moto.apigatewayv2.exceptions import APIGatewayV2Error
from moto.apigatewayv2.models import ApiGatewayV2Backend
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend

POLICY_SIZE_LIMIT = 20_480
"""Bytes AWS allows in a Lambda function's resource policy."""

_ORIGINALS: dict[str, Any] = {}


class IntegrationInUseError(APIGatewayV2Error):
    """What API Gateway answers when an integration to delete is still a route's target."""

    code = 409

    def __init__(self, route_ids: list[str]) -> None:
        super().__init__(
            "ConflictException",
            "Cannot delete Integration because it is referenced by the following Routes with Ids: "
            f"[{', '.join(route_ids)}]",
        )


class PolicyLengthExceededError(LambdaClientError):
    """What Lambda answers when a permission would take the resource policy past its limit."""

    code = 400

    def __init__(self, size: int) -> None:
        super().__init__(
            "PolicyLengthExceededException",
            f"The final policy size ({size}) is bigger than the limit ({POLICY_SIZE_LIMIT}).",
        )


def _delete_integration(self: ApiGatewayV2Backend, api_id: str, integration_id: str) -> None:
    api = self.get_api(api_id)
    target = f"integrations/{integration_id}"
    referencing = sorted(route.route_id for route in api.routes.values() if route.target == target)
    if referencing:
        raise IntegrationInUseError(referencing)
    _ORIGINALS["delete_integration"](self, api_id, integration_id)


def policy_size(statements: list[dict[str, Any]]) -> int:
    """Bytes of a resource policy holding ``statements``, serialized compactly as AWS stores it."""
    document = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
    return len(json.dumps(document, separators=(",", ":")).encode())


def _add_permission(self: LambdaBackend, function_name: str, qualifier: str, raw: str) -> dict[str, Any]:
    policy = self.get_function(function_name, qualifier).policy
    statements, revision = list(policy.statements), policy.revision
    added: dict[str, Any] = _ORIGINALS["add_permission"](self, function_name, qualifier, raw)
    size = policy_size(policy.statements)
    if size > POLICY_SIZE_LIMIT:
        policy.statements, policy.revision = statements, revision  # refused: the policy is unchanged
        raise PolicyLengthExceededError(size)
    return added


def install() -> None:
    """Make moto refuse what AWS refuses (idempotent; lasts until :func:`uninstall`)."""
    if _ORIGINALS:
        return
    _ORIGINALS["delete_integration"] = ApiGatewayV2Backend.delete_integration
    _ORIGINALS["add_permission"] = LambdaBackend.add_permission
    ApiGatewayV2Backend.delete_integration = _delete_integration  # type: ignore[method-assign]
    LambdaBackend.add_permission = _add_permission  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore moto's own behaviour."""
    if not _ORIGINALS:
        return
    ApiGatewayV2Backend.delete_integration = _ORIGINALS.pop("delete_integration")  # type: ignore[method-assign]
    LambdaBackend.add_permission = _ORIGINALS.pop("add_permission")  # type: ignore[method-assign]


def installed() -> bool:
    """True while the faults are patched in."""
    return bool(_ORIGINALS)
