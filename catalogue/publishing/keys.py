"""Supplier signing keys: Ed25519 key pairs, the public-key text format and fingerprints.

A supplier keeps a private key (PEM, PKCS#8, readable by its owner only) and hands out the
public key as one line of text that also names the supplier::

    meso-ed25519:acme:Hq0Vw0S1C1bFvtYbL0bD5Pz9m1lV7KxQ2Jf4c6dYbqE=

The supplier id travels with the key so that a practitioner cannot pin acme's key under
bravo's name by mistake. The fingerprint (SHA-256 of the 32 raw key bytes, grouped hex) is
what the practitioner reads out to the supplier on the phone before trusting the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from meso_formulary.errors import InvalidInput, MesoError, UnreadableInput
from meso_formulary.identifiers import SLUG_RE

KEY_PREFIX = "meso-ed25519"
"""First field of a public key line: the algorithm and the format."""

MAX_KEY_FILE_BYTES = 4096
"""Largest public or private key file read; real ones are under 200 bytes."""

RAW_KEY_BYTES = 32


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
        """True when ``signature`` is this key's Ed25519 signature over ``data``."""
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
    return PublicKey(supplier, raw)


def load_public_key(path_or_text: str) -> PublicKey:
    """A public key from a file path, or from the key line itself."""
    if path_or_text.startswith(f"{KEY_PREFIX}:"):
        return parse_public_key(path_or_text)
    return parse_public_key(_read_small(Path(path_or_text)).decode("utf-8", "replace"))


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM (PKCS#8) file written by :func:`generate_keypair`."""
    data = _read_small(path)
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
                raise InvalidInput(
                    f"{path} already exists", hint="pass --force to replace the key pair"
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
        _write_new(private_path, pem, mode=0o600)
        _write_new(public_path, public_text.encode("ascii"), mode=0o644)
    except OSError as exc:
        raise MesoError(f"cannot write the key pair into {directory}: {exc}") from exc
    return KeyFiles(private_path, public_path, public_key)


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` to a fresh file created with ``mode``, never through a symlink.

    The private key must never exist, even for a moment, with wider permissions: the file is
    created with ``mode`` (``O_EXCL``) rather than written and then restricted.
    """
    if path.is_symlink() or path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, mode)  # the umask may have removed bits the public key needs


def _read_small(path: Path) -> bytes:
    """The bytes of a key file, refusing anything larger than a key file can be."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise UnreadableInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_KEY_FILE_BYTES:
        raise UnreadableInput(f"{path} is too large to be a key file")
    return data


__all__ = [
    "KEY_PREFIX",
    "KeyFiles",
    "PublicKey",
    "check_supplier_id",
    "generate_keypair",
    "group_fingerprint",
    "load_private_key",
    "load_public_key",
    "normalise_fingerprint",
    "parse_public_key",
    "public_key_of",
]
