"""What the README promises about setting up; its examples run in test_doc_examples.py.

``PYTHON_BLOCKS`` (the README's Python examples) is what test_typing.py checks with
``mypy --strict`` against the installed wheel.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_the_readme_has_python_examples() -> None:
    assert len(PYTHON_BLOCKS) >= 2


def test_the_two_setup_commands_are_documented() -> None:
    """The two commands are not run by the examples' test (one installs, one is the suite
    itself): the README shows them, and CI runs the suite the way the second one does."""
    assert 'pip install . && meso search "hair loss"' in README
    assert 'pip install -e ".[test,web]" && python -m pytest -n 2' in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -n 2" in ci
