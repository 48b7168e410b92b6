"""The library's error types.

Every error a user can cause (a file, a value typed on the command line or in a search, a
catalogue file that cannot be used) derives from :class:`MesoError`. Like pint's errors,
each specific error also inherits the built-in it resembles, so callers may catch either
``MesoError`` or, say, ``ValueError``. The CLI turns any ``MesoError`` into ``Error: ...``
plus the error's ``hint``; anything else is a bug. A caller's programming mistake (an
argument of the wrong type, a dictionary filed under the wrong key, a transaction opened
twice) is therefore a plain ``TypeError``, ``ValueError`` or ``RuntimeError``, never one of
these.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_SHOWN_VALUE = 80
"""Longest offending value (text or bytes) a :class:`Problem` keeps to be shown."""

REDACTED_PRIVATE = "[private key material redacted]"
REDACTED_KEY = "[key material redacted]"

_PEM_BLOCK = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)-----"
    r"(?:.*?-----END [A-Z0-9 ]*-----|[A-Za-z0-9+/=\s\\:,.-]*)",
    re.DOTALL | re.IGNORECASE,
)
"""A PEM block (``-----BEGIN ... KEY-----`` to its END line, or to where base64 stops when
the END line is not there: a message may quote only the start of a file). ``\\`` lets it
run across the ``\\n`` of a ``repr``."""

_MESO_KEY = re.compile(r"meso-ed25519:[^\s:'\"]{0,100}:[A-Za-z0-9+/=]{4,}", re.IGNORECASE)
"""The one-line key form of :mod:`meso_formulary.catalogue.publishing.keys`."""


def redact_secrets(text: str) -> str:
    """``text`` with key material replaced: PEM blocks (private keys above all) and
    ``meso-ed25519:`` keys.

    Error messages quote values from files, and a private key passed where a catalogue is
    expected would otherwise be echoed to a terminal, a log or a web page.
    """
    if "-----" not in text and "ed25519:" not in text.lower():
        return text
    text = _PEM_BLOCK.sub(
        lambda m: REDACTED_PRIVATE if "PRIVATE" in m[1].upper() else REDACTED_KEY, text
    )
    return _MESO_KEY.sub(REDACTED_KEY, text)


def shown_value(value: object) -> object:
    """``value`` as a :class:`Problem` keeps it: key material redacted, text and bytes cut
    to :data:`MAX_SHOWN_VALUE` characters."""
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("latin-1")
        if redact_secrets(text) != text:
            return redact_secrets(text)[:MAX_SHOWN_VALUE]
        return value if len(value) <= MAX_SHOWN_VALUE else bytes(value[:MAX_SHOWN_VALUE])
    if isinstance(value, str):
        value = redact_secrets(value)
        return value if len(value) <= MAX_SHOWN_VALUE else value[: MAX_SHOWN_VALUE - 3] + "..."
    return value


class MesoError(Exception):
    """Base class of every error this library raises on purpose.

    The message and hint are stored with key material redacted (:func:`redact_secrets`):
    whatever a message quotes, no front end can echo a private key.
    """

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = redact_secrets(message)
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = redact_secrets(hint)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (file, line, field path), what, and the value."""

    message: str
    path: str = ""
    file: str | None = None
    line: int | None = None
    value: object = None
    severity: str = "error"
    code: str = "invalid"
    source: str | None = None
    """For a rule finding: where the limit it compares with comes from."""

    def __post_init__(self) -> None:
        # the one place every problem passes: key material never kept, values bounded
        object.__setattr__(self, "message", redact_secrets(self.message))
        object.__setattr__(self, "value", shown_value(self.value))

    def location(self) -> str:
        """``file:line: path`` with the parts that are known."""
        parts = []
        if self.file is not None:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.path:
            parts.append(self.path)
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class InvalidInput(MesoError, ValueError):
    """Input data (a file, a record, a value) is not valid; ``problems`` says where and why."""

    def __init__(
        self, message: str, problems: Sequence[Problem] = (), *, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems: tuple[Problem, ...] = tuple(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        shown = "\n".join(f"  {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n  ... and {more} more" if more > 0 else ""
        return f"{self.message}\n{shown}{tail}"


class UnreadableInput(InvalidInput):
    """A file cannot be read or parsed at all (missing, too large, wrong encoding, bad syntax)."""


class UnitConversionError(MesoError, ValueError):
    """A strength cannot be expressed in the requested unit (e.g. IU without a factor)."""


class NotFound(MesoError, LookupError):
    """A cocktail, ingredient, indication or supplier id that does not exist."""


class CatalogueError(MesoError, RuntimeError):
    """The catalogue file cannot be used (wrong schema, not a catalogue, read-only, disk full)."""


class CatalogueBusy(CatalogueError):
    """Another process holds the write lock for longer than the busy timeout."""

    hint = "another import is in progress; try again when it has finished"


class SearchError(MesoError, ValueError):
    """A search request that cannot be run (empty text, out-of-range limit, unknown filter)."""


class TrustError(MesoError, ValueError):
    """A bundle or signature is refused (bad signature, unknown key, replay, expired, tampered)."""
