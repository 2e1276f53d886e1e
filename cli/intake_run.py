"""``mulu catalog publish --file``: read a catalog file, check every row, send the good ones, say what became of each.

The order is what keeps one bad row from spoiling the others: each row is checked
(:mod:`cli.intake_check`) before it is signed, so that a row the chain would refuse is
reported and never signed, and a row already on chain unchanged is skipped; the rest are
signed with consecutive nonces and sent in batches (:func:`cli.bulk.submit_stream`, which
signs again the calls after one rejected at the door). Reading, checking and sending
overlap: a batch of rows is checked and signed while the node takes the one before.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from itertools import islice
from typing import Any, Callable, Iterator

from chain.errors import MuluError
from cli import bulk
from cli.bulk import Interrupted, Outcome, read_records, submit_stream
from cli.client import Client, Member
from cli.intake import Intake, Row, intake_of_records, open_catalog
from cli.intake_check import Checker, FileView, NodeView
from cli.intake_report import settle


def open_intake(path: Path) -> tuple[Intake, Iterator[Row]]:
    """A catalog file opened, and its rows as they are read: a spreadsheet through
    :func:`cli.intake.open_catalog`, JSON records all at once."""
    if path.suffix.lower() == ".json":
        intake = intake_of_records(path, read_records(path))
        return intake, iter(intake.rows)
    return open_catalog(path)


def publish_file(path: Path, sender: str, client: Client | None, member: Member | None, *, check: bool,
                 assign_codes: bool = False,
                 progress: Callable[[int], AbstractContextManager[Callable[[int], Any]]] | None = None,
                 ) -> tuple[Intake, MuluError | None]:
    """Read, check and (unless ``check``) publish ``path`` for ``sender``; return the rows, each with its
    status and problems, and the error that cut the run short, if one did (then the rows sent and not
    confirmed are ``unknown``, the rest ``not_sent``).

    Rows are checked and sent in batches as the file is read, so the node takes the first rows while
    the later are read and checked. Without a ``client`` the rows are checked against the file alone;
    with ``assign_codes`` every row is read before the first is checked (the codes depend on them all).
    """
    intake, rows = open_intake(path)
    view = NodeView(client) if client is not None else FileView(sender)
    if assign_codes:
        from cli.intake_codes import assign

        rows = iter(list(rows))
        assign(intake, sender, view, client)
    checker = Checker(intake, sender, view)
    sent: list[Row] = []

    def batches() -> Iterator[list[tuple[str, str, dict[str, Any], str]]]:
        while chunk := list(islice(rows, bulk.BATCH)):
            checker.check(chunk)
            ready = [] if check else [row for row in chunk if not row.problems and not row.unchanged]
            sent.extend(ready)
            yield [("catalog", "publish", row.args, str(row.number)) for row in ready]

    outcomes: list[Outcome] = []
    error = None
    if check:
        for _ in batches():
            pass
    elif member is None:
        raise MuluError("publishing needs a signing key (--key)", code="USAGE")
    else:
        try:
            if progress is None:
                outcomes = submit_stream(member, batches())
            else:
                with progress(intake.expected) as advance:
                    outcomes = submit_stream(member, batches(), advance)
        except Interrupted as exc:
            outcomes, error = exc.outcomes, exc
            for _ in rows:  # the rows not yet read, to show them
                pass
    settle(intake, sent, outcomes, cut_short=error is not None)
    return intake, error
