"""Working days (工作日): the calendar of statutory holidays and 调休 make-up workdays.

Deadlines in the policy texts count working days — a catalog is updated
"within 15 working days" of a duty change (002:第九条), a sharing request is
answered "within 10 working days" (002:第十七条). Which days those are is set
each year by the State Council's holiday notice, so the calendar is chain data:
written at genesis (``node.calendar_source`` builds the section from the
``chinesecalendar`` package) and changed by governance (``set_year``). Nodes
never consult a local package at execution time, or two nodes with different
versions could disagree on a deadline.

Only the exceptions are stored: a day is a working day when it is Monday to
Friday and not a holiday, or when it is a make-up workday. A date in a year
the chain has no record for is never guessed: every helper refuses it with
``CALENDAR_NOT_COVERED`` until governance adds that year's schedule.

The state layout is :mod:`contracts.workdays.keys`; the read-only queries are
:mod:`contracts.workdays.queries`.

Genesis section::

    "calendar": {"years": {"2025": {"holidays": [...], "workdays": [...]}, ...}, "source": "..."}
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from chain.errors import GenesisInvalid
from chain.execution import Effects, StateView
from chain.genesis import Genesis
from contracts.args import Int, ListOf, Str
from contracts.base import Call, Contract, refuse
from contracts.workdays.keys import year_key

YEAR_MIN = 1970
"""The first year a record may cover (block times start at the epoch)."""
YEAR_MAX = 2999
"""The last year a record may cover; four digits keep year keys in numeric order."""
MAX_DAYS = 366
SOURCE_MAX = 256
GOVERNANCE_SOURCE = "governance"

DAY_MS = 86_400_000
CHINA_OFFSET_MS = 8 * 3_600_000
"""China Standard Time is UTC+8 all year (no daylight saving since 1991)."""
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR = re.compile(r"[0-9]{4}")

contract = Contract("calendar", "工作日 working-day calendar")


# --- validation, shared by genesis and governance ------------------------------------------


class _Invalid(Exception):
    """A schedule fault: the field at fault and why; turned into the caller's error type."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _parse(text: Any, year: int, where: str) -> datetime.date:
    """An ISO date ``YYYY-MM-DD`` inside ``year``."""
    if type(text) is not str or not _ISO.fullmatch(text):
        raise _Invalid(where, f"{where} must be an ISO date YYYY-MM-DD")
    try:
        day = datetime.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        raise _Invalid(where, f"{where} is not a calendar date: {text}") from None
    if day.year != year:
        raise _Invalid(where, f"{where} ({text}) lies outside {year}")
    return day


def _dates(raw: Any, year: int, where: str) -> list[str]:
    """A sorted list of distinct ISO dates inside ``year``."""
    if type(raw) is not list or len(raw) > MAX_DAYS:
        raise _Invalid(where, f"{where} must be a list of at most {MAX_DAYS} ISO dates")
    for i, text in enumerate(raw):
        _parse(text, year, f"{where}[{i}]")
        if i and text <= raw[i - 1]:
            problem = "appears twice" if text == raw[i - 1] else "is out of order"
            raise _Invalid(f"{where}[{i}]", f"{where}[{i}] ({text}) {problem}: dates are sorted and distinct")
    return list(raw)


def _schedule(year: Any, holidays: Any, workdays: Any, where: str = "") -> tuple[list[str], list[str]]:
    """Check one year's schedule; ``where`` prefixes the field names."""
    if type(year) is not int or not YEAR_MIN <= year <= YEAR_MAX:
        raise _Invalid(f"{where}year", f"year must be in {YEAR_MIN}..{YEAR_MAX}")
    holidays = _dates(holidays, year, f"{where}holidays")
    workdays = _dates(workdays, year, f"{where}workdays")
    off = set(holidays)
    for i, text in enumerate(workdays):
        field = f"{where}workdays[{i}]"
        if text in off:
            raise _Invalid(field, f"{field} ({text}) is also a holiday: holidays and workdays are disjoint")
        if _parse(text, year, field).weekday() < 5:
            raise _Invalid(field, f"{field} ({text}) is a weekday: make-up workdays fall on weekends")
    return holidays, workdays


def _record(year: int, holidays: list[str], workdays: list[str], source: str) -> dict[str, Any]:
    return {"year": year, "holidays": holidays, "workdays": workdays, "source": source}


@contract.on_genesis
def genesis_calendar(genesis: Genesis) -> dict[str, Any]:
    """One record per year of the genesis ``calendar`` section; none when it is absent."""
    raw = genesis.doc.get("calendar")
    if raw is None:
        return {}
    if type(raw) is not dict or set(raw) != {"years", "source"}:
        raise GenesisInvalid('calendar is {"years": {YYYY: {...}}, "source": text}', field="calendar")
    source = raw["source"]
    if type(source) is not str or not 0 < len(source) <= SOURCE_MAX:
        raise GenesisInvalid(f"calendar.source must be text of 1..{SOURCE_MAX} characters",
                             field="calendar.source")
    years = raw["years"]
    if type(years) is not dict:
        raise GenesisInvalid("calendar.years must map years (YYYY) to schedules", field="calendar.years")
    writes: dict[str, Any] = {}
    for name in sorted(years):
        where = f"calendar.years.{name}"
        entry = years[name]
        if not _YEAR.fullmatch(name) or not YEAR_MIN <= int(name) <= YEAR_MAX:
            raise GenesisInvalid(f"{where}: a year is four digits in {YEAR_MIN}..{YEAR_MAX}", field=where)
        if type(entry) is not dict or set(entry) != {"holidays", "workdays"}:
            raise GenesisInvalid(f"{where} needs exactly holidays and workdays", field=where)
        try:
            holidays, workdays = _schedule(int(name), entry["holidays"], entry["workdays"], f"{where}.")
        except _Invalid as exc:
            raise GenesisInvalid(exc.message, field=exc.field) from None
        writes[year_key(int(name))] = _record(int(name), holidays, workdays, source)
    return writes


