#!/usr/bin/env python3
"""The consumer check (``make consumer``, part of ``make test``): cora-infra as a new project meets it.

From this checkout, outside the repository (a temporary folder):

1. build the wheel (``pip wheel --no-deps``, from a copy of the files git tracks or would track) and
   check that its only top-level names are ``constructs_lib`` and its dist-info;
2. create a clean venv and install the wheel WITHOUT ``constraints.txt`` (pip resolves the library's
   own pins; the pip cache of ``make install`` makes it fast), and mypy at the dev pin;
3. copy the fixture project ``tests/consumer/acme`` (its own ``stacks/`` package, ``main.py``,
   ``config/``, ``pyproject.toml``) and in it, with empty provider caches (as on a new machine):
   synthesize twice without ``cora-infra warm``; then, with empty caches again, run ``cora-infra warm``
   and synthesize twice; ``terraform init -backend=false`` and ``validate`` every stack (the project's
   ``.terraformrc`` through ``TF_CLI_CONFIG_FILE``); ``mypy --strict`` without the pydantic plugin
   (cold cache) with 0 errors.

Prints each step's wall time and peak RSS (the largest process of its tree); exits 1 on the first
failed step with its command and output.

    .venv/bin/python scripts/consumer_check.py [--keep] [--dist dist]   # --dist: keep the checked wheel
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "consumer" / "acme"
STACKS = ("dev", "prd", "bootstrap-dev", "bootstrap-prd", "alerts-dev", "alerts-prd")
DIST_INFO = re.compile(r"cora_infra-[^/]+\.dist-info")


class StepFailedError(Exception):
    """A step's command failed; the message holds the command and its output."""


@dataclass(frozen=True)
class Timing:
    """One step: wall seconds and the peak RSS (MB) of its largest process."""

    step: str
    seconds: float
    rss_mb: float


def run(
    step: str, command: Sequence[str | Path], *, cwd: Path, env: dict[str, str], timings: list[Timing]
) -> str:
    """Run ``command``; record its time and peak RSS; raise :class:`StepFailedError` if it fails."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [str(c) for c in command], cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        # wait4: the child's own resource usage (its waited-for descendants included): ru_maxrss in KB.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    seconds = time.monotonic() - start
    timings.append(Timing(step, seconds, usage.ru_maxrss / 1024))
    if process.returncode != 0:
        shown = " ".join(str(c) for c in command)
        raise StepFailedError(f"{step} failed (exit {process.returncode}): {shown}\n(in {cwd})\n{text}")
    return text


def tracked_files() -> list[str]:
    """The checkout's files that git tracks or would track (no venvs, caches or build output)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listing.split("\0") if name and (ROOT / name).is_file()]


def wheel_problems(wheel: Path) -> list[str]:
    """What is wrong with the wheel's top-level names (only ``constructs_lib`` and its dist-info)."""
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
        names = set(archive.namelist())
    problems = [
        f"unexpected top-level name {top!r} in {wheel.name}"
        for top in sorted(tops)
        if top != "constructs_lib" and not DIST_INFO.fullmatch(top)
    ]
    for needed in ("constructs_lib/__init__.py", "constructs_lib/py.typed", "constructs_lib/aws.py"):
        if needed not in names:
            problems.append(f"{wheel.name} lacks {needed}")
    return problems


def dev_pin(package: str) -> str:
    """``package==x.y.z`` as pinned in pyproject's dev extra."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for requirement in pyproject["project"]["optional-dependencies"]["dev"]:
        if requirement.split("==")[0].split("[")[0] == package:
            return str(requirement)
    raise SystemExit(f"pyproject.toml: no {package} pin in the dev extra")


def outside_env(*, drop: set[str], prefixes: tuple[str, ...], bin_dir: Path | None = None) -> dict[str, str]:
    """Our environment as a project outside this checkout sees it: without the variables ``drop`` and
    those starting with ``prefixes``, and with no ``PATH`` entry inside the checkout (``bin_dir`` first)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CDKTF_OUTDIR", *drop}
        and not name.startswith(prefixes)
    }
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not p.startswith(str(ROOT))]
    env["PATH"] = os.pathsep.join([*([str(bin_dir)] if bin_dir else []), *path])
    return env


def clean_env(work: Path, cache: str) -> dict[str, str]:
    """A consumer's environment: ours without our venv, PYTHONPATH or settings, empty provider caches."""
    env = outside_env(drop={"MYPY_CACHE_DIR"}, prefixes=("CORA_", "JSII_"), bin_dir=work / "venv" / "bin")
    env.update(
        VIRTUAL_ENV=str(work / "venv"),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        CHECKPOINT_DISABLE="1",
        TF_IN_AUTOMATION="1",
        TF_CLI_CONFIG_FILE=str(ROOT / ".terraformrc"),
        CORA_INFRA_CACHE_DIR=str(work / cache / "cora-infra"),
        JSII_RUNTIME_PACKAGE_CACHE_ROOT=str(work / cache / "jsii"),
    )
    return env


def build_and_install(work: Path, timings: list[Timing], *, mypy: bool = True) -> Path:
    """Build the wheel from a copy of the checkout, check it, install it into a clean venv (with mypy
    at the dev pin unless ``mypy=False``)."""
    source = work / "src"
    for name in tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    env = clean_env(work, "unused")
    run(
        "build wheel",
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--wheel-dir", work / "dist", source],
        cwd=work,
        env=env,
        timings=timings,
    )
    (wheel,) = (work / "dist").glob("cora_infra-*.whl")
    problems = wheel_problems(wheel)
    if problems:
        raise StepFailedError("wheel check failed:\n" + "\n".join(problems))
    python = sys._base_executable  # the interpreter this venv was made from, not the venv itself
    run("create venv", [python, "-m", "venv", work / "venv"], cwd=work, env=env, timings=timings)
    run(
        "pip install wheel" + (" + mypy" if mypy else ""),
        [
            work / "venv" / "bin" / "python",
            "-m",
            "pip",
            "install",
            "-q",
            # As a generated project's Makefile installs (~20 s less): only the bindings' modules a
            # synth imports get compiled, on first use.
            "--no-compile",
            wheel,
            *([dev_pin("mypy")] if mypy else []),
        ],
        cwd=work,
        env=env,
        timings=timings,
    )
    return wheel


