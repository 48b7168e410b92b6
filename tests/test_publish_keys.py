"""Supplier keys: generation, file permissions, the public-key line and fingerprints."""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from meso_formulary.catalogue.publishing import keys as keys_module
from meso_formulary.catalogue.publishing.keys import (
    SMALL_ORDER_POINTS,
    PublicKey,
    check_public_key,
    generate_keypair,
    group_fingerprint,
    load_private_key,
    load_public_key,
    normalise_fingerprint,
    parse_public_key,
    point_weakness,
    public_key_of,
)
from meso_formulary.errors import InvalidInput, MesoError, TrustError, UnreadableInput


def test_keygen_writes_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    files = generate_keypair("acme", tmp_path / "keys")
    mode = stat.S_IMODE(files.private_path.stat().st_mode)
    assert mode == 0o600
    pem = files.private_path.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    key = load_private_key(files.private_path)
    assert public_key_of("acme", key) == files.public_key


def test_the_public_key_file_names_its_supplier_and_fingerprint(tmp_path: Path) -> None:
    files = generate_keypair("acme", tmp_path)
    text = files.public_path.read_text("ascii")
    assert files.public_key.grouped_fingerprint in text
    assert text.splitlines()[-1].startswith("meso-ed25519:acme:")
    assert load_public_key(str(files.public_path)) == files.public_key
    assert load_public_key(files.public_key.text()) == files.public_key


def test_the_fingerprint_is_the_sha256_of_the_raw_key(tmp_path: Path) -> None:
    files = generate_keypair("acme", tmp_path)
    raw = files.public_key.raw
    assert len(raw) == 32
    assert files.public_key.fingerprint == hashlib.sha256(raw).hexdigest()
    assert files.public_key.grouped_fingerprint.replace(" ", "") == files.public_key.fingerprint
    assert len(files.public_key.grouped_fingerprint.split()) == 16


def test_keygen_refuses_to_overwrite_a_key_without_force(tmp_path: Path) -> None:
    first = generate_keypair("acme", tmp_path)
    with pytest.raises(InvalidInput, match="already exists") as caught:
        generate_keypair("acme", tmp_path)
    assert caught.value.hint is not None and "--force" in caught.value.hint
    assert load_public_key(str(first.public_path)) == first.public_key
    second = generate_keypair("acme", tmp_path, force=True)
    assert second.public_key != first.public_key
    assert stat.S_IMODE(second.private_path.stat().st_mode) == 0o600


def test_keygen_never_writes_through_a_planted_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "acme.key").symlink_to(victim)
    with pytest.raises(InvalidInput, match="already exists"):
        generate_keypair("acme", tmp_path)
    generate_keypair("acme", tmp_path, force=True)
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "acme.key").is_symlink()


@pytest.mark.parametrize("supplier", ["Acme", "../acme", "acme/x", "", "аcme", "a" * 65])
def test_keygen_refuses_a_supplier_that_is_not_a_slug(tmp_path: Path, supplier: str) -> None:
    with pytest.raises(InvalidInput, match="not a supplier id"):
        generate_keypair(supplier, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_keygen_reports_an_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(MesoError, match="cannot write the key pair"):
        generate_keypair("acme", blocker / "keys")


def _line(supplier: str, raw: bytes) -> str:
    return f"meso-ed25519:{supplier}:{base64.b64encode(raw).decode()}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "found 0"),
        ("# only a comment\n", "found 0"),
        (_line("acme", b"k" * 32) + "\n" + _line("acme", b"j" * 32), "found 2"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA", "not a meso-formulary public key"),
        ("meso-ed25519:acme", "not a meso-formulary public key"),
        ("meso-rsa:acme:AAAA", "not a meso-formulary public key"),
        (_line("Acme", b"k" * 32), "not a supplier id"),
        ("meso-ed25519:acme:not base64!", "not valid base64"),
        (_line("acme", b"k" * 31), "has 31 bytes"),
        (_line("acme", b"k" * 33), "has 33 bytes"),
    ],
)
def test_malformed_public_keys_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_public_key(text)


def test_comments_and_blank_lines_around_the_key_are_ignored() -> None:
    raw = bytes(range(32))
    assert parse_public_key(f"# acme\n\n  {_line('acme', raw)}  \n") == PublicKey("acme", raw)


