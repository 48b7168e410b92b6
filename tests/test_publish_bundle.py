"""Publishing bundles, and reading hostile zip files and manifests without a traceback."""

from __future__ import annotations

import ast
import json
import stat
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from publish_support import (
    NOW,
    Signer,
    catalogue_data,
    make_catalogue,
    make_signer,
    manifest_for,
    raw_zip,
    signed_zip,
    symlink_info,
    trusting,
    write_catalogue,
)

from meso_formulary.catalogue.publishing import bundle
from meso_formulary.catalogue.publishing.bundle import (
    MANIFEST_NAME,
    MAX_BUNDLE_BYTES,
    MAX_MANIFEST_BYTES,
    MAX_MEMBER_BYTES,
    SIGNATURE_NAME,
    Manifest,
    open_bundle,
    peek_supplier,
    sha256_hex,
)
from meso_formulary.catalogue.publishing.signing import MAX_EXPIRES_DAYS, publish_catalogue
from meso_formulary.catalogue.publishing.trust import TrustStore
from meso_formulary.catalogue.publishing.verify import verify_bundle
from meso_formulary.catalogue.store.catalogue_store import Catalogue
from meso_formulary.errors import InvalidInput, MesoError, TrustError, UnreadableInput


@pytest.fixture
def acme(tmp_path: Path) -> Signer:
    return make_signer(tmp_path / "keys", "acme")


@pytest.fixture
def trust(acme: Signer) -> TrustStore:
    return trusting(Catalogue.memory(), acme)


# ---------------------------------------------------------------- publishing


def test_a_bundle_holds_the_catalogue_unchanged_a_manifest_and_its_signature(
    tmp_path: Path, acme: Signer
) -> None:
    source = write_catalogue(tmp_path, make_catalogue(version=4))
    published = publish_catalogue(
        source, key=acme.files.private_path, output=tmp_path / "acme.zip", now=NOW
    )
    with zipfile.ZipFile(published.path) as archive:
        assert archive.namelist() == [MANIFEST_NAME, SIGNATURE_NAME, "catalogue.yaml"]
        assert archive.read("catalogue.yaml") == source.read_bytes()
        manifest_bytes = archive.read(MANIFEST_NAME)
        assert acme.public.verifies(archive.read(SIGNATURE_NAME), manifest_bytes)
    manifest = json.loads(manifest_bytes)
    assert manifest == {
        "format": "meso-bundle/1",
        "supplier": "acme",
        "catalogue_version": 4,
        "created": "2026-06-01T12:00:00Z",
        "expires": "2027-06-01T12:00:00Z",
        "files": [
            {
                "name": "catalogue.yaml",
                "sha256": sha256_hex(source.read_bytes()),
                "size": source.stat().st_size,
            }
        ],
    }
    assert published.key == acme.public
    assert stat.S_IMODE(published.path.stat().st_mode) == 0o644


def test_publishing_is_deterministic(tmp_path: Path, acme: Signer) -> None:
    source = write_catalogue(tmp_path, make_catalogue(), fmt="json")
    one = publish_catalogue(source, key=acme.files.private_path, output=tmp_path / "1.zip", now=NOW)
    two = publish_catalogue(source, key=acme.files.private_path, output=tmp_path / "2.zip", now=NOW)
    assert one.path.read_bytes() == two.path.read_bytes()
    with zipfile.ZipFile(one.path) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "catalogue.json" in archive.namelist()


def test_publishing_refuses_an_invalid_catalogue(tmp_path: Path, acme: Signer) -> None:
    data = catalogue_data()
    data["cocktails"][0]["composition"][0]["strength"]["value"] = -1  # type: ignore[index]
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(data))
    with pytest.raises(InvalidInput, match="not a valid catalogue") as caught:
        publish_catalogue(source, key=acme.files.private_path, output=tmp_path / "b.zip")
    assert any("strength" in problem.path for problem in caught.value.problems)
    assert not (tmp_path / "b.zip").exists()


def test_publishing_refuses_a_file_of_unknown_format(tmp_path: Path, acme: Signer) -> None:
    source = tmp_path / "catalogue.txt"
    source.write_text("format: meso-formulary/1\n")
    with pytest.raises(UnreadableInput, match="format"):
        publish_catalogue(source, key=acme.files.private_path, output=tmp_path / "b.zip")


