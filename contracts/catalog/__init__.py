"""数据目录: a department's data catalog, one entry per 信息资源.

Entries carry the core metadata of 政务信息资源目录编制指南 (发改高技〔2017〕1272号):
分类 (类/项/目/细目), 名称, 资源代码, 提供方 and its code, 摘要, 格式, 信息项
(名称, 数据类型, 长度), 共享属性 (共享类型, 共享条件, 共享方式), 开放属性 (是否开放,
开放条件), 更新周期, 发布日期, 关联资源代码 — plus the duty items the resource
serves and its source systems.

Rules, each with its article:

* an entry maps to at least one approved duty item of its own department, or
  carries a note approved by ``review_authority`` (000:第九条);
* 有条件共享 states its conditions, 不予共享 cites its legal basis (002:第十六条);
* a resource code belongs to one department; related codes must exist;
* 一数一源 (000:第七条, 004:第十二条): data items another department already
  provides do not refuse the entry — the overlap is recorded and queryable, so
  review can refuse duplicate collection.

Every change is a new version of the entry's one record, numbered from 1, with
a reason and the signer: the state layer keeps every version of every record,
linked to the one before by hash, so the contract keeps a number, not another
copy. Nothing is overwritten or deleted.

The state layout is :mod:`contracts.catalog.keys`; the read-only queries are
:mod:`contracts.catalog.queries`.
"""

from __future__ import annotations

from typing import Any, Iterator

from chain.execution import Effects, StateView
from chain.errors import RuleViolation
from contracts import duty, workdays
from contracts.identity import member_key
from contracts.text import all_plain, name_form, normalize
from contracts.args import Bool, Date, ListOf, Obj, OneOf, Str, Uscc
from contracts.base import Call, Contract, param, refuse
from contracts.catalog.keys import (
    INLINE_CODES,
    PROVIDES,
    TERMS,
    declares_key,
    dept_key,
    entry_key,
    note_key,
    overlap_key,
    provides_key,
    updated_key,
)

ARTICLE_DUTY = "000:第九条"
ARTICLE_SHARE = "002:第十六条"
ARTICLE_SINGLE_SOURCE = "000:第七条"
ARTICLE_CATALOG_GUIDE = "002:第六条"
"""政务信息资源实行目录管理 … 目录编制指南: a resource code has the guide's structure (类/项/目/细目)."""
ARTICLE_OWN_CATALOG = "002:第九条"
"""政务部门负责编制、维护和管理本部门信息资源目录: a department catalogs its own resources only."""

RESOURCE_CODE = r"[1-3][0-9]{5}[0-9A-Z]{0,12}/[0-9]{1,12}"
"""信息资源代码: 前段码 (类 1 digit, 项 2, 目 3, 细目 optional) / 后段码 (顺序码)."""

DATA_TYPES = ("C", "N", "Y", "D", "T", "L", "M", "G", "B", "I", "F")
"""信息项数据类型: 字符 C, 数值 N, 货币 Y, 日期 D, 日期时间 T, 逻辑 L, 备注 M, 通用 G,
双精度 B, 整型 I, 浮点 F."""

SHARE_TYPES = ("unconditional", "conditional", "not_shared")
UPDATE_CYCLES = ("realtime", "daily", "weekly", "monthly", "quarterly", "half_yearly", "yearly", "irregular")
NOTE_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

contract = Contract("catalog", "数据目录 data catalog")

ARTICLE_UPDATE = "002:第九条"
UPDATE_DEADLINE = contract.param(
    "update_deadline_working_days", 15, min=1, max=60, article=ARTICLE_UPDATE,
    summary="working days after a duty change within which the department's data catalog must be updated "
            "(15 in Beijing, 002:第九条; 10 in Jiaozuo, 004:第十条)")

DATA_ITEM = Obj({
    "name": Str(max_len=100),
    "data_type": OneOf(DATA_TYPES),
    "length": Str(max_len=12, pattern=r"[1-9][0-9]{0,5}(,[0-9]{1,2})?", required=False),
})

