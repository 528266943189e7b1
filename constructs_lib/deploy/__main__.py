"""``python -m constructs_lib.deploy``: the ``cora-infra`` command."""

import sys

from constructs_lib.deploy.cli import main

sys.exit(main())
