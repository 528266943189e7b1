"""Property-based tests (hypothesis) of route keys and resource names.

Valid inputs are generated from the grammar AWS documents and must be accepted unchanged; arbitrary
text must either be accepted and satisfy that grammar, or be refused with a ``ValueError`` whose
message shows the value (``repr``), never anything else.

Runs are deterministic (``derandomize=True``) and leave nothing behind (``database=None``). Set
``CORA_HYPOTHESIS_PROFILE=explore`` to search with random seeds and more examples.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable
from pathlib import Path

import cdktf
import pytest
from hypothesis import assume, event, example, given, settings
from hypothesis import strategies as st

from constructs_lib import (
    ApiRoute,
    AppRunnerServiceProps,
    AppSecretsProps,
    ConfigError,
    CorsConfig,
    EcrRepo,
    EcrRepoProps,
    HttpIntegration,
    HttpMethod,
    ModularApiGatewayProps,
    SecretProps,
)
from constructs_lib.modular_api_gateway import parse_route_key
from stacks import load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "config"

settings.register_profile("cora", derandomize=True, database=None, deadline=None, max_examples=150)
settings.register_profile(
    "explore", parent=settings.get_profile("cora"), derandomize=False, max_examples=2000
)
PROFILE = settings.get_profile(os.environ.get("CORA_HYPOTHESIS_PROFILE", "cora"))
# The six targeted invalid-key generators each get half as many examples.
TARGETED = settings(PROFILE, max_examples=PROFILE.max_examples // 2)

HTTP = HttpIntegration(url="https://status.cora.example.com/v1/status")
CORS = CorsConfig(allow_origins=("*",))

# -- grammars, as AWS documents them (written out here, not imported from the code under test) -------
# API Gateway route key: "METHOD /path"; segments of unreserved characters or {param}, last may be greedy.
LITERAL_CHARS = string.ascii_letters + string.digits + "._~-"
ECR_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")  # 2-256 chars
SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{3,39}")  # App Runner ServiceName
PROJECT = re.compile(r"[a-z][a-z0-9-]{0,22}[a-z0-9]")  # "2-24 lowercase letters, digits or '-'"
SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")  # Secrets Manager Name
API_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")  # ours: the access log group is named after the API

NEAR_NAMES = string.ascii_letters[:6] + "XYZ" + "0129" + "-_./ @+=$:{}" + "\n\t\x00é"
NEAR_KEYS = "GETPOSany " + "/{}+" + LITERAL_CHARS[-6:] + ":@*$'\n\t"


@st.composite
def _edited(draw: st.DrawFn, valid: st.SearchStrategy[str], alphabet: str) -> str:
    """A valid value with up to two one-character edits (insert, delete or replace)."""
    value = draw(valid)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(value)))
        char = draw(st.one_of(st.sampled_from(alphabet), st.characters()))
        operation = draw(st.sampled_from(["insert", "delete", "replace"]))
        if operation == "insert":
            value = value[:at] + char + value[at:]
        elif at < len(value):
            value = value[:at] + (char if operation == "replace" else "") + value[at + 1 :]
    return value


def _hostile(valid: st.SearchStrategy[str], alphabet: str, max_size: int = 64) -> st.SearchStrategy[str]:
    """Arbitrary text, text from an alphabet near the grammar, and valid values slightly edited.

    A trailing newline is left out: it is a known gap with its own test (test_trailing_newline_...).
    """
    return st.one_of(
        st.text(max_size=max_size),
        st.text(alphabet=alphabet, max_size=max_size),
        _edited(valid, alphabet),
    ).filter(lambda s: not s.endswith("\n"))


# -- route keys --------------------------------------------------------------------------------------
param_names = st.builds(
    str.__add__,
    st.sampled_from(string.ascii_letters + "_"),
    st.text(alphabet=string.ascii_letters + string.digits + "_", max_size=10),
)
literal_segments = st.text(alphabet=LITERAL_CHARS, min_size=1, max_size=12)


@st.composite
def route_parts(draw: st.DrawFn, *, min_segments: int = 0) -> tuple[HttpMethod, list[str]]:
    """A method and the path's segments: literals and unique {params}, maybe a greedy last one."""
    method = draw(st.sampled_from(HttpMethod))
    names: set[str] = set()
    segments: list[str] = []
    for _ in range(draw(st.integers(min_segments, 6))):
        if draw(st.booleans()):
            name = draw(param_names.filter(lambda n: n not in names))
            names.add(name)
            segments.append("{" + name + "}")
        else:
            segments.append(draw(literal_segments))
    if draw(st.booleans()):
        segments.append("{" + draw(param_names.filter(lambda n: n not in names)) + "+}")
    return method, segments