def test_publishing_refuses_to_overwrite_without_force(tmp_path: Path, acme: Signer) -> None:
    source = write_catalogue(tmp_path, make_catalogue())
    output = tmp_path / "acme.zip"
    output.write_bytes(b"previous")
    with pytest.raises(MesoError, match="already exists"):
        publish_catalogue(source, key=acme.files.private_path, output=output)
    assert output.read_bytes() == b"previous"
    publish_catalogue(source, key=acme.files.private_path, output=output, force=True)
    assert zipfile.is_zipfile(output)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".bundle-")] == []


@pytest.mark.parametrize("days", [0, -1, MAX_EXPIRES_DAYS + 1])
def test_the_validity_window_is_bounded(tmp_path: Path, acme: Signer, days: int) -> None:
    source = write_catalogue(tmp_path, make_catalogue())
    with pytest.raises(InvalidInput, match="expires-days"):
        publish_catalogue(
            source, key=acme.files.private_path, output=tmp_path / "b.zip", expires_days=days
        )


# ---------------------------------------------------------------- hostile containers


def _bundle_with(tmp_path: Path, acme: Signer, **extra: object) -> Path:
    data = write_catalogue(tmp_path, make_catalogue()).read_bytes()
    manifest = manifest_for(data).to_bytes()
    return signed_zip(tmp_path / "b.zip", acme, manifest, {"catalogue.yaml": data}, **extra)  # type: ignore[arg-type]


def test_a_truncated_bundle_is_unreadable(tmp_path: Path, acme: Signer, trust: TrustStore) -> None:
    path = _bundle_with(tmp_path, acme)
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 10):
        path.write_bytes(data[:cut])
        with pytest.raises(UnreadableInput, match="not a readable bundle"):
            verify_bundle(path, trust, now=NOW)


def test_a_file_that_is_not_a_zip_is_unreadable(tmp_path: Path, trust: TrustStore) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(UnreadableInput):
        verify_bundle(path, trust, now=NOW)
    with pytest.raises(UnreadableInput, match="cannot read"):
        verify_bundle(tmp_path / "missing.zip", trust, now=NOW)
    with pytest.raises(UnreadableInput, match="not a regular file"):
        verify_bundle(tmp_path, trust, now=NOW)


@pytest.mark.parametrize(
    "name",
    ["../catalogue.yaml", "/etc/passwd", "sub/catalogue.yaml", "..\\evil.yaml", ".hidden", "a..b"],
)
def test_a_member_path_that_is_not_a_plain_name_is_refused(
    tmp_path: Path, acme: Signer, trust: TrustStore, name: str
) -> None:
    data = write_catalogue(tmp_path, make_catalogue()).read_bytes()
    manifest = manifest_for(data).to_bytes()
    path = signed_zip(tmp_path / "b.zip", acme, manifest, {name: data})
    with pytest.raises(TrustError, match="not a plain file name"):
        verify_bundle(path, trust, now=NOW)


def test_a_nul_trick_in_a_member_name_is_refused(
    tmp_path: Path, acme: Signer, trust: TrustStore
) -> None:
    data = write_catalogue(tmp_path, make_catalogue()).read_bytes()
    manifest = manifest_for(data).to_bytes()
    path = tmp_path / "b.zip"
    signed_zip(path, acme, manifest, {"catalogue.yaml": data})
    raw = path.read_bytes().replace(b"catalogue.yaml", b"catalog\0e.yaml")
    path.write_bytes(raw)
    with pytest.raises(TrustError, match="not a plain file name"):
        verify_bundle(path, trust, now=NOW)


def test_a_symlink_member_is_refused(tmp_path: Path, acme: Signer, trust: TrustStore) -> None:
    data = write_catalogue(tmp_path, make_catalogue()).read_bytes()
    manifest = manifest_for(data).to_bytes()
    path = signed_zip(tmp_path / "b.zip", acme, manifest, {symlink_info("catalogue.yaml"): data})  # type: ignore[dict-item]
    with pytest.raises(TrustError, match="not a regular file"):
        verify_bundle(path, trust, now=NOW)


def test_duplicate_member_names_are_refused(
    tmp_path: Path, acme: Signer, trust: TrustStore
) -> None:
    # The classic split view: one copy is hashed, the other parsed.
    data = write_catalogue(tmp_path, make_catalogue()).read_bytes()
    manifest = manifest_for(data).to_bytes()
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = raw_zip(
            tmp_path / "b.zip",
            [(MANIFEST_NAME, manifest), ("catalogue.yaml", data), ("catalogue.yaml", b"x: 1")],
        )
    with pytest.raises(TrustError, match="appears twice"):
        verify_bundle(path, trust, now=NOW)


