"""The duty catalog's state layout: the one place that spells its keys.

::

    duty/item/<uscc>/<item_id>              the item: its latest version (any status); every earlier one is
                                            in the state history of this key, numbered from 1
    duty/approved/<uscc>/<item_id>          the number of the version in force (approved, not retired)
    duty/changed/<uscc>                     {"height", "time", "item_id"} of the last approved change
"""

from __future__ import annotations

ITEM = "duty/item/"
APPROVED = "duty/approved/"
CHANGED = "duty/changed/"


def items_prefix(code: str) -> str:
    return f"{ITEM}{code}/"


def item_key(code: str, item_id: str) -> str:
    return items_prefix(code) + item_id


def approved_key(code: str, item_id: str) -> str:
    return f"{APPROVED}{code}/{item_id}"


def changed_key(code: str) -> str:
    return CHANGED + code
