"""The HTTP API: the gateway, its props and route models, feature modules, Lambda permissions, its domain.

``modular_api_gateway`` (the construct), ``props`` and ``models`` (what it takes), ``feature_modules``
and ``hcl_routes`` (routes contributed by modules), ``lambda_permissions``, ``custom_domain``.
"""
