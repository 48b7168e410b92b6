"""Lazy re-exports for the public packages (PEP 562).

``import meso_formulary`` and ``meso search`` must stay cheap, so a package's ``__init__``
names its public API without importing it: each name is imported from its module on first
use. A type checker cannot follow that, so each ``__init__`` also lists its names in a literal
``__all__`` and imports them under ``TYPE_CHECKING``; ``tests/test_public_api.py`` checks that
the three lists agree, and a slow test runs ``mypy --strict`` against the installed wheel.

The hooks this module builds must be assigned under ``if not TYPE_CHECKING:``: a module
``__getattr__`` that mypy can see makes every misspelt or missing name type-check as ``Any``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, which exports each name of
    ``exports`` from the module it maps to (absolute, or relative to ``package``)."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        # Cache it in the package, so that the next look-up does not come here.
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        """The public names: ``__all__`` (which lists every lazy name too)."""
        return sorted({*exports, *vars(sys.modules[package]).get("__all__", ())})

    return __getattr__, __dir__
