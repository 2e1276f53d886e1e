"""Acceptance (001:第二十一条, 000:第十四、十六、十七条), the 投入使用评审 (001:第二十三、二十四条) and the
review service's verdict with evidence anyone can re-check.

A project in construction is refused acceptance with each failing condition
named — 入云, 更新, 上链, 确权, 对接, 不符 — until the department fixes each;
the last missing piece is a system's escrowed credential (the demo's story).
On acceptance the 拟验收 catalog is archived as the 已验收 catalog. The review
service's evidence verifies from the genesis alone, and an altered proof is
pinned to the condition it touches.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chain.block import BlockHeader
from chain.envelope import generate_custodian_key, scheme_for, seal
from cli.main import app as cli
from contracts.project import keys
from contracts.project import queries as project_queries
from contracts.system import escrow
from node import review
from node.api import create_app
from node.api.common import proof_value
from tests.test_catalog import EDU, entry
from tests.test_duty import BIANBAN
from tests.test_projects import JINGXIN, PID, ProjectNet, building, line, start

CODE = "301001/000001"
SYSTEM = "edu-portal"


def system_args(deployment="gov_cloud"):
    return {"code": SYSTEM, "name": "智慧教育门户", "project": PID, "deployment": deployment, "protection_level": 3}


def credential(net: ProjectNet, custodian) -> dict:
    salt = b"s" * escrow.SALT_SIZE
    sealed = seal(custodian.public_key, escrow.plaintext("admin", b"Pa55-word!", salt), escrow.context(SYSTEM),
                  scheme=scheme_for(net.profile.name))
    return {"code": SYSTEM, "envelope": sealed.to_bytes(),
            "commitment": escrow.commitment(net.profile, "admin", b"Pa55-word!", salt)}


def failed(net: ProjectNet) -> dict:
    """The last acceptance decision's failing conditions, each with the kinds of its failures."""
    record = net.ledger.state.get(keys.acceptance_key(PID))
    return {c["name"]: [f["kind"] for f in c["failures"]] for c in record["conditions"] if not c["met"]}


def accept(net: ProjectNet, **extra):
    net.doc(JINGXIN, "acceptance-1") if net.ledger.state.get(f"anchor/doc/{JINGXIN}/acceptance-1") is None else None
    return net.ok(JINGXIN, "accept", {"project_id": PID, "doc_id": "acceptance-1", **extra})


def ready(net: ProjectNet, *, with_credential: bool = True):
    """A project in construction with everything acceptance needs (the credential only if asked)."""
    building(net)
    net.ok(EDU, "file_catalog", {"project_id": PID, "stage": "pre_acceptance", "lines": [line()]})
    net.ok(EDU, "register", system_args(), "system")
    custodian = generate_custodian_key(net.profile.name)
    net.ok(JINGXIN, "set_custodian_key", {"public_key": custodian.public_key}, "system")
    net.ok(EDU, "publish", entry(), "catalog")
    net.ok(BIANBAN, "confirm_ownership", {"resource_code": CODE})
    net.ok(EDU, "commit_sharing", {"resource_code": CODE})
    net.doc(EDU, "integration-1")
    net.ok(EDU, "record_integration", {"project_id": PID, "infrastructures": ["三京", "七通一平"],
                                       "doc_id": "integration-1"})
    if with_credential:
        net.ok(EDU, "submit_credential", credential(net, custodian), "system")
    return custodian


@pytest.fixture
def net(tmp_path):
    n = start(tmp_path)
    yield n
    n.ledger.close()


