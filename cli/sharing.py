"""``mulu share`` (sharing requests, 002:第十七、十八条) and ``mulu dispute`` (校核, 004:第十四条).

Every step is a signed transaction waited for in its block; a request's or
dispute's id is the id of the transaction that filed it (printed as ``tx_id``).
The listings ask the node, whose deadlines are as of its tip's block time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

import typer

from cli.client import Client
from cli.main import KEY, NODE, PASSPHRASE, SENDER, _send, fetch, print_table, show
from contracts.sharing.disputes import OUTCOMES

share_app = typer.Typer(help="共享申请: how to get a resource; request, answer and decide 有条件/不予共享 resources.",
                        no_args_is_help=True)
dispute_app = typer.Typer(help="校核: data disputes, answered in 10 working days or extended once.",
                          no_args_is_help=True)

SHARE_NAMES = {"unconditional": "无条件共享", "conditional": "有条件共享", "not_shared": "不予共享"}
REASONS = typer.Option(..., "--reasons", help="Why: an answer gives its reasons (002:第十七条).")
CONDITIONS = typer.Option("", "--conditions", help="An approval's conditions of use (method, scope, period).")
APPROVE = typer.Option(..., "--approve/--refuse")


def _deadline(record: dict[str, Any]) -> str:
    """A table cell: the answer's deadline and status, or who answered when."""
    timely = record.get("timeliness")
    if timely is not None:
        return f"{timely['deadline'] or timely['year']} {timely['status']}"
    answered = record["answer"]
    return f"{answered['date']} {answered.get('by', '')}{' late' if answered['late'] else ''}"


# --- sharing requests ------------------------------------------------------------------------------------


@share_app.command("access")
def share_access(resource_code: str, requester: str = typer.Option("", "--requester", help="Show this member's "
                                                                                            "approved request."),
                 node: str = NODE) -> None:
    """How to get a resource: its 共享属性, conditions and method, and whether a request is needed."""
    show(fetch(lambda: Client(node).get("/v1/sharing/access", resource_code=resource_code, requester=requester)))


