"""Per-environment stacks of a CORA project and the config they are built from."""

from stacks.config import EnvConfig, Environment, load_config
from stacks.cora_app_stack import CoraAppStack

__all__ = ["CoraAppStack", "EnvConfig", "Environment", "load_config"]
