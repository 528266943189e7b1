"""Feature modules written in Terraform HCL: where they live, what they take, and the construct that adds one.

A CORA feature module ``packages/module-<name>/infrastructure`` is a Terraform module that creates its
Lambda functions and declares the routes they serve as outputs (the contract, README "Feature
modules"):

- inputs: ``name_prefix`` (``<project>-<environment>``), ``environment`` and ``tags``
  (:class:`FeatureModuleInputs`); a module declares all three;
- output ``routes``: route key (``"GET /items"``) → ``{ function_arn, authorizer?,
  authorization_scopes?, payload_format_version?, timeout_ms? }``;
- output ``lambdas``: function name → ARN, for whoever needs them.

:class:`HclFeatureModule` adds one to a stack; ``ModularApiGateway.add_feature_module`` wires its routes
(see :mod:`constructs_lib.api.hcl_routes`), as it adds a Python :class:`~constructs_lib.ApiModule`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from cdktf import AssetType, TerraformAsset, TerraformHclModule
from constructs import Construct
from pydantic import BaseModel, Field, field_validator

from constructs_lib._runtime.validation import FROZEN, check_tags
from constructs_lib.api.models import ApiModule
from constructs_lib.errors import CoraInfraError

__all__ = [
    "FeatureModule",
    "FeatureModuleInputs",
    "HclFeatureModule",
    "HclFeatureModuleProps",
    "ModuleLayout",
    "check_module_source",
    "module_source_dir",
]

_MODULE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,47}$")


class ModuleLayout(StrEnum):
    """Where a project's feature modules live (the CORA plan, "Terraform Module Path Changes")."""

    MONOREPO = "monorepo"
    """``<project root>/packages/module-<name>/infrastructure``: infrastructure and app in one repository."""
    TWO_REPO = "two-repo"
    """``<project root>/../<project>-stack/packages/module-<name>/infrastructure``: the infrastructure
    repository checked out beside the application (``-stack``) repository."""


def check_module_name(name: str) -> str:
    """A module name as in ``packages/module-<name>``: 1-63 lowercase letters, digits or '-'."""
    if not _MODULE_NAME.fullmatch(name) or name.endswith("-") or "--" in name:
        raise ValueError(
            f"module name {name!r} is invalid: use 1-63 lowercase letters, digits or single '-', "
            "starting with a letter (the folder is packages/module-<name>)"
        )
    return name


def module_source_dir(project_root: Path, *, project: str, layout: ModuleLayout, name: str) -> Path:
    """The absolute, normalised folder of module ``name``'s HCL for ``layout`` (not checked to exist)."""
    base = project_root if layout is ModuleLayout.MONOREPO else project_root.parent / f"{project}-stack"
    # normpath, not resolve(): a symlinked checkout keeps the path its user knows.
    return Path(os.path.normpath(base.absolute() / "packages" / f"module-{name}" / "infrastructure"))


def _source_problem(path: Path) -> str | None:
    if not path.is_dir():
        return "does not exist" if not path.exists() else "is not a folder"
    if not any(path.glob("*.tf")) and not any(path.glob("*.tf.json")):
        return "holds no Terraform files (*.tf)"
    return None


def check_module_source(
    project_root: Path, *, project: str, layout: ModuleLayout, name: str, key: str = "modules.names"
) -> Path:
    """:func:`module_source_dir`, refused with the config ``key``, module, layout and path when it is no
    Terraform module."""
    path = module_source_dir(project_root, project=project, layout=layout, name=name)
    problem = _source_problem(path)
    if problem:
        expected = (
            "<project root>/packages/module-<name>/infrastructure"
            if layout is ModuleLayout.MONOREPO
            else f"<project root>/../{project}-stack/packages/module-<name>/infrastructure"
        )
        raise CoraInfraError(
            f"{key}: module {name!r} (modules.layout {layout.value!r}, project root "
            f"{str(project_root.absolute())!r}): {str(path)!r} {problem}; the {layout.value} layout expects "
            f"{expected}"
        )
    return path


class FeatureModuleInputs(BaseModel):
    """The variables a stack passes to every HCL feature module: a small set every module declares."""

    model_config = FROZEN

    name_prefix: str
    """``<project>-<environment>``: the module names its resources ``<name_prefix>-<part>``."""
    environment: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9-]*$")
    tags: Mapping[str, str] = Field(default_factory=dict)
    """Default: none besides the provider's default tags (which apply inside modules too)."""

    @field_validator("name_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _NAME_PREFIX.fullmatch(value):
            raise ValueError(
                f"name_prefix {value!r} is invalid: use 1-48 lowercase letters, digits or '-', starting "
                "with a letter"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return check_tags("tags", value)


class HclFeatureModuleProps(BaseModel):
    """An HCL feature module: its name, its folder and the inputs it gets."""

    model_config = FROZEN

    name: str
    """The module's name (``items`` for ``packages/module-items``); names its construct ids."""
    source: Path
    """The module's folder (absolute, or relative to the working directory), e.g. from
    :func:`check_module_source`. It is copied into the synthesized stack as an asset named by its
    content hash, so the Terraform JSON holds no path of this machine."""
    inputs: FeatureModuleInputs

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_module_name(value)

    @field_validator("source")
    @classmethod
    def _source(cls, value: Path) -> Path:
        path = Path(os.path.normpath(value.absolute()))
        problem = _source_problem(path)
        if problem:
            raise ValueError(f"source {str(path)!r} {problem}; give the folder of the module's *.tf files")
        return path


class HclFeatureModule(Construct):
    """A Terraform HCL feature module in the stack (a ``TerraformHclModule`` of a local asset copy).

    Add its routes with ``ModularApiGateway.add_feature_module(module)``; :meth:`lambda_arn` reads one
    function of its ``lambdas`` output.
    """

    def __init__(self, scope: Construct, id_: str, *, props: HclFeatureModuleProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        # An asset of the absolute folder: the JSON names the copy (assets/<id>/<content hash>), never
        # the folder, and cdktf's relative-module handling (which needs the CLI's context) is skipped.
        self.asset = TerraformAsset(self, "source", path=str(props.source), type=AssetType.DIRECTORY)
        inputs = props.inputs
        self.module = TerraformHclModule(
            self,
            "module",
            source=f"./{self.asset.path}",
            variables={
                "name_prefix": inputs.name_prefix,
                "environment": inputs.environment,
                "tags": dict(inputs.tags),
            },
            skip_asset_creation_from_local_modules=True,
        )
        # One read: every reference to the module's outputs is then plain text.
        self.address = f"module.{self.module.friendly_unique_id}"

    @property
    def name(self) -> str:
        """The module's name."""
        return self.props.name

    def output_expression(self, output: str) -> str:
        """The raw expression ``module.<id>.<output>``, to embed in a larger expression."""
        return f"{self.address}.{output}"

    def lambda_arn(self, function: str) -> str:
        """``${module.<id>.lambdas["<function>"]}``: one function of the module's ``lambdas`` output."""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", function):
            raise CoraInfraError(
                f"lambda_arn: function name {function!r} must be 1-64 letters, digits, '-' or '_'"
            )
        return f'${{{self.output_expression("lambdas")}["{function}"]}}'


FeatureModule = ApiModule | HclFeatureModule
"""What ``ModularApiGateway.add_feature_module`` takes: a Python module's routes or an HCL module."""
