"""Secrets Manager rotation on moto as AWS runs it, so the deploy tests see what a real account does.

moto (5.2.5) differs from AWS where the first deploy of an environment can go wrong:

* ``RotateSecret`` with ``RotateImmediately=false`` on a secret that has a value: AWS runs the rotation
  Lambda's ``testSecret`` step, which creates an ``AWSPENDING`` version and removes it again; moto
  leaves that ``AWSPENDING`` version behind.
* the same on a secret with NO value (created empty, as our stacks do): AWS's ``testSecret`` fails and
  the ``AWSPENDING`` version stays, so every later rotation is refused ("A previous rotation isn't
  complete"); moto crashes with an internal error.

:func:`install` patches moto's Secrets Manager backend in this process (moto's threaded server runs in
it) to behave like AWS in both cases. It is idempotent.
"""

from __future__ import annotations

import uuid
from typing import Any

from moto.secretsmanager.exceptions import InvalidRequestException, SecretNotFoundException
from moto.secretsmanager.models import SecretsManagerBackend

PREVIOUS_ROTATION_INCOMPLETE = "A previous rotation isn't complete. That rotation will be reattempted."
_ORIGINAL = SecretsManagerBackend.rotate_secret


def _stages(secret: Any) -> dict[str, list[str]]:
    return {version_id: list(v["version_stages"]) for version_id, v in secret.versions.items()}


def _rotate_secret(  # noqa: PLR0917 (moto's signature, called positionally)
    self: SecretsManagerBackend,
    secret_id: str,
    client_request_token: str | None = None,
    rotation_lambda_arn: str | None = None,
    rotation_rules: dict[str, Any] | None = None,
    rotate_immediately: bool = True,
) -> str:
    if not self._is_valid_identifier(secret_id):
        raise SecretNotFoundException()
    secret: Any = self.secrets[secret_id]
    stages = _stages(secret)
    current = next((v for v, labels in stages.items() if "AWSCURRENT" in labels), None)
    pending = next((v for v, labels in stages.items() if "AWSPENDING" in labels), None)
    if pending is not None and pending != current:
        raise InvalidRequestException(PREVIOUS_ROTATION_INCOMPLETE)
    if current is None:
        # testSecret cannot read a value that is not there: it fails and AWSPENDING stays behind.
        version_id = client_request_token or str(uuid.uuid4())
        secret.versions[version_id] = {
            "createdate": 0,
            "version_id": version_id,
            "version_stages": ["AWSPENDING"],
        }
        secret.rotation_lambda_arn = rotation_lambda_arn or secret.rotation_lambda_arn
        if rotation_rules and "AutomaticallyAfterDays" in rotation_rules:
            secret.auto_rotate_after_days = rotation_rules["AutomaticallyAfterDays"]
        secret.rotation_enabled = True
        secret.rotation_requested = True
        result: str = secret.to_short_dict()
        return result
    before = set(secret.versions)
    result = _ORIGINAL(
        self, secret_id, client_request_token, rotation_lambda_arn, rotation_rules, rotate_immediately
    )
    if not rotate_immediately:
        # The test step's AWSPENDING version is removed again when the test passes.
        for version_id in set(secret.versions) - before:
            if secret.versions[version_id]["version_stages"] == ["AWSPENDING"]:
                del secret.versions[version_id]
    return result


def install() -> None:
    """Make moto's ``RotateSecret`` behave like AWS's (see the module docstring)."""
    SecretsManagerBackend.rotate_secret = _rotate_secret  # type: ignore[method-assign]
