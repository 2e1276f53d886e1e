"""The sample network: the authorities of the policy texts and a few departments.

The 统一社会信用代码 here are *sample* codes, made with correct GB 32100 and
GB 11714 check characters (registration authority 1 = 机构编制, type 1 = 机关,
region 110000 Beijing or a district's code), not the real codes of these
bodies. A real network lists its members' real codes in its genesis file.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import uscc


@dataclass(frozen=True)
class SampleMember:
    name: str
    short: str
    roles: tuple[str, ...]
    uscc: str


def _code(region: str, n: int) -> str:
    return uscc.make("11" + region, f"MB{n:06d}")


SAMPLE_MEMBERS: tuple[SampleMember, ...] = (
    SampleMember("北京市经济和信息化局", "经信局", ("review_authority", "validator"), _code("110000", 101)),
    SampleMember("中共北京市委机构编制委员会办公室", "市委编办", ("duty_authority",), _code("110000", 102)),
    SampleMember("北京市财政局", "市财政局", ("finance_authority",), _code("110000", 103)),
    SampleMember("北京市发展和改革委员会", "市发展改革委", ("finance_authority",), _code("110000", 104)),
    SampleMember("北京市人民政府办公厅", "市政府办公厅", ("general_office",), _code("110000", 105)),
    SampleMember("北京市审计局", "市审计局", ("auditor",), _code("110000", 106)),
    SampleMember("北京市教育委员会", "市教委", ("department",), _code("110000", 201)),
    SampleMember("北京市卫生健康委员会", "市卫生健康委", ("department",), _code("110000", 202)),
    SampleMember("北京市市场监督管理局", "市市场监管局", ("department",), _code("110000", 203)),
    SampleMember("北京市规划和自然资源委员会", "市规划自然资源委", ("department",), _code("110000", 204)),
    SampleMember("北京市海淀区人民政府", "海淀区", ("district",), _code("110108", 301)),
)
"""Who the demo chain's genesis names, authorities first."""


def by_short(short: str) -> SampleMember:
    return next(m for m in SAMPLE_MEMBERS if m.short == short)
