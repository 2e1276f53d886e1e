"""数据目录: entries with 1272号 metadata, their rules, versions and 一数一源 overlaps.

Each department first gets an approved duty item (职责目录), then publishes
catalog entries mapped to it. The tests show the rules refusing with code,
article and field and changing no state, versions linked by hash with a
field-level diff, and an overlapping data item recorded — not refused — with
who already provides it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import catalog
from contracts.catalog import keys
from contracts.catalog import queries as catalog_queries
from node.samples import by_short
from tests.test_duty import BIANBAN, decision, item_args
from tests.test_ledger import STRANGER, Net

EDU = by_short("市教委").uscc
HEALTH = by_short("市卫生健康委").uscc
MARKET = by_short("市市场监管局").uscc
JINGXIN = by_short("经信局").uscc


def record_of(version: dict) -> dict:
    """A listed version without the links of its state history: the record as stored."""
    return {k: v for k, v in version.items() if k not in ("state_height", "prev_hash", "hash")}


def entry(code="301001/000001", owner=EDU, items=("学生姓名", "学籍号", "社保卡号"), **extra):
    cls, item, category = code[0], code[1:3], code[3:6]
    return {
        "resource_code": code, "class": cls, "item": item, "category": category,
        "name": "中小学学籍信息", "provider": "北京市教育委员会", "provider_code": owner,
        "summary": "本市中小学学生学籍基本信息", "format": "数据库",
        "data_items": [{"name": n, "data_type": "C", "length": "32"} for n in items],
        "share_type": "conditional", "share_condition": "用于教育管理相关业务", "share_method": "接口",
        "open_to_public": False, "update_cycle": "daily", "published": "2026-07-01",
        "duty_items": ["D01-01"], "reason": "首次编制", **extra,
    }


@pytest.fixture
def net(tmp_path):
    n = Net(tmp_path / "home")
    for dept in (EDU, HEALTH, MARKET):
        n.submit(n.tx(dept, "duty", "propose", item_args()))
    n.blocks()
    n.submit(*[n.tx(BIANBAN, "duty", "approve", decision(department=d)) for d in (EDU, HEALTH, MARKET)])
    n.blocks()
    yield n
    n.ledger.close()


def run(net: Net, sender: str, method: str, args: dict):
    [tx_id] = net.submit(net.tx(sender, "catalog", method, args))
    net.blocks()
    return net.result(tx_id)


def test_publish_records_the_entry_its_owner_and_index(net):
    """A published entry is version 1, owned by its department, its items indexed by provider."""
    result = run(net, EDU, "publish", entry())
    assert result.ok, result
    state = net.ledger.state
    record = state.get(catalog.entry_key("301001/000001"))
    assert (record["version"], record["signer"]) == (1, EDU) and "prev_hash" not in record
    assert state.version(catalog.entry_key("301001/000001")).prev_hash == bytes(32), "the first of its history"
    assert record["entry"]["share_type"] == "conditional"
    assert state.get(catalog.dept_key(EDU, "301001/000001")) == 1
    assert state.get(catalog.provides_key("学籍号")) == [[EDU, 1, ["301001/000001"]]]
    assert state.get(catalog.overlap_key("301001/000001")) is None
    assert state.get(catalog.updated_key(EDU))["height"] == net.ledger.tip.height


def test_single_source_overlap_is_recorded_not_refused(net):
    """000:第七条: another department declaring 社保卡号 succeeds, and the overlap names the provider."""
    assert run(net, EDU, "publish", entry()).ok
    result = run(net, HEALTH, "publish", entry("302001/000001", HEALTH, ("患者姓名", "社保卡号", "就诊日期"),
                                               provider="北京市卫生健康委员会"))
    assert result.ok, result
    overlaps = net.ledger.state.get(catalog.overlap_key("302001/000001"))
    assert overlaps == [{"item": "社保卡号", "provider": EDU, "entries": 1}]
    [event] = [e for e in result.events if e[0] == "single_source_overlap"]
    assert event[1]["article"] == catalog.ARTICLE_SINGLE_SOURCE and event[1]["providers"] == [EDU]
    assert net.ledger.state.get(catalog.provides_key("社保卡号")) == [[EDU, 1, ["301001/000001"]],
                                                                 [HEALTH, 1, ["302001/000001"]]]


def test_single_source_index_counts_entries_per_provider(net):
    """However many entries declare an item, its 一数一源 index holds one count per department:
    a department's second entry with 社保卡号 counts 2, a version dropping it counts 1 again,
    and another department's overlap names the provider with its count."""
    assert run(net, EDU, "publish", entry()).ok
    assert run(net, EDU, "publish", entry("301001/000002")).ok
    assert net.ledger.state.get(catalog.provides_key("社保卡号")) == [[EDU, 2, ["301001/000001", "301001/000002"]]]
    result = run(net, HEALTH, "publish", entry("302001/000001", HEALTH, ("患者姓名", "社保卡号"),
                                               provider="北京市卫生健康委员会"))
    assert result.ok, result
    assert net.ledger.state.get(catalog.overlap_key("302001/000001")) == [
        {"item": "社保卡号", "provider": EDU, "entries": 2}]
    dropped = entry("301001/000002", items=("学生姓名", "学籍号"), reason="不再采集社保卡号")
    assert run(net, EDU, "publish", dropped).ok
    assert net.ledger.state.get(catalog.provides_key("社保卡号")) == [[EDU, 1, ["301001/000001"]],
                                                                 [HEALTH, 1, ["302001/000001"]]]
    assert net.ledger.state.get(catalog.provides_key("学籍号")) == [[EDU, 2, ["301001/000001", "301001/000002"]]]