# --- governance --------------------------------------------------------------------------


_DATE_LIST = ListOf(Str(min_len=1, max_len=10), max_items=MAX_DAYS)


@contract.method(governed=True, args={
    "year": Int(min=YEAR_MIN, max=YEAR_MAX),
    "holidays": _DATE_LIST,
    "workdays": _DATE_LIST,
    "source": Str(max_len=SOURCE_MAX - len(GOVERNANCE_SOURCE) - 2),
})
def set_year(view: StateView, call: Call) -> Effects:
    """Write or replace one year's holidays and make-up workdays (the State Council's notice)."""
    args = call.args
    try:
        holidays, workdays = _schedule(args["year"], args["holidays"], args["workdays"])
    except _Invalid as exc:
        raise refuse("CALENDAR_INVALID", exc.message, field=exc.field) from None
    year = args["year"]
    if year < china_date(call.ctx.time).year:
        raise refuse("CALENDAR_YEAR_PAST", f"{year} is over; rewriting it would move deadlines already counted",
                     field="year")
    replaced = view.get(year_key(year)) is not None
    record = _record(year, holidays, workdays, f"{GOVERNANCE_SOURCE}: {args['source']}")
    return Effects({year_key(year): record},
                   [("calendar_year_set", {"year": year, "replaced": replaced,
                                           "holidays": len(holidays), "workdays": len(workdays)})])


# --- helpers for other contracts -----------------------------------------------------------


def china_date(time_ms: int) -> datetime.date:
    """The date in China (UTC+8) at block time ``time_ms`` (ms since the epoch); integers only."""
    return datetime.date.fromordinal(_EPOCH_ORDINAL + (time_ms + CHINA_OFFSET_MS) // DAY_MS)


@dataclass(frozen=True)
class _Year:
    """One year's exceptions, as sets for membership tests only."""

    holidays: frozenset[str]
    workdays: frozenset[str]

    def working(self, day: datetime.date) -> bool:
        text = day.isoformat()
        if text in self.workdays:
            return True
        return day.weekday() < 5 and text not in self.holidays


class _Calendar:
    """The years one helper call reads, each fetched once; uncovered years refused."""

    def __init__(self, view: StateView, article: str, field: str) -> None:
        self.view, self.article, self.field = view, article, field
        self.years: dict[int, _Year] = {}

    def year(self, year: int) -> _Year:
        found = self.years.get(year)
        if found is None:
            record = self.view.get(year_key(year)) if YEAR_MIN <= year <= YEAR_MAX else None
            if record is None:
                raise refuse("CALENDAR_NOT_COVERED",
                             f"the chain's working-day calendar does not cover {year}; "
                             "governance must add that year's holiday schedule first",
                             article=self.article, field=self.field, year=year)
            found = self.years[year] = _Year(frozenset(record["holidays"]), frozenset(record["workdays"]))
        return found

    def working(self, day: datetime.date) -> bool:
        return self.year(day.year).working(day)


_ONE_DAY = datetime.timedelta(days=1)


def is_working_day(view: StateView, day: datetime.date, *, article: str = "", field: str = "") -> bool:
    """Whether ``day`` is a working day; raises ``RuleViolation`` ``CALENDAR_NOT_COVERED``
    for a day in a year the calendar does not cover.

    ``article`` and ``field`` name the caller's rule in the refusal (e.g. ``002:第九条``).
    """
    return _Calendar(view, article, field).working(day)


def add_working_days(view: StateView, trigger: datetime.date, n: int, *, article: str = "",
                     field: str = "") -> datetime.date:
    """The deadline of "within ``n`` working days" of ``trigger``: the ``n``-th working day
    strictly after the trigger date (``n`` ≥ 1).

    The trigger's own year must be covered too, and so must every day counted:
    a deadline that would spill into an uncovered year is refused, never guessed.
    """
    if type(n) is not int or n < 1:
        raise refuse("WORKING_DAYS_INVALID", f"a count of working days is at least 1, not {n!r}",
                     article=article, field=field)
    cal = _Calendar(view, article, field)
    cal.year(trigger.year)
    day = trigger
    while n:
        day += _ONE_DAY
        if cal.working(day):
            n -= 1
    return day


def working_days_between(view: StateView, start: datetime.date, end: datetime.date, *, article: str = "",
                         field: str = "") -> int:
    """How many working days lie strictly after ``start`` up to and including ``end``
    (0 when ``end`` is not after ``start``); both years must be covered."""
    cal = _Calendar(view, article, field)
    cal.year(start.year)
    cal.year(end.year)
    count, day = 0, start
    while day < end:
        day += _ONE_DAY
        if cal.working(day):
            count += 1
    return count


from contracts.workdays import queries  # noqa: E402,F401 - registers the queries on the contract
