"""Drafts and verified catalogues on separate version lines, ``meso drafts``, the bounds an
import shares with publish, the reserved ``reference`` namespace, and provenance on every
front end (issue 14, "Trust and signing")."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cli_support import Meso, assert_fails
from publish_support import (
    NOW,
    Signer,
    catalogue_data,
    make_catalogue,
    make_signer,
    manifest_for,
    signed_zip,
    trusting,
    write_catalogue,
)

from meso_formulary.catalogue.publishing.bundle import MAX_CATALOGUE_VERSION
from meso_formulary.catalogue.publishing.importing import import_files, import_path
from meso_formulary.catalogue.publishing.signing import publish_catalogue
from meso_formulary.catalogue.store.catalogue_store import Catalogue
from meso_formulary.errors import InvalidInput, NotFound, TrustError
from meso_formulary.files import dump_catalogue
from meso_formulary.model import CatalogueFile


def bundle(folder: Path, signer: Signer, catalogue: CatalogueFile, **manifest: object) -> Path:
    """A bundle of ``catalogue`` signed by ``signer`` (the manifest's fields overridden by
    ``manifest``, written as raw JSON so that values publish would refuse get in)."""
    raw = dump_catalogue(catalogue, "yaml").encode()
    made = manifest_for(raw, supplier=catalogue.supplier.id, version=1)
    data = made.model_dump(mode="json")
    data["catalogue_version"] = catalogue.version
    data.update(manifest)
    text = json.dumps(data, indent=2, sort_keys=True).encode() + b"\n"
    name = f"{catalogue.supplier.id}-{catalogue.version}-{len(list(folder.iterdir()))}.zip"
    return signed_zip(folder / name, signer, text, {"catalogue.yaml": raw})


# ---------------------------------------------------------------- drafts and verified


def test_a_high_draft_does_not_block_the_signed_catalogue(tmp_path: Path) -> None:
    with Catalogue.memory() as catalogue:
        draft = write_catalogue(tmp_path, make_catalogue(version=1000, strength=25.0))
        import_path(catalogue, draft, unsigned=True, now=NOW)
        signer = make_signer(tmp_path, "acme")
        trusting(catalogue, signer)
        report = import_path(
            catalogue, bundle(tmp_path, signer, make_catalogue(version=2)), now=NOW
        )
        assert report.catalogue_version == 2
        assert sorted(report.added) == ["acme/bright-tone", "acme/hair-revive"]
        record = catalogue.supplier("acme")
        assert (record.verified, record.catalogue_version) == (True, 2)
        assert record.signed_by == signer.public.fingerprint
        # The draft is gone with its history: the verified line starts at the bundle.
        assert {v.catalogue_version for v in catalogue.history("acme/hair-revive")} == {2}
        assert catalogue.drafts() == []
        # Replay protection stays for the verified line, and a newer bundle imports.
        with pytest.raises(TrustError, match="replay refused"):
            import_path(catalogue, bundle(tmp_path, signer, make_catalogue(version=2)), now=NOW)
        import_path(catalogue, bundle(tmp_path, signer, make_catalogue(version=3)), now=NOW)
        # A draft can no longer touch the supplier, so it never raises the verified line.
        high = write_catalogue(tmp_path, make_catalogue(version=5000))
        with pytest.raises(TrustError, match="publishes signed bundles"):
            import_path(catalogue, high, unsigned=True, now=NOW)
        assert catalogue.supplier("acme").catalogue_version == 3


def test_drafts_list_and_remove(meso: Meso, tmp_path: Path) -> None:
    db = tmp_path / "clinic.db"
    draft = write_catalogue(tmp_path, make_catalogue("bravo", version=7))
    assert meso("import", draft, "--unsigned", "--db", db).exit_code == 0
    newer = write_catalogue(tmp_path, make_catalogue("bravo", version=8, strength=20.0))
    assert meso("import", newer, "--unsigned", "--db", db).exit_code == 0
    (listed,) = json.loads(meso("drafts", "list", "--json", "--db", db).stdout)
    assert listed["supplier"] == "bravo"
    assert (listed["catalogue_version"], listed["cocktails"], listed["key_pinned"]) == (8, 2, False)
    removed = meso("drafts", "remove", "bravo", "--db", db)
    assert removed.exit_code == 0
    assert "2 cocktails, 2 stored revisions, 1 own ingredient" in removed.stdout
    with Catalogue.open(db, readonly=True) as catalogue:
        assert catalogue.drafts() == []
        with pytest.raises(NotFound):
            catalogue.history("bravo/hair-revive")
        for table in ("cocktails", "cocktail_versions", "catalogue_versions", "ingredients"):
            count = catalogue.conn.execute(
                f"SELECT count(*) FROM {table} WHERE "
                + (
                    "id LIKE 'bravo%'"
                    if table in ("cocktails", "ingredients")
                    else "supplier_id = 'bravo'"
                )
            ).fetchone()[0]
            assert count == 0, table
        assert catalogue.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert catalogue.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert_fails(meso("drafts", "remove", "bravo", "--db", db), 1, "no supplier 'bravo'")
    # The same draft imports again: nothing of the old one is left in the way.
    assert meso("import", draft, "--unsigned", "--db", db).exit_code == 0
    assert meso("search", "--json", "--db", db).exit_code == 0


def test_a_verified_catalogue_is_not_removed_as_a_draft(meso: Meso, tmp_path: Path) -> None:
    db = tmp_path / "clinic.db"
    signer = make_signer(tmp_path, "acme")
    with Catalogue.open(db) as catalogue:
        trusting(catalogue, signer)
        import_path(catalogue, bundle(tmp_path, signer, make_catalogue(version=1)), now=NOW)
    before = db.read_bytes()
    result = meso("drafts", "remove", "acme", "--db", db)
    assert_fails(result, 1, "holds a verified catalogue", "only unsigned drafts")
    assert "Hint:" in result.output and "next signed bundle" in result.output
    assert db.read_bytes() == before
    assert json.loads(meso("drafts", "list", "--json", "--db", db).stdout) == []


# ---------------------------------------------------------------- bounds


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Signer]]:
    """A catalogue file with acme's key pinned and version 1 imported (signed)."""
    folder = tmp_path_factory.mktemp("bounds")
    signer = make_signer(folder, "acme")
    db = folder / "clinic.db"
    with Catalogue.open(db) as catalogue:
        trusting(catalogue, signer)
        import_path(catalogue, bundle(folder, signer, make_catalogue(version=1)), now=NOW)
    yield db, signer


