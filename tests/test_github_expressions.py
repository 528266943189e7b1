"""The expression evaluator the workflow tests use (tests/github_expressions.py): GitHub's semantics on
the expressions our workflows contain."""

from __future__ import annotations

import pytest

from tests.github_expressions import condition, evaluate, evaluate_field

CONTEXT = {
    "github": {
        "event_name": "push",
        "run_id": "42",
        "repository": "Org/Acme",
        "event": {"pull_request": {"head": {"repo": {"full_name": "org/acme"}}}},
    },
    "inputs": {"environment": "stg", "caller-holds-deploy-group": True},
    "matrix": {},
}


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("github.event_name == 'push' && 'deploy-dev' || 'other'", "deploy-dev"),
        ("github.event_name == 'pull_request' && 'deploy-dev' || format('run-{0}', github.run_id)", "run-42"),
        ("inputs.environment || 'dev'", "stg"),
        ("inputs.missing || 'dev'", "dev"),
        ("inputs.caller-holds-deploy-group && 'held' || 'free'", "held"),
        ("github.event.pull_request.head.repo.full_name == github.repository", True),  # case-insensitive
        ("github.event.pull_request.head.repo.full_name != github.repository", False),
        ("!(github.event_name == 'push')", False),
        ("fromJSON(format('[\"{0}\"]', inputs.environment))", ["stg"]),
        ("github.nothing.here", None),
        ("'it''s'", "it's"),
        ('contains(fromJSON(\'["dev", "stg"]\'), inputs.environment)', True),
        ("startsWith(github.repository, 'org/')", True),
    ],
)
def test_expressions_evaluate_as_on_github(expression, value):
    assert evaluate(expression, CONTEXT) == value


def test_fields_substitute_embedded_expressions_as_text():
    assert evaluate_field("deploy-${{ inputs.environment }}", CONTEXT) == "deploy-stg"
    assert evaluate_field("${{ fromJSON('[1, 2]') }}", CONTEXT) == [1, 2]
    assert evaluate_field(3, CONTEXT) == 3


def test_conditions_with_and_without_the_braces():
    assert condition(None, CONTEXT) is True
    assert condition("${{ github.event_name == 'push' }}", CONTEXT) is True
    assert condition("github.event_name != 'push'", CONTEXT) is False


def test_an_expression_it_cannot_read_is_an_error():
    with pytest.raises(ValueError, match="cannot read"):
        evaluate("github.event_name === 'push'", CONTEXT)
