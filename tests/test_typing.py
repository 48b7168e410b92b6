"""Typed for users: in a project that installs the wheel, ``mypy --strict`` accepts the README's
Python blocks and a user's script (tests/data/typed_user_script.py) as written.

The project's own mypy run (scripts/typecheck.sh) checks the package from inside; this checks
what a user sees: only the names the public packages export, through the installed files and
their ``py.typed``, with mypy's defaults (no pydantic plugin).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import NamedTuple

import pytest
from test_readme import PYTHON_BLOCKS

USER_SCRIPT = Path(__file__).parent / "data" / "typed_user_script.py"
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
"""Nothing may point mypy or the venv's Python at this checkout."""


class UserVenv(NamedTuple):
    python: Path
    site_packages: Path


@pytest.fixture(scope="module")
def user_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> UserVenv:
    """A new venv that has the wheel installed and not this checkout.

    No pip, no downloads: the dependencies come from this test environment's site-packages,
    named in a ``.pth`` file. Python does not read ``.pth`` files in a folder that a ``.pth``
    file added, so the editable install of this checkout (an import hook that a ``.pth`` file
    there starts) stays out, and ``meso_formulary`` can only come from the wheel.
    """
    venv = tmp_path_factory.mktemp("user-project") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "meso-test-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site)]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True)
    return UserVenv(python, site)


@pytest.mark.slow
def test_readme_and_a_user_script_pass_mypy_strict_against_the_installed_wheel(
    user_venv: UserVenv, tmp_path: Path
) -> None:
    files = {f"readme_block_{n}.py": block for n, block in enumerate(PYTHON_BLOCKS, start=1)}
    files[USER_SCRIPT.name] = USER_SCRIPT.read_text(encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file=",  # a user's project: mypy's defaults, no pydantic plugin
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "--python-executable",
            str(user_venv.python),
            "--verbose",
            *files,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env=CLEAN_ENV,
    )
    assert result.returncode == 0, result.stdout
    assert f"Success: no issues found in {len(files)} source files" in result.stdout
    # mypy read the package from the wheel's files, and none of it from anywhere else.
    parsed = {
        module: Path(path)
        for path, module in re.findall(r"Parsing (\S+) \((meso_formulary[\w.]*)\)", result.stderr)
    }
    assert {"meso_formulary", "meso_formulary.catalogue", "meso_formulary.catalogue.search"} <= set(
        parsed
    )
    outside = {
        module: path
        for module, path in parsed.items()
        if not path.is_relative_to(user_venv.site_packages)
    }
    assert outside == {}


@pytest.mark.slow
def test_the_user_script_runs_against_the_installed_wheel(
    user_venv: UserVenv, tmp_path: Path
) -> None:
    probe = "import meso_formulary.catalogue.search as s; print(s.__file__)"
    env = {**CLEAN_ENV, "MESO_DATA_DIR": str(tmp_path / "data")}
    located = subprocess.run(
        [str(user_venv.python), "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert Path(located.stdout.strip()).is_relative_to(user_venv.site_packages)
    result = subprocess.run(
        [str(user_venv.python), str(USER_SCRIPT)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
