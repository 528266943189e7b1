"""Config values are data, and every refusal reads the same: hostile configs through ``main.py``.

Each case is run as a real ``python main.py`` process (see ``tests/hostile/harness.py``): it must exit 2
with one ``error:`` block naming the file, the key path, the bad value and what is allowed, print no
traceback, never hang, and write no ``cdk.tf.json``. The groups:

- values Terraform or cdktf would not take literally (``${``, ``%{``, token shapes), keys included;
- digits that are not ASCII, ports outside 1-65535, tags beyond AWS's limits, KMS keys in another region;
- environments that would share one state object or one bucket across accounts or regions;
- messages: discriminated unions, unknown keys at any depth, every file's problems in one run;
- the files themselves (FIFO, symlink loop, deep nesting, size) and the output folder.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from constructs_lib import CoraInfraError, EcrRepoProps
from tests.conftest import Mutation, set_key
from tests.hostile.harness import (
    Case,
    Outcome,
    check_refused,
    params,
    run,
    run_in_process,
    run_selected,
    toml,
)

DEV_BUCKET = "cora-tfstate-111111111111-us-east-1"
PRD_KMS = "arn:aws:kms:us-east-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# Arabic-Indic digits (U+0660-U+0669): Python's \d matches them, AWS does not.
_TO_ARABIC = str.maketrans("0123456789", "".join(chr(0x660 + n) for n in range(10)))


def arabic(text: str) -> str:
    """``text`` with its ASCII digits written as Arabic-Indic digits."""
    return text.translate(_TO_ARABIC)


ARABIC = arabic("123456789012")


def _edit(env: str, change: Mutation) -> Callable[[Path, str], None]:
    """A tamper that changes another file than the case's own (cross-environment cases)."""

    def tamper(config_dir: Path, _: str) -> None:
        path = config_dir / f"{env}.toml"
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(toml(data), encoding="utf-8")

    return tamper


def _route(integration: dict[str, Any], **extra: Any) -> Mutation:
    return set_key("api.routes", [{"key": "GET /v1/x", "integration": integration, **extra}])


def _rotation_schedule(expression: str) -> Mutation:
    """Rotate on a schedule expression instead of ``after_days``."""

    def mutate(data: dict[str, Any]) -> None:
        rotation = data["app"]["secret_rotation"]
        del rotation["after_days"]
        rotation["schedule_expression"] = expression

    return mutate


def _fifo(config_dir: Path, env: str) -> None:
    (config_dir / f"{env}.toml").unlink()
    os.mkfifo(config_dir / f"{env}.toml")


def _symlink_loop(config_dir: Path, env: str) -> None:
    (config_dir / f"{env}.toml").unlink()
    (config_dir / f"{env}.toml").symlink_to(f"{env}.toml")


def _deeply_nested(config_dir: Path, env: str) -> None:
    with (config_dir / f"{env}.toml").open("a", encoding="utf-8") as file:
        file.write("\n[nesting]\nvalue = " + "[" * 3000 + "]" * 3000 + "\n")


def _deep_tables(config_dir: Path, env: str) -> None:
    with (config_dir / f"{env}.toml").open("a", encoding="utf-8") as file:
        file.write("\n[tags." + ".".join(["t"] * 2000) + "]\n")


def _huge(config_dir: Path, env: str) -> None:
    with (config_dir / f"{env}.toml").open("a", encoding="utf-8") as file:
        file.write(("# padding\n" * 1000) * 120)  # ~1.2 MB of comments: valid TOML


def _outdir_is_a_file(config_dir: Path, env: str) -> None:
    (config_dir.parent / "out").write_text("not a folder\n")


HTTP = {"type": "http", "url": "https://status.cora.example.com/v1/status", "method": "GET"}
BOTH = ("dev.toml", "stg.toml")

