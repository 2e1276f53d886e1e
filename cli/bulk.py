"""Bulk submission: many signed calls from a file, in batches, with their outcomes.

A department's catalog can hold thousands of entries. The calls are signed
with consecutive nonces, sent in batches of up to ``BATCH`` through
``/v1/txs/batch``, and their results read back from the blocks that hold them
(one request per block, not one per transaction).
"""

from __future__ import annotations

import csv
import io
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from chain.errors import MuluError
from cli.client import Client, Member

BATCH = 500


@dataclass(frozen=True)
class Outcome:
    """What became of one call: committed, refused (with its rule), rejected at the door, or — when
    the run was cut short — unknown (sent, not confirmed) or not_sent."""

    index: int
    label: str
    status: str
    code: str = ""
    field: str = ""
    message: str = ""
    tx_id: str = ""
    height: int | None = None


class Interrupted(MuluError):
    """The node stopped answering (or committing) mid-run: the error, with what became of every call
    so far, so that the calls of unknown outcome can be looked up and the rest sent again."""

    def __init__(self, cause: MuluError, outcomes: list[Outcome]) -> None:
        super().__init__(cause.message, code=cause.code, **cause.details)
        self.outcomes = outcomes


def submit_calls(member: Member, calls: list[tuple[str, str, dict[str, Any], str]],
                 progress: Callable[[int], None] = lambda n: None, timeout: float = 120.0) -> list[Outcome]:
    """Sign and submit ``(contract, method, args, label)`` calls; return one outcome per call.

    A call rejected at the door does not poison the calls after it: those its rejection left
    with a nonce gap are signed again with the nonces the node now expects, and sent again.

    Raises :class:`Interrupted` if the node fails once calls are being sent: every call sent and
    not confirmed is then ``unknown``, and every later one ``not_sent``.
    """
    return submit_stream(member, (calls[i:i + BATCH] for i in range(0, len(calls), BATCH)), progress, timeout)


def submit_stream(member: Member, batches: Iterable[list[tuple[str, str, dict[str, Any], str]]],
                  progress: Callable[[int], None] = lambda n: None, timeout: float = 120.0) -> list[Outcome]:
    """:func:`submit_calls` over calls that come in batches of at most :data:`BATCH` as they are made
    (say, checked while a file is read): each batch is signed while the node admits the one before.
    The outcomes are of the calls drawn, in order; an error raised while drawing them is raised as
    :class:`Interrupted` too."""
    client = member.client
    calls: list[tuple[str, str, dict[str, Any], str]] = []
    outcomes: dict[int, Outcome] = {}
    waiting: dict[str, tuple[int, str]] = {}
    start_height = client.status()["height"]
    sent = 0  # calls[:sent] have been handed to the node (the last batch perhaps only in part)
    try:
        with ThreadPoolExecutor(1) as pool:
            flight = None  # the batch the node is admitting: (its calls, the answer to come)
            for batch in batches:
                if not batch:
                    continue
                chunk = list(range(len(calls), len(calls) + len(batch)))
                calls += batch
                txs = [member.sign(*calls[i][:3]) for i in chunk]  # while the node admits the batch before
                if flight is not None and _landed(member, calls, *flight, waiting, outcomes):
                    txs = [member.sign(*calls[i][:3]) for i in chunk]  # a rejection left these nonces stale
                sent = chunk[-1] + 1
                flight = (chunk, pool.submit(client.submit_batch, [tx.to_bytes() for tx in txs]))
                progress(len(chunk))
            if flight is not None:
                _landed(member, calls, *flight, waiting, outcomes)
        _collect(client, waiting, outcomes, start_height, timeout)
    except MuluError as exc:
        tx_ids = {index: tx_id for tx_id, (index, _) in waiting.items()}
        for index in range(sent):
            outcomes.setdefault(index, Outcome(index, calls[index][3], "unknown", tx_id=tx_ids.get(index, ""),
                                               message="sent, not confirmed: look it up before sending it again"))
        raise Interrupted(exc, _all(calls, outcomes, "the node stopped answering before it was sent")) from None
    return _all(calls, outcomes, "an earlier call was rejected")


NONCE_GAP = "TX_NONCE_GAP"


def _landed(member: Member, calls: list[tuple[str, str, dict[str, Any], str]], chunk: list[int], answer: Future,
            waiting: dict[str, tuple[int, str]], outcomes: dict[int, Outcome]) -> bool:
    """Read the node's answer to the batch ``chunk``; send again, with fresh nonces, the calls a rejection
    left with a nonce gap, until none is left. True when a call was rejected (so nonces signed since
    are stale)."""
    again, rejected = _answered(calls, chunk, answer.result(), waiting, outcomes)
    if rejected:
        member.resync()  # the rejected calls used no nonce: the node says which comes next
    while again:
        txs = [member.sign(*calls[i][:3]) for i in again]
        again, more = _answered(calls, again, member.client.submit_batch([tx.to_bytes() for tx in txs]), waiting,
                                outcomes)
        if more:
            member.resync()
    return rejected


