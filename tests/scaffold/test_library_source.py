"""Where a generated project gets cora-infra: the pinned git tag of ``--library-url`` (issue 20, C.11).

The default URL (PEP 610 ``direct_url.json`` of a git install, else our ``Source`` project URL), its
refusals, and what the project is rendered with. The install through git itself runs in
``make new-projects`` (scripts/new_project_check.py).
"""

from __future__ import annotations

import io
import json
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from constructs_lib import __version__
from constructs_lib.deploy.cli import main
from constructs_lib.scaffold import ScaffoldError, new_project, render_project
from constructs_lib.scaffold import new as new_module
from constructs_lib.scaffold.library_source import default_library_url, library_url_problem

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "https://github.com/cora-platform/cora-infra"


def _distribution(
    folder: Path, *, direct_url: dict[str, object] | None = None, source: str | None = SOURCE
) -> metadata.Distribution:
    """An installed cora-infra as importlib.metadata sees it: METADATA and, from pip, direct_url.json."""
    info = folder / f"cora_infra-{__version__}.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.4", "Name: cora-infra", f"Version: {__version__}"]
    if source:
        lines.append(f"Project-URL: Source, {source}")
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return metadata.PathDistribution(info)


def _git(url: str) -> dict[str, object]:
    return {"url": url, "vcs_info": {"vcs": "git", "requested_revision": "v0.3.0", "commit_id": "a" * 40}}


def _dependencies(files: dict[str, str]) -> list[str]:
    return list(tomllib.loads(files["pyproject.toml"])["project"]["dependencies"])


# -- the rendered dependency ---------------------------------------------------------------------------
def test_the_project_depends_on_the_release_tag_of_the_git_repository():
    files = render_project("acme", region="eu-west-1")
    assert _dependencies(files) == [f"cora-infra[deploy] @ git+{SOURCE}@v{__version__}"]


def test_library_url_names_the_repository_everywhere_it_is_fetched():
    url = "https://git.example.org/platform/tools/cora-infra.git"
    files = render_project("acme", region="eu-west-1", library_url=url)
    assert _dependencies(files) == [f"cora-infra[deploy] @ git+{url}@v{__version__}"]
    assert "credential.https://git.example.org.helper" in files["Makefile"]
    assert f'"cora-infra[deploy] @ git+{url}@v{__version__}"' in files[".github/workflows/deploy-app.yml"]
    assert SOURCE not in "".join(files.values())


def test_no_package_index_is_involved_any_more():
    for layout in ("monorepo", "two-repo"):
        files = render_project("acme", region="eu-west-1", layout=new_module.ModuleLayout(layout))
        for path, text in files.items():
            assert "PIP_INDEX_URL" not in text, path


# -- the default ---------------------------------------------------------------------------------------
def test_our_metadata_names_the_source_repository():
    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert ours == {"Source": SOURCE}
    assert default_library_url() == SOURCE  # this checkout is installed editable: no git source recorded


def test_a_git_install_recorded_by_pip_is_the_default(tmp_path):
    fork = "https://github.example.com/acme-platform/cora-infra"
    assert default_library_url(_distribution(tmp_path, direct_url=_git(fork))) == fork


def test_user_info_pip_recorded_is_never_copied(tmp_path):
    recorded = "https://${GITHUB_TOKEN}@github.com/acme-platform/cora-infra"
    found = default_library_url(_distribution(tmp_path, direct_url=_git(recorded)))
    assert found == "https://github.com/acme-platform/cora-infra"


@pytest.mark.parametrize(
    "direct_url",
    [
        None,  # from an index
        {"url": "file:///wheels/cora_infra-0.3.0-py3-none-any.whl", "archive_info": {}},
        {"url": "file:///src/cora-infra", "dir_info": {"editable": True}},
        _git("ssh://git@github.com/acme-platform/cora-infra.git"),  # CI fetches over https
        _git("file:///srv/git/cora-infra"),
        {"url": "https://github.com/acme-platform/cora-infra", "vcs_info": {"vcs": "hg"}},
    ],
)
def test_otherwise_the_source_url_is_the_default(tmp_path, direct_url):
    assert default_library_url(_distribution(tmp_path, direct_url=direct_url)) == SOURCE


