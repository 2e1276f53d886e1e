"""统一社会信用代码 (unified social credit code), GB 32100-2015.

Eighteen characters: 登记管理部门码 (1), 机构类别码 (1), 登记管理机关行政区划码
(6), 主体标识码 — the 组织机构代码 of GB 11714 with its own check character (9),
and a check character (1). The alphabet leaves out I, O, Z, S and V.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100, valued 0..30 in this order."""

WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$")


class InvalidUSCC(ValueError):
    """A code that is not a valid 统一社会信用代码; ``reason`` says which check failed."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code!r} is not a valid 统一社会信用代码: {reason}")
        self.reason = reason


def check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_char(first8: str) -> str:
    """The GB 11714 check character of a 组织机构代码 body (digits and letters)."""
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_WEIGHTS))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


_VALID: dict[str, None] = {}
"""Codes already found valid (a chain has a few hundred members; each signs many calls)."""


def validate(code: str) -> str:
    """Return ``code`` if it is a valid 统一社会信用代码, else raise :class:`InvalidUSCC`."""
    if type(code) is str and code in _VALID:
        return code
    if type(code) is not str or len(code) != 18:
        raise InvalidUSCC(str(code), "it must be 18 characters")
    if not _SHAPE.match(code):
        raise InvalidUSCC(code, "only digits and the letters of GB 32100 (no I, O, Z, S, V) are allowed")
    if check_char(code[:17]) != code[17]:
        raise InvalidUSCC(code, f"check character should be {check_char(code[:17])}")
    org = code[8:17]
    if re.fullmatch(r"[0-9A-Z]{8}[0-9X]", org) and org_check_char(org[:8]) != org[8]:
        raise InvalidUSCC(code, f"embedded 组织机构代码 {org} has a wrong check character")
    if len(_VALID) >= 10_000:
        _VALID.clear()
    _VALID[code] = None
    return code


def make(prefix: str, org_body: str) -> str:
    """Build a valid code from the first 8 characters and an 8-character 组织机构代码 body."""
    org = org_body + org_check_char(org_body)
    first17 = prefix + org
    return validate(first17 + check_char(first17))