def test_acceptance_is_refused_naming_each_condition_until_all_hold(net):
    """Nothing done: 入云 (no system), 更新, 上链, 确权 and 对接 fail; 不符 holds. Each fix clears its
    condition; a system's credential not anchored is the last refusal; then acceptance passes and the
    拟验收 catalog is archived as the 已验收 catalog."""
    building(net)
    net.ok(EDU, "file_catalog", {"project_id": PID, "stage": "pre_acceptance", "lines": [line()]})
    result = accept(net)
    assert [e[0] for e in result.events] == ["project_acceptance_refused"]
    assert failed(net) == {"cloud": ["no_systems"], "update": ["entry_missing"], "chain": ["entry_not_anchored"],
                           "ownership": ["not_confirmed"], "integration": ["not_recorded"]}
    assert net.ledger.state.get(keys.project_key(PID))["accepted"] is None
    net.ok(EDU, "register", system_args("other"), "system")
    net.ok(EDU, "publish", entry(), "catalog")
    accept(net)
    assert failed(net) == {"cloud": ["not_on_cloud"], "chain": ["credential_not_anchored"],
                           "ownership": ["not_confirmed"], "integration": ["not_recorded"]}
    net.ok(EDU, "apply_exemption", {"code": SYSTEM, "reason": "涉密，不能入云"}, "system")
    net.ok(JINGXIN, "decide_exemption", {"code": SYSTEM, "approve": True, "opinion": "经市政府审议同意"}, "system")
    net.ok(BIANBAN, "confirm_ownership", {"resource_code": CODE})
    accept(net)
    assert failed(net) == {"chain": ["credential_not_anchored"], "ownership": ["no_sharing_commitment"],
                           "integration": ["not_recorded"]}
    net.ok(EDU, "commit_sharing", {"resource_code": CODE})
    net.doc(EDU, "integration-1")
    net.ok(EDU, "record_integration", {"project_id": PID, "infrastructures": ["三京"], "doc_id": "integration-1"})
    custodian = generate_custodian_key(net.profile.name)
    net.ok(JINGXIN, "set_custodian_key", {"public_key": custodian.public_key}, "system")
    accept(net)
    assert failed(net) == {"chain": ["credential_not_anchored"]}
    net.ok(EDU, "submit_credential", credential(net, custodian), "system")
    result = accept(net)
    assert [e[0] for e in result.events] == ["project_accepted"]
    record = net.ledger.state.get(keys.acceptance_key(PID))
    assert (record["outcome"], record["failed"]) == ("passed", [])
    archived = project_queries.catalog(net.ledger.state, project_id=PID, stage="accepted")
    pre = net.ledger.state.get(keys.catalog_key(PID, "pre_acceptance"))
    assert archived["lines"] == pre["lines"] and archived["archived"]["height"] == net.ledger.tip.height
    decisions = [v.value["outcome"] for v in net.ledger.state.history(keys.acceptance_key(PID))]
    assert decisions == ["refused"] * 4 + ["passed"], "every decision is kept"
    refused = net.refused(JINGXIN, "accept", {"project_id": PID, "doc_id": "acceptance-1"},
                          "PROJECT_ALREADY_ACCEPTED")
    assert refused.article == "001:第二十一条"
    net.refused(EDU, "file_catalog", {"project_id": PID, "stage": "pre_acceptance", "lines": [line("L9")]},
                "PROJECT_CATALOG_ARCHIVED")
    net.refused(EDU, "request_catalog_change", {"project_id": PID, "change_id": "late", "lines": [line("L9")],
                                                "reason": "x", "doc_id": "integration-1"}, "PROJECT_ALREADY_ACCEPTED")


def test_a_rotated_custodian_key_makes_credentials_stale_until_resealed(net):
    custodian = ready(net)
    newer = generate_custodian_key(net.profile.name)
    net.ok(JINGXIN, "set_custodian_key", {"public_key": newer.public_key}, "system")
    accept(net)
    assert failed(net) == {"chain": ["credential_not_anchored"]}
    assert custodian.key_id != newer.key_id
    net.ok(EDU, "submit_credential", credential(net, newer), "system")
    accept(net)
    assert failed(net) == {}


def test_a_mismatched_pre_acceptance_catalog_is_refused_with_each_difference(net):
    """000:第十六条: a dropped data item and a longer update cycle are 不符, listed line by line."""
    ready(net)
    net.ok(EDU, "file_catalog", {"project_id": PID, "stage": "pre_acceptance",
                                 "lines": [line(items=("学生姓名",), update_cycle="monthly")]})
    accept(net)
    assert failed(net) == {"inherit": ["item_missing", "update_cycle_longer"]}
    listed = project_queries.mismatch(net.ledger.state, project_id=PID)["mismatches"]
    assert [(m["line_id"], m["kind"]) for m in listed] == [("L1", "item_missing"), ("L1", "update_cycle_longer")]


