"""工作日: the working-day calendar as chain data.

Shows that the genesis section built from ``chinesecalendar`` round-trips
through the calendar contract's genesis hook and agrees with the package on
every day it covers; known answers from the State Council's 2025 and 2026
schedules (春节, 国庆 and their 调休 make-up workdays); that "within N working
days" counts strictly after the trigger date; that a date in a year the chain
does not cover is refused with CALENDAR_NOT_COVERED, never guessed; that bad
genesis sections and bad ``set_year`` schedules are refused naming the field;
and that ``set_year`` is a governed method, refused at the door.
"""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from types import SimpleNamespace

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.errors import MuluError, RuleViolation
from chain.execution import Overlay, TxContext
from chain.genesis import Genesis
from chain.tx import make_tx
from contracts import workdays
from contracts.workdays import keys as calendar_keys, queries as calendar_queries
from contracts.base import Call
from contracts.registry import Registry
from node.calendar_source import calendar_section, package_source
from node.samples import by_short
from tests.test_ledger import GENESIS_TIME, Net

D = datetime.date
ARTICLE = "002:第九条"
OFFICE = by_short("市政府办公厅").uscc
SECTION = calendar_section()
VIEW = workdays.genesis_calendar(SimpleNamespace(doc={"calendar": SECTION}))  # the hook reads only .doc
"""Calendar state as the genesis hook writes it from the installed package (a dict is a view)."""


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    n = Net(tmp_path_factory.mktemp("workdays") / "home")
    yield n
    n.ledger.close()


def not_covered(fn, *args, **kw) -> RuleViolation:
    with pytest.raises(RuleViolation) as info:
        fn(*args, **kw)
    assert info.value.code == "CALENDAR_NOT_COVERED"
    return info.value


# --- the genesis section and the package ----------------------------------------------------


def test_package_section_covers_2004_to_2026():
    """The package covers 2004–2026; its version is recorded as the source."""
    assert list(SECTION["years"]) == [str(y) for y in range(2004, 2027)]
    assert SECTION["source"] == package_source() == f"chinesecalendar {chinese_calendar.__version__}"
    assert calendar_queries.covered_years(_Keys(VIEW)) == list(range(2004, 2027))
    record = calendar_queries.year_record(VIEW, 2025)
    assert set(record) == {"year", "holidays", "workdays", "source"}
    assert record["year"] == 2025 and record["source"] == SECTION["source"]
    assert calendar_queries.year_record(VIEW, 2027) is None and calendar_queries.year_record(VIEW, 2003) is None


def test_invalid_section_for_a_year_the_package_lacks():
    """Asking the source for 2027 is an error, not an empty (all weekdays work) schedule."""
    with pytest.raises(MuluError) as info:
        calendar_section(range(2026, 2028))
    assert info.value.code == "CALENDAR_SOURCE_NOT_COVERED" and info.value.details["years"] == [2027]
    assert list(calendar_section(range(2025, 2026))["years"]) == ["2025"]


def test_every_covered_day_agrees_with_the_package():
    """Round trip: package → genesis section → hook → state → is_working_day agrees
    with ``chinese_calendar.is_workday`` on every day of 2004–2026."""
    day = D(2004, 1, 1)
    while day.year < 2027:
        assert workdays.is_working_day(VIEW, day) == chinese_calendar.is_workday(day), day
        day += datetime.timedelta(days=1)


def test_contracts_never_import_the_package():
    """Nodes must not read a local package at execution time: no contract imports it."""
    root = Path(workdays.__file__).parent
    for path in sorted(root.glob("*.py")):
        assert "chinese_calendar" not in path.read_text(encoding="utf-8"), path.name


# --- known answers: 2025 and 2026 ----------------------------------------------------------


