"""Supplier keys: generation, file permissions, the public-key line and fingerprints."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from meso_formulary.catalogue.publishing.keys import (
    PublicKey,
    generate_keypair,
    group_fingerprint,
    load_private_key,
    load_public_key,
    normalise_fingerprint,
    parse_public_key,
    public_key_of,
)
from meso_formulary.errors import InvalidInput, MesoError, UnreadableInput


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
    with pytest.raises(UnreadableInput, match="too large"):
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
    with pytest.raises(UnreadableInput, match="password"):
        load_private_key(locked)
    junk = tmp_path / "junk.key"
    junk.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
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
