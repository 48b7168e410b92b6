"""Secrets are never echoed: a private key passed where a catalogue or a public key is
expected gives an error that names the file, never its content.

Every command that reads a file is run with a real private key from ``meso keygen`` (as the
file itself, under a catalogue's name, on stdin, truncated), and no run may print any
stretch of the key's base64. The redaction itself is tested on the forms a message can
quote: a whole PEM block, its first line only, its ``repr`` and the ``meso-ed25519:`` line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import Meso
from publish_support import make_catalogue, write_catalogue

from meso_formulary.catalogue.publishing.keys import KeyFiles, generate_keypair
from meso_formulary.errors import (
    REDACTED_KEY,
    REDACTED_PRIVATE,
    InvalidInput,
    MesoError,
    Problem,
    redact_secrets,
)
from meso_formulary.files.problems import MAX_VALUE_REPR, short_repr

DER_PREFIX = "MC4CAQAwBQYDK2VwBCIEI"
"""The fixed start of every Ed25519 PKCS#8 key in base64 (no secret in it)."""


def _secret_windows(files: KeyFiles) -> list[str]:
    """Every 12-character stretch of the key material: the private key's base64 past its
    fixed prefix, and the public key's base64."""
    pem = files.private_path.read_text("ascii").splitlines()
    body = "".join(line for line in pem if not line.startswith("-----"))
    assert body.startswith(DER_PREFIX)
    secrets = [body[len(DER_PREFIX) + 1 :], files.public_key.text().rsplit(":", 1)[1]]
    return [s[i : i + 12] for s in secrets for i in range(len(s) - 11)]


def _assert_not_echoed(files: KeyFiles, output: str) -> None:
    leaked = [window for window in _secret_windows(files) if window in output]
    assert not leaked, f"key material echoed: {leaked[:3]}\n{output}"


# ---------------------------------------------------------------- redaction


def test_a_pem_block_is_redacted_whole_quoted_folded_or_cut(tmp_path: Path) -> None:
    files = generate_keypair("acme", tmp_path)
    pem = files.private_path.read_text("ascii")
    forms = [
        pem,
        repr(pem),
        " ".join(pem.split()),  # a YAML plain scalar folds the lines
        pem.splitlines()[0] + "\n" + pem.splitlines()[1][:30],  # no END line
        pem.lower(),
    ]
    for form in forms:
        text = redact_secrets(f"got {form} here")
        assert REDACTED_PRIVATE in text and text.startswith("got ")
        _assert_not_echoed(files, text)
    public = redact_secrets(f"key {files.public_key.text()}!")
    assert public == f"key {REDACTED_KEY}!"


def test_text_without_key_material_is_unchanged() -> None:
    for text in (
        "a public key reads meso-ed25519:<supplier>:<base64>",
        "--format yaml ----- a rule",
        "cocktails.0.name: too long (got 'x')",
    ):
        assert redact_secrets(text) == text


def test_problems_errors_and_quoted_values_never_keep_key_material(tmp_path: Path) -> None:
    files = generate_keypair("acme", tmp_path)
    pem = files.private_path.read_text("ascii").strip()
    problem = Problem(f"bad value {pem}", value=pem)
    assert problem.message == f"bad value {REDACTED_PRIVATE}"
    assert problem.value == REDACTED_PRIVATE
    assert Problem("bytes", value=pem.encode()).value == REDACTED_PRIVATE
    error = InvalidInput(f"cannot use {pem}", [problem], hint=f"not {pem}")
    _assert_not_echoed(files, f"{error} {error.hint}")
    _assert_not_echoed(files, str(MesoError(files.public_key.text())))
    assert short_repr(pem) == repr(REDACTED_PRIVATE)


def test_echoed_values_are_bounded() -> None:
    assert len(short_repr("x" * 10_000)) == MAX_VALUE_REPR
    assert len(str(Problem("long", value="y" * 10_000).value)) == MAX_VALUE_REPR
    assert Problem("short", value="as it is").value == "as it is"
    assert Problem("number", value=12).value == 12


# ---------------------------------------------------------------- every entry point


@pytest.fixture
def key_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KeyFiles:
    """A key pair, copies of the private key under catalogue names, in the working folder."""
    monkeypatch.chdir(tmp_path)
    files = generate_keypair("acme", tmp_path)
    for name in ("key.yaml", "key.json", "key.csv"):
        shutil.copy(files.private_path, tmp_path / name)
    pem = files.private_path.read_text("ascii")
    (tmp_path / "cut.yaml").write_text(pem[: len(pem) // 2])  # a truncated copy, no END line
    (tmp_path / "cut.yaml").chmod(0o600)
    (tmp_path / "pub.yaml").write_text(files.public_key.text())
    write_catalogue(tmp_path, make_catalogue())  # acme-v1.yaml
    return files


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "key.yaml", "key.json", "key.csv", "cut.yaml", "pub.yaml", "acme.key"),
        ("validate", "--format", "yaml", "acme.key"),
        ("validate", "--format", "csv", "acme.key"),
        ("validate", "-"),
        ("import", "--unsigned", "--db", "DB", "key.yaml", "key.csv", "cut.yaml", "pub.yaml"),
        ("import", "--unsigned", "--db", "DB", "--format", "yaml", "acme.key"),
        ("import", "--db", "DB", "acme.key"),
        ("import", "--unsigned", "--db", "DB", "-"),
        ("trust", "add", "acme", "acme.key", "--db", "c.db", "-y"),
        ("trust", "add", "acme", "key.yaml", "--db", "c.db", "-y"),
        ("publish", "key.yaml", "--key", "acme.key", "-o", "out.zip"),
        ("publish", "acme-v1.yaml", "--key", "cut.yaml", "-o", "out.zip"),
        ("publish", "acme-v1.yaml", "--key", "acme.pub", "-o", "out.zip"),
        ("diff", "key.yaml", "cut.yaml"),
    ],
    ids=lambda args: "-".join(a for a in args if not a.startswith("-"))[:40],
)
def test_no_command_echoes_a_private_key(
    meso: Meso, db: Path, key_folder: KeyFiles, args: tuple[str, ...]
) -> None:
    key = key_folder.private_path.read_text("ascii")
    args = tuple(str(db) if arg == "DB" else arg for arg in args)  # the session's catalogue
    result = meso(*args, input=key if "-" in args else None)
    assert result.exit_code != 0  # none of these is a catalogue or a public key
    _assert_not_echoed(key_folder, result.stdout + result.stderr)
    assert "Error" in result.stderr or "error" in result.stdout
