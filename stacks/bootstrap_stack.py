"""``StateBootstrapStack``: creates the S3 bucket that the environment stacks keep their state in."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from constructs_lib import LocalBackendConfig, StateBucket, StateBucketProps, apply_backend, apply_policy
from stacks.config import EmulatorConfig
from stacks.provider import add_aws_provider


class StateBootstrapStack(TerraformStack):
    """The state bucket (versioned, encrypted, public access blocked, TLS only), with local state.

    Run once per account and region before the first environment: ``npx cdktf deploy bootstrap``. Its
    own state is a local file (``terraform.<id>.tfstate``): keep it, or import the bucket later.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        project: str,
        bucket: str,
        region: str,
        emulator: EmulatorConfig | None = None,
    ) -> None:
        super().__init__(scope, id_)
        add_aws_provider(
            self,
            region=region,
            emulator=emulator,
            tags={"project": project, "environment": "shared", "managed-by": "cora-infra"},
        )
        apply_backend(self, LocalBackendConfig(path=f"terraform.{id_}.tfstate"))
        # Shared by every environment: the rules that hold everywhere apply.
        apply_policy(self, environment="shared")
        # An emulator's bucket is throwaway (force_destroy) and reached over plain HTTP (no TLS-only
        # policy, which the emulator enforces); a real one keeps both protections.
        emulated = emulator is not None
        self.state_bucket = StateBucket(
            self,
            "state",
            props=StateBucketProps(bucket=bucket, force_destroy=emulated, tls_only=not emulated),
        )
        TerraformOutput(
            self, "state_bucket", value=bucket, description="Bucket of the environment stacks' state"
        )
