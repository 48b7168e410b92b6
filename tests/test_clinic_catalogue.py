"""A clinic's own catalogue (``meso init``): the shipped reference cocktails beside signed
supplier bundles, refreshed when the package's data changes, never over another file."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_support import Meso, assert_fails
from helpers_catalogue import copy_catalogue
from publish_support import make_catalogue, make_signer, manifest_for, signed_zip, write_catalogue

from meso_formulary import reference
from meso_formulary.catalogue import Catalogue
from meso_formulary.errors import CatalogueError
from meso_formulary.model import CatalogueFile

ACME_COCKTAIL = "acme/hair-revive"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def as_json(meso: Meso, *args: object) -> list[dict[str, object]]:
    result = meso(*args, "--json")
    assert result.exit_code == 0, result.output
    loaded: list[dict[str, object]] = json.loads(result.stdout)
    return loaded


def reference_versions(path: Path) -> list[int]:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            "SELECT catalogue_version FROM catalogue_versions WHERE supplier_id = 'reference' "
            "ORDER BY catalogue_version"
        ).fetchall()
    return [row[0] for row in rows]


def rows_of(path: Path) -> str:
    """Every row and schema object of the catalogue at ``path``, as SQL text."""
    with closing(sqlite3.connect(path)) as conn:
        return "\n".join(conn.iterdump())


@pytest.fixture(scope="module")
def clinic(meso: Meso, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clinic catalogue made by ``meso init``, with supplier acme's signed bundle imported
    beside the reference data (tests copy it before changing it)."""
    folder = tmp_path_factory.mktemp("clinic")
    path = folder / "clinic.db"
    created = meso("init", path)
    assert created.exit_code == 0, created.output
    assert meso("keygen", "acme", "-o", folder / "keys").exit_code == 0
    source = write_catalogue(folder, make_catalogue())
    bundle = folder / "acme.zip"
    published = meso("publish", source, "--key", folder / "keys" / "acme.key", "-o", bundle)
    assert published.exit_code == 0, published.output
    pub = folder / "keys" / "acme.pub"
    assert meso("trust", "add", "acme", pub, "--db", path, "--yes").exit_code == 0
    imported = meso("import", bundle, "--db", path)
    assert imported.exit_code == 0, imported.output
    assert "acme.zip (signed, verified): supplier acme, catalogue version 1" in imported.stdout
    return path


@pytest.fixture
def copy(clinic: Path, tmp_path: Path) -> Path:
    """A copy of :func:`clinic` to change."""
    return copy_catalogue(clinic, tmp_path / "clinic.db")


@dataclass(frozen=True)
class Release:
    """A simulated data release: its catalogue, the cocktail it revised, the one it dropped."""

    catalogue: CatalogueFile
    revised: str
    dropped: str


