"""The bundle container: one zip file holding a catalogue, its manifest and the signature.

A bundle holds exactly three members::

    MANIFEST.json    format, supplier, catalogue version, created, expires, files (sha256 + size)
    MANIFEST.sig     the 64-byte Ed25519 signature over the raw bytes of MANIFEST.json
    catalogue.yaml   the supplier's catalogue file, byte for byte (or .json / .csv)

This module knows the format and how to read a zip that may be hostile; it trusts nothing
it reads. Deciding whether a bundle is genuine is the job of
:mod:`meso_formulary.catalogue.publishing.verify`. Writes are deterministic (fixed
timestamps and permissions, fixed member order), so the same inputs always give the same
bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Annotated, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from meso_formulary.errors import MesoError, TrustError, UnreadableInput
from meso_formulary.files import FORMATS, MAX_BYTES
from meso_formulary.files import parse_catalogue as parse_catalogue_bytes
from meso_formulary.model import CatalogueFile
from meso_formulary.types import Slug

BUNDLE_FORMAT: Final = "meso-bundle/1"
MANIFEST_NAME = "MANIFEST.json"
SIGNATURE_NAME = "MANIFEST.sig"
SIGNATURE_BYTES = 64

CATALOGUE_NAMES = ("catalogue.yaml", "catalogue.yml", "catalogue.json", "catalogue.csv")
"""The names a catalogue may have inside a bundle; the suffix tells the reader its format."""

MAX_MANIFEST_BYTES = 64 * 1024
"""A manifest lists one file: a few hundred bytes. Anything near this limit is hostile."""

MAX_MEMBER_BYTES = MAX_BYTES
"""Largest catalogue accepted in a bundle: the same limit as a catalogue file on disk."""

MAX_BUNDLE_BYTES = MAX_MEMBER_BYTES + MAX_MANIFEST_BYTES + 64 * 1024
"""Largest bundle file opened at all (checked before the zip directory is read)."""

MAX_ENTRIES = 8
"""Members a zip may hold before anything else is looked at. A bundle holds three; a few
more are let through to the file-set check, which names the unlisted ones."""

MAX_CATALOGUE_VERSION: Final = 999_999_999_999
"""The highest catalogue version published or imported: twelve digits, room for a version
that spells the date and time (``202606011200``) for ever. A larger version (2^53, 2^63-1)
is refused by ``meso publish`` and by every import, signed or not, so a version that leaves
the supplier no higher number to publish next never gets into a catalogue."""

MAX_VALIDITY_DAYS: Final = 5 * 366
"""The longest a bundle may be valid (``expires - created``): about five years. A longer
validity would make a leaked key's old catalogues replayable for as long; suppliers
republish well before then."""

EARLIEST_CREATED: Final = datetime(2020, 1, 1, tzinfo=UTC)
"""No bundle was signed before this date (the format is younger): an earlier ``created``
is refused, as is one more than :data:`CLOCK_SKEW` in the future (when the bundle is
verified, against the verifier's clock)."""

CLOCK_SKEW: Final = timedelta(minutes=5)
"""How far in the future a manifest's ``created`` may be (the signer's clock may run fast)."""


def bounds_problem(
    version: int, created: datetime | None = None, expires: datetime | None = None
) -> str | None:
    """Why a catalogue ``version`` or a bundle's validity window is out of bounds, or ``None``.

    The one definition of the bounds: ``meso publish`` refuses to sign outside them, every
    manifest is checked against them when parsed (:class:`Manifest`), and a plain draft's
    version too (:mod:`.importing`).
    """
    if not 1 <= version <= MAX_CATALOGUE_VERSION:
        return (
            f"catalogue version {version} is out of bounds (1 to {MAX_CATALOGUE_VERSION:,}; "
            "a larger version would leave no higher one to publish next)"
        )
    if created is not None and created < EARLIEST_CREATED:
        return (
            f"created {created:%Y-%m-%d} is before {EARLIEST_CREATED:%Y-%m-%d}, "
            "when no bundle could be signed"
        )
    if (
        created is not None
        and expires is not None
        and expires - created > timedelta(days=MAX_VALIDITY_DAYS)
    ):
        return (
            f"expires {expires:%Y-%m-%d} is more than {MAX_VALIDITY_DAYS} days "
            f"after created {created:%Y-%m-%d} (a bundle is valid about five years at most)"
        )
    return None


_CHUNK = 64 * 1024
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_MEMBER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}(?:\.[A-Za-z0-9]{1,8})?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


