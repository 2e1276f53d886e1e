"""The genesis ``calendar`` section, built from the ``chinesecalendar`` package.

``chinesecalendar`` is maintained from the State Council's yearly holiday
notices (国务院办公厅关于部分节假日安排的通知). It is read here, once, when a
genesis is written — never by contracts: at execution time every node reads
the calendar from chain state, so nodes with different package versions
cannot disagree on a deadline. Years the package does not cover stay
uncovered until governance adds them (``calendar.set_year``).
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import chinese_calendar
from chinese_calendar import constants

from chain.errors import MuluError

PACKAGE = "chinesecalendar"


def package_years() -> range:
    """The years the installed package covers (as it decides itself: first to last holiday year)."""
    return range(min(constants.holidays).year, max(constants.holidays).year + 1)


def package_source() -> str:
    """``chinesecalendar <version>``, recorded in each genesis year record."""
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = chinese_calendar.__version__
    return f"{PACKAGE} {version}"


def calendar_section(years: range | None = None) -> dict[str, Any]:
    """The genesis section ``{"years": {"YYYY": {"holidays", "workdays"}}, "source"}``.

    ``years`` defaults to every year the package covers; asking for a year it
    does not cover is an error, not an empty (all-weekdays-work) schedule.
    """
    covered = package_years()
    years = covered if years is None else years
    missing = [y for y in years if y not in covered]
    if missing:
        raise MuluError(f"{package_source()} covers {covered.start}..{covered.stop - 1}, not {missing}",
                        code="CALENDAR_SOURCE_NOT_COVERED", years=missing)
    wanted = set(years)
    holidays = sorted(d for d in constants.holidays if d.year in wanted)
    workdays = sorted(d for d in constants.workdays if d.year in wanted)
    return {
        "years": {str(y): {"holidays": [d.isoformat() for d in holidays if d.year == y],
                           "workdays": [d.isoformat() for d in workdays if d.year == y]}
                  for y in years},
        "source": package_source(),
    }