@pytest.fixture
def new_release(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Release:
    """A new release of the shipped data, as a new process would load it: one cocktail's
    description changed, the last cocktail dropped, another digest."""
    from meso_formulary.catalogue.store import dictionary

    shipped = reference.reference_catalogue()
    first, *kept = shipped.cocktails[:-1]
    revised = first.model_copy(update={"description": f"{first.description} Revised."})
    release = shipped.model_copy(update={"cocktails": (revised, *kept)})
    monkeypatch.setattr(reference, "reference_catalogue", lambda: release)
    monkeypatch.setattr(reference, "data_digest", lambda: "e" * 64)
    dictionary._shipped.cache_clear()  # the shipped data is loaded once per process
    request.addfinalizer(dictionary._shipped.cache_clear)
    return Release(release, first.id, shipped.cocktails[-1].id)


# ---------------------------------------------------------------- creating


def test_init_starts_from_the_reference_cocktails(meso: Meso, clinic: Path) -> None:
    (stats,) = as_json(meso, "stats", "--db", clinic)
    shipped = len(reference.reference_catalogue().cocktails)
    assert stats["source"] == "clinic" and stats["suppliers"] == 2
    assert stats["cocktails"] == shipped + len(make_catalogue().cocktails)
    assert stats["unsigned_suppliers"] == []  # the shipped data is not a draft
    first = reference.reference_catalogue().cocktails[0].id
    (shown,) = as_json(meso, "show", first, "--db", clinic)
    assert shown["provenance"] == {
        "kind": "reference",
        "catalogue_version": 1,
        "verified": False,
        "signed_by": None,
        "status": "shipped reference data",
    }


def test_search_and_show_span_the_reference_data_and_the_bundle(meso: Meso, clinic: Path) -> None:
    hits = as_json(meso, "search", "hair loss", "--db", clinic)
    kinds = {hit["id"]: hit["provenance"]["kind"] for hit in hits}  # type: ignore[index]
    assert kinds[ACME_COCKTAIL] == "verified"
    assert "reference" in kinds.values()
    (shown,) = as_json(meso, "show", ACME_COCKTAIL, "--db", clinic)
    assert shown["provenance"]["kind"] == "verified"  # type: ignore[index]
    table = meso("search", "hair loss", "--db", clinic)
    assert table.exit_code == 0 and "Note:" not in table.stderr  # the data is this release's


def test_the_web_page_spans_both(clinic: Path) -> None:
    from meso_formulary.web.server import build_datasette

    before = sha256(clinic)
    ds = build_datasette(clinic, immutable=True)
    page = asyncio.run(ds.client.get("/-/meso-search?q=hair+loss"))
    assert page.status_code == 200
    assert f'data-cocktail-id="{ACME_COCKTAIL}"' in page.text
    assert 'data-provenance="reference"' in page.text
    assert 'data-provenance="verified"' in page.text
    assert "holds older reference data" not in page.text  # this release's data
    first = reference.reference_catalogue().cocktails[0].id
    cocktail = asyncio.run(ds.client.get(f"/-/meso-cocktail/{first}"))
    assert cocktail.status_code == 200
    assert 'data-provenance="reference">shipped reference data<' in cocktail.text
    assert sha256(clinic) == before


def test_init_again_says_so_and_changes_nothing(meso: Meso, copy: Path) -> None:
    before = rows_of(copy)
    again = meso("init", env={"MESO_DB": str(copy)})  # PATH, or MESO_DB as --db takes it
    assert again.exit_code == 0, again.output
    assert "already holds this release's reference data (catalogue version 1)" in again.stdout
    assert rows_of(copy) == before


# ---------------------------------------------------------------- refusing


def test_init_leaves_a_file_that_is_not_a_catalogue_as_it_is(meso: Meso, tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"client notes, not a database\n")
    result = meso("init", notes)
    assert_fails(result, 1, "Error: ", "not an SQLite database", "left as it is", "Hint: ")
    assert notes.read_bytes() == b"client notes, not a database\n"
    assert sorted(os.listdir(tmp_path)) == ["notes.db"]


def test_init_leaves_another_catalogue_as_it_is(meso: Meso, db: Path) -> None:
    before = sha256(db)  # a catalogue made by meso import: no reference cocktails
    result = meso("init", db)
    assert_fails(result, 1, "not one started from the shipped reference data", "meso init NEW.db")
    assert sha256(db) == before


def test_init_leaves_the_embedded_reference_catalogue_to_the_library(meso: Meso) -> None:
    from meso_formulary.catalogue.store.embedded import default_file

    Catalogue.default().close()
    before = sha256(default_file())
    result = meso("init", default_file())
    assert_fails(result, 1, "is the embedded reference catalogue", "left as it is")
    assert sha256(default_file()) == before


def test_init_refuses_a_folder(meso: Meso, tmp_path: Path) -> None:
    assert_fails(meso("init", tmp_path), 2, "is a directory")


@pytest.mark.parametrize("where", ["under-a-file", "read-only"])
def test_init_where_nothing_can_be_written(
    meso: Meso, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "under-a-file":
        (tmp_path / "file").write_text("x", encoding="utf-8")
        folder = tmp_path / "file"
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        if os.access(folder, os.W_OK):  # root writes anywhere: the file system refuses
            import tempfile

            def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

            monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = meso("init", folder / "clinic.db")
    assert_fails(result, 1, "Error: cannot build a catalogue in", "Hint: give a new file name")
    if where == "read-only":
        assert "Permission denied" in result.stderr
    assert not (folder / "clinic.db").exists()


def test_the_library_never_creates_over_a_file(tmp_path: Path) -> None:
    taken = tmp_path / "taken.db"
    taken.write_text("mine", encoding="utf-8")
    with pytest.raises(CatalogueError, match="already exists"):
        Catalogue.create(taken)
    assert taken.read_text(encoding="utf-8") == "mine"


def test_a_file_claiming_the_reference_supplier_is_refused(meso: Meso, copy: Path) -> None:
    claim = write_catalogue(copy.parent, make_catalogue("reference", version=9))
    before = rows_of(copy)
    result = meso("import", claim, "--unsigned", "--db", copy)
    assert_fails(result, 1, "reserved for the data shipped with meso-formulary")
    assert rows_of(copy) == before


def test_a_bundle_claiming_the_reference_supplier_is_refused(
    meso: Meso, copy: Path, tmp_path: Path
) -> None:
    mallory = make_signer(tmp_path / "keys", "mallory")
    pinned = meso("trust", "add", "mallory", mallory.files.public_path, "--db", copy, "--yes")
    assert pinned.exit_code == 0, pinned.output
    data = write_catalogue(tmp_path, make_catalogue("reference", version=9)).read_bytes()
    created = datetime.now(UTC) - timedelta(minutes=1)
    before = rows_of(copy)
    for claimed, refusal in (
        ("reference", "pinned for supplier 'mallory' but claims supplier 'reference'"),
        ("mallory", "claims supplier 'reference' but was signed by supplier 'mallory'"),
    ):
        manifest = manifest_for(data, supplier=claimed, version=9, created=created).to_bytes()
        bundle = signed_zip(
            tmp_path / f"{claimed}.zip", mallory, manifest, {"catalogue.yaml": data}
        )
        assert_fails(meso("import", bundle, "--db", copy), 1, refusal)
    assert rows_of(copy) == before


# ---------------------------------------------------------------- a new data release


def test_reading_an_older_release_says_so_and_writes_nothing(
    meso: Meso, copy: Path, new_release: Release, monkeypatch: pytest.MonkeyPatch
) -> None:
    from meso_formulary.web import server

    served: list[Path] = []
    monkeypatch.setattr(server, "serve_catalogue", lambda path, **options: served.append(path))
    before = sha256(copy)
    for args in (
        ("search", "hair loss"),
        ("show", ACME_COCKTAIL),
        ("history", ACME_COCKTAIL),
        ("serve", "--immutable"),
    ):
        result = meso(*args, "--db", copy)
        assert result.exit_code == 0, result.output
        assert f"refresh it with: meso init {copy}" in result.stderr
    assert served == [copy]
    # The web pages say so too (the server never writes to refresh it).
    ds = server.build_datasette(copy, immutable=True)
    for path in ("/-/meso-search?q=hair+loss", f"/-/meso-cocktail/{ACME_COCKTAIL}"):
        page = asyncio.run(ds.client.get(path))
        assert page.status_code == 200
        assert f"{copy.name} holds older reference data" in page.text, path
        assert f"meso init {copy.name}" in page.text
    assert sha256(copy) == before
    assert reference_versions(copy) == [1]


def test_init_refreshes_the_reference_data_keeping_its_history(
    meso: Meso, copy: Path, new_release: Release
) -> None:
    acme = as_json(meso, "show", ACME_COCKTAIL, "--db", copy)
    revised, gone = new_release.revised, new_release.dropped
    result = meso("init", copy)
    assert result.exit_code == 0, result.output
    assert f"Refreshed the reference data in {copy} to catalogue version 2" in result.stdout
    assert "1 changed" in result.stdout and "1 removed" in result.stdout
    assert f"meso diff reference --from 1 --to 2 --db {copy}" in result.stdout
    assert reference_versions(copy) == [1, 2]
    history = as_json(meso, "history", revised, "--db", copy)
    assert [row["catalogue_version"] for row in history] == [1, 2]
    diff = meso("diff", "reference", "--from", "1", "--to", "2", "--db", copy, "--json")
    changes = json.loads(diff.stdout)
    assert changes["cocktails_removed"] == [gone]
    assert [change["id"] for change in changes["cocktails_changed"]] == [revised]
    assert as_json(meso, "show", ACME_COCKTAIL, "--db", copy) == acme  # untouched
    quiet = meso("search", "hair loss", "--db", copy)
    assert "Note:" not in quiet.stderr
    again = meso("init", copy)
    assert "already holds this release's reference data (catalogue version 2)" in again.stdout


def test_an_import_refreshes_the_reference_data_in_its_transaction(
    meso: Meso, copy: Path, new_release: Release
) -> None:
    draft = write_catalogue(copy.parent, make_catalogue("zeta"))
    result = meso("import", draft, "--unsigned", "--db", copy)
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()
    assert first.startswith("shipped reference data (refreshed: this release's data is newer)")
    assert "supplier reference, catalogue version 2: 0 added, 1 changed" in first
    assert second.startswith(f"{draft} (unsigned draft): supplier zeta")
    assert reference_versions(copy) == [1, 2]


def test_import_path_answers_for_its_file_after_a_refresh(copy: Path, new_release: Release) -> None:
    from meso_formulary.catalogue.publishing.importing import import_path

    draft = write_catalogue(copy.parent, make_catalogue("zeta"))
    with Catalogue.open(copy) as catalogue:
        report = import_path(catalogue, draft, unsigned=True)
    assert (report.supplier, report.added) == ("zeta", ("zeta/hair-revive", "zeta/bright-tone"))
    assert reference_versions(copy) == [1, 2]


def test_a_failed_import_leaves_the_older_reference_data(
    meso: Meso, copy: Path, new_release: Release
) -> None:
    broken = copy.parent / "broken.yaml"
    broken.write_text("format: meso-formulary/1\nsupplier: {id: zeta}\n", encoding="utf-8")
    before = rows_of(copy)
    result = meso("import", broken, "--unsigned", "--db", copy)
    assert result.exit_code != 0
    assert rows_of(copy) == before
    assert reference_versions(copy) == [1]


def test_a_release_that_keeps_the_cocktails_adds_no_version(
    copy: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    from meso_formulary.catalogue.store import dictionary

    monkeypatch.setattr(reference, "data_digest", lambda: "d" * 64)  # other files changed
    dictionary._shipped.cache_clear()
    request.addfinalizer(dictionary._shipped.cache_clear)
    with Catalogue.open_clinic(copy) as catalogue:
        assert catalogue.refresh_reference() is None
        assert catalogue.stats().reference_digest == "d" * 64
    assert reference_versions(copy) == [1]


@pytest.fixture(autouse=True)
def _no_stray_files(tmp_path: Path) -> Iterator[None]:
    """No temporary file of a build is ever left behind."""
    yield
    if tmp_path.exists():
        assert not [p for p in tmp_path.rglob(".*.db.tmp*")]
