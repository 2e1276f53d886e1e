"""信息系统: a department's information systems, their versions and projects, and 入云 exemptions
(000:第十四条(一)).

Departments register systems on a solo node in process. Projects come from the project library,
whose contract is written elsewhere; here a test-only contract puts a project record where the
project contract will (``contracts.project.keys.project_key``), with the department that owns
it. The tests show each rule refusing with its code, article and field and changing no state,
every change a new version of the one record, a project's systems listed in code order, and an
exemption applied for, decided, and counted by :func:`contracts.system.cloud_ok`.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chain.execution import Effects
from chain.store import MemoryStore
from cli import main
from cli.client import ApiError, Client, Member
from cli.serve import Server
from contracts import system
from contracts.args import Str
from contracts.base import Contract
from contracts.project.keys import PROJECT_ID, project_key
from contracts.registry import ALL_CONTRACTS, Registry
from contracts.system import keys
from contracts.system import queries as system_queries
from node import node as node_module
from node.home import init_home
from node.samples import by_short
from tests import test_ledger
from tests.functional.framework import GENESIS_TIME, free_port
from tests.test_ledger import Net

EDU = by_short("市教委").uscc
HEALTH = by_short("市卫生健康委").uscc
JINGXIN = by_short("经信局").uscc

PROJECTS = Contract("test_projects", "test only: project records where the project contract keeps them")


@PROJECTS.method(args={"project_id": Str(max_len=64, pattern=PROJECT_ID)})
def put(view, call) -> Effects:
    """Put a project record of the sender's at ``project_key(project_id)``."""
    pid = call.args["project_id"]
    return Effects({project_key(pid): {"project_id": pid, "department": call.sender, "state": "reserve"}})


def make_net(path, monkeypatch, profile_name: str = "ed25519-sha256") -> Net:
    """A solo node in process whose registry also holds :data:`PROJECTS`, of the given profile."""
    monkeypatch.setattr(node_module, "Registry", lambda: Registry((*ALL_CONTRACTS, PROJECTS)))
    if profile_name != "ed25519-sha256":
        init_home = test_ledger.init_home
        monkeypatch.setattr(test_ledger, "init_home", lambda *a, **kw: init_home(*a, profile_name=profile_name, **kw))
    return Net(path)


@pytest.fixture
def net(tmp_path, monkeypatch):
    n = make_net(tmp_path / "home", monkeypatch)
    yield n
    n.ledger.close()


def run(net: Net, sender: str, method: str, args: dict, contract: str = "system"):
    """Submit one call, make its block, return its result."""
    [tx_id] = net.submit(net.tx(sender, contract, method, args))
    net.blocks()
    return net.result(tx_id)


def system_args(code="edu-portal", deployment="gov_cloud", level=3, **extra):
    return {"code": code, "name": "教育门户网站", "deployment": deployment, "protection_level": level,
            "reason": "首次登记", **extra}


def assert_refused(result, code: str, field: str, article: str = "") -> None:
    assert (result.status, result.code, result.field, result.article) == ("refused", code, field, article), result


def test_register_makes_versions_of_one_record_and_lists_them(net):
    """A system is version 1, owned by its department; a change is version 2 of the same record, the
    first kept in its state history; the department's listing shows the current version."""
    result = run(net, EDU, "register", system_args())
    assert result.ok, result
    assert result.events == (("system_registered", {"uscc": EDU, "code": "edu-portal", "version": 1,
                                                    "deployment": "gov_cloud"}),)
    state = net.ledger.state
    record = state.get(keys.system_key("edu-portal"))
    assert (record["department"], record["version"], record["project"], record["protection_level"]) == \
        (EDU, 1, "", 3)
    assert run(net, EDU, "register", system_args(level=4, reason="等保测评升级")).ok
    assert [v.value["protection_level"] for v in state.history(keys.system_key("edu-portal"))] == [3, 4]
    assert state.get(keys.dept_key(EDU, "edu-portal")) == 2
    page = system_queries.systems(state, department=EDU)
    assert [(s["code"], s["version"]) for s in page["systems"]] == [("edu-portal", 2)]
    shown = system_queries.system(state, code="edu-portal")
    assert (shown["cloud_ok"], shown["credential_current"], shown["exemption"]) == (True, False, None)
    assert [v["version"] for v in system_queries.system_versions(state, code="edu-portal")["versions"]] == [1, 2]


