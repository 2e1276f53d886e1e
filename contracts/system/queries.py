"""Information systems' and escrowed credentials' read-only queries: what the API, the CLI and the
engine's ``query`` serve.

Each is a function of committed state (:class:`~chain.state.StateReader`) and keyword arguments;
listings page with a cursor (``after``) and a ``limit``. A credential's envelope is returned as
it is: it is sealed, and only the custodian's private key, which never reaches a node, opens it.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from chain.errors import NotFound
from chain.state import StateReader
from contracts.args import Int, Str, Uscc
from contracts.base import next_cursor, page
from contracts.project.keys import PROJECT_ID
from contracts.system import SYSTEM_CODE, cloud_ok, contract, credential_current, project_systems
from contracts.system.keys import (
    CUSTODIAN,
    SEALED,
    access_key,
    credential_key,
    dept_prefix,
    exemption_key,
    system_key,
)

LIMIT = Int(min=1, max=1000, required=False)
CODE = Str(max_len=64, pattern=SYSTEM_CODE)
HEIGHT = Int(min=0, required=False)
AFTER_CODE = Str(min_len=0, max_len=64, required=False)


def _system(reader: StateReader, code: str) -> dict[str, Any]:
    record = reader.get(system_key(code))
    if record is None:
        raise NotFound(f"no information system {code}", code="SYSTEM_NOT_FOUND", system=code)
    return record


@contract.query(args={"code": CODE})
def system(reader: StateReader, code: str) -> dict[str, Any]:
    """A system's current version, its 入云 exemption (if any), and whether it meets 入云 and has a
    credential sealed to the custodian's current key."""
    record = _system(reader, code)
    return {**record, "exemption": reader.get(exemption_key(code)), "cloud_ok": cloud_ok(reader, code),
            "credential_current": credential_current(reader, code)}


@contract.query(args={"code": CODE, "after": Int(min=0, required=False), "limit": LIMIT})
def system_versions(reader: StateReader, code: str, after: int = 0, limit: int = 100) -> dict[str, Any]:
    """Every version of a system after number ``after``, oldest first."""
    found = reader.versions(system_key(code), skip=after, limit=limit)
    if not found and not after:
        _system(reader, code)
    return {"code": code, "versions": [v.value for v in found]}


@contract.query(args={"department": Uscc(), "after": AFTER_CODE, "limit": LIMIT})
def systems(reader: StateReader, department: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """A department's systems (current versions) by code; page with ``after`` (a code)."""
    codes = [code for code, _ in page(reader, dept_prefix(department), after, limit)]
    rows = [reader.get(system_key(c)) for c in codes]
    return {"department": department, "systems": rows,
            "next": next_cursor(codes, limit, codes[-1] if codes else None)}


@contract.query(args={"project_id": Str(max_len=64, pattern=PROJECT_ID), "after": AFTER_CODE, "limit": LIMIT})
def systems_of_project(reader: StateReader, project_id: str, after: str = "", limit: int = 100) -> dict[str, Any]:
    """A project's systems (current versions) by code; page with ``after`` (a code)."""
    codes = project_systems(reader, project_id)
    start = bisect_right(codes, after) if after else 0
    codes = codes[start:start + limit]
    return {"project_id": project_id, "systems": [reader.get(system_key(c)) for c in codes],
            "next": next_cursor(codes, limit, codes[-1] if codes else None)}


@contract.query()
def custodian(reader: StateReader) -> dict[str, Any]:
    """The custodian's current encryption public key: what credentials are sealed to."""
    record = reader.get(CUSTODIAN)
    if record is None:
        raise NotFound("the custodian has registered no encryption key", code="CUSTODIAN_KEY_NOT_FOUND")
    return record


@contract.query(args={"code": CODE, "height": HEIGHT})
def credential(reader: StateReader, code: str, height: int | None = None) -> dict[str, Any]:
    """A system's escrowed credential, current or as of ``height``: commitment, envelope and its
    digest, the custodian key it is sealed to (and whether that is the current one), version, block."""
    version = reader.version(credential_key(code), height)
    if version is None or version.value is None:
        raise NotFound(f"system {code} has no escrowed credential" + ("" if height is None else f" at {height}"),
                       code="CREDENTIAL_NOT_FOUND", system=code)
    custodian_key = reader.get(CUSTODIAN)
    current = custodian_key is not None and version.value["custodian_key_id"] == custodian_key["key_id"]
    return {**version.value, "sealed_to_current_key": current}


@contract.query(args={"after": Str(min_len=0, max_len=96, required=False), "limit": LIMIT})
def pending_reseal(reader: StateReader, after: str = "", limit: int = 100) -> dict[str, Any]:
    """Credentials sealed to an older custodian key, waiting to be sealed again to the current one;
    by old key id and code, page with ``after`` (``<key_id>/<code>``, the last row's cursor)."""
    record = reader.get(CUSTODIAN)
    current = None if record is None else record["key_id"]
    found = _sealed_elsewhere(reader, current, after, limit)
    rows = []
    for rest, version in found:
        key_id, _, code = rest.partition("/")
        credential_record = reader.get(credential_key(code))
        rows.append({"code": code, "department": credential_record["department"], "custodian_key_id": key_id,
                     "version": version})
    return {"custodian_key_id": current, "credentials": rows,
            "next": next_cursor(rows, limit, found[-1][0] if found else None)}


def _sealed_elsewhere(reader: StateReader, current: str | None, after: str, limit: int) -> list[tuple[str, Any]]:
    """One page of the sealed index's rows (``<key_id>/<code>``, version) of every key but ``current``:
    the rows before its section, then those after it; its own rows are jumped over (one is read)."""
    rows: list[tuple[str, Any]] = []
    for key, version in reader.keys(SEALED, after=SEALED + after if after else "", limit=limit):
        rest = key[len(SEALED):]
        if current is not None and rest.startswith(current + "/"):
            # codes are [A-Za-z0-9._-]: "~" sorts after every one, so this cursor ends the current key's section
            return rows + page(reader, SEALED, current + "/~", limit - len(rows))
        rows.append((rest, version))
    return rows


@contract.query(args={"code": CODE, "after": Int(min=0, required=False), "limit": LIMIT})
def accesses(reader: StateReader, code: str, after: int = 0, limit: int = 100) -> dict[str, Any]:
    """Every recorded opening of a system's credential by the custodian (who, why, which version),
    oldest first; page with ``after`` (how many to skip)."""
    _system(reader, code)
    rows = [v.value for v in reader.versions(access_key(code), skip=after, limit=limit)]
    return {"code": code, "accesses": rows, "next": after + len(rows) if len(rows) == limit else None}
