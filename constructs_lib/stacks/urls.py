"""``python -m constructs_lib.stacks.urls <env>``: the app's URLs from config alone, before any deploy.

The image build needs ``NEXT_PUBLIC_API_URL`` (Next.js inlines ``NEXT_PUBLIC_*`` at build time) and the
workflows need ``NEXTAUTH_URL`` and the app's origins; all derive from the environment's ``[domain]``.

- ``--format env`` (default): ``NAME=value`` lines, for ``$GITHUB_ENV``/``$GITHUB_OUTPUT`` or a
  Docker ``--build-arg``; ``APP_ORIGINS`` is comma-separated.
- ``--format json``: one object; ``APP_ORIGINS`` is a list.

Exit codes: 0 printed; 2 bad config or arguments (one ``error:`` line per problem); 3 the environment
has no ``[domain]``, so its URLs are known only after deploy (nothing is printed on stdout).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from constructs_lib import ConfigError
from constructs_lib.stacks.config import Environment, load_config
from constructs_lib.stacks.config_files import display

NO_DOMAIN = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m constructs_lib.stacks.urls",
        description="Print the app's URLs, derived from [domain] in config.",
    )
    parser.add_argument("environment", help=f"one of: {', '.join(e.value for e in Environment)}")
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=Path("config"),
        help="folder of the <env>.toml files (default: ./config)",
    )
    parser.add_argument(
        "--format", choices=("env", "json"), default="env", help="output format (default: env)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Print the environment's URLs; return the exit code (argparse exits 2 itself on bad arguments)."""
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.environment, args.config_dir)
    except ConfigError as err:
        for line in str(err).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    domain = config.domain
    if domain is None:
        shown = display(args.config_dir / f"{args.environment}.toml")
        print(
            f"{args.environment}: no [domain] in {shown}: the app's and the API's URLs are only known after "
            "deploy (stack outputs app_url / api_url); add a [domain] to know them before",
            file=sys.stderr,
        )
        return NO_DOMAIN
    if args.format == "json":
        values = {"NEXT_PUBLIC_API_URL": domain.api_url, "NEXTAUTH_URL": domain.app_url}
        print(json.dumps({**values, "APP_ORIGINS": list(domain.app_origins)}, indent=2))
    else:
        print(f"NEXT_PUBLIC_API_URL={domain.api_url}")
        print(f"NEXTAUTH_URL={domain.app_url}")
        print(f"APP_ORIGINS={','.join(domain.app_origins)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
