"""Catalog intake: the 1272 spreadsheet (.xlsx or .csv) read into ``catalog.publish`` calls, row by row.

Catalogs travel between 处室 and the 大数据局 as spreadsheets with Chinese headers and
Chinese values. :func:`read_catalog` finds the header row (a title row above it, or a
second header row under 信息资源分类, are fine), reads each cell through its column's
normalisation table (:mod:`cli.intake_fields`), takes 信息项 from a cell or from their own
sheet, and keeps for every row its spreadsheet row number and, for every argument, the
cell it came from — so that each error, the reader's or the chain's, names the row and
the column a clerk sees. A file that cannot be read at all is a :class:`MuluError` with a
stable code; a cell that cannot be read is a :class:`Problem` of its row, and every row's
problems are all reported, never only the first.

:func:`write_template` writes the empty layout: the catalog sheet with its headers and
drop-down lists, the 信息项 sheet, an example and the 填写说明.
"""

from __future__ import annotations

import csv
import datetime
import functools
import itertools
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from chain.errors import MuluError
from cli.bulk import decode_text
from cli.intake_fields import (
    BOOL,
    BY_NAME,
    CATALOG_SHEET,
    CHOICE,
    COLUMNS,
    DATA_TYPE,
    DATE,
    DIGITS,
    EXAMPLE_SHEET,
    GUIDE_SHEET,
    HEADERS,
    IGNORED,
    ITEM_COLUMNS,
    ITEM_HEADERS,
    ITEMS,
    ITEMS_SHEET,
    LIST,
    Column,
    header_key,
)

HEADER_SEARCH = 10
"""How many rows from the top a header row is looked for in (title rows may come first)."""


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row: its spreadsheet row number, the column (its header as written),
    a stable code and the message; ``sheet`` and ``cell`` (e.g. ``L5``) say where to mark it."""

    row: int
    column: str
    code: str
    message: str
    sheet: str = ""
    cell: str = ""
    field: str = ""


@dataclass
class Row:
    """One catalog row: its spreadsheet row number, the call's arguments as read, and its problems.

    ``cells`` maps each argument to where it was read, ``(sheet, row, column index)``; data
    items read from the 信息项 sheet map to their own rows there in ``item_cells``.
    """

    number: int
    args: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    cells: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    item_cells: list[tuple[str, int, int]] = field(default_factory=list)
    unchanged: bool = False
    assigned: bool = False
    status: str = ""
    height: int | None = None


@dataclass
class Sheet:
    """A sheet's cells as read: ``grid[i]`` is spreadsheet row ``i + 1``; ``columns`` maps a column
    index to the argument it holds, ``headers`` an argument to its column and header as written."""

    name: str
    grid: list[list[Any]]
    header_row: int
    columns: dict[int, str]
    headers: dict[str, tuple[int, str]]


@dataclass
class Intake:
    """A catalog file as read: its rows, and the problems that belong to no catalog row (a 信息项
    sheet row naming a code no row has)."""

    path: Path
    kind: str
    catalog: Sheet
    items: Sheet | None
    rows: list[Row]
    loose: list[Problem] = field(default_factory=list)
    expected: int = 0
    """How many rows the file holds (known before they are read)."""

    def where(self, row: Row, arg: str) -> tuple[str, str, str]:
        """The sheet, header and cell (e.g. ``L5``) an argument path of ``row`` (``data_items[3].name``,
        ``duty_items[0]``, ``share_type``) was read from, or would have been."""
        top = re.match(r"[a-z_]+", arg)
        name = top.group(0) if top else arg
        index = re.match(r"data_items\[(\d+)\]", arg)
        if index and row.item_cells and int(index.group(1)) < len(row.item_cells):
            sheet, number, col = row.item_cells[int(index.group(1))]
            return sheet, "信息项", f"{column_letter(col)}{number}"
        found = row.cells.get(name)
        column = BY_NAME[name].header if name in BY_NAME else name
        if found is None:
            at = self.catalog.headers.get(name)
            if at is None:
                return self.catalog.name, column, ""
            return self.catalog.name, at[1], f"{column_letter(at[0])}{row.number}"
        sheet, number, col = found
        return sheet, self.catalog.headers.get(name, (col, column))[1], f"{column_letter(col)}{number}"

    def problem(self, row: Row, arg: str, code: str, message: str) -> Problem:
        sheet, column, cell = self.where(row, arg)
        top = re.match(r"[a-z_]+", arg)
        if top and arg != top.group(0):
            column = f"{column} ({arg})"  # which of a list's values: duty_items[1]
        return Problem(row.number, column, code, message, sheet, cell, arg)


def column_letter(index: int) -> str:
    """A 0-based column index as a spreadsheet letter: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- reading files ---------------------------------------------------------------------------------