ENTRY_ARGS = {
    "resource_code": Str(max_len=32, pattern=RESOURCE_CODE),
    "class": Str(max_len=1, pattern=r"[1-3]"),
    "item": Str(max_len=2, min_len=2, pattern=r"[0-9]{2}"),
    "category": Str(max_len=3, min_len=3, pattern=r"[0-9]{3}"),
    "subcategory": Str(max_len=12, min_len=0, pattern=r"[0-9A-Z]{0,12}", required=False),
    "name": Str(max_len=200),
    "provider": Str(max_len=200),
    "provider_code": Uscc(),
    "summary": Str(max_len=2000),
    "format": Str(max_len=64),
    "data_items": ListOf(DATA_ITEM, min_items=1, max_items=500),
    "share_type": OneOf(SHARE_TYPES),
    "share_condition": Str(max_len=1000, min_len=0, required=False),
    "share_method": Str(max_len=200, min_len=0, required=False),
    "share_basis": Str(max_len=1000, min_len=0, required=False),
    "open_to_public": Bool(),
    "open_condition": Str(max_len=1000, min_len=0, required=False),
    "update_cycle": OneOf(UPDATE_CYCLES),
    "published": Date(),
    "related_codes": ListOf(Str(max_len=32, pattern=RESOURCE_CODE), max_items=50, required=False),
    "duty_items": ListOf(Str(max_len=64, pattern=duty.ITEM_ID), max_items=50),
    "note_id": Str(max_len=64, pattern=NOTE_ID, required=False),
    "systems": ListOf(Str(max_len=200), max_items=20, required=False),
    "reason": Str(max_len=1000),
}

_OPTIONAL_TEXT = ("subcategory", "share_condition", "share_method", "share_basis", "open_condition", "note_id")


def _check_rules(view: StateView, call: Call) -> tuple[dict[str, Any] | None, list[str], str, str]:
    """The cross-field and cross-record rules of an entry (static shape is checked at the door),
    refusing with the first it breaks; returns the entry's current record, if it has one, and its
    data item names, its name and its provider in normal form (:func:`contracts.text.name_form`)."""
    _check_code_class(call)
    _check_provider(call)
    existing = _check_owner(view, call)
    _check_share(call)
    _check_open(call)
    names, name, provider = _check_names(call)
    for problem in _related_problems(view, call):
        raise problem
    for problem in _duty_problems(view, call):
        raise problem
    return existing, names, name, provider


def rule_problems(view: StateView, call: Call) -> list[RuleViolation]:
    """Every rule an entry breaks, not only the first :func:`publish` refuses with: what a clerk's
    check before signing reports (``mulu catalog publish --check``). The same rules, in the same
    order, over the same ``view``; a rule whose arguments are missing or malformed (which the
    argument checks report) is passed over, so the others are still checked."""
    found: list[RuleViolation] = []
    for check in (_check_code_class, _check_provider, lambda c: _check_owner(view, c), _check_share, _check_open,
                  _check_names):
        try:
            check(call)
        except RuleViolation as exc:
            found.append(exc)
        except (KeyError, TypeError, AttributeError):
            continue  # its arguments are missing or malformed: reported by the argument checks
    for problems in (_related_problems, _duty_problems):
        try:
            found += list(problems(view, call))
        except (KeyError, TypeError, AttributeError):
            continue
    return found


def _check_code_class(call: Call) -> None:
    a = call.args
    code = a["resource_code"]
    prefix = a["class"] + a["item"] + a["category"] + a.get("subcategory", "")
    if code.split("/")[0] != prefix:
        raise refuse("CATALOG_CODE_CLASS_MISMATCH",
                     f"资源代码 {code} does not begin with its 分类 (类/项/目/细目) {prefix}",
                     article=ARTICLE_CATALOG_GUIDE, field="resource_code")


def _check_provider(call: Call) -> None:
    if call.args["provider_code"] != call.sender:
        raise refuse("CATALOG_PROVIDER_MISMATCH", "a department publishes only its own resources (提供方代码)",
                     article=ARTICLE_OWN_CATALOG, field="provider_code")


def _check_owner(view: StateView, call: Call) -> dict[str, Any] | None:
    """The entry's current record; refused when its code is another department's."""
    code = call.args["resource_code"]
    existing = view.get(entry_key(code))
    owner = None if existing is None else existing["signer"]
    if owner is not None and owner != call.sender:
        raise refuse("CATALOG_CODE_TAKEN", f"资源代码 {code} belongs to {owner}", article=ARTICLE_OWN_CATALOG,
                     field="resource_code", owner=owner)
    return existing


