"""The signing and trust commands, run through ``meso`` itself (errors without tracebacks)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cli_support import Meso
from publish_support import NOW, make_catalogue, make_signer, write_catalogue

from meso_formulary.catalogue.publishing.importing import import_path
from meso_formulary.catalogue.publishing.signing import publish_catalogue
from meso_formulary.catalogue.publishing.trust import catalogue_trust
from meso_formulary.catalogue.store.catalogue_store import Catalogue
from meso_formulary.notice import NOT_MEDICAL_ADVICE_LINE


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_keygen_prints_the_fingerprint_and_refuses_to_overwrite(meso: Meso, tmp_path: Path) -> None:
    result = meso("keygen", "acme", "-o", "keys")
    assert result.exit_code == 0
    public = (tmp_path / "keys" / "acme.pub").read_text()
    key_line = public.splitlines()[-1]
    assert key_line in result.stdout
    fingerprint = result.stdout.split("fingerprint: ")[1].splitlines()[0]
    assert fingerprint in public
    again = meso("keygen", "acme", "-o", "keys")
    assert again.exit_code == 1
    assert "Error:" in again.stderr and "already exists" in again.stderr
    assert "Hint: pass --force" in again.stderr
    assert (tmp_path / "keys" / "acme.pub").read_text() == public
    assert meso("keygen", "acme", "-o", "keys", "--force").exit_code == 0


def test_keygen_refuses_a_bad_supplier_id(meso: Meso) -> None:
    result = meso("keygen", "../acme")
    assert result.exit_code == 1
    assert "not a supplier id" in result.stderr


def test_publish_signs_a_valid_catalogue(meso: Meso, tmp_path: Path) -> None:
    meso("keygen", "acme", "-o", "keys")
    source = write_catalogue(tmp_path, make_catalogue(version=5))
    result = meso(
        "publish", source, "--key", "keys/acme.key", "-o", "acme.zip", "--expires-days", "30"
    )
    assert result.exit_code == 0, result.stderr
    assert "signed catalogue version 5 of supplier acme into acme.zip" in result.stdout
    with zipfile.ZipFile(tmp_path / "acme.zip") as archive:
        assert json.loads(archive.read("MANIFEST.json"))["catalogue_version"] == 5
    again = meso("publish", source, "--key", "keys/acme.key", "-o", "acme.zip")
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_publish_refuses_an_invalid_catalogue_with_its_problems(meso: Meso, tmp_path: Path) -> None:
    meso("keygen", "acme", "-o", "keys")
    source = tmp_path / "bad.yaml"
    source.write_text("format: meso-formulary/1\nsupplier: {id: acme, name: Acme}\nversion: 0\n")
    result = meso("publish", source, "--key", "keys/acme.key", "-o", "acme.zip")
    assert result.exit_code == 1
    assert "not a valid catalogue" in result.stderr
    assert "bad.yaml:3: version" in result.stderr
    assert not (tmp_path / "acme.zip").exists()


def test_publish_with_a_missing_key_is_unreadable_input(meso: Meso, tmp_path: Path) -> None:
    source = write_catalogue(tmp_path, make_catalogue())
    result = meso("publish", source, "--key", "nokey.key", "-o", "acme.zip")
    assert result.exit_code == 2
    assert "cannot read nokey.key" in result.stderr


def test_trust_add_shows_the_fingerprint_and_asks(meso: Meso, tmp_path: Path) -> None:
    signer = make_signer(tmp_path / "keys", "acme")
    declined = meso("trust", "add", "acme", signer.files.public_path, "--db", "c.db", input="n\n")
    assert declined.exit_code == 1
    assert signer.public.grouped_fingerprint in declined.stdout
    with Catalogue.open(tmp_path / "c.db") as catalogue:
        assert catalogue_trust(catalogue).pinned() == ()
    accepted = meso("trust", "add", "acme", signer.files.public_path, "--db", "c.db", input="y\n")
    assert accepted.exit_code == 0 and "key pinned" in accepted.stdout
    again = meso("trust", "add", "acme", signer.public.text(), "--db", "c.db", "--yes")
    assert again.exit_code == 0 and "already pinned" in again.stdout
    with Catalogue.open(tmp_path / "c.db") as catalogue:
        assert [p.key for p in catalogue_trust(catalogue).pinned()] == [signer.public]


def test_trust_add_refuses_a_key_named_for_another_supplier(meso: Meso, tmp_path: Path) -> None:
    signer = make_signer(tmp_path / "keys", "acme")
    result = meso("trust", "add", "bravo", signer.files.public_path, "--db", "c.db", "-y")
    assert result.exit_code == 1
    assert "this key is for supplier 'acme', not 'bravo'" in result.stderr
    assert not (tmp_path / "c.db").exists()


def test_trust_add_refuses_garbage_and_needs_a_catalogue(meso: Meso, tmp_path: Path) -> None:
    signer = make_signer(tmp_path / "keys", "acme")
    garbage = meso("trust", "add", "acme", "meso-ed25519:acme:AAAA", "--db", "c.db", "-y")
    assert garbage.exit_code == 1 and "has 3 bytes" in garbage.stderr
    no_db = meso("trust", "add", "acme", signer.files.public_path, "-y")
    assert no_db.exit_code == 1 and "--db" in no_db.stderr


def test_trust_list_and_remove(meso: Meso, tmp_path: Path) -> None:
    acme = make_signer(tmp_path / "keys", "acme")
    bravo = make_signer(tmp_path / "keys", "bravo")
    with Catalogue.open(tmp_path / "c.db") as catalogue:
        trust = catalogue_trust(catalogue)
        trust.add(acme.public)
        trust.add(bravo.public)
        source = write_catalogue(tmp_path, make_catalogue(version=4))
        bundle = tmp_path / "acme.zip"
        publish_catalogue(source, key=acme.files.private_path, output=bundle, now=NOW)
        import_path(catalogue, bundle, now=NOW)
    listed = meso("trust", "list", "--db", "c.db", "--json")
    assert listed.exit_code == 0
    records = json.loads(listed.stdout)
    assert [
        (r["supplier"], r["fingerprint"], r["catalogue_version"], r["verified"]) for r in records
    ] == [
        ("acme", acme.public.fingerprint, 4, True),
        ("bravo", bravo.public.fingerprint, None, None),
    ]
    table = meso("trust", "list", "--db", "c.db")
    assert "acme" in table.stdout and acme.public.grouped_fingerprint[:9] in table.stdout
    wrong = meso("trust", "remove", "acme", bravo.public.fingerprint, "--db", "c.db")
    assert wrong.exit_code == 1 and "no key with fingerprint" in wrong.stderr
    removed = meso("trust", "remove", "acme", acme.public.grouped_fingerprint, "--db", "c.db")
    assert removed.exit_code == 0
    assert f"removed acme {acme.public.grouped_fingerprint}" in removed.stdout
    remaining = json.loads(meso("trust", "list", "--db", "c.db", "--json").stdout)
    assert [r["supplier"] for r in remaining] == ["bravo"]


def test_trust_list_of_a_missing_catalogue_is_an_error(meso: Meso) -> None:
    result = meso("trust", "list", "--db", "missing.db")
    assert result.exit_code == 1 and "no catalogue at missing.db" in result.stderr


def test_diff_of_two_files_as_text_and_json(meso: Meso, tmp_path: Path) -> None:
    old = write_catalogue(tmp_path, make_catalogue(version=1, strength=30.0))
    new = write_catalogue(tmp_path, make_catalogue(version=2, strength=45.0), fmt="json")
    text = meso("diff", old, new)
    assert text.exit_code == 0
    assert text.stdout.splitlines() == [
        "acme: catalogue version 1 -> 2",
        "  ~ cocktail acme/hair-revive (Hair Revive)",
        "      ~ dexpanthenol: 30 mg/mL -> 45 mg/mL",
        NOT_MEDICAL_ADVICE_LINE,
    ]
    data = json.loads(meso("diff", old, new, "--json").stdout)
    assert data["cocktails_changed"][0]["strengths"] == [
        {"ingredient": "dexpanthenol", "old": "30 mg/mL", "new": "45 mg/mL"}
    ]


def test_diff_of_two_stored_versions(meso: Meso, tmp_path: Path) -> None:
    signer = make_signer(tmp_path / "keys", "acme")
    with Catalogue.open(tmp_path / "c.db") as catalogue:
        catalogue_trust(catalogue).add(signer.public)
        for version, strength in ((1, 30.0), (2, 35.0), (3, 35.0)):
            source = write_catalogue(tmp_path, make_catalogue(version=version, strength=strength))
            bundle = tmp_path / f"v{version}.zip"
            publish_catalogue(source, key=signer.files.private_path, output=bundle, now=NOW)
            import_path(catalogue, bundle, now=NOW)
    result = meso("diff", "acme", "--from", "1", "--to", "2", "--db", "c.db")
    assert "      ~ dexpanthenol: 30 mg/mL -> 35 mg/mL" in result.stdout
    latest = meso("diff", "acme", "--from", "2", "--db", "c.db", "--json")
    assert json.loads(latest.stdout)["new_version"] == 3
    missing = meso("diff", "acme", "--from", "9", "--db", "c.db")
    assert missing.exit_code == 1 and "no catalogue version 9" in missing.stderr


@pytest.mark.parametrize(
    "args",
    [("diff", "acme"), ("diff", "a", "b", "c"), ("diff", "a", "b", "--from", "1")],
)
def test_diff_usage_errors(meso: Meso, args: tuple[str, ...]) -> None:
    result = meso(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr


def test_a_supplier_and_a_practitioner_end_to_end(meso: Meso, tmp_path: Path) -> None:
    assert meso("keygen", "acme", "-o", "keys").exit_code == 0
    source = write_catalogue(tmp_path, make_catalogue(version=2))
    assert meso("publish", source, "--key", "keys/acme.key", "-o", "acme.zip").exit_code == 0
    refused = meso("import", "acme.zip", "--db", "c.db")
    assert refused.exit_code == 1 and "unknown supplier 'acme'" in refused.stderr
    assert meso("trust", "add", "acme", "keys/acme.pub", "--db", "c.db", "--yes").exit_code == 0
    imported = meso("import", "acme.zip", "--db", "c.db")
    assert imported.exit_code == 0, imported.stderr
    replay = meso("import", "acme.zip", "--db", "c.db")
    assert replay.exit_code == 1 and "replay refused" in replay.stderr
    (record,) = json.loads(meso("trust", "list", "--db", "c.db", "--json").stdout)
    assert (record["catalogue_version"], record["verified"]) == (2, True)


def test_import_cosing_adds_dictionary_entries(meso: Meso, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "substanceId,inciName,casNo,ecNo,functionName,cosmeticRestriction\r\n"
        "70001,ZZTEST GLYCOSIDE,50-00-0,200-001-8,ANTIOXIDANT | HUMECTANT,III/9\r\n"
        "70002,ZZTEST BAD CAS,50-00-1,-,SOLVENT,\r\n",
        "utf-8",
    )
    result = meso("import-cosing", inventory, "--db", "c.db")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "2 ingredients added, 0 updated, 1 notes"
    assert "inventory.csv:3: casNo: '50-00-1' is not a valid CAS number" in result.stderr
    with Catalogue.open(tmp_path / "c.db") as catalogue:
        (found,) = catalogue.ingredients(text="zztest glycoside")
    assert found.id == "zztest-glycoside" and found.cas == "50-00-0"
    quiet = meso("import-cosing", inventory, "--db", "c.db", "--quiet")
    assert quiet.stdout.strip() == "0 ingredients added, 0 updated, 1 notes"
    assert quiet.stderr == ""
    assert meso("import-cosing", inventory).exit_code == 1


# ---------------------------------------------------------------- hardening (issue 14)

IDENTITY_KEY = "meso-ed25519:acme:" + base64.b64encode(bytes([1]) + bytes(31)).decode()
"""The identity point as acme's key: with it, a signature needs no private key."""