def read_catalog(path: Path) -> Intake:
    """A catalog spreadsheet (.xlsx or .csv) read into rows; refuses a file it cannot read with a
    stable code (FILE_INVALID, FILE_ENCODING_UNKNOWN, FILE_EMPTY, INTAKE_HEADER_MISSING,
    INTAKE_COLUMN_UNKNOWN, INTAKE_COLUMN_DUPLICATE)."""
    intake, rows = open_catalog(path)
    for _ in rows:
        pass
    return intake


def open_catalog(path: Path) -> tuple[Intake, Iterator[Row]]:
    """A catalog spreadsheet opened (its cells read, its header found, the 信息项 sheet indexed), and its
    rows read one by one as the iterator is drawn — each added to ``intake.rows`` — so that the first
    rows can be checked and sent while the later are read. Refuses what :func:`read_catalog` does."""
    kind, grids = read_grids(path)
    name = _catalog_sheet_name(grids)
    catalog = _sheet(path, name, grids[name], HEADERS)
    items = _sheet(path, ITEMS_SHEET, grids[ITEMS_SHEET], ITEM_HEADERS) if ITEMS_SHEET in grids else None
    intake = Intake(path, kind, catalog, items, [], expected=0 if kind == "xlsx" else len(catalog.grid))
    grid = catalog.grid

    def numbers() -> Iterator[int]:
        """The numbers of the rows under the header that hold something, read as they are asked for."""
        number = catalog.header_row + 1
        while (cells := _at(grid, number - 1)) is not None:
            if any(v is not None and (type(v) is not str or v.strip()) for v in cells):
                yield number
            number += 1

    found = numbers()
    first = next(found, None)
    if first is None:
        raise MuluError(f"{path} holds no catalog rows under its header", code="FILE_EMPTY", path=str(path))
    listed = _items_by_code(intake, items) if items is not None else {}

    def rows() -> Iterator[Row]:
        for number in itertools.chain((first,), found):
            row = _row(catalog, number, grid[number - 1])
            code = row.args.get("resource_code")
            if code in listed:
                _attach_items(intake, row, listed.pop(code))
            intake.rows.append(row)
            yield row
        for code, unclaimed in listed.items():  # codes of no row
            for _, (sheet, number, _), _ in unclaimed:
                col = items.headers.get("resource_code", (0, "资源代码"))
                intake.loose.append(Problem(number, col[1], "INTAKE_ITEM_CODE_UNKNOWN",
                                            f"资源代码 {code} is the code of no row of the catalog sheet", sheet,
                                            f"{column_letter(col[0])}{number}"))

    return intake, rows()


