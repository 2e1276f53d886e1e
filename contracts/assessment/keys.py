"""The assessment's state layout: the one place that spells its keys.

::

    assessment/report/<period>            the anchored result of a half-year's assessment (2026H2): the height
                                          it was computed at, the report's digest and its figures; a re-run is
                                          a new version of the record
    assessment/order/<order_id>           a 整改令: department, period, findings, the answer, whether lifted
    idx/assessment/orders/<uscc>/<order_id>
                                          derived: 1, to list a department's orders
"""

from __future__ import annotations

REPORT = "assessment/report/"
ORDER = "assessment/order/"
ORDERS = "idx/assessment/orders/"


def report_key(period: str) -> str:
    return REPORT + period


def order_key(order_id: str) -> str:
    return ORDER + order_id


def orders_prefix(department: str) -> str:
    return f"{ORDERS}{department}/"


def orders_key(department: str, order_id: str) -> str:
    return orders_prefix(department) + order_id
