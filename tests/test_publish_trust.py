"""The trust store kept inside a catalogue file."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from publish_support import make_catalogue, make_signer

from meso_formulary.catalogue.publishing.keys import PublicKey
from meso_formulary.catalogue.publishing.trust import TrustStore, catalogue_trust
from meso_formulary.catalogue.store.catalogue_store import Catalogue
from meso_formulary.errors import CatalogueError, InvalidInput, NotFound, TrustError


def test_keys_are_kept_in_the_catalogue_file(tmp_path: Path) -> None:
    acme = make_signer(tmp_path / "keys", "acme")
    with Catalogue.open(tmp_path / "c.db") as catalogue:
        trust = catalogue_trust(catalogue)
        assert trust.pinned() == ()
        assert trust.add(acme.public) is True
        assert trust.add(acme.public) is False
    with Catalogue.open(tmp_path / "c.db", readonly=True) as catalogue:
        (pinned,) = catalogue_trust(catalogue).pinned("acme")
    assert pinned.key == acme.public and pinned.supplier == "acme"
    assert pinned.added_at.startswith("20")


def test_keys_are_listed_by_supplier(tmp_path: Path) -> None:
    signers = [
        make_signer(tmp_path / name, supplier)
        for name, supplier in (("1", "bravo"), ("2", "acme"), ("3", "acme"))
    ]
    with Catalogue.memory() as catalogue:
        trust = catalogue_trust(catalogue)
        for signer in signers:
            trust.add(signer.public)
        assert [p.supplier for p in trust.pinned()] == ["acme", "acme", "bravo"]
        assert {p.key for p in trust.pinned("acme")} == {signers[1].public, signers[2].public}
        assert trust.pinned("nobody") == ()


def test_remove_one_key_or_all_of_a_suppliers_keys(tmp_path: Path) -> None:
    first = make_signer(tmp_path / "1", "acme")
    second = make_signer(tmp_path / "2", "acme")
    with Catalogue.memory() as catalogue:
        trust = catalogue_trust(catalogue)
        trust.add(first.public)
        trust.add(second.public)
        removed = trust.remove("acme", first.public.grouped_fingerprint.upper())
        assert [p.key for p in removed] == [first.public]
        assert [p.key for p in trust.pinned()] == [second.public]
        trust.add(first.public)
        assert len(trust.remove("acme")) == 2
        assert trust.pinned() == ()
        with pytest.raises(NotFound, match="no key is pinned for supplier 'acme'"):
            trust.remove("acme")
        with pytest.raises(InvalidInput, match="not a supplier id"):
            trust.remove("ACME")


def test_a_read_only_catalogue_cannot_change_its_trust(tmp_path: Path) -> None:
    acme = make_signer(tmp_path / "keys", "acme")
    Catalogue.open(tmp_path / "c.db").close()
    with Catalogue.open(tmp_path / "c.db", readonly=True) as catalogue:
        with pytest.raises(CatalogueError, match="readonly database"):
            catalogue_trust(catalogue).add(acme.public)
        assert catalogue_trust(catalogue).pinned() == ()


def test_a_new_catalogue_has_the_trust_table_and_the_sticky_trigger(tmp_path: Path) -> None:
    acme = make_signer(tmp_path / "keys", "acme")
    with Catalogue.memory() as catalogue:
        names = {
            row[0]: row[1]
            for row in catalogue.conn.execute(
                "SELECT name, type FROM sqlite_master "
                "WHERE name IN ('trusted_keys', 'suppliers_verified_is_sticky')"
            )
        }
        assert names == {"trusted_keys": "table", "suppliers_verified_is_sticky": "trigger"}
        catalogue.import_catalogue(
            make_catalogue(), signed_by=acme.public.fingerprint, verified=True
        )
        with pytest.raises(sqlite3.IntegrityError, match="cannot be replaced by an unsigned"):
            catalogue.conn.execute("UPDATE suppliers SET verified = 0 WHERE id = 'acme'")
        row = catalogue.conn.execute("SELECT verified, signed_by FROM suppliers").fetchone()
        assert row == (1, acme.public.fingerprint)


def test_the_table_refuses_rows_no_key_could_make(tmp_path: Path) -> None:
    with Catalogue.memory() as catalogue:
        for row in (
            ("Acme", "0" * 64, b"k" * 32),
            ("acme", "0" * 63, b"k" * 32),
            ("acme", "G" * 64, b"k" * 32),
            ("acme", "0" * 64, b"k" * 31),
        ):
            with pytest.raises(sqlite3.IntegrityError):
                catalogue.conn.execute("INSERT INTO trusted_keys VALUES (?, ?, ?, 'now')", row)


def test_a_weak_key_cannot_be_pinned_through_the_api() -> None:
    identity = PublicKey("acme", bytes([1]) + bytes(31))
    with (
        closing(sqlite3.connect(":memory:")) as conn,  # refused before the store is read
        pytest.raises(TrustError, match="small-order key: any signature would verify"),
    ):
        TrustStore(conn, ":memory:").add(identity)


def _plant(catalogue: Catalogue, key: PublicKey, fingerprint: str) -> None:
    """A row written by other hands: ``key`` stored under ``fingerprint``."""
    catalogue.conn.execute(
        "INSERT INTO trusted_keys VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
        (key.supplier, fingerprint, key.raw),
    )
    catalogue.conn.commit()


def test_remove_deletes_the_row_it_found_even_under_another_fingerprint(tmp_path: Path) -> None:
    acme = make_signer(tmp_path / "keys", "acme")
    stored = "0" * 64  # not the key's SHA-256: the row's primary key says otherwise
    with Catalogue.memory() as catalogue:
        trust = catalogue_trust(catalogue)
        for fingerprint in (acme.public.fingerprint, stored, None):
            _plant(catalogue, acme.public, stored)
            (pinned,) = trust.pinned("acme")
            assert pinned.row_fingerprint == stored != pinned.key.fingerprint
            assert trust.add(acme.public) is False  # already pinned, whatever the row says
            removed = trust.remove("acme", fingerprint)
            assert [p.key for p in removed] == [acme.public]
            assert trust.pinned() == ()
            assert catalogue.conn.execute("SELECT count(*) FROM trusted_keys").fetchone() == (0,)


def test_remove_fails_loudly_when_the_key_is_still_pinned_afterwards(tmp_path: Path) -> None:
    acme = make_signer(tmp_path / "keys", "acme")
    with Catalogue.memory() as catalogue:
        trust = catalogue_trust(catalogue)
        trust.add(acme.public)
        # something behind meso's back puts the key straight back (a temporary trigger here)
        catalogue.conn.execute(
            "CREATE TEMP TRIGGER put_back AFTER DELETE ON trusted_keys BEGIN "
            "INSERT INTO trusted_keys VALUES (old.supplier_id, '1' || substr(old.fingerprint, 2),"
            " old.public_key, old.added_at); END"
        )
        with pytest.raises(CatalogueError, match="still pinned after removing it"):
            trust.remove("acme", acme.public.fingerprint)
        assert [p.key for p in trust.pinned()] == [acme.public]


def test_no_key_can_be_pinned_for_the_reserved_reference_supplier() -> None:
    """The shipped data's supplier id is reserved: a key for it would let a file take it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from meso_formulary.catalogue.publishing.keys import public_key_of

    key = public_key_of("reference", Ed25519PrivateKey.generate())
    with closing(sqlite3.connect(":memory:")) as conn, pytest.raises(TrustError, match="reserved"):
        TrustStore(conn, ":memory:").add(key)
