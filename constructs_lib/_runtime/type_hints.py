"""``typing.get_type_hints``, memoised, for the jsii-generated modules (cdktf, constructs, the bindings).

Every call of a generated constructor or setter checks its arguments' types, and starts with
``typing.get_type_hints(<stub function>)``, which evaluates the stub's string annotations again each
time (about 0.15 ms): a tenth of a synth. A stub's hints never change (they are evaluated in the
stub's own module), so each generated module gets a ``typing`` of its own whose ``get_type_hints``
remembers them. The checks themselves run as before; nothing outside those modules is touched.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

__all__ = ["memoise_type_hints"]

_MARK = "__cora_infra_memoised__"


def _memoised_typing() -> ModuleType:
    proxy = ModuleType("typing", typing.__doc__)
    proxy.__dict__.update({k: v for k, v in vars(typing).items() if not k.startswith("__")})
    cache: dict[Callable[..., Any], dict[str, Any]] = {}
    original = typing.get_type_hints

    def get_type_hints(
        obj: Any, globalns: Any = None, localns: Any = None, include_extras: bool = False
    ) -> Any:
        if globalns is not None or localns is not None or include_extras or not callable(obj):
            return original(obj, globalns, localns, include_extras)
        try:
            return cache[obj]
        except KeyError:
            hints = cache[obj] = original(obj)
            return hints

    proxy.get_type_hints = get_type_hints  # type: ignore[attr-defined]
    setattr(proxy, _MARK, True)
    return proxy


_PROXY = _memoised_typing()


def memoise_type_hints(modules: Iterable[ModuleType]) -> int:
    """Give each generated module (one whose global ``typing`` is the real module) the memoising
    ``typing``; return how many were changed."""
    changed = 0
    for module in modules:
        if getattr(module, "typing", None) is typing:
            module.typing = _PROXY  # type: ignore[attr-defined]
            changed += 1
    return changed
