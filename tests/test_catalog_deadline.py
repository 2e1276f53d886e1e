"""Catalog update deadline (002:第九条): within N working days of a duty change.

A chain on a scripted clock of one day per block plays the weeks out: a duty
change approved by 编办 starts the clock; the department is "due" until the
15th working day after the change date (counted on the chain's calendar, with
holidays and 调休), "overdue" after it, and cleared by publishing its catalog.
A deadline that falls in a year the calendar does not cover is reported as
such, never guessed.
"""

from __future__ import annotations

import datetime

import pytest
from fastapi.testclient import TestClient

from chain.store import MemoryStore
from contracts import catalog, workdays
from node.api import create_app
from node.home import init_home
from node.node import Node
from tests.test_catalog import EDU, entry
from tests.test_duty import BIANBAN, decision, item_args
from tests.test_ledger import Net

DAY = 86_400_000


class DailyNet(Net):
    """A Net whose blocks are one day apart, from ``start`` (a China date, 09:00)."""

    PARAMS = "catalog"
    """The contract whose parameters the keyword arguments set."""

    def __init__(self, path, start: datetime.date, **contract_params: int) -> None:
        ms = int(datetime.datetime(start.year, start.month, start.day, 1, tzinfo=datetime.timezone.utc)
                 .timestamp() * 1000)
        self.home = init_home(path, chain_id="mulu-deadline-test", genesis_time=ms - DAY, clock_step_ms=DAY,
                              contract_params={f"{self.PARAMS}.{k}": v for k, v in contract_params.items()})
        self._open()

    def _open(self) -> None:
        from node.samples import SAMPLE_MEMBERS

        self.node = Node(self.home, store=MemoryStore(), verify_threads=1)
        self.ledger, self.app, self.genesis = self.node.ledger, self.node.app, self.node.genesis
        self.profile = self.genesis.profile
        self.keys = {m.uscc: self.home.member_key(m.uscc) for m in SAMPLE_MEMBERS}
        self.nonces = {m.uscc: 0 for m in SAMPLE_MEMBERS}

    def day(self) -> datetime.date:
        return workdays.china_date(self.ledger.tip.time)

    def step(self, *txs) -> None:
        """One block (one day); an anchor keeps the block non-empty when nothing else happens."""
        self.submit(*(txs or [self.anchor(BIANBAN, "tick", f"day {self.ledger.tip.height}")]))
        self.blocks()

    def status(self):
        return catalog.update_status(self.ledger.state, EDU, self.ledger.tip.time)


def change_duty(net: DailyNet) -> None:
    net.step(net.tx(EDU, "duty", "propose", item_args()))
    net.step(net.tx(BIANBAN, "duty", "approve", decision()))


def test_due_then_overdue_then_cleared_by_an_update(tmp_path):
    """Approved on 2025-09-26: 15 working days run past 国庆 (10-01..08, 调休 09-28 and 10-11) to 10-23."""
    net = DailyNet(tmp_path / "h", datetime.date(2025, 9, 25))
    change_duty(net)
    assert net.day() == datetime.date(2025, 9, 26)
    status = net.status()
    assert (status["status"], status["deadline"], status["article"]) == ("due", "2025-10-23", "002:第九条")
    while net.day() < datetime.date(2025, 10, 23):
        net.step()
    assert net.status()["status"] == "due"          # the deadline day itself is still in time
    net.step()
    assert net.status()["status"] == "overdue"
    client = TestClient(create_app(net.node))
    listed = client.get("/v1/catalog/overdue").json()["departments"]
    assert [(d["department"], d["status"]) for d in listed] == [(EDU, "overdue")]
    net.step(net.tx(EDU, "catalog", "publish", entry()))
    assert net.status() is None
    assert client.get("/v1/catalog/overdue").json()["departments"] == []


def test_the_deadline_is_a_chain_parameter(tmp_path):
    """With the parameter at 10 (焦作 004:第十条), the same change is due on 10-16."""
    net = DailyNet(tmp_path / "h", datetime.date(2025, 9, 25), update_deadline_working_days=10)
    change_duty(net)
    assert net.status()["deadline"] == "2025-10-16"


def test_deadline_beyond_the_calendar_is_reported_not_guessed(tmp_path):
    """A change on 2026-12-24 runs into 2027, which the calendar does not cover yet."""
    net = DailyNet(tmp_path / "h", datetime.date(2026, 12, 23))
    change_duty(net)
    status = net.status()
    assert (status["status"], status["deadline"], status["year"]) == ("calendar_not_covered", None, 2027)
    client = TestClient(create_app(net.node))
    assert client.get("/v1/catalog/overdue").json()["departments"][0]["status"] == "calendar_not_covered"
    assert client.get("/v1/calendar/2027").json()["code"] == "CALENDAR_NOT_COVERED"
    assert 2026 in client.get("/v1/calendar").json()["years"]


@pytest.mark.parametrize("approved, deadline", [
    (datetime.date(2026, 1, 30), "2026-02-27"),   # 春节 2026: 02-15..02-23 off, 02-14 and 02-28 调休
])
def test_known_deadlines(tmp_path, approved, deadline):
    """Deadlines across the 2026 Spring Festival, counted on the genesis calendar."""
    net = DailyNet(tmp_path / "h", approved - datetime.timedelta(days=1))
    change_duty(net)
    assert net.day() == approved
    assert net.status()["deadline"] == deadline
