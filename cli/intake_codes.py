"""``--assign-codes``: the next free 后段码 for rows without a 信息资源代码.

A 信息资源代码 is 前段码/后段码: the 前段码 is the row's 分类 (类, 项, 目 and 细目), the 后段码
a sequence number under it. A row without a code gets, in file order, one more than the
highest 后段码 under its 前段码 among the department's entries on chain (asked of the node)
and the file's own codes, written with six digits — skipping a code another department
already holds. The same file against the same chain gets the same codes.
"""

from __future__ import annotations

from cli.client import Client
from cli.intake import Intake
from cli.intake_check import FileView, NodeView
from contracts.catalog.keys import entry_key

WIDTH = 6
"""Digits of an assigned 后段码 (``000001``)."""
SPARE = 8
"""Further codes read ahead per 前段码, in case some are held by other departments."""


def department_codes(client: Client, department: str) -> list[str]:
    """Every 资源代码 of ``department``'s current entries, page by page."""
    codes: list[str] = []
    after = None
    while True:
        page = client.get("/v1/catalog/entries", department=department, after=after, limit=1000)
        codes += [e["resource_code"] for e in page["entries"]]
        after = page["next"]
        if after is None:
            return codes


def assign(intake: Intake, sender: str, view: NodeView | FileView, client: Client | None) -> None:
    """Give each row without a 资源代码 (and with its 类, 项 and 目) the next free code under its 前段码."""
    used = department_codes(client, sender) if client is not None else []
    used += [row.args["resource_code"] for row in intake.rows if type(row.args.get("resource_code")) is str]
    highest: dict[str, int] = {}
    for code in used:
        prefix, _, sequence = code.partition("/")
        if sequence.isdigit():
            highest[prefix] = max(highest.get(prefix, 0), int(sequence))
    needing = [(row, _prefix(row.args)) for row in intake.rows if "resource_code" not in row.args]
    needing = [(row, prefix) for row, prefix in needing if prefix is not None]
    wanted: dict[str, int] = {}
    for _, prefix in needing:
        wanted[prefix] = wanted.get(prefix, 0) + 1
    checks_chain = isinstance(view, NodeView)
    if checks_chain:
        view.prefetch(entry_key(_code(p, highest.get(p, 0) + n)) for p, count in wanted.items()
                      for n in range(1, count + SPARE + 1))
    for row, prefix in needing:
        n = highest.get(prefix, 0) + 1
        while checks_chain and view.get(entry_key(_code(prefix, n))) is not None:
            n += 1  # held by another department
        highest[prefix] = n
        row.args["resource_code"] = _code(prefix, n)
        row.assigned = True


def _prefix(args: dict) -> str | None:
    parts = [args.get(name, "") for name in ("class", "item", "category", "subcategory")]
    if not all(type(p) is str for p in parts) or not all(parts[:3]):
        return None
    return "".join(parts)


def _code(prefix: str, sequence: int) -> str:
    return f"{prefix}/{sequence:0{WIDTH}d}"