def read_grids(path: Path) -> tuple[str, dict[str, list[list[Any]]]]:
    """The kind of a spreadsheet file (``xlsx`` or ``csv``) and its sheets' cells by sheet name (a CSV
    file is one sheet, named 数据目录); refuses any other file with FILE_INVALID."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx", _xlsx_grids(path)
    if suffix == ".csv":
        return "csv", {CATALOG_SHEET: list(csv.reader(io.StringIO(decode_text(path))))}
    if suffix == ".xls":
        raise MuluError(f"{path} is an old Excel 97-2003 workbook: save it as .xlsx (Excel 工作簿)",
                        code="FILE_INVALID", path=str(path))
    raise MuluError(f"{path}: give a .xlsx, .csv or .json file", code="FILE_INVALID", path=str(path))


def read_table(path: Path, known: dict[str, str]) -> tuple[Sheet, list[tuple[int, dict[str, Any]]]]:
    """The first sheet of a spreadsheet as rows of raw cells by column name (``known`` maps headers in
    :func:`~cli.intake_fields.header_key` form to names), each with its spreadsheet row number."""
    _, grids = read_grids(path)
    name = next(iter(grids))
    sheet = _sheet(path, name, grids[name], known)
    rows = []
    for number in range(sheet.header_row + 1, len(sheet.grid) + 1):
        cells = sheet.grid[number - 1]
        values = {arg: _blank(cells[col]) if col < len(cells) else None for col, arg in sheet.columns.items()}
        if any(v is not None for v in values.values()):
            rows.append((number, values))
    if not rows:
        raise MuluError(f"{path} holds no rows under its header", code="FILE_EMPTY", path=str(path))
    return sheet, rows


def intake_of_records(path: Path, records: list[dict[str, Any]]) -> Intake:
    """JSON records (already read) as rows numbered from 1, one a record; no cells to mark."""
    sheet = Sheet("records", [], 0, {}, {})
    return Intake(path, "json", sheet, None, [Row(i, dict(r)) for i, r in enumerate(records, 1)],
                  expected=len(records))


def _xlsx_grids(path: Path) -> dict[str, list[list[Any]]]:
    from xml.etree.ElementTree import ParseError

    from cli.xlsx import read_workbook

    try:
        return read_workbook(path)
    except (zipfile.BadZipFile, KeyError, ValueError, AttributeError, ParseError) as exc:
        raise MuluError(f"{path} is not an .xlsx workbook ({exc}): save it from Excel or WPS as .xlsx",
                        code="FILE_INVALID", path=str(path)) from None


def _catalog_sheet_name(grids: dict[str, list[list[Any]]]) -> str:
    """The sheet the catalog rows are in: 数据目录, or else the first that is not the template's others."""
    if CATALOG_SHEET in grids:
        return CATALOG_SHEET
    others = [n for n in grids if n not in (ITEMS_SHEET, GUIDE_SHEET, EXAMPLE_SHEET)]
    return others[0] if others else next(iter(grids))


def _sheet(path: Path, name: str, grid: list[list[Any]], known: dict[str, str]) -> Sheet:
    """Find the header row of a sheet and what each column holds."""
    def keys(row: list[Any]) -> list[str]:
        return [header_key(str(v)) if _blank(v) is not None else "" for v in row]

    for i, row in enumerate(grid[:HEADER_SEARCH]):
        if sum(k in known for k in keys(row)) >= 2:
            break
    else:
        raise MuluError(f"{path}: no header row in the first {HEADER_SEARCH} rows of sheet {name} "
                        f"(expected headers such as {', '.join(list(dict.fromkeys(known.values()))[:4])}…)",
                        code="INTAKE_HEADER_MISSING", path=str(path), sheet=name)
    upper = [str(v).strip() if _blank(v) is not None else "" for v in grid[i]]
    lower = _at(grid, i + 1) or []
    header_row = i + 1
    if sum(k in known for k in keys(lower)) >= 2:  # a second header row (类/项/目 under 信息资源分类)
        header_row = i + 2
        written = [str(v).strip() if _blank(v) is not None else "" for v in lower]
        upper = [w if header_key(w) in known else (u if header_key(u) in known or not w else w)
                 for u, w in zip(upper + [""] * (len(written) - len(upper)), written + [""] * (len(upper) - len(written)))]
    columns: dict[int, str] = {}
    headers: dict[str, tuple[int, str]] = {}
    for col, text in enumerate(upper):
        key = header_key(text)
        if not key or key in IGNORED:
            continue
        arg = known.get(key)
        if arg is None:
            raise MuluError(f"{path}: sheet {name} column {column_letter(col)} is headed {text!r}, which is no "
                            f"column of the catalog; the columns are {', '.join(_known_headers(known))}",
                            code="INTAKE_COLUMN_UNKNOWN", path=str(path), sheet=name, column=text)
        if arg in headers:
            raise MuluError(f"{path}: sheet {name} has two columns for {arg}: {headers[arg][1]!r} and {text!r}",
                            code="INTAKE_COLUMN_DUPLICATE", path=str(path), sheet=name, column=text)
        columns[col] = arg
        headers[arg] = (col, text)
    return Sheet(name, grid, header_row, columns, headers)