def test_without_either_there_is_no_default_and_new_says_what_to_give(tmp_path, monkeypatch):
    assert default_library_url(_distribution(tmp_path, source=None)) is None
    monkeypatch.setattr(new_module, "default_library_url", lambda: None)
    with pytest.raises(ScaffoldError, match="--library-url: no default") as refused:
        new_project("acme", region="eu-west-1", target=tmp_path / "acme")
    assert "give the https URL" in str(refused.value)
    assert not (tmp_path / "acme").exists()


# -- refusals ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://github.com/cora-platform/cora-infra", "give the https URL"),
        ("git@github.com:cora-platform/cora-infra.git", "give the https URL"),
        ("ssh://git@github.com/cora-platform/cora-infra", "give the https URL"),
        ("https://x-access-token:ghp_secret@github.com/cora-platform/cora-infra", "no credentials"),
        ("https://someone@github.com/cora-platform/cora-infra", "no credentials"),
        ("https://github.com/cora-platform/cora-infra@v0.3.0", "no @<ref>"),
        ("https://github.com/cora-platform/cora-infra@main", "no @<ref>"),
        ("https://github.com", "expected https://<host>/<path"),
        ("https://github.com/", "expected https://<host>/<path"),
        ("https://github.com/cora-platform/cora-infra?ref=main", "expected https://<host>/<path"),
        ("https://github.com/cora-platform/cora-infra#v1", "expected https://<host>/<path"),
        ("https://github.com/cora platform/cora-infra", "expected https://<host>/<path"),
        ("https://github.com/cora-platform/$(id)", "expected https://<host>/<path"),
        ("https://github.com/cora-platform/cora-infra'", "expected https://<host>/<path"),
    ],
)
def test_a_bad_library_url_is_refused_and_nothing_is_written(tmp_path, url, reason):
    assert reason in (library_url_problem(url) or "")
    with pytest.raises(ScaffoldError, match=re.escape(f"--library-url {url!r}")) as refused:
        new_project("acme", region="eu-west-1", target=tmp_path / "acme", library_url=url)
    assert reason in str(refused.value)
    assert "ghp_secret" not in str(refused.value).replace(repr(url), "")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "url",
    [
        SOURCE,
        "https://github.com/cora-platform/cora-infra.git",
        "https://git.example.org:8443/platform/tools/cora-infra",
    ],
)
def test_a_repository_url_is_accepted(url):
    assert library_url_problem(url) is None


def test_it_is_refused_with_the_other_option_problems(tmp_path):
    with pytest.raises(ScaffoldError) as refused:
        new_project("Bad", region="nowhere-1", target=tmp_path / "x", library_url="http://x/y")
    lines = str(refused.value).splitlines()
    assert len(lines) == 3 and lines[-1].startswith("--library-url 'http://x/y'"), lines


def test_the_cli_takes_library_url_and_refuses_a_bad_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["new", "acme", "--region", "eu-west-1", "--library-url", "https://github.com/o/r@v1"],
        out=out,
        err=err,
    )
    assert code == 2 and out.getvalue() == ""
    assert err.getvalue().splitlines() == [
        f"error: --library-url 'https://github.com/o/r@v1': no @<ref> in the URL; the project pins the tag "
        f"v{__version__} itself",
        "error: nothing was written",
    ]
    assert list(tmp_path.iterdir()) == []


def test_the_cli_summary_says_where_cora_infra_comes_from(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    url = "https://github.com/acme-platform/cora-infra"
    code = main(["new", "acme", "--region", "eu-west-1", "--library-url", url], out=out, err=err)
    assert (code, err.getvalue()) == (0, "")
    assert f"git+{url}@v{__version__}" in out.getvalue() and "CORA_INFRA_TOKEN" in out.getvalue()
    pyproject = tomllib.loads((tmp_path / "acme" / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == [f"cora-infra[deploy] @ git+{url}@v{__version__}"]
