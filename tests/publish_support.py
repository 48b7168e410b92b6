"""Helpers for the publishing tests: catalogues, keys, and bundles built by hand.

Hostile bundles are written with :mod:`zipfile` directly, so that a test can put anything
in them (links, duplicate names, lying sizes) that :func:`write_bundle` would never write.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from meso_formulary.catalogue.publishing.bundle import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    FileEntry,
    Manifest,
    sha256_hex,
)
from meso_formulary.catalogue.publishing.keys import (
    KeyFiles,
    PublicKey,
    generate_keypair,
    load_private_key,
)
from meso_formulary.catalogue.publishing.trust import TrustStore, catalogue_trust
from meso_formulary.catalogue.store.catalogue_store import Catalogue
from meso_formulary.files import dump_catalogue
from meso_formulary.model import CatalogueFile

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
"""The clock of every test that signs or verifies (bundles are valid for a year from it)."""


def catalogue_data(
    supplier: str = "acme", version: int = 1, strength: float = 30.0
) -> dict[str, object]:
    """A small valid catalogue whose composition names canonical ingredient ids.

    Ids (not names) make export give back exactly what was imported.
    """
    return {
        "format": "meso-formulary/1",
        "supplier": {"id": supplier, "name": f"{supplier.title()} Aesthetics"},
        "version": version,
        "ingredients": [
            {
                "id": f"{supplier}-peptide",
                "name": f"{supplier.title()} peptide complex",
                "class": "peptide",
                "source": f"{supplier} product sheet 1",
            }
        ],
        "cocktails": [
            {
                "id": f"{supplier}/hair-revive",
                "name": "Hair Revive",
                "supplier": supplier,
                "description": "Scalp cocktail of B vitamins.",
                "composition": [
                    {"ingredient": "biotin", "strength": {"value": 0.5, "unit": "mg/mL"}},
                    {
                        "ingredient": "dexpanthenol",
                        "strength": {"value": strength, "unit": "mg/mL"},
                    },
                    {"ingredient": f"{supplier}-peptide"},
                ],
                "indications": ["alopecia"],
                "areas": ["scalp"],
            },
            {
                "id": f"{supplier}/bright-tone",
                "name": "Bright Tone",
                "supplier": supplier,
                "description": "Brightening cocktail.",
                "composition": [
                    {"ingredient": "niacinamide", "strength": {"value": 20, "unit": "mg/mL"}},
                    {"ingredient": "sodium-hyaluronate", "strength": {"value": 1, "unit": "% w/v"}},
                ],
                "indications": ["hyperpigmentation"],
                "areas": ["face"],
            },
        ],
    }


def make_catalogue(
    supplier: str = "acme", version: int = 1, strength: float = 30.0
) -> CatalogueFile:
    """:func:`catalogue_data` as a model."""
    return CatalogueFile.model_validate(catalogue_data(supplier, version, strength))


def write_catalogue(folder: Path, catalogue: CatalogueFile, fmt: str = "yaml") -> Path:
    """``catalogue`` dumped into ``folder`` as ``<supplier>-v<version>.<fmt>``."""
    path = folder / f"{catalogue.supplier.id}-v{catalogue.version}.{fmt}"
    path.write_text(dump_catalogue(catalogue, "yaml" if fmt == "yaml" else "json"), "utf-8")
    return path


@dataclass(frozen=True)
class Signer:
    """A supplier's key pair on disk and in memory."""

    files: KeyFiles
    private: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        return self.files.public_key

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def make_signer(folder: Path, supplier: str) -> Signer:
    """A fresh key pair for ``supplier`` in ``folder``."""
    files = generate_keypair(supplier, folder)
    return Signer(files, load_private_key(files.private_path))


def trusting(catalogue: Catalogue, *signers: Signer) -> TrustStore:
    """The catalogue's trust store with every signer's key pinned."""
    store = catalogue_trust(catalogue)
    for signer in signers:
        store.add(signer.public)
    return store


def manifest_for(
    data: bytes,
    *,
    supplier: str = "acme",
    version: int = 1,
    name: str = "catalogue.yaml",
    created: datetime = NOW,
    days: int = 365,
) -> Manifest:
    """A manifest listing ``data`` as catalogue ``name``."""
    return Manifest(
        supplier=supplier,
        catalogue_version=version,
        created=created,
        expires=created + timedelta(days=days),
        files=(FileEntry(name=name, sha256=sha256_hex(data), size=len(data)),),
    )


def raw_zip(path: Path, members: Iterable[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    """A zip holding exactly ``members`` (names or hand-made ZipInfo), in order."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def signed_zip(
    path: Path,
    signer: Signer,
    manifest: bytes,
    files: dict[str, bytes],
    *,
    extra: Iterable[tuple[str | zipfile.ZipInfo, bytes]] = (),
) -> Path:
    """A bundle whose manifest bytes ``signer`` signed, holding ``files`` and ``extra``."""
    members: list[tuple[str | zipfile.ZipInfo, bytes]] = [
        (MANIFEST_NAME, manifest),
        (SIGNATURE_NAME, signer.sign(manifest)),
        *files.items(),
        *extra,
    ]
    return raw_zip(path, members)


def symlink_info(name: str) -> zipfile.ZipInfo:
    """A zip entry that unpacks as a symbolic link."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def db_content(catalogue: Catalogue) -> str:
    """Every row and schema object of the catalogue, as SQL text (for "unchanged" checks)."""
    return "\n".join(catalogue.conn.iterdump())
