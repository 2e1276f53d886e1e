"""The duty catalog's state layout: the one place that spells its keys.

::

    duty/item/<uscc>/<item_id>              the latest version (any status)
    duty/version/<uscc>/<item_id>/<000001>  each earlier version, immutable: moved here by the change that
                                            replaces it, so each version is stored once (as catalog entries)
    duty/approved/<uscc>/<item_id>          the version in force (approved, not retired)
    duty/changed/<uscc>                     {"height", "time", "item_id"} of the last approved change
"""

from __future__ import annotations

ITEM = "duty/item/"
VERSION = "duty/version/"
APPROVED = "duty/approved/"
CHANGED = "duty/changed/"


def items_prefix(code: str) -> str:
    return f"{ITEM}{code}/"


def item_key(code: str, item_id: str) -> str:
    return items_prefix(code) + item_id


def versions_prefix(code: str, item_id: str) -> str:
    return f"{VERSION}{code}/{item_id}/"


def version_key(code: str, item_id: str, version: int) -> str:
    """Where version ``version`` of a duty item lies once a later version has replaced it."""
    return f"{versions_prefix(code, item_id)}{version:06d}"


def approved_key(code: str, item_id: str) -> str:
    return f"{APPROVED}{code}/{item_id}"


def changed_key(code: str) -> str:
    return CHANGED + code