def test_2025_spring_festival_and_national_day():
    """国办发明电〔2024〕12号: 春节 1月28日–2月4日, 1月26日(周日)、2月8日(周六)上班;
    国庆、中秋 10月1日–8日, 9月28日(周日)、10月11日(周六)上班."""
    record = calendar_queries.year_record(VIEW, 2025)
    spring = [f"2025-{d}" for d in ("01-28", "01-29", "01-30", "01-31", "02-01", "02-02", "02-03", "02-04")]
    national = [f"2025-10-0{d}" for d in range(1, 9)]
    assert set(spring + national) <= set(record["holidays"])
    assert {"2025-01-26", "2025-02-08", "2025-09-28", "2025-10-11"} <= set(record["workdays"])
    assert workdays.is_working_day(VIEW, D(2025, 1, 26))       # Sunday, make-up
    assert not workdays.is_working_day(VIEW, D(2025, 1, 28))   # Tuesday, 春节
    assert not workdays.is_working_day(VIEW, D(2025, 10, 8))   # Wednesday, 国庆
    assert not workdays.is_working_day(VIEW, D(2025, 3, 8))    # an ordinary Saturday
    assert workdays.is_working_day(VIEW, D(2025, 3, 10))       # an ordinary Monday


def test_2026_schedule_as_the_package_has_it():
    """2026: 春节 2月15日–23日 with 2月14日、2月28日(周六)上班; 国庆 10月1日–7日 with
    9月20日(周日)、10月10日(周六)上班; 元旦 1月1日–3日 with 1月4日(周日)上班."""
    record = calendar_queries.year_record(VIEW, 2026)
    assert record["workdays"] == ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20",
                                  "2026-10-10"]
    assert {f"2026-02-{d}" for d in range(15, 24)} <= set(record["holidays"])
    assert {f"2026-10-0{d}" for d in range(1, 8)} <= set(record["holidays"])
    assert workdays.add_working_days(VIEW, D(2026, 2, 13), 1) == D(2026, 2, 14)  # Fri → make-up Sat
    assert workdays.add_working_days(VIEW, D(2026, 2, 13), 2) == D(2026, 2, 24)  # then past 春节


def test_deadlines_across_holiday_weeks_and_make_up_days():
    """Counting crosses 春节 and 国庆 and counts make-up weekend days."""
    add = workdays.add_working_days
    assert add(VIEW, D(2025, 1, 24), 1) == D(2025, 1, 26)   # Fri → Sun make-up
    assert add(VIEW, D(2025, 1, 24), 2) == D(2025, 1, 27)
    assert add(VIEW, D(2025, 1, 24), 3) == D(2025, 2, 5)    # over 1月28日–2月4日
    assert add(VIEW, D(2025, 9, 30), 1) == D(2025, 10, 9)   # over 国庆
    assert add(VIEW, D(2025, 9, 30), 3) == D(2025, 10, 11)  # a make-up Saturday
    assert add(VIEW, D(2025, 2, 7), 1) == D(2025, 2, 8)     # Fri → Sat make-up
    # 15 working days (002:第九条) from a Friday before 国庆: 9/28, 9/29, 9/30, 10/9–11, 10/13–17, 10/20–23
    assert add(VIEW, D(2025, 9, 26), 15, article=ARTICLE) == D(2025, 10, 23)
    assert workdays.working_days_between(VIEW, D(2025, 9, 26), D(2025, 10, 23)) == 15
    assert workdays.working_days_between(VIEW, D(2025, 1, 24), D(2025, 2, 5)) == 3


def test_within_n_counts_strictly_after_the_trigger():
    """The trigger day itself never counts: Friday + 1 is Monday, unless Monday is a holiday."""
    add = workdays.add_working_days
    assert add(VIEW, D(2025, 3, 7), 1) == D(2025, 3, 10)    # Fri → Mon
    assert add(VIEW, D(2025, 5, 30), 1) == D(2025, 6, 3)    # Fri → Tue: 6月2日 is 端午
    assert add(VIEW, D(2025, 3, 10), 1) == D(2025, 3, 11)   # a working-day trigger is not day 1
    assert add(VIEW, D(2025, 10, 1), 1) == D(2025, 10, 9)   # a holiday trigger
    assert add(VIEW, D(2025, 10, 11), 1) == D(2025, 10, 13)  # a make-up Saturday trigger
    assert workdays.working_days_between(VIEW, D(2025, 3, 7), D(2025, 3, 7)) == 0
    assert workdays.working_days_between(VIEW, D(2025, 3, 10), D(2025, 3, 7)) == 0


