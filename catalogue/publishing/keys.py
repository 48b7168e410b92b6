"""Supplier signing keys: Ed25519 key pairs, the public-key text format and fingerprints.

A supplier keeps a private key (PEM, PKCS#8, readable by its owner only) and hands out the
public key as one line of text that also names the supplier::

    meso-ed25519:acme:Hq0Vw0S1C1bFvtYbL0bD5Pz9m1lV7KxQ2Jf4c6dYbqE=

The supplier id travels with the key so that a practitioner cannot pin acme's key under
bravo's name by mistake. The fingerprint (SHA-256 of the 32 raw key bytes, grouped hex) is
what the practitioner reads out to the supplier on the phone before trusting the key.

Keys and signatures are checked strictly (:func:`point_weakness`): a public key that is a
point of small order, or any non-canonical encoding, is refused when pinned and never
verifies anything, and so is a signature whose ``S`` is not reduced or whose ``R`` is of
small order. The ``cryptography`` package alone accepts them: with the identity as public
key, ``01 00..00 || 00..00`` is a valid signature of every message.

A private key file is read only when it is a regular file (never a FIFO or a device, which
could hang the read), only its owner may read or write it (as ssh demands), and
:func:`generate_keypair` writes it atomically, so an interrupted run leaves no empty or
partial key behind.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import shlex
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from meso_formulary.errors import InvalidInput, MesoError, TrustError, UnreadableInput
from meso_formulary.files import read_bytes
from meso_formulary.identifiers import SLUG_RE

KEY_PREFIX = "meso-ed25519"
"""First field of a public key line: the algorithm and the format."""

MAX_KEY_FILE_BYTES = 4096
"""Largest public or private key file read; real ones are under 200 bytes."""

RAW_KEY_BYTES = 32

_P = 2**255 - 19
"""The field prime of Curve25519."""
_D = -121665 * pow(121666, -1, _P) % _P
"""The constant d of the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 (RFC 8032, 5.1)."""
_L = 2**252 + 27742317777372353535851937790883648493
"""The order of the base point; a signature's S must be below it (RFC 8032, 5.1.7)."""

