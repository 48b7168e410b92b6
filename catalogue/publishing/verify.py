"""Verified import: a bundle is checked completely before any of its catalogue is parsed.

:func:`verify_bundle` checks, in this order, and stops at the first failure with a
:class:`~meso_formulary.errors.TrustError` saying why (:class:`UnreadableInput` when the zip
cannot be read at all, :class:`InvalidInput` when a genuine bundle holds an invalid
catalogue):

1. the zip itself (size, member count, plain names, no links, no duplicates, declared sizes);
2. the Ed25519 signature over the raw ``MANIFEST.json`` bytes, against every pinned key:
   nothing in the manifest is read before one verifies; strict Ed25519 (a small-order or
   non-canonical key verifies nothing, nor does a non-canonical signature: see
   :meth:`PublicKey.verifies <meso_formulary.catalogue.publishing.keys.PublicKey.verifies>`);
3. the manifest's supplier is a supplier the verifying key is pinned for;
4. the files present are exactly the files listed;
5. each file's size and SHA-256 (the size the zip declares must be the signed size, which
   caps the read; the very bytes hashed are the ones parsed later);
6. ``created <= now < expires``;
7. the catalogue version is above the last verified version imported for the supplier;
8. only then the catalogue is parsed and validated, and its supplier and version must be
   the manifest's.

Importing is :func:`meso_formulary.catalogue.publishing.importing.import_files`'s job: it
verifies bundles here and admits plain files as drafts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from meso_formulary.catalogue.publishing.bundle import (
    CLOCK_SKEW,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    SIGNATURE_BYTES,
    SIGNATURE_NAME,
    BundleReader,
    Manifest,
    now_utc,
    open_bundle,
    parse_catalogue,
    peek_supplier,
    sha256_hex,
)
from meso_formulary.catalogue.publishing.keys import PublicKey, point_weakness
from meso_formulary.catalogue.publishing.trust import TrustStore
from meso_formulary.errors import TrustError
from meso_formulary.model import CatalogueFile

if TYPE_CHECKING:
    pass


@dataclass(frozen=True, slots=True)
class VerifiedCatalogue:
    """A catalogue whose bundle passed every check, with the manifest and the key that signed."""

    catalogue: CatalogueFile
    manifest: Manifest
    key: PublicKey
    path: Path


def verify_bundle(
    path: str | os.PathLike[str], trust: TrustStore, *, now: datetime | None = None
) -> VerifiedCatalogue:
    """Check the bundle at ``path`` against the keys pinned in ``trust`` (see module doc)."""
    path = Path(path)
    with open_bundle(path) as bundle:
        missing = {MANIFEST_NAME, SIGNATURE_NAME} - bundle.names
        if missing:
            raise TrustError(
                f"{path} is not a signed bundle: {', '.join(sorted(missing))} missing",
                hint="a bundle is made by `meso publish`",
            )
        manifest_bytes = bundle.read(MANIFEST_NAME, limit=MAX_MANIFEST_BYTES)
        signature = bundle.read(SIGNATURE_NAME, limit=SIGNATURE_BYTES)
        manifest, key = _verify_signature(path, manifest_bytes, signature, trust)
        raw = _checked_files(path, bundle, manifest)
    _check_dates(path, manifest, now or now_utc())
    _check_replay(path, manifest, trust)
    member = manifest.catalogue.name
    catalogue = parse_catalogue(raw, member, f"{path}:{member}")
    if catalogue.supplier.id != manifest.supplier:
        raise TrustError(
            f"{path}: the catalogue inside claims supplier {catalogue.supplier.id!r} but was "
            f"signed by supplier {manifest.supplier!r}; a supplier may only publish its own "
            "namespace"
        )
    if catalogue.version != manifest.catalogue_version:
        raise TrustError(
            f"{path}: the catalogue is version {catalogue.version} but the signed manifest "
            f"says version {manifest.catalogue_version}"
        )
    return VerifiedCatalogue(catalogue, manifest, key, path)


def _verify_signature(
    path: Path, manifest_bytes: bytes, signature: bytes, trust: TrustStore
) -> tuple[Manifest, PublicKey]:
    if len(signature) != SIGNATURE_BYTES:
        raise TrustError(f"{path}: {SIGNATURE_NAME} is not an Ed25519 signature (64 bytes)")
    pinned = [p.key for p in trust.pinned()]
    signers = [key for key in pinned if key.verifies(signature, manifest_bytes)]
    if not signers:
        raise TrustError(_no_signer(path, manifest_bytes, pinned))
    manifest = Manifest.from_bytes(manifest_bytes)  # signed, so parsing it is safe now
    key = next((k for k in signers if k.supplier == manifest.supplier), None)
    if key is None:
        owners = ", ".join(sorted({f"{k.supplier!r}" for k in signers}))
        raise TrustError(
            f"{path} is signed with a key pinned for supplier {owners} but claims supplier "
            f"{manifest.supplier!r}; a supplier may only publish its own namespace"
        )
    return manifest, key


def _no_signer(path: Path, manifest_bytes: bytes, pinned: list[PublicKey]) -> str:
    """Why no key verified: the claimed supplier is unknown, or its keys did not sign this.

    The claim is read from bytes that did not verify, and only to word the message.
    """
    claimed = peek_supplier(manifest_bytes)
    if claimed is None:
        return f"{path}: the signature does not verify with any pinned key"
    if not any(key.supplier == claimed for key in pinned):
        return (
            f"{path}: unknown supplier {claimed!r}: no key is pinned for it (check the key's "
            f"fingerprint with the supplier, then `meso trust add {claimed} KEY`)"
        )
    weak = [k for k in pinned if k.supplier == claimed and point_weakness(k.raw) is not None]
    if weak:
        return (
            f"{path}: a key pinned for supplier {claimed!r} is refused and verifies nothing: "
            f"{point_weakness(weak[0].raw)} (remove it with `meso trust remove {claimed} "
            f"{weak[0].fingerprint}`)"
        )
    return (
        f"{path}: the signature does not verify with any key pinned for supplier {claimed!r}: "
        "the manifest was changed after signing, or signed with another key"
    )


def _checked_files(path: Path, bundle: BundleReader, manifest: Manifest) -> bytes:
    """The catalogue's bytes once the file set, sizes and hashes match the manifest."""
    listed = {entry.name for entry in manifest.files}
    present = bundle.names - {MANIFEST_NAME, SIGNATURE_NAME}
    if present != listed:
        extra = ", ".join(sorted(present - listed)) or "none"
        missing = ", ".join(sorted(listed - present)) or "none"
        raise TrustError(
            f"{path}: the files do not match the signed manifest (unlisted: {extra}; "
            f"missing: {missing})"
        )
    entry = manifest.catalogue
    declared = bundle.declared_size(entry.name)
    if declared != entry.size:
        raise TrustError(
            f"{path}: {entry.name} has {declared:,} bytes but the signed manifest lists "
            f"{entry.size:,}: it was changed after signing"
        )
    raw = bundle.read(entry.name, limit=entry.size)
    if sha256_hex(raw) != entry.sha256:
        raise TrustError(
            f"{path}: {entry.name} does not match its signed SHA-256: it was changed after signing"
        )
    return raw


def _check_dates(path: Path, manifest: Manifest, now: datetime) -> None:
    if manifest.created > now + CLOCK_SKEW:
        raise TrustError(
            f"{path} was signed in the future ({manifest.created:%Y-%m-%d %H:%M} UTC)",
            hint="check this computer's clock",
        )
    if now >= manifest.expires:
        raise TrustError(
            f"{path} expired on {manifest.expires:%Y-%m-%d %H:%M} UTC",
            hint="ask the supplier for its current bundle",
        )


def _check_replay(path: Path, manifest: Manifest, trust: TrustStore) -> None:
    state = trust.supplier_state(manifest.supplier)
    if (
        state is not None
        and state.verified
        and manifest.catalogue_version <= state.catalogue_version
    ):
        raise TrustError(
            f"{path}: replay refused: catalogue version {manifest.catalogue_version} of "
            f"supplier {manifest.supplier!r} is not newer than the version already imported "
            f"({state.catalogue_version})",
            hint="the catalogue already holds it (nothing to do), or a newer one: ask the "
            "supplier for a bundle of a higher catalogue version",
        )
