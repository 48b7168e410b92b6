"""Sphinx configuration of the documentation site: the guides and the API reference.

Build it with ``python -m sphinx -W --keep-going -n -b html docs build/docs`` (``.ci/run``
does): warnings are errors, and ``-n`` makes a broken cross-reference one. The build needs no
network: no intersphinx, so names of the standard library and of third-party libraries cannot
link; :data:`nitpick_ignore_regex` lists them, and nothing of ``meso_formulary``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pygments.lexers.special import TextLexer
from sphinx.application import Sphinx

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

from meso_formulary import __version__

project = "meso-formulary"
author = "meso-formulary contributors"
project_copyright = "meso-formulary contributors"
release = __version__
version = __version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "meso_api", "repo_links"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_ext"]
# Anchors for the guides' headings (``web.md#json-api``), made as GitHub makes them.
myst_heading_anchors = 3

nitpicky = True
# Only names that cannot resolve offline: the standard library's and third-party libraries'
# (there is no intersphinx). A name of meso_formulary never goes here: document it instead.
nitpick_ignore_regex = [
    # builtins, and the standard library modules our signatures use
    (r"py:.*", r"(None|str|int|float|bool|bytes|object|type|dict|list|tuple|set|frozenset)"),
    (r"py:.*", r"(collections\.abc|typing|enum|datetime|pathlib|os|sqlite3|types)\..+"),
    (r"py:.*", r"(date|time|datetime|timedelta|Path|PathLike|Connection|Enum|StrEnum)"),
    (r"py:exc", r"(ValueError|TypeError|KeyError|LookupError|OSError|RuntimeError)"),
    # pydantic: the models' base class and its validation error
    (r"py:.*", r"pydantic\..+"),
]

# Undocumented members too: autodoc would leave them out silently, and meso_api's check could
# not see a public method that lacks a docstring.
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
# A name a module imports under another name for type checkers only: the public name.
autodoc_type_aliases = {"CourseProtocol": "meso_formulary.Protocol"}

html_theme = "furo"
html_title = f"meso-formulary {release}"


def setup(app: Sphinx) -> None:
    """The guides' CSV examples have no lexer in Pygments: show them as plain text."""
    app.add_lexer("csv", TextLexer)
