"""The demo scenario: departments and authorities sign and anchor, over the real API.

Each step is a signed transaction sent through :class:`cli.client.Client`; the
outcome (committed, refused by a contract rule, or rejected at the door) is
collected as a row for the table the CLI prints.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chain.crypto import profile
from chain.tx import make_tx
from cli.client import ApiError, Client, Member
from node.home import Home
from node.samples import SampleMember, by_short


@dataclass(frozen=True)
class Step:
    """One row of the demo's table."""

    actor: str
    action: str
    outcome: str  # committed / refused / rejected
    code: str
    height: int | None
    tx_id: str


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class Scenario:
    """A short, real-looking sequence of signed transactions."""

    def __init__(self, home: Home, client: Client) -> None:
        self.home = home
        self.client = client
        self.chain_id = client.status()["chain_id"]
        self.steps: list[Step] = []
        self._members: dict[str, Member] = {}

    def member(self, short: str) -> tuple[SampleMember, Member]:
        sample = by_short(short)
        if short not in self._members:
            self._members[short] = Member(self.client, self.home.member_key(sample.uscc), sample.uscc,
                                          self.chain_id)
        return sample, self._members[short]

    def anchor(self, short: str, action: str, doc_id: str, title: str, kind: str, text: str) -> Step:
        _, member = self.member(short)
        args = {"doc_id": doc_id, "title": title, "kind": kind, "digest": _digest(text)}
        return self._record(short, action, lambda: member.call("anchor", "put", args))

    def _record(self, short: str, action: str, send) -> Step:
        try:
            answer = send()
        except ApiError as exc:
            step = Step(short, action, "rejected", exc.code, None, "")
        else:
            result = answer.get("result") or {}
            step = Step(short, action, answer["status"], result.get("code", ""), answer.get("height"),
                        answer["tx_id"])
        self.steps.append(step)
        return step

    def run(self) -> list[Step]:
        revision = self.client.status()["height"]
        edu = by_short("市教委")
        self.anchor("市委编办", "上链 市教委三定规定", f"sanding/{edu.uscc}", "北京市教育委员会职能配置、内设机构和人员编制规定",
                    "sanding", f"市教委三定规定 第{revision}版")
        self.anchor("市教委", "上链 职责目录 v1", "duty-catalog", "北京市教育委员会职责目录",
                    "duty_catalog", f"职责目录 {revision}.1：学前教育管理、义务教育管理、学籍管理")
        self.anchor("市卫生健康委", "上链 数据目录", "data-catalog", "北京市卫生健康委员会政务信息资源目录",
                    "data_catalog", f"数据目录 {revision}：医疗机构执业登记信息、出生医学证明信息")
        self.anchor("市教委", "上链 职责目录 v2 (三定调整后)", "duty-catalog", "北京市教育委员会职责目录",
                    "duty_catalog", f"职责目录 {revision}.2：增加校外培训监管")
        text = f"数据目录 {revision}：市场主体登记信息"
        self.anchor("市市场监管局", "上链 数据目录", "data-catalog", "北京市市场监督管理局政务信息资源目录",
                    "data_catalog", text)
        self.anchor("市市场监管局", "重复上链同一摘要", "data-catalog", "北京市市场监督管理局政务信息资源目录",
                    "data_catalog", text)
        self.anchor("经信局", "上链 技术评审意见", f"review/2026-{revision:04d}", "智慧教育平台项目技术评审意见",
                    "review_opinion", f"评审意见 {revision}：同意进入在审")
        self._forged()
        return self.steps

    def _forged(self) -> None:
        """A transaction from a body the genesis does not name never enters a block."""
        stranger = profile(self.client.status()["profile"]).generate()
        tx = make_tx(stranger, chain_id=self.chain_id, sender="91110108MA00000000", nonce=1,
                     contract="anchor", method="put",
                     args={"doc_id": "x", "title": "冒名上链", "kind": "other", "digest": bytes(32)})
        self._record("(未登记主体)", "冒名上链", lambda: self.client.submit(tx.to_bytes(), wait=True))


def run_scenario(home: Home, client: Client) -> list[Step]:
    return Scenario(home, client).run()
