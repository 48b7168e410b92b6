"""CAS, SNOMED CT and ICD-10 identifiers, and name keys."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meso_formulary.identifiers import (
    CAS_PLACEHOLDERS,
    cas_check_digit,
    clean_text,
    is_valid_cas,
    name_key,
    validate_cas,
    validate_icd10,
    validate_snomed_concept,
    verhoeff_ok,
)


@pytest.mark.parametrize(
    "cas", ["50-81-7", "9067-32-7", "137-58-6", "7732-18-5", "58-85-5", "113170-55-1"]
)
def test_real_cas_numbers_pass(cas: str) -> None:
    assert is_valid_cas(cas)
    assert validate_cas(cas) == cas


def test_the_cosing_placeholder_is_refused_although_its_check_digit_is_right() -> None:
    assert cas_check_digit("99999999") == 4
    assert not is_valid_cas("999999-99-4")
    with pytest.raises(ValueError, match="placeholder"):
        validate_cas("999999-99-4")


@pytest.mark.parametrize("bad", ["50-81-8", "5081-7", "50-81-", "abc", "", "50–81–7", " 50-81-7"])
def test_malformed_or_wrong_check_digit_cas_is_refused(bad: str) -> None:
    assert not is_valid_cas(bad)
    with pytest.raises(ValueError):
        validate_cas(bad)


cas_bodies = st.text(alphabet="0123456789", min_size=4, max_size=9).filter(lambda s: s[0] != "0")


def _cas(body: str) -> str:
    return f"{body[:-2]}-{body[-2:]}-{cas_check_digit(body)}"


@given(cas_bodies)
def test_generated_cas_numbers_pass(body: str) -> None:
    cas = _cas(body)
    assert is_valid_cas(cas) is (cas not in CAS_PLACEHOLDERS)


@given(cas_bodies, st.data())
def test_single_digit_changes_fail_unless_the_scheme_cannot_see_them(
    body: str, data: st.DataObject
) -> None:
    """A changed digit is caught unless weight x change is a multiple of 10.

    The CAS scheme weights digits 1, 2, 3 ... from the right, mod 10: a change at a weight
    coprime to 10 (1, 3, 7, 9), or of the check digit itself, is always caught; a change of
    an even amount at weight 5 (or of 5 at an even weight) is not. That blind spot is the
    scheme's, so the test states it exactly rather than pretending otherwise.
    """
    cas = _cas(body)
    digit_positions = [i for i, c in enumerate(cas) if c.isdigit()]
    position = data.draw(st.sampled_from(digit_positions))
    new_digit = data.draw(st.sampled_from([d for d in "0123456789" if d != cas[position]]))
    changed = cas[:position] + new_digit + cas[position + 1 :]
    if position == len(cas) - 1:
        assert not is_valid_cas(changed)
        return
    weight = digit_positions[::-1].index(position)  # 0 for the check digit, then 1, 2 ...
    delta = int(new_digit) - int(cas[position])
    caught = (weight * delta) % 10 != 0
    if changed in CAS_PLACEHOLDERS:
        assert not is_valid_cas(changed)
    else:
        assert is_valid_cas(changed) is not caught


@pytest.mark.parametrize("sctid", ["56317004", "87872006", "68225006", "49765009", "36209000"])
def test_snomed_concepts_pass_verhoeff(sctid: str) -> None:
    assert validate_snomed_concept(sctid) == sctid


def test_a_published_snomed_id_with_a_wrong_check_digit_is_refused() -> None:
    # domain.md: a public knowledge graph lists botulinum toxin as 372597009, which fails Verhoeff.
    with pytest.raises(ValueError, match="Verhoeff"):
        validate_snomed_concept("372597009")


def test_snomed_description_ids_are_not_concepts() -> None:
    # Partition 01 marks a description id: compute a valid Verhoeff id with that partition.
    body = "12345601"
    for check in "0123456789":
        if verhoeff_ok(body + check):
            with pytest.raises(ValueError, match="partition"):
                validate_snomed_concept(body + check)
            break
    else:  # pragma: no cover - Verhoeff always has exactly one check digit
        pytest.fail("no Verhoeff check digit found")


@pytest.mark.parametrize("code", ["L90.6", "L64", "L64.9", "E65", "L81.1"])
def test_icd10_shapes(code: str) -> None:
    assert validate_icd10(code) == code


@pytest.mark.parametrize("code", ["l90.6", "L9", "L90.", "L90.123", "R22-2", ""])
def test_bad_icd10_shapes(code: str) -> None:
    with pytest.raises(ValueError):
        validate_icd10(code)


def test_unicode_variants_of_one_name_share_a_key() -> None:
    variants = [
        "Vitamin B12",
        "Vitamin B₁₂",
        "vitamin\u00a0b12",
        "VITAMIN B12 ",
        "Vitamin\u200b B12",
        "  vitamin   b12",
    ]
    assert {name_key(v) for v in variants} == {"vitamin b12"}
    nfc = unicodedata.normalize("NFC", "réticulé")
    nfd = unicodedata.normalize("NFD", "réticulé")
    assert nfc != nfd and name_key(nfc) == name_key(nfd)


def test_a_confusable_cyrillic_letter_does_not_pass_as_latin() -> None:
    assert name_key("Vitаmin B12") != name_key("Vitamin B12")  # Cyrillic а


@given(st.text())
def test_clean_text_is_idempotent_and_has_no_control_characters(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert not any(unicodedata.category(c) in {"Cc", "Cf"} for c in cleaned)