def _declaring(state, item, provider, limit=100):
    """Every page of ``declared_by``, following its cursor: the codes listed and the pages' sizes."""
    codes, sizes, after = [], [], ""
    while True:
        page = catalog_queries.declared_by(state, item=item, provider=provider, after=after, limit=limit)
        codes += page["resource_codes"]
        sizes.append(len(page["resource_codes"]))
        if page["next"] is None:
            return codes, sizes
        after = page["next"]


@pytest.mark.parametrize("count", [3, keys.INLINE_CODES + 2])
def test_declared_by_lists_what_the_current_versions_declare(net, count):
    """A department's entries declaring 社保卡号 are listed in code order, paged by cursor, whether
    their codes fit the item's index row (3) or outgrew it into keys of their own: a version
    dropping the item takes its entry off the list, a later version declaring it again puts it
    back, and an entry that never declared it is never listed."""
    codes = [f"301001/{n:06d}" for n in range(1, count + 1)]
    net.submit(*[net.tx(EDU, "catalog", "publish", entry(code)) for code in codes],
               net.tx(EDU, "catalog", "publish", entry("301001/000099", items=("学生姓名",))))
    net.blocks()
    state = net.ledger.state
    assert _declaring(state, "社保卡号", EDU) == (codes, [count])
    pages = [2] * (count // 2) + [count % 2]  # a full page names a cursor: an empty page may end the list
    assert _declaring(state, "社保卡号", EDU, limit=2) == (codes, pages)
    assert _declaring(state, "社保卡号", HEALTH) == ([], [0])

    dropped = entry(codes[1], items=("学生姓名", "学籍号"), reason="不再采集社保卡号")
    assert run(net, EDU, "publish", dropped).ok
    assert _declaring(state, "社保卡号", EDU)[0] == [codes[0], *codes[2:]]
    [row] = catalog_queries.provides(state, item="社保卡号")["providers"]
    assert (row["provider"], row["entries"], row["resource_codes"]) == (EDU, count - 1, [codes[0], *codes[2:]])
    assert _declaring(state, "学籍号", EDU)[0] == codes

    assert run(net, EDU, "publish", {**dropped, "data_items": entry()["data_items"], "reason": "恢复采集"}).ok
    assert _declaring(state, "社保卡号", EDU)[0] == codes
    assert state.get(catalog.entry_key(codes[1]))["version"] == 3
    assert catalog_queries.provides(state, item="社保卡号", limit=2)["providers"] == [
        {"provider": EDU, "entries": count, "resource_codes": codes[:2], "written": ["社保卡号"], "next": codes[1]}]


class CountingReader:
    """A state reader that counts the records a query reads, and the prefixes it lists."""

    def __init__(self, reader):
        self.reader = reader
        self.reads = 0
        self.prefixes = []

    def get(self, key):
        self.reads += 1
        return self.reader.get(key)

    def keys(self, prefix, **kwargs):
        self.prefixes.append(prefix)
        for item in self.reader.keys(prefix, **kwargs):
            self.reads += 1
            yield item


def test_declared_by_reads_its_page_from_the_index_not_every_entry(net):
    """Listing the entries declaring an item reads the data-element dictionary, the item's index row
    and at most one record per code listed — never the department's entries one by one to filter
    them — however many entries the department has."""
    many = keys.INLINE_CODES + 4
    net.submit(*[net.tx(EDU, "catalog", "publish", entry(f"301001/{n:06d}", items=("学生姓名", "学籍号")
                                                         if n in (5, 9) else ("学生姓名",)))
                 for n in range(1, many + 1)])
    net.blocks()
    for item, limit, want in (("学籍号", 1, ["301001/000005"]), ("学籍号", 5, ["301001/000005", "301001/000009"]),
                              ("学生姓名", 3, [f"301001/{n:06d}" for n in (1, 2, 3)])):
        reader = CountingReader(net.ledger.state)
        assert catalog_queries.declared_by(reader, item=item, provider=EDU, limit=limit)["resource_codes"] == want
        assert reader.reads <= 2 + len(want), (item, reader.reads)
        assert not any(p.startswith(keys.DEPT) for p in reader.prefixes)
        reader = CountingReader(net.ledger.state)
        catalog_queries.provides(reader, item=item, limit=limit)  # and each listed entry, for its names as written
        assert reader.reads <= 2 + 2 * len(want), (item, reader.reads)


def test_an_item_name_holding_slashes_and_percent_lists_only_itself(net):
    """Data item names are free text: ``a/b`` and ``a%2Fb`` are two items, and neither lists the
    other's entries, even once their codes moved to keys of their own."""
    names = ("证号/类别", "证号%2F类别", "证号")
    for n in range(1, keys.INLINE_CODES + 2):
        for i, name in enumerate(names):
            net.submit(net.tx(EDU, "catalog", "publish", entry(f"30100{i + 1}/{n:06d}", items=(name,))))
    net.blocks()
    for i, name in enumerate(names):
        codes, _ = _declaring(net.ledger.state, name, EDU)
        assert codes == [f"30100{i + 1}/{n:06d}" for n in range(1, keys.INLINE_CODES + 2)], name


def test_versions_link_by_hash_and_diff_names_what_changed(net):
    """A second version links to the first; the diff shows changed fields and items."""
    assert run(net, EDU, "publish", entry()).ok
    changed = entry(items=("学生姓名", "学籍号", "入学日期"), update_cycle="weekly", reason="三定调整后更新")
    changed["data_items"][0]["length"] = "64"
    assert run(net, EDU, "publish", changed).ok
    state = net.ledger.state
    v1, v2 = catalog_queries.versions(state, code="301001/000001")["versions"]
    # one record: its current version under the entry's key, the earlier one in the key's state history
    assert state.get(catalog.entry_key("301001/000001")) == record_of(v2)
    assert catalog_queries.versions(state, code="301001/000001", after=2)["versions"] == []
    assert v1["prev_hash"] == bytes(32) and v2["prev_hash"] == v1["hash"]
    assert (v1["version"], v2["version"], v2["reason"]) == (1, 2, "三定调整后更新")
    d = catalog.diff(record_of(v1), record_of(v2))
    assert d["fields"] == {"update_cycle": {"from": "daily", "to": "weekly"}}
    assert [i["name"] for i in d["items_added"]] == ["入学日期"]
    assert [i["name"] for i in d["items_removed"]] == ["社保卡号"]
    assert [i["name"] for i in d["items_changed"]] == ["学生姓名"]
    # the dropped item no longer counts EDU as a provider
    assert state.get(catalog.provides_key("社保卡号")) is None
    # as of the first version's height, the entry reads as version 1
    assert state.version(catalog.entry_key("301001/000001"), v1["height"]).value["version"] == 1


def test_an_entry_without_duty_items_needs_an_approved_note(net):
    """000:第九条: no duty item → refused, until 经信局 approves a note the entry cites."""
    bare = entry(duty_items=[], note_id="N-2026-01")
    result = run(net, EDU, "publish", bare)
    assert (result.code, result.article, result.field) == ("CATALOG_NOTE_UNKNOWN", "000:第九条", "note_id")
    assert run(net, JINGXIN, "approve_note", {"department": EDU, "note_id": "N-2026-01",
                                              "text": "跨部门汇聚数据，暂无对应职责事项"}).ok
    assert run(net, EDU, "publish", bare).ok


def test_invalid_notes_approved_twice_or_for_no_department(net):
    """000:第九条: a note is 经信局's consent for one department's catalog. Approving the same note
    again is CATALOG_NOTE_EXISTS and keeps the first text; a note for a member that is no
    department or district, or for no member at all, is CATALOG_DEPARTMENT_UNKNOWN."""
    note = {"department": EDU, "note_id": "N-2026-01", "text": "跨部门汇聚数据，暂无对应职责事项"}
    assert run(net, JINGXIN, "approve_note", note).ok
    key = catalog.note_key(EDU, "N-2026-01")
    first = net.ledger.state.get(key)
    again = run(net, JINGXIN, "approve_note", {**note, "text": "另一说明"})
    assert (again.status, again.code, again.article, again.field) == (
        "refused", "CATALOG_NOTE_EXISTS", "000:第九条", "note_id")
    assert net.ledger.state.get(key) == first

    for department in (JINGXIN, STRANGER):
        before = dict(net.ledger.state.keys("catalog/", limit=1000))
        refused = run(net, JINGXIN, "approve_note", {**note, "department": department})
        assert (refused.status, refused.code, refused.article, refused.field) == (
            "refused", "CATALOG_DEPARTMENT_UNKNOWN", "000:第九条", "department")
        assert dict(net.ledger.state.keys("catalog/", limit=1000)) == before


@pytest.mark.parametrize("change, code, article, field", [
    ({"duty_items": ["D09-09"]}, "CATALOG_DUTY_UNMAPPED", "000:第九条", "duty_items[0]"),
    ({"duty_items": []}, "CATALOG_NOTE_REQUIRED", "000:第九条", "duty_items"),
    ({"share_condition": ""}, "CATALOG_SHARE_CONDITION_MISSING", "002:第十六条", "share_condition"),
    ({"share_type": "not_shared"}, "CATALOG_SHARE_BASIS_MISSING", "002:第十六条", "share_basis"),
    ({"share_type": "not_shared", "share_basis": "《保守国家秘密法》", "open_to_public": True},
     "CATALOG_OPEN_NOT_SHARED", "002:第十六条", "open_to_public"),
    ({"related_codes": ["309999/000001"]}, "CATALOG_RELATED_UNKNOWN", "", "related_codes[0]"),
    ({"provider_code": HEALTH}, "CATALOG_PROVIDER_MISMATCH", "002:第九条", "provider_code"),
    ({"category": "002"}, "CATALOG_CODE_CLASS_MISMATCH", "002:第六条", "resource_code"),
    ({"data_items": [{"name": "学号", "data_type": "C"}, {"name": "学号", "data_type": "N"}]},
     "CATALOG_DATA_ITEM_DUPLICATE", "", "data_items"),
])
def test_invalid_entries_are_refused_with_their_rule(net, change, code, article, field):
    """Each broken rule is recorded as refused with code, article and field; no catalog state changes."""
    before = dict(net.ledger.state.keys("catalog/", limit=1000))
    result = run(net, EDU, "publish", entry(**change))
    assert (result.status, result.code, result.article, result.field) == ("refused", code, article, field)
    assert dict(net.ledger.state.keys("catalog/", limit=1000)) == before


def test_invalid_codes_taken_and_unchanged_versions(net):
    """A code belongs to its first publisher (002:第九条: 本部门信息资源目录); republishing
    identical content is refused."""
    assert run(net, EDU, "publish", entry()).ok
    taken = run(net, HEALTH, "publish", entry(owner=HEALTH))
    assert (taken.code, taken.article, taken.field) == ("CATALOG_CODE_TAKEN", "002:第九条", "resource_code")
    same = run(net, EDU, "publish", entry())
    assert same.code == "CATALOG_UNCHANGED"


@pytest.mark.parametrize("change, field", [
    ({"resource_code": "401001/000001"}, "resource_code"),
    ({"share_type": "sometimes"}, "share_type"),
    ({"update_cycle": "hourly"}, "update_cycle"),
    ({"data_items": []}, "data_items"),
    ({"data_items": [{"name": "x", "data_type": "Z"}]}, "data_items[0].data_type"),
    ({"published": "2026/07/01"}, "published"),
    ({"published": "2026-13-45"}, "published"),
    ({"published": "2026-02-30"}, "published"),
    ({"provider_code": "123"}, "provider_code"),
])
def test_invalid_entry_shapes_are_refused_at_the_door(net, change, field):
    """Malformed metadata never reaches the mempool: TX_ARGS_INVALID naming the field."""
    error = net.refused_at_door(net.tx(EDU, "catalog", "publish", entry(**change)).to_bytes())
    assert (error.code, error.details["field"]) == ("TX_ARGS_INVALID", field)


def test_api_serves_entries_versions_diffs_and_overlaps(net):
    """The catalog routes: current and as-of reads, versions, diff, department listing, overlaps, 404s."""
    from fastapi.testclient import TestClient

    from node.api import create_app

    assert run(net, EDU, "publish", entry()).ok
    first_height = net.ledger.tip.height
    assert run(net, EDU, "publish", entry(update_cycle="weekly", reason="更新")).ok
    assert run(net, HEALTH, "publish", entry("302001/000001", HEALTH, ("社保卡号",))).ok
    client = TestClient(create_app(net.node))
    code = "301001/000001"
    assert client.get("/v1/catalog/entry", params={"code": code}).json()["version"] == 2
    assert client.get("/v1/catalog/entry", params={"code": code, "height": first_height}).json()["version"] == 1
    before = client.get("/v1/catalog/entry", params={"code": code, "height": first_height - 1})
    assert (before.status_code, before.json()["code"]) == (404, "CATALOG_ENTRY_NOT_FOUND")
    versions = client.get("/v1/catalog/versions", params={"code": code}).json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["prev_hash"] == versions[0]["hash"]
    d = client.get("/v1/catalog/diff", params={"code": code, "from": 1, "to": 2}).json()
    assert d["fields"] == {"update_cycle": {"from": "daily", "to": "weekly"}}
    listing = client.get("/v1/catalog/entries", params={"department": EDU}).json()
    assert [e["resource_code"] for e in listing["entries"]] == [code]
    overlaps = client.get("/v1/catalog/overlaps").json()["overlaps"]
    assert overlaps == [{"resource_code": "302001/000001",
                         "overlaps": [{"item": "社保卡号", "written": None, "provider": EDU, "entries": 1}]}]
    health = client.get("/v1/catalog/entry", params={"code": "302001/000001"}).json()
    assert health["overlaps"][0]["provider"] == EDU
    provides = client.get("/v1/catalog/provides", params={"item": "社保卡号"}).json()
    assert provides == {"item": "社保卡号", "asked": "社保卡号", "generic": False, "providers": sorted([
        {"provider": EDU, "entries": 1, "resource_codes": [code], "written": ["社保卡号"], "next": None},
        {"provider": HEALTH, "entries": 1, "resource_codes": ["302001/000001"], "written": ["社保卡号"],
         "next": None}],
        key=lambda r: r["provider"])}
    declared = client.get("/v1/catalog/declared", params={"item": "社保卡号", "provider": HEALTH}).json()
    assert declared == {"item": "社保卡号", "provider": HEALTH, "resource_codes": ["302001/000001"], "next": None}
    assert client.get("/v1/catalog/provides", params={"item": "无人采集"}).json()["providers"] == []
    missing = client.get("/v1/catalog/diff", params={"code": code, "from": 1, "to": 9})
    assert (missing.status_code, missing.json()["code"]) == (404, "CATALOG_ENTRY_NOT_FOUND")
    # versions page by number: the earlier ones from their keys, the current one last
    assert run(net, EDU, "publish", entry(update_cycle="monthly", reason="再次更新")).ok
    pages = [client.get("/v1/catalog/versions", params={"code": code, "limit": 2, "after": after}).json()["versions"]
             for after in (0, 2, 3)]
    assert [[v["version"] for v in page] for page in pages] == [[1, 2], [3], []]


def test_versions_published_in_one_block_are_each_kept(net):
    """Three versions in one block: the state layer keeps each change of the entry's record as a
    version of that height, linked by hash (nothing overwritten)."""
    code = "301001/000001"
    ids = net.submit(*[net.tx(EDU, "catalog", "publish", entry(update_cycle=cycle, reason=f"第{n}版"))
                       for n, cycle in enumerate(("daily", "weekly", "monthly"), 1)])
    net.blocks()
    assert all(net.result(i).ok for i in ids)
    state = net.ledger.state
    versions = catalog_queries.versions(state, code=code)["versions"]
    assert [(v["version"], v["entry"]["update_cycle"]) for v in versions] == [
        (1, "daily"), (2, "weekly"), (3, "monthly")]
    assert versions[1]["prev_hash"] == versions[0]["hash"] and versions[2]["prev_hash"] == versions[1]["hash"]
    assert len({v["height"] for v in versions}) == 1 and len(state.history(catalog.entry_key(code))) == 3
    assert state.version(catalog.entry_key(code)).value == record_of(versions[2])
    assert catalog_queries.changes(state, code=code, from_version=1, to_version=2)["fields"] == {
        "update_cycle": {"from": "daily", "to": "weekly"}}


def test_invalid_control_characters_in_text_are_refused_at_the_door(net):
    """Text arguments never carry control characters (a NUL would also break state keys)."""
    bad = entry()
    bad["data_items"][0]["name"] = "学生\x00姓名"
    error = net.refused_at_door(net.tx(EDU, "catalog", "publish", bad).to_bytes())
    assert (error.code, error.details["field"]) == ("TX_ARGS_INVALID", "data_items[0].name")
    net.nonces[EDU] -= 1  # the refused transaction used no nonce
    ok = entry(summary="第一行\n第二行\t缩进")  # line breaks and tabs are text
    assert run(net, EDU, "publish", ok).ok


def test_an_overlap_is_cleared_when_the_item_is_dropped(net):
    """A new version without the overlapping item clears the entry's overlap record."""
    assert run(net, EDU, "publish", entry()).ok
    health = entry("302001/000001", HEALTH, ("患者姓名", "社保卡号"))
    assert run(net, HEALTH, "publish", health).ok
    assert net.ledger.state.get(catalog.overlap_key("302001/000001"))
    assert run(net, HEALTH, "publish", {**health, "data_items": [{"name": "患者姓名", "data_type": "C"}],
                                        "reason": "不再采集社保卡号，改由共享获取"}).ok
    assert net.ledger.state.get(catalog.overlap_key("302001/000001")) is None
    assert net.ledger.state.get(catalog.overlap_key("301001/000001")) is None  # never had one


POOL = ("姓名", "社保卡号", "出生日期", "住址", "联系电话")


@pytest.mark.parametrize("inline", [keys.INLINE_CODES, 1])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([EDU, HEALTH]), st.integers(1, 2),
                          st.sets(st.sampled_from(POOL), min_size=1, max_size=4)), min_size=1, max_size=8))