def test_invalid_systems_refused_with_their_rule(net, monkeypatch):
    """A code of another department, a project that is not in the library or not the sender's, a
    project already naming the most systems, and a version saying nothing new are refused, with
    their code, article and field, and change nothing."""
    assert run(net, EDU, "register", system_args()).ok
    assert run(net, HEALTH, "put", {"project_id": "2026-HEALTH-01"}, contract="test_projects").ok
    assert run(net, EDU, "put", {"project_id": "2026-EDU-01"}, contract="test_projects").ok
    before = net.ledger.state.get(keys.system_key("edu-portal"))

    assert_refused(run(net, HEALTH, "register", system_args()), "SYSTEM_CODE_TAKEN", "code", system.ARTICLE)
    assert_refused(run(net, EDU, "register", system_args(project="2026-NONE")), "SYSTEM_PROJECT_UNKNOWN",
                   "project", system.ARTICLE)
    assert_refused(run(net, EDU, "register", system_args(project="2026-HEALTH-01")), "SYSTEM_PROJECT_NOT_OWN",
                   "project", system.ARTICLE)
    assert_refused(run(net, EDU, "register", system_args(reason="再次提交")), "SYSTEM_UNCHANGED", "code")
    assert net.ledger.state.get(keys.system_key("edu-portal")) == before

    monkeypatch.setattr(system, "MAX_PROJECT_SYSTEMS", 1)
    assert run(net, EDU, "register", system_args("edu-a", project="2026-EDU-01")).ok
    assert_refused(run(net, EDU, "register", system_args("edu-b", project="2026-EDU-01")), "SYSTEM_PROJECT_FULL",
                   "project", system.ARTICLE)
    assert net.ledger.state.get(keys.system_key("edu-b")) is None


@pytest.mark.parametrize("args, field", [
    (system_args(code="-starts-with-dash"), "code"),
    (system_args(code="a/b"), "code"),
    (system_args(level=6), "protection_level"),
    (system_args(level=0), "protection_level"),
    (system_args(deployment="cloud"), "deployment"),
    (system_args(project="has space"), "project"),
])
def test_invalid_arguments_never_reach_the_mempool(net, args, field):
    """A malformed code, 等保级别 outside 1..5, an unknown 部署位置 or project id: TX_ARGS_INVALID at the door."""
    error = net.refused_at_door(net.tx(EDU, "system", "register", args).to_bytes())
    assert (error.code, error.details["field"]) == ("TX_ARGS_INVALID", field)


def test_only_departments_register_and_only_the_authority_decides(net):
    """The policies: 经信局 registers no system, a department decides no exemption."""
    assert net.refused_at_door(net.tx(JINGXIN, "system", "register", system_args()).to_bytes()).code == \
        "TX_NOT_AUTHORIZED"
    decide = {"code": "edu-portal", "approve": True, "opinion": "同意"}
    assert net.refused_at_door(net.tx(EDU, "system", "decide_exemption", decide).to_bytes()).code == \
        "TX_NOT_AUTHORIZED"


def test_a_projects_systems_in_code_order_follow_their_moves(net):
    """project_systems lists a project's systems in code order, from one committed record; a system
    moved to another project, or to none, leaves the first project's list; the query pages it."""
    for pid in ("2026-EDU-01", "2026-EDU-02"):
        assert run(net, EDU, "put", {"project_id": pid}, contract="test_projects").ok
    for code in ("edu-c", "edu-a", "edu-b"):
        assert run(net, EDU, "register", system_args(code, project="2026-EDU-01")).ok
    state = net.ledger.state
    assert system.project_systems(state, "2026-EDU-01") == ["edu-a", "edu-b", "edu-c"]
    assert system.project_systems(state, "2026-EDU-02") == []

    assert run(net, EDU, "register", system_args("edu-b", project="2026-EDU-02", reason="划入二期")).ok
    assert run(net, EDU, "register", system_args("edu-c", reason="不属于任何项目")).ok
    assert system.project_systems(state, "2026-EDU-01") == ["edu-a"]
    assert system.project_systems(state, "2026-EDU-02") == ["edu-b"]
    assert run(net, EDU, "register", system_args("edu-a", project="2026-EDU-02", reason="划入二期")).ok
    assert state.get(keys.project_systems_key("2026-EDU-01")) is None
    first = system_queries.systems_of_project(state, project_id="2026-EDU-02", limit=1)
    assert ([s["code"] for s in first["systems"]], first["next"]) == (["edu-a"], "edu-a")
    rest = system_queries.systems_of_project(state, project_id="2026-EDU-02", after="edu-a", limit=1)
    assert [s["code"] for s in rest["systems"]] == ["edu-b"]


