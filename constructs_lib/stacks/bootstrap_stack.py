"""``StateBootstrapStack``: creates the S3 bucket that the environment stacks keep their state in."""

from __future__ import annotations

from collections.abc import Iterable

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from constructs_lib import LocalBackendConfig, StateBucket, StateBucketProps, apply_backend, apply_policy
from constructs_lib._runtime.ids import unique_id
from constructs_lib.environment import SHARED, Environment
from constructs_lib.stacks.config import EmulatorConfig
from constructs_lib.stacks.provider import add_aws_provider

# The bootstrap stacks' own state, relative to the folder Terraform runs in (``<outdir>/stacks/<id>``):
# ``<outdir>/../.cora-state/``, which is ``.cora-state/`` at the project root for the default outdir.
# Not under the outdir: ``make clean`` deletes it and ``cdktf synth`` prunes stacks it did not write.
BOOTSTRAP_STATE_DIR = "../../../.cora-state"


def bootstrap_stack_id(environments: Iterable[str]) -> str:
    """``bootstrap-<env>[-<env>...]``: the bootstrap stack of the bucket these environments share."""
    return "-".join(("bootstrap", *environments))


def bootstrap_state_path(id_: str) -> str:
    """Where the bootstrap stack ``id_`` keeps its local state (relative to its stack folder)."""
    return f"{BOOTSTRAP_STATE_DIR}/{id_}.tfstate"


class StateBootstrapStack(TerraformStack):
    """The state bucket (versioned, encrypted, public access blocked, TLS only), with local state.

    Run once per account and region before the first environment that uses the bucket, with that
    account's credentials: ``npx cdktf deploy bootstrap-prd``. Its own state is a local file kept
    outside the output folder (``.cora-state/<id>.tfstate`` at the project root), which no command of
    this project deletes; keep it (or import the bucket into a new state later).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        project: str,
        bucket: str,
        region: str,
        account_id: str | None = None,
        emulator: EmulatorConfig | None = None,
    ) -> None:
        with unique_id("StateBootstrapStack", scope, id_):
            super().__init__(scope, id_)
        add_aws_provider(
            self,
            region=region,
            account_id=account_id,
            emulator=emulator,
            tags={"project": project, "environment": "shared", "managed-by": "cora-infra"},
        )
        apply_backend(self, LocalBackendConfig(path=bootstrap_state_path(id_)))
        emulated = emulator is not None
        # Shared by the environments of one account: the rules that hold everywhere apply, and the
        # bucket must not be destroyable. An emulator's bucket is the local environment's.
        apply_policy(self, environment=Environment.LOCAL if emulated else SHARED)
        # An emulator's bucket is throwaway (force_destroy, destroyable) and reached over plain HTTP (no
        # TLS-only policy, which the emulator enforces); a real one keeps every protection.
        self.state_bucket = StateBucket(
            self,
            "state",
            props=StateBucketProps(
                bucket=bucket, force_destroy=emulated, prevent_destroy=not emulated, tls_only=not emulated
            ),
        )
        TerraformOutput(
            self, "state_bucket", value=bucket, description="Bucket of the environment stacks' state"
        )