# ---------------------------------------------------------------- the manifest


class FileEntry(BaseModel):
    """One file of a bundle: its name, SHA-256 and size in bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: Annotated[str, Field(pattern=_MEMBER_NAME.pattern)]
    sha256: Annotated[str, Field(pattern=_SHA256.pattern)]
    size: Annotated[int, Field(ge=0, le=MAX_MEMBER_BYTES)]


class Manifest(BaseModel):
    """What a supplier signs: who, which catalogue version, valid when, and which bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    format: Literal["meso-bundle/1"] = BUNDLE_FORMAT
    supplier: Slug
    catalogue_version: Annotated[int, Field(ge=1, le=2**53)]
    created: AwareDatetime
    expires: AwareDatetime
    files: Annotated[tuple[FileEntry, ...], Field(min_length=1, max_length=1)]

    @field_validator("created", "expires")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        try:
            return value.astimezone(UTC)
        except OverflowError:  # year 1 at +01:00, year 9999 at -01:00
            raise ValueError("the date is out of range") from None

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        if self.expires <= self.created:
            raise ValueError("expires is not after created")
        if self.files[0].name not in CATALOGUE_NAMES:
            raise ValueError(f"the listed file must be one of {', '.join(CATALOGUE_NAMES)}")
        problem = bounds_problem(self.catalogue_version, self.created, self.expires)
        if problem is not None:
            raise ValueError(problem)
        return self

    @property
    def catalogue(self) -> FileEntry:
        """The catalogue file the manifest lists."""
        return self.files[0]

    def to_bytes(self) -> bytes:
        """The manifest as signed: sorted keys, two-space indent, UTF-8, final newline."""
        data = self.model_dump(mode="json")
        return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        """Parse signed manifest bytes; anything but a well-formed manifest is a TrustError."""
        try:
            _check_json(raw)
            return cls.model_validate_json(raw)
        except (ValueError, RecursionError) as exc:
            raise TrustError(f"{MANIFEST_NAME} is not a valid manifest: {_reason(exc)}") from exc


def _check_json(raw: bytes) -> None:
    """Refuse what pydantic's JSON parser would accept quietly: duplicate keys, NaN, non-UTF-8."""

    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
        return dict(pairs)

    def no_constant(name: str) -> object:
        raise ValueError(f"{name} is not a JSON number")

    json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constant)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:200]


def peek_supplier(raw: bytes) -> str | None:
    """The supplier an *unverified* manifest claims, for error messages only, or ``None``.

    Never use the answer for a decision: nothing about these bytes is trusted yet.
    """
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    supplier = data.get("supplier") if isinstance(data, dict) else None
    if isinstance(supplier, str) and re.fullmatch(r"[a-z0-9_-]{1,64}", supplier):
        return supplier
    return None


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def catalogue_member_name(source: Path) -> str:
    """The name a catalogue file gets inside a bundle: ``catalogue`` plus its suffix."""
    name = "catalogue" + source.suffix.lower()
    if name not in CATALOGUE_NAMES:
        raise UnreadableInput(
            f"{source}: cannot tell the catalogue's format from its name",
            hint="a catalogue file ends in .yaml, .yml, .json or .csv",
        )
    return name


def parse_catalogue(raw: bytes, member: str, filename: str) -> CatalogueFile:
    """Validate the bytes of catalogue ``member`` (its suffix gives the format).

    ``filename`` names the bytes in problems (``bundle.zip:catalogue.yaml``). Publishing
    and verifying parse the very bytes they hash, never the file a second time.
    """
    return parse_catalogue_bytes(raw, filename, FORMATS["." + member.rsplit(".", 1)[1]])


# ---------------------------------------------------------------- writing


def write_bundle(
    path: Path, *, manifest: bytes, signature: bytes, files: Mapping[str, bytes], force: bool
) -> None:
    """Write a bundle atomically: a temporary file in the same folder, then a rename.

    An existing ``path`` is refused unless ``force``; a symlink at ``path`` is replaced, never
    written through.
    """
    if not force and (path.exists() or path.is_symlink()):
        raise MesoError(f"{path} already exists", hint="pass --force to replace it")
    members = {MANIFEST_NAME: manifest, SIGNATURE_NAME: signature, **files}
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".bundle-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                _write_zip(handle, members)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, 0o644)
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise MesoError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _write_zip(handle: IO[bytes], members: Mapping[str, bytes]) -> None:
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data, compresslevel=9)


