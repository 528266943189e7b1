"""Reading a config file safely: only a regular file of bounded size, parsed as TOML, never a hang.

``Path.read_text`` blocks forever on a FIFO and follows symlink loops into a traceback; a file nested
deeper than Python's recursion limit crashes ``tomllib``. Each of these is a :class:`ConfigError` here.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from constructs_lib import ConfigError

MAX_DEPTH = 32
"""Tables and lists nest a few levels in any real config; deeper data is refused before validation."""
MAX_CONFIG_BYTES = 1 << 20
"""A config file is a few kilobytes; a megabyte is generous and keeps a stray log or dump out."""

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def display(path: Path) -> str:
    """The path relative to the working directory when it is below it (messages stay short).

    Only the folder is resolved: the file itself may be a symlink loop, and its name is what the user
    gave.
    """
    try:
        folder = path.parent.resolve()
        return str((folder / path.name).relative_to(Path.cwd().resolve()))
    except (OSError, RuntimeError, ValueError):
        return str(path)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(65536, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_config(path: Path, shown: str) -> dict[str, Any]:
    """The TOML table in ``path``; every fault is a ``ConfigError`` naming ``shown``."""
    try:
        # Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(f"{shown}: config file not found") from None
    except OSError as err:
        raise ConfigError(
            f"{shown}: cannot open the config file ({err.strerror or err}); it must be a readable "
            "regular file"
        ) from None
    try:
        # fstat of the open file, not stat of the path: the path may change between the two.
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"{shown}: is {_kind(mode)}, not a config file; it must be a regular file")
        raw = _read_at_most(fd, MAX_CONFIG_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"{shown}: cannot read the config file: {err.strerror or err}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{shown}: is more than {MAX_CONFIG_BYTES} bytes; config files are at most "
            f"{MAX_CONFIG_BYTES} bytes"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{shown}: the file must be UTF-8 text; byte 0x{err.object[err.start]:02x} at position "
            f"{err.start} is not ({err.reason})"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{shown}: not valid TOML: {err}") from None
    except RecursionError:
        raise ConfigError(
            f"{shown}: values are nested too deeply for the TOML parser; config files nest at most "
            f"{MAX_DEPTH} levels"
        ) from None


def set_path(data: dict[str, Any], dotted: str, value: object) -> None:
    """Set the dotted key ``dotted`` of ``data`` (an override), creating tables on the way."""
    node = data
    *parents, last = dotted.split(".")
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override {dotted}: {part!r} is not a table in the config")
        node = child
    node[last] = value
