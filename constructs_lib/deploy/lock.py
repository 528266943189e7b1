"""The lock app deploys and Terraform applies share: Terraform's own S3 lock file.

With ``use_lockfile = true`` the S3 backend locks the state by creating ``<state key>.tflock`` in the state
bucket with a conditional write (``If-None-Match: *``: the write fails when the object exists), holding
Terraform's lock info as JSON, and deletes it when done. ``cora-infra deploy-app`` takes the very same
object the same way, so an apply and an app deploy of one environment never overlap, whichever
repository or workflow runs them: Terraform (``-lock-timeout``) waits for a deploy, and a deploy waits
for an apply, each naming who holds the lock and since when. The stack publishes the object's location
as ``STATE_LOCK`` (``s3://<bucket>/<key>.tflock``).

A process killed without a chance to clean up (``kill -9``, a lost runner) leaves its lock behind, as a
killed ``terraform apply`` does: ``terraform force-unlock <ID>`` in the stack's folder, or deleting the
object, frees it; the message names both.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from constructs_lib.deploy.checks import client_error_code
from constructs_lib.deploy.errors import BadInputError, DeployFailedError

__all__ = ["LockHeldError", "LockInfo", "StateLock", "parse_lock_url"]

# Terraform's names of its operations (statemgr.LockInfo.Operation), as a person would say them.
_TERRAFORM_OPERATIONS = {
    "OperationTypeApply": "terraform apply",
    "OperationTypePlan": "terraform plan",
    "OperationTypeRefresh": "terraform refresh",
    "OperationTypeInvalid": "terraform",
}


def parse_lock_url(url: str) -> tuple[str, str]:
    """``s3://<bucket>/<key>`` → (bucket, key); :class:`BadInputError` for anything else."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not url.startswith("s3://") or not bucket or not key or not key.endswith(".tflock"):
        raise BadInputError(f"STATE_LOCK {url!r}: expected s3://<state bucket>/<state key>.tflock")
    return bucket, key


@dataclass(frozen=True)
class LockInfo:
    """Terraform's lock info (``statemgr.LockInfo``): the JSON body of the lock object."""

    id: str
    operation: str
    who: str
    created: str
    """RFC 3339, UTC."""
    info: str = ""
    version: str = ""
    path: str = ""

    def to_json(self) -> str:
        """The body Terraform writes (its field names)."""
        return json.dumps(
            {
                "ID": self.id,
                "Operation": self.operation,
                "Info": self.info,
                "Who": self.who,
                "Version": self.version,
                "Created": self.created,
                "Path": self.path,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> LockInfo:
        """Read a lock object's body (Terraform's or ours); unknown shapes still give what they can."""
        try:
            raw = json.loads(text)
        except ValueError:
            raw = {}
        raw = raw if isinstance(raw, dict) else {}
        return cls(
            id=str(raw.get("ID", "?")),
            operation=str(raw.get("Operation", "?")),
            who=str(raw.get("Who", "?")),
            created=str(raw.get("Created", "?")),
            info=str(raw.get("Info", "")),
            version=str(raw.get("Version", "")),
            path=str(raw.get("Path", "")),
        )

    def describe(self, now: datetime) -> str:
        """``terraform apply by alice@host since 2026-12-07T10:00:00Z (4 min ago), lock ID …``."""
        what = _TERRAFORM_OPERATIONS.get(self.operation, self.operation)
        since = self.created
        try:
            created = datetime.fromisoformat(self.created.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            minutes = max((now - created).total_seconds(), 0.0) / 60
            since = f"{self.created} ({minutes:.0f} min ago)"
        info = f" ({self.info})" if self.info else ""
        return f"{what}{info} by {self.who} since {since}, lock ID {self.id}"


class LockHeldError(DeployFailedError):
    """Someone else holds the lock (exit code 1); the message names who and since when."""


def _now_rfc3339(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class StateLock:
    """Terraform's S3 lock object of one environment, taken for one deploy (a context manager)."""

    s3: Any
    url: str
    operation: str
    who: str
    info: str = ""
    version: str = ""
    timeout: float = 0.0
    poll_interval: float = 5.0
    say: Callable[[str], None] = print
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    held: LockInfo | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.bucket, self.key = parse_lock_url(self.url)

    def _try(self) -> LockInfo | None:
        """Take the lock: ``None`` when taken, else the holder's info."""
        info = LockInfo(
            id=str(uuid.uuid4()),
            operation=self.operation,
            who=self.who,
            created=_now_rfc3339(self.now()),
            info=self.info,
            version=self.version,
            path=f"{self.bucket}/{self.key}",
        )
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=self.key,
                Body=info.to_json().encode(),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except Exception as error:
            code = client_error_code(error)
            if code == "NoSuchBucket":
                raise BadInputError(
                    f"STATE_LOCK {self.url}: the state bucket {self.bucket} does not exist (is the "
                    "environment bootstrapped?); nothing was changed"
                ) from error
            if code not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise
            return self.holder() or LockInfo(id="?", operation="?", who="?", created="?")
        self.held = info
        return None

    def holder(self) -> LockInfo | None:
        """Who holds the lock now (``None``: nobody)."""
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except Exception as error:
            if client_error_code(error) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return LockInfo.from_json(body.decode("utf-8", "replace"))

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds for its holder; :class:`LockHeldError` when
        it is still held then."""
        deadline = self.clock() + self.timeout
        told = ""
        while True:
            holder = self._try()
            if holder is None:
                self.say(
                    f"lock: taken ({self.bucket}/{self.key}, lock ID {self.held.id if self.held else '?'})"
                )
                return
            described = holder.describe(self.now())
            if self.clock() >= deadline:
                raise LockHeldError(
                    f"refused: the environment is locked by {described}. Nothing was changed. Run this "
                    "again when it is done; if that run is gone (killed, runner lost), free the lock with "
                    f"`terraform force-unlock {holder.id}` in the stack's folder or "
                    f"`aws s3 rm s3://{self.bucket}/{self.key}`"
                )
            if described != told:
                self.say(f"lock: held by {described}; waiting up to {self.timeout:g} s")
                told = described
            self.sleep(min(self.poll_interval, max(deadline - self.clock(), 0.0)))

    def release(self) -> None:
        """Give the lock back, if it is still ours (as Terraform does: read, compare the ID, delete)."""
        held, self.held = self.held, None
        if held is None:
            return
        current = self.holder()
        if current is None or current.id != held.id:
            self.say(f"lock: no longer ours (now {current.id if current else 'free'}); left as it is")
            return
        self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        self.say("lock: released")

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
