"""Starting the jsii kernel as one node process instead of two (see :func:`start_kernel`).

jsii's stock launcher, ``bin/jsii-runtime.js``, starts node, which spawns a second node process running
the kernel (``lib/program.js``) and relays every request and response between Python's pipes and the
kernel's file descriptor 3, wrapping what JS code prints into JSON lines on stderr. Each kernel round
trip (a synth of the sample project makes ~600) so crosses two more pipes and wakes a second event
loop: about a tenth of ``python main.py``'s CPU time.

Here the kernel runs in the first process: a derived copy of ``program.js`` reads requests from stdin
and writes responses to stdout (descriptors 0 and 1 instead of 3, the one change), and a small launcher
forwards what JS code prints exactly as the relay does (``{"stdout"|"stderr": <base64>}`` lines on
stderr, which jsii's Python side unwraps). The copy is derived from the installed jsii package on first
use and cached under ``<cache_dir()>/jsii-runtime/<sha256>-v<N>/``. Node gets ``--preserve-symlinks``
(through ``NODE_PRESERVE_SYMLINKS``) as the relay gives its child, so packages resolve alike.

The stock launcher is used instead when the kernel already runs, when ``JSII_RUNTIME`` or ``JSII_NODE``
is set (the user's own choice), with ``JSII_DEBUG``/``JSII_DEBUG_TIMING`` (whose output the kernel writes
around the relay's wrapping), with ``CORA_INFRA_STOCK_KERNEL=1``, and, with a warning, when the copy
cannot be written or the kernel does not start from it. The synthesized JSON is byte-identical either
way (tests/stacks/test_fast_synth.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import os
import sys
import uuid
import warnings
from pathlib import Path
from typing import Any, NoReturn

import jsii._embedded.jsii
import jsii._kernel.providers.process
import jsii._runtime

from constructs_lib._runtime.provider_loader import cache_dir

DERIVATION_VERSION = 2
PROGRAM = "lib__program.js"
INDEX_WORKER = "lib__runtime-index-worker.js"
# program.js opens its jsii API channel on the descriptor the relay sets up; here it is stdin/stdout.
CHANNEL = "readFD:3,writeFD:3"
DIRECT_CHANNEL = "readFD:0,writeFD:1"
LAUNCHER_MARKER = (
    "// cora-infra: the jsii kernel without its relay process (constructs_lib/_runtime/kernel.py)"
)
LAUNCHER = f"""{LAUNCHER_MARKER}
"use strict";
const fs = require("fs");
const path = require("path");
const {{ Writable }} = require("stream");

// What JS code prints must not reach the API channel (stdout): forward it as jsii-runtime.js does,
// one JSON line per chunk on stderr, which the Python side unwraps.
function forward(tag, fd) {{
  const stream = new Writable({{
    write(chunk, encoding, done) {{
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding);
      fs.writeSync(2, JSON.stringify({{ [tag]: buffer.toString("base64") }}) + "\\n");
      done();
    }},
  }});
  stream.fd = fd;
  return stream;
}}
const stdout = forward("stdout", 1);
const stderr = forward("stderr", 2);
Object.defineProperty(process, "stdout", {{ configurable: true, enumerable: true, get: () => stdout }});
Object.defineProperty(process, "stderr", {{ configurable: true, enumerable: true, get: () => stderr }});

// The relay starts the kernel with --preserve-symlinks; here NODE_PRESERVE_SYMLINKS=1 does the same for
// module resolution, and the kernel reads the flag from execArgv to link, not copy, cached packages.
if (!process.execArgv.includes("--preserve-symlinks")) process.execArgv.push("--preserve-symlinks");

