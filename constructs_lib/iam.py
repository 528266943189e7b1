"""Typed IAM building blocks: every policy is a ``DataAwsIamPolicyDocument``, never a JSON string."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from constructs import Construct

from constructs_lib import _aws


@dataclass(frozen=True)
class PolicyStatement:
    """One Allow statement: the actions a principal may take on the resources.

    ``conditions`` maps ``(test, variable)`` to the values, e.g.
    ``{("StringEquals", "kms:ViaService"): ("secretsmanager.eu-west-1.amazonaws.com",)}``.
    """

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    sid: str | None = None
    conditions: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def to_aws(self) -> _aws.DataAwsIamPolicyDocumentStatement:
        """The provider's statement struct."""
        return _aws.DataAwsIamPolicyDocumentStatement(
            sid=self.sid,
            effect="Allow",
            actions=list(self.actions),
            resources=list(self.resources),
            condition=[
                _aws.DataAwsIamPolicyDocumentStatementCondition(test=test, variable=var, values=list(values))
                for (test, var), values in self.conditions.items()
            ]
            or None,
        )


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
) -> _aws.IamRolePolicy:
    """Attach an inline policy to ``role``, owned by the construct that grants it.

    Granting the same ``verb`` to the same role twice returns the existing policy.
    """
    # The role's path makes the id unique and stable across machines (no random parts).
    suffix = role.node.addr[-8:]
    id_ = f"{verb}-{role.node.id}-{suffix}"
    existing = grantor.node.try_find_child(id_)
    if isinstance(existing, _aws.IamRolePolicy):
        return existing
    document = policy_document(grantor, f"{id_}-document", statements)
    return _aws.IamRolePolicy(grantor, id_, name=policy_name, role=role.name, policy=document.json)
