"""Building the errors readers raise, with the file, line and offending value in them."""

from __future__ import annotations

from meso_formulary.errors import MAX_SHOWN_VALUE, Problem, UnreadableInput, redact_secrets

MAX_VALUE_REPR = MAX_SHOWN_VALUE
"""Longest representation of an offending value quoted in a message."""


class Refusal(Exception):
    """Something a reader does not accept, found at ``line`` (1-based) of the input.

    Readers raise it internally and turn it into :class:`UnreadableInput` at their edge,
    where the file name is known.
    """

    def __init__(self, message: str, line: int | None, value: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.value = value


def short_repr(value: object, limit: int = MAX_VALUE_REPR) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a 10 MB cell cannot flood a terminal,
    with key material redacted first (:func:`~meso_formulary.errors.redact_secrets`): a
    private key read as a catalogue is never quoted, not even its first line."""
    text = redact_secrets(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def unreadable(
    message: str,
    filename: str,
    line: int | None = None,
    *,
    path: str = "",
    value: object = None,
    hint: str | None = None,
) -> UnreadableInput:
    """An :class:`UnreadableInput` carrying one :class:`Problem` that locates ``message``."""
    problem = Problem(message, path=path, file=filename, line=line, value=value, code="unreadable")
    return UnreadableInput(f"cannot read {filename}", [problem], hint=hint)


def check_size(size: int, filename: str, max_bytes: int) -> None:
    """Refuse a document bigger than ``max_bytes`` before anything parses it."""
    if size > max_bytes:
        raise unreadable(
            f"the file is larger than the {max_bytes:,} bytes allowed ({size:,} bytes or more)",
            filename,
            hint="the limit guards against hostile files: save the catalogue as JSON without "
            "indentation to make it smaller, or, for a file you trust, raise the limit "
            "(meso validate/import --max-size 500MB; from Python, max_bytes=)",
        )


def check_text_size(text: str, filename: str, max_bytes: int) -> None:
    """:func:`check_size` for text: its UTF-8 size, encoded only when it could matter."""
    size = len(text) if len(text) * 4 <= max_bytes else len(text.encode("utf-8", "surrogatepass"))
    check_size(size, filename, max_bytes)
