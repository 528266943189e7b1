"""The Terraform CLI config: mirror from the env var, discovered, or none (the registry as usual)."""

from __future__ import annotations

import pytest

from constructs_lib import terraform_cli_config as cli


def _mirror(tmp_path):
    (tmp_path / "registry.terraform.io" / "hashicorp" / "aws").mkdir(parents=True)
    return tmp_path


def test_env_var_names_the_mirror(tmp_path):
    mirror = _mirror(tmp_path)
    assert cli.discover_mirror({cli.MIRROR_ENV: str(mirror)}) == mirror.resolve()


def test_empty_env_var_means_registry():
    assert cli.discover_mirror({cli.MIRROR_ENV: ""}) is None


def test_env_var_without_registry_folder_is_an_error(tmp_path):
    with pytest.raises(SystemExit, match=r"no registry\.terraform\.io folder"):
        cli.discover_mirror({cli.MIRROR_ENV: str(tmp_path)})


def test_candidates_are_searched(tmp_path, monkeypatch):
    mirror = _mirror(tmp_path / "plugins")
    monkeypatch.setattr(cli, "CANDIDATES", (tmp_path / "absent", mirror))
    assert cli.discover_mirror({}) == mirror.resolve()


def test_mirror_config_installs_registry_providers_from_the_mirror_only(tmp_path):
    text = cli.write(tmp_path / "cli.tfrc", tmp_path).read_text()
    assert f'path    = "{tmp_path}"' in text
    assert 'include = ["registry.terraform.io/*/*"]' in text
    assert 'exclude = ["registry.terraform.io/*/*"]' in text


def test_without_mirror_the_registry_is_used(tmp_path):
    text = cli.write(tmp_path / "cli.tfrc", None).read_text()
    assert "provider_installation" not in text
