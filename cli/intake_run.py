"""``mulu catalog publish --file``: read a catalog file, check every row, send the good ones, say what became of each.

The order is what keeps one bad row from spoiling the others: rows are read and checked
first (:mod:`cli.intake_check`), so that a row the chain would refuse is reported and
never signed, and a row already on chain unchanged is skipped; only then are the rest
signed with consecutive nonces and sent in batches (:func:`cli.bulk.submit_calls`, which
signs again the calls after one rejected at the door).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Callable

from chain.errors import MuluError
from cli.bulk import Interrupted, Outcome, read_records, submit_calls
from cli.client import Client, Member
from cli.intake import Intake, intake_of_records, read_catalog
from cli.intake_check import FileView, NodeView, check_rows
from cli.intake_report import settle


def read_intake(path: Path) -> Intake:
    """A catalog file as rows: a spreadsheet through :func:`cli.intake.read_catalog`, JSON as records."""
    if path.suffix.lower() == ".json":
        return intake_of_records(path, read_records(path))
    return read_catalog(path)


def publish_file(path: Path, sender: str, client: Client | None, member: Member | None, *, check: bool,
                 assign_codes: bool = False,
                 progress: Callable[[int], AbstractContextManager[Callable[[int], Any]]] | None = None,
                 ) -> tuple[Intake, MuluError | None]:
    """Read, check and (unless ``check``) publish ``path`` for ``sender``; return the rows, each with its
    status and problems, and the error that cut the run short, if one did (then the rows sent and not
    confirmed are ``unknown``).

    Without a ``client`` the rows are checked against the file alone.
    """
    intake = read_intake(path)
    view = NodeView(client) if client is not None else FileView(sender)
    if assign_codes:
        from cli.intake_codes import assign

        assign(intake, sender, view, client)
    check_rows(intake, sender, view)
    ready = [] if check else [row for row in intake.rows if not row.problems and not row.unchanged]
    outcomes: list[Outcome] = []
    error = None
    if ready:
        if member is None:
            raise MuluError("publishing needs a signing key (--key)", code="USAGE")
        calls = [("catalog", "publish", row.args, str(row.number)) for row in ready]
        try:
            if progress is None:
                outcomes = submit_calls(member, calls)
            else:
                with progress(len(calls)) as advance:
                    outcomes = submit_calls(member, calls, advance)
        except Interrupted as exc:
            outcomes, error = exc.outcomes, exc
    settle(intake, ready, outcomes)
    return intake, error
