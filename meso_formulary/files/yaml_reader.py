"""Hardened YAML reading: YAML 1.2 core schema on PyYAML's C parser, with a line map.

PyYAML's own loaders follow YAML 1.1, where ``NO`` is ``False``, ``012345`` is octal,
``1:30`` is 90 and the last duplicate key silently wins. This reader takes the *events* of
libyaml's parser (``yaml.CSafeLoader``'s C parser, so it stays fast) and builds the value
itself, with an explicit stack (no recursion), so that it can:

- resolve plain scalars by the YAML 1.2 core schema only: ``true``/``false`` (also
  ``True``/``TRUE``...), ``null``/``~``/empty, base-10 integers plus ``0o``/``0x``, floats
  (``1e3`` included), ``.inf``/``.nan`` (parsed; the models refuse them). Everything else,
  ``NO``, ``yes``, ``on``, ``1:30``, dates, is a string. Note that in YAML 1.2 ``012345`` is
  the integer 12345 (leading zeros are not octal): quote it to keep a string;
- refuse anchors, aliases and merge keys (no billion laughs), duplicate keys, tags other than
  the core ones (``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``, ``!!map``,
  ``!!seq``; nothing is ever constructed from a tag), more than one document, nesting deeper
  than :data:`~meso_formulary.files.document.MAX_DEPTH`, and documents over
  :data:`~meso_formulary.files.document.MAX_BYTES` (checked before parsing);
- record the line of every key and sequence item (:class:`~.document.LineNode`).

Mapping keys are always strings: a key's source text is the key (``NO:`` is ``"NO"``), and
mappings or sequences as keys are refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml._yaml import CParser

from meso_formulary.errors import UnreadableInput
from meso_formulary.files.document import MAX_BYTES, MAX_DEPTH, Document, LineNode
from meso_formulary.files.problems import Refusal, check_text_size, short_repr, unreadable
from meso_formulary.files.source import CocktailStream, NotStreamed

_TAG = "tag:yaml.org,2002:"

_NULL = re.compile(r"(?:~|null|Null|NULL|)")
_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)")
_INT10 = re.compile(r"[-+]?[0-9]+")
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?(?:\.inf|\.Inf|\.INF)")
_NAN = re.compile(r"(?:\.nan|\.NaN|\.NAN)")


def _either(*patterns: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile("^(?:" + "|".join(p.pattern for p in patterns) + ")$")


CORE_PATTERNS: tuple[tuple[str, re.Pattern[str], list[str]], ...] = (
    (_TAG + "null", _either(_NULL), list("~nN")),
    (_TAG + "bool", _either(_BOOL), list("tTfF")),
    (_TAG + "int", _either(_INT10, _INT8, _INT16), list("-+0123456789")),
    (_TAG + "float", _either(_FLOAT, _INF, _NAN), list("-+.0123456789")),
)
"""The YAML 1.2 core schema as PyYAML implicit resolvers ``(tag, pattern, first characters)``:
what a writer must quote for a string to read back as a string."""

_INVALID = object()
"""What a scalar constructor returns for text that is not a value of its type."""


def _shown(tag: str) -> str:
    """``tag:yaml.org,2002:int`` as it is usually written: ``!!int``."""
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def _tag_refused(tag: str, line: int) -> Refusal:
    shown = _shown(tag)
    return Refusal(
        f"the tag {shown} is not allowed (only !!str, !!int, !!float, !!bool, !!null, "
        "!!map and !!seq are)",
        line,
        shown,
    )


def _int(text: str) -> object:
    if _INT10.fullmatch(text):
        return int(text, 10)
    if _INT8.fullmatch(text):
        return int(text[2:], 8)
    if _INT16.fullmatch(text):
        return int(text[2:], 16)
    return _INVALID


def _float(text: str) -> object:
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return _INVALID


def _number(text: str) -> object:
    """``!!float``: any core-schema number, as a float."""
    value = _int(text)
    return float(value) if isinstance(value, int) else _float(text)


def _bool(text: str) -> object:
    return text.lower() == "true" if _BOOL.fullmatch(text) else _INVALID


def _null(text: str) -> object:
    return None if _NULL.fullmatch(text) else _INVALID


def _resolve_plain(text: str) -> object:
    """The value of an untagged plain scalar under the YAML 1.2 core schema."""
    for construct in (_null, _bool, _int, _float):
        value = construct(text)
        if value is not _INVALID:
            return value
    return text


_EXPLICIT: dict[str, Callable[[str], object]] = {
    _TAG + "str": str,
    _TAG + "int": _int,
    _TAG + "float": _number,
    _TAG + "bool": _bool,
    _TAG + "null": _null,
}
"""Constructors for the explicit scalar tags allowed (``!`` means a string, as in YAML)."""


def _scalar(event: yaml.ScalarEvent, line: int) -> object:
    text: str = event.value
    tag = event.tag
    try:
        if tag is None:
            return _resolve_plain(text) if event.implicit[0] and not event.style else text
        if tag == "!":
            return text
        construct = _EXPLICIT.get(tag)
        if construct is None:
            raise _tag_refused(tag, line)
        value = construct(text)
    except ValueError as error:  # an integer with more digits than Python converts
        raise Refusal(f"the number cannot be read: {error}", line, short_repr(text)) from None
    if value is _INVALID:
        raise Refusal(f"{short_repr(text)} is not a valid {_shown(tag)} value", line, text)
    return value


@dataclass(slots=True)
class _Frame:
    """A mapping or sequence being built."""

    value: dict[str, object] | list[object]
    lines: LineNode
    key: str | None = None
    key_line: int = 0
    key_lines: dict[str, int] = field(default_factory=dict)


def _check_collection_tag(event: yaml.CollectionStartEvent, line: int, expected: str) -> None:
    if event.tag is not None and event.tag not in ("!", _TAG + expected):
        raise _tag_refused(event.tag, line)


def _add(parent: _Frame, value: object, lines: LineNode | int) -> None:
    """Attach a finished value to the mapping or sequence being built."""
    if isinstance(parent.value, list):
        assert isinstance(parent.lines.children, list)
        parent.value.append(value)
        parent.lines.children.append(lines)
        return
    assert isinstance(parent.lines.children, dict) and parent.key is not None
    key, parent.key = parent.key, None
    parent.value[key] = value
    if isinstance(lines, LineNode):
        lines.line = parent.key_line  # a mapping entry is found at its key
        parent.lines.children[key] = lines
    else:
        parent.lines.children[key] = parent.key_line


def _take_key(frame: _Frame, event: yaml.ScalarEvent, line: int) -> None:
    """Record a scalar in key position: its text is the key; duplicates and ``<<`` refused."""
    if event.tag not in (None, "!", _TAG + "str"):
        raise _tag_refused(event.tag, line)
    key: str = event.value
    if key == "<<" and event.implicit[0] and not event.style:
        raise Refusal("merge keys (<<) are not allowed: write the entries out", line, key)
    first = frame.key_lines.get(key)
    if first is not None:
        raise Refusal(f"duplicate key {key!r} (first given on line {first})", line, key)
    frame.key_lines[key] = line
    frame.key, frame.key_line = key, line


def _in_cocktails(stack: list[_Frame]) -> bool:
    """True when ``stack`` is the top-level mapping then its ``cocktails`` sequence."""
    return stack[0].key == "cocktails" and isinstance(stack[1].value, list)


def _build(events: CParser, max_depth: int) -> tuple[object, LineNode]:
    """Build the single document's value from the parser's events."""
    built = _building(events, max_depth, stream=False)
    while True:
        try:
            next(built)
        except StopIteration as done:
            result: tuple[object, LineNode] = done.value
            return result


def _building(
    events: CParser, max_depth: int, *, stream: bool
) -> Generator[tuple[object, LineNode | int], None, tuple[object, LineNode]]:
    """Build the document from the parser's events; with ``stream``, yield each item of
    the top-level ``cocktails`` sequence (and its lines) instead of keeping it."""
    stack: list[_Frame] = []
    root: object = None
    root_lines = LineNode(1)
    documents = 0
    while True:
        event = events.get_event()
        if event is None or isinstance(event, yaml.StreamEndEvent):
            return root, root_lines
        line = 0 if event.start_mark is None else event.start_mark.line + 1
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent):
            raise Refusal(f"aliases (*{anchor}) are not allowed: write the value out", line)
        if anchor is not None:
            raise Refusal(f"anchors (&{anchor}) are not allowed", line)
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise Refusal("the file holds more than one YAML document (---)", line)
            root_lines = LineNode(line)
            continue
        if isinstance(event, yaml.StreamStartEvent | yaml.DocumentEndEvent):
            continue
        top = stack[-1] if stack else None
        if isinstance(event, yaml.ScalarEvent):
            if top is not None and isinstance(top.value, dict) and top.key is None:
                _take_key(top, event, line)
                continue
            value = _scalar(event, line)
            if stream and len(stack) == 2 and _in_cocktails(stack):
                yield value, line
            elif top is None:
                root, root_lines = value, LineNode(line)
            else:
                _add(top, value, line)
            continue
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if top is not None and isinstance(top.value, dict) and top.key is None:
                raise Refusal(
                    "a mapping key must be a plain value, not a mapping or sequence", line
                )
            if len(stack) >= max_depth:
                raise Refusal(f"nesting is deeper than {max_depth} levels", line)
            is_map = isinstance(event, yaml.MappingStartEvent)
            _check_collection_tag(event, line, "map" if is_map else "seq")
            container: dict[str, object] | list[object] = {} if is_map else []
            children: dict[str, LineNode | int] | list[LineNode | int] = {} if is_map else []
            stack.append(_Frame(container, LineNode(line, children)))
            continue
        # MappingEndEvent or SequenceEndEvent
        done = stack.pop()
        if stream and len(stack) == 2 and _in_cocktails(stack):
            yield done.value, done.lines  # an item of the cocktails: not kept
        elif stack:
            _add(stack[-1], done.value, done.lines)
        else:
            root, root_lines = done.value, done.lines


TAB_HINT = "YAML forbids tabs for indentation: use spaces"
"""The hint of a syntax error at a tab character."""


def _syntax_error(
    error: yaml.MarkedYAMLError, filename: str, text: str | None = None
) -> UnreadableInput:
    """The error of a YAML syntax error: its line, its column (from 1) in the message, and,
    at a tab (what libyaml reports as a token that cannot start, or as a tab that "violates
    indentation"), the hint that YAML indents with spaces only."""
    mark = error.problem_mark or error.context_mark
    message = " ".join(str(part) for part in (error.context, error.problem) if part)
    if mark is None:
        return unreadable(f"YAML syntax error: {message}", filename)
    at_tab = "tab" in str(error.problem or "")
    if not at_tab and text is not None:
        rows = text.splitlines()
        row = rows[mark.line] if mark.line < len(rows) else ""
        at_tab = row[mark.column : mark.column + 1] == "\t"
    if at_tab and "tab" not in message:
        message += " (a tab character)"
    return unreadable(
        f"YAML syntax error at column {mark.column + 1}: {message}",
        filename,
        mark.line + 1,
        hint=TAB_HINT if at_tab else None,
    )


def parse_yaml(
    text: str, filename: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> Document:
    """Parse one YAML document (YAML 1.2 core schema, hardened) into a :class:`Document`.

    Raises :class:`~meso_formulary.errors.UnreadableInput` naming the file, the line and the
    construct for anything refused (see the module documentation) or any syntax error.
    """
    check_text_size(text, filename, max_bytes)
    parser = CParser(text)
    try:
        data, lines = _build(parser, max_depth)
    except Refusal as refused:
        raise unreadable(refused.message, filename, refused.line, value=refused.value) from None
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, filename, text) from None
    except yaml.reader.ReaderError as error:  # a character YAML does not allow
        line = text.count("\n", 0, error.position) + 1
        char = error.character if isinstance(error.character, int) else ord(error.character)
        message = f"YAML error: {error.reason} (character U+{char:04X})"
        raise unreadable(message, filename, line, value=chr(char)) from None
    except yaml.YAMLError as error:
        raise unreadable(f"YAML error: {error}", filename) from None
    except (RecursionError, MemoryError) as error:  # the builder is iterative; belt and braces
        raise unreadable(
            f"the document is too complex to read ({type(error).__name__})", filename
        ) from None
    finally:
        parser.dispose()
    return Document(data, filename, "yaml", lines)


class _TextStream:
    """What libyaml reads a streamed file from: ``read(size)`` over text chunks."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self._pending = ""

    def read(self, size: int = -1) -> str:
        while len(self._pending) < max(size, 1):
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        if size < 0:
            size = len(self._pending)
        text, self._pending = self._pending[:size], self._pending[size:]
        return text


class YamlCocktails(CocktailStream):
    """The cocktails of a large YAML catalogue file, one at a time (see
    :class:`~.source.CocktailStream`): libyaml reads the file as a stream."""

    fmt = "yaml"

    def __init__(
        self, path: str, filename: str, *, max_bytes: int, max_depth: int = MAX_DEPTH
    ) -> None:
        super().__init__(path, filename, max_bytes=max_bytes)
        self.max_depth = max_depth

    def _cocktails(
        self, chunks: Iterator[str], header: dict[str, object]
    ) -> Iterator[tuple[object, Any]]:
        parser = CParser(_TextStream(chunks))
        building = _building(parser, self.max_depth, stream=True)
        try:
            while True:
                try:
                    yield next(building)
                except StopIteration as done:
                    data, lines = done.value
                    break
        except Refusal as refused:
            raise unreadable(
                refused.message, self.filename, refused.line, value=refused.value
            ) from None
        except yaml.MarkedYAMLError as error:
            raise _syntax_error(error, self.filename) from None
        except yaml.reader.ReaderError as error:
            char = error.character if isinstance(error.character, int) else ord(error.character)
            message = f"YAML error: {error.reason} (character U+{char:04X})"
            raise unreadable(message, self.filename, value=chr(char)) from None
        except yaml.YAMLError as error:
            raise unreadable(f"YAML error: {error}", self.filename) from None
        except (RecursionError, MemoryError) as error:
            raise unreadable(
                f"the document is too complex to read ({type(error).__name__})", self.filename
            ) from None
        finally:
            parser.dispose()
        if not isinstance(data, dict) or not isinstance(data.get("cocktails"), list):
            raise NotStreamed
        header.update(data)
        header["cocktails"] = None
        self.header_lines = lines