def _at(grid: Any, index: int) -> list[Any] | None:
    """Row ``index`` (0-based) of a sheet's cells, or None past its last (for a list, or an
    :class:`cli.xlsx.Grid` that reads no further than asked)."""
    if isinstance(grid, list):
        return grid[index] if index < len(grid) else None
    return grid.get(index)


def _known_headers(known: dict[str, str]) -> list[str]:
    if known is HEADERS:
        return [c.header for c in COLUMNS]
    if known is ITEM_HEADERS:
        return [header for _, header, _ in ITEM_COLUMNS]
    return list(dict.fromkeys(known.values()))


def _blank(value: Any) -> Any:
    """None for an empty cell (nothing, or only spaces), else the value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def _row(sheet: Sheet, number: int, cells: list[Any]) -> Row:
    row = Row(number, {})
    for col, arg in sheet.columns.items():
        raw = _blank(cells[col]) if col < len(cells) else None
        column = BY_NAME[arg]
        row.cells[arg] = (sheet.name, number, col)
        if raw is None:
            if column.kind == LIST and arg == "duty_items":
                row.args[arg] = []  # required, and may be empty when a note is given
            continue
        try:
            row.args[arg] = read_cell(column, raw)
        except CellError as exc:
            row.problems.append(Problem(number, sheet.headers[arg][1], exc.code, exc.message, sheet.name,
                                        f"{column_letter(col)}{number}", arg))
    return row


ListedItem = tuple[dict[str, Any] | None, tuple[str, int, int], Problem | None]


def _items_by_code(intake: Intake, items: Sheet) -> dict[str, list[ListedItem]]:
    """The 信息项 sheet's items by 资源代码, each with its cell and the problem reading it, if any; a row
    without a code is a problem of the file (``intake.loose``)."""
    listed: dict[str, list[ListedItem]] = {}
    name_col = items.headers.get("name", (0, ""))[0]
    code_col = items.headers.get("resource_code", (0, "资源代码"))
    for number in range(items.header_row + 1, len(items.grid) + 1):
        cells = items.grid[number - 1]
        value = {arg: (_blank(cells[col]) if col < len(cells) else None) for col, arg in items.columns.items()}
        if all(v is None for v in value.values()):
            continue
        code = _text(value.get("resource_code"))
        if not code:
            intake.loose.append(Problem(number, code_col[1], "INTAKE_ITEM_CODE_UNKNOWN",
                                        "a 信息项 row names no 资源代码", items.name,
                                        f"{column_letter(code_col[0])}{number}"))
            continue
        item, problem = None, None
        try:
            item = _item(_text(value.get("name")), _text(value.get("data_type")), _text(value.get("length")))
        except CellError as exc:
            problem = Problem(number, "信息项", exc.code, exc.message, items.name,
                              f"{column_letter(name_col)}{number}", "data_items")
        listed.setdefault(code, []).append((item, (items.name, number, name_col), problem))
    return listed


def _attach_items(intake: Intake, row: Row, listed: list[ListedItem]) -> None:
    """Give ``row`` the data items the 信息项 sheet lists under its 资源代码."""
    row.problems += [problem for _, _, problem in listed if problem is not None]
    if "data_items" in row.args:
        row.problems.append(Problem(row.number, BY_NAME["data_items"].header, "INTAKE_DATA_ITEMS_TWICE",
                                    f"信息项 of {row.args['resource_code']} are given both in the 信息项 column and "
                                    "in the 信息项 sheet: give them in one place", intake.catalog.name, "",
                                    "data_items"))
        return
    row.args["data_items"] = [item for item, _, _ in listed if item is not None]
    row.item_cells = [where for item, where, _ in listed if item is not None]


# --- reading cells -------------------------------------------------------------------------------


class CellError(Exception):
    """A cell that cannot be read: its code and message (the caller adds row and column)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text(value: Any) -> str:
    """A cell as text: whole numbers without ``.0``, spaces at the ends trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    return str(value).strip()


@functools.lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    """Text as looked up in a table: full-width forms folded, inner spaces removed, in lower case (the
    same few values fill thousands of cells: remembered)."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text)).lower()


