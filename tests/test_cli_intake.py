"""Catalog intake as clerks work: the 1272 spreadsheet in Chinese, checks before signing, row-level reports.

A node is served in process; 市教委 has approved duty items (D01-01, D01-02). The tests
fill the template `mulu catalog template` writes, or write CSV files in UTF-8, UTF-8
with BOM and GBK, with Chinese or English headers and values, and show: every value
read through its column's table, every error of every row named by its spreadsheet
row, column and code, a bad row that does not stop the rows after it, and a re-run of
a fixed file that skips what is already on chain and exits 0.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cli.intake import CellError, read_cell, read_catalog, read_date, read_items
from cli.intake_fields import BY_NAME, COLUMNS, DATA_TYPE, SHARE_TYPE, UPDATE_CYCLE, YES_NO
from tests.test_cli import mulu
from tests.test_cli_catalog import EDU, approve_duties, key_args

ZH = {"class": "3", "item": "01", "category": "001", "resource_code": "301001/000001", "name": "中小学学籍信息",
      "provider": EDU.name, "provider_code": EDU.uscc, "summary": "本市中小学学生学籍基本信息", "format": "数据库",
      "data_items": "学生姓名:字符型:32、公民身份号码：字符型：18、入学日期:日期型:8", "share_type": "有条件共享",
      "share_condition": "用于教育管理相关业务", "share_method": "接口", "open_to_public": "否",
      "update_cycle": "每季度", "published": "2026/7/1", "duty_items": "D01-01", "reason": "首次编制"}


def zh_row(**change) -> dict:
    return {**ZH, **change}


def fill_template(tmp_path: Path, rows: list[dict], items: list[tuple] = (), name="目录.xlsx") -> Path:
    """The template `mulu catalog template` writes, with ``rows`` (by argument name) in its catalog sheet and
    ``items`` (资源代码, 名称, 类型, 长度) in its 信息项 sheet."""
    template = tmp_path / "数据目录模板.xlsx"
    if not template.exists():
        mulu("catalog", "template", "--out", template)
    book = load_workbook(template)
    sheet = book["数据目录"]
    for row in rows:
        sheet.append([row.get(c.name, "") for c in COLUMNS])
    for item in items:
        book["信息项"].append(list(item))
    path = tmp_path / name
    book.save(path)
    return path


def csv_text(rows: list[dict], english=False) -> str:
    header = ",".join(c.name if english else c.header for c in COLUMNS)
    lines = [",".join(f'"{row.get(c.name, "")}"' for c in COLUMNS) for row in rows]
    return "\n".join([header, *lines]) + "\n"


def table(out: str) -> dict[str, list[list[str]]]:
    """The outcome table's lines by row number: [outcome, column, cell, code, message] each."""
    rows: dict[str, list[list[str]]] = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 8 and cells[0] and cells[0][0].isdigit():
            rows.setdefault(cells[0], []).append([cells[2], cells[3], cells[4], cells[5], cells[6]])
    return rows