@share_app.command("request")
def share_request(resource_code: str, purpose: str = typer.Option(..., "--purpose", help="What the data is for."),
                  law: str = typer.Option(..., "--law", help="The law or policy the request rests on."),
                  duty_item: str = typer.Option(..., "--duty-item", help="Your own approved duty item it serves."),
                  need: str = typer.Option(..., "--need", help="The business need."), key: Path = KEY,
                  sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """Request another department's 有条件共享 or 不予共享 resource, with purpose and basis (004:第十九条)."""
    _send(node, key, sender, passphrase, "sharing", "request",
          {"resource_code": resource_code, "purpose": purpose, "law_basis": law, "duty_item": duty_item,
           "business_need": need})


def _answering(method: str, summary: str) -> Any:
    """The command answering a request by ``method`` (``answer``: the provider; ``decide``: 经信局)."""

    def command(request_id: str, approve: bool = APPROVE, reasons: str = REASONS, conditions: str = CONDITIONS,
                key: Path = KEY, sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE,
                node: str = NODE) -> None:
        _send(node, key, sender, passphrase, "sharing", method,
              {"request_id": request_id, "approve": approve, "reasons": reasons, "conditions": conditions})

    command.__doc__ = summary
    return command


share_app.command("answer")(_answering("answer", "The provider approves or refuses a request, with reasons, "
                                                 "within 10 working days (002:第十七条)."))
share_app.command("decide")(_answering("decide", "经信局 decides an overdue request in the provider's stead "
                                                 "(002:第十七条)."))


@share_app.command("show")
def share_show(request_id: str, node: str = NODE) -> None:
    """One request: purpose, basis, answer, bound use, and its deadline while it waits."""
    show(fetch(lambda: Client(node).get(f"/v1/sharing/requests/{request_id}")))


def _requests_table(title: str, rows: list[dict[str, Any]]) -> None:
    print_table(title, ("编号 id", "资源 resource", "共享 share", "申请 requester", "提供 provider", "状态 status",
                        "期限 deadline"),
                [(r["request_id"], r["resource_code"], SHARE_NAMES[r["share_type"]], r["requester"], r["provider"],
                  r["status"], _deadline(r)) for r in rows])


@share_app.command("list")
def share_list(requester: str = typer.Option("", "--requester"), provider: str = typer.Option("", "--provider"),
               status: str = typer.Option("", "--status", help="open, approved or refused"),
               node: str = NODE) -> None:
    """Sharing requests as a table: of a requester, to a provider, or all."""
    rows = fetch(lambda: Client(node).get("/v1/sharing/requests", requester=requester, provider=provider,
                                          status=status, limit=1000)["requests"])
    _requests_table("共享申请 sharing requests", rows)


@share_app.command("overdue")
def share_overdue(provider: str = typer.Option("", "--provider"), node: str = NODE) -> None:
    """Requests unanswered past their deadline as of the node's tip (exit 1 if any)."""
    _overdue(node, "requests", provider, "逾期未答复", _requests_table)


def _overdue(node: str, kind: str, provider: str, title: str, table: Callable[[str, list], None]) -> None:
    """Print the ``kind`` (requests or disputes) past their deadline as of the node's tip; exit 1 if any."""
    found = fetch(lambda: Client(node).get(f"/v1/sharing/{kind}/overdue", provider=provider, limit=1000))
    table(f"{title} overdue at block {found['as_of_height']}", found[kind])
    if found[kind]:
        raise typer.Exit(1)


# --- 校核 disputes ---------------------------------------------------------------------------------------


@dispute_app.command("file")
def dispute_file(resource_code: str, problem: str = typer.Option(..., "--problem", help="What is doubtful or "
                                                                                        "wrong."),
                 items: str = typer.Option("", "--items", help="The data items concerned, separated by 、 or ;."),
                 key: Path = KEY, sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE,
                 node: str = NODE) -> None:
    """File a 校核 dispute about another department's resource (004:第十四条)."""
    names = [n.strip() for n in items.replace("、", ";").split(";") if n.strip()]
    _send(node, key, sender, passphrase, "sharing", "dispute",
          {"resource_code": resource_code, "problem": problem, "data_items": names})


@dispute_app.command("answer")
def dispute_answer(dispute_id: str, outcome: str = typer.Option(..., "--outcome", help=" or ".join(OUTCOMES)),
                   reply: str = typer.Option(..., "--reply"), key: Path = KEY, sender: str = SENDER,
                   passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """The provider answers a dispute: corrected, or checked with no error found."""
    _send(node, key, sender, passphrase, "sharing", "answer_dispute",
          {"dispute_id": dispute_id, "outcome": outcome, "reply": reply})


@dispute_app.command("extend")
def dispute_extend(dispute_id: str, head: str = typer.Option(..., "--head", help="The head (主要负责人) who "
                                                                                  "approved."),
                   doc_id: str = typer.Option(..., "--doc-id", help="The approval document you anchored."),
                   reason: str = typer.Option(..., "--reason"),
                   working_days: Optional[int] = typer.Option(None, "--working-days", help="At most 10 (the "
                                                                                           "parameter)."),
                   key: Path = KEY, sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE,
                   node: str = NODE) -> None:
    """The provider extends a dispute once, before its deadline, with its head's approval (004:第十四条)."""
    args: dict[str, Any] = {"dispute_id": dispute_id, "head": head, "doc_id": doc_id, "reason": reason}
    if working_days is not None:
        args["working_days"] = working_days
    _send(node, key, sender, passphrase, "sharing", "extend_dispute", args)


@dispute_app.command("show")
def dispute_show(dispute_id: str, node: str = NODE) -> None:
    """One dispute: problem, extension, answer, and its deadline while it waits."""
    show(fetch(lambda: Client(node).get(f"/v1/sharing/disputes/{dispute_id}")))


def _disputes_table(title: str, rows: list[dict[str, Any]]) -> None:
    print_table(title, ("编号 id", "资源 resource", "使用 user", "提供 provider", "状态 status", "延期 extended",
                        "期限 deadline"),
                [(d["dispute_id"], d["resource_code"], d["user"], d["provider"], d["status"],
                  d["extension"]["head"] if d["extension"] else "", _deadline(d)) for d in rows])


@dispute_app.command("list")
def dispute_list(user: str = typer.Option("", "--user"), provider: str = typer.Option("", "--provider"),
                 status: str = typer.Option("", "--status", help="open, extended or answered"),
                 node: str = NODE) -> None:
    """校核 disputes as a table: filed by a user, about a provider's resources, or all."""
    rows = fetch(lambda: Client(node).get("/v1/sharing/disputes", user=user, provider=provider, status=status,
                                          limit=1000)["disputes"])
    _disputes_table("校核 data disputes", rows)


@dispute_app.command("overdue")
def dispute_overdue(provider: str = typer.Option("", "--provider"), node: str = NODE) -> None:
    """Disputes unanswered past their (possibly extended) deadline as of the node's tip (exit 1 if any)."""
    _overdue(node, "disputes", provider, "逾期未校核", _disputes_table)
