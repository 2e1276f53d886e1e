"""Anchored documents' read-only queries: what the API, the CLI and the engine's ``query`` serve."""

from __future__ import annotations

from typing import Any

from chain.errors import NotFound
from chain.state import StateReader
from contracts.anchor import DOC_ID, contract
from contracts.anchor.keys import doc_key, docs_prefix
from contracts.args import Int, Str, Uscc
from contracts.base import next_cursor, page

LIMIT = Int(min=1, max=1000, required=False)


@contract.query(args={"uscc": Uscc(), "after": Str(min_len=0, max_len=128, required=False), "limit": LIMIT})
def documents(reader: StateReader, uscc: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """A member's anchored documents (latest versions) by document id; page with ``after``."""
    rows = [v for _, v in page(reader, docs_prefix(uscc), after, limit)]
    return {"uscc": uscc, "documents": rows, "next": next_cursor(rows, limit, rows[-1]["doc_id"] if rows else None)}


@contract.query(args={"uscc": Uscc(), "doc_id": Str(max_len=128, pattern=DOC_ID)})
def document(reader: StateReader, uscc: str, doc_id: str) -> dict[str, Any]:
    """One anchored document: its latest version (digest, kind, block) and every earlier one."""
    found = reader.versions(doc_key(uscc, doc_id), limit=1000)
    if not found:
        raise NotFound(f"{uscc} has anchored no document {doc_id}", code="DOCUMENT_NOT_FOUND", uscc=uscc,
                       doc_id=doc_id)
    return {"uscc": uscc, "doc_id": doc_id, "current": found[-1].value, "versions": [v.value for v in found]}
