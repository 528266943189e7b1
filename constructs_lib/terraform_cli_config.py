#!/usr/bin/env python3
"""Write the Terraform CLI config a project runs with, and print its path (``cora-infra terraformrc``).

Terraform cannot reach its registry on an offline machine; there, providers come from a filesystem
mirror (a folder holding ``registry.terraform.io/<namespace>/<type>/...``). The mirror is, in order:

1. ``$CORA_TF_PROVIDER_MIRROR`` when set (an empty value means "no mirror: use the registry");
2. the first of the usual mirror locations that holds ``registry.terraform.io/hashicorp/aws``.

With a mirror, the config installs ``registry.terraform.io`` providers from it and nothing directly;
without one, Terraform uses the registry as usual. Point ``TF_CLI_CONFIG_FILE`` at the written file
(the Makefile does). Standard library only: cora-infra's own Makefile runs this file as a script
(``python3 constructs_lib/terraform_cli_config.py .terraformrc``) before its virtualenv exists;
a project that installed cora-infra runs ``cora-infra terraformrc .terraformrc``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

MIRROR_ENV = "CORA_TF_PROVIDER_MIRROR"
PROBE = Path("registry.terraform.io") / "hashicorp" / "aws"
CANDIDATES = (
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)


__all__ = ["discover_mirror", "render", "write", "write_discovered"]


def discover_mirror(environ: dict[str, str] | os._Environ[str] = os.environ) -> Path | None:
    """The mirror folder to use, or ``None`` for the registry."""
    if MIRROR_ENV in environ:
        value = environ[MIRROR_ENV].strip()
        if not value:
            return None
        path = Path(value).expanduser()
        if not (path / "registry.terraform.io").is_dir():
            raise SystemExit(f"{MIRROR_ENV}={value}: no registry.terraform.io folder there")
        return path.resolve()
    for candidate in CANDIDATES:
        if (candidate / PROBE).is_dir():
            return candidate.resolve()
    return None


def render(mirror: Path | None) -> str:
    """The CLI config text."""
    lines = ["# Written by cora-infra (terraform_cli_config.py); do not edit, re-run make install.", ""]
    if mirror is None:
        lines.append("# No provider mirror found: providers come from the registry.")
        return "\n".join(lines) + "\n"
    lines += [
        "provider_installation {",
        "  filesystem_mirror {",
        f"    path    = {str(mirror)!r}".replace("'", '"'),
        '    include = ["registry.terraform.io/*/*"]',
        "  }",
        "  direct {",
        '    exclude = ["registry.terraform.io/*/*"]',
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def write(dest: Path, mirror: Path | None) -> Path:
    """Write the config atomically (a concurrent reader sees the old or the new file, never half)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.write_text(render(mirror), encoding="utf-8")
    tmp.replace(dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="where to write the CLI config")
    args = parser.parse_args(argv)
    path, said = write_discovered(args.dest)
    print(said, file=sys.stderr)
    print(path)
    return 0


def write_discovered(dest: Path) -> tuple[Path, str]:
    """:func:`write` with the :func:`discover_mirror` mirror; the path and a line saying where providers
    come from. Raises ``SystemExit`` when ``CORA_TF_PROVIDER_MIRROR`` names no mirror."""
    mirror = discover_mirror()
    path = write(dest, mirror)
    source = f"provider mirror {mirror}" if mirror else "the Terraform registry"
    return path, f"{path}: providers from {source}"


if __name__ == "__main__":
    sys.exit(main())
