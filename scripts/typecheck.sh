#!/usr/bin/env bash
# mypy --strict over the package as it installs. mypy cannot follow setuptools' package-dir
# mapping (catalogue/ -> meso_formulary.catalogue), so check a tree of symlinks laid out
# exactly like the installed package.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/meso_formulary"
for entry in "$root"/meso_formulary/*; do
  ln -s "$entry" "$stage/meso_formulary/$(basename "$entry")"
done
ln -s "$root/catalogue" "$stage/meso_formulary/catalogue"
ln -s "$root/cli" "$stage/meso_formulary/cli"
ln -s "$root/web" "$stage/meso_formulary/web"
cd "$stage"
mypy --config-file "$root/pyproject.toml" -p meso_formulary "$@"
