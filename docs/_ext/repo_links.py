"""Links in Markdown files included from outside ``docs/`` (the README, ``bench/README.md``),
made to work on the site.

Those files are written for the repository: their links are relative to the file (``docs/cli.md``,
``bench/README.md``, ``schema/catalogue.schema.json``). Included into a page of ``docs/``,
MyST would read them relative to that page and find nothing. This rewrites each relative link
as the page sees it: a guide of ``docs/`` becomes a link to its page; a file or folder that has
a page of its own (:data:`SITE_PAGES`) links to that page; any other file of the repository is
linked as itself (MyST offers it as a download). A link to a folder without a page stays as it
is, and the build warns.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from sphinx.application import Sphinx
from sphinx.util.typing import ExtensionMetadata

SITE_PAGES = {
    "bench": "benchmarks.md",
    "bench/README.md": "benchmarks.md",
    "examples": "publishing.md#1-the-catalogue-file",
}
"""Repository paths (relative to its root, no trailing ``/``) -> the page that shows them."""

_LINK = re.compile(r"(\]\()([^)\s]+)(\))")
"""An inline Markdown link's or image's destination (``[text](destination)``)."""


def site_link(destination: str, included: PurePosixPath, docs: PurePosixPath) -> str:
    """``destination``, written in the repository file ``included`` (a path relative to the
    repository's root), as a page of ``docs`` (relative to the root too) must write it."""
    if "://" in destination or destination.startswith(("#", "mailto:")):
        return destination
    path, hash_, anchor = destination.partition("#")
    target = PurePosixPath(os.path.normpath(included.parent / path)).as_posix()
    page = SITE_PAGES.get(target.rstrip("/"))
    if page is not None:
        page_path, _, page_anchor = page.partition("#")
        return page_path + (f"#{anchor or page_anchor}" if anchor or page_anchor else "")
    relative = os.path.relpath(target, docs)
    return relative + hash_ + anchor


def rewrite_links(text: str, included: PurePosixPath, docs: PurePosixPath) -> str:
    """Every inline link and image destination of ``text`` through :func:`site_link`."""
    return _LINK.sub(lambda match: match[1] + site_link(match[2], included, docs) + match[3], text)


def _include_read(
    app: Sphinx, relative_path: Path, parent_docname: str, content: list[str]
) -> None:
    root = Path(app.srcdir).parent
    included = (Path(app.srcdir) / relative_path).resolve()
    if Path(app.srcdir).resolve() in included.parents or not included.is_relative_to(root):
        return
    docs = PurePosixPath(Path(app.srcdir).resolve().relative_to(root.resolve()).as_posix())
    repository_path = PurePosixPath(included.relative_to(root.resolve()).as_posix())
    content[0] = rewrite_links(content[0], repository_path, docs)


def setup(app: Sphinx) -> ExtensionMetadata:
    """Rewrite the links of files that MyST's ``{include}`` reads from outside ``docs/``."""
    app.connect("include-read", _include_read)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