def test_invalid_count_of_working_days():
    with pytest.raises(RuleViolation) as info:
        workdays.add_working_days(VIEW, D(2025, 3, 7), 0, article=ARTICLE, field="days")
    assert (info.value.code, info.value.article, info.value.field) == ("WORKING_DAYS_INVALID", ARTICLE, "days")


# --- years the calendar does not cover ------------------------------------------------------


def test_invalid_deadline_spilling_into_2027():
    """2026-12-31 is the last covered working day; one more is refused, naming 2027 and the
    caller's article, rather than guessed from weekdays."""
    assert workdays.add_working_days(VIEW, D(2026, 12, 30), 1) == D(2026, 12, 31)
    error = not_covered(workdays.add_working_days, VIEW, D(2026, 12, 30), 2, article=ARTICLE, field="changed")
    assert (error.code, error.details["year"], error.article, error.field) == (
        "CALENDAR_NOT_COVERED", 2027, ARTICLE, "changed")
    error = not_covered(workdays.add_working_days, VIEW, D(2026, 12, 15), 15, article=ARTICLE)
    assert error.details["year"] == 2027
    assert not_covered(workdays.is_working_day, VIEW, D(2027, 1, 4)).details["year"] == 2027
    assert not_covered(workdays.working_days_between, VIEW, D(2026, 12, 1), D(2027, 1, 5)).details["year"] == 2027


def test_invalid_trigger_in_2003():
    """A trigger before the calendar starts is refused, even when the days counted would be covered."""
    assert not_covered(workdays.add_working_days, VIEW, D(2003, 6, 2), 1).details["year"] == 2003
    assert not_covered(workdays.add_working_days, VIEW, D(2003, 12, 31), 1).details["year"] == 2003
    assert not_covered(workdays.working_days_between, VIEW, D(2003, 12, 31), D(2004, 1, 5)).details["year"] == 2003


def test_no_calendar_section_covers_nothing(net):
    """A genesis without a calendar section is valid; then every deadline is not covered."""
    doc = copy.deepcopy(net.genesis.doc)
    del doc["calendar"]
    writes = Registry().genesis_writes(Genesis.from_doc(doc))
    assert not [k for k in writes if k.startswith(calendar_keys.PREFIX)]
    assert not_covered(workdays.add_working_days, writes, D(2025, 3, 7), 1).details["year"] == 2025


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 10, 31)), st.integers(1, 30))
def test_add_working_days_properties(trigger, n):
    """The deadline is a working day strictly after the trigger, exactly n working days on,
    and the first day that is."""
    due = workdays.add_working_days(VIEW, trigger, n)
    assert due > trigger
    assert workdays.is_working_day(VIEW, due)
    assert workdays.working_days_between(VIEW, trigger, due) == n
    assert workdays.working_days_between(VIEW, trigger, due - datetime.timedelta(days=1)) == n - 1


@given(st.integers(-10**12, 10**13))
def test_china_date_is_utc_plus_8(time_ms):
    china = datetime.timezone(datetime.timedelta(hours=8))
    expected = (datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
                + datetime.timedelta(milliseconds=time_ms)).astimezone(china).date()
    assert workdays.china_date(time_ms) == expected


def test_china_date_at_midnight_in_beijing():
    assert workdays.china_date(GENESIS_TIME) == D(2026, 1, 1)            # 08:00 in Beijing
    assert workdays.china_date(1_767_196_800_000) == D(2026, 1, 1)       # 2025-12-31T16:00Z
    assert workdays.china_date(1_767_196_799_999) == D(2025, 12, 31)
    assert workdays.china_date(-28_800_001) == D(1969, 12, 31)


# --- genesis validation ---------------------------------------------------------------------


