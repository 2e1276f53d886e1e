"""数据元: the data-element dictionary 一数一源 matches through, shipped in genesis, changed by governance.

Departments write one item many ways. The tests publish entries with the names real
catalogs use and show synonyms joined under their standard name (社会信用代码 and
统一社会信用代码, 法人代表 and 法定代表人), generic items (序号, 名称, 地址, 备注) never an
overlap, the overlap records and ``provides`` naming the standard name and the name as
written, governance changing the dictionary, and — for any sequence of publications — the
overlaps and the index equal to a recount through the dictionary.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import catalog
from contracts.catalog import elements
from contracts.catalog import queries as catalog_queries
from tests.test_catalog import EDU, HEALTH, MARKET, entry, net, run  # noqa: F401 - net is a fixture
from tests.test_governance import decide, proposal


def overlaps_of(net, code):
    return net.ledger.state.get(catalog.overlap_key(code)) or []


def test_the_genesis_dictionary_holds_identity_and_enterprise_elements(net):
    """Genesis ships the common identity and enterprise elements with their synonyms, and the generic items."""
    found = catalog_queries.data_elements(net.ledger.state, limit=1000)
    by_name = {e["name"]: e for e in found["elements"]}
    assert {"社会信用代码", "信用代码"} <= set(by_name["统一社会信用代码"]["synonyms"])
    assert {"法人代表", "法人"} <= set(by_name["法定代表人"]["synonyms"])
    assert "身份证号" in by_name["公民身份号码"]["synonyms"] and by_name["公民身份号码"]["data_type"] == "C"
    assert {"序号", "主键", "备注", "名称", "地址"} <= set(found["generic"])


def test_synonyms_join_under_the_standard_name(net):
    """市市场监管局 collects 统一社会信用代码 and 法定代表人; 市卫生健康委 writes 社会信用代码 and 法人代表: its
    overlaps name the standard names and the names as written; provides answers for any synonym."""
    market = entry("303001/000001", MARKET, ("统一社会信用代码", "法定代表人", "企业名称"), provider="北京市市场监督管理局")
    assert run(net, MARKET, "publish", market).ok
    health = entry("302001/000001", HEALTH, ("社会信用代码", "法人代表", "医疗机构名称"), provider="北京市卫生健康委员会")
    result = run(net, HEALTH, "publish", health)
    assert result.ok, result
    assert overlaps_of(net, "302001/000001") == [
        {"item": "法定代表人", "written": "法人代表", "provider": MARKET, "entries": 1},
        {"item": "统一社会信用代码", "written": "社会信用代码", "provider": MARKET, "entries": 1}]
    [event] = [e for e in result.events if e[0] == "single_source_overlap"]
    assert event[1]["items"] == ["法定代表人", "统一社会信用代码"]
    answer = catalog_queries.provides(net.ledger.state, item="信用代码")
    assert (answer["item"], answer["asked"]) == ("统一社会信用代码", "信用代码")
    assert [r["provider"] for r in answer["providers"]] == sorted([MARKET, HEALTH])
    written = {r["provider"]: r["written"] for r in answer["providers"]}
    assert written == {MARKET: ["统一社会信用代码"], HEALTH: ["社会信用代码"]}
    record = net.ledger.state.get(catalog.entry_key("302001/000001"))
    assert [i["name"] for i in record["entry"]["data_items"]] == ["社会信用代码", "法人代表", "医疗机构名称"]
    assert record["indexed"] == ["医疗机构名称", "法定代表人", "统一社会信用代码"]


def test_generic_items_are_never_an_overlap(net):
    """序号, 名称, 地址 and 备注 in two departments' entries are no overlap, and not indexed; 法人 still is."""
    assert run(net, EDU, "publish", entry(items=("序号", "名称", "地址", "备注", "学校名称"))).ok
    health = entry("302001/000001", HEALTH, ("序号", "名称", "地址", "备注", "法人"))
    assert run(net, HEALTH, "publish", health).ok
    assert overlaps_of(net, "302001/000001") == []
    assert net.ledger.state.get(catalog.provides_key("序号")) is None
    assert catalog_queries.provides(net.ledger.state, item="序号") == {
        "item": "序号", "asked": "序号", "generic": True, "providers": []}
    assert run(net, MARKET, "publish", entry("303001/000001", MARKET, ("法定代表人", "序号"))).ok
    assert overlaps_of(net, "303001/000001") == [{"item": "法定代表人", "provider": HEALTH, "entries": 1}]


