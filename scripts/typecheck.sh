#!/usr/bin/env bash
# mypy --strict over the package as it installs: mypy cannot follow setuptools' package-dir
# mapping (catalogue/ -> meso_formulary.catalogue), so it runs in the tree of symlinks
# scripts/installed_tree.py lays out.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python "$root/scripts/installed_tree.py" \
  mypy --config-file "$root/pyproject.toml" -p meso_formulary "$@"
# The documentation site's configuration and Sphinx extensions (docs/), with the docs extra.
if python -c "import sphinx" 2>/dev/null; then
  mypy --config-file "$root/pyproject.toml" "$root/docs/conf.py" "$root/docs/_ext" "$@"
fi