def test_more_members_than_a_bundle_holds_are_refused(
    tmp_path: Path, acme: Signer, trust: TrustStore
) -> None:
    path = _bundle_with(tmp_path, acme, extra=[(f"extra{i}.txt", b"x") for i in range(50)])
    with pytest.raises(TrustError, match="members"):
        verify_bundle(path, trust, now=NOW)


def test_encrypted_and_unusual_compression_members_are_refused(
    tmp_path: Path, acme: Signer, trust: TrustStore
) -> None:
    path = _bundle_with(tmp_path, acme)
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    bz = tmp_path / "bz.zip"
    with zipfile.ZipFile(bz, "w") as archive:
        for info, data in members:
            archive.writestr(info.filename, data, compress_type=zipfile.ZIP_BZIP2)
    with pytest.raises(TrustError, match="compression"):
        verify_bundle(bz, trust, now=NOW)
    raw = bytearray(path.read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 8] |= 0x1  # the "encrypted" flag of the first central directory entry
    path.write_bytes(bytes(raw))
    with pytest.raises(TrustError, match="encrypted"):
        verify_bundle(path, trust, now=NOW)


def test_a_zip_bomb_declaring_its_size_is_refused_before_inflating(
    tmp_path: Path, acme: Signer, trust: TrustStore
) -> None:
    bomb = b"\0" * (MAX_MEMBER_BYTES + 1)  # about 20 KB once deflated
    data = write_catalogue(tmp_path, make_catalogue()).read_bytes()
    manifest = manifest_for(data).to_bytes()
    path = signed_zip(tmp_path / "b.zip", acme, manifest, {"catalogue.yaml": bomb})
    assert path.stat().st_size < 100_000
    with pytest.raises(TrustError, match="declares"):
        verify_bundle(path, trust, now=NOW)


def test_a_member_bigger_than_its_signed_size_is_refused(
    tmp_path: Path, acme: Signer, trust: TrustStore
) -> None:
    data = write_catalogue(tmp_path, make_catalogue()).read_bytes()
    manifest = manifest_for(data).to_bytes()
    path = signed_zip(
        tmp_path / "b.zip", acme, manifest, {"catalogue.yaml": data + b"\n" * 5_000_000}
    )
    listed = f"{len(data) + 5_000_000:,} bytes but the signed manifest lists {len(data):,}"
    with pytest.raises(TrustError, match=listed):
        verify_bundle(path, trust, now=NOW)


