"""Getting the text of a document: from a path or stdin, size-capped, UTF-8 only.

Nothing here trusts the path: a directory, a device such as ``/dev/zero``, a FIFO, a
missing or unreadable file all give :class:`~meso_formulary.errors.UnreadableInput` with a
plain message. At most ``max_bytes + 1`` bytes are ever read, so no input can exhaust memory
or hang the reader.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from pathlib import Path

from meso_formulary.files.document import MAX_BYTES
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
    path = Path(source)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise unreadable("this is a directory, not a file", name)
        if not stat.S_ISREG(info.st_mode):
            raise unreadable("this is not a regular file (a device, pipe or socket)", name)
        check_size(info.st_size, name, max_bytes)
        with path.open("rb") as stream:
            raw = stream.read(max_bytes + 1)
    except FileNotFoundError:
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
