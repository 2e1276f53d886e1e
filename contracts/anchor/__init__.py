"""Anchor: 文件存证 — a member records the digest of a document it issued.

Departments anchor the documents the catalog rules lean on — a 三定 方案, a
技术评审意见, an acceptance opinion — so that later anyone holding the file
can check it is the one that was anchored, and when. Each document id of a
member has a version counter; re-anchoring the same digest is refused, since
it would add a version that says nothing new.

The state layout is :mod:`contracts.anchor.keys`; the read-only queries are
:mod:`contracts.anchor.queries`.
"""

from __future__ import annotations

from chain.execution import Effects, StateView
from contracts.args import Bytes, OneOf, Str
from contracts.anchor.keys import doc_key
from contracts.base import Call, Contract, refuse

KINDS = ("sanding", "duty_catalog", "data_catalog", "review_opinion", "acceptance_opinion", "other")
"""Kinds of anchored documents: 三定规定, 职责目录, 数据目录, 技术评审意见, 验收意见, other."""

DOC_ID = r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}"

contract = Contract("anchor", "文件存证 document anchoring")


@contract.method(args={
    "doc_id": Str(max_len=128, pattern=DOC_ID),
    "title": Str(max_len=256),
    "kind": OneOf(KINDS),
    "digest": Bytes(size=32),
    "uri": Str(max_len=512, min_len=0, required=False),
})
def put(view: StateView, call: Call) -> Effects:
    """Anchor a new version of one of the sender's documents."""
    args = call.args
    key = doc_key(call.sender, args["doc_id"])
    current = view.get(key)
    if current is not None and current["digest"] == args["digest"]:
        raise refuse("ANCHOR_UNCHANGED", f"version {current['version']} already has this digest",
                      field="digest", version=current["version"])
    record = {
        "doc_id": args["doc_id"], "title": args["title"], "kind": args["kind"], "digest": args["digest"],
        "uri": args.get("uri", ""), "version": 1 if current is None else current["version"] + 1,
        "height": call.ctx.height, "time": call.ctx.time, "tx_id": call.ctx.tx_id,
    }
    event = {"uscc": call.sender, "doc_id": args["doc_id"], "version": record["version"]}
    return Effects({key: record}, [("anchored", event)])


from contracts.anchor import queries  # noqa: E402,F401 - registers the queries on the contract
