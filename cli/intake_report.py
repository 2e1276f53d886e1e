"""What became of each row of a catalog file: as a table, and as a copy of the spreadsheet to hand back.

Every row gets a status — checked (``ok``), already on chain (``unchanged``), ``invalid``
(found by the check, not sent), or the fate of its transaction (``committed``, ``refused``,
``rejected``, ``unknown``, ``not_sent``) — and every problem of it, each with the
spreadsheet's own row number, the column as headed in the file, the code and the message.
:func:`write_report` writes a copy of the input with an outcome column and each bad cell
filled red with its problems as a comment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli.bulk import Outcome
from cli.intake import Intake, Problem, Row

STATUS_NAMES = {
    "ok": "检查通过 ok", "unchanged": "已在链上 unchanged", "invalid": "未通过检查 invalid",
    "committed": "已上链 committed", "refused": "入块但拒绝 refused", "rejected": "拒收 rejected",
    "unknown": "未确认 unknown", "not_sent": "未发送 not_sent",
}
GOOD = ("ok", "unchanged", "committed")
"""The statuses of a row that needs nothing more done."""


def settle(intake: Intake, sent: list[Row], outcomes: list[Outcome], cut_short: bool = False) -> None:
    """Give each row its status: the outcome of its transaction for the rows ``sent``, ``invalid``
    for a row with problems, ``unchanged`` for one on chain as it is, ``ok`` for the rest (checked) —
    or, when the run was ``cut_short``, ``not_sent``."""
    for row in intake.rows:
        row.status = "invalid" if row.problems else "unchanged" if row.unchanged else \
            "not_sent" if cut_short else "ok"
    for row, outcome in zip(sent, outcomes):
        row.status, row.height = outcome.status, outcome.height
        if outcome.status == "refused" and outcome.code == "CATALOG_UNCHANGED":
            row.status = "unchanged"  # published by an earlier run while this one was checking
        elif outcome.code:
            row.problems.append(intake.problem(row, outcome.field, outcome.code, outcome.message))
        elif outcome.status in ("unknown", "not_sent"):
            row.problems.append(Problem(row.number, "", "", outcome.message, intake.catalog.name))


def all_good(intake: Intake) -> bool:
    return not intake.loose and all(row.status in GOOD for row in intake.rows)


def counts(intake: Intake) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in intake.rows:
        found[row.status] = found.get(row.status, 0) + 1
    if intake.loose:
        found["invalid_item_rows"] = len(intake.loose)
    return found


def table_rows(intake: Intake) -> list[tuple[Any, ...]]:
    """One line per problem (a row with none: one line): row, 资源代码, outcome, column, cell, code, message, block."""
    lines: list[tuple[Any, ...]] = []
    for row in intake.rows:
        code = row.args.get("resource_code", "")
        status = STATUS_NAMES.get(row.status, row.status)
        for p in row.problems or [None]:
            if p is None:
                lines.append((row.number, code, status, "", "", "", "", row.height))
            else:
                lines.append((row.number, code, status, p.column, _cell(intake, p), p.code, p.message, row.height))
    for p in intake.loose:
        lines.append((f"{p.sheet}!{p.row}", "", STATUS_NAMES["invalid"], p.column, _cell(intake, p), p.code,
                      p.message, None))
    return lines


def _cell(intake: Intake, p: Problem) -> str:
    if not p.cell:
        return ""
    return p.cell if p.sheet in ("", intake.catalog.name) else f"{p.sheet}!{p.cell}"


TABLE_COLUMNS = ("行 row", "资源代码", "结果 outcome", "列 column", "单元格 cell", "代码 code", "说明 message",
                 "区块 block")

BAD = "FFC7CE"
"""The fill of a cell with a problem (Excel's light red)."""


def write_report(intake: Intake, out: Path) -> None:
    """A copy of the input (an .xlsx as it is, with its formatting; a CSV or JSON file as a new sheet)
    with an outcome column after the last, each bad cell filled red with its problems as a comment."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    if intake.kind == "xlsx":
        book = load_workbook(intake.path)
    else:
        book = Workbook()
        book.active.title = intake.catalog.name
        for line in intake.catalog.grid:
            book.active.append(list(line))
    sheet = book[intake.catalog.name]
    outcome_col = max(sheet.max_column, max((len(r) for r in intake.catalog.grid), default=0)) + 1
    header = sheet.cell(max(intake.catalog.header_row, 1), outcome_col, "处理结果 outcome")
    header.font = Font(bold=True)
    fill = PatternFill("solid", fgColor=BAD)
    marks: dict[tuple[str, str], list[str]] = {}
    for row in intake.rows:
        text = STATUS_NAMES.get(row.status, row.status)
        if row.height is not None:
            text += f" (区块 {row.height})"
        if row.problems:
            text += ": " + "; ".join(f"{p.column} {p.code} {p.message}".strip() for p in row.problems)
        at = intake.catalog.headers.get("resource_code")
        if row.assigned and at is not None:  # the code --assign-codes gave it
            sheet.cell(row.number, at[0] + 1, row.args["resource_code"])
        cell = sheet.cell(row.number, outcome_col, text)
        if row.problems:
            cell.fill = fill
        for p in row.problems:
            if p.cell:
                marks.setdefault((p.sheet or intake.catalog.name, p.cell), []).append(f"{p.code}: {p.message}")
    for p in intake.loose:
        if p.cell:
            marks.setdefault((p.sheet, p.cell), []).append(f"{p.code}: {p.message}")
    for (name, ref), notes in marks.items():
        if name not in book.sheetnames:
            continue
        cell = book[name][ref]
        cell.fill = fill
        cell.comment = Comment("\n".join(notes), "mulu")
    book.save(out)
