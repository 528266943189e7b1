"""The ``[modules]`` table: layout and names, validated like every other table."""

from __future__ import annotations

import pytest

from constructs_lib import ConfigError, ModuleLayout
from constructs_lib.stacks import load_config
from tests.config.helpers import write_config
from tests.conftest import set_key


def test_sample_configs_have_no_modules(configs):
    for config in configs.values():
        assert config.modules.names == ()
        assert config.modules.layout is ModuleLayout.MONOREPO


def test_layout_and_names_load(tmp_path):
    folder = write_config(
        tmp_path, "dev", set_key("modules.layout", "two-repo"), set_key("modules.names", ["items", "orders"])
    )
    modules = load_config("dev", folder).modules
    assert modules.layout is ModuleLayout.TWO_REPO
    assert modules.names == ("items", "orders")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("modules.layout", "mono-repo", r"modules\.layout: .*'monorepo' or 'two-repo' \(got 'mono-repo'\)"),
        ("modules.names", ["items", "Items"], r"modules\.names\.1: .*module name 'Items' is invalid"),
        ("modules.names", ["items", "items"], r"modules\.names: .*\['items'\] are listed more than once"),
        ("modules.names", "items", r"modules\.names: "),
        ("modules.source", "../x", r"modules\.source: .*unknown key"),
    ],
)
def test_bad_modules_values_are_refused_naming_the_key(tmp_path, key, value, expected):
    folder = write_config(tmp_path, "dev", set_key(key, value))
    with pytest.raises(ConfigError, match=expected) as caught:
        load_config("dev", folder)
    assert "dev.toml" in str(caught.value)
