"""The data catalog's state layout: the one place that spells its keys.

::

    catalog/entry/<code>                 an entry: its current version; every earlier one is in the state
                                         history of this key, numbered from 1
    catalog/overlap/<code>               [{item, provider, entries}, ...] of the current version (一数一源)
    catalog/note/<uscc>/<note_id>        a review-approved note for entries without duty items
    catalog/updated/<uscc>               {"height", "time"} of the department's last catalog change
    idx/catalog/dept/<uscc>/<code>       derived: the current version number, to list a department's entries
    idx/catalog/provides/<item>          derived: [[provider uscc, entries], ...], how many current entries
                                         of each department declare the item (bounded by departments)

``<code>`` is a 信息资源代码, which holds one ``/`` and always comes last.
"""

from __future__ import annotations

ENTRY = "catalog/entry/"
OVERLAP = "catalog/overlap/"
NOTE = "catalog/note/"
UPDATED = "catalog/updated/"
DEPT = "idx/catalog/dept/"
PROVIDES = "idx/catalog/provides/"


def entry_key(code: str) -> str:
    return ENTRY + code


def overlap_key(code: str) -> str:
    return OVERLAP + code


def note_key(department: str, note_id: str) -> str:
    return f"{NOTE}{department}/{note_id}"


def updated_key(department: str) -> str:
    return UPDATED + department


def dept_prefix(department: str) -> str:
    return f"{DEPT}{department}/"


def dept_key(department: str, code: str) -> str:
    return dept_prefix(department) + code


def provides_key(item_name: str) -> str:
    return PROVIDES + item_name
