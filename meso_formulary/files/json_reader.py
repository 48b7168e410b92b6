"""Hardened JSON reading with a line map computed only when a line is needed.

``json.loads`` alone keeps the last of two duplicate keys, accepts ``NaN`` and
``Infinity``, turns ``1e400`` into ``inf`` and raises ``RecursionError`` on deep nesting.
Here the fast C parser runs with hooks that detect all of these; when one fires (or when a
validation problem needs a line), a small tokenizer walks the text once, records the line of
every key and array item in a :class:`~.document.LineNode` tree, and pinpoints the offending
token. Valid files never pay for that walk unless something asks for a line.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from meso_formulary.files.document import MAX_BYTES, MAX_DEPTH, Document, LazyLines, LineNode
from meso_formulary.files.problems import Refusal, check_text_size, short_repr, unreadable

_TOKEN = re.compile(
    r"""[ \t\r\n]*(?:
        (?P<string>"[^"\\]*(?:\\.[^"\\]*)*")
      | (?P<punct>[][{}:,])
      | (?P<atom>[^][{}:,"\s]+)
    )""",
    re.VERBOSE,
)
"""One token of a syntactically valid JSON text (the C parser has checked the syntax)."""

_CONSTANTS = frozenset({"NaN", "Infinity", "-Infinity"})
_LITERALS = frozenset({"true", "false", "null"})


class _Suspect(Exception):
    """Raised by a parser hook; the tokenizer then finds the token and its line."""


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Suspect
    return result


def _no_constant(name: str) -> float:
    raise _Suspect


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Suspect
    return value


@dataclass(slots=True)
class _Frame:
    lines: LineNode
    is_object: bool
    key: str | None = None
    key_line: int = 0
    seen: dict[str, int] = field(default_factory=dict)


def _attach(parent: _Frame, lines: LineNode | int) -> None:
    children = parent.lines.children
    if isinstance(children, list):
        children.append(lines)
        return
    assert isinstance(children, dict) and parent.key is not None
    if isinstance(lines, LineNode):
        lines.line = parent.key_line
    children[parent.key] = lines if isinstance(lines, LineNode) else parent.key_line
    parent.key = None


def _check_atom(text: str, line: int) -> None:
    if text in _CONSTANTS:
        raise Refusal(f"{text} is not a JSON number (JSON has no NaN or infinity)", line, text)
    is_float = text not in _LITERALS and any(mark in text for mark in ".eE")
    if is_float and math.isinf(float(text)):
        raise Refusal(
            f"the number {short_repr(text)} is too large (it overflows to infinity)", line, text
        )


def locate(text: str, max_depth: int = MAX_DEPTH) -> LineNode:
    """Walk a syntactically valid JSON text: the line of every key and item.

    Raises :class:`Refusal` at the first duplicate key, non-finite number or nesting deeper
    than ``max_depth``, with its line.
    """
    stack: list[_Frame] = []
    root = LineNode(1)
    line, end = 1, 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or ""
        line += text.count("\n", end, match.start(kind))
        end = match.end()
        top = stack[-1] if stack else None
        token = match[kind]
        if kind == "punct":
            if token in "{[":
                if len(stack) >= max_depth:
                    raise Refusal(f"nesting is deeper than {max_depth} levels", line)
                node = LineNode(line, {} if token == "{" else [])
                if top is None:
                    root = node
                else:
                    _attach(top, node)
                stack.append(_Frame(node, token == "{"))
            elif token in "}]":
                stack.pop()
            continue
        if top is not None and top.is_object and top.key is None:
            key: str = json.loads(token)
            first = top.seen.get(key)
            if first is not None:
                raise Refusal(f"duplicate key {key!r} (first given on line {first})", line, key)
            top.seen[key], top.key, top.key_line = line, key, line
            continue
        if kind == "atom":
            _check_atom(token, line)
        if top is None:
            root = LineNode(line)
        else:
            _attach(top, line)
    return root


def _depth_exceeds(data: object, max_depth: int) -> bool:
    """True when ``data`` nests deeper than ``max_depth`` (an iterative walk, no recursion)."""
    level: list[object] = [data]
    for _ in range(max_depth):
        level = [
            child
            for node in level
            if isinstance(node, dict | list)
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return bool(level)


def parse_json(
    text: str, filename: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> Document:
    """Parse a JSON document into a :class:`Document`; a leading BOM is allowed.

    Raises :class:`~meso_formulary.errors.UnreadableInput` naming the file and line for a
    syntax error, a duplicate key, ``NaN``/``Infinity``, a number that overflows to infinity,
    nesting deeper than ``max_depth`` or a document over ``max_bytes``.
    """
    check_text_size(text, filename, max_bytes)
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_finite,
        )
        suspect = _depth_exceeds(data, max_depth)
    except json.JSONDecodeError as error:
        message = f"JSON syntax error: {error.msg} (column {error.colno})"
        raise unreadable(message, filename, error.lineno) from None
    except (_Suspect, RecursionError, MemoryError):
        suspect = True
    except ValueError as error:  # an integer with more digits than Python converts
        raise unreadable(f"a number cannot be read: {error}", filename) from None
    if suspect:
        try:
            locate(text, max_depth)
        except Refusal as refusal:
            raise unreadable(refusal.message, filename, refusal.line, value=refusal.value) from None
        raise unreadable("the document is too complex to read", filename)
    return Document(data, filename, "json", LazyLines(lambda: locate(text, max_depth)))