def test_template_round_trip_publishes_chinese_rows(served, tmp_path):
    """The template has its sheets, headers and drop-down lists; rows filled in Chinese — 信息项 in a cell
    or in the 信息项 sheet — publish, and the chain holds the English values."""
    home, url = served
    approve_duties(home, url, tmp_path)
    path = fill_template(tmp_path, [zh_row(), zh_row(resource_code="301001/000002", name="学前教育信息",
                                                     data_items="", update_cycle="每日", published="2026年7月2日")],
                         items=[("301001/000002", "幼儿姓名", "字符型", 32), ("301001/000002", "入园日期", "D", 8)])
    book = load_workbook(tmp_path / "数据目录模板.xlsx")
    assert book.sheetnames[:4] == ["数据目录", "信息项", "示例", "填写说明"]
    assert [c.value for c in book["数据目录"][1]][:6] == ["类", "项", "目", "细目", "信息资源代码", "信息资源名称"]
    assert [c.value for c in book["信息项"][1]] == ["资源代码", "信息项名称", "数据类型", "长度"]
    lists = {str(dv.sqref)[0] for dv in book["数据目录"].data_validations.dataValidation}
    assert lists == {"L", "P", "R"}  # 共享类型, 是否向社会开放, 更新周期
    out = mulu("catalog", "publish", "--file", path, *key_args(home, EDU), "--node", url).output
    assert "committed=2" in out
    first = json.loads(mulu("catalog", "show", "301001/000001", "--node", url).stdout)["entry"]
    assert (first["share_type"], first["update_cycle"], first["published"], first["open_to_public"]) == (
        "conditional", "quarterly", "2026-07-01", False)
    assert [(i["name"], i["data_type"]) for i in first["data_items"]] == [
        ("学生姓名", "C"), ("公民身份号码", "C"), ("入学日期", "D")]
    second = json.loads(mulu("catalog", "show", "301001/000002", "--node", url).stdout)["entry"]
    assert second["data_items"] == [{"name": "幼儿姓名", "data_type": "C", "length": "32"},
                                    {"name": "入园日期", "data_type": "D", "length": "8"}]
    assert (second["update_cycle"], second["published"]) == ("daily", "2026-07-02")
    provides = mulu("catalog", "provides", "身份证号", "--node", url).output  # a synonym asked
    assert "公民身份号码 (asked: 身份证号)" in provides and EDU.uscc in provides and "301001/000001" in provides
    row = next(line for line in provides.splitlines() if EDU.uscc in line)
    assert "公民身份号码" in row.split(EDU.uscc, 1)[1]  # the name the department wrote, in its own column


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
@pytest.mark.parametrize("english", [False, True])
def test_chinese_and_english_headers_in_every_encoding_read_alike(tmp_path, encoding, english):
    """A CSV with Chinese or English headers, in UTF-8, UTF-8 with BOM or GBK, reads as the same rows."""
    path = tmp_path / "目录.csv"
    path.write_bytes(csv_text([zh_row()], english).encode(encoding))
    [row] = read_catalog(path).rows
    assert row.number == 2 and not row.problems
    assert row.args["share_type"] == "conditional" and row.args["update_cycle"] == "quarterly"
    assert row.args["data_items"][1] == {"name": "公民身份号码", "data_type": "C", "length": "18"}


@pytest.mark.parametrize(("column", "table"), [("share_type", SHARE_TYPE), ("update_cycle", UPDATE_CYCLE),
                                               ("open_to_public", YES_NO)])
def test_each_enumerations_values_are_normalised(column, table):
    """Every value of each column's table — 有条件共享, 每季度, 是/否 and their English — reads as the chain's."""
    for written, value in table.items():
        read = read_cell(BY_NAME[column], written)
        assert read == (value == "true" if column == "open_to_public" else value), written


def test_data_types_in_words_or_letters():
    """字符型, 字符, C and c are one type; so are the guide's other types."""
    for written, letter in DATA_TYPE.items():
        assert read_items(f"名称:{written}:10") == [{"name": "名称", "data_type": letter, "length": "10"}]


def test_invalid_values_name_the_accepted_ones(tmp_path):
    """An unknown value is a problem of its row naming the column as headed and the values it takes."""
    path = tmp_path / "目录.csv"
    path.write_text(csv_text([zh_row(), zh_row(share_type="部分共享", update_cycle="每两年", published="7月1日")]),
                    encoding="utf-8")
    first, second = read_catalog(path).rows
    assert not first.problems
    found = {(p.row, p.column, p.code) for p in second.problems}
    assert found == {(3, "共享类型", "INTAKE_VALUE_UNKNOWN"), (3, "更新周期", "INTAKE_VALUE_UNKNOWN"),
                     (3, "发布日期", "INTAKE_DATE_INVALID")}
    share = next(p for p in second.problems if p.column == "共享类型")
    assert "无条件共享, 有条件共享, 不予共享" in share.message and share.cell == "L3"