def test_a_member_that_inflates_beyond_its_declared_size_is_caught(
    tmp_path: Path, acme: Signer, trust: TrustStore
) -> None:
    # The central directory says 1,000 bytes; the deflate stream holds 1 MB of zeros.
    path = raw_zip(tmp_path / "b.zip", [("catalogue.yaml", b"\0" * 1_000_000)])
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.index(signature)
        raw[at + offset : at + offset + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with open_bundle(path) as bundle, pytest.raises(UnreadableInput, match=r"corrupt.*CRC"):
        bundle.read("catalogue.yaml", limit=MAX_MEMBER_BYTES)


def test_a_file_too_large_to_be_a_bundle_is_refused_unread(
    tmp_path: Path, trust: TrustStore
) -> None:
    path = tmp_path / "huge.zip"
    with path.open("wb") as handle:
        handle.truncate(MAX_BUNDLE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(TrustError, match="more than a bundle may"):
        verify_bundle(path, trust, now=NOW)


def test_a_bundle_without_manifest_or_signature_is_not_a_signed_bundle(
    tmp_path: Path, trust: TrustStore
) -> None:
    path = raw_zip(tmp_path / "b.zip", [("catalogue.yaml", b"x: 1\n")])
    with pytest.raises(TrustError, match=r"not a signed bundle: MANIFEST\.json, MANIFEST\.sig"):
        verify_bundle(path, trust, now=NOW)


def test_a_huge_manifest_is_refused_before_it_is_read(
    tmp_path: Path, acme: Signer, trust: TrustStore
) -> None:
    manifest = b'{"supplier": "acme", "pad": "' + b"x" * MAX_MANIFEST_BYTES + b'"}'
    path = signed_zip(tmp_path / "b.zip", acme, manifest, {"catalogue.yaml": b"x"})
    with pytest.raises(TrustError, match=r"MANIFEST\.json declares"):
        verify_bundle(path, trust, now=NOW)


def test_a_signature_of_the_wrong_length_is_refused(
    tmp_path: Path, acme: Signer, trust: TrustStore
) -> None:
    data = b"x"
    manifest = manifest_for(data).to_bytes()
    path = raw_zip(
        tmp_path / "b.zip",
        [(MANIFEST_NAME, manifest), (SIGNATURE_NAME, b"\0" * 10), ("catalogue.yaml", data)],
    )
    with pytest.raises(TrustError, match="64 bytes"):
        verify_bundle(path, trust, now=NOW)


# ---------------------------------------------------------------- manifests


def _signed_manifest_bundle(tmp_path: Path, acme: Signer, manifest: object) -> Path:
    raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    return signed_zip(tmp_path / "m.zip", acme, raw, {"catalogue.yaml": b"x"})


def _good_manifest() -> dict[str, object]:
    manifest: dict[str, object] = json.loads(manifest_for(b"x").to_bytes())
    return manifest


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"catalogue_version": "7"}, "catalogue_version"),
        ({"catalogue_version": 7.0}, "catalogue_version"),
        ({"catalogue_version": True}, "catalogue_version"),
        ({"catalogue_version": 0}, "catalogue_version"),
        ({"supplier": ["acme"]}, "supplier"),
        ({"supplier": "Acme"}, "supplier"),
        ({"created": "yesterday"}, "created"),
        ({"expires": "2027-06-01T12:00:00"}, "expires"),
        ({"expires": "2020-01-01T00:00:00Z"}, "expires is not after created"),
        ({"files": []}, "files"),
        ({"files": "catalogue.yaml"}, "files"),
        ({"files": [{"name": "catalogue.yaml", "sha256": "00", "size": 1}]}, "sha256"),
        ({"files": [{"name": "../x.yaml", "sha256": "0" * 64, "size": 1}]}, "name"),
        ({"files": [{"name": "catalogue.yaml", "sha256": "0" * 64, "size": -1}]}, "size"),
        ({"files": [{"name": "notes.txt", "sha256": "0" * 64, "size": 1}]}, "must be one of"),
        ({"format": "meso-bundle/2"}, "format"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_signed_manifest_with_wrong_types_is_refused(
    tmp_path: Path, acme: Signer, trust: TrustStore, change: dict[str, object], reason: str
) -> None:
    path = _signed_manifest_bundle(tmp_path, acme, {**_good_manifest(), **change})
    with pytest.raises(TrustError, match="not a valid manifest") as caught:
        verify_bundle(path, trust, now=NOW)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"[]",
        b"null",
        b"\xff\xfe{}",
        b'{"supplier": "acme", "supplier": "bravo"}',
        b'{"catalogue_version": NaN}',
        b"[" * 30_000 + b"]" * 30_000,
    ],
)
def test_a_signed_manifest_that_is_not_json_of_a_manifest_is_refused(
    tmp_path: Path, acme: Signer, trust: TrustStore, raw: bytes
) -> None:
    path = _signed_manifest_bundle(tmp_path, acme, raw)
    with pytest.raises(TrustError, match="not a valid manifest"):
        verify_bundle(path, trust, now=NOW)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    manifest=st.one_of(
        json_values.map(lambda value: json.dumps(value).encode()),
        st.fixed_dictionaries(
            {},
            optional={
                "format": json_values,
                "supplier": json_values,
                "catalogue_version": json_values,
                "created": json_values,
                "expires": json_values,
                "files": json_values,
            },
        ).map(lambda value: json.dumps(value).encode()),
        st.binary(max_size=300),
    ),
    signed=st.booleans(),
)
def test_fuzzed_manifests_give_a_refusal_never_a_traceback(
    tmp_path: Path, acme: Signer, trust: TrustStore, manifest: bytes, signed: bool
) -> None:
    signature = acme.sign(manifest) if signed else b"\0" * 64
    path = raw_zip(
        tmp_path / "fuzz.zip",
        [(MANIFEST_NAME, manifest), (SIGNATURE_NAME, signature), ("catalogue.yaml", b"x: 1\n")],
    )
    with pytest.raises((TrustError, UnreadableInput)):
        verify_bundle(path, trust, now=NOW)


@given(st.binary(max_size=2000))
def test_peeking_at_unverified_bytes_never_fails(raw: bytes) -> None:
    supplier = peek_supplier(raw)
    assert supplier is None or supplier.isascii()


def test_a_manifest_round_trips_through_its_bytes() -> None:
    manifest = manifest_for(b"data", days=30)
    assert Manifest.from_bytes(manifest.to_bytes()) == manifest
    assert manifest.expires - manifest.created == timedelta(days=30)


def test_the_bundle_reader_uses_the_public_file_readers() -> None:
    """``meso_formulary.files`` is imported as a package, never through its private modules."""
    tree = ast.parse(Path(bundle.__file__).read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "meso_formulary.files" in modules
    assert not {m for m in modules if m and m.startswith("meso_formulary.files.")}
