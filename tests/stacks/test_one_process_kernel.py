"""The jsii kernel runs as one node process (_runtime/kernel.py): same JSON, same console output."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from constructs_lib._runtime import kernel as _kernel
from tests.conftest import ROOT, STACKS
from tests.processes import run_python

pytestmark = pytest.mark.slow

KERNEL_PROCESSES = """
    import json, os
    import constructs_lib  # starts the kernel
    import jsii._runtime
    process = jsii._runtime.kernel.provider._process._process

    def children(pid):
        found = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                found += [int(c) for c in listing.read().split()]
        return found

    with open(f"/proc/{process.pid}/environ", "rb") as environ:
        variables = [v.decode() for v in environ.read().split(b"\\0") if v]
    print(json.dumps({"argv": process.args, "children": children(process.pid), "environ": variables}))
"""


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_python(code, timeout=300, **env)


def _without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


def test_the_kernel_is_one_node_process_with_no_relay():
    env = _without("CORA_INFRA_STOCK_KERNEL", "JSII_RUNTIME", "JSII_NODE")
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KERNEL_PROCESSES)],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    seen = json.loads(run.stdout)
    assert seen["argv"][-1].endswith("/bin/kernel.js"), seen["argv"]
    assert seen["children"] == [], "jsii-runtime.js's relay spawns the kernel as a second node process"
    # Module resolution as under the relay's --preserve-symlinks (the launcher also puts the flag in
    # execArgv, where the kernel looks before linking cached packages instead of copying them).
    assert "NODE_PRESERVE_SYMLINKS=1" in seen["environ"]


def test_the_stock_kernel_on_request():
    seen = json.loads(_python(KERNEL_PROCESSES, CORA_INFRA_STOCK_KERNEL="1").stdout)
    assert seen["argv"][-1].endswith("/bin/jsii-runtime.js")
    assert len(seen["children"]) == 1


def test_both_kernels_write_byte_identical_stacks(tmp_path):
    outputs = {}
    for name, env in {"stock": {"CORA_INFRA_STOCK_KERNEL": "1"}, "one-process": {}}.items():
        outdir = tmp_path / name
        subprocess.run(
            [sys.executable, "main.py"],
            cwd=ROOT,
            env={**_without("CORA_INFRA_STOCK_KERNEL"), "CDKTF_OUTDIR": str(outdir), **env},
            capture_output=True,
            check=True,
            timeout=300,
        )
        outputs[name] = outdir
    for stack in STACKS:
        stock = (outputs["stock"] / "stacks" / stack / "cdk.tf.json").read_bytes()
        direct = (outputs["one-process"] / "stacks" / stack / "cdk.tf.json").read_bytes()
        assert stock == direct, stack
    assert (outputs["stock"] / "manifest.json").read_bytes() == (
        outputs["one-process"] / "manifest.json"
    ).read_bytes()


def test_what_js_code_prints_is_forwarded_like_the_relay_does(tmp_path):
    # The launcher, with a stand-in program.js that prints and answers on the API channel (stdout).
    launcher = _kernel.derive_runtime(tmp_path)
    (launcher.parent.parent / "lib" / "program.js").write_text(
        'console.log("to stdout"); console.error("to stderr"); process.stderr.write("raw");'
        'require("fs").writeSync(1, JSON.stringify(process.execArgv) + "\\n");'
    )
    run = subprocess.run(["node", str(launcher)], capture_output=True, timeout=60, check=True)
    assert json.loads(run.stdout) == ["--preserve-symlinks"]  # the API channel, nothing else on it
    lines = [json.loads(line) for line in run.stderr.decode().splitlines()]
    decoded = [(tag, base64.b64decode(data)) for line in lines for tag, data in line.items()]
    assert decoded == [("stdout", b"to stdout\n"), ("stderr", b"to stderr\n"), ("stderr", b"raw")]


def test_the_derived_program_only_moves_the_api_channel(tmp_path):
    launcher = _kernel.derive_runtime(tmp_path)
    derived = (launcher.parent.parent / "lib" / "program.js").read_text()
    stock = _kernel._embedded(_kernel.PROGRAM).decode()
    assert derived == stock.replace("readFD:3,writeFD:3", "readFD:0,writeFD:1")
    assert derived != stock
    with pytest.raises(ValueError, match="expected exactly 1"):
        _kernel.direct_program("no channel here")


def test_an_unwritable_cache_falls_back_to_the_stock_kernel(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    run = _python(
        'import warnings\nwarnings.simplefilter("always")\n' + textwrap.dedent(KERNEL_PROCESSES),
        CORA_INFRA_CACHE_DIR=str(blocker / "cache"),
    )
    assert json.loads(run.stdout.splitlines()[-1])["argv"][-1].endswith("/bin/jsii-runtime.js")
    assert "starting the stock jsii kernel" in run.stderr


def test_the_environment_is_restored_after_the_start():
    run = _python(
        """
        import os
        import constructs_lib
        print(os.environ.get("JSII_RUNTIME"), os.environ.get("NODE_PRESERVE_SYMLINKS"))
        """
    )
    assert run.stdout.split() == ["None", "None"]


def test_derive_runtime_is_reused(tmp_path: Path):
    first = _kernel.derive_runtime(tmp_path)
    stamp = first.stat().st_mtime_ns
    assert _kernel.derive_runtime(tmp_path) == first
    assert first.stat().st_mtime_ns == stamp


HANDSHAKE_PROBE = """
import sys
import jsii._kernel.providers.process as p
calls = []
start, handshake, send = p._NodeProcess.start, p._NodeProcess.handshake, p._NodeProcess.send
p._NodeProcess.start = lambda self: (start(self), calls.append("started"))[0]
def hello(self):
    calls.append(f"hello, pydantic loaded: {'pydantic' in sys.modules}")
    handshake(self)
p._NodeProcess.handshake = hello
p._NodeProcess.send = lambda self, *a, **k: (calls.append("request"), send(self, *a, **k))[1]
import constructs_lib
print(calls[:4])
"""


def test_the_kernel_starts_without_waiting_and_checks_its_hello_before_the_first_request():
    (line,) = _python(HANDSHAKE_PROBE).stdout.splitlines()
    # Spawned first; Python imports ran while node booted; the hello (and its runtime version check)
    # is read before the first request.
    assert line == "['started', 'hello, pydantic loaded: True', 'request', 'request']"


def test_a_wrong_runtime_version_still_fails_at_the_first_request():
    probe = (
        "import jsii._kernel.providers.process as p\n"
        "p.__jsii_runtime_version__ = '0.0.1-not-this'\n"
        "try:\n"
        "    import constructs_lib\n"
        "except AssertionError as err:\n"
        "    print('refused:', err)\n"
    )
    assert "refused: Invalid JSII Runtime Version" in _python(probe).stdout


def test_exit_now_flushes_output_stops_the_kernel_and_keeps_the_exit_code():
    probe = (
        "import sys\n"
        "import constructs_lib\n"
        "import jsii._runtime\n"
        "from constructs_lib.stacks.synth import exit_now\n"
        "node = jsii._runtime.kernel.provider._process._process\n"
        "sys.stderr.write(f'node pid {node.pid}\\n')\n"
        "sys.stdout.write('unflushed output, no newline')\n"
        "exit_now(3)\n"
        "print('never')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 3, run.stderr
    assert run.stdout == "unflushed output, no newline"
    pid = int(run.stderr.split("node pid ")[1].split()[0])
    # The kernel was stopped, not orphaned: its process is gone (or a zombie being reaped).
    status = Path(f"/proc/{pid}/status")
    assert not status.exists() or "State:\tZ" in status.read_text()
