"""IAM documents: typed policy statements (``statements``) and the delivery roles' policies
(``delivery_policies``). The statement helpers stay importable as ``constructs_lib.iam.<name>``.
"""

from constructs_lib.iam.statements import (
    PolicyStatement,
    fit_policy_name,
    grant,
    policy_document,
    policy_json,
    service_role,
)

__all__ = ["PolicyStatement", "fit_policy_name", "grant", "policy_document", "policy_json", "service_role"]