def test_governance_changes_the_dictionary_for_entries_published_after(net):
    """set_element adds 不动产单元号 with its synonym; set_generic makes 联系人 generic; remove_element
    takes 护照号码 out. Entries published after match through the changed dictionary; an entry
    published before keeps the index rows it was published under until its next version, which
    takes out exactly what it put in."""
    assert run(net, EDU, "publish", entry(items=("不动产单元代码", "护照号", "联系人"))).ok
    pid, _ = decide(net, "catalog", "set_element", {"name": "不动产单元号", "data_type": "C", "length": "28",
                                                    "synonyms": ["不动产单元代码"], "reason": "统一数据元"})
    assert proposal(net, pid)["status"] == "approved"
    decide(net, "catalog", "set_generic", {"names": ["联系人"], "generic": True, "reason": "通用字段"})
    decide(net, "catalog", "remove_element", {"name": "护照号码", "reason": "不再统一"})
    market = entry("303001/000001", MARKET, ("不动产单元代码", "护照号", "联系人"))
    assert run(net, MARKET, "publish", market).ok
    health = entry("302001/000001", HEALTH, ("不动产单元号", "护照号", "联系人"))
    assert run(net, HEALTH, "publish", health).ok
    assert overlaps_of(net, "302001/000001") == [{"item": "不动产单元号", "provider": MARKET, "entries": 1},
                                                 {"item": "护照号", "provider": MARKET, "entries": 1}]
    state = net.ledger.state
    assert state.get(catalog.provides_key("护照号码")) == [[EDU, 1, ["301001/000001"]]]  # as published then
    assert run(net, EDU, "publish", entry(items=("学生姓名",), reason="改由共享获取")).ok
    for gone in ("护照号码", "联系人", "不动产单元代码"):
        assert state.get(catalog.provides_key(gone)) is None, gone
    assert state.get(catalog.provides_key("护照号")) == sorted([[MARKET, 1, ["303001/000001"]],
                                                             [HEALTH, 1, ["302001/000001"]]])


def test_invalid_dictionary_changes_fail(net):
    """A synonym that is another element's term, or a generic item, fails with DATA_ELEMENT_TERM_TAKEN
    (000:第七条); removing an element the dictionary lacks fails with DATA_ELEMENT_UNKNOWN. Nothing changes."""
    before = net.ledger.state.get(catalog.keys.TERMS)
    for method, args, code in (
            ("set_element", {"name": "企业代码", "data_type": "C", "synonyms": ["信用代码"], "reason": "x"},
             "DATA_ELEMENT_TERM_TAKEN"),
            ("set_element", {"name": "序号", "data_type": "I", "synonyms": [], "reason": "x"}, "DATA_ELEMENT_TERM_TAKEN"),
            ("set_generic", {"names": ["法人"], "generic": True, "reason": "x"}, "DATA_ELEMENT_TERM_TAKEN"),
            ("remove_element", {"name": "不存在的数据元", "reason": "x"}, "DATA_ELEMENT_UNKNOWN")):
        pid, _ = decide(net, "catalog", method, args)
        p = proposal(net, pid)
        assert (p["status"], p["outcome"]["code"]) == ("failed", code), (method, p["outcome"])
    assert net.ledger.state.get(catalog.keys.TERMS) == before


SERIAL = itertools.count(1)
POOL = ("统一社会信用代码", "社会信用代码", "信用代码", "法定代表人", "法人代表", "序号", "名称", "联系电话", "电话号码",
        "学生姓名")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([EDU, MARKET]), st.integers(1, 2),
                          st.sets(st.sampled_from(POOL), min_size=1, max_size=5)), min_size=1, max_size=6),
       st.sets(st.sampled_from(POOL), min_size=1, max_size=5))
def test_overlaps_equal_a_recount_through_the_dictionary(net, steps, last):
    """After any publications (several in one block, some replacing others), a new entry's overlaps are
    exactly a recount of the other departments' current entries through the dictionary — synonyms
    joined, generic items left out — and so is the 一数一源 index."""
    prefixes = {EDU: "301001", MARKET: "303001"}
    net.submit(*[net.tx(d, "catalog", "publish", entry(f"{prefixes[d]}/{n:06d}", d, tuple(sorted(items))))
                 for d, n, items in steps])
    net.blocks()
    state = net.ledger.state
    terms = state.get(catalog.keys.TERMS)
    counts: dict[str, dict[str, int]] = {}
    for d in (EDU, MARKET, HEALTH):
        for record in catalog_queries.entries(state, department=d, limit=1000)["entries"]:
            standards = {elements.standard_name(terms, i["name"]) for i in record["entry"]["data_items"]}
            for s in standards - {""}:
                counts.setdefault(s, {}).setdefault(d, 0)
                counts[s][d] += 1
    for s, by in counts.items():
        assert [row[:2] for row in state.get(catalog.provides_key(s))] == sorted([d, c] for d, c in by.items()), s
    code = f"302001/{next(SERIAL):06d}"
    names = tuple(sorted(last))
    assert run(net, HEALTH, "publish", entry(code, HEALTH, names)).ok
    written: dict[str, str] = {}
    for name in names:
        s = elements.standard_name(terms, name)
        if s:
            written.setdefault(s, name)
    expected = [{"item": s, **({} if written[s] == s else {"written": written[s]}), "provider": d, "entries": c}
                for s in sorted(written) for d, c in sorted(counts.get(s, {}).items()) if d != HEALTH]
    assert overlaps_of(net, code) == expected