def test_single_source_index_is_what_the_current_entries_say(net, monkeypatch, inline, steps):
    """After any sequence of publications (several in one block, some changing an entry's
    items, some refused as unchanged), each item's index counts, per department, exactly its
    current entries declaring the item, and lists exactly their codes — the same as recounting
    the entries, whether the codes sit in the index rows or (``inline`` 1) outgrew them."""
    monkeypatch.setattr(catalog, "INLINE_CODES", inline)
    prefixes = {EDU: "301001", HEALTH: "302001"}
    txs = [net.tx(d, "catalog", "publish", entry(f"{prefixes[d]}/{n:06d}", d, tuple(sorted(items)),
                                                 provider="部门"))
           for d, n, items in steps]
    net.submit(*txs)
    net.blocks()
    state = net.ledger.state
    expected: dict[str, dict[str, int]] = {}
    for d, prefix in prefixes.items():
        for n in (1, 2):
            record = state.get(catalog.entry_key(f"{prefix}/{n:06d}"))
            for item in record["entry"]["data_items"] if record else ():
                expected.setdefault(item["name"], {}).setdefault(d, 0)
                expected[item["name"]][d] += 1
    declaring: dict[tuple[str, str], list[str]] = {}
    for d, prefix in prefixes.items():
        for n in (1, 2):
            record = state.get(catalog.entry_key(f"{prefix}/{n:06d}"))
            for item in record["entry"]["data_items"] if record else ():
                declaring.setdefault((item["name"], d), []).append(record["resource_code"])
    for name in (*POOL, "学生姓名", "学籍号"):
        want = sorted([d, c] for d, c in expected.get(name, {}).items())
        assert [row[:2] for row in state.get(catalog.provides_key(name)) or ()] == want, name
        for d in prefixes:
            listed = catalog_queries.declared_by(state, item=name, provider=d)["resource_codes"]
            assert listed == sorted(declaring.get((name, d), [])), (name, d)


