"""Names in one normal form (contracts/text.py): what 一数一源 and the name rules compare."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, strategies as st

from contracts.text import all_plain, confusable, normalize, plain


@pytest.mark.parametrize("text, normal", [
    ("公民身份号码\u200b", "公民身份号码"),       # zero-width space
    ("公民身份号码\ufe0f", "公民身份号码"),       # variation selector
    ("公民\u200d身份号码", "公民身份号码"),       # zero-width joiner
    ("\ufeff公民身份号码", "公民身份号码"),       # byte-order mark
    ("公民身份\u00ad号码", "公民身份号码"),       # soft hyphen
    ("  公民\u3000 身份号码\t", "公民 身份号码"),  # full-width and runs of spaces
    ("ＩＤ号１２", "ID号12"),                    # full-width letters and digits (NFKC)
    ("\uf900号", "\u8c48号"),                    # a compatibility ideograph becomes its unified form
    ("信息项12-3", "信息项12-3"),                # already normal
])
def test_normal_forms(text, normal):
    assert normalize(text) == normal


@given(st.text(st.characters(codec="utf-8"), max_size=20))
def test_the_fast_path_agrees_with_the_full_rule(text):
    """Whatever path a text takes, its normal form is the full rule's: invisible characters out,
    NFKC by the Unicode 3.2 tables, spaces collapsed (so every node, on any Python, agrees)."""
    import contracts.text as t

    full = t._SPACE.sub(" ", unicodedata.ucd_3_2_0.normalize("NFKC", t._INVISIBLE.sub("", text))).strip()
    assert normalize(text) == full


@pytest.mark.parametrize("text, mixed", [
    ("Сity", "Latin+Cyrillic"), ("Αlpha代码", "Latin+Greek"), ("City", None), ("Город", None),
    ("身份证号 ID", None), ("ID Город", None), ("Ｃity", None),
])
def test_confusable_words_mix_scripts(text, mixed):
    """A word mixing Latin with Greek or Cyrillic letters is confusable; words each in one script are not."""
    assert confusable(text) == mixed


@given(st.lists(st.one_of(st.sampled_from(["信息项1", "公民身份号码", "ID 号", "a\nb", "", " x", "学籍号\n"]),
                          st.text(st.characters(codec="utf-8"), max_size=8)), max_size=6))
def test_names_tested_at_once_are_plain_only_if_each_is(texts):
    """all_plain (one match over an entry's names joined by line breaks) says what testing each
    name on its own says, whatever the names hold — line breaks and empty names included."""
    assert all_plain(texts) == (bool(texts) and all(plain(t) for t in texts))
