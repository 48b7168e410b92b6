"""A parsed document: plain Python data, the file it came from, and where each node starts.

Every reader (YAML, JSON, CSV) returns a :class:`Document`, so that validation and error
reporting are one code path whatever the format: a problem found at the field path
``cocktails.3.composition.12.strength.value`` is reported at the source line of the deepest
node of that path the reader knows about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeAlias

from meso_formulary.errors import Problem

NodePath: TypeAlias = tuple[str | int, ...]
"""A path into a document: mapping keys (``str``) and sequence positions (``int``)."""

MAX_BYTES = 20 * 1024 * 1024
"""Largest document any reader accepts, checked before parsing (JSON or CSV suit big files)."""

STREAM_BYTES = 1024 * 1024
"""Documents at least this large are checked one cocktail at a time, never held whole as
models; a JSON file this large is also read as a stream (one cocktail in memory at a time)."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted; a catalogue needs fewer than 10."""


class LineIndex(Protocol):
    """Answers "on which source line does the node at this path start?"."""

    def line_of(self, path: NodePath) -> int | None:
        """The line of the deepest node on ``path`` that is known, or ``None``."""
        ...


@dataclass(slots=True)
class LineNode:
    """The line of one node and, for a mapping or sequence, the lines of its children.

    For a mapping entry the line is the key's line; for a sequence item, the item's line.
    Leaves (scalars) are stored as a bare ``int`` to keep big documents light.
    """

    line: int
    children: dict[str, LineNode | int] | list[LineNode | int] | None = None

    def line_of(self, path: NodePath) -> int | None:
        """Walk ``path`` down the tree and return the deepest line found."""
        node: LineNode | int = self
        for step in path:
            if isinstance(node, int):
                return node
            child = _child(node.children, step)
            if child is None:
                return node.line
            node = child
        return node if isinstance(node, int) else node.line


def _child(
    children: dict[str, LineNode | int] | list[LineNode | int] | None, step: str | int
) -> LineNode | int | None:
    if isinstance(children, dict) and isinstance(step, str):
        return children.get(step)
    if isinstance(children, list) and isinstance(step, int) and 0 <= step < len(children):
        return children[step]
    return None


@dataclass(slots=True)
class LazyLines:
    """A line index computed on first use (JSON: parsing is fast, locating is not)."""

    compute: Callable[[], LineIndex]
    _index: LineIndex | None = None

    def line_of(self, path: NodePath) -> int | None:
        """Compute the index once, then answer from it."""
        if self._index is None:
            self._index = self.compute()
        return self._index.line_of(path)


@dataclass(frozen=True, slots=True)
class Document:
    """Plain data (dict, list, str, int, float, bool, None) read from ``filename``."""

    data: object
    filename: str
    fmt: str
    lines: LineIndex = field(repr=False, compare=False)
    size: int = field(default=0, compare=False)
    """The document's size in bytes, when it was read from bytes (``0``: not known)."""

    def line_of(self, path: NodePath) -> int | None:
        """The source line of the deepest known node on ``path`` (1-based), or ``None``."""
        return self.lines.line_of(path)

    def locate(self, problem: Problem) -> Problem:
        """``problem`` (found on the data of this document) with this file and the line of
        its field path, where it has none yet."""
        file = problem.file or self.filename
        if problem.line is not None or not problem.path:
            return problem if file == problem.file else replace(problem, file=file)
        steps = tuple(int(s) if s.isdigit() else s for s in problem.path.split("."))
        return replace(problem, file=file, line=self.line_of(steps))