def test_trust_add_refuses_a_small_order_key_and_says_why(meso: Meso) -> None:
    result = meso("trust", "add", "acme", IDENTITY_KEY, "--db", "c.db", "-y")
    assert result.exit_code == 1
    assert "small-order key: any signature would verify" in result.stderr
    assert not Path("c.db").exists()  # refused before the catalogue is opened


def test_publish_refuses_a_private_key_others_may_read(meso: Meso, tmp_path: Path) -> None:
    signer = make_signer(tmp_path / "keys", "acme")
    source = write_catalogue(tmp_path, make_catalogue())
    key = signer.files.private_path
    key.chmod(0o644)
    refused = meso("publish", source, "--key", key, "-o", "acme.zip")
    assert refused.exit_code == 1
    assert "UNPROTECTED PRIVATE KEY FILE" in refused.stderr and "mode 0644" in refused.stderr
    assert f"Hint: chmod 600 {key}" in refused.stderr
    assert not (tmp_path / "acme.zip").exists()
    key.chmod(0o600)
    assert meso("publish", source, "--key", key, "-o", "acme.zip").exit_code == 0


def test_trust_remove_removes_a_row_stored_under_another_fingerprint(
    meso: Meso, tmp_path: Path
) -> None:
    acme = make_signer(tmp_path / "keys", "acme")
    with Catalogue.open(tmp_path / "c.db") as catalogue:  # a row written by other hands
        catalogue.conn.execute(
            "INSERT INTO trusted_keys VALUES ('acme', ?, ?, '2026-01-01T00:00:00Z')",
            ("a" * 64, acme.public.raw),
        )
        catalogue.conn.commit()
    removed = meso("trust", "remove", "acme", acme.public.fingerprint, "--db", "c.db")
    assert removed.exit_code == 0, removed.stderr
    assert f"removed acme {acme.public.grouped_fingerprint}" in removed.stdout
    assert json.loads(meso("trust", "list", "--db", "c.db", "--json").stdout) == []