@pytest.mark.parametrize("spelling", ["社保卡号\u200b", "社保卡号\ufe0f", " 社保卡号\u3000", "社保\u200d卡号", "社保卡号\ufeff"])
def test_a_name_spelled_with_invisible_characters_is_the_same_item(net, spelling):
    """A data item named with a zero-width space, a variation selector, a joiner, a BOM or
    full-width spaces is the same item as the plain name: 一数一源 flags it (000:第七条), and
    the entry stores the normal form."""
    assert run(net, EDU, "publish", entry()).ok
    result = run(net, HEALTH, "publish", entry("302001/000001", HEALTH, (spelling, "出生证号")))
    assert result.ok, result
    record = net.ledger.state.get(catalog.entry_key("302001/000001"))
    assert [i["name"] for i in record["entry"]["data_items"]] == ["社保卡号", "出生证号"]
    overlaps = net.ledger.state.get(catalog.overlap_key("302001/000001"))
    assert overlaps == [{"item": "社保卡号", "provider": EDU, "entries": 1}]
    assert catalog_queries.provides(net.ledger.state, item=spelling)["providers"][0]["provider"] == EDU


def test_full_width_letters_and_digits_are_one_name_with_their_ascii(net):
    """NFKC: ＩＤ号 and ID号 are one data item, and two spellings of one name in one entry are a duplicate."""
    result = run(net, EDU, "publish", entry(items=("学生ＩＤ号", "学生ID号")))
    assert (result.code, result.field) == ("CATALOG_DATA_ITEM_DUPLICATE", "data_items")


def test_invalid_names_mixing_scripts_refused(net):
    """A name with a word mixing Latin and Cyrillic (a Cyrillic С in Сity) passes for another name:
    the entry is refused, recorded with CATALOG_NAME_CONFUSABLE naming the field (000:第七条); a
    name in one script, or Chinese with a Latin abbreviation, is fine."""
    result = run(net, EDU, "publish", entry(items=("学生姓名", "Сity代码")))
    assert (result.code, result.field, result.article) == (
        "CATALOG_NAME_CONFUSABLE", "data_items[1].name", "000:第七条")
    result = run(net, EDU, "publish", entry(name="Мoscow目录"))
    assert (result.code, result.field) == ("CATALOG_NAME_CONFUSABLE", "name")
    assert net.ledger.state.get(catalog.entry_key("301001/000001")) is None
    assert run(net, EDU, "publish", entry(items=("学生姓名", "City代码", "Город"))).ok
