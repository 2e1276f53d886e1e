"""The calendar's state layout: the one place that spells its keys.

::

    calendar/year/<YYYY>  {"year", "holidays": [ISO dates, sorted], "workdays": [ISO dates, sorted],
                           "source": "chinesecalendar 1.11.0" | "governance: <notice>"}
"""

from __future__ import annotations

PREFIX = "calendar/year/"


def year_key(year: int) -> str:
    """Four digits keep year keys in numeric order."""
    return f"{PREFIX}{year:04d}"
