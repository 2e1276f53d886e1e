"""``mulu governance onboard``: many new members from one spreadsheet, proposed as one governed action.

A sheet of 单位名称, 统一社会信用代码, 角色 and 公钥 (Chinese or English headers, .xlsx or
CSV) becomes one ``identity.add_members`` proposal per :data:`~contracts.identity.MAX_MEMBERS_PER_CALL`
rows, voted on once — not a proposal and k votes per department. Every row is checked first with
the method's own argument specs; a sheet with any bad row proposes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chain.errors import ArgsInvalid
from cli.intake import SEPARATOR, Problem, column_letter, read_table
from cli.intake_fields import header_key, headers_of
from contracts.args import check_args
from contracts.identity import MAX_MEMBERS_PER_CALL, MEMBER_ARGS, ROLE_NAMES, ROLES

COLUMNS = (("name", "单位名称", ("名称", "部门名称", "单位")),
           ("uscc", "统一社会信用代码", ("信用代码", "社会信用代码", "code")),
           ("roles", "角色", ("role", "身份")),
           ("keys", "公钥", ("public_key", "public key", "key", "签名公钥")))
HEADERS = headers_of(COLUMNS)

ROLE_WORDS = {
    **{r: r for r in ROLES},
    **{header_key(words): role for role, words in ROLE_NAMES.items()},
    "政务部门": "department", "部门": "department", "市级部门": "department", "委办局": "department",
    "区": "district", "区政府": "district", "审计": "auditor", "审计局": "auditor", "记账节点": "validator",
    "经信局": "review_authority", "大数据局": "review_authority", "编办": "duty_authority",
    "财政": "finance_authority", "发改": "finance_authority", "办公厅": "general_office",
}
"""Role names as written (Chinese or the chain's), each to its role."""


def read_members(path: Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The members a sheet lists, as ``add_members`` arguments, and every problem of every row."""
    sheet, rows = read_table(path, HEADERS)
    members, problems = [], []
    for number, values in rows:
        def problem(arg: str, code: str, message: str) -> None:
            col, header = sheet.headers.get(arg, (0, arg))
            problems.append(Problem(number, header, code, message, sheet.name, f"{column_letter(col)}{number}", arg))

        member: dict[str, Any] = {"uscc": str(values.get("uscc") or "").strip(),
                                  "name": str(values.get("name") or "").strip()}
        roles = []
        for word in _split(values.get("roles")):
            role = ROLE_WORDS.get(header_key(word))
            if role is None:
                problem("roles", "INTAKE_VALUE_UNKNOWN", f"角色 {word!r} is not one of: {', '.join(ROLES)} "
                        f"(or {', '.join(k for k in ROLE_WORDS if not k.isascii())})")
            elif role not in roles:
                roles.append(role)
        member["roles"] = roles
        try:
            member["keys"] = [bytes.fromhex(k) for k in _split(values.get("keys"))]
        except ValueError:
            problem("keys", "INTAKE_KEY_INVALID", "公钥 is the public key in hex, as `mulu keygen` prints it")
            member["keys"] = []
        try:
            check_args(MEMBER_ARGS, member)
        except ArgsInvalid as exc:
            arg = exc.details.get("field", "").split("[")[0]
            if not any(p.field == arg for p in problems if p.row == number):
                problem(arg, exc.code, exc.message.removeprefix("argument "))
        members.append(member)
    return members, problems


def _split(value: Any) -> list[str]:
    return [part.strip() for part in SEPARATOR.split(str(value or "")) if part.strip()]


def batches(members: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The members in proposals of at most :data:`MAX_MEMBERS_PER_CALL`."""
    return [members[i:i + MAX_MEMBERS_PER_CALL] for i in range(0, len(members), MAX_MEMBERS_PER_CALL)]