@pytest.mark.parametrize("written", ["2023/6/15", "2023-06-15", "2023年6月15日", "2023.6.15", "20230615",
                                     "2023/06/15 00:00:00", datetime.datetime(2023, 6, 15), datetime.date(2023, 6, 15)])
def test_dates_in_their_common_written_forms(written):
    assert read_date(written) == "2023-06-15"


@pytest.mark.parametrize("written", ["2023/2/30", "15/6/2023", "2023年6月", 45092])
def test_invalid_dates_are_refused(written):
    with pytest.raises(CellError) as caught:
        read_date(written)
    assert caught.value.code == "INTAKE_DATE_INVALID"


def test_data_items_split_on_every_separator():
    """、，;； , ; and line breaks part items; ： is :; a comma inside a length stays (金额:N:10,2)."""
    items = read_items("序号:I、名称:C:100，统一社会信用代码：字符型：18;金额:N:10,2；备注:M\n地址:C:200,电话:C:20")
    assert [(i["name"], i["data_type"], i.get("length")) for i in items] == [
        ("序号", "I", None), ("名称", "C", "100"), ("统一社会信用代码", "C", "18"), ("金额", "N", "10,2"),
        ("备注", "M", None), ("地址", "C", "200"), ("电话", "C", "20")]


@pytest.mark.parametrize(("written", "says"), [
    ("序号、名称、统一社会信用代码", "has no 数据类型"),
    ("学生姓名:C:32:x", "has 4 fields"),
    ("学生姓名:甲型:32", "is not one of"),
    (":C:32", "has no name"),
    ("学生姓名::32", "has no 数据类型"),
])
def test_invalid_data_items_are_never_guessed(written, says):
    """A name without its type, extra fields, an unknown type or no name is an error, never silently stored."""
    with pytest.raises(CellError) as caught:
        read_items(written)
    assert says in caught.value.message


def test_invalid_files_are_one_error_line_never_a_traceback(served, tmp_path):
    """A file that is not a workbook, an old .xls, an undecodable CSV or a sheet without headers exits 1
    with a stable code."""
    home, url = served
    cases = {"fake.xlsx": (b"hello", "FILE_INVALID"), "old.xls": (b"\xd0\xcf\x11\xe0", "FILE_INVALID"),
             "latin.csv": ("信息资源名称,类\n".encode() + b"\xff\xfe\x81\x00\n", "FILE_ENCODING_UNKNOWN"),
             "plain.csv": ("a,b\n1,2\n".encode(), "INTAKE_HEADER_MISSING"),
             "extra.csv": ("信息资源名称,类,主题名称\n学籍,3,x\n".encode(), "INTAKE_COLUMN_UNKNOWN"),
             "twice.csv": ("信息资源名称,资源名称,类\n学籍,学籍,3\n".encode(), "INTAKE_COLUMN_DUPLICATE")}
    for name, (data, code) in cases.items():
        (tmp_path / name).write_bytes(data)
        result = mulu("catalog", "publish", "--file", tmp_path / name, "--sender", EDU.uscc, "--check", code=1)
        assert f"error {code}:" in result.output and result.exception is None or isinstance(
            result.exception, SystemExit), name