def test_cloud_exemption_applied_decided_and_counted(net):
    """A system off the government cloud fails 入云 until 经信局 approves its exemption; a refused
    application may be made again, as a new version of the exemption's record."""
    assert run(net, EDU, "register", system_args("edu-lab", deployment="other")).ok
    state = net.ledger.state
    assert not system.cloud_ok(state, "edu-lab") and not system.cloud_ok(state, "no-such-system")

    assert run(net, EDU, "apply_exemption", {"code": "edu-lab", "reason": "实验室专网，涉密隔离"}).ok
    assert state.get(keys.exemption_key("edu-lab"))["status"] == "pending"
    assert run(net, JINGXIN, "decide_exemption", {"code": "edu-lab", "approve": False, "opinion": "理由不足"}).ok
    assert not system.cloud_ok(state, "edu-lab")
    assert run(net, EDU, "apply_exemption", {"code": "edu-lab", "reason": "补充市政府审议材料"}).ok
    result = run(net, JINGXIN, "decide_exemption", {"code": "edu-lab", "approve": True, "opinion": "经市政府审议通过"})
    assert result.events == (("exemption_decided", {"uscc": EDU, "code": "edu-lab", "status": "approved",
                                                    "version": 2}),)
    assert system.cloud_ok(state, "edu-lab")
    record = state.get(keys.exemption_key("edu-lab"))
    assert (record["version"], record["decision"]["by"], record["reason"]) == (2, JINGXIN, "补充市政府审议材料")
    assert [v.value["status"] for v in state.history(keys.exemption_key("edu-lab"))] == \
        ["pending", "refused", "pending", "approved"]
    assert system_queries.system(state, code="edu-lab")["exemption"]["status"] == "approved"


def test_invalid_exemptions_refused_with_their_rule(net):
    """No exemption for a system on the cloud, an unknown system or another department's; none while
    one is pending or approved; no decision without an application, nor twice."""
    assert run(net, EDU, "register", system_args()).ok
    assert run(net, EDU, "register", system_args("edu-lab", deployment="other")).ok
    apply = {"code": "edu-lab", "reason": "专网"}
    decide = {"code": "edu-lab", "approve": True, "opinion": "同意"}

    assert_refused(run(net, EDU, "apply_exemption", {"code": "edu-portal", "reason": "x"}), "EXEMPTION_NOT_NEEDED",
                   "code", system.ARTICLE_CLOUD)
    assert_refused(run(net, EDU, "apply_exemption", {"code": "nothing", "reason": "x"}), "SYSTEM_UNKNOWN", "code")
    assert_refused(run(net, HEALTH, "apply_exemption", apply), "SYSTEM_NOT_OWN", "code", system.ARTICLE)
    assert_refused(run(net, JINGXIN, "decide_exemption", decide), "EXEMPTION_UNKNOWN", "code")
    assert run(net, EDU, "apply_exemption", apply).ok
    assert_refused(run(net, EDU, "apply_exemption", apply), "EXEMPTION_PENDING", "code", system.ARTICLE_CLOUD)
    assert run(net, JINGXIN, "decide_exemption", decide).ok
    assert_refused(run(net, JINGXIN, "decide_exemption", decide), "EXEMPTION_NOT_PENDING", "code",
                   system.ARTICLE_CLOUD)
    assert_refused(run(net, EDU, "apply_exemption", apply), "EXEMPTION_APPROVED", "code", system.ARTICLE_CLOUD)
    assert net.ledger.state.get(keys.exemption_key("edu-lab"))["version"] == 1