def _path(segments: list[str]) -> str:
    return "/" + "/".join(segments)


def _refused_naming(key: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(key))):
        parse_route_key(key)


@PROFILE
@given(route_parts())
def test_grammar_route_keys_are_accepted_exactly(parts: tuple[HttpMethod, list[str]]):
    method, segments = parts
    key = f"{method.value} {_path(segments)}"
    assert parse_route_key(key) == (method, _path(segments))
    route = ApiRoute(key=key, integration=HTTP)
    assert (route.method, route.path) == (method, _path(segments))


@PROFILE
@given(
    st.one_of(
        st.text(),
        st.from_regex(r"[A-Za-z]{2,8} {1,2}/[ -~]{0,30}", fullmatch=True),
        _edited(route_parts().map(lambda p: f"{p[0].value} {_path(p[1])}"), NEAR_KEYS),
    )
)
def test_any_text_is_accepted_as_written_or_refused_naming_it(key: str):
    try:
        method, path = parse_route_key(key)
    except ValueError as err:  # anything else fails the test
        refusal = str(err)
    else:
        event("accepted")
        assert isinstance(method, HttpMethod)
        assert f"{method.value} {path}" == key
        return
    event("refused")
    assert repr(key) in refusal, refusal


@TARGETED
@given(route_parts(min_segments=1), st.data())
def test_trailing_slash_or_empty_segment_is_refused(parts: tuple[HttpMethod, list[str]], data: st.DataObject):
    method, segments = parts
    _refused_naming(f"{method.value} {_path(segments)}/")
    at = data.draw(st.integers(0, len(segments)))
    _refused_naming(f"{method.value} {_path([*segments[:at], '', *segments[at:]])}")


@TARGETED
@given(route_parts())
def test_path_without_leading_slash_is_refused(parts: tuple[HttpMethod, list[str]]):
    method, segments = parts
    _refused_naming(f"{method.value} {'/'.join(segments)}")


@TARGETED
@given(
    route_parts(),
    st.one_of(
        st.sampled_from([m.value.lower() for m in HttpMethod] + [m.value.title() for m in HttpMethod]),
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=10).filter(
            lambda m: m not in {h.value for h in HttpMethod}
        ),
    ),
)
def test_lowercase_or_unknown_method_is_refused(parts: tuple[HttpMethod, list[str]], method: str):
    _refused_naming(f"{method} {_path(parts[1])}")


@TARGETED
@given(route_parts(), st.sampled_from(["  ", " \t", "\t"]), st.sampled_from(["between", "before", "after"]))
def test_other_separators_than_one_space_are_refused(
    parts: tuple[HttpMethod, list[str]], sep: str, where: str
):
    method, segments = parts
    key = {
        "between": f"{method.value}{sep}{_path(segments)}",
        "before": f" {method.value} {_path(segments)}",
        "after": f"{method.value} {_path(segments)} ",
    }[where]
    _refused_naming(key)


@TARGETED
@given(route_parts(), param_names, st.booleans(), st.data())
def test_duplicate_parameter_names_are_refused(
    parts: tuple[HttpMethod, list[str]], name: str, greedy_second: bool, data: st.DataObject
):
    method, segments = parts
    segments = [s for s in segments if not s.endswith("+}")]
    first = data.draw(st.integers(0, len(segments)))
    segments.insert(first, "{" + name + "}")
    if greedy_second:
        segments.append("{" + name + "+}")
    else:
        segments.insert(data.draw(st.integers(first + 1, len(segments))), "{" + name + "}")
    _refused_naming(f"{method.value} {_path(segments)}")