def _lookup(table: dict[str, str], text: str, what: str) -> str:
    found = table.get(text)
    if found is not None:
        return found
    folded = _fold(text)
    found = table.get(folded)
    if found is None:
        raise CellError("INTAKE_VALUE_UNKNOWN", f"{what} {text!r} is not one of: {', '.join(dict.fromkeys(table))}")
    return found


def read_cell(column: Column, value: Any) -> Any:
    """A non-empty cell of ``column`` as the argument's value; raises :class:`CellError`."""
    if column.kind == BOOL:
        if isinstance(value, bool):
            return value
        return _lookup(column.table, _text(value), column.header) == "true"
    if column.kind == DATE:
        return read_date(value)
    text = _text(value)
    if column.kind == DIGITS:
        if isinstance(value, (int, float)) or text.isdigit():
            return text.zfill(column.width) if text.isdigit() and len(text) <= column.width else text
        return text
    if column.kind == CHOICE:
        return _lookup(column.table, text, column.header)
    if column.kind == LIST:
        return [part.strip() for part in SEPARATOR.split(text) if part.strip()]
    if column.kind == ITEMS:
        return read_items(text)
    return text


_DATE_FORMS = (re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})"),
               re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
               re.compile(r"(\d{4})(\d{2})(\d{2})"))
DATE_HELP = "a date such as 2026-07-01, 2026/7/1, 2026.7.1, 2026年7月1日 or 20260701"


