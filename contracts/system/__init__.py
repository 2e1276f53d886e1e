"""信息系统 and 用户名和密码纳管: a department's information systems, their 入云 exemptions,
and their administrator accounts in escrow with the custodian (000:第十四条).

Rules, each with its article:

* a department registers its own systems: code, name, the project that built it (its own
  project, when one is named), 部署位置 (``gov_cloud`` or ``other``) and 等保级别 (1..5);
  every change is a new version of the system's one record (000:第十四条);
* a system not on the government cloud needs an approved 入云 exemption: its department
  applies with a reason, ``review_authority`` (经信局) approves or refuses (000:第十四条(一));
* credentials are never on chain in plain text (000:第十四条(三)): the custodian
  (``review_authority``) registers an encryption public key, and a department submits each
  system's administrator account as an envelope sealed to the custodian's *current* key and
  bound to the system's code, with a salted commitment (:mod:`contracts.system.escrow`).
  The contract cannot open an envelope; it checks what it can: that the bytes are an
  envelope of the chain's scheme (:mod:`chain.envelope`), sealed to the current key, of
  sane sizes, and never submitted before. Rotation makes a new version; a new custodian key
  leaves every credential sealed to an older one pending re-seal until it is submitted again;
* every opening of a credential by the custodian is recorded first (``record_access``: who,
  which system, why), and the client opens the envelope only once that is committed.

The plain functions :func:`project_systems`, :func:`cloud_ok` and :func:`credential_current`
are what the acceptance verdict reads (000:第十四条(一)、(三)). The state layout is
:mod:`contracts.system.keys`; the read-only queries are :mod:`contracts.system.queries`.
"""

from __future__ import annotations

from bisect import insort
from typing import Any

from chain.envelope import (
    SCHEME_X25519_AES_GCM,
    X25519_KEY_SIZE,
    AES_GCM_NONCE_SIZE,
    GCM_TAG_SIZE,
    Envelope,
    check_recipient_key,
    recipient_key_id,
    scheme_for,
)
from chain.errors import CryptoError, MalformedRecord
from chain.execution import Effects, StateView
from contracts import duty
from contracts.args import Bool, Bytes, Int, OneOf, Str
from contracts.base import Call, Contract, refuse
from contracts.project.keys import PROJECT_ID, project_key
from contracts.system.keys import (
    CUSTODIAN,
    access_key,
    credential_key,
    dept_key,
    envelope_key,
    exemption_key,
    project_systems_key,
    sealed_key,
    system_key,
)

ARTICLE = "000:第十四条"
ARTICLE_CLOUD = "000:第十四条(一)"
"""入云: 确有特殊原因不能入云的，由市经济和信息化局报市政府审议通过后执行."""
ARTICLE_ESCROW = "000:第十四条(三)"
"""上链: 信息系统用户名和密码等的纳管."""

SYSTEM_CODE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
"""A system's code (its id on the chain)."""
DEPLOYMENTS = ("gov_cloud", "other")
"""部署位置: on the government cloud (政务云), or elsewhere."""
MAX_PROJECT_SYSTEMS = 100
"""How many systems one project may name (its list is one record)."""
MAX_ENVELOPE = 2048
"""The largest envelope a credential may be, in bytes."""
MAX_SEALED = 1024 + GCM_TAG_SIZE
"""The largest ciphertext of a credential (a 1 KiB account, with its tag)."""
SM2_WRAPPED = (100, 130)
"""The sizes a DER ``SM2Cipher`` of a 16-byte SM4 key can have (about 120 bytes)."""

contract = Contract("system", "信息系统 information systems and credential escrow")

CODE = Str(max_len=64, pattern=SYSTEM_CODE)
REASON = Str(max_len=1000)

SYSTEM_ARGS = {
    "code": CODE,
    "name": Str(max_len=200),
    "project": Str(max_len=64, min_len=0, pattern=f"(|{PROJECT_ID})", required=False),
    "deployment": OneOf(DEPLOYMENTS),
    "protection_level": Int(min=1, max=5),
    "reason": Str(max_len=1000, min_len=0, required=False),
}


def _own_system(view: StateView, call: Call, code: str) -> dict[str, Any]:
    """The current record of the sender's system ``code``, or a refusal."""
    system = view.get(system_key(code))
    if system is None:
        raise refuse("SYSTEM_UNKNOWN", f"no information system {code}", field="code")
    if system["department"] != call.sender:
        raise refuse("SYSTEM_NOT_OWN", f"system {code} belongs to {system['department']}", article=ARTICLE,
                     field="code", owner=system["department"])
    return system


