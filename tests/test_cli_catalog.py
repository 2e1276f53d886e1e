"""The catalog commands: duty items and catalog entries from JSON and CSV files.

A node is served in process; 市教委 proposes duty items from JSON, 编办
approves them from CSV, and 市教委 and 市卫生健康委 publish catalog entries
from CSV. The commands print a table of outcomes (committed, refused with its
rule and field) and exit 1 when any record was not committed; the show,
history, diff, list and overlaps commands read the result back.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli.intake import read_catalog
from node.samples import by_short
from tests.test_cli import mulu

EDU = by_short("市教委")
HEALTH = by_short("市卫生健康委")
BIANBAN = by_short("市委编办")

CSV_HEADER = ("resource_code,class,item,category,name,provider,provider_code,summary,format,data_items,"
              "share_type,share_condition,share_basis,open_to_public,update_cycle,published,duty_items,reason\n")


def csv_row(code, name, member, items, share_type="conditional", condition="用于教育管理", basis="", duty="D01-01",
            reason="首次编制"):
    return (f"{code},{code[0]},{code[1:3]},{code[3:6]},{name},{member.name},{member.uscc},{name}摘要,数据库,"
            f"{items},{share_type},{condition},{basis},false,daily,2026-07-01,{duty},{reason}\n")


def key_args(home: Path, member) -> list:
    return ["--key", home.key_file(member.uscc), "--sender", member.uscc]


def approve_duties(home: Path, url: str, tmp_path: Path, member=EDU) -> None:
    """``member`` proposes duty items D01-01 and D01-02 and 编办 approves them, from files."""
    node = ["--node", url]
    duties = tmp_path / "duties.json"
    duties.write_text(json.dumps([
        {"item_id": f"D01-0{i}", "main_duty": "负责本市基础教育管理工作", "title": title,
         "sanding_text": "（一）统筹管理本市基础教育", "basis": "《义务教育法》", "reason": "依据三定规定编制"}
        for i, title in ((1, "中小学学籍管理"), (2, "学前教育管理"))], ensure_ascii=False), encoding="utf-8")
    out = mulu("duty", "propose", "--file", duties, *key_args(home, member), *node).output
    assert "committed=2" in out

    approvals = tmp_path / "approvals.csv"
    approvals.write_text("department,item_id,version,note\n"
                         f"{member.uscc},D01-01,1,同意\n{member.uscc},D01-02,1,同意\n", encoding="utf-8")
    assert "committed=2" in mulu("duty", "approve", "--file", approvals, *key_args(home, BIANBAN), *node).output
    listing = mulu("duty", "list", member.uscc, *node).output
    assert "中小学学籍管理" in listing and "approved" in listing


def test_duty_and_catalog_files_end_to_end(served, tmp_path):
    """Propose, approve, publish from files; a bad entry is reported, checked before signing, naming its
    rule, and exits 1; reads show the rest."""
    home, url = served
    node = ["--node", url]
    approve_duties(home, url, tmp_path)

    entries = tmp_path / "entries.csv"
    entries.write_text(CSV_HEADER
                       + csv_row("301001/000001", "中小学学籍信息", EDU, "学生姓名:C:32;公民身份号码:C:18;入学日期:D:8")
                       + csv_row("301001/000002", "内部研判信息", EDU, "研判结论:C:200", share_type="not_shared",
                                 condition=""), encoding="utf-8")
    refused = mulu("catalog", "publish", "--file", entries, *key_args(home, EDU), *node, code=1).output
    assert "committed=1 invalid=1" in refused  # checked before signing: never sent
    assert "CATALOG_SHARE_BASIS_MISSING" in refused and "share_basis" in refused

    # 市卫生健康委 has no approved duty item: refused naming the article's field
    health = tmp_path / "health.csv"
    health.write_text(CSV_HEADER + csv_row("302001/000001", "出生医学证明信息", HEALTH, "公民身份号码:C:18",
                                           condition="用于户籍登记", duty="D02-01"), encoding="utf-8")
    out = mulu("catalog", "publish", "--file", health, *key_args(home, HEALTH), *node, code=1).output
    assert "CATALOG_DUTY_UNMAPPED" in out and "duty_items[0]" in out

    updated = tmp_path / "updated.csv"
    updated.write_text(CSV_HEADER + csv_row("301001/000001", "中小学学籍信息", EDU,
                                            "学生姓名:C:64;公民身份号码:C:18;入学日期:D:8", reason="扩展姓名长度"),
                       encoding="utf-8")
    assert "committed=1" in mulu("catalog", "publish", "--file", updated, *key_args(home, EDU), *node).output
    history = mulu("catalog", "history", "301001/000001", *node).output
    assert "扩展姓名长度" in history and "首次编制" in history
    diff = json.loads(mulu("catalog", "diff", "301001/000001", "1", "2", *node).stdout)
    assert [c["name"] for c in diff["items_changed"]] == ["学生姓名"]
    shown = json.loads(mulu("catalog", "show", "301001/000001", *node).stdout)
    assert shown["version"] == 2
    assert "中小学学籍信息" in mulu("catalog", "list", EDU.uscc, *node).output
    provides = mulu("catalog", "provides", "公民身份号码", *node).output
    assert "301001/000001" in provides and EDU.name in provides
    synonym = mulu("catalog", "provides", "身份证号", *node).output  # through the data-element dictionary
    assert "公民身份号码 (asked: 身份证号)" in synonym and "301001/000001" in synonym
    assert "generic item" in mulu("catalog", "provides", "序号", *node).output
    elements = mulu("catalog", "elements", *node).output
    assert "统一社会信用代码" in elements and "社会信用代码" in elements and "序号" in elements


def test_invalid_files_name_the_problem(served, tmp_path):
    """A file that is neither JSON nor CSV, or malformed JSON, exits 1 with FILE_INVALID."""
    home, url = served
    bad = tmp_path / "entries.txt"
    bad.write_text("hello")
    out = mulu("catalog", "publish", "--file", bad, *key_args(home, EDU), "--node", url, code=1).output
    assert "FILE_INVALID" in out
    broken = tmp_path / "entries.json"
    broken.write_text("[{")
    out = mulu("catalog", "publish", "--file", broken, *key_args(home, EDU), "--node", url, code=1).output
    assert "FILE_INVALID" in out


def test_csv_in_utf8_with_bom_or_gbk_publishes(served, tmp_path):
    """A CSV saved by Excel as UTF-8 with a BOM, or in GBK (the default on a Chinese Windows), is read
    as the same records as plain UTF-8; a file in neither is FILE_ENCODING_UNKNOWN naming it."""
    home, url = served
    text = CSV_HEADER + csv_row("301001/000009", "学籍信息", EDU, "学生姓名:C:32", duty="")
    (tmp_path / "utf8.csv").write_text(text, encoding="utf-8")
    [plain] = [row.args for row in read_catalog(tmp_path / "utf8.csv").rows]
    assert plain["name"] == "学籍信息"
    for name, data in (("bom.csv", text.encode("utf-8-sig")), ("gbk.csv", text.encode("gbk"))):
        path = tmp_path / name
        path.write_bytes(data)
        assert [row.args for row in read_catalog(path).rows] == [plain]
        out = mulu("catalog", "publish", "--file", path, *key_args(home, EDU), "--node", url, code=1).output
        assert "CATALOG_NOTE_REQUIRED" in out and "invalid=1" in out  # read, and judged by the contract's rules
    undecodable = tmp_path / "latin.csv"
    undecodable.write_bytes(CSV_HEADER.encode() + b"\xff\xfe\x81\x00\n")
    out = mulu("catalog", "publish", "--file", undecodable, *key_args(home, EDU), "--node", url, code=1).output
    assert "error FILE_ENCODING_UNKNOWN:" in out and "latin.csv" in out


def test_a_file_without_records_is_refused(served, tmp_path):
    """A CSV with only its header, or an empty JSON list, is FILE_EMPTY: publishing nothing is a mistake."""
    home, url = served
    (tmp_path / "empty.csv").write_text(CSV_HEADER, encoding="utf-8")
    (tmp_path / "empty.json").write_text("[]", encoding="utf-8")
    for name in ("empty.csv", "empty.json"):
        out = mulu("catalog", "publish", "--file", tmp_path / name, *key_args(home, EDU), "--node", url,
                   code=1).output
        assert "error FILE_EMPTY:" in out


def test_node_lost_mid_run_shows_each_rows_fate(served, tmp_path, monkeypatch):
    """When the node stops answering mid-run (here: on the second of three batches), publish prints every
    row: those sent but not confirmed as unknown, the rest as not_sent, then the error; it exits 1."""
    import cli.bulk
    from cli.client import ApiError, Client

    home, url = served
    approve_duties(home, url, tmp_path)
    monkeypatch.setattr(cli.bulk, "BATCH", 2)
    real = Client.submit_batch
    batches = []

    def once_then_gone(self, raws):
        batches.append(1)
        if len(batches) > 1:
            raise ApiError(0, "NODE_UNREACHABLE", f"cannot reach the node at {url}: connection refused")
        return real(self, raws)

    monkeypatch.setattr(Client, "submit_batch", once_then_gone)
    entries = tmp_path / "entries.csv"
    entries.write_text(CSV_HEADER + "".join(csv_row(f"301001/00000{i}", f"信息{i}", EDU, "学生姓名:C:32")
                                            for i in range(1, 6)), encoding="utf-8")
    out = mulu("catalog", "publish", "--file", entries, *key_args(home, EDU), "--node", url, code=1).output
    assert "error NODE_UNREACHABLE:" in out
    rows = {line.split("│")[2].strip(): line.split("│")[3].strip().split()[-1] for line in out.splitlines()
            if "│ 301001/" in line}
    assert rows == {"301001/000001": "unknown", "301001/000002": "unknown", "301001/000003": "unknown",
                    "301001/000004": "unknown", "301001/000005": "not_sent"}
    assert "unknown=4 not_sent=1" in out


def test_empty_answers_say_so(served):
    """overlaps with none says "no overlaps"; list for a code that is no member is MEMBER_NOT_FOUND, as
    the API says, not an empty table."""
    home, url = served
    assert "no overlaps" in mulu("catalog", "overlaps", "--node", url).output
    for group in ("catalog", "duty"):
        out = mulu(group, "list", "91110108MA00000000", "--node", url, code=1).output
        assert "error MEMBER_NOT_FOUND:" in out