def _check_share(call: Call) -> None:
    a = call.args
    if a["share_type"] == "conditional" and not a.get("share_condition", "").strip():
        raise refuse("CATALOG_SHARE_CONDITION_MISSING", "有条件共享 must state its 共享条件",
                     article=ARTICLE_SHARE, field="share_condition")
    if a["share_type"] == "not_shared" and not a.get("share_basis", "").strip():
        raise refuse("CATALOG_SHARE_BASIS_MISSING", "不予共享 must cite its legal or policy basis",
                     article=ARTICLE_SHARE, field="share_basis")


def _check_open(call: Call) -> None:
    if call.args["open_to_public"] and call.args["share_type"] == "not_shared":
        raise refuse("CATALOG_OPEN_NOT_SHARED", "a resource not shared with departments cannot be open to the public",
                     article=ARTICLE_SHARE, field="open_to_public")


def _check_names(call: Call) -> tuple[list[str], str, str]:
    """The data item names, the name and the provider in normal form; refused when a word mixes
    scripts or two items are one name."""
    a = call.args
    names = [item["name"] for item in a["data_items"]]
    # one name however it is spelled; names already in normal form, the common case, at one test for all
    forms = None if all_plain(names) else [name_form(name) for name in names]
    titles = {"name": name_form(a["name"]), "provider": name_form(a["provider"])}
    named = [*titles.items(), *((f"data_items[{i}].name", form) for i, form in enumerate(forms or ()))]
    for where, (_, mixed) in named:
        if mixed:
            raise refuse("CATALOG_NAME_CONFUSABLE", f"a word of {where} mixes {mixed} letters, which look alike: "
                         "one name must not pass for another", article=ARTICLE_SINGLE_SOURCE, field=where,
                         scripts=mixed)
    if forms is not None:
        names = [name for name, _ in forms]
    if len(set(names)) != len(names) or not all(names):
        raise refuse("CATALOG_DATA_ITEM_DUPLICATE", "信息项 names are non-empty and distinct within an entry",
                     field="data_items")
    return names, titles["name"][0], titles["provider"][0]


def _related_problems(view: StateView, call: Call) -> Iterator[RuleViolation]:
    code = call.args["resource_code"]
    for i, related in enumerate(call.args.get("related_codes", [])):
        if related == code or view.get(entry_key(related)) is None:
            yield refuse("CATALOG_RELATED_UNKNOWN", f"关联资源代码 {related} is not a catalogued resource",
                         field=f"related_codes[{i}]")


def _duty_problems(view: StateView, call: Call) -> Iterator[RuleViolation]:
    """000:第九条: map to approved duty items of one's own department, or carry an approved note."""
    a = call.args
    for i, item_id in enumerate(a["duty_items"]):
        if duty.approved_version(view, call.sender, item_id) is None:
            yield refuse("CATALOG_DUTY_UNMAPPED", f"{item_id} is not an approved duty item of {call.sender}",
                         article=ARTICLE_DUTY, field=f"duty_items[{i}]")
    if not a["duty_items"]:
        note_id = a.get("note_id", "")
        if not note_id:
            yield refuse("CATALOG_NOTE_REQUIRED", "an entry serving no duty item needs a note approved by review",
                         article=ARTICLE_DUTY, field="duty_items")
        elif view.get(note_key(call.sender, note_id)) is None:
            yield refuse("CATALOG_NOTE_UNKNOWN", f"no approved note {note_id} for {call.sender}",
                         article=ARTICLE_DUTY, field="note_id")


def _declaring(writes: dict[str, Any], item: str, providers: list[list[Any]], provider: str, code: str,
               add: bool) -> list[list[Any]] | None:
    """The 一数一源 index rows ``providers`` of ``item`` once ``provider``'s entry ``code`` starts
    (``add``) or stops declaring it: the department's count moved by one, and the code added to or
    taken from its row, or from its declares key in ``writes`` once the row outgrew
    :data:`~contracts.catalog.keys.INLINE_CODES` (all of its codes move there then)."""
    rows = [row for row in providers if row[0] != provider]
    mine = next((row for row in providers if row[0] == provider), None)
    count, codes = (0, []) if mine is None else (mine[1], mine[2])
    if codes is None:
        writes[declares_key(item, provider, code)] = 1 if add else None
    elif add:
        codes = sorted([*codes, code])
        if len(codes) > INLINE_CODES:
            for c in codes:
                writes[declares_key(item, provider, c)] = 1
            codes = None
    else:
        codes = [c for c in codes if c != code]
    count += 1 if add else -1
    if count:
        rows.append([provider, count, codes])
        rows.sort(key=_provider)
    return rows or None