def _year(holidays=("2025-01-01",), workdays_=("2025-01-26",)) -> dict:
    return {"holidays": list(holidays), "workdays": list(workdays_)}


def _section(**years) -> dict:
    return {"years": {name.lstrip("y"): entry for name, entry in years.items()}, "source": "test"}


Y = "calendar.years.2025"
SECTION_CASES = [
    ("calendar not an object", [], "calendar"),
    ("calendar extra key", {**_section(y2025=_year()), "version": 1}, "calendar"),
    ("calendar no source", {"years": {}}, "calendar"),
    ("empty source", {**_section(y2025=_year()), "source": ""}, "calendar.source"),
    ("years a list", {"years": [], "source": "test"}, "calendar.years"),
    ("year of two digits", _section(y25=_year()), "calendar.years.25"),
    ("year before 1970", _section(y1969=_year(("1969-01-01",), ())), "calendar.years.1969"),
    ("year entry extra key", _section(y2025={**_year(), "name": "x"}), Y),
    ("year entry no workdays", _section(y2025={"holidays": []}), Y),
    ("holidays not a list", _section(y2025={"holidays": "2025-01-01", "workdays": []}), Y + ".holidays"),
    ("date not ISO", _section(y2025=_year(("2025-1-01",))), Y + ".holidays[0]"),
    ("date a number", _section(y2025=_year((20250101,))), Y + ".holidays[0]"),
    ("full-width digits", _section(y2025=_year(("２０２５-01-01",))), Y + ".holidays[0]"),
    ("impossible date", _section(y2025=_year(("2025-02-29",))), Y + ".holidays[0]"),
    ("date outside its year", _section(y2025=_year(("2024-12-31", "2025-01-01"))), Y + ".holidays[0]"),
    ("holidays out of order", _section(y2025=_year(("2025-01-02", "2025-01-01"))), Y + ".holidays[1]"),
    ("holiday twice", _section(y2025=_year(("2025-01-01", "2025-01-01"))), Y + ".holidays[1]"),
    ("workdays out of order", _section(y2025=_year(workdays_=("2025-02-08", "2025-01-26"))), Y + ".workdays[1]"),
    ("holiday and workday", _section(y2025=_year(("2025-01-26",), ("2025-01-26",))), Y + ".workdays[0]"),
    ("make-up workday on a weekday", _section(y2025=_year(workdays_=("2025-01-27",))), Y + ".workdays[0]"),
    ("workday outside its year", _section(y2025=_year(workdays_=("2026-01-04",))), Y + ".workdays[0]"),
]


@pytest.mark.parametrize("name,section,field", SECTION_CASES, ids=[c[0] for c in SECTION_CASES])
def test_invalid_calendar_section(net, name, section, field):
    """A bad calendar section refuses the whole genesis with GENESIS_INVALID naming the field."""
    doc = {**net.genesis.doc, "calendar": section}
    with pytest.raises(MuluError) as info:
        Registry().genesis_writes(Genesis.from_doc(doc))
    assert info.value.code == "GENESIS_INVALID"
    assert info.value.details["field"] == field


def test_minimal_section_accepted(net):
    """A hand-written section is stored as given, with its source."""
    doc = {**net.genesis.doc, "calendar": _section(y2025=_year())}
    writes = Registry().genesis_writes(Genesis.from_doc(doc))
    assert writes["calendar/year/2025"] == {"year": 2025, "holidays": ["2025-01-01"],
                                            "workdays": ["2025-01-26"], "source": "test"}


# --- on the ledger --------------------------------------------------------------------------


class _Keys:
    """A prefix reader over a dict of writes, like ``StateReader.keys``."""

    def __init__(self, writes: dict) -> None:
        self.writes = writes

    def keys(self, prefix: str, *, after: str = "", limit: int = 100):
        return [(k, self.writes[k]) for k in sorted(self.writes) if k.startswith(prefix)][:limit]