HOSTILE = {
    "version 2^53": ({"version": 2**53}, {}, "out of bounds"),
    "version 2^63-1": ({"version": 2**63 - 1}, {}, "catalogue_version"),
    "expiry in year 9999": ({}, {"expires": "9999-12-31T23:59:59Z"}, "more than 1830 days"),
    "expiry at year 9999's edge": ({}, {"expires": "9999-12-31T23:59:59-01:00"}, "out of range"),
    "created in year 1": ({}, {"created": "0001-01-01T00:00:00Z"}, "before 2020-01-01"),
    "created in year 1, +01:00": ({}, {"created": "0001-01-01T00:00:00+01:00"}, "out of range"),
    "created before bundles existed": ({}, {"created": "2019-12-31T00:00:00Z"}, "before 2020"),
    "created in the future": (
        {},
        {"created": (NOW + timedelta(hours=1)).isoformat(), "expires": "2027-01-01T00:00:00Z"},
        "signed in the future",
    ),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_an_import_applies_the_bounds_of_publish(
    signed: tuple[Path, Signer], tmp_path: Path, case: str
) -> None:
    db, signer = signed
    fields, manifest, message = HOSTILE[case]
    version = int(fields.get("version", 2))
    catalogue_file = CatalogueFile.model_validate(catalogue_data(version=version))
    path = bundle(tmp_path, signer, catalogue_file, **manifest)
    before = db.read_bytes()
    with Catalogue.open(db) as catalogue, pytest.raises(TrustError, match=message):
        import_files(catalogue, [path], now=NOW)
    assert db.read_bytes() == before


def test_the_cli_refuses_a_year_one_bundle_cleanly(
    meso: Meso, signed: tuple[Path, Signer], tmp_path: Path
) -> None:
    db, signer = signed
    path = bundle(tmp_path, signer, make_catalogue(version=2), created="0001-01-01T00:00:00+01:00")
    before = db.read_bytes()
    assert_fails(meso("import", path, "--db", db), 1, "not a valid manifest", "out of range")
    assert db.read_bytes() == before


def test_a_draft_and_publish_have_the_same_version_bound(tmp_path: Path) -> None:
    too_high = CatalogueFile.model_validate(
        catalogue_data("bravo", version=MAX_CATALOGUE_VERSION + 1)
    )
    source = write_catalogue(tmp_path, too_high)
    with Catalogue.memory() as catalogue:
        with pytest.raises(InvalidInput) as refused:
            import_path(catalogue, source, unsigned=True, now=NOW)
        (problem,) = refused.value.problems
        assert problem.path == "version" and problem.line is not None
        assert "out of bounds" in problem.message
        assert catalogue.suppliers() == []
    signer = make_signer(tmp_path, "bravo")
    with pytest.raises(InvalidInput, match="cannot publish: catalogue version"):
        publish_catalogue(source, key=signer.files.private_path, output=tmp_path / "b.zip", now=NOW)
    assert not (tmp_path / "b.zip").exists()
    at_most = CatalogueFile.model_validate(catalogue_data("bravo", version=MAX_CATALOGUE_VERSION))
    published = publish_catalogue(
        write_catalogue(tmp_path, at_most),
        key=signer.files.private_path,
        output=tmp_path / "ok.zip",
        now=NOW,
    )
    assert published.manifest.catalogue_version == MAX_CATALOGUE_VERSION


# ---------------------------------------------------------------- the reference namespace


def test_the_reference_namespace_is_reserved(meso: Meso, tmp_path: Path) -> None:
    db = tmp_path / "clinic.db"
    squatter = make_catalogue("reference", version=99)
    plain = write_catalogue(tmp_path, squatter)
    signer = make_signer(tmp_path, "reference")
    with Catalogue.open(db) as catalogue:
        with pytest.raises(TrustError, match="reserved"):
            trusting(catalogue, signer)  # no key can be pinned for it
        # ... and a key planted behind meso's back does not open the namespace either
        catalogue.conn.execute(
            "INSERT INTO trusted_keys VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
            (signer.public.supplier, signer.public.fingerprint, signer.public.raw),
        )
        catalogue.conn.commit()
        signed_path = bundle(tmp_path, signer, squatter)
    before = db.read_bytes()
    for args in ((plain, "--unsigned"), (signed_path,)):
        result = meso("import", *args, "--db", db)
        assert_fails(result, 1, "supplier id 'reference' is reserved")
        assert db.read_bytes() == before
    with Catalogue.open(db) as catalogue:
        with pytest.raises(InvalidInput, match="reserved"):
            catalogue.import_catalogue(squatter)  # the library API too
        assert catalogue.suppliers() == []


# ---------------------------------------------------------------- provenance


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Signer]:
    """A catalogue holding acme, signed and verified, and bravo, an unsigned draft."""
    folder = tmp_path_factory.mktemp("mixed")
    signer = make_signer(folder, "acme")
    db = folder / "clinic.db"
    with Catalogue.open(db) as catalogue:
        trusting(catalogue, signer)
        import_path(catalogue, bundle(folder, signer, make_catalogue(version=4)), now=NOW)
        draft = write_catalogue(folder, make_catalogue("bravo", version=2))
        import_path(catalogue, draft, unsigned=True, now=NOW)
    return db, signer


