"""Hardened JSON reading with a line map computed only when a line is needed.

``json.loads`` alone keeps the last of two duplicate keys, accepts ``NaN`` and
``Infinity``, turns ``1e400`` into ``inf`` and raises ``RecursionError`` on deep nesting.
Here the fast C parser runs with hooks that detect all of these; when one fires (or when a
validation problem needs a line), a small tokenizer walks the text once, records the line of
every key and array item in a :class:`~.document.LineNode` tree, and pinpoints the offending
token. Valid files never pay for that walk unless something asks for a line.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from meso_formulary.files.document import (
    MAX_BYTES,
    MAX_DEPTH,
    Document,
    LazyLines,
    LineIndex,
    LineNode,
    NodePath,
)
from meso_formulary.files.problems import Refusal, check_text_size, short_repr, unreadable
from meso_formulary.files.source import text_chunks

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


# ---------------------------------------------------------------- streaming a large file

_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=_finite
)
_WHITE = frozenset(" \t\r\n")


class NotStreamable(Exception):
    """The file is not shaped as a catalogue object: the whole-file reader reports it."""


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


class _Scanner:
    """A catalogue JSON text read chunk by chunk: the header values, and each cocktail.

    Only the text not yet consumed is held (at least one chunk, and one whole cocktail).
    The byte offset and line of every position consumed are counted, so each cocktail can be
    found again in the file to locate a problem in it.
    """

    def __init__(self, chunks: Iterator[str], filename: str, max_depth: int) -> None:
        self._chunks = chunks
        self._filename = filename
        self._max_depth = max_depth
        self._text = ""
        self._pos = 0
        self._counted = 0
        self.byte = 0
        self.line = 1
        self._column = 1
        self._eof = False

    def _more(self) -> bool:
        if self._eof:
            return False
        self._count(self._pos)
        self._text, self._pos, self._counted = self._text[self._pos :], 0, 0
        for chunk in self._chunks:
            if chunk:
                self._text += chunk
                return True
        self._eof = True
        return False

    def _count(self, to: int) -> None:
        """Advance the byte, line and column counters over the text up to ``to``."""
        seg = self._text[self._counted : to]
        self.byte += _utf8_len(seg)
        newlines = seg.count("\n")
        if newlines:
            self.line += newlines
            self._column = len(seg) - seg.rfind("\n")
        else:
            self._column += len(seg)
        self._counted = to

    def peek(self) -> str:
        """The next character that is not white space (``""`` at the end)."""
        while True:
            text, pos = self._text, self._pos
            while pos < len(text) and text[pos] in _WHITE:
                pos += 1
            self._pos = pos
            if pos < len(text):
                return text[pos]
            if not self._more():
                return ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise NotStreamable
        self._pos += 1

    def value(self, depth: int) -> tuple[object, int, int, str]:
        """The next JSON value: ``(value, byte offset, first line, its text)``."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as error:
                # an error near the end of the text read so far may only be where it stops
                near_end = error.pos >= len(self._text) - 16 or error.msg.startswith("Unterm")
                if near_end and self._more():
                    continue
                self._count(error.pos)
                message = f"JSON syntax error: {error.msg} (column {self._column})"
                raise unreadable(message, self._filename, self.line) from None
            except (_Suspect, RecursionError, MemoryError):
                # a hook fired on a whole token, or the nesting is too deep: not the text's end
                value, end = _Suspect, self._element_end()
            except ValueError as error:  # an integer with more digits than Python converts
                raise unreadable(f"a number cannot be read: {error}", self._filename) from None
            if end >= len(self._text) and self._more():
                continue  # a number may go on in the next chunk
            break
        self._count(self._pos)
        byte, line, text = self.byte, self.line, self._text[self._pos : end]
        if value is _Suspect or _depth_exceeds(value, self._max_depth - depth):
            self._refuse(text, line, depth)
        self._pos = end
        return value, byte, line, text

    def _element_end(self) -> int:
        """Where the value at the current position ends, reading on as far as needed."""
        while True:
            end = _value_end(self._text, self._pos)
            if end is not None or not self._more():
                return len(self._text) if end is None else end

    def _refuse(self, text: str, line: int, depth: int) -> None:
        try:
            locate(text, self._max_depth - depth)
        except Refusal as refusal:
            message = refusal.message
            if message.startswith("nesting is deeper"):
                message = f"nesting is deeper than {self._max_depth} levels"
            where = line + (refusal.line or 1) - 1
            raise unreadable(message, self._filename, where, value=refusal.value) from None
        raise unreadable("the document is too complex to read", self._filename, line)


def _value_end(text: str, start: int) -> int | None:
    """The end of the (syntactically valid) value at ``start``, or ``None`` if not in ``text``."""
    depth = 0
    for match in _TOKEN.finditer(text, start):
        token = match[match.lastgroup or ""]
        if token in ("{", "["):
            depth += 1
        elif token in ("}", "]"):
            depth -= 1
        if depth <= 0:
            return match.end()
    return None


@dataclass(slots=True)
class _Shifted:
    """A cocktail's line index, moved to where the cocktail starts in its file."""

    index: LineNode
    shift: int

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        line = self.index.line_of(path)
        return None if line is None else line + self.shift


