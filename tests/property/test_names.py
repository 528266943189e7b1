"""Property-based tests (hypothesis) of resource names: generated from the grammar AWS documents and
accepted unchanged, or refused with a ``ValueError`` that shows the value (``repr``).
"""

from __future__ import annotations

import string
from collections.abc import Callable

import cdktf
import pytest
from hypothesis import assume, event, example, given
from hypothesis import strategies as st

from constructs_lib import (
    AppRunnerServiceProps,
    AppSecretsProps,
    ConfigError,
    CorsConfig,
    EcrRepo,
    EcrRepoProps,
    ModularApiGatewayProps,
    SecretProps,
)
from constructs_lib.api.modular_api_gateway import parse_route_key
from constructs_lib.stacks import load_config
from tests.property.grammars import (
    API_NAME,
    CONFIG_DIR,
    CORS,
    ECR_NAME,
    NEAR_NAMES,
    PROFILE,
    PROJECT,
    SECRET_NAME,
    SERVICE_NAME,
    hostile,
)


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
@given(hostile(ecr_names(), string.ascii_lowercase[:4] + "09-._/A \n", max_size=300))
@example("a" * 257)
def test_any_text_as_ecr_name(name: str):
    if _accepted_or_refused_naming(_ecr, name):
        assert 2 <= len(name) <= 256 and ECR_NAME.fullmatch(name)


@PROFILE
@given(hostile(service_names, NEAR_NAMES))
@example("a" * 41)
def test_any_text_as_service_name(repository: EcrRepo, name: str):
    def build(value: str) -> object:
        return AppRunnerServiceProps(service_name=value, repository=repository, image_tag="0.1.0")

    if _accepted_or_refused_naming(build, name):
        assert SERVICE_NAME.fullmatch(name)


@PROFILE
@given(hostile(project_names, string.ascii_lowercase[:4] + "09-_A \n", max_size=30))
@example("a" * 25)
def test_any_text_as_project_name(name: str):
    if _accepted_or_refused_naming(_project, name):
        assert PROJECT.fullmatch(name)


@PROFILE
@given(hostile(secret_names, NEAR_NAMES, max_size=600))
@example("a" * 513)
def test_any_text_as_secret_name(name: str):
    if _accepted_or_refused_naming(_secret, name):
        assert SECRET_NAME.fullmatch(name)


@PROFILE
@given(hostile(api_names, NEAR_NAMES, max_size=140))
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
