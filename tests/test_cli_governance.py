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