def _stamp(call: Call) -> dict[str, Any]:
    return {"height": call.ctx.height, "time": call.ctx.time, "tx_id": call.ctx.tx_id}


# --- information systems ---------------------------------------------------------------------------


@contract.method(roles=duty.OWNER_ROLES, args=SYSTEM_ARGS)
def register(view: StateView, call: Call) -> Effects:
    """Register one of the department's information systems, or a new version of it."""
    a = call.args
    code, project = a["code"], a.get("project", "")
    current = view.get(system_key(code))
    if current is not None and current["department"] != call.sender:
        raise refuse("SYSTEM_CODE_TAKEN", f"system code {code} belongs to {current['department']}",
                     article=ARTICLE, field="code", owner=current["department"])
    if project:
        record = view.get(project_key(project))
        if record is None:
            raise refuse("SYSTEM_PROJECT_UNKNOWN", f"no project {project} in the project library",
                         article=ARTICLE, field="project")
        if record.get("department") != call.sender:
            raise refuse("SYSTEM_PROJECT_NOT_OWN", f"project {project} is not a project of {call.sender}",
                         article=ARTICLE, field="project", department=record.get("department"))
    fields = {"name": a["name"], "project": project, "deployment": a["deployment"],
              "protection_level": a["protection_level"]}
    if current is not None and all(current[k] == v for k, v in fields.items()):
        raise refuse("SYSTEM_UNCHANGED", f"version {current['version']} of {code} already says this",
                     field="code", version=current["version"])
    version = 1 if current is None else current["version"] + 1
    record = {"code": code, "department": call.sender, **fields, "reason": a.get("reason", ""),
              "version": version, "signer_key": call.tx.key_id, **_stamp(call)}
    writes: dict[str, Any] = {system_key(code): record, dept_key(call.sender, code): version}
    old_project = "" if current is None else current["project"]
    if project != old_project:
        if old_project:
            codes = [c for c in view.get(project_systems_key(old_project)) or () if c != code]
            writes[project_systems_key(old_project)] = codes or None
        if project:
            codes = list(view.get(project_systems_key(project)) or ())
            if len(codes) >= MAX_PROJECT_SYSTEMS:
                raise refuse("SYSTEM_PROJECT_FULL", f"project {project} already names {len(codes)} systems",
                             article=ARTICLE, field="project", limit=MAX_PROJECT_SYSTEMS)
            insort(codes, code)
            writes[project_systems_key(project)] = codes
    event = {"uscc": call.sender, "code": code, "version": version, "deployment": a["deployment"]}
    return Effects(writes, [("system_registered", event)])


# --- 入云 exemptions ---------------------------------------------------------------------------------


@contract.method(roles=duty.OWNER_ROLES, args={"code": CODE, "reason": REASON})
def apply_exemption(view: StateView, call: Call) -> Effects:
    """Apply for a 入云 exemption for one of the department's systems not on the government cloud."""
    code = call.args["code"]
    system = _own_system(view, call, code)
    if system["deployment"] == "gov_cloud":
        raise refuse("EXEMPTION_NOT_NEEDED", f"system {code} is on the government cloud", article=ARTICLE_CLOUD,
                     field="code")
    current = view.get(exemption_key(code))
    if current is not None and current["status"] == "pending":
        raise refuse("EXEMPTION_PENDING", f"system {code}'s application (version {current['version']}) awaits "
                     "its decision", article=ARTICLE_CLOUD, field="code", version=current["version"])
    if current is not None and current["status"] == "approved":
        raise refuse("EXEMPTION_APPROVED", f"system {code} already has an approved exemption (version "
                     f"{current['version']})", article=ARTICLE_CLOUD, field="code", version=current["version"])
    record = {"code": code, "department": call.sender, "status": "pending", "reason": call.args["reason"],
              "applied": _stamp(call), "decision": None,
              "version": 1 if current is None else current["version"] + 1}
    return Effects({exemption_key(code): record},
                   [("exemption_applied", {"uscc": call.sender, "code": code, "version": record["version"]})])


