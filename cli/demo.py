"""The demo scenario: departments and authorities sign and anchor, over the real API.

Each step is a signed transaction sent through :class:`cli.client.Client`; the
outcome (committed, refused by a contract rule, or rejected at the door) is
collected as a row for the table the CLI prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from chain.crypto import profile, profile_names
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


DUTIES = {
    "市教委": {"item_id": "D01-01", "main_duty": "负责本市基础教育管理工作", "title": "中小学学籍管理",
              "sanding_text": "（一）统筹管理本市基础教育，负责中小学学籍管理工作。",
              "basis": "《中华人民共和国义务教育法》"},
    "市卫生健康委": {"item_id": "D02-01", "main_duty": "负责本市医疗服务管理工作", "title": "出生医学证明管理",
                "sanding_text": "（二）负责出生医学证明的管理工作。", "basis": "《中华人民共和国母婴保健法》"},
    "市市场监管局": {"item_id": "D03-01", "main_duty": "负责本市市场主体统一登记注册", "title": "市场主体登记管理",
                "sanding_text": "（一）负责市场主体统一登记注册。", "basis": "《中华人民共和国市场主体登记管理条例》"},
}
"""One duty item per demo department (职责目录), proposed and then approved by 编办."""

CATALOGS = {
    "市教委": ("301001/000001", "中小学学籍信息", ("学生姓名", "公民身份号码", "学籍号", "入学日期"),
            {"share_condition": "用于教育管理相关业务"}),
    "市卫生健康委": ("302001/000001", "出生医学证明信息", ("新生儿姓名", "出生日期", "母亲公民身份号码", "公民身份号码"),
                {"share_condition": "用于户籍登记和社会保障业务"}),
    "市市场监管局": ("303001/000001", "市场主体登记信息", ("统一社会信用代码", "企业名称", "法定代表人"),
                {"share_type": "unconditional", "share_condition": ""}),
}
"""One catalog entry per demo department; 公民身份号码 in two of them is a 一数一源 overlap."""


def catalog_entry(member: SampleMember, code: str, name: str, items: tuple[str, ...], revision: int,
                  **extra: str) -> dict:
    """A 1272号 catalog entry for a demo department, mapped to its demo duty item."""
    args = {
        "resource_code": code, "class": code[0], "item": code[1:3], "category": code[3:6],
        "name": name, "provider": member.name, "provider_code": member.uscc,
        "summary": f"{member.short}{name}（第{revision}次更新）", "format": "数据库",
        "data_items": [{"name": n, "data_type": "D" if "日期" in n else "C", "length": "8" if "日期" in n else "64"}
                       for n in items],
        "share_type": "conditional", "share_method": "接口", "open_to_public": False, "update_cycle": "daily",
        "published": "2026-07-01", "duty_items": [DUTIES[member.short]["item_id"]] if member.short in DUTIES else [],
        "reason": f"依据职责目录编制（第{revision}次）",
    }
    args.update(extra)
    return args


class Scenario:
    """A short, real-looking sequence of signed transactions.

    ``route`` gives the client each member submits through (on a network, the
    node it operates); reads after a member's step go to that member's node,
    which has committed the step when the call returns.
    """

    def __init__(self, home: Home, client: Client, route: Callable[[SampleMember], Client] | None = None) -> None:
        self.home = home
        self.client = client
        self.route = route or (lambda member: client)
        status = client.status()
        self.chain_id = status["chain_id"]
        self.profile = profile(status["profile"])  # signs every step, hashes the anchored documents
        self.steps: list[Step] = []
        self._members: dict[str, Member] = {}

    def member(self, short: str) -> tuple[SampleMember, Member]:
        sample = by_short(short)
        if short not in self._members:
            self._members[short] = Member(self.route(sample), self.home.member_key(sample.uscc), sample.uscc,
                                          self.chain_id)
        return sample, self._members[short]

    def anchor(self, short: str, action: str, doc_id: str, title: str, kind: str, text: str) -> Step:
        _, member = self.member(short)
        args = {"doc_id": doc_id, "title": title, "kind": kind, "digest": self.profile.hash(text.encode("utf-8"))}
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

    def call(self, short: str, action: str, contract: str, method: str, args: dict) -> Step:
        _, member = self.member(short)
        return self._record(short, action, lambda: member.call(contract, method, args))

    def run(self) -> list[Step]:
        revision = self.client.status()["height"]
        edu = by_short("市教委")
        self.anchor("市委编办", "上链 市教委三定规定", f"sanding/{edu.uscc}", "北京市教育委员会职能配置、内设机构和人员编制规定",
                    "sanding", f"市教委三定规定 第{revision}版")
        for short, item in DUTIES.items():
            self.call(short, f"申报职责事项 {item['title']}", "duty", "propose",
                      {**item, "reason": f"依据三定规定编制（第{revision}次）"})
        for short, item in DUTIES.items():
            department = by_short(short).uscc
            reader = self.route(by_short(short))
            pending = reader.get(f"/v1/duty/{department}/{item['item_id']}")["current"]["version"]
            self.call("市委编办", f"核准 {short} 职责事项", "duty", "approve",
                      {"department": department, "item_id": item["item_id"], "version": pending, "note": "同意"})
        for short, (code, name, items, extra) in CATALOGS.items():
            m = by_short(short)
            self.call(short, f"上链 数据目录 {name}", "catalog", "publish",
                      catalog_entry(m, code, name, items, revision, **extra))
        m = by_short("市市场监管局")
        self.call("市市场监管局", "上链 不予共享但无依据的目录", "catalog", "publish",
                  catalog_entry(m, "303001/000002", "企业经营异常名录内部研判信息", ("统一社会信用代码", "研判结论"),
                                revision, share_type="not_shared", share_condition=""))
        self._project(revision)
        self._sharing_and_assessment(revision)
        self._forged()
        self._other_profile()
        return self.steps

    def _project(self, revision: int) -> None:
        """One project from 储备 to 运维 (001:第六条): its 申报 catalog — its review first not passed for
        collecting data another department provides (000:第七条, 第十三条), then passed once revised —
        investment, construction, the 拟验收 catalog, a system, 确权 and 对接 — and an acceptance refused
        because the system's administrator credential is not escrowed (上链, 000:第十四条(三)), then sealed,
        then passed."""
        edu = by_short("市教委")
        pid = f"2026-110000-65-01-{revision:06d}"
        code, system = f"301002/{revision:06d}", f"edu-eval-{revision}"
        items = ("学生姓名", "学籍号", "综合素质评价等级")
        line = {"line_id": "L1", "name": "学生综合素质评价信息", "resource_code": code,
                "data_items": [{"name": n, "data_type": "C", "length": "64"} for n in items],
                "update_cycle": "monthly", "share_type": "conditional", "open_to_public": False,
                "duty_items": [DUTIES["市教委"]["item_id"]], "source": "new"}

        def doc(short: str, doc_id: str, title: str, kind: str = "other") -> str:
            self.anchor(short, f"上链 {title}", f"{doc_id}/{pid}", f"{title}（{pid}）", kind, f"{title} {pid}")
            return f"{doc_id}/{pid}"

        def project(short: str, action: str, method: str, **args: object) -> Step:
            return self.call(short, action, "project", method, {"project_id": pid, **args})

        project("市教委", "入库 智慧教育评价平台 (储备)", "register", name="智慧教育评价平台", investment=12_000_000,
                summary="建设学生综合素质评价平台", doc_id=doc("市教委", "apply", "项目申报书"))
        collected = {**line, "data_items": [*line["data_items"], {"name": "公民身份号码", "data_type": "C",
                                                                   "length": "18"}]}
        project("市教委", "报送 申报项目数据目录 (新采集公民身份号码: 一数一源)", "file_catalog", stage="declared",
                lines=[collected])
        accepted = doc("经信局", "accept", "技术评审受理通知")
        project("经信局", "受理技术评审 (在审)", "accept_for_review", doc_id=accepted)
        project("经信局", "技术评审不予通过 (000:第十三条, 退回储备)", "refuse_review", articles=["000:第七条"],
                reason="申报目录新采集公民身份号码，市卫生健康委已提供（一数一源），经通知未修改完善",
                doc_id=doc("经信局", "review-no", "技术评审不予通过意见", "review_opinion"))
        project("市教委", "修改申报项目数据目录 (复用已有数据, 不再采集)", "file_catalog", stage="declared", lines=[line])
        project("经信局", "再次受理技术评审 (在审)", "accept_for_review", doc_id=accepted)
        project("经信局", "出具技术评审意见 (申报目录锁定)", "grant_opinion",
                doc_id=doc("经信局", "opinion", "技术评审意见", "review_opinion"))
        project("市财政局", "批复投资 (待建)", "approve_investment", investment=11_500_000, construction_months=12,
                doc_id=doc("市财政局", "invest", "投资批复"))
        project("市教委", "启动建设 (在建)", "start_construction", doc_id=doc("市教委", "contract", "采购合同"))
        now = self.client.status()["tip_time"] // 1000 + 8 * 3600  # the block's China date
        month = time.gmtime(now).tm_mon
        project("市教委", "报告季度进展", "report_progress", period=f"{time.gmtime(now).tm_year}Q{(month - 1) // 3 + 1}",
                progress="完成需求分析和总体设计")
        self.call("市教委", "上链 数据目录 学生综合素质评价信息", "catalog", "publish",
                  catalog_entry(edu, code, "学生综合素质评价信息", items, revision, update_cycle="monthly",
                                share_condition="用于教育管理相关业务"))
        project("市教委", "编制 拟验收项目数据目录", "file_catalog", stage="pre_acceptance", lines=[line])
        self.call("市教委", "登记信息系统 (政务云)", "system", "register",
                  {"code": system, "name": "智慧教育评价系统", "project": pid, "deployment": "gov_cloud",
                   "protection_level": 3})
        self.call("市委编办", "确权", "project", "confirm_ownership", {"resource_code": code})
        self.call("市教委", "承诺按目录共享", "project", "commit_sharing", {"resource_code": code})
        project("市教委", "对接 三京、七通一平", "record_integration", infrastructures=["三京", "七通一平"],
                doc_id=doc("市教委", "integration", "共性基础设施对接报告"))
        custodian = self._custodian()
        acceptance = doc("经信局", "acceptance", "竣工验收意见", "acceptance_opinion")
        self._accept(pid, acceptance)
        self._credential(system, custodian)
        self._accept(pid, acceptance)
        project("市教委", "申请投入使用", "apply_commissioning", doc_id=doc("市教委", "use", "投入使用申请"))
        project("经信局", "投入使用评审 (运维)", "commission", doc_id=doc("经信局", "use-review", "投入使用评审意见"))

    def _ticks(self, days: int) -> bool:
        """On a scripted clock (a day a block), let ``days`` pass with blocks of 经信局 anchoring a note;
        on the system clock, nothing (a demo does not wait two weeks). Whether days passed."""
        if self.client.status()["clock"].get("mode") != "scripted":
            return False
        _, member = self.member("经信局")
        height = self.client.status()["height"]
        for i in range(days):
            member.call("anchor", "put", {"doc_id": f"tick/{height}/{i}", "title": "日终", "kind": "other",
                                          "digest": self.profile.hash(f"tick {height} {i}".encode())})
        return True

    def _sharing_and_assessment(self, revision: int) -> None:
        """Sharing, 校核 and the half-year assessment: 市教委 asks 市卫生健康委 for 出生医学证明信息 and is not
        answered within 10 working days (002:第十七条), so 经信局 decides in its stead; a 校核 dispute is
        extended once with the head's approval and answered (004:第十四条); 市教委's legacy system off the
        政务云 survives two 整改令 and is a 僵尸系统 (000:第二十二条)."""
        health = by_short("市卫生健康委")
        code = CATALOGS["市卫生健康委"][0]
        requested = self.call("市教委", "共享申请 出生医学证明信息", "sharing", "request",
                              {"resource_code": code, "purpose": "新生入学信息核验",
                               "law_basis": "《北京市政务信息资源管理办法（试行）》",
                               "duty_item": DUTIES["市教委"]["item_id"],
                               "business_need": "入学办理时免于家长重复提交出生证明"})
        request_id = requested.tx_id
        self.call("市教委", "校核 出生医学证明信息", "sharing", "dispute",
                  {"resource_code": code, "problem": "部分出生日期与户籍登记不一致", "data_items": ["出生日期"]})
        dispute_id = self.steps[-1].tx_id
        head = f"head-approval/{revision}"
        self.anchor("市卫生健康委", "上链 主要负责人审批（校核延期）", head, "校核延期审批", "other", head)
        self.call("市卫生健康委", "校核延期一次 (主要负责人批准)", "sharing", "extend_dispute",
                  {"dispute_id": dispute_id, "head": "王主任", "doc_id": head, "reason": "需与各区户籍数据比对"})
        reader = self.route(health)
        filed = requested.outcome == "committed" and not requested.code
        for _ in range(40):  # on a scripted clock, the days until the answer is overdue (holidays included)
            if not filed or reader.get(f"/v1/sharing/requests/{request_id}")["timeliness"]["status"] != "due":
                break
            if not self._ticks(1):
                break
        if filed and reader.get(f"/v1/sharing/requests/{request_id}")["timeliness"]["status"] == "overdue":
            self.call("经信局", "共享申请逾期 经信局代为决定", "sharing", "decide",
                      {"request_id": request_id, "approve": True, "reasons": "提供方逾期未答复，经审核同意共享"})
        self.call("市卫生健康委", "校核答复 已更正", "sharing", "answer_dispute",
                  {"dispute_id": dispute_id, "outcome": "corrected", "reply": "已与户籍数据核对更正"})
        system = f"edu-legacy-{revision}"
        self.call("市教委", "登记信息系统 (未入云)", "system", "register",
                  {"code": system, "name": "教育统计旧系统", "project": "", "deployment": "other", "protection_level": 2})
        period = self._period()
        finding = [{"kind": "not_on_cloud", "subject": system}]
        for n in (1, 2):
            self._assess(period, f"绩效考核 {period} 第{n}次")
            self.call("市政府办公厅", f"下达整改令 第{n}次 (未入云)", "assessment", "order",
                      {"order_id": f"order-{revision}-{n}", "department": by_short("市教委").uscc, "period": period,
                       "findings": finding, "text": "限期完成系统入云"})
            self.call("市教委", f"答复整改令 第{n}次", "assessment", "answer",
                      {"order_id": f"order-{revision}-{n}", "text": "正在迁移，尚未完成"})
        self._assess(period, f"绩效考核 {period} 第3次 (僵尸系统)")

    def _period(self) -> str:
        now = self.client.status()["tip_time"] // 1000 + 8 * 3600
        return f"{time.gmtime(now).tm_year}H{1 if time.gmtime(now).tm_mon <= 6 else 2}"

    def _assess(self, period: str, action: str) -> None:
        """经信局 computes the assessment at the certified tip and anchors its digest and figures."""
        reader = self.route(by_short("经信局"))
        for attempt in range(50):  # on CometBFT a block's certificate comes with the next block
            try:
                found = reader.get("/v1/assessment/compute", period=period)
                break
            except ApiError as exc:
                if exc.code != "BLOCK_NOT_CERTIFIED" or attempt == 49:
                    raise
                time.sleep(0.2)
        self.call("经信局", action, "assessment", "record",
                  {"period": period, "height": found["report"]["height"], "digest": bytes.fromhex(found["digest"]),
                   "figures": found["figures"]})

    def _custodian(self):
        """The custodian's (经信局's) encryption key: kept in the demo home, registered on chain once."""
        from chain.envelope import generate_custodian_key, load_custodian_key

        path = self.home.path / "custodian.pem"
        if path.exists():
            key = load_custodian_key(path.read_bytes())
        else:
            key = generate_custodian_key(self.profile.name)
            path.write_bytes(key.to_pem())
        try:
            current = self.client.get("/v1/credentials/custodian")["key_id"]
        except ApiError:
            current = None
        if current != key.key_id:
            self.call("经信局", "登记托管加密公钥", "system", "set_custodian_key", {"public_key": key.public_key})
        return key

    def _credential(self, system: str, custodian) -> None:
        """The department seals the system's administrator account to the custodian's key, locally."""
        import secrets

        from chain.envelope import scheme_for, seal
        from contracts.system import escrow

        password, salt = secrets.token_urlsafe(16).encode(), secrets.token_bytes(escrow.SALT_SIZE)
        sealed = seal(custodian.public_key, escrow.plaintext("admin", password, salt), escrow.context(system),
                      scheme=scheme_for(self.profile.name))
        self.call("市教委", "用户名和密码纳管 (数字信封)", "system", "submit_credential",
                  {"code": system, "envelope": sealed.to_bytes(),
                   "commitment": escrow.commitment(self.profile, "admin", password, salt)})

    def _accept(self, pid: str, doc_id: str) -> None:
        """竣工验收: the step's code says which conditions failed, when acceptance is refused."""
        step = self.call("经信局", "竣工验收", "project", "accept", {"project_id": pid, "doc_id": doc_id})
        if step.outcome == "committed":
            decision = self.route(by_short("经信局")).get(f"/v1/projects/{pid}/acceptance")
            if decision["outcome"] != "passed":
                self.steps[-1] = Step(step.actor, "竣工验收 不通过: " + "、".join(
                    c["title"] for c in _conditions(decision)), step.outcome, "ACCEPTANCE_REFUSED", step.height,
                                      step.tx_id)
            else:
                self.steps[-1] = Step(step.actor, "竣工验收 通过 (已验收目录归档)", step.outcome, "", step.height,
                                      step.tx_id)

    def _forged(self) -> None:
        """A transaction from a body the genesis does not name never enters a block."""
        stranger = self.profile.generate()
        tx = make_tx(stranger, chain_id=self.chain_id, sender="91110108MA00000000", nonce=1,
                     contract="anchor", method="put",
                     args={"doc_id": "x", "title": "冒名上链", "kind": "other", "digest": bytes(32)})
        self._record("(未登记主体)", "冒名上链", lambda: self.client.submit(tx.to_bytes(), wait=True))

    def _other_profile(self) -> None:
        """A member signing under another crypto profile than the chain's is turned away: a chain
        never mixes profiles (an ed25519-sha256 signature on an sm2-sm3 chain, or the reverse)."""
        edu, _ = self.member("市教委")
        other = next(profile(name) for name in profile_names() if name != self.profile.name)
        tx = make_tx(other.generate(), chain_id=self.chain_id, sender=edu.uscc, nonce=1, contract="anchor",
                     method="put", args={"doc_id": "x", "title": f"以 {other.name} 签名", "kind": "other",
                                         "digest": bytes(32)})
        self._record("市教委", f"以 {other.name} 密钥签名", lambda: self.client.submit(tx.to_bytes(), wait=True))


def _conditions(decision: dict) -> list[dict]:
    """The failed conditions of an acceptance decision, with their Chinese titles."""
    from contracts.project.acceptance import CONDITIONS

    titles = {name: title for name, title, _ in CONDITIONS}
    return [{"name": c["name"], "title": titles[c["name"]]} for c in decision["conditions"] if not c["met"]]


def run_scenario(home: Home, client: Client, route: Callable[[SampleMember], Client] | None = None) -> list[Step]:
    return Scenario(home, client, route).run()
