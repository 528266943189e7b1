"""Typed IAM building blocks: every policy is a ``DataAwsIamPolicyDocument``, never a JSON string."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from weakref import WeakKeyDictionary

from constructs import Construct

from constructs_lib import _aws

# IAM inline policy names: 1-128 characters of letters, digits and +=,.@_-.
MAX_POLICY_NAME = 128
_POLICY_NAME_INVALID = re.compile(r"[^A-Za-z0-9+=,.@_-]")

# grantor -> (verb, role path, statements) -> the policy that grant made
_GRANTS: WeakKeyDictionary[Construct, dict[tuple[str, str, str], _aws.IamRolePolicy]] = WeakKeyDictionary()


@dataclass(frozen=True)
class PolicyStatement:
    """One statement: the actions a principal may (``Allow``) or may never (``Deny``) take on the
    resources (or, for a Deny, on every resource but ``not_resources``).

    ``conditions`` maps ``(test, variable)`` to the values, e.g.
    ``{("StringEquals", "kms:ViaService"): ("secretsmanager.eu-west-1.amazonaws.com",)}``.
    """

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    sid: str | None = None
    conditions: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    effect: Literal["Allow", "Deny"] = "Allow"
    not_resources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.not_resources and (self.resources or self.effect == "Allow"):
            raise ValueError(
                f"PolicyStatement {self.sid!r}: not_resources only in a Deny without resources (an Allow on "
                "every resource but some is the wildcard grant the organisation policy refuses)"
            )

    def to_json(self) -> dict[str, Any]:
        """The statement as IAM's JSON policy language has it (what the policy document renders)."""
        out: dict[str, Any] = {"Effect": self.effect, "Action": list(self.actions)}
        if self.sid:
            out["Sid"] = self.sid
        if self.resources:
            out["Resource"] = list(self.resources)
        if self.not_resources:
            out["NotResource"] = list(self.not_resources)
        if self.conditions:
            condition: dict[str, dict[str, list[str]]] = {}
            for (test, variable), values in self.conditions.items():
                condition.setdefault(test, {})[variable] = list(values)
            out["Condition"] = condition
        return out

    def to_aws(self) -> _aws.DataAwsIamPolicyDocumentStatement:
        """The provider's statement struct."""
        return _aws.DataAwsIamPolicyDocumentStatement(
            sid=self.sid,
            effect=self.effect,
            actions=list(self.actions),
            resources=list(self.resources) or None,
            not_resources=list(self.not_resources) or None,
            condition=[
                _aws.DataAwsIamPolicyDocumentStatementCondition(test=test, variable=var, values=list(values))
                for (test, var), values in self.conditions.items()
            ]
            or None,
        )


def fit_policy_name(name: str) -> str:
    """``name`` as a valid IAM inline policy name: invalid characters become ``-``, and a name longer
    than 128 characters is cut and ends in a hash of the whole name, so two long names stay distinct."""
    valid = _POLICY_NAME_INVALID.sub("-", name)
    if len(valid) <= MAX_POLICY_NAME:
        return valid
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{valid[: MAX_POLICY_NAME - len(digest) - 1]}-{digest}"


def policy_json(statements: Sequence[PolicyStatement]) -> dict[str, Any]:
    """The policy document of ``statements`` as IAM's JSON (``Version`` 2012-10-17)."""
    return {"Version": "2012-10-17", "Statement": [s.to_json() for s in statements]}


def policy_document(
    scope: Construct, id_: str, statements: Sequence[PolicyStatement]
) -> _aws.DataAwsIamPolicyDocument:
    """A policy document data source holding the given statements."""
    return _aws.DataAwsIamPolicyDocument(scope, id_, statement=[s.to_aws() for s in statements])


def service_role(
    scope: Construct,
    id_: str,
    *,
    name: str,
    service_principal: str,
    description: str,
    tags: Mapping[str, str],
) -> _aws.IamRole:
    """An IAM role that only the given AWS service principal may assume."""
    trust = _aws.DataAwsIamPolicyDocument(
        scope,
        f"{id_}-trust",
        statement=[
            _aws.DataAwsIamPolicyDocumentStatement(
                effect="Allow",
                actions=["sts:AssumeRole"],
                principals=[
                    _aws.DataAwsIamPolicyDocumentStatementPrincipals(
                        type="Service", identifiers=[service_principal]
                    )
                ],
            )
        ],
    )
    return _aws.IamRole(
        scope,
        id_,
        name=name,
        description=description,
        assume_role_policy=trust.json,
        tags=dict(tags) or None,
    )


def grant(
    grantor: Construct,
    verb: str,
    role: _aws.IamRole,
    *,
    policy_name: str,
    statements: Sequence[PolicyStatement],
    detail: str = "",
) -> _aws.IamRolePolicy:
    """Attach an inline policy to ``role``, owned by the construct that grants it.

    ``detail`` tells grants of one ``verb`` apart (e.g. which secrets). The same grant to the same role
    twice returns the existing policy; a different one adds another policy.
    """
    # Tokens are new strings on every attribute access, so the caller names what it grants (`detail`).
    node = role.node  # each attribute read is a round trip to the jsii kernel
    addr, role_id = node.addr, node.id
    key = (verb, addr, detail)
    grants = _GRANTS.setdefault(grantor, {})
    if key in grants:
        return grants[key]
    # Ids and names come from the role's path and the order of grants: stable across machines.
    count = sum(1 for k in grants if k[:2] == key[:2])
    id_ = f"{verb}-{role_id}-{addr[-8:]}" + (f"-{count + 1}" if count else "")
    name = fit_policy_name(f"{policy_name}-{count + 1}" if count else policy_name)
    document = policy_document(grantor, f"{id_}-document", statements)
    policy = _aws.IamRolePolicy(grantor, id_, name=name, role=role.name, policy=document.json)
    grants[key] = policy
    return policy


def deny_insecure_transport(bucket_arn: str) -> _aws.DataAwsIamPolicyDocumentStatement:
    """A bucket policy statement that refuses every request to the bucket and its objects made without
    TLS (``aws:SecureTransport`` false)."""
    return _aws.DataAwsIamPolicyDocumentStatement(
        sid="DenyInsecureTransport",
        effect="Deny",
        actions=["s3:*"],
        resources=[bucket_arn, f"{bucket_arn}/*"],
        principals=[_aws.DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
        condition=[
            _aws.DataAwsIamPolicyDocumentStatementCondition(
                test="Bool", variable="aws:SecureTransport", values=["false"]
            )
        ],
    )
