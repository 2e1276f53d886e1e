"""``mulu project`` (the project library) and ``mulu review`` (the acceptance verdict and its evidence).

Every lifecycle call is a signed transaction (``mulu project call METHOD``);
a project data catalog larger than one transaction is filed in parts
(``mulu project file-catalog``). ``mulu review check PROJECT`` asks a node for
the verdict with its evidence; ``--offline`` re-checks saved evidence from the
genesis file alone and names the condition an altered proof touches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from chain.errors import MuluError
from chain.genesis import Genesis
from cli.client import Client
from cli.main import (
    KEY,
    NODE,
    PASSPHRASE,
    SENDER,
    _args,
    _send,
    _unb64,
    console,
    fail,
    fetch,
    print_table,
    reading,
    show,
    signer,
    writing,
)
from contracts.project import STATE_NAMES
from contracts.project.catalogs import MAX_LINES_PER_TX, STAGES

project_app = typer.Typer(help="项目库: projects, their lifecycle and data catalogs.", no_args_is_help=True)
review_app = typer.Typer(help="The review service: may a project pass acceptance? With evidence to re-check.",
                         no_args_is_help=True)


@project_app.command("call")
def project_call(method: str = typer.Argument(..., help="register, accept_for_review, grant_opinion, refuse_review, "
                                                      "extend_opinion, approve_investment, start_construction, "
                                                      "report_progress, "
                                                      "request_change, decide_change, accept, commission, terminate…"),
                 args: str = typer.Option(..., "--args", help="The call's arguments as JSON."),
                 key: Path = KEY, sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE,
                 node: str = NODE) -> None:
    """Sign one project-library call, wait for its block, print the outcome (exit 1 unless committed)."""
    _send(node, key, sender, passphrase, "project", method, _args(args))


@project_app.command("file-catalog")
def project_file_catalog(project_id: str, stage: str = typer.Option(..., "--stage", help="declared or "
                                                                                          "pre_acceptance"),
                         file: Path = typer.Option(..., "--file", help="JSON: a list of catalog lines."),
                         key: Path = KEY, sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE,
                         node: str = NODE) -> None:
    """File a project data catalog's lines, up to 50 per transaction, each waited for in turn."""
    with reading():
        try:
            lines = json.loads(file.read_text(encoding="utf-8"))
        except ValueError as exc:
            fail(MuluError(f"{file} is not JSON: {exc}", code="FILE_INVALID", path=str(file)))
    if type(lines) is not list or not lines:
        fail(MuluError(f"{file} must hold a JSON list of catalog lines", code="FILE_INVALID", path=str(file)))
    try:
        member = signer(node, key, sender, passphrase)
        for start in range(0, len(lines), MAX_LINES_PER_TX):
            part = lines[start:start + MAX_LINES_PER_TX]
            answer = member.call("project", "file_catalog", {"project_id": project_id, "stage": stage,
                                                             "lines": part})
            if answer.get("status") != "committed":
                show(answer)
                console.print(f"lines {start + 1}..{start + len(part)} were refused; the lines before are filed")
                raise typer.Exit(1)
    except MuluError as exc:
        fail(exc)
    console.print(f"filed {len(lines)} lines of the {stage} catalog of {project_id}")


@project_app.command("show")
def project_show(project_id: str, node: str = NODE) -> None:
    """A project's current record with its review opinion."""
    show(fetch(lambda: Client(node).get(f"/v1/projects/{project_id}")))


@project_app.command("list")
def project_list(department: str = typer.Option("", "--department"), state: str = typer.Option("", "--state"),
                 node: str = NODE) -> None:
    """Projects as a table: of a department, in a state, or all."""
    rows = fetch(lambda: Client(node).get("/v1/projects", department=department, state=state,
                                          limit=1000)["projects"])
    print_table("项目库 project library", ("项目代码 id", "名称 name", "单位 department", "状态 state", "版本 version"),
                [(p["project_id"], p["name"], p["department"], f"{STATE_NAMES[p['state']]} {p['state']}",
                  p["version"]) for p in rows])


@project_app.command("history")
def project_history(project_id: str, node: str = NODE) -> None:
    """Every transition of a project: state, document, signer, block."""
    rows = fetch(lambda: Client(node).get(f"/v1/projects/{project_id}/history", limit=1000)["versions"])
    print_table(f"{project_id} 状态历史", ("版本", "状态 state", "操作 transition", "文件 document", "签名 signer",
                                        "区块 height"),
                [(v["version"], f"{STATE_NAMES[v['state']]} {v['state']}", v["transition"], v["doc"]["doc_id"],
                  v["signer"], v["height"]) for v in rows])


