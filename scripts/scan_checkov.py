"""Running checkov and hadolint for ``scripts/scan.py``, and building the tree checkov scans.

Owns the synthesis into the scratch folder, the scan copies of the stacks (checkov issue 7454), the
checkov command, environment and JSON parsing, hadolint, and the qualified resource names of results.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("terraform_json", "dockerfile", "github_actions")
# The stacks main.py writes with default settings; a missing one means the scan would miss it.
EXPECTED_STACKS = (
    "dev",
    "stg",
    "prd",
    "local",
    "bootstrap-dev",
    "bootstrap-stg",
    "bootstrap-prd",
    "bootstrap-local",
    # The sample environments on ECS (examples/ecs/config), scanned as stacks/ecs-<env>.
    "ecs-dev",
    "ecs-stg",
    "ecs-prd",
    "ecs-local",
)
#: The config folder of the ECS sample, and the prefix its environment stacks get in the scan tree.
ECS_CONFIG_DIR = "examples/ecs/config"
ECS_PREFIX = "ecs-"
# Settings that change what main.py synthesizes: the scan always covers the default, full output.
SYNTH_SETTINGS = (
    "CORA_ENVIRONMENTS",
    "CORA_IMAGE_TAG",
    "CORA_STATE_BACKEND",
    "CORA_SKIP_SERVICE",
    "CORA_CONFIG_DIR",
)
MARKER = ".cora-scan-dir"  # only a folder holding it (or an empty one) is cleared


# --------------------------------------------------------------------------------------------------
# Running checkov and hadolint


@dataclass(frozen=True)
class Result:
    """One checkov result, as far as the summary needs it."""

    framework: str
    check_id: str
    check_name: str
    file_path: str
    file_abs_path: str
    resource: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.framework, self.check_id, self.file_path, self.resource)

    @property
    def target(self) -> str:
        """``stacks/<id>`` for a stack, else the scanned file's repository path."""
        parts = self.file_path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "stacks":
            return f"stacks/{parts[1]}"
        return "/".join(parts)


@dataclass
class CheckovRun:
    """Parsed output of one checkov process."""

    passed: list[Result] = field(default_factory=list)
    failed: list[Result] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    version: str = ""


def checkov_env() -> dict[str, str]:
    """The environment without checkov settings of the caller (CKV_*, platform keys)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CKV_", "BC_", "PRISMA_", "CHECKOV_"))
    }
    env["LOG_LEVEL"] = "WARNING"
    return env


def checkov_command(checkov: str, tree: Path, config: Path) -> list[str]:
    return [
        checkov,
        "--directory",
        str(tree),
        "--framework",
        *FRAMEWORKS,
        "--config-file",
        str(config),
        "--skip-download",
        "--output",
        "json",
    ]


def parse_checkov(returncode: int, stdout: str, stderr: str) -> CheckovRun:
    """Results and every sign of an untrustworthy run (exit code, crash, parsing errors)."""
    run = CheckovRun()
    if returncode not in (0, 1):
        run.errors.append(f"checkov exited {returncode}")
    if "Traceback (most recent call last)" in stderr:
        run.errors.append("checkov logged a crash (a Python traceback) on stderr")
    try:
        data: Any = json.loads(stdout)
    except json.JSONDecodeError as err:
        run.errors.append(f"checkov printed no single JSON document ({err})")
        return run
    reports = data if isinstance(data, list) else [data]
    for report in reports:
        if not isinstance(report, dict) or "check_type" not in report:
            continue  # e.g. the empty-report form checkov prints when nothing was scanned
        framework = str(report["check_type"])
        results = report.get("results") or {}
        run.version = str((report.get("summary") or {}).get("checkov_version", run.version))
        for path in results.get("parsing_errors") or []:
            run.errors.append(f"{framework}: checkov could not parse {path}")
        for kind, bucket in (("passed_checks", run.passed), ("failed_checks", run.failed)):
            for item in results.get(kind) or []:
                bucket.append(
                    Result(
                        framework=framework,
                        check_id=str(item["check_id"]),
                        check_name=str(item.get("check_name", "")),
                        file_path=str(item.get("file_path", "")),
                        file_abs_path=str(item.get("file_abs_path", "")),
                        resource=str(item.get("resource", "")),
                    )
                )
    return run


@dataclass(frozen=True)
class Hadolint:
    """hadolint's findings on the Dockerfile (``None`` when hadolint is not installed)."""

    findings: list[str] | None
    error: str | None = None