def check_project(work: Path, timings: list[Timing]) -> None:
    """Synth (without and with warm), terraform validate and mypy in a copy of the fixture project."""
    project = work / "acme"
    shutil.copytree(
        FIXTURE, project, ignore=shutil.ignore_patterns("cdktf.out", "__pycache__", ".mypy_cache")
    )
    python = work / "venv" / "bin" / "python"
    # The library resolves from the wheel, and the project's stacks/ from the project, not from us
    # (find_spec: without importing, so the provider caches stay empty for the first synth).
    probe = (
        "import importlib.util as u; "
        "print(u.find_spec('constructs_lib').origin); print(u.find_spec('stacks').origin)"
    )
    where = run(
        "import probe", [python, "-c", probe], cwd=project, env=clean_env(work, "probe"), timings=timings
    )
    library, stacks = where.split()[-2:]
    if not library.startswith(str(work / "venv")) or not stacks.startswith(str(project)):
        raise StepFailedError(
            f"imports resolve to the wrong place: constructs_lib {library}, stacks {stacks}"
        )

    cold = clean_env(work, "cache-cold")
    for n in (1, 2):
        run(f"synth {n} without warm", [python, "main.py"], cwd=project, env=cold, timings=timings)
    warmed = clean_env(work, "cache-warm")
    said = run(
        "cora-infra warm",
        [work / "venv" / "bin" / "cora-infra", "warm"],
        cwd=project,
        env=warmed,
        timings=timings,
    )
    if "jsii runtime index: ready" not in said:
        raise StepFailedError(f"cora-infra warm did not report a ready runtime index:\n{said}")
    for n in (1, 2):
        run(f"synth {n} after warm", [python, "main.py"], cwd=project, env=warmed, timings=timings)

    out = project / "cdktf.out" / "stacks"
    found = sorted(p.name for p in out.iterdir())
    if found != sorted(STACKS):
        raise StepFailedError(f"synth wrote stacks {found}; expected {sorted(STACKS)}")

    def validate(stack: str) -> list[Timing]:
        mine: list[Timing] = []
        folder = ["-chdir=" + str(out / stack)]
        run(f"terraform init {stack}", ["terraform", *folder, "init", "-backend=false", "-input=false"],
            cwd=project, env=warmed, timings=mine)  # fmt: skip
        run(f"terraform validate {stack}", ["terraform", *folder, "validate", "-no-color"],
            cwd=project, env=warmed, timings=mine)  # fmt: skip
        return mine

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores: init/validate are mostly I/O and Go
        for mine in pool.map(validate, STACKS):
            timings.extend(mine)
    timings.append(
        Timing(f"terraform validate, {len(STACKS)} stacks (2 at a time)", time.monotonic() - start, 0)
    )

    config = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    if "plugins" in config["tool"]["mypy"]:
        raise StepFailedError(
            "the fixture's mypy config names plugins; the check is without the pydantic plugin"
        )
    said = run(
        "mypy --strict (cold cache)",
        [work / "venv" / "bin" / "mypy"],
        cwd=project,
        env=warmed,
        timings=timings,
    )
    if not said.strip().startswith("Success: no issues found"):
        raise StepFailedError(f"mypy did not report success:\n{said}")


def report(timings: Sequence[Timing]) -> None:
    """One line per step."""
    for t in timings:
        if t.step.startswith("terraform ") and t.rss_mb:
            continue  # per-stack lines: the summary line below has the wall time of all of them
        rss = f"{t.rss_mb:7.0f} MB" if t.rss_mb else " " * 10
        print(f"  {t.step:<44} {t.seconds:7.2f} s {rss}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run every step in a temporary folder; 0 on success, 1 on the first failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    parser.add_argument("--dist", type=Path, default=None, help="copy the checked wheel into this folder")
    args = parser.parse_args(argv)

    def body(work: Path, timings: list[Timing]) -> None:
        wheel = build_and_install(work, timings)
        check_project(work, timings)
        if args.dist is not None:
            args.dist.mkdir(parents=True, exist_ok=True)
            shutil.copy2(wheel, args.dist / wheel.name)
            print(f"wheel: {args.dist / wheel.name}")

    return run_in_workdir("consumer check", "wheel, venv, synth, validate, mypy", body, keep=args.keep)


def run_in_workdir(
    name: str, what: str, body: Callable[[Path, list[Timing]], None], *, keep: bool = False
) -> int:
    """``body(work, timings)`` in a new temporary folder outside the repository (removed unless
    ``keep``); prints the steps and a verdict; 0 on success, 1 on the first :class:`StepFailedError`."""
    start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=f"cora-{name.split(maxsplit=1)[0]}-")).resolve()
    if work.is_relative_to(ROOT):
        raise SystemExit(f"the temporary folder {work} is inside the repository; set TMPDIR elsewhere")
    timings: list[Timing] = []
    try:
        body(work, timings)
    except StepFailedError as failure:
        report(timings)
        print(f"{name} FAILED after {time.monotonic() - start:.1f} s: {failure}", file=sys.stderr)
        return 1
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(timings)
    print(f"{name} passed in {time.monotonic() - start:.1f} s ({what})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