_RUN_COMMANDS = """
import json, sys
from click.testing import CliRunner
from meso_formulary.cli import cli
results = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(cli, args)
    results.append([result.exit_code, result.output])
print(json.dumps(results))
"""


def test_special_files_are_refused_unread(data_dir: Path, tmp_path: Path) -> None:
    make_signer(tmp_path / "keys", "acme")
    source = write_catalogue(tmp_path, make_catalogue())
    for name in ("fifo.key", "fifo.pub", "fifo.yaml"):
        os.mkfifo(tmp_path / name)  # opening one for reading would block forever
    commands = [
        ["publish", str(source), "--key", "fifo.key", "-o", "out.zip"],
        ["publish", str(source), "--key", "keys", "-o", "out.zip"],
        ["publish", str(source), "--key", os.devnull, "-o", "out.zip"],
        ["publish", "fifo.yaml", "--key", "keys/acme.key", "-o", "out.zip"],
        ["trust", "add", "acme", "fifo.pub", "--db", "c.db", "-y"],
        ["trust", "add", "acme", os.devnull, "--db", "c.db", "-y"],
        ["diff", "fifo.yaml", str(source)],
    ]
    try:
        done = subprocess.run(
            [sys.executable, "-c", _RUN_COMMANDS, json.dumps(commands)],
            cwd=tmp_path,
            env={**os.environ, "MESO_DATA_DIR": str(data_dir)},
            capture_output=True,
            text=True,
            timeout=20,  # a hang detector only
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("a command opened a FIFO for reading and hung")
    for command, (code, output) in zip(commands, json.loads(done.stdout), strict=True):
        assert code == 2, (command, output)
        assert "not a regular file" in output or "is a directory" in output, (command, output)
    assert not (tmp_path / "out.zip").exists() and not (tmp_path / "c.db").exists()
