"""``mulu assess``: the half-year assessment — run it, anchor it, write its report, verify it offline."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Optional

import typer

from chain.errors import MuluError
from chain.genesis import Genesis
from cli.client import Client
from cli.main import KEY, NODE, PASSPHRASE, SENDER, _send, console, fail, fetch, print_table, reading, show, writing
from contracts.assessment import PERIOD

assess_app = typer.Typer(help="绩效考核: compute the half-year assessment, anchor it, report it, verify it.",
                         no_args_is_help=True)
PERIOD_OPT = typer.Option(..., "--period", help="A half year, e.g. 2026H2.")
HEIGHT_OPT = typer.Option(None, "--height", help="A certified block to compute it at (default: the last "
                                                 "certified); every node gives the same report for one height.")


def _period(period: str) -> str:
    import re

    if not re.fullmatch(PERIOD, period):
        fail(MuluError(f"--period {period!r} is a half year such as 2026H2", code="PERIOD_INVALID"))
    return period


def _computed(node: str, period: str, height: Optional[int]) -> dict[str, Any]:
    """The node's assessment of ``period`` at certified block ``height`` (None: the last certified)."""
    return fetch(lambda: Client(node).get("/v1/assessment/compute", period=_period(period), height=height))


def _ranking(report: dict[str, Any]) -> None:
    print_table(f"绩效考核 {report['period']} (block {report['height']}, {report['as_of_date']})",
                ("名次 rank", "单位 department", "目录质量 quality", "问题 findings", "罚则 penalties"),
                [(r["rank"], f"{r['name']} {r['uscc']}", r["quality"]["score"],
                  "、".join(sorted({f["title"] for f in r["findings"]})) or "—",
                  "、".join(f"{p['title']} {p['subject']}" for p in r["penalties"]) or "—")
                 for r in report["departments"]])


@assess_app.command("run")
def assess_run(period: str = PERIOD_OPT, node: str = NODE, height: Optional[int] = HEIGHT_OPT,
               record: bool = typer.Option(False, "--record", help="Anchor its digest and figures "
                                                                  "(assessment.record, 经信局)."),
               key: Optional[Path] = typer.Option(None, "--key", help="With --record: the signing key."),
               sender: Optional[str] = typer.Option(None, "--sender", help="With --record: your 统一社会信用代码."),
               passphrase: Optional[str] = PASSPHRASE) -> None:
    """Compute the assessment at the node's certified tip (or --height) and print the ranking; --record
    anchors it."""
    found = _computed(node, period, height)
    _ranking(found["report"])
    console.print(f"digest {found['digest']}")
    if record:
        if key is None or sender is None:
            fail(MuluError("--record needs --key and --sender", code="USAGE"))
        _send(node, key, sender, passphrase, "assessment", "record",
              {"period": period, "height": found["report"]["height"], "digest": bytes.fromhex(found["digest"]),
               "figures": found["figures"]})


def _rows(report: dict[str, Any]) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    ranking = [(r["rank"], r["uscc"], r["name"], r["quality"]["score"], r["quality"]["entries"], len(r["findings"]),
                len(r["penalties"])) for r in report["departments"]]
    findings = [(r["uscc"], r["name"], f["title"], f["article"], f["subject"], f["detail"], f["kind"])
                for r in report["departments"] for f in r["findings"]]
    evidence = [(r["uscc"], f["title"], f["subject"], f["tx_id"]) for r in report["departments"]
                for f in r["findings"] if f["tx_id"]]
    return {
        "排名 ranking": (("名次", "统一社会信用代码", "单位", "目录质量", "目录条目", "问题数", "罚则数"), ranking),
        "问题 findings": (("统一社会信用代码", "单位", "问题", "依据", "对象", "说明", "类别 (整改令 --finding 类别:对象)"),
                        findings),
        "证据 evidence": (("统一社会信用代码", "问题", "对象", "交易 tx id"), evidence),
    }


