"""The columns of a catalog spreadsheet (政务信息资源目录, 发改高技〔2017〕1272号) and how each cell is read.

One :class:`Column` per argument of ``catalog.publish``: its Chinese header (what the
template writes), the other headers it is known by (Chinese and the argument's English
name), how its cells are read, and — for the enumerations — one normalisation table from
what clerks write (每季度, 有条件共享, 是, 字符型) to the value the chain takes (quarterly,
conditional, true, C). A value outside its table is an error naming the accepted values,
never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from contracts.catalog import DATA_TYPES, SHARE_TYPES, UPDATE_CYCLES

TEXT, DIGITS, CHOICE, BOOL, DATE, LIST, ITEMS = "text", "digits", "choice", "bool", "date", "list", "items"
"""How a column's cells are read: as text; as digits padded to the column's width (Excel turns 01
into 1); through the column's table; as 是/否; as a date; as a list; as 信息项."""


@dataclass(frozen=True)
class Column:
    """One column of the catalog sheet."""

    name: str
    header: str
    kind: str = TEXT
    aliases: tuple[str, ...] = ()
    table: dict[str, str] = field(default_factory=dict)
    width: int = 0
    note: str = ""
    example: str = ""

    def accepted(self) -> list[str]:
        """The values a choice column takes, as the template lists them: the Chinese ones first."""
        return list(dict.fromkeys(self.table))


SHARE_TYPE = {
    "无条件共享": "unconditional", "有条件共享": "conditional", "不予共享": "not_shared",
    "无条件": "unconditional", "有条件": "conditional", "不共享": "not_shared",
    **{v: v for v in SHARE_TYPES},
}
UPDATE_CYCLE = {
    "实时": "realtime", "每日": "daily", "每周": "weekly", "每月": "monthly", "每季度": "quarterly",
    "每半年": "half_yearly", "每年": "yearly", "不定期": "irregular",
    "实时更新": "realtime", "每天": "daily", "按日": "daily", "日": "daily", "按周": "weekly", "周": "weekly",
    "按月": "monthly", "月": "monthly", "按季度": "quarterly", "季度": "quarterly", "每季": "quarterly",
    "按半年": "half_yearly", "半年": "half_yearly", "按年": "yearly", "年": "yearly", "每年度": "yearly",
    "年度": "yearly", "不定时": "irregular",
    **{v: v for v in UPDATE_CYCLES},
}
YES_NO = {"是": "true", "否": "false", "开放": "true", "不开放": "false", "不予开放": "false",
          "true": "true", "false": "false", "yes": "true", "no": "false", "y": "true", "n": "false",
          "1": "true", "0": "false"}
DATA_TYPE = {
    "字符型": "C", "数值型": "N", "货币型": "Y", "日期型": "D", "日期时间型": "T", "逻辑型": "L", "备注型": "M",
    "通用型": "G", "双精度型": "B", "整型": "I", "浮点型": "F",
    "字符": "C", "字符串": "C", "文本": "C", "数值": "N", "数字": "N", "货币": "Y", "日期": "D", "日期时间": "T",
    "时间": "T", "逻辑": "L", "布尔": "L", "备注": "M", "通用": "G", "双精度": "B", "整数": "I", "整数型": "I",
    "浮点": "F",
    **{t: t for t in DATA_TYPES}, **{t.lower(): t for t in DATA_TYPES},
}
"""信息项数据类型 of the guide: its words, and its letters in either case."""