def test_a_huge_or_missing_key_file_is_unreadable(tmp_path: Path) -> None:
    big = tmp_path / "big.pub"
    big.write_bytes(b"#" * 10_000)
    with pytest.raises(UnreadableInput, match="larger than the 4,096 bytes"):
        load_public_key(str(big))
    with pytest.raises(UnreadableInput, match="cannot read"):
        load_public_key(str(tmp_path / "missing.pub"))


def test_private_keys_of_another_kind_or_with_a_password_are_refused(tmp_path: Path) -> None:
    ec_key = tmp_path / "ec.key"
    ec_key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ec_key.chmod(0o600)
    with pytest.raises(UnreadableInput, match="not an Ed25519 key"):
        load_private_key(ec_key)
    locked = tmp_path / "locked.key"
    locked.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    locked.chmod(0o600)
    with pytest.raises(UnreadableInput, match="password"):
        load_private_key(locked)
    junk = tmp_path / "junk.key"
    junk.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    junk.chmod(0o600)
    with pytest.raises(UnreadableInput, match="not a PEM private key"):
        load_private_key(junk)


def test_typed_fingerprints_are_normalised() -> None:
    fingerprint = hashlib.sha256(b"x").hexdigest()
    assert normalise_fingerprint(group_fingerprint(fingerprint).upper()) == fingerprint
    assert normalise_fingerprint(":".join(fingerprint[i : i + 2] for i in range(0, 64, 2))) == (
        fingerprint
    )
    for bad in ("abc", fingerprint[:-1] + "g", fingerprint + "0"):
        with pytest.raises(InvalidInput, match="not a key fingerprint"):
            normalise_fingerprint(bad)


def test_a_key_verifies_only_its_own_signatures() -> None:
    private = Ed25519PrivateKey.generate()
    key = public_key_of("acme", private)
    signature = private.sign(b"manifest")
    assert key.verifies(signature, b"manifest")
    assert not key.verifies(signature, b"manifest!")
    assert not public_key_of("acme", Ed25519PrivateKey.generate()).verifies(signature, b"manifest")
    assert not key.verifies(b"\0" * 64, b"manifest")


# ---------------------------------------------------------------- strict Ed25519

_P = 2**255 - 19
_D = -121665 * pow(121666, -1, _P) % _P
_L = 2**252 + 27742317777372353535851937790883648493
IDENTITY = bytes([1]) + bytes(31)
FORGED = IDENTITY + bytes(32)
"""With the identity as public key, R = identity and S = 0 satisfy [S]B = R + [k]A for every
message: a signature made without any private key."""


def _encodings_of_small_order_points() -> list[bytes]:
    """Every encoding (sign bit either way, canonical or not) of the blocklisted points."""
    return sorted(y[:31] + bytes([y[31] | sign]) for y in SMALL_ORDER_POINTS for sign in (0, 0x80))


