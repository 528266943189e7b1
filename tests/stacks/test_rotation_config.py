"""``[app.secret_rotation]`` in TOML: a schedule expression alone is enough (TOML has no null), and AWS's
limits are checked when the file is loaded."""

from __future__ import annotations

import json
from pathlib import Path

import cdktf
import pytest

from constructs_lib import ConfigError, LocalBackendConfig
from constructs_lib.stacks import CoraAppStack, load_config
from tests.conftest import CONFIG_DIR, resources


def _config_dir(tmp_path: Path, rotation: str) -> Path:
    text = (CONFIG_DIR / "stg.toml").read_text()
    assert "after_days = 30\n" in text
    (tmp_path / "stg.toml").write_text(text.replace("after_days = 30\n", rotation))
    return tmp_path


def test_a_schedule_expression_alone_configures_rotation(tmp_path):
    config = load_config("stg", _config_dir(tmp_path, 'schedule_expression = "rate(12 hours)"\n'))
    rotation = config.app.secret_rotation
    assert rotation is not None
    assert rotation.schedule_expression == "rate(12 hours)"
    stack = CoraAppStack(cdktf.Testing.app(), config, backend=LocalBackendConfig())
    doc = json.loads(cdktf.Testing.synth(stack))
    rules = {json.dumps(r["rotation_rules"]) for r in resources(doc, "aws_secretsmanager_secret_rotation")}
    assert rules == {json.dumps({"schedule_expression": "rate(12 hours)"})}


def test_no_schedule_at_all_rotates_every_30_days(tmp_path):
    config = load_config("stg", _config_dir(tmp_path, ""))
    assert config.app.secret_rotation is not None
    assert config.app.secret_rotation.days == 30


@pytest.mark.parametrize("expression", ["rate(1 hours)", "rate(3 hours)", "cron(0 * * * ? *)"])
def test_a_schedule_more_often_than_every_4_hours_is_refused_naming_the_key(tmp_path, expression):
    with pytest.raises(ConfigError) as err:
        load_config("stg", _config_dir(tmp_path, f'schedule_expression = "{expression}"\n'))
    message = str(err.value)
    assert "stg.toml: app.secret_rotation.schedule_expression:" in message
    assert repr(expression) in message
    assert "every 4 hours" in message
