"""The README's table of validation rules is generated from the registry and cannot drift.

Run ``python tests/test_rules_docs.py`` to refresh it after changing a rule.
"""

from __future__ import annotations

import re
from pathlib import Path

from meso_formulary.rules import default_registry
from meso_formulary.rules.engine import rules_markdown

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- rules:start[^>]*-->\n)(.*?)(<!-- rules:end -->)", flags=re.S)


def rendered(readme: str) -> str:
    return BLOCK.sub(lambda m: m[1] + rules_markdown(default_registry()) + m[3], readme)


def test_the_readme_rules_table_matches_the_registry() -> None:
    readme = README.read_text(encoding="utf-8")
    assert BLOCK.search(readme), "the README lost its rules markers"
    assert rendered(readme) == readme, "run `python tests/test_rules_docs.py` to refresh it"


if __name__ == "__main__":
    README.write_text(rendered(README.read_text(encoding="utf-8")), encoding="utf-8")