# ---------------------------------------------------------------- reading


class BundleReader:
    """Read members of a zip that may be hostile, with limits checked before any byte is used.

    Opening refuses: files too large to be a bundle, anything that is not a zip, more than
    :data:`MAX_ENTRIES` members, names that are not plain file names (no folders, ``..``,
    separators, NUL tricks), duplicate names, symlinks and other special files, encrypted
    members, unknown compression methods and declared sizes above the limit. Reading a member
    refuses one that declares more than the caller allows (see :meth:`read`).
    """

    def __init__(self, archive: zipfile.ZipFile, label: str) -> None:
        self._archive = archive
        self._label = label
        self._infos = {info.filename: info for info in archive.infolist()}

    @property
    def names(self) -> frozenset[str]:
        """The names of every member."""
        return frozenset(self._infos)

    def declared_size(self, name: str) -> int | None:
        """The size member ``name`` declares in the zip directory (``None``: no such member)."""
        info = self._infos.get(name)
        return None if info is None else info.file_size

    def read(self, name: str, *, limit: int) -> bytes:
        """The bytes of member ``name``, which may declare at most ``limit`` bytes.

        The declared size is checked before a byte is inflated. :mod:`zipfile` then stops
        inflating at the declared size and checks the CRC-32, so a member whose data holds
        more (or other) bytes than it declares fails as corrupt instead of filling memory.
        """
        info = self._infos.get(name)
        if info is None:
            raise TrustError(f"{self._label}: {name} is missing")
        if info.file_size > limit:
            raise TrustError(
                f"{self._label}: {name} declares {info.file_size:,} bytes, "
                f"more than the {limit:,} allowed"
            )
        chunks: list[bytes] = []
        try:
            with self._archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise UnreadableInput(f"{self._label}: {name} is corrupt ({exc})") from exc
        return b"".join(chunks)


@contextmanager
def open_bundle(path: Path) -> Iterator[BundleReader]:
    """Open ``path`` as a bundle after checking its size and every member's header."""
    label = str(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise UnreadableInput(f"cannot read {label}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableInput(f"{label} is not a regular file")
    if info.st_size > MAX_BUNDLE_BYTES:
        raise TrustError(
            f"{label} has {info.st_size:,} bytes, more than a bundle may ({MAX_BUNDLE_BYTES:,})"
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise UnreadableInput(f"{label} is not a readable bundle (a zip file): {exc}") from exc
    with archive:
        _check_members(archive.infolist(), label)
        yield BundleReader(archive, label)


def _check_members(infos: list[zipfile.ZipInfo], label: str) -> None:
    if len(infos) > MAX_ENTRIES:
        raise TrustError(f"{label} holds {len(infos)} members; a bundle holds three")
    seen: set[str] = set()
    for info in infos:
        name = info.orig_filename
        if name != info.filename or not _MEMBER_NAME.match(name):
            raise TrustError(f"{label}: member {name[:80]!r} is not a plain file name")
        if name in seen:
            raise TrustError(f"{label}: member {name!r} appears twice")
        seen.add(name)
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind not in (0, stat.S_IFREG):
            raise TrustError(f"{label}: member {name!r} is not a regular file (a link?)")
        if info.flag_bits & 0x1:
            raise TrustError(f"{label}: member {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise TrustError(f"{label}: member {name!r} uses an unsupported compression method")
        if info.file_size > MAX_MEMBER_BYTES:
            raise TrustError(
                f"{label}: member {name!r} declares {info.file_size:,} bytes, "
                f"more than the {MAX_MEMBER_BYTES:,} allowed"
            )


def is_bundle(path: Path) -> bool:
    """True when ``path`` looks like a bundle (a zip file) rather than a catalogue file.

    Only a regular file is opened to look at its first bytes, and without blocking: a FIFO
    or a device is not a bundle (reading it as a catalogue then refuses it, as
    ``meso validate`` does), and opening a FIFO for reading would wait for a writer.
    """
    if path.suffix.lower() == ".zip":
        return True
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.read(fd, 4) in (
            b"PK\x03\x04",
            b"PK\x05\x06",
        )
    except OSError:
        return False
    finally:
        os.close(fd)


def now_utc() -> datetime:
    """The current time in UTC, to the second (the precision of a manifest)."""
    return datetime.now(UTC).replace(microsecond=0)
