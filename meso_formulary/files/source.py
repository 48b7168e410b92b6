"""Getting the text of a document: from a path or stdin, size-capped, UTF-8 only.

Nothing here trusts the path: a directory, a device such as ``/dev/zero``, a FIFO, a
missing or unreadable file all give :class:`~meso_formulary.errors.UnreadableInput` with a
plain message. At most ``max_bytes + 1`` bytes are ever read, so no input can exhaust memory
or hang the reader.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from meso_formulary.errors import UnreadableInput
from meso_formulary.files.document import MAX_BYTES, NodePath
from meso_formulary.files.problems import check_size, unreadable

STDIN = "-"
"""The source name that means standard input."""

STDIN_NAME = "<stdin>"

_OTHER_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def source_name(source: str | os.PathLike[str]) -> str:
    """How a source is named in messages."""
    return STDIN_NAME if str(source) == STDIN else os.fspath(source)


def read_bytes(source: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of ``source`` (a path, or ``-`` for stdin), refusing more than ``max_bytes``."""
    name = source_name(source)
    if str(source) == STDIN:
        raw = sys.stdin.buffer.read(max_bytes + 1)
        check_size(len(raw), name, max_bytes)
        return raw
    open_regular(source, max_bytes=max_bytes)  # never opened unless a regular file
    try:
        with Path(source).open("rb") as stream:
            raw = stream.read(max_bytes + 1)
    except FileNotFoundError:  # gone, or replaced, since it was checked
        raise unreadable("no such file", name) from None
    except PermissionError:
        raise unreadable("permission denied", name) from None
    except IsADirectoryError:
        raise unreadable("this is a directory, not a file", name) from None
    except OSError as error:
        raise unreadable(f"cannot be read: {error.strerror or error}", name) from None
    check_size(len(raw), name, max_bytes)  # the file may have grown since stat()
    return raw


def decode_text(raw: bytes, filename: str) -> str:
    """UTF-8 text (a leading BOM dropped); any other encoding is refused, never guessed."""
    for bom, encoding in _OTHER_BOMS:
        if raw.startswith(bom):
            raise unreadable(
                f"the file is {encoding}-encoded; only UTF-8 is read",
                filename,
                1,
                hint="save the file as UTF-8",
            )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        byte = raw[error.start]
        raise unreadable(
            f"the file is not UTF-8: byte 0x{byte:02X} at offset {error.start} cannot be decoded",
            filename,
            line,
            value=raw[max(0, error.start - 10) : error.start + 10],
            hint="save the file as UTF-8 (a spreadsheet: 'CSV UTF-8')",
        ) from None


CHUNK_BYTES = 1024 * 1024
"""How much of a file a streaming reader reads at a time."""


def open_regular(source: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> int:
    """The size of the regular file ``source``, refused as :func:`read_bytes` refuses it."""
    name = source_name(source)
    try:
        info = Path(source).stat()
    except FileNotFoundError:
        raise unreadable("no such file", name) from None
    except PermissionError:
        raise unreadable("permission denied", name) from None
    except OSError as error:
        raise unreadable(f"cannot be read: {error.strerror or error}", name) from None
    if stat.S_ISDIR(info.st_mode):
        raise unreadable("this is a directory, not a file", name)
    if not stat.S_ISREG(info.st_mode):
        raise unreadable("this is not a regular file (a device, pipe or socket)", name)
    check_size(info.st_size, name, max_bytes)
    return info.st_size


def text_chunks(
    source: str | os.PathLike[str], digest: Any, *, max_bytes: int = MAX_BYTES
) -> Iterator[str]:
    """The UTF-8 text of the file ``source``, decoded chunk by chunk (a leading BOM dropped).

    Refuses what :func:`read_bytes` and :func:`decode_text` refuse, with the same messages
    (the line of an undecodable byte included); ``digest`` (a :mod:`hashlib` object) is
    updated with every byte read, so a caller can tell whether the file changed between
    two reads.
    """
    name = source_name(source)
    open_regular(source, max_bytes=max_bytes)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    total, lines, first = 0, 0, True
    try:
        stream = Path(source).open("rb")  # noqa: SIM115 (closed by the with below)
    except OSError as error:
        raise unreadable(f"cannot be read: {error.strerror or error}", name) from None
    with stream:
        while True:
            try:
                raw = stream.read(CHUNK_BYTES)
            except OSError as error:
                raise unreadable(f"cannot be read: {error.strerror or error}", name) from None
            total += len(raw)
            check_size(total, name, max_bytes)  # the file may have grown since stat()
            digest.update(raw)
            if first:
                for bom, _encoding in _OTHER_BOMS:
                    if raw.startswith(bom):
                        decode_text(raw[: len(bom)], name)  # refuses it, with its message
                first = False
                if raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
            try:
                text = decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as error:
                start = total - len(raw)
                line = lines + raw.count(b"\n", 0, error.start) + 1
                raise unreadable(
                    "the file is not UTF-8: byte "
                    f"0x{raw[error.start]:02X} at offset {start + error.start} cannot be decoded",
                    name,
                    line,
                    value=raw[max(0, error.start - 10) : error.start + 10],
                    hint="save the file as UTF-8 (a spreadsheet: 'CSV UTF-8')",
                ) from None
            lines += raw.count(b"\n")
            if text:
                yield text
            if not raw:
                return


class NotStreamed(Exception):
    """A file not shaped as a catalogue with a list of cocktails: read it whole instead."""


class CocktailStream:
    """The cocktails of a large catalogue file, read again from the file at each pass.

    :meth:`scan` reads the file once: it checks it completely (what the whole-file reader
    refuses is refused, at its line) and keeps the catalogue's other entries
    (:attr:`header`), but no cocktail. Each iteration reads the file again and yields the
    cocktails one at a time, so only one is held at a time; the line index of the last one
    yielded is kept, for its problems. A file that changed since :meth:`scan` is refused
    at the end of the pass that notices it.
    """

    fmt = ""

    def __init__(self, path: str, filename: str, *, max_bytes: int) -> None:
        self.path = path
        self.filename = filename
        self.max_bytes = max_bytes
        self.header: dict[str, object] = {}
        self.header_lines: Any = None
        self._digest = ""
        self._count = 0
        self._last: tuple[int, Any] = (-1, None)

    def _cocktails(
        self, chunks: Iterator[str], header: dict[str, object]
    ) -> Iterator[tuple[object, Any]]:
        """``(cocktail, its line index)`` for each cocktail; fills ``header`` (a pass)."""
        raise NotImplementedError

    def scan(self) -> None:
        digest = hashlib.sha256()
        chunks = text_chunks(self.path, digest, max_bytes=self.max_bytes)
        for _ in self._cocktails(chunks, self.header):
            self._count += 1
        self._digest = digest.hexdigest()

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[object]:
        digest = hashlib.sha256()
        chunks = text_chunks(self.path, digest, max_bytes=self.max_bytes)
        try:
            for index, (value, lines) in enumerate(self._cocktails(chunks, {})):
                self._last = (index, lines)
                yield value
        except UnreadableInput:
            pass  # the file changed: said below
        if digest.hexdigest() != self._digest:
            raise unreadable(
                "the file changed while it was being read; nothing was taken from it",
                self.filename,
                hint="run the command again once the file is written",
            )

    def line_of(self, path: NodePath) -> int | None:
        """The line of ``path``: a cocktail's inner lines are known while it is checked."""
        index, lines = self._last
        if len(path) >= 2 and path[0] == "cocktails" and path[1] == index and lines is not None:
            found: int | None = lines.line_of(path[2:])
            return found
        return self.header_lines.line_of(path) if self.header_lines is not None else None