def test_check_offline_reports_every_error_of_every_row_and_signs_nothing(served, tmp_path):
    """--check without a node: every problem of every row — reading, argument specs, contract rules —
    with its spreadsheet row, column, cell and code; the node's height does not move."""
    home, url = served
    before = json.loads(mulu("query", "status", "--node", url).stdout)["height"]
    path = fill_template(tmp_path, [
        zh_row(),
        zh_row(resource_code="301001/000002", share_type="不予共享", open_to_public="是", summary="",
               data_items="学生姓名:C:32、学生姓名:C:32"),
        zh_row(resource_code="302001/000003", data_items="序号、名称"),
        zh_row(resource_code="301001/000001", name="重复代码"),
    ])
    out = mulu("catalog", "publish", "--file", path, "--sender", EDU.uscc, "--check", code=1).output
    rows = table(out)
    assert rows["2"][0][0].endswith("ok")
    codes = {(line[1], line[3]) for line in rows["3"]}
    assert codes == {("信息资源摘要", "TX_ARGS_INVALID"), ("不予共享依据", "CATALOG_SHARE_BASIS_MISSING"),
                     ("是否向社会开放", "CATALOG_OPEN_NOT_SHARED"), ("信息项", "CATALOG_DATA_ITEM_DUPLICATE")}
    assert {(line[1], line[2], line[3]) for line in rows["4"]} == {
        ("信息项", "K4", "INTAKE_DATA_ITEM_INVALID"), ("信息资源代码", "E4", "CATALOG_CODE_CLASS_MISMATCH")}
    assert rows["5"][0][3] == "INTAKE_CODE_REPEATED" and rows["5"][0][4].startswith("资源代码 301001/000001")
    assert "ok=1 invalid=3" in out
    assert json.loads(mulu("query", "status", "--node", url).stdout)["height"] == before


def test_a_bad_row_in_the_middle_spoils_nothing_and_a_fixed_rerun_exits_0(served, tmp_path):
    """An .xlsx with a bad row in the middle: the report names its spreadsheet row and column, the rows
    after it commit, the --report copy marks the bad cell; the fixed file run again skips the rows
    on chain and exits 0; run once more, it changes nothing."""
    home, url = served
    approve_duties(home, url, tmp_path)
    rows = [zh_row(resource_code=f"301001/00000{i}", name=f"信息{i}") for i in range(1, 6)]
    rows[2] = {**rows[2], "duty_items": "D09-09"}  # row 4: no such approved duty item
    path = fill_template(tmp_path, rows)
    report = tmp_path / "结果.xlsx"
    out = mulu("catalog", "publish", "--file", path, *key_args(home, EDU), "--node", url, "--report", report,
               code=1).output
    lines = table(out)
    assert [lines[str(n)][0][0].split()[-1] for n in range(2, 7)] == [
        "committed", "committed", "invalid", "committed", "committed"]
    assert lines["4"][0][1:4] == ["职责事项 (duty_items[0])", "U4", "CATALOG_DUTY_UNMAPPED"]
    marked = load_workbook(report)["数据目录"]
    assert marked["U4"].fill.fgColor.rgb.endswith("FFC7CE") and "CATALOG_DUTY_UNMAPPED" in marked["U4"].comment.text
    assert marked.cell(1, marked.max_column).value == "处理结果 outcome"
    assert "已上链" in marked.cell(2, marked.max_column).value and "CATALOG_DUTY_UNMAPPED" in marked.cell(
        4, marked.max_column).value

    rows[2] = {**rows[2], "duty_items": "D01-02"}
    fixed = fill_template(tmp_path, rows, name="目录-修改.xlsx")
    out = mulu("catalog", "publish", "--file", fixed, *key_args(home, EDU), "--node", url).output
    assert "unchanged=4 committed=1" in out or "committed=1 unchanged=4" in out
    out = mulu("catalog", "publish", "--file", fixed, *key_args(home, EDU), "--node", url).output
    assert "unchanged=5" in out


def test_a_call_rejected_at_the_door_does_not_poison_the_calls_after_it(served):
    """Three calls in one batch, the second refused at the door: the third is signed again with the
    nonce the node now expects, and commits."""
    from cli.bulk import submit_calls
    from cli.client import Client, Member

    home, url = served
    member = Member(Client(url), home.member_key(EDU.uscc), EDU.uscc)
    doc = {"doc_id": "d1", "title": "目录", "kind": "data_catalog", "digest": b"\x01" * 32}
    calls = [("anchor", "put", doc, "1"), ("anchor", "put", {**doc, "unknown": 1}, "2"),
             ("anchor", "put", {**doc, "doc_id": "d3"}, "3")]
    outcomes = submit_calls(member, calls)
    assert [o.status for o in outcomes] == ["committed", "rejected", "committed"]
    assert outcomes[1].code == "TX_ARGS_INVALID"



