"""What a generated project holds: its files per layout, the settings per environment, the pins it uses.

The pins are the ones this library is tested with; ``tests/scaffold/test_new.py`` keeps them equal to
cora-infra's own ``pyproject.toml`` and workflows, so a bump here is a bump there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs_lib.api.feature_modules import ModuleLayout
from constructs_lib.compute.web_service import Compute
from constructs_lib.environment import Environment

__all__ = [
    "ACTIONS",
    "COMPUTE_ADVICE",
    "DEV_PINS",
    "ENVIRONMENTS",
    "FILES",
    "FileSpec",
    "environment_settings",
    "stack_names",
]

ENVIRONMENTS = (Environment.DEV, Environment.STG, Environment.PRD)

#: The generated project's test tools: the versions cora-infra's own dev extra pins.
DEV_PINS: Mapping[str, str] = {
    "pytest": "pytest==9.2.0",
    "syrupy": "syrupy==7.0.2",
    "ruff": "ruff==0.17.6",
    "mypy": "mypy==2.4.1",
    "setuptools": "setuptools==80.9.0",
}


@dataclass(frozen=True)
class Action:
    """A GitHub action pinned by commit SHA, with the version it is (for the ``# vX.Y.Z`` comment)."""

    repository: str
    sha: str
    version: str

    @property
    def uses(self) -> str:
        """``<owner>/<repo>@<sha>  # <version>``: the value of a workflow's ``uses:``."""
        return f"{self.repository}@{self.sha}  # {self.version}"


#: The actions the generated workflows use: the same commits as cora-infra's own workflows.
ACTIONS: Mapping[str, Action] = {
    "checkout": Action("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "setup_python": Action("actions/setup-python", "5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "setup_node": Action("actions/setup-node", "820762786026740c76f36085b0efc47a31fe5020", "v7.0.0"),
    "setup_terraform": Action(
        "hashicorp/setup-terraform", "dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"
    ),
    "configure_aws_credentials": Action(
        "aws-actions/configure-aws-credentials", "e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"
    ),
}

_MONOREPO = frozenset({ModuleLayout.MONOREPO})
_BOTH = frozenset(ModuleLayout)


@dataclass(frozen=True)
class FileSpec:
    """One template and the file(s) it renders to, in the layouts that have it."""

    template: str
    output: str
    layouts: frozenset[ModuleLayout] = _BOTH
    per_environment: bool = field(default=False)

    def outputs(self, context: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(path, extra context)`` for each file this template renders."""
        if not self.per_environment:
            yield self.output, {}
            return
        for settings in context["environments"]:
            yield self.output.format(env=settings["name"]), {"env": settings}


FILES: tuple[FileSpec, ...] = (
    FileSpec("README.md.j2", "README.md"),
    FileSpec("Makefile.j2", "Makefile"),
    FileSpec("pyproject.toml.j2", "pyproject.toml"),
    FileSpec("cdktf.json.j2", "cdktf.json"),
    FileSpec("main.py.j2", "main.py"),
    FileSpec("gitignore.j2", ".gitignore"),
    FileSpec("config/env.toml.j2", "config/{env}.toml", per_environment=True),
    FileSpec("stacks/__init__.py.j2", "stacks/__init__.py"),
    FileSpec("tests/__init__.py.j2", "tests/__init__.py"),
    FileSpec("tests/conftest.py.j2", "tests/conftest.py"),
    FileSpec("tests/test_stacks.py.j2", "tests/test_stacks.py"),
    FileSpec("github/workflows/ci.yml.j2", ".github/workflows/ci.yml"),
    FileSpec("github/workflows/deploy-infra.yml.j2", ".github/workflows/deploy-infra.yml"),
    FileSpec("github/workflows/deploy-app.yml.j2", ".github/workflows/deploy-app.yml"),
    FileSpec("github/zizmor.yml.j2", ".github/zizmor.yml"),
    FileSpec("yamllint.j2", ".yamllint"),
    FileSpec("Dockerfile.j2", "Dockerfile", _MONOREPO),
    FileSpec("dockerignore.j2", ".dockerignore", _MONOREPO),
    FileSpec("packages/README.md.j2", "packages/README.md", _MONOREPO),
)


def stack_names() -> list[str]:
    """The stacks a generated project synthesizes: one per environment and one bootstrap stack per
    environment's state bucket, sorted."""
    names = [e.value for e in ENVIRONMENTS]
    return sorted([*names, *(f"bootstrap-{n}" for n in names)])


def environment_settings(
    environment: Environment,
    project: str,
    region: str,
    domain: str | None,
    compute: Compute = Compute.APPRUNNER,
) -> dict[str, Any]:
    """The values ``config/<env>.toml`` is rendered with."""
    env = environment.value
    prd = environment is Environment.PRD
    placeholder = domain is None
    zone_base = domain or f"{project}.example.com"
    host = None
    if domain is not None or environment is not Environment.DEV:
        zone = zone_base if prd else f"{env}.{zone_base}"
        host = {"zone": zone, "app_host": zone, "api_host": f"api.{zone}", "www": prd}
    return {
        "name": env,
        "prd": prd,
        "bucket": f"{project}-{env}-tfstate-{region}",
        "min_size": {"dev": 1, "stg": 1, "prd": 2}[env],
        "max_size": {"dev": 2, "stg": 3, "prd": 10}[env],
        "log_retention_days": {"dev": 14, "stg": 30, "prd": 365}[env],
        "okta_client_id": f"{project}-{env}-okta-client-id",
        "audience": f"api://{project}" if prd else f"api://{project}-{env}",
        "supabase_url": f"https://{project}.supabase.co" if prd else f"https://{project}-{env}.supabase.co",
        "domain": host,
        "placeholder_domain": placeholder and host is not None,
        "force_delete_images": environment is Environment.DEV,
        # The [network] defaults the config applies with compute = "ecs" (shown commented out): prd
        # survives the loss of a zone's NAT gateway, dev and stg save one NAT gateway per extra zone.
        "nat": "per_az" if prd else "single",
        "ecs": compute is Compute.ECS,
    }


#: What ``cora-infra new`` prints about the compute it chose, two lines each (the generated README's
#: "App Runner or ECS" says the same at more length).
COMPUTE_ADVICE: Mapping[Compute, tuple[str, str]] = {
    Compute.APPRUNNER: (
        "compute: App Runner, closed to new customers since 30 April 2026: a new AWS account cannot use "
        "it (accounts that used it keep it); there, use --compute ecs.",
        'ECS Fargate (--compute ecs, or [app] compute = "ecs" later) adds a VPC, tasks up to 16 vCPU / '
        "120 GB and ARM64; App Runner is simpler and cheaper at low traffic (no ALB ~USD 16+/month, no NAT "
        "~USD 32/month).",
    ),
    Compute.ECS: (
        "compute: ECS Fargate behind an ALB, in a VPC the stack creates ([network] in config/<env>.toml): "
        "any AWS account (App Runner takes no new customers since 30 April 2026), up to 16 vCPU / 120 GB, "
        "ARM64.",
        "App Runner (existing accounts only) is simpler and cheaper at low traffic: no ALB (~USD 16+/month), "
        "no NAT gateway (~USD 32/month each). README: 'App Runner or ECS'.",
    ),
}