COLUMNS: tuple[Column, ...] = (
    Column("class", "类", DIGITS, ("分类-类", "资源分类(类)", "大类"), width=1,
           note="信息资源分类的类：1 基础信息资源，2 主题信息资源，3 部门信息资源", example="3"),
    Column("item", "项", DIGITS, ("分类-项", "资源分类(项)"), width=2, note="两位数字，如 01", example="01"),
    Column("category", "目", DIGITS, ("分类-目", "资源分类(目)"), width=3, note="三位数字，如 001", example="001"),
    Column("subcategory", "细目", TEXT, ("分类-细目", "资源分类(细目)"), note="可空；数字或大写字母", example=""),
    Column("resource_code", "信息资源代码", TEXT, ("资源代码", "code"),
           note="前段码/后段码，如 301001/000001；前段码为类项目细目。可空：用 --assign-codes 自动编码",
           example="301001/000001"),
    Column("name", "信息资源名称", TEXT, ("资源名称",), note="必填", example="中小学学籍信息"),
    Column("provider", "信息资源提供方", TEXT, ("提供方", "资源提供方", "提供单位"), note="本单位名称",
           example="北京市教育委员会"),
    Column("provider_code", "信息资源提供方代码", TEXT, ("提供方代码", "资源提供方代码", "提供方统一社会信用代码"),
           note="本单位的统一社会信用代码（18位）", example="11110000000000000X"),
    Column("summary", "信息资源摘要", TEXT, ("摘要", "资源摘要"), note="必填", example="本市中小学学生学籍基本信息"),
    Column("format", "信息资源格式", TEXT, ("格式", "资源格式"), note="如 数据库、电子文件", example="数据库"),
    Column("data_items", "信息项", ITEMS, ("信息项列表", "数据项"),
           note="名称:类型:长度，多项以、或；分隔，如 学生姓名:字符型:32、入学日期:日期型:8；"
                "也可在“信息项”工作表中逐行填写（二者择一）",
           example="学生姓名:字符型:32、公民身份号码:字符型:18、入学日期:日期型:8"),
    Column("share_type", "共享类型", CHOICE, ("共享属性",), SHARE_TYPE, note="无条件共享、有条件共享或不予共享",
           example="有条件共享"),
    Column("share_condition", "共享条件", TEXT, (), note="有条件共享时必填", example="用于教育管理相关业务"),
    Column("share_method", "共享方式", TEXT, (), note="如 接口、库表、文件", example="接口"),
    Column("share_basis", "不予共享依据", TEXT, ("不共享依据", "共享依据"), note="不予共享时必填：法律法规或政策依据",
           example=""),
    Column("open_to_public", "是否向社会开放", BOOL, ("是否开放", "开放属性", "向社会开放"), YES_NO, note="是或否",
           example="否"),
    Column("open_condition", "开放条件", TEXT, (), note="可空", example=""),
    Column("update_cycle", "更新周期", CHOICE, (), UPDATE_CYCLE,
           note="实时、每日、每周、每月、每季度、每半年、每年或不定期", example="每日"),
    Column("published", "发布日期", DATE, ("发布时间",), note="如 2026-07-01、2026/7/1 或 2026年7月1日",
           example="2026-07-01"),
    Column("related_codes", "关联资源代码", LIST, ("关联代码",), note="可空；多个以、或；分隔", example=""),
    Column("duty_items", "职责事项", LIST, ("对应职责事项", "职责事项编号", "关联职责事项"),
           note="本单位已批准的职责事项编号，多个以、或；分隔；为空时须填说明编号", example="D01-01"),
    Column("note_id", "说明编号", TEXT, ("批准说明编号",), note="无对应职责事项时，经信局批准的说明编号", example=""),
    Column("systems", "来源系统", LIST, ("信息系统", "数源系统"), note="可空；多个以、或；分隔", example="学籍管理系统"),
    Column("reason", "编制说明", TEXT, ("变更原因", "更新原因", "原因"), note="本次编制或变更的原因", example="首次编制"),
)
"""The catalog sheet's columns, in the template's order."""

BY_NAME = {c.name: c for c in COLUMNS}

ITEM_COLUMNS = (("resource_code", "资源代码", ("信息资源代码", "code")),
                ("name", "信息项名称", ("名称", "name")),
                ("data_type", "数据类型", ("类型", "data_type")),
                ("length", "长度", ("数据长度", "length")))
"""The 信息项 sheet's columns: (name, header, other headers), one data item a row."""

IGNORED = ("序号",)
"""Headers of columns that carry nothing to publish (the row numbers many sheets begin with)."""

CATALOG_SHEET, ITEMS_SHEET, GUIDE_SHEET, EXAMPLE_SHEET = "数据目录", "信息项", "填写说明", "示例"


def header_key(text: str) -> str:
    """A header as it is matched: full-width forms folded (NFKC), spaces and required marks (*) removed,
    English in lower case."""
    return re.sub(r"[\s*]", "", unicodedata.normalize("NFKC", text)).lower()


def headers_of(columns) -> dict[str, str]:
    """Every header of ``(name, header, other headers)`` columns, in :func:`header_key` form, to its name."""
    out: dict[str, str] = {}
    for name, header, aliases in columns:
        for text in (header, *aliases, name):
            out[header_key(text)] = name
    return out


HEADERS = headers_of((c.name, c.header, c.aliases) for c in COLUMNS)
"""Every header the catalog sheet's columns are known by, in :func:`header_key` form."""
ITEM_HEADERS = headers_of(ITEM_COLUMNS)
