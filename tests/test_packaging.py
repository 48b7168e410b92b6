"""The wheel installs ONE top-level package: no `catalogue` or `cli` to clash with PyPI's."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


@pytest.mark.slow
def test_wheel_has_one_top_level_package_and_ships_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {
        name.split("/", 1)[0] for name in names if not name.split("/")[0].endswith(".dist-info")
    }
    assert top_level == {"meso_formulary"}
    for expected in (
        "meso_formulary/py.typed",
        "meso_formulary/catalogue/__init__.py",
        "meso_formulary/catalogue/store/catalogue_store.py",
        "meso_formulary/catalogue/search/runner.py",
        "meso_formulary/catalogue/publishing/verify.py",
        "meso_formulary/cli/__init__.py",
        "meso_formulary/web/plugin.py",
        "meso_formulary/web/templates/meso_search.html",
        "meso_formulary/web/static/meso.css",
        "meso_formulary/reference/ingredients.yaml",
        "meso_formulary/reference/indications.yaml",
        "meso_formulary/reference/cocktails.yaml",
        "meso_formulary/reference/rules.yaml",
    ):
        assert expected in names, expected
    assert not any(name.startswith(("catalogue/", "cli/", "web/", "tests/")) for name in names)


@pytest.mark.slow
def test_installed_wheel_does_not_provide_bare_catalogue_or_cli(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "import importlib.util, sys;"
        f"sys.path.insert(0, {str(target)!r});"
        "import meso_formulary.catalogue, meso_formulary.cli;"
        f"assert meso_formulary.catalogue.__file__.startswith({str(target)!r});"
        "print(importlib.util.find_spec('catalogue'), importlib.util.find_spec('cli'),"
        " importlib.util.find_spec('web'))"
    )
    # -I: isolated mode, so the editable install of this checkout is not on the path.
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None None None"
