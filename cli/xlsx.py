"""Reading the cells of an .xlsx workbook fast: every sheet's values, as openpyxl's read-only mode gives them.

A department's catalog of thousands of rows with twenty 信息项 each is a few megabytes of
sheet XML; openpyxl reads it at a few thousand rows a second, slower than the chain
takes the rows. This reads the same values — shared and inline strings, numbers, booleans,
and numbers whose style is a date format as dates (openpyxl's own test and conversion) —
in one streaming pass of the C XML parser per sheet. Formulas give their cached values.
"""

from __future__ import annotations

import posixpath
import zipfile
from typing import Any, Iterator
from xml.etree.ElementTree import ParseError, XMLParser, iterparse

from chain.errors import MuluError

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import from_excel

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL, _ROW, _VALUE, _INLINE, _TEXT = MAIN + "c", MAIN + "row", MAIN + "v", MAIN + "is", MAIN + "t"


class Grid:
    """A sheet's rows, read from its XML as they are asked for: ``grid[i]`` is row ``i + 1`` (a list of
    cell values, None where empty), ``grid.get(i)`` None past the last row; ``len`` and iterating
    read them all. So the first rows of a large sheet are at hand before the rest is parsed."""

    def __init__(self, rows: Iterator[list[Any]]) -> None:
        self._rows = rows
        self._read: list[list[Any]] = []

    def _fill(self, count: float) -> None:
        while len(self._read) < count and self._rows is not None:
            row = next(self._rows, None)
            if row is None:
                self._rows = None
            else:
                self._read.append(row)

    def get(self, index: int) -> list[Any] | None:
        self._fill(index + 1)
        return self._read[index] if index < len(self._read) else None

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            self._fill(float("inf") if index.stop is None or index.stop < 0 else index.stop)
        else:
            self._fill(float("inf") if index < 0 else index + 1)
        return self._read[index]

    def __len__(self) -> int:
        self._fill(float("inf"))
        return len(self._read)

    def __iter__(self) -> Iterator[list[Any]]:
        index = 0
        while (row := self.get(index)) is not None:
            yield row
            index += 1


def read_workbook(path: Any) -> dict[str, Grid]:
    """Every sheet's rows by sheet name, in the workbook's order, each read as it is asked for
    (:class:`Grid`). Raises ``zipfile.BadZipFile`` or ``KeyError`` for a file that is not a workbook."""
    with zipfile.ZipFile(path) as book:
        names = set(book.namelist())
        shared = _shared_strings(book) if "xl/sharedStrings.xml" in names else []
        dates = _date_styles(book) if "xl/styles.xml" in names else set()
        targets = _sheet_targets(book)
    return {title: Grid(_sheet_rows(path, target, shared, dates)) for title, target in targets}


def _sheet_targets(book: zipfile.ZipFile) -> list[tuple[str, str]]:
    rels = {}
    for _, el in iterparse(book.open("xl/_rels/workbook.xml.rels")):
        if el.tag == PKG_REL + "Relationship":
            target = el.get("Target", "")
            rels[el.get("Id")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))
    sheets = []
    for _, el in iterparse(book.open("xl/workbook.xml")):
        if el.tag == MAIN + "sheet":
            sheets.append((el.get("name"), rels[el.get(REL + "id")]))
    return sheets


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    strings = []
    for _, el in iterparse(book.open("xl/sharedStrings.xml")):
        if el.tag == MAIN + "si":
            strings.append(_text(el))
            el.clear()
    return strings


def _text(el: Any) -> str:
    """The text of a string item: its ``t`` runs, without the phonetic (``rPh``) ones."""
    direct = el.find(_TEXT)
    if direct is not None:
        return direct.text or ""
    return "".join(t.text or "" for r in el.iter(MAIN + "r") for t in r.iter(_TEXT))


def _date_styles(book: zipfile.ZipFile) -> set[int]:
    """The indexes of the cell styles whose number format is a date (or date and time)."""
    custom: dict[int, str] = {}
    xfs: list[int] = []
    in_cell_xfs = False
    for event, el in iterparse(book.open("xl/styles.xml"), events=("start", "end")):
        if el.tag == MAIN + "cellXfs":
            in_cell_xfs = event == "start"
        elif event == "end" and el.tag == MAIN + "numFmt":
            custom[int(el.get("numFmtId"))] = el.get("formatCode", "")
        elif event == "end" and el.tag == MAIN + "xf" and in_cell_xfs:
            xfs.append(int(el.get("numFmtId", "0")))
    found = set()
    for i, fmt_id in enumerate(xfs):
        fmt = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, "General"))
        if is_date_format(fmt):
            found.add(i)
    return found


def _sheet_rows(path: Any, target: str, shared: list[str], dates: set[int]) -> Iterator[list[Any]]:
    """A sheet's rows in order, as its XML is parsed (an empty list for each row the sheet skips)."""
    try:
        yield from _parsed_rows(path, target, shared, dates)
    except (zipfile.BadZipFile, KeyError, ValueError, AttributeError, ParseError) as exc:
        raise MuluError(f"{path} is not an .xlsx workbook ({exc}): save it from Excel or WPS as .xlsx",
                        code="FILE_INVALID", path=str(path)) from None


def _parsed_rows(path: Any, target: str, shared: list[str], dates: set[int]) -> Iterator[list[Any]]:
    with zipfile.ZipFile(path) as book, book.open(target) as sheet:
        row: list[Any] = []
        number = 0
        for _, el in iterparse(sheet, parser=XMLParser()):
            tag = el.tag
            if tag == _CELL:
                ref = el.get("r")
                col = _column(ref) if ref else len(row)
                value = _value(el, shared, dates)
                if value is not None:
                    row.extend([None] * (col - len(row)))
                    row.append(value)
                el.clear()
            elif tag == _ROW:
                r = el.get("r")
                last, number = number, int(r) if r else number + 1
                for _ in range(number - 1 - last):
                    yield []
                yield row
                row = []
                el.clear()


def _column(ref: str, known: dict[str, int] = {}) -> int:  # noqa: B006 - a cache of letters to indexes
    letters = ref.rstrip("0123456789")
    index = known.get(letters)
    if index is None:
        index = 0
        for ch in letters:
            index = index * 26 + ord(ch) - 64
        index = known.setdefault(letters, index - 1)
    return index


def _value(el: Any, shared: list[str], dates: set[int]) -> Any:
    kind = el.get("t", "n")
    if kind == "inlineStr":
        inline = el.find(_INLINE)
        return None if inline is None else _text(inline)
    v = el.find(_VALUE)
    if v is None or v.text is None:
        return None
    text = v.text
    if kind == "s":
        return shared[int(text)]
    if kind == "b":
        return text == "1"
    if kind in ("str", "e", "d"):
        return text
    style = el.get("s")
    if style is not None and int(style) in dates:
        return from_excel(float(text))
    return float(text) if "." in text or "E" in text or "e" in text else int(text)
