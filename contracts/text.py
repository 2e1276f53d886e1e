"""Names as rules and indexes see them: one normal form, so that text which looks the same is the same.

A data item named ``公民身份号码`` and one named ``公民身份号码`` followed by a zero-width
space, a variation selector or a full-width space are one item to people, so they must be one
item to 一数一源 (000:第七条) and to every rule that compares names. :func:`normalize` is the
one place that turns a name into its normal form:

1. invisible characters are removed: zero-width and joiner characters, directional marks and
   isolates, the byte-order mark, the soft hyphen, variation selectors and tag characters
   (a fixed list, so every node removes the same);
2. Unicode NFKC, by the Unicode 3.2 tables that every Python version carries unchanged
   (``unicodedata.ucd_3_2_0``): full-width letters and digits become ASCII, compatibility
   ideographs their unified forms. Newer tables would make nodes on different Python
   versions disagree; a character newer than 3.2 is left as it is, the same everywhere;
3. whitespace runs become one space, and the ends are trimmed.

:func:`confusable` says what still looks like something else after that: a word mixing Latin
letters with Greek or Cyrillic ones (``Сity`` with a Cyrillic С), the classic way to make two
names look alike (Unicode TS #39, mixed scripts); the catalog refuses such names.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufe00-\ufe0f\ufeff"
    "\U000e0000-\U000e007f\U000e0100-\U000e01ef]")
_SPACE = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_NFKC = unicodedata.ucd_3_2_0.normalize
_PLAIN = "[\u3400-\u4dbf\u4e00-\u9fff!-~]+(?: [\u3400-\u4dbf\u4e00-\u9fff!-~]+)*"
plain = re.compile(_PLAIN).fullmatch
"""Whether text is already in normal form, the common case of a name (a match, or None): CJK ideographs (which NFKC keeps as they
are) and printable ASCII, words parted by single spaces. Checked first, in a fraction of the time
NFKC takes, since a catalog entry's twenty names are each normalized in its block."""
_PLAIN_LINES = re.compile(f"{_PLAIN}(?:\n{_PLAIN})*").fullmatch
_SCRIPTS = {
    "Latin": re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]"),
    "Greek": re.compile("[\u0370-\u03ff]"),
    "Cyrillic": re.compile("[\u0400-\u04ff]"),
}


def normalize(text: str) -> str:
    """The normal form of a name: invisible characters removed, NFKC (Unicode 3.2), spaces collapsed."""
    if plain(text):
        return text
    if text.isascii():
        return _SPACE.sub(" ", text).strip()
    return _SPACE.sub(" ", _NFKC("NFKC", _INVISIBLE.sub("", text))).strip()


def all_plain(texts: list[str]) -> bool:
    """Whether every one of ``texts`` is :data:`plain` (so is its own normal form and mixes no scripts),
    by one match over them all, line by line: a catalog entry's twenty data item names at once (False for none)."""
    joined = "\n".join(texts)
    return joined.count("\n") == len(texts) - 1 and _PLAIN_LINES(joined) is not None


def name_form(text: str) -> tuple[str, str | None]:
    """A name's normal form, and the scripts a word of it mixes (None when it mixes none): both at
    the cost of one regular expression for a name already in normal form, the common case."""
    if plain(text):
        return text, None
    normal = normalize(text)
    return normal, confusable(normal)


def confusable(text: str) -> str | None:
    """The scripts a word of ``text`` mixes (e.g. ``"Latin+Cyrillic"``), or None when it mixes none."""
    if plain(text):
        return None  # ideographs and ASCII only: no Greek or Cyrillic letter to mix with Latin
    for word in normalize(text).split(" "):
        found = [name for name, letters in _SCRIPTS.items() if letters.search(word)]
        if len(found) > 1:
            return "+".join(found)
    return None
