"""The data catalog's state layout: the one place that spells its keys.

::

    catalog/entry/<code>                 an entry: its current version; every earlier one is in the state
                                         history of this key, numbered from 1
    catalog/overlap/<code>               [{item, provider, entries}, ...] of the current version (一数一源)
    catalog/note/<uscc>/<note_id>        a review-approved note for entries without duty items
    catalog/updated/<uscc>               {"height", "time"} of the department's last catalog change
    catalog/element/<name>               a data element (数据元) of the dictionary: {"name", "data_type", "length",
                                         "synonyms", "reason", "height"}, changed by governance
    catalog/generic                      the generic item names (序号, 主键, 备注…), sorted: never an overlap
    idx/catalog/terms                    derived: {term: standard name} for every element's name and synonyms,
                                         and {term: ""} for each generic name — the one read per entry
                                         through which 一数一源 matches its data items
    idx/catalog/dept/<uscc>/<code>       derived: the current version number, to list a department's entries
    idx/catalog/provides/<item>          derived: [[provider uscc, entries, codes], ...], per department (so
                                         bounded by departments) how many of its current entries declare the
                                         item and, while they are at most INLINE_CODES, their codes in order;
                                         None once they outgrew it: then they are declares keys
    idx/catalog/declares/<item>/<uscc>/<code>   derived: 1, a current entry declaring the item, for a
                                         department whose provides row holds no codes; ``<item>`` with ``%``
                                         and ``/`` written ``%25`` and ``%2F``, so that it is one segment

``<item>`` in the 一数一源 index is an item's standard name: the element its name (as written,
in normal form) is a term of, or the name itself; generic items are not indexed. An entry
version records the names it was indexed under as ``indexed`` when they differ from its
items' names, so that its next version takes out exactly what it put in, whatever the
dictionary says by then.

``<code>`` is a 信息资源代码, which holds one ``/`` and always comes last.

The codes of a department's few entries declaring an item ride in the item's
provides row, which a new entry rewrites anyway (to count itself): listing them
costs no write of its own, where a key per data item and entry cut the catalog's
commit rate by a seventh when measured. A department's many entries declaring one
item (say 统一社会信用代码) each get a declares key, so that no row grows without
bound; a row that outgrew INLINE_CODES keeps its codes there until its department
has no entry declaring the item (the listings are the same either way).
"""

from __future__ import annotations

ENTRY = "catalog/entry/"
OVERLAP = "catalog/overlap/"
NOTE = "catalog/note/"
UPDATED = "catalog/updated/"
DEPT = "idx/catalog/dept/"
PROVIDES = "idx/catalog/provides/"
DECLARES = "idx/catalog/declares/"
ELEMENT = "catalog/element/"
GENERIC = "catalog/generic"
TERMS = "idx/catalog/terms"
INLINE_CODES = 8
"""How many codes a department's provides row of an item holds before they move to declares keys."""


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


def declares_prefix(item_name: str, department: str) -> str:
    """Where the declares keys of ``department``'s entries declaring ``item_name`` lie, in code order."""
    return f"{DECLARES}{item_name.replace('%', '%25').replace('/', '%2F')}/{department}/"


def declares_key(item_name: str, department: str, code: str) -> str:
    return declares_prefix(item_name, department) + code


def element_key(name: str) -> str:
    return ELEMENT + name