@TARGETED
@given(route_parts(min_segments=1), param_names, st.data())
def test_greedy_parameter_not_last_is_refused(
    parts: tuple[HttpMethod, list[str]], name: str, data: st.DataObject
):
    method, segments = parts
    segments = [s for s in segments if not s.endswith("+}") and s.strip("{}") != name]
    assume(segments)
    at = data.draw(st.integers(0, len(segments) - 1))
    segments.insert(at, "{" + name + "+}")
    _refused_naming(f"{method.value} {_path(segments)}")
    with pytest.raises(ValueError, match="greedy"):
        ApiRoute(key=f"{method.value} {_path(segments)}", integration=HTTP)


# -- names -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def repository() -> EcrRepo:
    """One repository construct for AppRunnerServiceProps (validation only checks its type)."""
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "property-names")
    return EcrRepo(stack, "repo", props=EcrRepoProps(name="cora-dev-web"))


def _accepted_or_refused_naming(build: Callable[[str], object], value: str) -> bool:
    """True when ``build(value)`` accepts; a refusal must be a ValueError showing ``repr(value)``."""
    try:
        build(value)
    except ValueError as err:  # anything else fails the test
        refusal = str(err)
    else:
        event("accepted")
        return True
    event("refused")
    assert repr(value) in refusal, refusal
    return False


def _ecr(name: str) -> object:
    return EcrRepoProps(name=name)


def _secret(name: str) -> object:
    return SecretProps(name=name)


def _api(name: str) -> object:
    return ModularApiGatewayProps(name=name, cors=CORS)


def _project(name: str) -> object:
    return load_config("dev", CONFIG_DIR, overrides={"project": name})


_lower_alnum = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=10)


@st.composite
def ecr_names(draw: st.DrawFn) -> str:
    """Path components of lowercase alphanumeric runs joined by single '.', '_' or '-', joined by '/'."""
    components = []
    for runs in draw(st.lists(st.lists(_lower_alnum, min_size=1, max_size=4), min_size=1, max_size=5)):
        seps = draw(st.lists(st.sampled_from("._-"), min_size=len(runs) - 1, max_size=len(runs) - 1))
        components.append(runs[0] + "".join(sep + run for sep, run in zip(seps, runs[1:], strict=True)))
    name = "/".join(components)
    assume(2 <= len(name) <= 256)
    return name


service_names = st.from_regex(SERVICE_NAME, fullmatch=True)
project_names = st.from_regex(PROJECT, fullmatch=True).filter(lambda name: "--" not in name)
secret_names = st.text(alphabet=string.ascii_letters + string.digits + "/_+=.@-", min_size=1, max_size=80)
api_names = st.text(alphabet=string.ascii_letters + string.digits + "_.-", min_size=1, max_size=128)


@PROFILE
@given(ecr_names())
@example("a" * 256)
@example("ab")
def test_grammar_ecr_names_are_accepted(name: str):
    assert EcrRepoProps(name=name).name == name


@PROFILE
@given(service_names)
@example("a" * 40)
@example("0abc")
def test_grammar_service_names_are_accepted(repository: EcrRepo, name: str):
    assert (
        AppRunnerServiceProps(service_name=name, repository=repository, image_tag="0.1.0").service_name
        == name
    )


@PROFILE
@given(project_names)
@example("a" * 24)
@example("c0")
def test_grammar_project_names_are_accepted(name: str):
    assert load_config("dev", CONFIG_DIR, overrides={"project": name}).project == name


@PROFILE
@given(secret_names)
@example("a" * 512)
def test_grammar_secret_names_are_accepted(name: str):
    assert SecretProps(name=name).name == name


@PROFILE
@given(api_names)
@example("a" * 128)
def test_grammar_api_names_are_accepted(name: str):
    assert ModularApiGatewayProps(name=name, cors=CORS).name == name


