"""The provider loader (constructs_lib/_runtime/provider_loader.py, run by constructs_lib/_aws.py):
lazy index, derived tarball, and the banned-import rule."""

from __future__ import annotations

import ast
import gzip
import io
import tarfile
import threading
from pathlib import Path

import pytest

from constructs_lib import _aws
from tests.conftest import ROOT

MAP = b"//# sourceMappingURL=data:application/json;base64,e30="
REQUIRES = [f'exports.mod{i} = require("./mod-{i}");' for i in range(120)]
INDEX = '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n' + "\n".join(
    REQUIRES
)


def _tarball(path: Path, index: str = INDEX) -> Path:
    """A small stand-in for the provider tarball: package/lib/index.js plus two other files."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {
            "package/package.json": b'{"name": "@cdktf/provider-aws", "version": "19.65.1"}',
            "package/lib/index.js": index.encode(),
            "package/lib/mod-0/index.js": b"exports.X = 1;\n" + MAP,
            "package/lib/mod-0/index.d.ts": b"export declare const X = 1;",
            "package/.jsii": b'{"schema": "jsii/0.10.0"}',
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 499162500
            tar.addfile(info, io.BytesIO(data))
    return path


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def test_lazy_index_turns_every_require_into_a_getter():
    out = _aws.lazy_index(INDEX)
    assert out.startswith(_aws.LAZY_MARKER)
    assert "= require(" not in out
    assert out.count("Object.defineProperty(exports, ") == 121
    assert 'get: function () { return require("./mod-7"); }' in out
    assert '"use strict";' in out


def test_lazy_index_refuses_an_unexpected_layout():
    with pytest.raises(ValueError, match="expected the cdktf provider layout"):
        _aws.lazy_index('"use strict";\nmodule.exports = require("./all");')


def test_derived_tarball_makes_the_index_lazy_and_drops_only_what_runs_never_read(tmp_path):
    original = _tarball(tmp_path / "provider-aws@19.65.1.jsii.tgz")
    derived = _aws.derive_tarball(original, tmp_path / "cache")
    assert derived.name == original.name
    assert derived.parent.parent == tmp_path / "cache" / "provider-aws"
    before, after = _members(original), _members(derived)
    assert set(before) - set(after) == {"package/lib/mod-0/index.d.ts"}
    assert after["package/lib/index.js"].decode() == _aws.lazy_index(INDEX)
    assert after["package/lib/mod-0/index.js"] == b"exports.X = 1;\n", "inline source map removed"
    assert after["package/.jsii"] == before["package/.jsii"]
    assert after["package/package.json"] == before["package/package.json"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a();\n//# sourceMappingURL=data:application/json;base64,e30=\n", "a();\n"),
        ("a();\n//# sourceMappingURL=index.js.map\n", "a();\n//# sourceMappingURL=index.js.map\n"),
        ("a();\n", "a();\n"),
        ('s = "//# sourceMappingURL=data:x";\nb();\n', 's = "//# sourceMappingURL=data:x";\nb();\n'),
    ],
)
def test_only_a_trailing_inline_source_map_is_stripped(source, expected):
    assert _aws.strip_inline_source_map(source) == expected


def test_derived_tarball_is_reproducible_and_cached(tmp_path):
    original = _tarball(tmp_path / "p.jsii.tgz")
    first = _aws.derive_tarball(original, tmp_path / "a")
    second = _aws.derive_tarball(original, tmp_path / "b")
    assert first.read_bytes() == second.read_bytes(), "same bytes on every machine"
    with gzip.open(first) as stream:
        assert stream.read()  # a valid gzip stream
    stamp = first.stat().st_mtime_ns
    assert _aws.derive_tarball(original, tmp_path / "a") == first
    assert first.stat().st_mtime_ns == stamp, "a cache hit does not rebuild"


def test_concurrent_derivations_leave_one_complete_file(tmp_path):
    original = _tarball(tmp_path / "p.jsii.tgz")
    results: list[Path] = []
    errors: list[BaseException] = []

    def derive() -> None:
        try:
            results.append(_aws.derive_tarball(original, tmp_path / "cache"))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=derive) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1
    assert _members(results[0])["package/lib/index.js"].startswith(_aws.LAZY_MARKER.encode())
    leftovers = [p for p in results[0].parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_derive_fails_cleanly_on_a_bad_tarball(tmp_path):
    original = _tarball(tmp_path / "p.jsii.tgz", index='"use strict";\n')
    with pytest.raises(ValueError, match="provider layout"):
        _aws.derive_tarball(original, tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.jsii.tgz")), "no half-written tarball is left"


def test_cache_dir_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CORA_INFRA_CACHE_DIR", str(tmp_path / "x"))
    assert _aws.cache_dir() == tmp_path / "x"
    monkeypatch.delenv("CORA_INFRA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _aws.cache_dir() == tmp_path / "xdg" / "cora-infra"


def test_this_process_uses_the_lazy_path():
    import sys

    package = sys.modules[_aws.PACKAGE]
    assert "__all__" not in vars(package), "the bindings' __init__ must not have run"
    loaded = {
        name for name in sys.modules if name.startswith(f"{_aws.PACKAGE}.") and not name.endswith("._private")
    }
    # Only the submodules of the classes _aws.py names: those it imports, those it loads on first use.
    named = {f"{_aws.PACKAGE}.{module}" for module in _aws._ON_FIRST_USE.values()} | {
        value.__module__
        for value in vars(_aws).values()
        if isinstance(value, type) and value.__module__.startswith(f"{_aws.PACKAGE}.")
    }
    assert loaded - named - {f"{_aws.PACKAGE}._jsii"} == set()
    assert len(loaded) <= len(named) + 1 < 100, "a handful of the ~2,100 submodules, not the package"


def test_no_module_but_aws_py_imports_the_bindings():
    offenders = []
    for path in ROOT.rglob("*.py"):
        if any(part in {".venv", "node_modules", "cdktf.out"} for part in path.parts):
            continue
        if path == ROOT / "constructs_lib" / "_aws.py" or path.parent.name == "tests":
            continue
        if path.is_relative_to(ROOT / "tests" / "consumer"):
            continue  # a consumer project of its own: its rule is in its pyproject (test_consumer_check.py)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == _aws.PACKAGE or n.startswith(f"{_aws.PACKAGE}.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
