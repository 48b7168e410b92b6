"""Run a command in a tree of symlinks laid out exactly like the installed package.

The repository keeps ``catalogue/``, ``cli/`` and ``web/`` at its root and setuptools'
``package-dir`` mapping installs them as ``meso_formulary.catalogue`` and so on. mypy and
import-linter (grimp) find a package by walking its folder, so neither can follow that mapping:
both run here, in a temporary folder that holds ``meso_formulary/`` as it installs (read from
``pyproject.toml``, so a new mapping needs no edit here).

usage: python scripts/installed_tree.py COMMAND [ARGUMENT ...]

The command runs with the tree as its working directory and first on ``PYTHONPATH``; the exit
status is the command's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def package_dirs() -> dict[str, Path]:
    """``package-dir`` from pyproject.toml: import name -> folder in the repository."""
    with (ROOT / "pyproject.toml").open("rb") as handle:
        mapping: dict[str, str] = tomllib.load(handle)["tool"]["setuptools"]["package-dir"]
    return {name: ROOT / folder for name, folder in mapping.items()}


def lay_out(package: str, target: Path, mapping: dict[str, Path]) -> None:
    """Link ``package`` at ``target``: its folder whole, or entry by entry when a mapped
    sub-package must be placed inside it (the repository's folder is never written to)."""
    source = mapping[package]
    nested = sorted(name for name in mapping if name.rpartition(".")[0] == package)
    if not nested:
        target.symlink_to(source, target_is_directory=True)
        return
    target.mkdir()
    for entry in sorted(source.iterdir()):
        if f"{package}.{entry.name}" not in mapping:
            (target / entry.name).symlink_to(entry)
    for name in nested:
        lay_out(name, target / name.rpartition(".")[2], mapping)


def main(command: list[str]) -> int:
    if not command:
        sys.stderr.write(__doc__ or "")
        return 2
    mapping = package_dirs()
    with tempfile.TemporaryDirectory(prefix="meso-installed-") as stage:
        for package in sorted(name for name in mapping if "." not in name):
            lay_out(package, Path(stage) / package, mapping)
        python_path = os.pathsep.join(filter(None, [stage, os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": python_path}
        return subprocess.run(command, cwd=stage, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