SMALL_ORDER_POINTS: frozenset[bytes] = frozenset(
    bytes.fromhex(encoding)
    for encoding in (
        # y = 0: the two points of order 4 (x = +-sqrt(-1))
        "0000000000000000000000000000000000000000000000000000000000000000",
        # y = 1: the identity (order 1)
        "0100000000000000000000000000000000000000000000000000000000000000",
        # the two y of the four points of order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        # y = p - 1: the point of order 2
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        # y = p and y = p + 1: non-canonical encodings of y = 0 and of the identity
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    )
)
"""The 32-byte encodings of the eight points of small order (the torsion subgroup), sign bit
cleared: libsodium's blocklist (``ge25519_has_small_order`` in
``src/libsodium/crypto_core/ed25519/ref10/ref10.c``). With the sign bit either way these are
all 14 encodings of a small-order point, canonical or not (RFC 8032, 5.1.3 decoding)."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A supplier's Ed25519 public key: who it belongs to and its 32 raw bytes."""

    supplier: str
    raw: bytes

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the raw key as 64 lowercase hex digits (the stored form)."""
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def grouped_fingerprint(self) -> str:
        """The fingerprint in groups of four hex digits, for reading aloud."""
        return group_fingerprint(self.fingerprint)

    def text(self) -> str:
        """The one-line form ``meso-ed25519:<supplier>:<base64>``."""
        return f"{KEY_PREFIX}:{self.supplier}:{base64.b64encode(self.raw).decode('ascii')}"

    def verifies(self, signature: bytes, data: bytes) -> bool:
        """True when ``signature`` is this key's Ed25519 signature over ``data``.

        Strict: a weak key (:func:`point_weakness`) verifies nothing, and a signature must be
        canonical (``S`` below the group order, ``R`` a canonical point of large order).
        """
        if len(signature) != 64 or point_weakness(self.raw) is not None:
            return False
        if int.from_bytes(signature[32:], "little") >= _L or point_weakness(signature[:32]):
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class KeyFiles:
    """Where :func:`generate_keypair` wrote the key pair, and the public key."""

    private_path: Path
    public_path: Path
    public_key: PublicKey


def point_weakness(encoded: bytes) -> str | None:
    """Why the 32-byte Ed25519 point ``encoded`` must not be a key (or a signature's R), or None.

    Refused: the small-order points in any encoding (:data:`SMALL_ORDER_POINTS`), since
    with such a key a signature made without any private key verifies; a ``y`` at or above
    the field prime (a non-canonical encoding); a ``y`` for which no ``x`` exists.
    """
    if len(encoded) != RAW_KEY_BYTES:
        return f"it has {len(encoded)} bytes, an Ed25519 key has 32"
    y_bytes = encoded[:31] + bytes([encoded[31] & 0x7F])
    if y_bytes in SMALL_ORDER_POINTS:
        return "it is a small-order key: any signature would verify"
    y = int.from_bytes(y_bytes, "little")
    if y >= _P:
        return "it is a non-canonical encoding (y >= p)"
    x2 = (y * y - 1) * pow(_D * y * y + 1, -1, _P) % _P
    if x2 and pow(x2, (_P - 1) // 2, _P) != 1:
        return "it is not a point of the curve"
    return None


def check_public_key(key: PublicKey) -> PublicKey:
    """Return ``key`` if it may be pinned, else raise :class:`TrustError` saying why."""
    reason = point_weakness(key.raw)
    if reason is not None:
        raise TrustError(
            f"the key of supplier {key.supplier!r} is refused: {reason}",
            hint="this is not a key `meso keygen` makes; ask the supplier for its real public key",
        )
    return key


def group_fingerprint(fingerprint: str) -> str:
    """``"ab12cd34..."`` as ``"ab12 cd34 ..."``."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def normalise_fingerprint(text: str) -> str:
    """A fingerprint typed by a person (spaces, colons, upper case) as 64 lowercase hex digits."""
    digits = "".join(c for c in text.casefold() if c not in " :-\t")
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise InvalidInput(
            f"{text!r} is not a key fingerprint (64 hex digits, as `meso trust list` shows)"
        )
    return digits


def check_supplier_id(supplier: str) -> str:
    """Return ``supplier`` if it is a supplier id (a lowercase ASCII slug), else raise."""
    if not SLUG_RE.match(supplier):
        raise InvalidInput(
            f"{supplier!r} is not a supplier id (lowercase letters, digits, '-' and '_')"
        )
    return supplier


def parse_public_key(text: str) -> PublicKey:
    """Read a public key line; lines starting with ``#`` and blank lines are ignored."""
    lines = [line.strip() for line in text.splitlines()]
    keys = [line for line in lines if line and not line.startswith("#")]
    if len(keys) != 1:
        raise InvalidInput(
            f"expected one public key line, found {len(keys)}",
            hint=f"a public key reads {KEY_PREFIX}:<supplier>:<base64>",
        )
    parts = keys[0].split(":")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise InvalidInput(
            "not a meso-formulary public key",
            hint=f"a public key reads {KEY_PREFIX}:<supplier>:<base64>",
        )
    supplier = check_supplier_id(parts[1])
    try:
        raw = base64.b64decode(parts[2], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"the key of supplier {supplier!r} is not valid base64") from exc
    if len(raw) != RAW_KEY_BYTES:
        raise InvalidInput(
            f"the key of supplier {supplier!r} has {len(raw)} bytes, an Ed25519 key has 32"
        )
    return check_public_key(PublicKey(supplier, raw))


def load_public_key(path_or_text: str) -> PublicKey:
    """A public key from a file path, or from the key line itself."""
    if path_or_text.startswith(f"{KEY_PREFIX}:"):
        return parse_public_key(path_or_text)
    data = _read_small(Path(path_or_text))
    if b"PRIVATE KEY-----" in data:
        raise InvalidInput(
            f"{path_or_text} is a private key, not a public key",
            hint="pin the supplier's public key (SUPPLIER.pub); a private key never leaves "
            "its supplier",
        )
    return parse_public_key(data.decode("utf-8", "replace"))


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM (PKCS#8) file written by :func:`generate_keypair`.

    Refused: anything but a regular file (never opened), and a file that others may read or
    write (``UNPROTECTED PRIVATE KEY FILE``, as ssh says). An empty file, which an
    interrupted key generation of an older meso could leave, is refused as such.
    """
    data = _read_small(path)
    if f"\n{KEY_PREFIX}:".encode() in b"\n" + data.lstrip():
        raise UnreadableInput(
            f"{path} is a public key; signing needs the private key",
            hint="give the SUPPLIER.key file that `meso keygen` wrote next to it",
        )
    _check_private_file(path)
    if not data.strip():
        raise UnreadableInput(
            f"{path}: the private key file is empty (left by an interrupted `meso keygen`?)",
            hint="if you have no other copy of this key, make a new pair with `meso keygen "
            "SUPPLIER --force` and give practitioners the new public key",
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:  # the key is encrypted
        raise UnreadableInput(
            f"{path}: the private key is protected by a password, which meso does not support"
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise UnreadableInput(f"{path}: not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise UnreadableInput(f"{path}: not an Ed25519 key (use `meso keygen`)")
    return key


def public_key_of(supplier: str, private_key: Ed25519PrivateKey) -> PublicKey:
    """The :class:`PublicKey` of ``private_key``, labelled with ``supplier``."""
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return PublicKey(check_supplier_id(supplier), raw)


def generate_keypair(supplier: str, directory: Path, *, force: bool = False) -> KeyFiles:
    """Write ``<supplier>.key`` (private, mode 0600) and ``<supplier>.pub`` into ``directory``.

    Existing files are refused unless ``force``: overwriting a private key loses it for good,
    and every practitioner who pinned its public key would have to pin a new one.
    """
    check_supplier_id(supplier)
    private_path = directory / f"{supplier}.key"
    public_path = directory / f"{supplier}.pub"
    if not force:
        for path in (private_path, public_path):
            if path.exists() or path.is_symlink():
                empty = path.is_file() and path.stat().st_size == 0
                raise InvalidInput(
                    f"{path} already exists"
                    + (" and is empty (left by an interrupted key generation)" if empty else ""),
                    hint="pass --force to replace the key pair",
                )
    private_key = Ed25519PrivateKey.generate()
    public_key = public_key_of(supplier, private_key)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_text = (
        f"# meso-formulary public key of supplier {supplier}\n"
        f"# fingerprint (SHA-256): {public_key.grouped_fingerprint}\n"
        f"{public_key.text()}\n"
    )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _install_files(((private_path, pem, 0o600), (public_path, public_text.encode(), 0o644)))
    except OSError as exc:
        raise MesoError(
            f"cannot write the key pair into {directory}: {exc.strerror or exc}",
            hint="no partial key was left behind; free some space or choose another folder, then "
            "retry",
        ) from exc
    return KeyFiles(private_path, public_path, public_key)


def _install_files(files: tuple[tuple[Path, bytes, int], ...]) -> None:
    """Put every ``(path, data, mode)`` in place atomically, or none of them.

    Each file is written in full to a temporary file in its own folder (created ``0600``,
    then given ``mode``), flushed to disk, and only then renamed over ``path``: a full disk
    or a crash leaves the previous files (or none), never an empty or partial key. A
    rename replaces a planted symlink itself and never writes through it.
    """
    staged: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for path, data, mode in files:
            staged.append((_stage(path, data, mode), path))
        for temporary, path in staged:
            os.replace(temporary, path)
            placed.append(path)
        _sync_folder(files[0][0].parent)
    except BaseException:
        for path in placed:  # a half-installed pair would block the retry
            path.unlink(missing_ok=True)
        raise
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


def _stage(path: Path, data: bytes, mode: int) -> Path:
    """``data`` in a new temporary file next to ``path``, flushed, with ``mode``."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)  # mkstemp creates it 0600 and O_EXCL: never readable by others
    try:
        try:
            _write_all(handle, data)
            os.fsync(handle)
        finally:
            os.close(handle)
        os.chmod(temporary, mode)  # the umask may have removed bits the public key needs
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _write_all(handle: int, data: bytes) -> None:
    """Write every byte of ``data`` to the file descriptor ``handle``."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


def _sync_folder(folder: Path) -> None:
    """Flush ``folder``'s entries (the renames) to disk, where the system allows it."""
    if os.name == "nt":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _check_private_file(path: Path) -> None:
    """Refuse a private key file its owner does not keep to itself (mode bits, as ssh)."""
    try:
        info = path.stat()
    except OSError:
        return  # reading it says why
    if os.name == "nt" or not stat.S_ISREG(info.st_mode):
        return
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise InvalidInput(
            f"UNPROTECTED PRIVATE KEY FILE: {path} has mode {mode:04o}, so others may "
            "read or change it; meso signs only with a key its owner alone can use",
            hint=f"chmod 600 {shlex.quote(str(path))}",
        )


def _read_small(path: Path) -> bytes:
    """The bytes of a key file: a regular file (never opened otherwise: a FIFO would hang the
    read), at most :data:`MAX_KEY_FILE_BYTES` of it."""
    try:
        return read_bytes(path, max_bytes=MAX_KEY_FILE_BYTES)
    except UnreadableInput as exc:
        reason = exc.problems[0].message if exc.problems else str(exc)
        raise UnreadableInput(f"cannot read {path}: {reason}") from None


__all__ = [
    "KEY_PREFIX",
    "SMALL_ORDER_POINTS",
    "KeyFiles",
    "PublicKey",
    "check_public_key",
    "check_supplier_id",
    "generate_keypair",
    "group_fingerprint",
    "load_private_key",
    "load_public_key",
    "normalise_fingerprint",
    "parse_public_key",
    "point_weakness",
    "public_key_of",
]