@assess_app.command("report")
def assess_report(period: str = PERIOD_OPT, node: str = NODE, height: Optional[int] = HEIGHT_OPT,
                  format: str = typer.Option("xlsx", "--format", help="xlsx, csv or json."),
                  out: Path = typer.Option(..., "--out", help="The file to write (csv: one file per sheet, "
                                                             "named after it).")) -> None:
    """Write the assessment as a report a person opens in Excel: ranking, findings, evidence."""
    if format not in ("xlsx", "csv", "json"):
        fail(MuluError(f"--format is xlsx, csv or json, not {format!r}", code="FORMAT_UNKNOWN"))
    found = _computed(node, period, height)
    sheets = _rows(found["report"])
    with writing(out):
        if format == "json":
            out.write_text(json.dumps(found, ensure_ascii=False, indent=2), encoding="utf-8")
        elif format == "csv":
            for name, (header, rows) in sheets.items():
                path = out.with_name(f"{out.stem}-{name.split()[1]}{out.suffix or '.csv'}")
                with path.open("w", encoding="utf-8-sig", newline="") as f:
                    w = csv.writer(f)
                    w.writerow(header)
                    w.writerows(rows)
        else:
            _xlsx(out, sheets)
    console.print(f"wrote the {period} assessment ({len(found['report']['departments'])} departments) to {out}")


def _xlsx(out: Path, sheets: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, (header, rows) in sheets.items():
        sheet = book.create_sheet(name.split()[0])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
        for i, title in enumerate(header):
            width = max([len(str(title)) * 2, *(len(str(r[i])) for r in rows[:500])], default=8)
            sheet.column_dimensions[sheet.cell(1, i + 1).column_letter].width = min(60, width + 2)
    book.save(out)


@assess_app.command("verify")
def assess_verify(period: str = PERIOD_OPT, archive: Path = typer.Option(..., "--archive"),
                  genesis: Path = typer.Option(..., "--genesis")) -> None:
    """Re-compute the anchored assessment from an export, offline, and compare digests (exit 1 unless equal)."""
    from node.assessment import verify_archive

    with reading():
        checked = verify_archive(Genesis.load(str(genesis)), archive.read_bytes(), _period(period))
    show({k: v for k, v in checked.items() if k != "report"})
    if not checked["match"]:
        console.print("the anchored digest differs from the report this export computes")
        raise typer.Exit(1)


@assess_app.command("order")
def assess_order(order_id: str, department: str = typer.Option(..., "--department"), period: str = PERIOD_OPT,
                 finding: list[str] = typer.Option(..., "--finding", help="KIND:SUBJECT, e.g. "
                                                                          "not_on_cloud:edu-portal (repeat)."),
                 text: str = typer.Option(..., "--text"), key: Path = KEY, sender: str = SENDER,
                 passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """办公厅 issues a 整改令 naming findings of an anchored assessment (000:第二十二条)."""
    findings = []
    for item in finding:
        kind, sep, subject = item.partition(":")
        if not sep or not subject:
            fail(MuluError(f"--finding {item!r} is KIND:SUBJECT", code="FINDING_INVALID"))
        findings.append({"kind": kind, "subject": subject})
    _send(node, key, sender, passphrase, "assessment", "order",
          {"order_id": order_id, "department": department, "period": _period(period), "findings": findings,
           "text": text})


@assess_app.command("answer")
def assess_answer(order_id: str, text: str = typer.Option(..., "--text"), key: Path = KEY, sender: str = SENDER,
                  passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """The department answers a 整改令 with what it rectified."""
    _send(node, key, sender, passphrase, "assessment", "answer", {"order_id": order_id, "text": text})


@assess_app.command("lift")
def assess_lift(order_id: str, text: str = typer.Option(..., "--text"), key: Path = KEY, sender: str = SENDER,
                passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """办公厅 lifts a 整改令 once rectified (000:第二十三条)."""
    _send(node, key, sender, passphrase, "assessment", "lift", {"order_id": order_id, "text": text})


@assess_app.command("orders")
def assess_orders(department: str = typer.Argument(..., help="A 统一社会信用代码."), node: str = NODE) -> None:
    """A department's 整改令: findings, answer, whether lifted."""
    rows = fetch(lambda: Client(node).get("/v1/assessment/orders", department=department, limit=1000)["orders"])
    print_table(f"整改令 {department}", ("令 order", "考核 period", "问题 findings", "答复 answer", "撤销 lifted"),
                [(o["order_id"], o["period"], "、".join(f"{f['kind']}:{f['subject']}" for f in o["findings"]),
                  (o["answer"] or {}).get("text", "—"), (o["lifted"] or {}).get("text", "—")) for o in rows])