# Arbitrary text: accepted only inside the grammar, otherwise refused naming the value.
@PROFILE
@given(_hostile(ecr_names(), string.ascii_lowercase[:4] + "09-._/A \n", max_size=300))
@example("a" * 257)
def test_any_text_as_ecr_name(name: str):
    if _accepted_or_refused_naming(_ecr, name):
        assert 2 <= len(name) <= 256 and ECR_NAME.fullmatch(name)


@PROFILE
@given(_hostile(service_names, NEAR_NAMES))
@example("a" * 41)
def test_any_text_as_service_name(repository: EcrRepo, name: str):
    def build(value: str) -> object:
        return AppRunnerServiceProps(service_name=value, repository=repository, image_tag="0.1.0")

    if _accepted_or_refused_naming(build, name):
        assert SERVICE_NAME.fullmatch(name)


@PROFILE
@given(_hostile(project_names, string.ascii_lowercase[:4] + "09-_A \n", max_size=30))
@example("a" * 25)
def test_any_text_as_project_name(name: str):
    if _accepted_or_refused_naming(_project, name):
        assert PROJECT.fullmatch(name)


@PROFILE
@given(_hostile(secret_names, NEAR_NAMES, max_size=600))
@example("a" * 513)
def test_any_text_as_secret_name(name: str):
    if _accepted_or_refused_naming(_secret, name):
        assert SECRET_NAME.fullmatch(name)


@PROFILE
@given(_hostile(api_names, NEAR_NAMES, max_size=140))
@example("a" * 129)
def test_any_text_as_api_name(name: str):
    if _accepted_or_refused_naming(_api, name):
        assert API_NAME.fullmatch(name)


@PROFILE
@given(project_names, st.sampled_from(["dev", "stg", "prd", "local"]))
@example("co--ra", "dev")
def test_every_accepted_project_yields_valid_resource_names(repository: EcrRepo, project: str, env: str):
    """A project config accepts must give names every construct accepts ('co--ra' is refused by config)."""
    try:
        load_config("dev", CONFIG_DIR, overrides={"project": project})
    except ConfigError:
        assert "--" in project
        return
    EcrRepoProps(name=f"{project}-{env}-web")
    AppRunnerServiceProps(service_name=f"{project}-{env}-web", repository=repository, image_tag="0.1.0")
    ModularApiGatewayProps(name=f"{project}-{env}-api", cors=CORS)
    AppSecretsProps(prefix=f"{project}/{env}", names=("NEXTAUTH_SECRET",))


# -- the trailing-newline gap ------------------------------------------------------------------------
# Every validator uses re.match with a '$'-terminated pattern, and '$' also matches before a final
# newline: "cora\n" passes wherever "cora" does. Reachable from config (TOML "\n" escapes) and from
# CORA_IMAGE_TAG.
TRAILING_NEWLINE = [
    ("route-key", lambda: parse_route_key("GET /items\n")),
    ("ecr-name", lambda: _ecr("cora-dev-web\n")),
    ("secret-name", lambda: _secret("cora/dev/NEXTAUTH_SECRET\n")),
    ("api-name", lambda: _api("cora-dev-api\n")),
    ("project", lambda: _project("cora\n")),
    ("image-tag", lambda: load_config("prd", CONFIG_DIR, overrides={"app.image_tag": "0.1.0\n"})),
    ("region", lambda: load_config("dev", CONFIG_DIR, overrides={"region": "us-east-1\n"})),
    ("account-id", lambda: load_config("prd", CONFIG_DIR, overrides={"account_id": "333333333333\n"})),
    (
        "domain-app-host",
        lambda: load_config("stg", CONFIG_DIR, overrides={"domain.app_host": "stg.cora.example.com\n"}),
    ),
    ("cors-origin", lambda: CorsConfig(allow_origins=("https://app.example.com\n",))),
]


@pytest.mark.parametrize("build", [b for _, b in TRAILING_NEWLINE], ids=[i for i, _ in TRAILING_NEWLINE])
def test_trailing_newline_is_refused(build: Callable[[], object]):
    with pytest.raises(ValueError, match=r"\\n"):
        build()