def test_assign_codes_gives_the_next_free_sequence_under_each_prefix(served, tmp_path):
    """--assign-codes: a row without 信息资源代码 gets one more than the highest 后段码 under its 前段码 —
    on chain (asked of the node) or in the file — six digits; the same file checked twice gets the same
    codes, and publishing it commits them (the --report copy shows them)."""
    home, url = served
    approve_duties(home, url, tmp_path)
    first = fill_template(tmp_path, [zh_row()], name="first.xlsx")
    assert "committed=1" in mulu("catalog", "publish", "--file", first, *key_args(home, EDU), "--node", url).output
    rows = [zh_row(resource_code="", name="甲"), zh_row(resource_code="301001/000005", name="乙"),
            zh_row(resource_code="", name="丙", item="02", category="002"), zh_row(resource_code="", name="丁")]
    path = fill_template(tmp_path, rows, name="codes.xlsx")
    checked = [table(mulu("catalog", "publish", "--file", path, "--sender", EDU.uscc, "--node", url, "--check",
                          "--assign-codes").output) for _ in range(2)]
    assert checked[0] == checked[1]
    report = tmp_path / "codes-report.xlsx"
    out = mulu("catalog", "publish", "--file", path, *key_args(home, EDU), "--node", url, "--assign-codes",
               "--report", report).output
    assert "committed=4" in out
    codes = [line.split("│")[2].strip() for line in out.splitlines() if line.count("│") == 9 and "30" in line]
    assert codes == ["301001/000006", "301001/000005", "302002/000001", "301001/000007"]
    assert [c.value for c in load_workbook(report)["数据目录"]["E"][1:5]] == codes


def test_the_fast_reader_reads_what_openpyxl_reads(tmp_path):
    """cli.xlsx reads the values openpyxl's read-only mode reads: text (shared and inline), whole and
    decimal numbers, booleans, dates and date-times by their cell format, gaps of cells and of rows,
    every sheet in order."""
    from openpyxl import Workbook

    from cli.xlsx import read_workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "数据目录"
    sheet.append(["类", 1, 2.5, True, None, "末列"])
    sheet.append([datetime.datetime(2023, 6, 15), datetime.date(2024, 2, 29), "=1+1", None, None, None])
    sheet["B2"].number_format = "yyyy年m月d日"
    sheet.cell(5, 3, "隔行")
    book.create_sheet("信息项").append(["资源代码", "信息项名称"])
    path = tmp_path / "values.xlsx"
    book.save(path)
    mine = read_workbook(path)
    theirs = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)]
              for ws in load_workbook(path, read_only=True, data_only=True).worksheets}
    assert list(mine) == list(theirs) == ["数据目录", "信息项"]
    for name in mine:
        trimmed = [row + [None] * (len(other) - len(row)) for row, other in zip(mine[name], theirs[name])]
        assert trimmed == theirs[name], name


def test_a_title_row_and_a_second_header_row_are_read(tmp_path):
    """A title row above the headers, 信息资源分类 over 类/项/目/细目 in a second header row, and a 序号
    column — as provincial catalogs lay them out — read as the template does."""
    headers = [c.header for c in COLUMNS]
    upper = ["序号", "信息资源分类", "", "", "", *headers[4:]]
    lower = ["", "类", "项", "目", "细目", *[""] * (len(headers) - 4)]
    values = ["1", *[zh_row().get(c.name, "") for c in COLUMNS]]
    lines = ["北京市教育委员会政务信息资源目录" + "," * len(headers), ",".join(upper), ",".join(lower),
             ",".join(f'"{v}"' for v in values)]
    path = tmp_path / "省级目录.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    [row] = read_catalog(path).rows
    assert row.number == 4 and not row.problems
    assert (row.args["class"], row.args["item"], row.args["category"], row.args["resource_code"]) == (
        "3", "01", "001", "301001/000001")