@contract.method(roles=("review_authority",), args={"code": CODE, "approve": Bool(), "opinion": REASON})
def decide_exemption(view: StateView, call: Call) -> Effects:
    """经信局 approves or refuses a pending 入云 exemption (after the 市政府's deliberation)."""
    a = call.args
    current = view.get(exemption_key(a["code"]))
    if current is None:
        raise refuse("EXEMPTION_UNKNOWN", f"no exemption application for system {a['code']}", field="code")
    if current["status"] != "pending":
        raise refuse("EXEMPTION_NOT_PENDING", f"the application is already {current['status']}",
                     article=ARTICLE_CLOUD, field="code", status=current["status"])
    status = "approved" if a["approve"] else "refused"
    record = {**current, "status": status,
              "decision": {"by": call.sender, "opinion": a["opinion"], **_stamp(call)}}
    event = {"uscc": current["department"], "code": a["code"], "status": status, "version": current["version"]}
    return Effects({exemption_key(a["code"]): record}, [("exemption_decided", event)])


# --- the custodian's key ------------------------------------------------------------------------------


@contract.method(roles=("review_authority",), args={"public_key": Bytes(max_len=128)})
def set_custodian_key(view: StateView, call: Call) -> Effects:
    """The custodian registers (or rotates) its encryption public key: X25519 on an
    ``ed25519-sha256`` chain, SM2 on an ``sm2-sm3`` chain."""
    public_key = call.args["public_key"]
    scheme = scheme_for(call.ctx.profile.name)
    try:
        check_recipient_key(scheme, public_key)
    except CryptoError as exc:
        raise refuse("CUSTODIAN_KEY_INVALID", f"not a {scheme} recipient key: {exc.message}",
                     article=ARTICLE_ESCROW, field="public_key", scheme=scheme) from None
    current = view.get(CUSTODIAN)
    if current is not None and current["public_key"] == public_key:
        raise refuse("CUSTODIAN_KEY_UNCHANGED", f"key {current['key_id']} is already the custodian's",
                     field="public_key", key_id=current["key_id"])
    record = {"scheme": scheme, "public_key": public_key, "key_id": recipient_key_id(scheme, public_key),
              "version": 1 if current is None else current["version"] + 1, "set_by": call.sender,
              **_stamp(call)}
    event = {"key_id": record["key_id"], "version": record["version"],
             "previous": None if current is None else current["key_id"]}
    return Effects({CUSTODIAN: record}, [("custodian_key_set", event)])


# --- credentials ---------------------------------------------------------------------------------------


def _check_envelope(data: bytes, custodian: dict[str, Any]) -> Envelope:
    """The envelope in ``data``, once it is one of the chain's scheme, sealed to the custodian's
    current key, of sane sizes; the contract cannot open it, so that is what it checks."""
    try:
        envelope = Envelope.from_bytes(data)
    except MalformedRecord as exc:
        raise refuse("CREDENTIAL_ENVELOPE_MALFORMED", f"not an envelope: {exc.message}", article=ARTICLE_ESCROW,
                     field="envelope") from None
    if envelope.scheme != custodian["scheme"]:
        raise refuse("CREDENTIAL_SCHEME_MISMATCH", f"a {envelope.scheme!r} envelope; this chain seals with "
                     f"{custodian['scheme']}", article=ARTICLE_ESCROW, field="envelope", scheme=envelope.scheme)
    if envelope.recipient != custodian["key_id"]:
        raise refuse("CREDENTIAL_RECIPIENT_NOT_CURRENT", f"sealed to key {envelope.recipient}, not the custodian's "
                     f"current key {custodian['key_id']}", article=ARTICLE_ESCROW, field="envelope",
                     recipient=envelope.recipient, custodian_key_id=custodian["key_id"])
    low, high = (X25519_KEY_SIZE, X25519_KEY_SIZE) if envelope.scheme == SCHEME_X25519_AES_GCM else SM2_WRAPPED
    # both schemes are GCM with 12-byte nonces and 16-byte tags (AES-256-GCM, SM4-GCM)
    if not low <= len(envelope.wrapped_key) <= high or len(envelope.nonce) != AES_GCM_NONCE_SIZE \
            or not GCM_TAG_SIZE < len(envelope.sealed) <= MAX_SEALED:
        raise refuse("CREDENTIAL_ENVELOPE_SIZE", f"a {envelope.scheme} envelope of a credential has a wrapped key "
                     f"of {low}..{high} bytes, a {AES_GCM_NONCE_SIZE}-byte nonce and {GCM_TAG_SIZE + 1}.."
                     f"{MAX_SEALED} bytes sealed", article=ARTICLE_ESCROW, field="envelope",
                     wrapped_key=len(envelope.wrapped_key), nonce=len(envelope.nonce), sealed=len(envelope.sealed))
    return envelope


