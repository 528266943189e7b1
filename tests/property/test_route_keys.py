"""Property-based tests (hypothesis) of route keys.

Valid keys are generated from the grammar AWS documents and must be accepted unchanged; arbitrary
text must either be accepted and satisfy that grammar, or be refused with a ``ValueError`` whose
message shows the value (``repr``), never anything else. Runs are deterministic; set
``CORA_HYPOTHESIS_PROFILE=explore`` to search with random seeds and more examples.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from constructs_lib import (
    ApiRoute,
    HttpMethod,
)
from constructs_lib.api.modular_api_gateway import parse_route_key
from tests.property.grammars import (
    HTTP,
    LITERAL_CHARS,
    NEAR_KEYS,
    PROFILE,
    TARGETED,
    edited,
)

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
        edited(route_parts().map(lambda p: f"{p[0].value} {_path(p[1])}"), NEAR_KEYS),
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