CASES = [
    # -- D: values reach the JSON literally or are refused ---------------------------------------------
    # Terraform would evaluate this interpolation (reading a file of the machine running the plan).
    Case("interpolation-in-value", "dev", "auth.okta_client_id", "${file(", "literal text",
         change=set_key("auth.okta_client_id", '${file("/etc/passwd")}')),
    # A template directive is evaluated too.
    Case("directive-in-tag-value", "dev", "tags.team", "%{ if true }", "'%{'",
         change=set_key("tags", {"team": "%{ if true }x%{ endif }"})),
    # A string token: is_token() made validation skip it, and cdktf would resolve it.
    Case("string-token-as-arn", "dev", "api.routes.0.integration.function_arn", "${TfToken[TOKEN.1]}",
         "tokens can only come from code",
         change=_route({"type": "lambda", "function_arn": "${TfToken[TOKEN.1]}"})),
    # A list token inside a list of strings.
    Case("list-token-in-audience", "dev", "auth.audience.0", "#{TfToken[TOKEN.2]}",
         "tokens can only come from code", change=set_key("auth.audience", ["#{TfToken[TOKEN.2]}"])),
    # A number shaped like a cdktf number token.
    Case("number-token", "prd", "api.throttling.rate_limit", "-1.8881545897087626e+289", "number token",
         change=set_key("api.throttling", {"rate_limit": -1.8881545897087626e289})),
    # Keys are text in the JSON too (tag keys become object keys).
    Case("interpolation-in-key", "dev", "tags", "'${var.x}'", "literal text",
         change=set_key("tags", {"${var.x}": "y"})),
    # A value from the environment is blamed on the variable.
    Case("interpolation-from-env", "dev", ("CORA_IMAGE_TAG", "app.image_tag"), "'${var.tag}'",
         "literal text", env_vars={"CORA_IMAGE_TAG": "${var.tag}"}),
    # -- ASCII digits ------------------------------------------------------------------------------------
    Case("account-arabic-digits", "dev", "account_id", f"'{ARABIC}'", "12 digits 0-9",
         change=set_key("account_id", ARABIC)),
    Case("region-arabic-digit", "dev", "region", f"'{arabic('us-east-1')}'", "such as 'eu-west-1'",
         change=set_key("region", arabic("us-east-1"))),
    Case("kms-arn-arabic-account", "prd", "encryption.kms_key_arn", ARABIC, "arn:aws:kms:<region>",
         change=set_key("encryption.kms_key_arn", PRD_KMS.replace("333333333333", ARABIC))),
    Case("lambda-arn-arabic-account", "dev", "api.routes.0.integration.function_arn", ARABIC,
         "arn:aws:lambda:<region>:<account>",
         change=_route({"type": "lambda",
                        "function_arn": f"arn:aws:lambda:us-east-1:{ARABIC}:function:items"})),
    Case("origin-port-arabic", "dev", "cors.extra_origins", f"'https://api.example.com:{arabic('8080')}'",
         "scheme://host[:port]",
         change=set_key("cors.extra_origins", ["https://dev.cora.example.com",
                                               f"https://api.example.com:{arabic('8080')}"])),
    Case("rotation-schedule-arabic", "stg", "app.secret_rotation.schedule_expression",
         f"'rate({arabic('30')} days)'", "digits 0-9",
         change=_rotation_schedule(f"rate({arabic('30')} days)")),
    # -- ports 1-65535 -----------------------------------------------------------------------------------
    # A host takes no port at all (the URLs derived from it are https on 443).
    Case("app-host-with-port", "stg", "domain.app_host", "'stg.cora.example.com:99999'",
         "no scheme, path, port",
         change=set_key("domain.app_host", "stg.cora.example.com:99999")),
    Case("okta-issuer-port-0", "stg", "auth.okta_issuer", "'https://cora.okta.com:0/oauth2/default'",
         "1-65535", change=set_key("auth.okta_issuer", "https://cora.okta.com:0/oauth2/default")),
    Case("supabase-port-leading-zero", "prd", "supabase.url", "'https://cora.supabase.co:0443'",
         "no leading zeros", change=set_key("supabase.url", "https://cora.supabase.co:0443")),
    Case("integration-url-port-99999", "dev", "api.routes.0.integration.url",
         "'https://status.example.com:99999/v1'", "1-65535",
         change=_route({"type": "http", "url": "https://status.example.com:99999/v1"})),
    Case("emulator-port-70000", "local", "emulator.endpoint", "'http://127.0.0.1:70000'", "1-65535",
         change=set_key("emulator.endpoint", "http://127.0.0.1:70000")),
    Case("origin-port-leading-zero", "stg", "cors.extra_origins", "'https://stg.cora.example.com:0443'",
         "scheme://host[:port]",
         change=set_key("cors.extra_origins", ["https://stg.cora.example.com",
                                               "https://stg.cora.example.com:0443"])),
    # -- tags --------------------------------------------------------------------------------------------
    # 48 + the stack's 3 default tags = 51: AWS allows 50 per resource.
    Case("tags-51-with-defaults", "dev", "tags", "48 tags", "at most 50",
         change=set_key("tags", {f"t{i}": "v" for i in range(48)})),
    # A config tag would silently overwrite (or, differing in case, duplicate) a default tag.
    Case("tag-collides-with-default", "dev", "tags", "'Project'", "'project', 'environment', 'managed-by'",
         change=set_key("tags", {"Project": "other"})),
    Case("tag-keys-differ-in-case", "prd", "tags", "'team'", "case-insensitive",
         change=set_key("tags", {"Team": "a", "team": "b"})),
    Case("tag-value-bad-character", "dev", "tags", "'a<b>'", "letters, digits, spaces",
         change=set_key("tags", {"team": "a<b>"})),
    # -- KMS keys in the stack's region ----------------------------------------------------------------
    Case("kms-key-other-region", "prd", "encryption.kms_key_arn", "eu-west-1", "us-east-1",
         change=set_key("encryption.kms_key_arn", PRD_KMS.replace("us-east-1", "eu-west-1"))),
    Case("state-kms-other-region", "stg", "state.kms_key_id", "eu-west-1", "us-east-1",
         change=set_key("state.kms_key_id", PRD_KMS.replace("us-east-1", "eu-west-1"))),
    # -- C13: state per account ------------------------------------------------------------------------
    # stg moved into dev's account and bucket, with dev's key: the two would overwrite each other.
    Case("shared-state-object", "dev,stg", ("state.bucket", "state.key"), "cora/dev/terraform.tfstate",
         "own state object", files=BOTH,
         tamper=_edit("stg", lambda d: (set_key("account_id", "111111111111")(d),
                                        set_key("state", {"bucket": DEV_BUCKET,
                                                          "key": "cora/dev/terraform.tfstate"})(d)))),
    # stg (account 222222222222) in dev's bucket: the bucket grants no other account (init: 403).
    Case("bucket-shared-across-accounts", "dev,stg", ("state.bucket", "account_id"), DEV_BUCKET,
         "one account", files=BOTH, tamper=_edit("stg", set_key("state.bucket", DEV_BUCKET))),
    # One bucket, two regions: a bucket lives in one region.
    Case("bucket-in-two-regions", "dev,stg", ("state.bucket", "state.region"), "eu-west-1",
         "one region", files=BOTH,
         tamper=_edit("stg", lambda d: (set_key("account_id", "111111111111")(d),
                                        set_key("state", {"bucket": DEV_BUCKET,
                                                          "region": "eu-west-1"})(d)))),
    # -- E: messages -----------------------------------------------------------------------------------
    Case("integration-without-type", "dev", "api.routes.0.integration.type", "missing",
         "'lambda', 'http'", change=_route({"url": "https://status.example.com/v1"})),
    Case("integration-unknown-type", "dev", "api.routes.0.integration.type", "'sqs'", "'lambda', 'http'",
         change=_route({"type": "sqs", "url": "https://status.example.com/v1"})),
    # The unknown key of an http integration lists the http integration's keys (not lambda's).
    Case("unknown-key-in-http-integration", "dev", "api.routes.0.integration.methd",
         "did you mean 'method'", "type, url, method, timeout_ms",
         change=_route({**HTTP, "methd": "GET"})),
    Case("unknown-key-in-lambda-integration", "prd", "api.routes.1.integration.function",
         "did you mean 'function_arn'", "function_arn, payload_format_version",
         change=set_key("api.routes", [
             {"key": "GET /v1/a", "integration": HTTP},
             {"key": "GET /v1/b", "integration": {"type": "lambda", "function": "x"}},
         ])),
    Case("unknown-key-in-emulator", "local", "emulator.endpont", "did you mean 'endpoint'",
         "endpoint, apprunner_endpoint", change=set_key("emulator.endpont", "http://127.0.0.1:1")),
    # A secret named like a plain variable the stack sets: was pydantic's raw report at stack build.
    Case("secret-named-like-plain-env", "dev", "app.secrets", "'OKTA_ISSUER'", "NEXTAUTH_URL",
         change=set_key("app.secrets", ["NEXTAUTH_SECRET", "OKTA_ISSUER"])),
    # Problems in two files are both reported in one run (the default run loads every environment).
    Case("every-file-reported", "dev,stg,prd,local", ("project", "app.port"), "'Cora'", "less than",
         files=("dev.toml", "prd.toml"), change=set_key("project", "Cora"),
         tamper=_edit("prd", set_key("app.port", 70000))),
    # -- the files and the output folder ---------------------------------------------------------------
    Case("config-is-a-fifo", "dev", "dev.toml", "FIFO", "regular file", tamper=_fifo),
    Case("config-symlink-loop", "dev", "dev.toml", "symbolic links", "regular file", tamper=_symlink_loop),
    Case("config-nested-too-deep", "dev", "dev.toml", "nested", "levels", tamper=_deeply_nested),
    Case("config-tables-nested-too-deep", "dev", "dev.toml", "tags.t.t.t", "levels", tamper=_deep_tables),
    Case("config-too-large", "dev", "dev.toml", "bytes", "at most 1048576", tamper=_huge),
    Case("outdir-is-a-file", "dev", "CDKTF_OUTDIR", "/out", "folder", files=(),
         tamper=_outdir_is_a_file),
    Case("outdir-cannot-be-created", "dev", "CDKTF_OUTDIR", "/dev/null/cdktf.out", "cannot create",
         files=(), env_vars={"CDKTF_OUTDIR": "/dev/null/cdktf.out"}),
]  # fmt: skip


