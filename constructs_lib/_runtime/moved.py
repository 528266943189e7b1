"""Module paths of releases before 0.5, when ``constructs_lib`` was flat: importable, with a warning.

0.5 gave the package wings by what they own (``compute/``, ``api/``, ``dns/``, ``iam/``, ``policy/``
and this basement). The public API (``from constructs_lib import X``) did not move; a consumer that
imported a module by its old path (``constructs_lib.app_runner_service``) gets the same module object
under the old name, and a ``DeprecationWarning`` naming the new path. No file per old name: a finder
on ``sys.meta_path`` answers for them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

# Old module (under constructs_lib.) -> its home since 0.5. constructs_lib.policy and constructs_lib.iam
# are packages now that export what the modules did, so they need no entry.
MOVED = {
    "_kernel": "_runtime.kernel",
    "_provider_loader": "_runtime.provider_loader",
    "_type_hints": "_runtime.type_hints",
    "_ids": "_runtime.ids",
    "_refs": "_runtime.refs",
    "_validation": "_runtime.validation",
    "_messages": "_runtime.messages",
    "app_runner_service": "compute.app_runner_service",
    "app_runner_domain": "compute.app_runner_domain",
    "ecr_repo": "compute.ecr_repo",
    "modular_api_gateway": "api.modular_api_gateway",
    "api_gateway_props": "api.props",
    "api_models": "api.models",
    "hcl_routes": "api.hcl_routes",
    "feature_modules": "api.feature_modules",
    "lambda_permissions": "api.lambda_permissions",
    "api_domain": "api.custom_domain",
    "hosted_zone": "dns.hosted_zone",
    "dns_names": "dns.names",
    "policy_rules": "policy.rules",
    "policy_model": "policy.model",
    "checked_synth": "policy.checked_synth",
    "delivery_policies": "iam.delivery_policies",
}
_PACKAGE = "constructs_lib"


class _Alias(importlib.abc.Loader):
    """Loads an old name as the module at its new path (the same object: patches reach both names)."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{self.old} moved to {self.new} in cora-infra 0.5; import it from there "
            f"(or the public API from {_PACKAGE})",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(self.new)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias's spec on the real module: give it its own back.
        module.__spec__ = self.spec


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != _PACKAGE or name not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(fullname, f"{_PACKAGE}.{MOVED[name]}"))


def install() -> None:
    """Answer for the old paths (once per process)."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.append(_Finder())
