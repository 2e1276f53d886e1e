"""The calendar's read-only queries: what the API, the CLI and the engine's ``query`` serve."""

from __future__ import annotations

from typing import Any, Iterable, Protocol

from chain.errors import NotFound
from contracts.args import Int
from contracts.workdays import YEAR_MAX, YEAR_MIN, contract
from contracts.workdays.keys import PREFIX, year_key


class KeyReader(Protocol):
    """Committed state read by key and by key prefix (``chain.state.StateReader``)."""

    def get(self, key: str) -> Any:
        """The current value at ``key``, or None."""

    def keys(self, prefix: str, *, after: str = "", limit: int = 100) -> Iterable[tuple[str, Any]]:
        """Current records under ``prefix``, in key order."""


def year_record(view: KeyReader, year: int) -> dict[str, Any] | None:
    """The stored schedule of ``year``, or None when the calendar does not cover it."""
    if type(year) is not int or not YEAR_MIN <= year <= YEAR_MAX:
        return None
    return view.get(year_key(year))


def covered_years(reader: KeyReader) -> list[int]:
    """Every year the calendar covers, ascending."""
    limit = YEAR_MAX - YEAR_MIN + 1
    return [int(key[len(PREFIX):]) for key, _ in reader.keys(PREFIX, limit=limit)]


@contract.query()
def years(reader: KeyReader) -> dict[str, Any]:
    """The years the working-day calendar covers (a deadline elsewhere is refused)."""
    return {"years": covered_years(reader)}


@contract.query(args={"year": Int(min=YEAR_MIN, max=YEAR_MAX)})
def year(reader: KeyReader, year: int) -> dict[str, Any]:
    """One year's statutory holidays and 调休 make-up workdays, as chain data."""
    record = year_record(reader, year)
    if record is None:
        raise NotFound(f"the calendar does not cover {year}", code="CALENDAR_NOT_COVERED", year=year)
    return record