assert len({case.id for case in CASES}) == len(CASES), "case ids must be unique"


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Run main.py once per selected case, four processes at a time; a hang fails after 60 s."""
    return run_selected(request, tmp_path_factory.mktemp("config-is-data"), CASES, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize("case", params(CASES))
def test_hostile_config_is_refused_naming_file_key_value_and_rule(case: Case, outcomes: dict[str, Outcome]):
    check_refused(case, outcomes[case.id])


def test_each_file_problem_is_reported_once_per_line(outcomes: dict[str, Outcome], tmp_path: Path):
    """The run with two bad files: one ``error:`` block, one line per problem, dev's before prd's."""
    case = next(c for c in CASES if c.id == "every-file-reported")
    err = (outcomes.get(case.id) or run(case, tmp_path)).stderr
    assert err.count("error: ") == 1, err
    lines = err.rstrip("\n").splitlines()
    assert len(lines) == 2, err
    assert "dev.toml" in lines[0] and "project" in lines[0]
    assert "prd.toml" in lines[1] and "app.port" in lines[1]


def _broken_build(app: Any, configs: Any, **_: Any) -> None:
    """A stack whose construct props refuse a value the config let through (the fallback's case)."""
    from cdktf import TerraformStack

    TerraformStack(app, "prd")
    EcrRepoProps(name="Bad_Name")


def test_props_errors_while_building_read_like_config_errors(monkeypatch, capsys, tmp_path):
    """A construct's pydantic error at stack build names the environment's file and the props field."""
    import main

    monkeypatch.setattr(main, "build_app", _broken_build)
    case = Case("props-error-at-build", "prd", ("EcrRepoProps.name", "stack 'prd'"), "'Bad_Name'",
                "2-256 lowercase letters")  # fmt: skip
    outcome = run_in_process(case, tmp_path, monkeypatch, capsys)
    check_refused(case, outcome)
    assert "validation error for" not in outcome.stderr, outcome.stderr


def test_construct_errors_while_building_name_the_file_and_stack(monkeypatch, capsys, tmp_path):
    """A construct's own refusal (CoraInfraError, not pydantic) is worded the same way."""
    import main

    def broken(app: Any, configs: Any, **_: Any) -> None:
        from cdktf import TerraformStack

        TerraformStack(app, "bootstrap-dev-stg")
        raise CoraInfraError("route 'GET /x' is added twice; each METHOD /path is added once")

    monkeypatch.setattr(main, "build_app", broken)
    case = Case("construct-error-at-build", "dev,stg", "stack 'bootstrap-dev-stg'", "'GET /x'",
                "added once", files=("dev.toml", "stg.toml"))  # fmt: skip
    check_refused(case, run_in_process(case, tmp_path, monkeypatch, capsys))


def test_the_fallback_case_really_is_a_props_error():
    """Harness check: the props really refuse the name (so the test above exercises the fallback)."""
    with pytest.raises(ValidationError, match="Bad_Name"):
        EcrRepoProps(name="Bad_Name")