def test_search_and_show_say_where_each_cocktail_came_from(
    meso: Meso, mixed: tuple[Path, Signer]
) -> None:
    db, signer = mixed
    hits = json.loads(meso("search", "hair loss", "--json", "--db", db).stdout)
    by_supplier = {hit["supplier"]: hit["provenance"] for hit in hits}
    assert by_supplier["acme"]["kind"] == "verified"
    assert by_supplier["acme"]["signed_by"] == signer.public.fingerprint
    assert by_supplier["bravo"] == {
        "kind": "draft",
        "catalogue_version": 2,
        "verified": False,
        "signed_by": None,
        "status": "unsigned draft",
    }
    (shown,) = json.loads(meso("show", "acme/hair-revive", "--json", "--db", db).stdout)
    assert shown["provenance"] == by_supplier["acme"]  # one definition
    table = meso("search", "hair loss", "--db", db).stdout
    assert "draft" in table and f"verified, key {signer.public.fingerprint[:4]}" in table
    csv = meso("search", "hair loss", "--csv", "--db", db).stdout.splitlines()
    assert csv[0].endswith(',"provenance"')
    assert {line.rsplit(",", 1)[1] for line in csv[1:]} == {
        '"verified"',
        '"draft"',
    }
    shipped = json.loads(meso("search", "hair loss", "--json", "--limit", "1").stdout)
    assert shipped[0]["provenance"]["kind"] == "reference"


def test_the_web_pages_and_json_say_where_each_cocktail_came_from(
    mixed: tuple[Path, Signer],
) -> None:
    from meso_formulary.web.server import build_datasette

    db, signer = mixed
    ds = build_datasette(db, immutable=True)

    def get(path: str) -> str:
        response = asyncio.run(ds.client.get(path))
        assert response.status_code == 200, response.text
        return str(response.text)

    page = get("/-/meso-search?q=hair+loss")
    kinds = re.findall(r'class="meso-provenance" data-provenance="(\w+)"', page)
    assert sorted(kinds) == ["draft", "verified"]
    assert "(unsigned draft)" in page
    assert f"signed, verified (key {signer.public.fingerprint[:4]}" in page
    answer = json.loads(get("/-/meso-search.json?q=hair+loss"))
    assert {hit["supplier"]: hit["provenance"]["kind"] for hit in answer["hits"]} == {
        "acme": "verified",
        "bravo": "draft",
    }
    for cocktail, kind in (("acme/hair-revive", "verified"), ("bravo/hair-revive", "draft")):
        html = get(f"/-/meso-cocktail/{cocktail}")
        assert f'id="meso-provenance" data-provenance="{kind}"' in html
