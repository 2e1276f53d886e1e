"""Tests of contracts.uscc: the 统一社会信用代码 of GB 32100-2015.

The standard's own example code must validate; since 31 is prime and no
weight is a multiple of it, the check character must catch every single
character substitution; the letters I O Z S V are not in the alphabet; and a
code whose embedded 组织机构代码 (GB 11714) has a wrong check character is
refused even when the GB 32100 check character is right.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import uscc
from node.samples import SAMPLE_MEMBERS

EXAMPLE = "91350100M000100Y43"
"""The example of GB 32100-2015: 9 工商, 1 企业, 350100 福州市, M000100Y4, check 3."""


def test_standard_example_is_valid():
    """The published example validates; its parts carry both check characters."""
    assert uscc.validate(EXAMPLE) == EXAMPLE
    assert uscc.check_char(EXAMPLE[:17]) == "3"
    assert uscc.org_check_char("M000100Y") == "4"


def test_alphabet_leaves_out_i_o_z_s_v():
    """The alphabet is the 10 digits and 21 letters, valued 0..30; I O Z S V are not in it."""
    assert len(uscc.ALPHABET) == 31 == len(set(uscc.ALPHABET))
    assert uscc.ALPHABET[:10] == "0123456789"
    assert set(uscc.ALPHABET[10:]) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") - set("IOZSV")
    assert uscc.WEIGHTS == tuple(3**i % 31 for i in range(17))


def reference_check_char(first17: str) -> str:
    """GB 32100 §5 written out again: C18 = 31 - (Σ Ci·Wi mod 31), with 31 → 0."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    c18 = 31 - sum(alphabet.index(c) * w for c, w in zip(first17, weights)) % 31
    return alphabet[0 if c18 == 31 else c18]


def test_invalid_every_single_substitution():
    """Every substitution of one character of a valid code by another character
    of the alphabet (or any other character) is refused."""
    for code in (EXAMPLE, SAMPLE_MEMBERS[0].uscc, SAMPLE_MEMBERS[-1].uscc):
        uscc.validate(code)
        tried = 0
        for i in range(18):
            for c in uscc.ALPHABET + "IOZSVaz-":
                if c == code[i]:
                    continue
                with pytest.raises(uscc.InvalidUSCC):
                    uscc.validate(code[:i] + c + code[i + 1:])
                tried += 1
        assert tried == 18 * 38


def test_check_character_catches_substitutions_that_keep_the_shape():
    """For substitutions that keep a valid shape, it is the check character that refuses them."""
    for i in range(17):
        for c in uscc.ALPHABET:
            if c == EXAMPLE[i] or (2 <= i < 8 and not c.isdigit()):
                continue
            changed = EXAMPLE[:i] + c + EXAMPLE[i + 1:17]
            assert uscc.check_char(changed) != EXAMPLE[17], (i, c)


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_invalid_letters_outside_the_alphabet(letter):
    """A code holding I, O, Z, S or V is refused, even with a check character
    computed as if the letter were allowed."""
    body = "9135" + "0100" + letter + "000100Y4"
    with pytest.raises(uscc.InvalidUSCC):
        uscc.validate(body + "0")
    for c in uscc.ALPHABET:
        with pytest.raises(uscc.InvalidUSCC):
            uscc.validate(body + c)


@pytest.mark.parametrize("code", [
    "", EXAMPLE[:17], EXAMPLE + "0", EXAMPLE[:-1] + "33", " " + EXAMPLE, EXAMPLE.lower(),
    "91350100m000100Y43", None, 91350100, EXAMPLE.encode(),
], ids=repr)
def test_invalid_length_case_and_type(code):
    """Codes of the wrong length, in lower case or not text at all are refused."""
    with pytest.raises(uscc.InvalidUSCC):
        uscc.validate(code)


def test_invalid_region_must_be_digits():
    """The 6-character 行政区划码 is digits only, even with a matching check character."""
    first17 = "91A50100M000100Y4"
    with pytest.raises(uscc.InvalidUSCC):
        uscc.validate(first17 + uscc.check_char(first17))


def test_invalid_embedded_organization_code():
    """A code with a correct GB 32100 check character but a wrong GB 11714 check
    character in its embedded 组织机构代码 is refused."""
    for wrong in "0123456789X":
        if wrong == "4":
            continue
        first17 = "91350100M000100Y" + wrong
        code = first17 + uscc.check_char(first17)
        # shape and GB 32100 check character are right: only the embedded check can refuse it
        assert uscc._SHAPE.match(code) and code[17] == reference_check_char(first17)
        with pytest.raises(uscc.InvalidUSCC):
            uscc.validate(code)


@pytest.mark.parametrize("body,check", [
    ("D2143569", "X"),  # the GB 11714 example, D2143569-X: Σ = 199, 11 - 199 mod 11 = 10 → X
    ("M000100Y", "4"),  # the organisation code inside the GB 32100 example
    ("00000000", "0"),  # 11 - 0 = 11 → 0
    ("00000001", "9"),  # 11 - 1·2 = 9
])
def test_org_check_char_known_answers(body, check):
    """org_check_char gives GB 11714's check character: 11 - (Σ Ci·Wi mod 11), 10 → X, 11 → 0."""
    assert uscc.org_check_char(body) == check


prefixes = st.tuples(
    st.sampled_from(uscc.ALPHABET), st.sampled_from(uscc.ALPHABET),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
).map("".join)
org_bodies = st.text(alphabet=uscc.ALPHABET, min_size=8, max_size=8)


@settings(max_examples=300, deadline=None)
@given(prefixes, org_bodies)
def test_make_outputs_validate(prefix, org_body):
    """make() builds codes that validate, with both check characters as the standards define them."""
    code = uscc.make(prefix, org_body)
    assert uscc.validate(code) == code
    assert len(code) == 18 and code.startswith(prefix + org_body)
    assert code[17] == reference_check_char(code[:17])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17))
def test_check_char_matches_reference(first17):
    """check_char agrees with the formula of GB 32100 written out independently."""
    assert uscc.check_char(first17) == reference_check_char(first17)


def test_sample_members_codes_are_valid():
    """Every sample member's code is a valid, distinct 统一社会信用代码 of a Beijing 机关."""
    codes = [m.uscc for m in SAMPLE_MEMBERS]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert uscc.validate(code) == code
        assert code[:2] == "11" and code[2:4] == "11"