def read_date(value: Any) -> str:
    """A date cell (an Excel date, or text in a common written form) as ISO ``YYYY-MM-DD``."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        day = value.date() if isinstance(value, datetime.datetime) else value
        return day.isoformat()
    text = unicodedata.normalize("NFKC", _text(value))
    text = re.sub(r"\s+0{1,2}:0{2}(:0{2})?$", "", text)  # a date written with a midnight time
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return datetime.date(*(int(g) for g in match.groups())).isoformat()
            except ValueError:
                raise CellError("INTAKE_DATE_INVALID", f"{text!r} is no day of the calendar") from None
    raise CellError("INTAKE_DATE_INVALID", f"{text!r} is not {DATE_HELP}")


SEPARATOR = re.compile(r"[、，,;；\n]")
_ITEM_SPLIT = re.compile(r"([、，,;；\n])")
_FIELD_SPLIT = re.compile(r"[:：]")
_DECIMALS = re.compile(r"\s*\d{1,2}\s*").fullmatch
_ENDS_IN_LENGTH = re.compile(r"[:：]\s*\d+\s*$").search
ITEM_HELP = "write each 信息项 as name:type[:length], e.g. 学生姓名:字符型:32, separated by 、 or ；"


def read_items(text: str) -> list[dict[str, str]]:
    """信息项 written in one cell: ``name:type[:length]`` (``:`` or ``：``), separated by 、，;； , ; or
    line breaks. A comma between digits after a length belongs to it (``金额:N:10,2``). A name
    without its type, an item of more than three fields, or an unknown type is an error."""
    parts = _ITEM_SPLIT.split(text)
    pieces: list[str] = [parts[0]]
    for sep, token in zip(parts[1::2], parts[2::2]):
        if sep == "," and _DECIMALS(token) and _ENDS_IN_LENGTH(pieces[-1]):
            pieces[-1] += "," + token.strip()
        else:
            pieces.append(token)
    items, errors = [], []
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        fields = [f.strip() for f in _FIELD_SPLIT.split(piece)]
        try:
            if len(fields) == 1:
                raise CellError("INTAKE_DATA_ITEM_INVALID", f"信息项 {piece!r} has no 数据类型: {ITEM_HELP}")
            if len(fields) > 3:
                raise CellError("INTAKE_DATA_ITEM_INVALID", f"信息项 {piece!r} has {len(fields)} fields, not "
                                "name:type:length (a name may not hold : or ：)")
            items.append(_item(*fields))
        except CellError as exc:
            errors.append(exc)
    if errors:
        raise CellError(errors[0].code, "; ".join(e.message for e in errors))
    return items


def _item(name: str, data_type: str, length: str = "") -> dict[str, str]:
    if not name:
        raise CellError("INTAKE_DATA_ITEM_INVALID", f"a 信息项 has no name: {ITEM_HELP}")
    if not data_type:
        raise CellError("INTAKE_DATA_ITEM_INVALID", f"信息项 {name} has no 数据类型: {ITEM_HELP}")
    item = {"name": name, "data_type": _lookup(DATA_TYPE, data_type, f"数据类型 of {name}")}
    if length:
        item["length"] = length if length.isascii() else unicodedata.normalize("NFKC", length).replace(" ", "")
    return item


# --- the template ------------------------------------------------------------------------------------


def write_template(out: Path) -> None:
    """The empty 1272 layout: the catalog sheet (headers, drop-down lists for the enumerations, text
    cells for codes), the 信息项 sheet, an example of both, and the 填写说明."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = CATALOG_SHEET
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    lists = book.create_sheet("选项")  # the drop-down lists' values, hidden
    for col, column in enumerate(COLUMNS, 1):
        cell = sheet.cell(1, col, column.header)
        cell.font, cell.fill = bold, fill
        cell.comment = Comment(column.note, "mulu") if column.note else None
        letter = column_letter(col - 1)
        sheet.column_dimensions[letter].width = max(10, min(40, len(column.header) * 3))
        sheet.column_dimensions[letter].number_format = "@"  # codes stay text: 01 stays 01
        choices = _choices(column)
        if choices:
            lists.append([column.header, *choices])
            row = lists.max_row
            ref = f"选项!$B${row}:${column_letter(len(choices))}${row}"
            validation = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=True,
                                        errorTitle=column.header, error="请从下拉列表中选择: " + "、".join(choices))
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}10000")
    lists.sheet_state = "hidden"
    items = book.create_sheet(ITEMS_SHEET)
    items.append([header for _, header, _ in ITEM_COLUMNS])
    types = DataValidation(type="list", formula1='"' + ",".join(_TYPE_WORDS) + '"', allow_blank=True)
    items.add_data_validation(types)
    types.add("C2:C100000")
    example = book.create_sheet(EXAMPLE_SHEET)
    example.append([c.header for c in COLUMNS])
    example.append([c.example for c in COLUMNS])
    guide = book.create_sheet(GUIDE_SHEET)
    guide.append(["列", "说明", "可填的值"])
    for column in COLUMNS:
        guide.append([column.header, column.note, "、".join(_choices(column))])
    guide.append([])
    guide.append(["信息项", ITEM_HELP + "；或在“信息项”工作表中逐行填写 资源代码、信息项名称、数据类型、长度", "、".join(_TYPE_WORDS)])
    guide.append(["示例", "见“示例”工作表；数据从“数据目录”工作表第2行起填写", ""])
    book.move_sheet(lists, offset=len(book.sheetnames) - 2)  # last
    for sheet_ in (items, example, guide):
        for cell in sheet_[1]:
            cell.font, cell.fill = bold, fill
    book.save(out)


_TYPE_WORDS = ("字符型", "数值型", "货币型", "日期型", "日期时间型", "逻辑型", "备注型", "通用型", "双精度型", "整型", "浮点型")


def _choices(column: Column) -> list[str]:
    """The drop-down values of an enumeration column: its Chinese words of the guide."""
    if column.kind == CHOICE:
        return [k for k in column.accepted() if not k.isascii()][: len(set(column.table.values()))]
    if column.kind == BOOL:
        return ["是", "否"]
    return []
