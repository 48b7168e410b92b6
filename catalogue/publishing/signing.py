"""Publishing: sign a supplier's catalogue file into a bundle.

The catalogue is validated first (an invalid catalogue is never signed), then hashed, and
the manifest that names its hash, the supplier, the catalogue version and the validity
window is signed with the supplier's Ed25519 key. The bundle holds the file byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from meso_formulary.catalogue.publishing.bundle import (
    MAX_MEMBER_BYTES,
    MAX_VALIDITY_DAYS,
    FileEntry,
    Manifest,
    bounds_problem,
    catalogue_member_name,
    now_utc,
    parse_catalogue,
    sha256_hex,
    write_bundle,
)
from meso_formulary.catalogue.publishing.keys import PublicKey, load_private_key, public_key_of
from meso_formulary.errors import InvalidInput
from meso_formulary.files import read_bytes

DEFAULT_EXPIRES_DAYS = 365
MAX_EXPIRES_DAYS = MAX_VALIDITY_DAYS
"""The longest validity ``meso publish`` signs (:data:`.bundle.MAX_VALIDITY_DAYS`)."""


@dataclass(frozen=True, slots=True)
class Published:
    """A bundle that was written: where, what it says, and the key that signed it."""

    path: Path
    manifest: Manifest
    key: PublicKey


def publish_catalogue(
    source: Path,
    *,
    key: Path,
    output: Path,
    expires_days: int = DEFAULT_EXPIRES_DAYS,
    force: bool = False,
    now: datetime | None = None,
) -> Published:
    """Validate ``source``, sign it with the private key at ``key`` and write ``output``."""
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise InvalidInput(
            f"--expires-days must be between 1 and {MAX_EXPIRES_DAYS} (got {expires_days})"
        )
    private_key = load_private_key(key)  # an unprotected or unusable key fails first
    member = catalogue_member_name(source)
    raw = read_bytes(source, max_bytes=MAX_MEMBER_BYTES)
    catalogue = parse_catalogue(raw, member, str(source))
    created = (now or now_utc()).replace(microsecond=0)
    problem = bounds_problem(catalogue.version, created, created + timedelta(days=expires_days))
    if problem is not None:
        raise InvalidInput(f"{source}: cannot publish: {problem}")
    manifest = Manifest(
        supplier=catalogue.supplier.id,
        catalogue_version=catalogue.version,
        created=created,
        expires=created + timedelta(days=expires_days),
        files=(FileEntry(name=member, sha256=sha256_hex(raw), size=len(raw)),),
    )
    manifest_bytes = manifest.to_bytes()
    write_bundle(
        output,
        manifest=manifest_bytes,
        signature=private_key.sign(manifest_bytes),
        files={member: raw},
        force=force,
    )
    return Published(output, manifest, public_key_of(catalogue.supplier.id, private_key))