def test_ledger_state_holds_the_calendar_after_genesis(net):
    """init_home writes the package's calendar into genesis; the chain's state holds every year."""
    assert net.genesis.doc["calendar"] == SECTION
    state = net.ledger.state
    assert calendar_queries.covered_years(state) == list(range(2004, 2027))
    assert state.get("calendar/year/2025") == VIEW["calendar/year/2025"]
    assert workdays.add_working_days(state, workdays.china_date(GENESIS_TIME), 1) == D(2026, 1, 4)  # Sun make-up


def test_invalid_set_year_at_the_door(net):
    """set_year is governed: sent directly it is refused at the door, never reaching a block."""
    args = {"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "source": "国办发明电"}
    raw = net.tx(OFFICE, "calendar", "set_year", args, nonce=net.nonces[OFFICE] + 1).to_bytes()
    error = net.refused_at_door(raw)
    assert error.code == "TX_GOVERNED_ONLY"
    assert calendar_queries.year_record(net.ledger.state, 2027) is None


def _set_year(net, view, **args):
    """Run set_year as a governance action would: its function over a view."""
    args = {"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "source": "国办发明电〔2026〕N号", **args}
    method = workdays.contract.methods["set_year"]
    method.check_args(args)
    tx = make_tx(net.keys[OFFICE], chain_id=net.genesis.chain_id, sender=OFFICE, nonce=1,
                 contract="calendar", method="set_year", args=args)
    ctx = TxContext(net.genesis.chain_id, 10, GENESIS_TIME, tx.tx_id(net.profile), OFFICE, tx.key_id, {},
                    net.profile)
    return method.fn(view, Call(tx, ctx))


def test_set_year_adds_a_year(net):
    """Once 2027 is added (a made-up schedule: 元旦 only), a deadline into 2027 is computed."""
    assert workdays.contract.methods["set_year"].governed
    effects = _set_year(net, VIEW)
    record = effects.writes["calendar/year/2027"]
    assert record == {"year": 2027, "holidays": ["2027-01-01"], "workdays": [],
                      "source": "governance: 国办发明电〔2026〕N号"}
    assert effects.events == [("calendar_year_set", {"year": 2027, "replaced": False, "holidays": 1,
                                                     "workdays": 0})]
    after = Overlay(VIEW, effects.writes)
    assert workdays.add_working_days(after, D(2026, 12, 30), 2) == D(2027, 1, 4)  # 1/1 holiday, then weekend
    replaced = _set_year(net, after, holidays=["2027-01-01", "2027-01-04"])
    assert replaced.events[0][1]["replaced"] is True
    assert workdays.add_working_days(Overlay(after, replaced.writes), D(2026, 12, 30), 2) == D(2027, 1, 5)


SET_YEAR_CASES = [
    ("date not ISO", {"holidays": ["2027-1-1"]}, "holidays[0]"),
    ("date outside the year", {"holidays": ["2026-12-31"]}, "holidays[0]"),
    ("out of order", {"holidays": ["2027-02-01", "2027-01-01"]}, "holidays[1]"),
    ("duplicate", {"workdays": ["2027-01-09", "2027-01-09"]}, "workdays[1]"),
    ("weekday make-up", {"workdays": ["2027-01-08"]}, "workdays[0]"),
    ("holiday and workday", {"holidays": ["2027-01-09"], "workdays": ["2027-01-09"]}, "workdays[0]"),
]


@pytest.mark.parametrize("name,change,field", SET_YEAR_CASES, ids=[c[0] for c in SET_YEAR_CASES])
def test_invalid_set_year(net, name, change, field):
    """A bad schedule is refused with CALENDAR_INVALID naming the field, writing nothing."""
    with pytest.raises(RuleViolation) as info:
        _set_year(net, VIEW, **change)
    assert (info.value.code, info.value.field) == ("CALENDAR_INVALID", field)


def test_invalid_set_year_for_a_past_year(net):
    """A year already over cannot be rewritten: deadlines counted on it would move."""
    with pytest.raises(RuleViolation) as info:
        _set_year(net, VIEW, year=2025, holidays=["2025-01-01"])
    assert (info.value.code, info.value.field) == ("CALENDAR_YEAR_PAST", "year")