def test_edits_required_archive_only_the_final_version(net):
    """000:第十七条: accepted with edits required, the final version is archived once it is not 不符; the
    application for 投入使用 waits for it."""
    ready(net)
    accept(net, edits_required=True)
    assert net.ledger.state.get(keys.catalog_key(PID, "accepted")) is None
    net.doc(EDU, "use-1")
    net.refused(EDU, "apply_commissioning", {"project_id": PID, "doc_id": "use-1"},
                "PROJECT_ACCEPTED_CATALOG_MISSING")
    net.ok(EDU, "file_catalog", {"project_id": PID, "stage": "pre_acceptance", "lines": [line(items=("学生姓名",))]})
    net.refused(EDU, "archive_catalog", {"project_id": PID}, "PROJECT_CATALOG_MISMATCH")
    final = line(items=("学生姓名", "学籍号", "入学年份"))
    net.ok(EDU, "file_catalog", {"project_id": PID, "stage": "pre_acceptance", "lines": [final]})
    net.ok(EDU, "archive_catalog", {"project_id": PID})
    assert net.ledger.state.get(keys.catalog_key(PID, "accepted"))["lines"] == [final]
    net.refused(EDU, "archive_catalog", {"project_id": PID}, "PROJECT_FINAL_NOT_PENDING")
    net.ok(EDU, "apply_commissioning", {"project_id": PID, "doc_id": "use-1"})


