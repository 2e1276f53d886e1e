"""Governance from the command line: propose a parameter change, vote it through, see it in force.

经信局 proposes setting the catalog update deadline to 10 working days (焦作's
004:第十条); three of the five authority members approve; the deciding vote
runs the action and the new value shows in /v1/contracts. A department's vote
is refused as not eligible, and list shows the proposal approved.
"""

from __future__ import annotations

import json

from cli.client import Client
from node.samples import by_short
from tests.test_cli import mulu
from tests.test_cli_catalog import key_args


def test_propose_vote_and_apply_a_parameter_change(served):
    home, url = served
    node = ["--node", url]
    proposed = json.loads(mulu("governance", "propose", "--contract", "governance", "--method", "set_param",
                               "--args", '{"name": "catalog.update_deadline_working_days", "value": 10}',
                               "--reason", "参照焦作市办法第十条", *key_args(home, by_short("经信局")), *node).stdout)
    [event] = [e for e in proposed["result"]["events"] if e["type"] == "proposed"]
    pid = event["attributes"]["id"]

    refused = mulu("governance", "vote", pid, "--approve", *key_args(home, by_short("市教委")), *node, code=1)
    assert "TX_NOT_AUTHORIZED" in refused.output or "VOTE_NOT_ELIGIBLE" in refused.output

    for short in ("经信局", "市委编办"):
        mulu("governance", "vote", pid, "--approve", *key_args(home, by_short(short)), *node)
    assert Client(url).get("/v1/contracts")["params"]["catalog.update_deadline_working_days"] == 15
    mulu("governance", "vote", pid, "--approve", *key_args(home, by_short("市财政局")), *node)
    assert Client(url).get("/v1/contracts")["params"]["catalog.update_deadline_working_days"] == 10

    listing = mulu("governance", "list", *node).output
    assert "governance.set_param" in listing and "approved" in listing
    assert Client(url).get(f"/v1/governance/proposals/{pid}")["status"] == "approved"


def test_onboard_many_members_from_one_sheet_with_one_vote(served, tmp_path):
    """A GBK CSV of three departments (单位名称, 统一社会信用代码, 角色, 公钥) becomes one add_members
    proposal; three approvals admit all three, who then sign. A sheet with a bad row proposes nothing
    and names the row, column and code."""
    from contracts import uscc

    home, url = served
    node = ["--node", url]
    keys = [home.genesis().profile.generate() for _ in range(3)]
    codes = [uscc.make("11110000", f"MB{800000 + i:06d}") for i in range(3)]
    sheet = tmp_path / "新成员.csv"
    sheet.write_bytes(("单位名称,统一社会信用代码,角色,公钥\n" + "".join(
        f"北京市第{i}局,{code},政务部门,{key.public_key.hex()}\n" for i, (code, key) in enumerate(zip(codes, keys)))
        ).encode("gbk"))
    proposed = json.loads(mulu("governance", "onboard", "--file", sheet, "--reason", "新设机构上链",
                               *key_args(home, by_short("经信局")), *node).stdout)
    [p] = proposed["proposals"]
    assert proposed["members"] == 3 and p["status"] == "committed"
    for short in ("经信局", "市委编办", "市财政局"):
        mulu("governance", "vote", p["id"], "--approve", *key_args(home, by_short(short)), *node)
    client = Client(url)
    assert [client.member(c)["roles"] for c in codes] == [["department"]] * 3

    bad = tmp_path / "bad.csv"
    bad.write_text("单位名称,统一社会信用代码,角色,公钥\n"
                   f"甲局,{codes[0][:-1]}{'0' if codes[0][-1] != '0' else '1'},政务部门,{keys[0].public_key.hex()}\n乙局,{codes[1]},部长,zz\n",
                   encoding="utf-8")
    out = mulu("governance", "onboard", "--file", bad, "--reason", "x", *key_args(home, by_short("经信局")), *node,
               code=1).output
    assert "TX_ARGS_INVALID" in out and "INTAKE_VALUE_UNKNOWN" in out and "INTAKE_KEY_INVALID" in out
    assert "│ 2 " in out and "│ 3 " in out
