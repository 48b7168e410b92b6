"""Verified import: every refusal leaves the catalogue untouched; genuine bundles round-trip.

Each tampered bundle here is a real file: edited after signing, an extra file dropped in,
re-signed with another key, signed by one supplier claiming another's namespace, replayed,
expired. The catalogue's content is compared before and after every refusal.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from publish_support import (
    NOW,
    Signer,
    db_content,
    make_catalogue,
    make_signer,
    manifest_for,
    raw_zip,
    signed_zip,
    trusting,
    write_catalogue,
)
from strategies import catalogue_files

from meso_formulary.catalogue.publishing.bundle import MANIFEST_NAME, SIGNATURE_NAME
from meso_formulary.catalogue.publishing.importing import import_path
from meso_formulary.catalogue.publishing.keys import PublicKey
from meso_formulary.catalogue.publishing.signing import publish_catalogue
from meso_formulary.catalogue.publishing.trust import catalogue_trust
from meso_formulary.catalogue.publishing.verify import verify_bundle
from meso_formulary.catalogue.store.catalogue_store import Catalogue
from meso_formulary.catalogue.store.export import document
from meso_formulary.errors import (
    CatalogueError,
    InvalidInput,
    MesoError,
    TrustError,
    UnreadableInput,
)
from meso_formulary.files import dump_catalogue, read_catalogue
from meso_formulary.model import CatalogueFile


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def acme(keys: Path) -> Signer:
    return make_signer(keys, "acme")


@pytest.fixture
def bravo(keys: Path) -> Signer:
    return make_signer(keys, "bravo")


@pytest.fixture
def catalogue(acme: Signer, bravo: Signer) -> Iterator[Catalogue]:
    with Catalogue.memory() as catalogue:
        trusting(catalogue, acme, bravo)
        yield catalogue


def _publish(
    tmp_path: Path, signer: Signer, cat: CatalogueFile, *, days: int = 365, name: str = ""
) -> Path:
    source = write_catalogue(tmp_path, cat)
    output = tmp_path / (name or f"{cat.supplier.id}-{cat.version}.zip")
    publish_catalogue(
        source, key=signer.files.private_path, output=output, expires_days=days, now=NOW
    )
    return output


def _refused(
    catalogue: Catalogue, path: Path, match: str, error: type[MesoError] = TrustError
) -> None:
    """Importing ``path`` fails with ``error`` matching ``match``, and nothing changes."""
    before = db_content(catalogue)
    with pytest.raises(error, match=match):
        import_path(catalogue, path, now=NOW)
    assert db_content(catalogue) == before


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


# ---------------------------------------------------------------- accepted


def test_a_genuine_bundle_imports_as_its_verified_signer(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    report = import_path(catalogue, _publish(tmp_path, acme, make_catalogue()), now=NOW)
    assert report.supplier == "acme"
    assert set(report.added) == {"acme/hair-revive", "acme/bright-tone"}
    row = catalogue.conn.execute(
        "SELECT catalogue_version, signed_by, verified FROM suppliers WHERE id = 'acme'"
    ).fetchone()
    assert row == (1, acme.public.fingerprint, 1)


def test_publish_import_export_gives_back_the_original(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    original = make_catalogue(version=3)
    import_path(catalogue, _publish(tmp_path, acme, original), now=NOW)
    exported = catalogue.export("json", supplier="acme")
    (tmp_path / "exported.json").write_text(exported)
    assert read_catalogue(tmp_path / "exported.json") == original
    assert document(catalogue.conn, "acme") == original


def test_export_of_a_past_version_reproduces_it_exactly(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    first = make_catalogue(version=1, strength=30.0)
    second = make_catalogue(version=2, strength=40.0)
    import_path(catalogue, _publish(tmp_path, acme, first), now=NOW)
    import_path(catalogue, _publish(tmp_path, acme, second), now=NOW)
    assert catalogue.export("json", supplier="acme", version=1) == dump_catalogue(first, "json")
    assert catalogue.export("json", supplier="acme", version=2) == dump_catalogue(second, "json")
    assert catalogue.export("json", supplier="acme") == dump_catalogue(second, "json")


def test_a_newer_version_replaces_the_older_one(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    import_path(catalogue, _publish(tmp_path, acme, make_catalogue(version=1)), now=NOW)
    report = import_path(
        catalogue, _publish(tmp_path, acme, make_catalogue(version=2, strength=40.0)), now=NOW
    )
    assert report.changed == ("acme/hair-revive",)
    assert catalogue_trust(catalogue).supplier_state("acme") is not None


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cat=catalogue_files(supplier="acme"))
def test_any_valid_catalogue_survives_publish_and_verify_unchanged(
    tmp_path: Path, acme: Signer, cat: CatalogueFile
) -> None:
    with Catalogue.memory() as catalogue:
        trust = trusting(catalogue, acme)
        for fmt in ("json", "yaml"):
            source = tmp_path / f"property.{fmt}"
            source.write_text(dump_catalogue(cat, fmt), "utf-8")
            output = tmp_path / f"property-{fmt}.zip"
            publish_catalogue(
                source, key=acme.files.private_path, output=output, force=True, now=NOW
            )
            verified = verify_bundle(output, trust, now=NOW)
            assert verified.catalogue == cat
            assert verified.manifest.catalogue_version == cat.version
            assert verified.key == acme.public


# ---------------------------------------------------------------- refused


def test_a_catalogue_edited_after_signing_is_refused(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    path = _publish(tmp_path, acme, make_catalogue())
    members = _members(path)
    original = members["catalogue.yaml"]
    members["catalogue.yaml"] = original.replace(b"value: 30.0", b"value: 300.0")
    assert members["catalogue.yaml"] != original
    _refused(catalogue, _rezip(path, members), "bytes but the signed manifest lists")
    members["catalogue.yaml"] = original.replace(b"value: 30.0", b"value: 90.0")  # same size
    assert len(members["catalogue.yaml"]) == len(original)
    _refused(catalogue, _rezip(path, members), "does not match its signed SHA-256")


def test_a_flipped_byte_in_the_bundle_is_refused(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    path = _publish(tmp_path, acme, make_catalogue())
    raw = bytearray(path.read_bytes())
    at = raw.index(b"PK\x01\x02") - 20  # inside the catalogue's compressed data
    raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))
    _refused(catalogue, path, "catalogue.yaml is corrupt", UnreadableInput)


def test_an_extra_unlisted_file_is_refused(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    path = _publish(tmp_path, acme, make_catalogue())
    members = _members(path)
    members["catalogue.json"] = b"{}"
    _refused(catalogue, _rezip(path, members), r"unlisted: catalogue\.json")


def test_a_missing_listed_file_is_refused(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    path = _publish(tmp_path, acme, make_catalogue())
    members = _members(path)
    members["catalogue.json"] = members.pop("catalogue.yaml")
    _refused(
        catalogue, _rezip(path, members), r"unlisted: catalogue\.json; missing: catalogue\.yaml"
    )


def test_a_manifest_re_signed_with_another_key_is_refused(
    tmp_path: Path, catalogue: Catalogue, acme: Signer, keys: Path
) -> None:
    attacker = make_signer(keys / "attacker", "acme")
    path = _publish(tmp_path, acme, make_catalogue())
    members = _members(path)
    members[SIGNATURE_NAME] = attacker.sign(members[MANIFEST_NAME])
    _refused(
        catalogue,
        _rezip(path, members),
        "does not verify with any key pinned for supplier 'acme'",
    )


def test_a_manifest_edited_after_signing_is_refused(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    path = _publish(tmp_path, acme, make_catalogue())
    members = _members(path)
    members[MANIFEST_NAME] = members[MANIFEST_NAME].replace(
        b'"expires": "2027', b'"expires": "2099'
    )
    _refused(catalogue, _rezip(path, members), "changed after signing")


def test_a_supplier_signing_for_another_suppliers_namespace_is_refused(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    # acme signs a manifest that claims to be bravo's ...
    data = write_catalogue(tmp_path, make_catalogue("bravo")).read_bytes()
    manifest = manifest_for(data, supplier="bravo").to_bytes()
    claims_bravo = signed_zip(tmp_path / "a.zip", acme, manifest, {"catalogue.yaml": data})
    _refused(catalogue, claims_bravo, "pinned for supplier 'acme' but claims supplier 'bravo'")
    # ... or signs its own manifest around bravo's catalogue.
    manifest = manifest_for(data, supplier="acme").to_bytes()
    wraps_bravo = signed_zip(tmp_path / "b.zip", acme, manifest, {"catalogue.yaml": data})
    _refused(catalogue, wraps_bravo, "claims supplier 'bravo' but was signed by supplier 'acme'")


def test_a_bundle_of_an_unknown_supplier_is_refused(
    tmp_path: Path, catalogue: Catalogue, keys: Path
) -> None:
    charlie = make_signer(keys, "charlie")
    path = _publish(tmp_path, charlie, make_catalogue("charlie"))
    _refused(catalogue, path, "unknown supplier 'charlie': no key is pinned for it")


def test_a_replay_of_an_older_or_equal_version_is_refused(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    old = _publish(tmp_path, acme, make_catalogue(version=6))
    new = _publish(tmp_path, acme, make_catalogue(version=7, strength=40.0))
    import_path(catalogue, new, now=NOW)
    _refused(catalogue, new, r"replay refused: catalogue version 7 .* already imported \(7\)")
    _refused(catalogue, old, r"replay refused: catalogue version 6")


def test_an_expired_bundle_is_refused(tmp_path: Path, catalogue: Catalogue, acme: Signer) -> None:
    path = _publish(tmp_path, acme, make_catalogue(), days=10)
    assert verify_bundle(path, catalogue_trust(catalogue), now=NOW + timedelta(days=9))
    before = db_content(catalogue)
    with pytest.raises(TrustError, match="expired on 2026-06-11"):
        import_path(catalogue, path, now=NOW + timedelta(days=10))
    assert db_content(catalogue) == before


def test_a_bundle_signed_in_the_future_is_refused(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    path = _publish(tmp_path, acme, make_catalogue())
    with pytest.raises(TrustError, match="signed in the future") as caught:
        verify_bundle(path, catalogue_trust(catalogue), now=NOW - timedelta(hours=1))
    assert caught.value.hint == "check this computer's clock"
    verify_bundle(path, catalogue_trust(catalogue), now=NOW - timedelta(minutes=4))


def test_a_version_that_differs_from_the_signed_manifest_is_refused(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    data = write_catalogue(tmp_path, make_catalogue(version=2)).read_bytes()
    manifest = manifest_for(data, version=9).to_bytes()
    path = signed_zip(tmp_path / "v.zip", acme, manifest, {"catalogue.yaml": data})
    _refused(catalogue, path, "version 2 but the signed manifest says version 9")


def test_an_invalid_catalogue_in_a_genuine_bundle_is_reported(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    data = b"format: meso-formulary/1\nsupplier: {id: acme, name: Acme}\nversion: NaN\n"
    path = signed_zip(
        tmp_path / "i.zip", acme, manifest_for(data).to_bytes(), {"catalogue.yaml": data}
    )
    _refused(catalogue, path, "catalogue.yaml is not a valid catalogue", InvalidInput)


def test_a_removed_key_no_longer_verifies(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    catalogue_trust(catalogue).remove("acme")
    _refused(catalogue, _publish(tmp_path, acme, make_catalogue()), "unknown supplier 'acme'")


def test_a_rotated_key_verifies_once_pinned(
    tmp_path: Path, catalogue: Catalogue, acme: Signer, keys: Path
) -> None:
    import_path(catalogue, _publish(tmp_path, acme, make_catalogue(version=1)), now=NOW)
    rotated = make_signer(keys / "2027", "acme")
    path = _publish(tmp_path, rotated, make_catalogue(version=2, strength=40.0))
    _refused(catalogue, path, "does not verify with any key pinned for supplier 'acme'")
    catalogue_trust(catalogue).add(rotated.public)
    import_path(catalogue, path, now=NOW)
    signed_by = catalogue.conn.execute("SELECT signed_by FROM suppliers").fetchone()[0]
    assert signed_by == rotated.public.fingerprint


# ---------------------------------------------------------------- unsigned drafts


def test_a_plain_file_needs_unsigned(tmp_path: Path, catalogue: Catalogue) -> None:
    path = write_catalogue(tmp_path, make_catalogue("draft"))
    before = db_content(catalogue)
    with pytest.raises(TrustError, match="unsigned catalogue file") as caught:
        import_path(catalogue, path)
    assert caught.value.hint is not None and "--unsigned" in caught.value.hint
    assert db_content(catalogue) == before
    report = import_path(catalogue, path, unsigned=True)
    assert report.supplier == "draft"
    row = catalogue.conn.execute(
        "SELECT signed_by, verified FROM suppliers WHERE id = 'draft'"
    ).fetchone()
    assert row == (None, 0)


def test_a_plain_file_that_cannot_be_read_says_so_before_it_is_refused_as_unsigned(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    with pytest.raises(UnreadableInput) as caught:
        import_path(catalogue, tmp_path / "missing.yaml")
    assert caught.value.problems[0].message == "no such file"


def test_problems_of_an_unsigned_draft_are_located_in_its_file(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    data = make_catalogue("draft").model_dump(mode="json", by_alias=True, exclude_none=True)
    data["cocktails"][0]["composition"][0]["ingredient"] = "biotinn"
    path = tmp_path / "draft.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        import_path(catalogue, path, unsigned=True)
    (problem,) = caught.value.problems
    assert (problem.file, problem.path) == (str(path), "cocktails.0.composition.0.ingredient")
    line = path.read_text(encoding="utf-8").splitlines().index('          "ingredient": "biotinn",')
    assert problem.line == line + 1


def test_an_unsigned_file_cannot_replace_a_supplier_with_pinned_keys(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    path = write_catalogue(tmp_path, make_catalogue("acme", version=99))
    before = db_content(catalogue)
    with pytest.raises(TrustError, match="publishes signed bundles here"):
        import_path(catalogue, path, unsigned=True)
    assert db_content(catalogue) == before


def test_unsigned_after_verified_is_refused_in_python_and_by_the_database(
    tmp_path: Path, catalogue: Catalogue, acme: Signer
) -> None:
    import_path(catalogue, _publish(tmp_path, acme, make_catalogue(version=1)), now=NOW)
    catalogue_trust(catalogue).remove("acme")
    path = write_catalogue(tmp_path, make_catalogue("acme", version=99))
    with pytest.raises(TrustError, match="publishes signed bundles here"):
        import_path(catalogue, path, unsigned=True)
    # Even a caller that skips import_path cannot turn the verified supplier unsigned:
    with pytest.raises(CatalogueError, match="cannot be replaced by an unsigned catalogue"):
        catalogue.import_catalogue(read_catalogue(path))
    assert catalogue.conn.execute("SELECT verified FROM suppliers").fetchone() == (1,)


def test_a_bundle_is_verified_even_with_unsigned(
    tmp_path: Path, catalogue: Catalogue, keys: Path
) -> None:
    stranger = make_signer(keys, "stranger")
    path = _publish(tmp_path, stranger, make_catalogue("stranger"))
    before = db_content(catalogue)
    with pytest.raises(TrustError, match="unknown supplier"):
        import_path(catalogue, path, unsigned=True, now=NOW)
    assert db_content(catalogue) == before


# ---------------------------------------------------------------- namespaces in the database


def test_the_database_refuses_a_cocktail_outside_its_suppliers_namespace(
    tmp_path: Path, catalogue: Catalogue, acme: Signer, bravo: Signer
) -> None:
    import_path(catalogue, _publish(tmp_path, acme, make_catalogue("acme")), now=NOW)
    import_path(catalogue, _publish(tmp_path, bravo, make_catalogue("bravo")), now=NOW)
    conn = catalogue.conn
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO cocktails (id, supplier_id, name, description, search_terms, n_actives, "
            "indications, areas, techniques, regulatory_status, version, version_no, digest, "
            "record, updated_at) SELECT 'acme/evil', 'bravo', name, description, search_terms, "
            "n_actives, indications, areas, techniques, regulatory_status, version, version_no, "
            "digest, record, updated_at FROM cocktails WHERE id = 'bravo/hair-revive'"
        )
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        conn.execute("UPDATE cocktails SET supplier_id = 'bravo' WHERE id = 'acme/hair-revive'")
    conn.rollback()
    owners = dict(conn.execute("SELECT id, supplier_id FROM cocktails"))
    assert owners == {
        "acme/hair-revive": "acme",
        "acme/bright-tone": "acme",
        "bravo/hair-revive": "bravo",
        "bravo/bright-tone": "bravo",
    }


def test_one_suppliers_import_never_touches_anothers_cocktails(
    tmp_path: Path, catalogue: Catalogue, acme: Signer, bravo: Signer
) -> None:
    import_path(catalogue, _publish(tmp_path, acme, make_catalogue("acme")), now=NOW)
    acme_rows = catalogue.conn.execute(
        "SELECT id, record FROM cocktails WHERE supplier_id = 'acme' ORDER BY id"
    ).fetchall()
    bravo_only_one = make_catalogue("bravo").model_copy(
        update={"cocktails": make_catalogue("bravo").cocktails[:1]}
    )
    import_path(catalogue, _publish(tmp_path, bravo, make_catalogue("bravo")), now=NOW)
    import_path(
        catalogue,
        _publish(tmp_path, bravo, bravo_only_one.model_copy(update={"version": 2}), name="b2.zip"),
        now=NOW,
    )
    assert (
        catalogue.conn.execute(
            "SELECT id, record FROM cocktails WHERE supplier_id = 'acme' ORDER BY id"
        ).fetchall()
        == acme_rows
    )


def test_a_signature_forged_for_a_planted_small_order_key_is_refused(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    # the identity as mallory's key: pinning refuses it, so the row is planted by hand
    identity = PublicKey("mallory", bytes([1]) + bytes(31))
    catalogue.conn.execute(
        "INSERT INTO trusted_keys VALUES (?, ?, ?, 'now')",
        (identity.supplier, identity.fingerprint, identity.raw),
    )
    catalogue.conn.commit()
    data = dump_catalogue(make_catalogue("mallory"), "yaml").encode()
    manifest = manifest_for(data, supplier="mallory").to_bytes()
    forged = identity.raw + bytes(32)  # R = identity, S = 0: no private key involved
    bundle = raw_zip(
        tmp_path / "forged.zip",
        [(MANIFEST_NAME, manifest), (SIGNATURE_NAME, forged), ("catalogue.yaml", data)],
    )
    _refused(
        catalogue,
        bundle,
        "a key pinned for supplier 'mallory' is refused and verifies nothing: it is a "
        "small-order key: any signature would verify",
    )