@pytest.mark.parametrize("late", [False, True])
def test_commissioning_is_applied_for_within_six_months(tmp_path, late):
    """001:第二十三条: on the last day of the six months the application is in time; a day later it is
    PROJECT_COMMISSIONING_LATE."""
    net = start(tmp_path)
    ready(net)
    net.doc(EDU, "use-1")
    net.refused(EDU, "apply_commissioning", {"project_id": PID, "doc_id": "use-1"}, "PROJECT_NOT_ACCEPTED")
    accept(net)
    accepted = datetime.date.fromisoformat(net.ledger.state.get(keys.project_key(PID))["accepted"]["date"])
    last = datetime.date(accepted.year + (accepted.month + 5) // 12, (accepted.month + 5) % 12 + 1, accepted.day)
    while net.day() < last - datetime.timedelta(days=0 if late else 1):
        net.step()
    args = {"project_id": PID, "doc_id": "use-1"}
    if late:
        assert net.refused(EDU, "apply_commissioning", args, "PROJECT_COMMISSIONING_LATE").article == \
            "001:第二十三条"
    else:
        net.ok(EDU, "apply_commissioning", args)
        assert net.day() == last
        net.refused(EDU, "apply_commissioning", args, "PROJECT_COMMISSIONING_APPLIED")
    net.ledger.close()


def test_commissioning_review_puts_a_shared_project_in_operation(net):
    """001:第二十四条: not applied for, refused; a resource narrowed to 不予共享 after acceptance is not
    shared as its catalog said; restored, the project goes into operation (运维)."""
    ready(net)
    accept(net)
    net.doc(JINGXIN, "use-review")
    net.refused(JINGXIN, "commission", {"project_id": PID, "doc_id": "use-review"},
                "PROJECT_COMMISSIONING_NOT_APPLIED")
    net.doc(EDU, "use-1")
    net.ok(EDU, "apply_commissioning", {"project_id": PID, "doc_id": "use-1"})
    narrowed = entry(share_type="not_shared", share_basis="依据《保密法》", reason="调整共享属性")
    net.ok(EDU, "publish", narrowed, "catalog")
    refused = net.refused(JINGXIN, "commission", {"project_id": PID, "doc_id": "use-review"},
                          "PROJECT_CATALOG_NOT_SHARED")
    assert refused.article == "001:第二十四条"
    net.ok(EDU, "publish", entry(reason="恢复共享"), "catalog")
    net.ok(JINGXIN, "commission", {"project_id": PID, "doc_id": "use-review"})
    assert net.state() == "in_operation"


# --- the review service -----------------------------------------------------------------------------


def test_the_verdict_evidence_verifies_from_the_genesis_alone(net):
    """The node's verdict at the last certified block comes with a state proof of every record it read
    and the writing transactions' inclusion proofs; re-checked against the genesis, every condition is
    proven and recomputed the same."""
    ready(net, with_credential=False)
    bundle = review.evidence(net.ledger, PID)
    assert not bundle["verdict"]["passed"]
    assert [c["name"] for c in bundle["verdict"]["conditions"] if not c["met"]] == ["chain"]
    checked = review.check(net.genesis, bundle)
    assert checked["verified"] and checked["errors"] == [], checked
    assert [(c["name"], c["met"], c["verified"]) for c in checked["conditions"]] == [
        ("cloud", True, True), ("update", True, True), ("chain", False, True), ("ownership", True, True),
        ("integration", True, True), ("inherit", True, True)]
    keys_proven = {r["key"] for r in bundle["records"]}
    assert keys.ownership_key(CODE) in keys_proven and keys.project_key(PID) in keys_proven
    assert bundle["transactions"], "the records' writing transactions are proven too"


@pytest.mark.parametrize("condition, key", [("ownership", keys.ownership_key(CODE)),
                                            ("integration", keys.integration_key(PID))])
def test_an_altered_proof_names_the_condition_it_touches(net, condition, key):
    custodian = ready(net)
    assert custodian
    bundle = review.evidence(net.ledger, PID)
    assert bundle["verdict"]["passed"]
    altered = copy.deepcopy(bundle)
    record = next(r for r in altered["records"] if r["key"] == key)
    record["record"] = record["record"][:-1] + bytes([record["record"][-1] ^ 1])
    checked = review.check(net.genesis, altered)
    assert not checked["verified"]
    assert [c["name"] for c in checked["conditions"] if not c["verified"]] == [condition]


def test_missing_evidence_and_a_forged_header_fail(net):
    ready(net)
    bundle = review.evidence(net.ledger, PID)
    dropped = copy.deepcopy(bundle)
    dropped["records"] = [r for r in dropped["records"] if r["key"] != keys.integration_key(PID)]
    checked = review.check(net.genesis, dropped)
    assert not checked["verified"] and "does not prove" in checked["errors"][0]
    forged = copy.deepcopy(bundle)
    forged["header"] = dataclasses.replace(BlockHeader.from_plain(forged["header"]), state_root=bytes(32)).to_plain()
    checked = review.check(net.genesis, forged)
    assert not checked["verified"] and not any(c["verified"] for c in checked["conditions"])


def test_review_over_http_and_the_cli_offline(net, tmp_path):
    """GET /v1/review/projects/{id}/acceptance answers the evidence; `mulu review check --offline` re-checks
    the saved file (exit 0 when it passes) and exits 1 naming UNVERIFIED when a proof is altered."""
    ready(net)
    client = TestClient(create_app(net.node))
    answer = client.get(f"/v1/review/projects/{PID}/acceptance")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verdict"]["passed"] and body["height"] == net.ledger.certified
    missing = client.get("/v1/review/projects/nope/acceptance")
    assert (missing.status_code, missing.json()["code"]) == (404, "PROJECT_NOT_FOUND")
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(body), encoding="utf-8")
    genesis = net.home.genesis_file
    run = CliRunner().invoke(cli, ["review", "check", PID, "--offline", "--genesis", str(genesis),
                                   "--evidence", str(evidence)])
    assert run.exit_code == 0, run.output
    assert "every proof holds" in run.output
    bundle = review.evidence(net.ledger, PID)
    record = next(r for r in bundle["records"] if r["key"] == keys.integration_key(PID))
    record["record"] = record["record"].replace(b"\xe4\xb8\x89", b"\xe4\xb8\x83")  # 三京 → 七京
    evidence.write_text(json.dumps({**proof_value({k: v for k, v in bundle.items() if k != "verdict"}),
                                    "verdict": bundle["verdict"]}), encoding="utf-8")
    run = CliRunner().invoke(cli, ["review", "check", PID, "--offline", "--genesis", str(genesis),
                                   "--evidence", str(evidence)])
    assert run.exit_code == 1 and "UNVERIFIED" in run.output, run.output
    assert "integration" in run.output