require(path.join(__dirname, "..", "lib", "program.js"));
"""
_STOCK_SETTINGS = ("JSII_RUNTIME", "JSII_NODE", "JSII_DEBUG", "JSII_DEBUG_TIMING")


def _embedded(name: str) -> bytes:
    return importlib.resources.files(jsii._embedded.jsii).joinpath(name).read_bytes()


def direct_program(source: str) -> str:
    """``program.js`` with its API channel on stdin/stdout; ``ValueError`` if its layout is unknown."""
    if source.count(CHANNEL) != 1:
        raise ValueError(f"jsii's program.js has {source.count(CHANNEL)} '{CHANNEL}'; expected exactly 1")
    return source.replace(CHANNEL, DIRECT_CHANNEL)


def _write(path: Path, content: bytes) -> None:
    """Atomic: racing processes write identical bytes, readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_bytes(content)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def derive_runtime(cache: Path) -> Path:
    """The launcher of the one-process kernel in ``cache``, derived once per jsii runtime."""
    program = _embedded(PROGRAM)
    digest = hashlib.sha256(program + LAUNCHER.encode()).hexdigest()[:32]
    root = cache / "jsii-runtime" / f"{digest}-v{DERIVATION_VERSION}"
    launcher = root / "bin" / "kernel.js"
    if launcher.is_file():
        return launcher
    _write(root / "lib" / "program.js", direct_program(program.decode("utf-8")).encode("utf-8"))
    _write(root / "lib" / "runtime-index-worker.js", _embedded(INDEX_WORKER))
    _write(launcher, LAUNCHER.encode("utf-8"))  # last: its presence means the folder is complete
    return launcher


def _started() -> bool:
    """True once jsii has started its node process (or when that cannot be told: then we keep out)."""
    # jsii starts the process on the first request and keeps it in a memoized property's closure.
    getter = getattr(type(jsii._runtime.kernel.provider), "_process", None)
    function = getattr(getter, "fget", None)
    code, closure = getattr(function, "__code__", None), getattr(function, "__closure__", None)
    if code is None or closure is None or "stored" not in code.co_freevars:
        return True
    return bool(closure[code.co_freevars.index("stored")].cell_contents)


def start_kernel() -> None:
    """Start the jsii kernel now, as one node process when possible (see the module docstring).

    Call it before anything talks to the kernel (``constructs_lib`` does, before importing cdktf);
    afterwards it does nothing.
    """
    if _started():
        return
    if os.environ.get("CORA_INFRA_STOCK_KERNEL") == "1" or any(os.environ.get(k) for k in _STOCK_SETTINGS):
        return
    try:
        launcher = derive_runtime(cache_dir())
    except (OSError, ValueError) as err:
        warnings.warn(f"cora-infra: starting the stock jsii kernel ({err})", RuntimeWarning, stacklevel=2)
        return
    # The kernel's environment is copied when it starts: set these for it alone, then restore.
    saved = {name: os.environ.get(name) for name in ("JSII_RUNTIME", "NODE_PRESERVE_SYMLINKS")}
    os.environ["JSII_RUNTIME"] = str(launcher)
    os.environ["NODE_PRESERVE_SYMLINKS"] = "1"
    try:
        _start_without_waiting()
    except Exception as err:  # any failure: the stock kernel still works
        warnings.warn(f"cora-infra: starting the stock jsii kernel ({err})", RuntimeWarning, stacklevel=2)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _start_without_waiting() -> None:
    """Start the kernel's process and return before node has booted (~80 ms of it).

    jsii waits for the kernel's hello right after spawning it; here that wait moves to the first
    request, so Python imports (cdktf, pydantic, typeguard, ours) run while node loads ``program.js``
    on the other core. The hello is still read, and its version checked, before anything is sent.
    """
    process_type = jsii._kernel.providers.process._NodeProcess
    handshake = process_type.handshake
    process_type.handshake = lambda self: None  # type: ignore[method-assign]
    try:
        # Reading the property starts the process (ProcessProvider, jsii's only provider).
        process = getattr(jsii._runtime.kernel.provider, "_process")  # noqa: B009
    finally:
        process_type.handshake = handshake  # type: ignore[method-assign]
    send = process.send

    def first_send(*args: Any, **kwargs: Any) -> Any:
        del process.send  # back to the class's method for every later request
        handshake(process)
        return send(*args, **kwargs)

    process.send = first_send


# Before cdktf or constructs are imported (constructs_lib/__init__ imports this module first).
start_kernel()


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` without Python's interpreter teardown (as mypy's ``hard_exit``).

    Freeing the objects of cdktf, the bindings and jsii takes ~50 ms after a synth has finished; nothing
    of it is needed. Before leaving: stdout and stderr are flushed and the jsii kernel is stopped (its
    files are all written by then; node exits cleanly). Other ``atexit`` handlers do not run, so call it
    only from a program's entry point, after its work is done.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if _started():
        with contextlib.suppress(Exception):
            getattr(jsii._runtime.kernel.provider, "_process").stop()  # noqa: B009
    os._exit(code)