def _decode(encoded: bytes) -> tuple[int, int]:
    """RFC 8032 5.1.3 decoding (non-canonical y reduced), for checking the blocklist."""
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    y %= _P
    x2 = (y * y - 1) * pow(_D * y * y + 1, -1, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    assert (x * x - x2) % _P == 0
    if x & 1 != encoded[31] >> 7:
        x = (_P - x) % _P
    return x, y


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = _D * x1 * x2 * y1 * y2 % _P
    return (
        (x1 * y2 + x2 * y1) * pow(1 + t, -1, _P) % _P,
        (y1 * y2 + x1 * x2) * pow(1 - t, -1, _P) % _P,
    )


def test_the_blocklist_holds_exactly_the_eight_points_of_small_order() -> None:
    points = set()
    for encoded in _encodings_of_small_order_points():
        point = _decode(encoded)
        multiple = point
        for _ in range(2):  # [8]P by doubling three times
            multiple = _add(multiple, multiple)
        assert _add(multiple, multiple) == (0, 1)  # the identity
        points.add(point)
    assert len(points) == 8  # the whole torsion subgroup


def test_cryptography_alone_accepts_the_forged_signature_of_the_identity() -> None:
    # the attack the strict checks stop: no private key, and still "valid"
    Ed25519PublicKey.from_public_bytes(IDENTITY).verify(FORGED, b"any manifest")
    assert not PublicKey("acme", IDENTITY).verifies(FORGED, b"any manifest")


@pytest.mark.parametrize("raw", _encodings_of_small_order_points(), ids=lambda raw: raw.hex()[:8])
def test_every_encoding_of_a_small_order_key_is_refused(raw: bytes) -> None:
    assert point_weakness(raw) == "it is a small-order key: any signature would verify"
    with pytest.raises(TrustError, match="small-order key: any signature would verify"):
        parse_public_key(_line("acme", raw))
    key = PublicKey("acme", raw)
    with pytest.raises(TrustError, match="small-order"):
        check_public_key(key)
    assert not key.verifies(FORGED, b"manifest")
    assert not key.verifies(raw + bytes(32), b"manifest")


@pytest.mark.parametrize("offset", [2, 5, 18])
def test_non_canonical_and_off_curve_keys_are_refused(offset: int) -> None:
    non_canonical = (_P + offset).to_bytes(32, "little")  # y >= p
    assert point_weakness(non_canonical) == "it is a non-canonical encoding (y >= p)"
    with pytest.raises(TrustError, match="non-canonical"):
        parse_public_key(_line("acme", non_canonical))
    off_curve = b"k" * 32  # no x exists for this y
    with pytest.raises(TrustError, match="not a point of the curve"):
        parse_public_key(_line("acme", off_curve))


def test_a_normal_key_passes_and_a_non_canonical_signature_is_refused() -> None:
    private = Ed25519PrivateKey.generate()
    key = public_key_of("acme", private)
    assert point_weakness(key.raw) is None
    assert parse_public_key(key.text()) == key
    signature = private.sign(b"manifest")
    assert key.verifies(signature, b"manifest")
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + _L).to_bytes(32, "little")  # same point, S >= L
    assert not key.verifies(malleated, b"manifest")
    assert not key.verifies(IDENTITY + signature[32:], b"manifest")  # R of small order


# ---------------------------------------------------------------- private key files


def test_a_private_key_others_may_read_or_write_is_refused(tmp_path: Path) -> None:
    files = generate_keypair("acme", tmp_path)
    for mode in (0o644, 0o640, 0o620, 0o604, 0o660):
        files.private_path.chmod(mode)
        with pytest.raises(InvalidInput, match="UNPROTECTED PRIVATE KEY FILE") as caught:
            load_private_key(files.private_path)
        assert caught.value.hint == f"chmod 600 {files.private_path}"
    for mode in (0o600, 0o400):
        files.private_path.chmod(mode)
        assert public_key_of("acme", load_private_key(files.private_path)) == files.public_key


def test_a_public_key_given_as_the_private_key_or_the_reverse_is_named(tmp_path: Path) -> None:
    files = generate_keypair("acme", tmp_path)
    with pytest.raises(UnreadableInput, match="is a public key"):
        load_private_key(files.public_path)
    with pytest.raises(InvalidInput, match="is a private key, not a public key"):
        load_public_key(str(files.private_path))


def _no_space(handle: int, data: bytes) -> None:
    os.write(handle, data[: len(data) // 2])  # a partial write, then the disk is full
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("failing", [1, 2])
def test_keygen_on_a_full_disk_leaves_nothing_and_a_retry_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    real = keys_module._write_all
    calls: list[int] = []

    def write(handle: int, data: bytes) -> None:
        calls.append(handle)
        (_no_space if len(calls) == failing else real)(handle, data)

    monkeypatch.setattr(keys_module, "_write_all", write)
    with pytest.raises(MesoError, match="No space left on device") as caught:
        generate_keypair("acme", tmp_path)
    assert caught.value.hint is not None and "no partial key" in caught.value.hint
    assert list(tmp_path.iterdir()) == []  # no key, no public key, no temporary file
    monkeypatch.setattr(keys_module, "_write_all", real)
    files = generate_keypair("acme", tmp_path)  # no --force needed
    assert public_key_of("acme", load_private_key(files.private_path)) == files.public_key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.key", "acme.pub"]


def test_a_leftover_empty_key_is_refused_not_used(tmp_path: Path) -> None:
    empty = tmp_path / "acme.key"
    empty.touch(mode=0o600)
    with pytest.raises(InvalidInput, match="already exists and is empty") as caught:
        generate_keypair("acme", tmp_path)
    assert caught.value.hint is not None and "--force" in caught.value.hint
    with pytest.raises(UnreadableInput, match="the private key file is empty"):
        load_private_key(empty)
    files = generate_keypair("acme", tmp_path, force=True)
    assert load_private_key(files.private_path)