# --- the API and the commands ------------------------------------------------------------------------


@pytest.fixture
def served_with_projects(tmp_path, monkeypatch):
    """A node served in process whose registry also holds :data:`PROJECTS`; yields (home, url)."""
    monkeypatch.setattr(node_module, "Registry", lambda: Registry((*ALL_CONTRACTS, PROJECTS)))
    home = init_home(tmp_path / "home", genesis_time=GENESIS_TIME, clock_step_ms=1000)
    server = Server(node_module.Node(home, store=MemoryStore()), f"127.0.0.1:{free_port()}")
    server.start()
    try:
        yield home, server.url
    finally:
        server.stop()


def mulu(*args, code=0) -> str:
    """Run ``mulu ARGS`` in process; it must exit with ``code``; its output."""
    result = CliRunner().invoke(main.app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result.output


def signing(home, url: str):
    """``signed(uscc)``: the options of a command signed by member ``uscc`` against the node at ``url``."""
    return lambda uscc: ["--key", home.key_file(uscc), "--sender", uscc, "--node", url]


def test_routes_and_commands_of_systems(served_with_projects, monkeypatch):
    """`mulu system register/apply-exemption/decide-exemption/show/list` against a node, and the
    routes they use: a system with its exemption and 入云, its versions, a department's and a
    project's systems; what is not there is a 404 with its code."""
    monkeypatch.setattr(main.console, "_width", 240)
    home, url = served_with_projects
    client = Client(url)
    assert Member(client, home.member_key(EDU), EDU).call("test_projects", "put",
                                                          {"project_id": "2026-EDU-01"})["status"] == "committed"

    signed = signing(home, url)
    mulu("system", "register", "edu-lab", "--name", "实验室系统", "--deployment", "other", "--protection-level", 2,
         "--project", "2026-EDU-01", *signed(EDU))
    mulu("system", "register", "edu-lab", "--name", "实验室系统", "--deployment", "other", "--protection-level", 3,
         "--project", "2026-EDU-01", "--reason", "定级调整", *signed(EDU))
    refused = mulu("system", "register", "edu-lab", "--name", "x", "--deployment", "other", "--protection-level", 3,
                   *signed(HEALTH), code=1)
    assert "SYSTEM_CODE_TAKEN" in refused
    mulu("system", "apply-exemption", "edu-lab", "--reason", "涉密专网", *signed(EDU))
    assert client.get("/v1/systems/edu-lab")["cloud_ok"] is False
    mulu("system", "decide-exemption", "edu-lab", "--approve", "--opinion", "经市政府审议通过", *signed(JINGXIN))

    shown = json.loads(mulu("system", "show", "edu-lab", "--node", url))
    assert (shown["cloud_ok"], shown["exemption"]["status"], shown["version"]) == (True, "approved", 2)
    assert [v["protection_level"] for v in client.get("/v1/systems/edu-lab/versions")["versions"]] == [2, 3]
    assert [s["code"] for s in client.get("/v1/projects/2026-EDU-01/systems")["systems"]] == ["edu-lab"]
    assert [s["code"] for s in client.get("/v1/systems", department=EDU)["systems"]] == ["edu-lab"]
    assert "edu-lab" in mulu("system", "list", "--project", "2026-EDU-01", "--node", url)
    assert "实验室系统" in mulu("system", "list", "--department", EDU, "--node", url)
    assert "USAGE" in mulu("system", "list", "--node", url, code=1)
    for path, code in (("/v1/systems/nothing", "SYSTEM_NOT_FOUND"), ("/v1/systems/nothing/accesses", "SYSTEM_NOT_FOUND"),
                       ("/v1/systems/edu-lab/credential", "CREDENTIAL_NOT_FOUND"),
                       ("/v1/credentials/custodian", "CUSTODIAN_KEY_NOT_FOUND")):
        with pytest.raises(ApiError) as caught:
            client.get(path)
        assert (caught.value.status, caught.value.code) == (404, code)
    assert client.get("/v1/credentials/pending") == {"custodian_key_id": None, "credentials": [], "next": None}
