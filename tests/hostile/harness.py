"""Running hostile configs through ``main.py``: copy the sample configs, break one thing, run, judge.

Shared by the hostile test modules. A case copies every sample config (``config/*.toml``) into its own
folder, changes one thing (a key of one file, the files themselves, or an environment variable) and
runs ``python main.py`` with ``CORA_CONFIG_DIR`` pointing at the copy. It must exit 2 with
``error: <message>`` on stderr naming the file, the field (key path), the bad value and what is
allowed, print no traceback, and write no ``cdk.tf.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Mutation

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "config"
# Variables main.py reads besides the ones each case sets: the caller's values must not leak in.
CLEARED = ("CORA_IMAGE_TAG", "CORA_SKIP_SERVICE", "CORA_STATE_BACKEND", "CORA_ENVIRONMENTS")
ENVIRONMENT_NAMES = ("dev", "stg", "prd", "local")


# -- a tiny TOML writer for the shapes the configs use -----------------------------------------------
def toml(data: dict[str, Any], prefix: str = "") -> str:
    """TOML text for ``data`` (tables, arrays of tables, inline tables, scalars, lists)."""
    scalars, tables, arrays = [], [], []
    for key, value in data.items():
        name = _toml_string(key)
        if isinstance(value, dict):
            tables.append((f"{prefix}{name}", value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((f"{prefix}{name}", value))
        else:
            scalars.append(f"{name} = {_toml_value(value)}")
    out = "\n".join(scalars) + "\n"
    for name, table in tables:
        out += f"\n[{name}]\n" + toml(table, f"{name}.")
    for name, items in arrays:
        for item in items:
            out += f"\n[[{name}]]\n" + toml(item, f"{name}.")
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    return json.dumps(value)


def _toml_string(text: str) -> str:
    # Not json.dumps: it writes astral characters as surrogate pairs, which TOML refuses, and leaves
    # DEL unescaped, which TOML forbids raw.
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


# -- the cases ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One hostile input and the pieces its message must contain."""

    id: str
    env: str
    """The environments synthesized (``CORA_ENVIRONMENTS``) and the config file changed (the first)."""
    field: str | tuple[str, ...]
    """The key path (all parts must appear; a table-level rule may name its table and key apart)."""
    value: str
    """The bad value as the message shows it."""
    allowed: str
    """A fragment of what is allowed."""
    change: Mutation | None = None
    tamper: Callable[[Path, str], None] | None = None
    """Changes the copied config folder directly (bytes, file types, several files)."""
    env_vars: dict[str, str] = field(default_factory=dict)
    files: tuple[str, ...] | None = None
    """Config files the message must name. Default: the changed file, when the case is about one."""

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.field,) if isinstance(self.field, str) else self.field

    @property
    def named_files(self) -> tuple[str, ...]:
        """Messages about a config file name it; an unknown environment or an environment variable
        about the selection itself has no file."""
        if self.files is not None:
            return self.files
        if self.env in ENVIRONMENT_NAMES and "CORA_ENVIRONMENTS" not in self.env_vars:
            return (f"{self.env}.toml",)
        return ()

    @property
    def first_env(self) -> str:
        return self.env.split(",")[0]


def params(cases: Iterable[Case]) -> list[Any]:
    """``pytest.param`` per case, with its id."""
    return [pytest.param(case, id=case.id) for case in cases]


@dataclass(frozen=True)
class Outcome:
    """What one run of ``main.py`` did."""

    returncode: int
    stdout: str
    stderr: str
    config_dir: Path
    outdir: Path


def prepare(case: Case, base: Path) -> tuple[Path, Path]:
    """Copy every sample config into ``base/config`` and apply the case's change."""
    config_dir = base / "config"
    config_dir.mkdir(parents=True)
    for source in CONFIG_DIR.glob("*.toml"):
        shutil.copy(source, config_dir / source.name)
    if case.change is not None:
        path = config_dir / f"{case.first_env}.toml"
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        case.change(data)
        text = toml(data)
        assert tomllib.loads(text) == data, f"{case.id}: the TOML writer lost something"
        path.write_text(text, encoding="utf-8")
    if case.tamper is not None:
        case.tamper(config_dir, case.first_env)
    return config_dir, base / "out"


def run(case: Case, base: Path, timeout: float = 180) -> Outcome:
    """Run ``python main.py`` as a process for ``case`` (a hang counts as a failure, not a wait)."""
    config_dir, outdir = prepare(case, base)
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        CORA_CONFIG_DIR=str(config_dir),
        CDKTF_OUTDIR=str(outdir),
        CORA_ENVIRONMENTS=case.env,
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        CHECKPOINT_DISABLE="1",
    )
    env.update(case.env_vars)
    try:
        proc = subprocess.run(
            [sys.executable, "main.py"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome(-1, "", f"main.py hung for {timeout} s", config_dir, outdir)
    return Outcome(proc.returncode, proc.stdout, proc.stderr, config_dir, outdir)


def run_selected(
    request: pytest.FixtureRequest, base: Path, cases: Iterable[Case], timeout: float = 180
) -> dict[str, Outcome]:
    """Run main.py once per case the session selected from this module, four processes at a time."""
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if "outcomes" in getattr(item, "fixturenames", ())
        and item.module is request.module
        and hasattr(item, "callspec")
    }
    chosen = [case for case in cases if case.id in selected]
    # Folders are numbered, not named after the case: a fragment must not match the path by chance.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(
            lambda n_case: (n_case[1].id, run(n_case[1], base / f"{n_case[0]:02d}", timeout)),
            enumerate(chosen),
        )
        return dict(results)


def run_in_process(case: Case, base: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Outcome:
    """``main.main()`` in this process (the jsii kernel is already up): the same checks, no process."""
    import main

    config_dir, outdir = prepare(case, base)
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CORA_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("CDKTF_OUTDIR", str(outdir))
    monkeypatch.setenv("CORA_ENVIRONMENTS", case.env)
    for name, value in case.env_vars.items():
        monkeypatch.setenv(name, value)
    crash = ""
    try:
        code = main.main()
    except Exception as exc:  # a process would die here with a traceback and exit 1
        code, crash = 1, f"Traceback (in-process): {exc!r}"
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err + crash, config_dir, outdir)


def check_refused(case: Case, outcome: Outcome) -> None:
    """Exit 2, one ``error:`` message with file, field, value and rule; no traceback, no JSON."""
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert "Traceback" not in outcome.stdout, outcome.stdout
    assert outcome.returncode == 2, f"exit {outcome.returncode}; stderr: {outcome.stderr}"
    assert outcome.stderr.startswith("error: "), outcome.stderr
    # The fragments are looked for with the temporary folder's path taken out.
    err = outcome.stderr.replace(str(outcome.config_dir), "<config>")
    assert "errors.pydantic.dev" not in err, f"pydantic's raw report, not a config message: {err}"
    for name in case.named_files:
        assert f"<config>/{name}" in err, f"file {name} not named: {err}"
    for fragment in case.fields:
        assert fragment in err, f"field {fragment!r} not named: {err}"
    assert case.value in err, f"bad value {case.value!r} not shown: {err}"
    assert case.allowed in err, f"allowed values ({case.allowed!r}) not shown: {err}"
    written = list(outcome.outdir.rglob("cdk.tf.json")) if outcome.outdir.is_dir() else []
    assert not written, f"Terraform JSON was written: {written}"
