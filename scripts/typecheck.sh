#!/usr/bin/env bash
# mypy --strict over the package as it installs: mypy cannot follow setuptools' package-dir
# mapping (catalogue/ -> meso_formulary.catalogue), so it runs in the tree of symlinks
# scripts/installed_tree.py lays out.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec python "$root/scripts/installed_tree.py" \
  mypy --config-file "$root/pyproject.toml" -p meso_formulary "$@"
