"""Loading the AWS provider bindings at the lowest cost: see :mod:`constructs_lib._aws` for why.

:func:`load_provider` registers the package without running its ``__init__`` and hands the jsii
kernel a derived tarball whose ``lib/index.js`` loads submodules lazily; :func:`warm` waits for the
kernel's runtime index after an install.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import importlib
import importlib.util
import io
import os
import re
import sys
import tarfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import jsii

PACKAGE = "cdktf_cdktf_provider_aws"
ASSEMBLY = "@cdktf/provider-aws"
LAZY_MARKER = "// cora-infra: submodule exports are lazy getters (derived from the published lib/index.js)"
_INDEX_MEMBER = "package/lib/index.js"
_INLINE_MAP = "//# sourceMappingURL=data:"
# Part of the cache key: bump it whenever derive_tarball's output changes.
DERIVATION_VERSION = 2
# What this process's load did, for warm(): the derived tarball the kernel loaded (set by
# _kernel_loads), whether derive_tarball built it here, and how long load_provider took.
_loaded_tarball: Path | None = None
_built_here = False
_load_seconds = 0.0
_REQUIRE_LINE = re.compile(r'^exports\.(\w+) = require\("(\./[^"]+)"\);$', re.MULTILINE)


def cache_dir() -> Path:
    """Where derived provider tarballs are kept (safe to delete; rebuilt on next use)."""
    explicit = os.environ.get("CORA_INFRA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "cora-infra"


def lazy_index(source: str) -> str:
    """``lib/index.js`` with every ``exports.x = require("./x")`` turned into a lazy getter."""

    def getter(match: re.Match[str]) -> str:
        name, path = match[1], match[2]
        return (
            f'Object.defineProperty(exports, "{name}", {{ enumerable: true, configurable: true, '
            f'get: function () {{ return require("{path}"); }} }});'
        )

    transformed, count = _REQUIRE_LINE.subn(getter, source)
    if count < 100:
        raise ValueError(f"lib/index.js has {count} submodule exports; expected the cdktf provider layout")
    return f"{LAZY_MARKER}\n{transformed}"


def strip_inline_source_map(source: str) -> str:
    """``source`` without its trailing inline source map (70% of each published module's bytes).

    Source maps only improve node stack traces; dropping them makes the tarball smaller (the kernel
    hashes it on every load) and each ``require`` cheaper. The code itself is unchanged.
    """
    position = source.rfind(_INLINE_MAP)
    if position == -1 or "\n" in source[position:].rstrip("\n"):
        return source
    return source[:position]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _original_digest(original: Path, cache: Path) -> str:
    """sha256 of the stock tarball, remembered per (path, size, mtime) so a run need not re-read 34 MB."""
    stat = original.stat()
    key = hashlib.sha256(f"{original.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:32]
    memo = cache / "provider-aws" / "digests" / key
    try:
        digest = memo.read_text(encoding="ascii").strip()
        if re.fullmatch(r"[0-9a-f]{64}", digest):
            return digest
    except OSError:
        pass
    digest = _sha256(original)
    memo.parent.mkdir(parents=True, exist_ok=True)
    tmp = memo.with_name(f".{memo.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(digest, encoding="ascii")
    tmp.replace(memo)
    return digest


def derive_tarball(original: Path, cache: Path) -> Path:
    """The lazy copy of ``original`` in ``cache``, built once per original tarball hash."""
    digest = _original_digest(original, cache)[:32]
    dest = cache / "provider-aws" / f"{digest}-v{DERIVATION_VERSION}" / original.name
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        # Same members and metadata, one file rewritten; gzip without a timestamp: identical bytes
        # on every machine, so racing writers agree and the kernel's package cache entry is shared.
        with (
            tarfile.open(original, "r:gz") as source,
            tmp.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
            tarfile.open(fileobj=compressed, mode="w", format=source.format) as target,
        ):
            rewritten = False
            for member in source:
                if member.name.endswith(".d.ts"):
                    continue  # TypeScript declarations: never read at run time
                data = source.extractfile(member) if member.isfile() else None
                if data is not None and member.name.endswith(".js"):
                    text = data.read().decode("utf-8")
                    if member.name == _INDEX_MEMBER:
                        text = lazy_index(text)
                        rewritten = True
                    content = strip_inline_source_map(text).encode("utf-8")
                    member.size = len(content)
                    data = io.BytesIO(content)
                target.addfile(member, data)
            if not rewritten:
                raise ValueError(f"{original} has no {_INDEX_MEMBER}")
        tmp.replace(dest)
        global _built_here  # noqa: PLW0603 - reported by warm()
        _built_here = True
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _stock_tarball(package_dir: Path) -> Path:
    (tarball,) = (package_dir / "_jsii").glob("*.jsii.tgz")
    return tarball


def _bare_package(spec: importlib.machinery.ModuleSpec) -> ModuleType:
    """The package module without running its ``__init__``; submodules import on attribute access."""
    package = importlib.util.module_from_spec(spec)
    package_dir = Path(next(iter(spec.submodule_search_locations or ())))

    def submodules() -> list[str]:
        return sorted(
            p.name
            for p in package_dir.iterdir()
            if (p / "__init__.py").is_file() and not p.name.startswith("_")
        )

    def module_getattr(name: str) -> object:
        if name == "__all__":
            return submodules()
        if not name.startswith("_") and (package_dir / name / "__init__.py").is_file():
            return importlib.import_module(f"{PACKAGE}.{name}")
        raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")

    package.__getattr__ = module_getattr  # type: ignore[method-assign]
    package.__dir__ = lambda: sorted({*vars(package), *submodules()})  # type: ignore[method-assign]
    return package


@contextlib.contextmanager
def _kernel_loads(tarball: Path | None) -> Iterator[None]:
    """While active, the kernel loads ``tarball`` for the provider assembly (stock one if that fails)."""
    kernel = jsii.kernel
    stock_load: Callable[[str, str, str], None] = kernel.load

    def load(name: str, version: str, stock: str) -> None:
        global _loaded_tarball  # noqa: PLW0603 - one load per process; warm() asks which tarball it was
        if name == ASSEMBLY and tarball is not None:
            try:
                stock_load(name, version, str(tarball))
                _loaded_tarball = tarball
                return
            except Exception as err:
                warnings.warn(
                    f"cora-infra: lazy provider tarball failed ({err}); loading the stock one", stacklevel=2
                )
        stock_load(name, version, stock)

    kernel.load = load  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        kernel.load = stock_load  # type: ignore[method-assign,assignment]


def load_report() -> tuple[Path | None, bool, float]:
    """This process's load: the derived tarball the kernel loaded (``None``: the stock one), whether
    it was built in this process (else it came from the cache), and the seconds the load took."""
    return _loaded_tarball, _built_here, _load_seconds


def _eager_import_warning() -> str | None:
    """Why this process is slow, when the bindings' package ``__init__`` ran before :func:`load_provider`."""
    package = sys.modules.get(PACKAGE)
    if package is None or _loaded_tarball is not None or os.environ.get("CORA_INFRA_EAGER_PROVIDER") == "1":
        return None
    if "__all__" not in vars(package):
        return None  # a bare package registered by someone else: nothing was loaded eagerly
    return (
        f"cora-infra: {PACKAGE} was imported before constructs_lib, so all ~2,100 provider modules "
        "loaded (10-40 s and ~1 GB per synth); import constructs_lib.aws first "
        "(README: 'Using cora-infra in your project', import order)"
    )


def load_provider() -> None:
    """Make ``cdktf_cdktf_provider_aws.<submodule>`` importable at the lowest cost available."""
    if PACKAGE in sys.modules:
        # Imported already (fully, or by us): use it as it is, and say so if that cost the full load.
        problem = _eager_import_warning()
        if problem:
            warnings.warn(problem, stacklevel=2)
        return
    if os.environ.get("CORA_INFRA_EAGER_PROVIDER") == "1":
        importlib.import_module(PACKAGE)
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{PACKAGE} is not installed: pip install cdktf-cdktf-provider-aws==19.65.1")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    start = time.monotonic()
    try:
        tarball: Path | None = derive_tarball(_stock_tarball(package_dir), cache_dir())
    except Exception as err:
        warnings.warn(
            f"cora-infra: cannot derive the lazy provider tarball ({err}); using the stock one", stacklevel=2
        )
        tarball = None
    sys.modules[PACKAGE] = _bare_package(spec)
    try:
        with _kernel_loads(tarball):
            importlib.import_module(f"{PACKAGE}._jsii")
    except BaseException:
        sys.modules.pop(PACKAGE, None)
        raise
    global _load_seconds  # noqa: PLW0603 - reported by warm()
    _load_seconds = time.monotonic() - start


def _jsii_package_cache_root() -> Path:
    """The jsii kernel's package cache (mirrors ``@jsii/kernel``'s ``defaultCacheRoot``)."""
    configured = os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT")
    if configured:
        return Path(configured)
    if sys.platform == "win32":
        return (
            Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
            / "AWS"
            / "jsii"
            / "package-cache"
        )
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "com.amazonaws.jsii" / "package-cache"
    return Path.home() / ".cache" / "aws" / "jsii" / "package-cache"


def _lazy_cache_entry() -> Path | None:
    """The kernel's extracted copy of our derived tarball, if it has one."""
    entries = [
        index.parent.parent
        for index in (_jsii_package_cache_root() / ASSEMBLY).glob("*/*/lib/index.js")
        if index.open("rb").read(len(LAZY_MARKER)) == LAZY_MARKER.encode()
    ]
    return max(entries, key=lambda p: p.stat().st_mtime, default=None)


def warm(timeout_seconds: float = 300.0) -> Path | None:
    """Wait until the kernel's runtime index of the provider exists; return its cache entry.

    The kernel builds that index in a background thread the first time it loads a package; a short
    process exits before it is done, and every later run parses the 114 MB ``.jsii`` again (~1 GB,
    ~1 s). Call this once after installing (``make install`` does). Returns ``None`` when the kernel's
    package cache is disabled or this process loaded the stock provider.
    """
    deadline = time.monotonic() + timeout_seconds
    entry = _lazy_cache_entry()
    if entry is None:
        return None
    manifest = entry / ".jsii.runtime.v1.json"
    while not manifest.is_file():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the jsii runtime index did not appear in {entry} within {timeout_seconds} s")
        time.sleep(0.2)
    return entry