def run_hadolint(hadolint: str, dockerfile: Path) -> Hadolint:
    """hadolint on the Dockerfile (every finding counts, down to the ``info`` level)."""
    if not Path(hadolint).exists():
        return Hadolint(findings=None)
    result = subprocess.run(
        [hadolint, "--no-color", "--format", "tty", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode not in (0, 1) or (result.returncode == 1 and not findings):
        return Hadolint(
            findings=findings, error=f"hadolint exited {result.returncode}: {result.stderr.strip()}"
        )
    return Hadolint(findings=findings)


# --------------------------------------------------------------------------------------------------
# The scan tree


def write_scan_copy(source: Path, target: Path) -> None:
    """Copy a synthesized ``cdk.tf.json`` without ``terraform.required_version`` (checkov issue 7454).

    Everything else is kept as it is, in order; ``source`` is only read.
    """
    doc = json.loads(source.read_text(encoding="utf-8"))
    terraform = doc.get("terraform")
    if isinstance(terraform, dict):
        doc["terraform"] = {key: value for key, value in terraform.items() if key != "required_version"}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def prepare_dir(path: Path) -> None:
    """Empty ``path`` for a new scan; refuse a folder this script did not create."""
    if path.exists():
        if not (path / MARKER).exists() and any(path.iterdir()):
            raise SystemExit(
                f"error: {path} is not empty and is not a scan folder; choose another --scan-dir"
            )
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("scratch folder of scripts/scan.py, emptied on every run\n", encoding="utf-8")


def synthesize(python: str, outdir: Path, *, config_dir: str | None = None) -> None:
    """``python main.py`` with the default settings (or another ``config_dir``), writing into ``outdir``."""
    env = {key: value for key, value in os.environ.items() if key not in SYNTH_SETTINGS}
    env["CDKTF_OUTDIR"] = str(outdir)
    if config_dir is not None:
        env["CORA_CONFIG_DIR"] = config_dir
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env.setdefault("CHECKPOINT_DISABLE", "1")
    result = subprocess.run([python, "main.py"], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"error: synthesis failed: {python} main.py exited {result.returncode}")


def build_scan_tree(synth_dir: Path, tree: Path, stacks: Sequence[str]) -> dict[tuple[str, str], str]:
    """Scan copies of the stacks, the Dockerfile and the workflows, at their repository-like paths.

    A stack ``ecs-<env>`` is read from ``<synth_dir>/ecs/stacks/<env>`` (the ECS sample's synth).
    Returns the resource type of each ``(stacks/<id>, resource name)``: checkov names resources
    ``resource.<name>`` in terraform_json results of its resource checks.
    """
    types: dict[tuple[str, str], str] = {}
    for stack in stacks:
        copy = tree / "stacks" / stack / "cdk.tf.json"
        source = synth_dir / "stacks" / stack
        if stack.startswith(ECS_PREFIX):
            source = synth_dir / "ecs" / "stacks" / stack.removeprefix(ECS_PREFIX)
        write_scan_copy(source / "cdk.tf.json", copy)
        resources = json.loads(copy.read_text(encoding="utf-8")).get("resource") or {}
        for type_, by_name in resources.items():
            for name in by_name:
                types[(f"stacks/{stack}", name)] = type_
    shutil.copy2(ROOT / "Dockerfile", tree / "Dockerfile")
    workflows = tree / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.y*ml")):
        shutil.copy2(workflow, workflows / workflow.name)
    write_generated_workflows(tree)
    return types


#: The layouts ``cora-infra new`` writes; their workflows are scanned under ``generated/<layout>/``.
GENERATED_LAYOUTS = ("monorepo", "two-repo")


def write_generated_workflows(tree: Path) -> list[str]:
    """The workflows ``cora-infra new`` writes, per layout, as ``generated/<layout>/.github/workflows/``
    (their Dockerfile is this repository's, checked equal by tests/scaffold). Returns their paths."""
    from constructs_lib.api.feature_modules import ModuleLayout  # noqa: PLC0415 - only the scan needs it
    from constructs_lib.scaffold import render_project  # noqa: PLC0415

    paths = []
    for layout in GENERATED_LAYOUTS:
        files = render_project("acme", region="eu-west-1", layout=ModuleLayout(layout))
        for name, text in sorted(files.items()):
            if name.startswith(".github/workflows/"):
                path = f"generated/{layout}/{name}"
                (tree / path).parent.mkdir(parents=True, exist_ok=True)
                (tree / path).write_text(text, encoding="utf-8")
                paths.append(path)
    return paths


def qualify(run: CheckovRun, types: Mapping[tuple[str, str], str]) -> CheckovRun:
    """``resource.<name>`` → ``<type>.<name>`` in the results, as graph checks already name them."""

    def fix(result: Result) -> Result:
        name = result.resource.removeprefix("resource.")
        type_ = types.get((result.target, name))
        if result.resource.startswith("resource.") and type_:
            return replace(result, resource=f"{type_}.{name}")
        return result

    return CheckovRun(
        passed=[fix(r) for r in run.passed],
        failed=[fix(r) for r in run.failed],
        errors=run.errors,
        version=run.version,
    )
