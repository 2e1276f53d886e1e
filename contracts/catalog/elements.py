"""数据元: the data-element dictionary 一数一源 matches data items through.

Departments write one item many ways: 统一社会信用代码, 社会信用代码, 信用代码; 法定代表人,
法人代表, 法人. The dictionary names each standard data element with its type, length and
synonyms, and lists the generic items (序号, 主键, 备注, 名称, 地址…) that every table has and
that are never a duplicate collection. Publishing an entry reads the dictionary once
(``idx/catalog/terms``, :mod:`contracts.catalog.keys`): each item is indexed and compared
under its standard name, and generic items are not indexed at all (000:第七条, 004:第十二条).

Genesis ships :data:`DEFAULT_ELEMENTS` and :data:`DEFAULT_GENERIC` (or the genesis section
``"data_elements": {"elements": [...], "generic": [...]}``); governance changes them
(``set_element``, ``remove_element``, ``set_generic``). A change applies to entries
published from then on; an entry's index rows stay those it was published under until its
next version.
"""

from __future__ import annotations

from typing import Any

from chain.errors import ArgsInvalid, GenesisInvalid, RuleViolation
from chain.execution import Effects, StateView
from chain.genesis import Genesis
from contracts.args import Bool, ListOf, OneOf, Str
from contracts.base import Call, refuse
from contracts.catalog import ARTICLE_SINGLE_SOURCE, DATA_ITEM, DATA_TYPES, contract
from contracts.catalog.keys import ELEMENT, GENERIC, TERMS, element_key
from contracts.text import normalize

MAX_SYNONYMS = 50

DEFAULT_ELEMENTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # (standard name, data type, length, synonyms): identity items
    ("公民身份号码", "C", "18", ("身份证号", "身份证号码", "居民身份证号码", "公民身份证号码", "身份证件号码")),
    ("出生日期", "D", "8", ("出生年月日", "生日")),
    ("护照号码", "C", "20", ("护照号",)),
    ("联系电话", "C", "20", ("电话号码", "手机号码", "移动电话")),
    # enterprise items
    ("统一社会信用代码", "C", "18", ("社会信用代码", "信用代码", "统一代码", "企业统一社会信用代码")),
    ("法定代表人", "C", "50", ("法人代表", "法人", "法定代表人姓名", "法人姓名")),
    ("企业名称", "C", "200", ("公司名称", "市场主体名称")),
    ("组织机构代码", "C", "9", ("机构代码",)),
    ("注册资本", "N", "18,2", ("注册资金",)),
    ("成立日期", "D", "8", ("设立日期", "注册日期")),
    ("住所", "C", "200", ("注册地址", "企业住所")),
    ("经营范围", "C", "2000", ()),
    ("登记机关", "C", "100", ("注册机关",)),
)
"""The dictionary's standard data elements at genesis."""

DEFAULT_GENERIC = ("序号", "主键", "备注", "名称", "地址", "编号", "ID", "创建时间", "更新时间", "修改时间", "状态",
                   "类型", "描述", "说明", "数据来源", "创建人", "更新人", "时间戳", "版本号")
"""Items every table has, never a duplicate collection."""

NAME = Str(max_len=100)
ELEMENT_ARGS = {
    "name": NAME,
    "data_type": OneOf(DATA_TYPES),
    "length": DATA_ITEM.fields["length"],
    "synonyms": ListOf(NAME, max_items=MAX_SYNONYMS),
    "reason": Str(max_len=1000),
}


def standard_name(terms: dict[str, str] | None, name: str) -> str:
    """The standard name a data item named ``name`` (in normal form) is matched under: its element's,
    itself when the dictionary does not know it, "" when it is generic."""
    return name if terms is None else terms.get(name, name)


def _terms_of(element: dict[str, Any]) -> list[str]:
    return [element["name"], *element["synonyms"]]


def _element(name: str, data_type: str, length: str, synonyms: list[str], reason: str,
             height: int) -> dict[str, Any]:
    return {"name": name, "data_type": data_type, "length": length,
            "synonyms": sorted({normalize(s) for s in synonyms} - {name}), "reason": reason, "height": height}