def _provider(row: list[Any]) -> str:
    return row[0]


def _trimmed(items: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """The data items with their names in normal form, ``names`` (the list itself when all already are)."""
    if [item["name"] for item in items] == names:
        return items
    return [item if item["name"] == name else {**item, "name": name} for item, name in zip(items, names)]


def _entry(a: dict[str, Any], item_names: list[str], name: str, provider: str) -> dict[str, Any]:
    """The entry a version stores: every argument but the reason, optional text as "" and lists as
    [], the names given in normal form."""
    entry = {field: a.get(field, "" if field in _OPTIONAL_TEXT else []) for field in ENTRY_ARGS if field != "reason"}
    entry["data_items"] = _trimmed(a["data_items"], item_names)
    entry["name"], entry["provider"] = name, provider
    return entry


def stored_entry(args: dict[str, Any]) -> dict[str, Any]:
    """The entry :func:`publish` would store for well-formed ``args``: what a client compares with the
    current version to skip a row already on chain unchanged (``CATALOG_UNCHANGED`` otherwise)."""
    return _entry(args, [normalize(item["name"]) for item in args["data_items"]], normalize(args["name"]),
                  normalize(args["provider"]))


@contract.method(roles=duty.OWNER_ROLES, args=ENTRY_ARGS)
def publish(view: StateView, call: Call) -> Effects:
    """Publish a catalog entry, or a new version of one of the department's own entries."""
    current, item_names, name, provider = _check_rules(view, call)
    a = call.args
    sender = call.sender
    code = a["resource_code"]
    entry = _entry(a, item_names, name, provider)
    if current is not None and current["entry"] == entry:
        raise refuse("CATALOG_UNCHANGED", f"version {current['version']} of {code} already says this",
                     field="resource_code", version=current["version"])
    record = {
        "resource_code": code, "entry": entry, "status": "published", "reason": a["reason"],
        "version": 1 if current is None else current["version"] + 1,
        "signer": call.sender, "key_id": call.tx.key_id, "tx_id": call.ctx.tx_id,
        "height": call.ctx.height, "time": call.ctx.time,
    }
    # 一数一源 matches items by their standard names (the dictionary, one read): generic items not at all
    terms = view.get(TERMS)
    written = {}
    for item_name in item_names:
        standard = terms.get(item_name, item_name) if terms else item_name
        if standard and standard not in written:
            written[standard] = item_name
    names = sorted(written)
    if current is None:
        old_names = set()
    elif "indexed" in current:
        old_names = set(current["indexed"])
    else:
        old_names = {item["name"] for item in current["entry"]["data_items"]}
    if names != sorted(item_names):  # indexed under other names than its items': its next version takes these out
        record["indexed"] = names
    writes: dict[str, Any] = {entry_key(code): record, dept_key(sender, code): record["version"]}
    stamp = {"height": call.ctx.height, "time": call.ctx.time}
    if view.get(updated_key(sender)) != stamp:  # once per block: the department's later entries change nothing
        writes[updated_key(sender)] = stamp
    overlaps = []
    get = view.get
    for name in names:  # one read per data item: the loop to keep lean
        key = PROVIDES + name
        providers = get(key)
        if providers is None:  # the first provider of this item
            writes[key] = [[sender, 1, [code]]]
            continue
        if written[name] == name:
            overlaps += [{"item": name, "provider": p, "entries": n} for p, n, _ in providers if p != sender]
        else:  # the standard name, and the name as written
            overlaps += [{"item": name, "written": written[name], "provider": p, "entries": n}
                         for p, n, _ in providers if p != sender]
        if name not in old_names:
            writes[key] = _declaring(writes, name, providers, sender, code, True)
    for name in sorted(old_names.difference(names)):  # items this version no longer declares
        key = provides_key(name)
        writes[key] = _declaring(writes, name, get(key) or [], sender, code, False)
    if overlaps or (current is not None and view.get(overlap_key(code)) is not None):
        writes[overlap_key(code)] = overlaps or None
    events = [("catalog_published", {"uscc": call.sender, "resource_code": code, "version": record["version"]})]
    if overlaps:
        events.append(("single_source_overlap", {"resource_code": code, "article": ARTICLE_SINGLE_SOURCE,
                                                 "items": sorted({o["item"] for o in overlaps}),
                                                 "providers": sorted({o["provider"] for o in overlaps})}))
    return Effects(writes, events)


@contract.method(roles=("review_authority",), args={
    "department": Uscc(),
    "note_id": Str(max_len=64, pattern=NOTE_ID),
    "text": Str(max_len=2000),
})
def approve_note(view: StateView, call: Call) -> Effects:
    """经信局 approves a note letting a department catalog a resource that maps to no duty item."""
    a = call.args
    key = note_key(a["department"], a["note_id"])
    if view.get(key) is not None:
        raise refuse("CATALOG_NOTE_EXISTS", f"note {a['note_id']} is already approved", article=ARTICLE_DUTY,
                     field="note_id")
    member = view.get(member_key(a["department"]))
    if member is None or not set(duty.OWNER_ROLES) & set(member["roles"]):
        raise refuse("CATALOG_DEPARTMENT_UNKNOWN", f"{a['department']} is not a department or district",
                     article=ARTICLE_DUTY, field="department")
    note = {"department": a["department"], "note_id": a["note_id"], "text": a["text"], "approved_by": call.sender,
            "height": call.ctx.height, "time": call.ctx.time, "tx_id": call.ctx.tx_id}
    return Effects({key: note}, [("catalog_note_approved", {"uscc": a["department"], "note_id": a["note_id"]})])


def update_status(view: StateView, department: str, now_ms: int) -> dict[str, Any] | None:
    """Whether ``department`` owes a catalog update after its last approved duty change (002:第九条).

    None when no duty change is waiting for a catalog update. Otherwise the
    change, the deadline ("within N working days", counted strictly after the
    change date on the chain's calendar) and ``overdue`` as of ``now_ms`` (a
    block time). A deadline in a year the calendar does not cover is reported
    as ``calendar_not_covered``, never guessed.
    """
    changed = view.get(duty.changed_key(department))
    if changed is None:
        return None
    updated = view.get(updated_key(department))
    if updated is not None and updated["time"] >= changed["time"]:
        return None
    n = param(view, UPDATE_DEADLINE.qualified)
    status = {"department": department, "duty_item": changed["item_id"], "changed_height": changed["height"],
              "changed_date": workdays.china_date(changed["time"]).isoformat(), "working_days": n,
              "last_update_height": None if updated is None else updated["height"], "article": ARTICLE_UPDATE}
    try:
        deadline = workdays.add_working_days(view, workdays.china_date(changed["time"]), n, article=ARTICLE_UPDATE)
    except RuleViolation as exc:
        return {**status, "status": "calendar_not_covered", "deadline": None, "year": exc.details.get("year")}
    late = workdays.china_date(now_ms) > deadline
    return {**status, "status": "overdue" if late else "due", "deadline": deadline.isoformat()}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed between two versions of an entry: fields, and data items added, removed or changed."""
    a, b = old["entry"], new["entry"]
    fields = {name: {"from": a.get(name), "to": b.get(name)}
              for name in sorted(set(a) | set(b)) if name != "data_items" and a.get(name) != b.get(name)}
    items_a = {i["name"]: i for i in a["data_items"]}
    items_b = {i["name"]: i for i in b["data_items"]}
    return {
        "resource_code": new["resource_code"], "from_version": old["version"], "to_version": new["version"],
        "fields": fields,
        "items_added": [items_b[n] for n in sorted(set(items_b) - set(items_a))],
        "items_removed": [items_a[n] for n in sorted(set(items_a) - set(items_b))],
        "items_changed": [{"name": n, "from": items_a[n], "to": items_b[n]}
                          for n in sorted(set(items_a) & set(items_b)) if items_a[n] != items_b[n]],
    }


from contracts.catalog import elements, queries  # noqa: E402,F401 - registers the dictionary and the queries