def scan_json(
    chunks: Iterator[str],
    filename: str,
    *,
    header: dict[str, object] | None = None,
    texts: dict[str, tuple[str, int]] | None = None,
    max_depth: int = MAX_DEPTH,
) -> Iterator[tuple[object, int, int, str]]:
    """The cocktails of a catalogue JSON text given in ``chunks``, one at a time.

    Yields ``(cocktail, byte offset, line, text)`` per item of the ``cocktails`` array and
    fills ``header`` with the other top-level entries (``"cocktails"`` maps to ``None``
    when it is an array), and ``texts`` with their text and first line. Refuses what
    :func:`parse_json` refuses, at its line; raises :class:`NotStreamable` for a text
    whose top level is not an object with distinct keys.
    """
    into: dict[str, object] = {} if header is None else header
    scanner = _Scanner(chunks, filename, max_depth)
    scanner.take("{")
    if scanner.peek() == "}":
        scanner.take("}")
    else:
        while True:
            key, _, key_line, _ = scanner.value(1)
            if not isinstance(key, str) or key in into:
                raise NotStreamable
            scanner.take(":")
            if key == "cocktails" and scanner.peek() == "[":
                into[key] = None
                if texts is not None:
                    texts[key] = ("", key_line)
                scanner.take("[")
                if scanner.peek() == "]":
                    scanner.take("]")
                else:
                    while True:
                        yield scanner.value(2)
                        if scanner.peek() == "]":
                            scanner.take("]")
                            break
                        scanner.take(",")
            else:
                into[key], _, line, text = scanner.value(1)
                if texts is not None:
                    texts[key] = (text, line)
            if scanner.peek() == "}":
                scanner.take("}")
                break
            scanner.take(",")
    if scanner.peek() != "":
        raise NotStreamable


def cocktail_lines(text: str, line: int, max_depth: int = MAX_DEPTH) -> _Shifted:
    """The line index of one cocktail's JSON ``text``, which starts on ``line``."""
    return _Shifted(locate(text, max_depth), line - 1)


class JsonCocktails:
    """The cocktails of a large JSON catalogue file, read again from the file at each pass.

    :meth:`scan` reads the file once: it checks it completely (what :func:`parse_json`
    refuses is refused, at its line), keeps the top-level entries other than the cocktails
    (:attr:`header`) and where each cocktail starts, but no cocktail. Each iteration then
    reads the file again and yields the cocktails one at a time, so only one is ever held;
    a file that changed since :meth:`scan` is refused at the end of the pass.
    """

    def __init__(self, path: str, filename: str, *, max_bytes: int, max_depth: int) -> None:
        self._path = path
        self._filename = filename
        self._max_bytes = max_bytes
        self._max_depth = max_depth
        self.header: dict[str, object] = {}
        self._texts: dict[str, tuple[str, int]] = {}
        self._starts = array("q")
        self._ends = array("q")
        self._lines = array("q")
        self._digest = ""
        self._bom = 0

    def _pass(self, header: dict[str, object], texts: dict[str, tuple[str, int]] | None) -> Any:
        digest = hashlib.sha256()
        values = scan_json(
            text_chunks(self._path, digest, max_bytes=self._max_bytes),
            self._filename,
            header=header,
            texts=texts,
            max_depth=self._max_depth,
        )
        return digest, values

    def scan(self) -> None:
        """Read and check the whole file once (see the class documentation)."""
        digest, values = self._pass(self.header, self._texts)
        for _value, byte, line, text in values:
            self._starts.append(byte)
            self._ends.append(byte + _utf8_len(text))
            self._lines.append(line)
        self._digest = digest.hexdigest()
        with open(self._path, "rb") as stream:
            self._bom = 3 if stream.read(3) == codecs.BOM_UTF8 else 0

    def __len__(self) -> int:
        return len(self._starts)

    def __iter__(self) -> Iterator[object]:
        try:
            digest, values = self._pass({}, None)
            for value, *_ in values:
                yield value
        except NotStreamable:
            pass
        if digest.hexdigest() != self._digest:
            raise unreadable(
                "the file changed while it was being read; nothing was taken from it",
                self._filename,
                hint="run the command again once the file is written",
            )

    @property
    def lines(self) -> LineIndex:
        """Where each node starts (a cocktail's lines are found by reading it again)."""
        return _StreamLines(self)

    def cocktail_lines(self, index: int) -> LineIndex | None:
        if not 0 <= index < len(self._starts):
            return None
        start, end = self._starts[index] + self._bom, self._ends[index] + self._bom
        with open(self._path, "rb") as stream:
            stream.seek(start)
            text = stream.read(end - start).decode("utf-8", "replace")
        try:
            return cocktail_lines(text, self._lines[index], self._max_depth)
        except Refusal:
            return None


@dataclass(slots=True)
class _StreamLines:
    """The line index of a streamed JSON file (see :class:`JsonCocktails`)."""

    cocktails: JsonCocktails

    def line_of(self, path: NodePath) -> int | None:
        if not path or not isinstance(path[0], str):
            return 1
        entry = self.cocktails._texts.get(path[0])
        if entry is None:
            return 1
        text, line = entry
        if len(path) == 1:
            return line
        if path[0] == "cocktails":
            found = self.cocktails.cocktail_lines(path[1]) if isinstance(path[1], int) else None
        else:
            try:
                found = cocktail_lines(text, line, self.cocktails._max_depth)
            except Refusal:
                found = None
        return line if found is None else found.line_of(path[2 if path[0] == "cocktails" else 1 :])