@contract.method(roles=duty.OWNER_ROLES, args={
    "code": CODE,
    "envelope": Bytes(max_len=MAX_ENVELOPE),
    "commitment": Bytes(size=32),
    "reason": Str(max_len=1000, min_len=0, required=False),
})
def submit_credential(view: StateView, call: Call) -> Effects:
    """Escrow a system's administrator account: an envelope sealed to the custodian's current key
    and bound to the system's code, with a salted commitment; a rotation or re-seal is a new version."""
    a = call.args
    code = a["code"]
    _own_system(view, call, code)
    custodian = view.get(CUSTODIAN)
    if custodian is None:
        raise refuse("CUSTODIAN_KEY_MISSING", "the custodian has registered no encryption key yet",
                     article=ARTICLE_ESCROW, field="envelope")
    _check_envelope(a["envelope"], custodian)
    digest = call.ctx.profile.hash(a["envelope"])
    used = view.get(envelope_key(digest))
    if used is not None:
        raise refuse("CREDENTIAL_ENVELOPE_REUSED", f"this envelope was already submitted for system {used}",
                     article=ARTICLE_ESCROW, field="envelope", system=used)
    current = view.get(credential_key(code))
    version = 1 if current is None else current["version"] + 1
    record = {"code": code, "department": call.sender, "commitment": a["commitment"], "envelope": a["envelope"],
              "envelope_digest": digest, "scheme": custodian["scheme"], "custodian_key_id": custodian["key_id"],
              "custodian_version": custodian["version"], "reason": a.get("reason", ""), "version": version,
              "signer_key": call.tx.key_id, **_stamp(call)}
    writes: dict[str, Any] = {credential_key(code): record, envelope_key(digest): code,
                              sealed_key(custodian["key_id"], code): version}
    if current is not None and current["custodian_key_id"] != custodian["key_id"]:
        writes[sealed_key(current["custodian_key_id"], code)] = None
    event = {"uscc": call.sender, "code": code, "version": version, "custodian_key_id": custodian["key_id"]}
    return Effects(writes, [("credential_submitted", event)])


@contract.method(roles=("review_authority",), args={"code": CODE, "reason": REASON})
def record_access(view: StateView, call: Call) -> Effects:
    """The custodian records that it opens a system's credential, and why, before it does."""
    code = call.args["code"]
    credential = view.get(credential_key(code))
    if credential is None:
        raise refuse("CREDENTIAL_UNKNOWN", f"system {code} has no escrowed credential", field="code")
    last = view.get(access_key(code))
    record = {"code": code, "department": credential["department"], "by": call.sender,
              "signer_key": call.tx.key_id, "reason": call.args["reason"],
              "credential_version": credential["version"], "envelope_digest": credential["envelope_digest"],
              "custodian_key_id": credential["custodian_key_id"], "seq": 1 if last is None else last["seq"] + 1,
              **_stamp(call)}
    event = {"uscc": credential["department"], "code": code, "by": call.sender, "seq": record["seq"],
             "credential_version": credential["version"]}
    return Effects({access_key(code): record}, [("credential_accessed", event)])


# --- what the acceptance verdict reads -----------------------------------------------------------------


def project_systems(view: StateView, project_id: str) -> list[str]:
    """The codes of the systems of project ``project_id``, in code order."""
    return list(view.get(project_systems_key(project_id)) or ())


def cloud_ok(view: StateView, code: str) -> bool:
    """入云 (000:第十四条(一)): system ``code`` is on the government cloud, or has an approved exemption."""
    system = view.get(system_key(code))
    if system is None:
        return False
    if system["deployment"] == "gov_cloud":
        return True
    exemption = view.get(exemption_key(code))
    return exemption is not None and exemption["status"] == "approved"


def credential_current(view: StateView, code: str) -> bool:
    """上链 of the account (000:第十四条(三)): system ``code`` has an escrowed credential, sealed to
    the custodian's current key."""
    credential = view.get(credential_key(code))
    custodian = view.get(CUSTODIAN)
    return credential is not None and custodian is not None and credential["custodian_key_id"] == custodian["key_id"]


from contracts.system import queries  # noqa: E402,F401 - registers the queries on the contract