@project_app.command("catalog")
def project_catalog(project_id: str, stage: str = typer.Argument(..., help=", ".join(STAGES)),
                    node: str = NODE) -> None:
    """A project data catalog's lines, with its 一数一源 flags."""
    found = fetch(lambda: Client(node).get(f"/v1/projects/{project_id}/catalogs/{stage}"))
    print_table(f"{project_id} {stage} v{found['version']}", ("行 line", "名称 name", "资源代码 code", "信息项 items",
                                                             "更新 cycle", "共享 share", "来源 source"),
                [(x["line_id"], x["name"], x.get("resource_code", ""), "、".join(i["name"] for i in x["data_items"]),
                  x["update_cycle"], x["share_type"], x["source"]) for x in found["lines"]])
    for flag in found["flags"]:
        console.print(f"一数一源 {flag['line_id']}: {flag['item']} is provided by {', '.join(flag['providers'])}")


@project_app.command("mismatch")
def project_mismatch(project_id: str, node: str = NODE) -> None:
    """不符: where the 拟验收 catalog fails to inherit the 申报 catalog (exit 1 if anywhere)."""
    found = fetch(lambda: Client(node).get(f"/v1/projects/{project_id}/mismatch"))
    print_table(f"{project_id} 不符 (000:第十六条)", ("行 line", "类型 kind", "详情 detail"),
                [(m["line_id"], m["kind"], m.get("item") or f"{m.get('declared', '')} → {m.get('actual', '')}")
                 for m in found["mismatches"]])
    if found["mismatches"]:
        raise typer.Exit(1)


def _print_verdict(project_id: str, height: int, conditions: list[dict[str, Any]], passed: Any) -> None:
    rows = []
    for c in conditions:
        detail = "; ".join(f["message"] for f in c.get("failures", [])[:3]) or "; ".join(c.get("errors", [])[:2])
        state = "✓" if c.get("met") else "✗"
        if "verified" in c:
            state += " proven" if c["verified"] else " UNVERIFIED"
        rows.append((f"{c['title']} {c['name']}", state, detail))
    print_table(f"{project_id} 验收 acceptance at block {height}: {'通过 passes' if passed else '不通过 fails'}",
                ("条件 condition", "状态 status", "说明 detail"), rows)


@review_app.command("check")
def review_check(project_id: str, node: str = NODE,
                 height: Optional[int] = typer.Option(None, "--height", help="A certified block (default: the "
                                                                             "last)."),
                 out: Optional[Path] = typer.Option(None, "--out", help="Save the evidence to this file."),
                 offline: bool = typer.Option(False, "--offline", help="Re-check saved evidence; trust no node."),
                 genesis: Optional[Path] = typer.Option(None, "--genesis", help="With --offline: the genesis file."),
                 evidence: Optional[Path] = typer.Option(None, "--evidence", help="With --offline: the evidence "
                                                                                  "file.")) -> None:
    """May PROJECT pass acceptance (001:第二十一条)? Each condition with its evidence; exit 1 unless it passes
    (offline: unless every proof holds and it passes)."""
    from node import review

    if offline:
        if genesis is None or evidence is None:
            fail(MuluError("--offline needs --genesis and --evidence", code="USAGE", hint="mulu review check P "
                           "--offline --genesis genesis.json --evidence evidence.json"))
        with reading():
            try:
                bundle = _unb64(json.loads(evidence.read_text(encoding="utf-8")))
            except ValueError as exc:
                fail(MuluError(f"{evidence} is not JSON: {exc}", code="EVIDENCE_INVALID"))
            if not isinstance(bundle, dict) or bundle.get("project_id") != project_id:
                fail(MuluError(f"{evidence} is not evidence about {project_id}", code="EVIDENCE_INVALID"))
            checked = review.check(Genesis.load(str(genesis)), bundle)
        _print_verdict(project_id, checked["height"], checked["conditions"], checked["passed"])
        for error in checked["errors"]:
            console.print(f"EVIDENCE_INVALID: {error}")
        if not checked["verified"]:
            console.print("the evidence does not hold: the conditions marked UNVERIFIED rest on altered or missing "
                          "proofs")
            raise typer.Exit(1)
        console.print("every proof holds against the genesis validators")
        if not checked["passed"]:
            raise typer.Exit(1)
        return
    bundle = fetch(lambda: Client(node).get(f"/v1/review/projects/{project_id}/acceptance", height=height))
    if out is not None:
        with writing(out):
            out.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    found = bundle["verdict"]
    _print_verdict(project_id, bundle["height"], found["conditions"], found["passed"])
    if out is not None:
        console.print(f"evidence: {len(bundle['records'])} state proofs and {len(bundle['transactions'])} "
                      f"inclusion proofs in {out}")
    if not found["passed"]:
        raise typer.Exit(1)