def _with_element(terms: dict[str, str], old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, str]:
    """``terms`` with ``old``'s terms taken out and ``new``'s put in; refused when a term of ``new``
    is another element's or generic."""
    terms = {t: e for t, e in terms.items() if old is None or e != old["name"]}
    for term in _terms_of(new):
        taken = terms.get(term)
        if taken is not None:
            what = "a generic item" if taken == "" else f"a term of {taken}"
            raise refuse("DATA_ELEMENT_TERM_TAKEN", f"{term} is already {what}: one name means one element",
                         article=ARTICLE_SINGLE_SOURCE, field="synonyms" if term != new["name"] else "name",
                         term=term, element=taken)
        terms[term] = new["name"]
    return terms


def _sorted(terms: dict[str, str]) -> dict[str, str]:
    return {t: terms[t] for t in sorted(terms)}


@contract.on_genesis
def genesis_dictionary(genesis: Genesis) -> dict[str, Any]:
    """The dictionary at genesis: the genesis section ``data_elements`` or the defaults."""
    raw = genesis.doc.get("data_elements")
    if raw is None:
        elements = [{"name": n, "data_type": t, "length": length, "synonyms": list(s)}
                    for n, t, length, s in DEFAULT_ELEMENTS]
        generic = list(DEFAULT_GENERIC)
    elif type(raw) is dict and set(raw) <= {"elements", "generic"}:
        elements, generic = raw.get("elements", []), raw.get("generic", [])
    else:
        raise GenesisInvalid('data_elements is {"elements": [...], "generic": [...]}', field="data_elements")
    writes: dict[str, Any] = {}
    terms: dict[str, str] = {normalize(g): "" for g in generic}
    for i, raw_element in enumerate(elements):
        where = f"data_elements.elements[{i}]"
        try:
            ELEMENT_ARGS["synonyms"].check(raw_element.get("synonyms"), where + ".synonyms")
            element = _element(normalize(raw_element["name"]), raw_element["data_type"], raw_element["length"],
                               raw_element["synonyms"], "genesis", 0)
            terms = _with_element(terms, None, element)
        except (ArgsInvalid, KeyError, TypeError, AttributeError) as exc:
            raise GenesisInvalid(f"{where} is not a data element: {exc}", field=where) from None
        except RuleViolation as exc:  # a term of two elements
            raise GenesisInvalid(f"{where}: {exc.message}", field=where) from None
        writes[element_key(element["name"])] = element
    writes[GENERIC] = sorted(t for t, e in terms.items() if e == "")
    writes[TERMS] = _sorted(terms)
    return writes


@contract.method(governed=True, args=ELEMENT_ARGS)
def set_element(view: StateView, call: Call) -> Effects:
    """Add a standard data element to the dictionary, or replace one (its type, length and synonyms)."""
    a = call.args
    name = normalize(a["name"])
    old = view.get(element_key(name))
    element = _element(name, a["data_type"], a.get("length", ""), a["synonyms"], a["reason"], call.ctx.height)
    terms = _with_element(view.get(TERMS) or {}, old, element)
    return Effects({element_key(name): element, TERMS: _sorted(terms)},
                   [("data_element_set", {"name": name, "synonyms": element["synonyms"]})])


@contract.method(governed=True, args={"name": NAME, "reason": Str(max_len=1000)})
def remove_element(view: StateView, call: Call) -> Effects:
    """Take a data element and its synonyms out of the dictionary."""
    name = normalize(call.args["name"])
    old = view.get(element_key(name))
    if old is None:
        raise refuse("DATA_ELEMENT_UNKNOWN", f"no data element {name}", field="name")
    terms = {t: e for t, e in (view.get(TERMS) or {}).items() if e != name}
    return Effects({element_key(name): None, TERMS: _sorted(terms)}, [("data_element_removed", {"name": name})])


@contract.method(governed=True, args={"names": ListOf(NAME, min_items=1, max_items=200), "generic": Bool(),
                                      "reason": Str(max_len=1000)})
def set_generic(view: StateView, call: Call) -> Effects:
    """Mark item names generic (never an overlap), or no longer generic."""
    names = sorted({normalize(n) for n in call.args["names"]})
    terms = dict(view.get(TERMS) or {})
    for name in names:
        element = terms.get(name)
        if call.args["generic"] and element:
            raise refuse("DATA_ELEMENT_TERM_TAKEN", f"{name} is a term of {element}, not a generic item",
                         article=ARTICLE_SINGLE_SOURCE, field="names", term=name, element=element)
        if call.args["generic"]:
            terms[name] = ""
        elif element == "":
            del terms[name]
    generic = sorted(t for t, e in terms.items() if e == "")
    return Effects({GENERIC: generic, TERMS: _sorted(terms)},
                   [("data_elements_generic", {"names": names, "generic": call.args["generic"]})])

