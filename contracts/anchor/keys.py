"""Anchored documents' state layout: the one place that spells their keys.

::

    anchor/doc/<uscc>/<doc_id>  {"doc_id", "title", "kind", "digest", "uri", "version", "height", "time", "tx_id"}
                                (every earlier version in the key's state history)
"""

from __future__ import annotations

DOC = "anchor/doc/"


def docs_prefix(code: str) -> str:
    return f"{DOC}{code}/"


def doc_key(code: str, doc_id: str) -> str:
    return docs_prefix(code) + doc_id
