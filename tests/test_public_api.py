"""The public API: every exported name resolves, and importing the package stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import meso_formulary


@pytest.mark.parametrize("name", meso_formulary.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    assert getattr(meso_formulary, name) is not None


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        meso_formulary.nope  # noqa: B018


def test_importing_the_package_does_not_import_pydantic_or_sqlite_utils() -> None:
    heavy = ("pydantic", "sqlite_utils", "rich", "rapidfuzz")
    probe = f"import sys, meso_formulary; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