def _answered(calls: list[tuple[str, str, dict[str, Any], str]], chunk: list[int], answer: dict[str, Any],
              waiting: dict[str, tuple[int, str]], outcomes: dict[int, Outcome]) -> tuple[list[int], bool]:
    """File each call of a batch as waiting for its block or rejected; return the calls refused only for the
    nonce gap an earlier rejection left (to send again), and whether any was rejected."""
    again: list[int] = []
    rejected = False
    for index, row in zip(chunk, answer["results"]):
        label = calls[index][3]
        if row["status"] == "pending":
            waiting[row["tx_id"]] = (index, label)
        elif rejected and row["error"]["code"] == NONCE_GAP:
            again.append(index)
        else:
            err = row["error"]
            outcomes[index] = Outcome(index, label, "rejected", err["code"], err["details"].get("field", ""),
                                      err["message"])
            rejected = True
    return again, rejected


def _all(calls: list[tuple[str, str, dict[str, Any], str]], outcomes: dict[int, Outcome],
         why_not_sent: str) -> list[Outcome]:
    """One outcome per call, in order; a call with none was not sent, for the reason given."""
    return [outcomes.get(i) or Outcome(i, label, "not_sent", message=why_not_sent)
            for i, (_, _, _, label) in enumerate(calls)]


def _collect(client: Client, waiting: dict[str, tuple[int, str]], outcomes: dict[int, Outcome],
             height: int, timeout: float) -> None:
    """Read committed results from blocks after ``height`` until every waiting call is found."""
    deadline = time.monotonic() + timeout
    while waiting:
        tip = client.status()["height"]
        while height < tip and waiting:
            height += 1
            for r in client.block_results(height)["results"]:
                found = waiting.pop(r["tx_id"], None)
                if found is not None:
                    outcomes[found[0]] = Outcome(found[0], found[1], "committed" if r["status"] == "ok" else "refused",
                                                 r["code"], r["field"], r["message"], r["tx_id"], height)
        if waiting:
            if time.monotonic() > deadline:
                raise MuluError(f"{len(waiting)} transactions were not committed within {timeout:.0f}s",
                                code="COMMIT_TIMEOUT", waiting=len(waiting))
            time.sleep(0.02)


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records from a JSON file (an object or a list of them) or a CSV file (one record a row).

    In CSV, list columns hold ``;``-separated values; ``true``/``false`` are booleans. (A catalog
    spreadsheet is read by :mod:`cli.intake`, column by column.)
    A file with no record is refused: publishing nothing is a mistake, not a success.
    """
    text = decode_text(path)
    if path.suffix.lower() == ".json":
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise MuluError(f"{path} is not JSON: {exc}", code="FILE_INVALID", path=str(path)) from None
        records = value if isinstance(value, list) else [value]
    elif path.suffix.lower() == ".csv":
        records = [_csv_record(row) for row in csv.DictReader(io.StringIO(text))]
    else:
        raise MuluError(f"{path}: give a .json or .csv file", code="FILE_INVALID", path=str(path))
    if not all(isinstance(r, dict) for r in records):
        raise MuluError(f"{path}: every record must be an object", code="FILE_INVALID", path=str(path))
    if not records:
        raise MuluError(f"{path} holds no records", code="FILE_EMPTY", path=str(path))
    return records


ENCODINGS = ("utf-8-sig", "gbk")
"""What a file may be written in, tried in this order: UTF-8 (with or without the BOM Excel
writes), then GBK, which Excel on a Chinese Windows saves CSV in by default."""


def decode_text(path: Path) -> str:
    """The text of ``path`` in the first of :data:`ENCODINGS` that decodes all of it."""
    data = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise MuluError(f"{path} is neither UTF-8 nor GBK text: save it as UTF-8", code="FILE_ENCODING_UNKNOWN",
                    path=str(path))


LIST_COLUMNS = ("duty_items", "related_codes", "systems")


def _csv_record(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in row.items():
        if key is None or raw is None or (raw == "" and key not in ("duty_items",)):
            continue
        value: Any = raw.strip()
        if key in LIST_COLUMNS:
            value = [v.strip() for v in value.split(";") if v.strip()]
        elif value in ("true", "false"):
            value = value == "true"
        elif key == "version" and value.isdigit():
            value = int(value)
        out[key] = value
    return out
