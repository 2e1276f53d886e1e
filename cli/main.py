"""The ``mulu`` command: keys, a node, transactions, queries, export, store check, audit, proofs;
information systems and credential escrow (:mod:`cli.credentials`); projects and the review service
(:mod:`cli.projects`); sharing requests and 校核 disputes (:mod:`cli.sharing`).

Every error is printed with its stable code; the exit status is 1 for a
refusal or a failed check and 2 for bad usage.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional

import typer
from rich.console import Console
from rich.table import Table

from chain.crypto import ALIASES, PrivateKey, canonical_name, load_private_key_file, profile, profile_names
from chain.errors import KeyFileEncrypted, MuluError
from chain.genesis import Genesis
from cli.client import Client, Member

if TYPE_CHECKING:
    from cli.bulk import Outcome
    from node.home import Home

app = typer.Typer(help="mulu — the catalog chain (目录链): a permissioned ledger for government catalogs.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
node_app = typer.Typer(help="Run a node.", no_args_is_help=True)
tx_app = typer.Typer(help="Sign and submit transactions.", no_args_is_help=True)
query_app = typer.Typer(help="Read from a node.", no_args_is_help=True)
duty_app = typer.Typer(help="职责目录: propose and approve duty items, show them.", no_args_is_help=True)
catalog_app = typer.Typer(help="数据目录: publish catalog entries, show versions, diffs and overlaps.",
                          no_args_is_help=True)
governance_app = typer.Typer(help="Governance: propose changes, vote, list proposals.", no_args_is_help=True)
audit_app = typer.Typer(help="Verify a chain offline from its genesis file.", no_args_is_help=True)
proof_app = typer.Typer(help="Check proofs offline.", no_args_is_help=True)
store_app = typer.Typer(help="Check a stopped node's store.", no_args_is_help=True)
envelope_app = typer.Typer(help="Seal a credential to a custodian's SM2 key (SM2 + SM4-GCM), or open one.",
                           no_args_is_help=True)
app.add_typer(node_app, name="node")
app.add_typer(tx_app, name="tx")
app.add_typer(query_app, name="query")
app.add_typer(duty_app, name="duty")
app.add_typer(catalog_app, name="catalog")
app.add_typer(governance_app, name="governance")
app.add_typer(audit_app, name="audit")
app.add_typer(proof_app, name="proof")
app.add_typer(store_app, name="store")
app.add_typer(envelope_app, name="envelope")

console = Console(width=None if sys.stdout.isatty() else 160)
NODE_URL = "http://127.0.0.1:8500"
NODE = typer.Option(NODE_URL, "--node", envvar="MULU_NODE", help="The node's API URL.")


def fail(exc: MuluError) -> None:
    """Print an error with its code on one line (never wrapped), its details below, and exit 1."""
    console.print(f"[bold red]error[/] {exc.code}: {exc.message}", soft_wrap=True)
    if exc.details:
        console.print_json(json.dumps(_jsonable(exc.details), ensure_ascii=False))
    raise typer.Exit(1)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def fetch(read: Any) -> Any:
    """Call ``read()``; on a node error print it with its code and exit 1."""
    try:
        return read()
    except MuluError as exc:
        fail(exc)


def print_table(title: str, columns: tuple[str, ...], rows: Any) -> None:
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*[("" if cell is None else str(cell)) for cell in row])
    console.print(table)


def show(value: Any) -> None:
    console.print_json(json.dumps(_jsonable(value), ensure_ascii=False))


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).astimezone().isoformat(timespec="seconds")


@contextmanager
def writing(out: Path) -> Iterator[None]:
    """Around writing ``out``: its folder must exist (no command makes folders nobody asked for),
    and a place that cannot be written is one line, FILE_UNWRITABLE."""
    if not out.parent.is_dir():
        fail(MuluError(f"the folder {out.parent} does not exist: make it first", code="FOLDER_MISSING",
                       path=str(out.parent)))
    try:
        yield
    except OSError as exc:
        fail(MuluError(f"cannot write {out}: {exc.strerror or exc}", code="FILE_UNWRITABLE", path=str(out)))


@contextmanager
def reading() -> Iterator[None]:
    """Around reading a user's files: a refusal is printed with its code, and a file that cannot
    be read (missing, a folder, not allowed) is FILE_UNREADABLE naming it."""
    try:
        yield
    except MuluError as exc:
        fail(exc)
    except OSError as exc:
        fail(MuluError(f"cannot read {exc.filename}: {exc.strerror or exc}", code="FILE_UNREADABLE",
                       path=str(exc.filename)))


def load_key(path: Path, passphrase: Optional[str]) -> PrivateKey:
    """A signing key file, with what to do when it cannot be used: an encrypted one names the
    options that give its passphrase, a missing or unreadable one is KEY_FILE_UNREADABLE."""
    try:
        return load_private_key_file(str(path), passphrase)
    except KeyFileEncrypted as exc:
        raise KeyFileEncrypted(f"{exc.message}: give it with --passphrase or MULU_PASSPHRASE",
                               **exc.details) from None
    except OSError as exc:
        raise MuluError(f"cannot read key file {path}: {exc.strerror or exc}", code="KEY_FILE_UNREADABLE",
                        path=str(path)) from None


def signer(node: str, key: Path, sender: str, passphrase: Optional[str]) -> Member:
    """The member ``sender`` signing with ``key``, talking to ``node``."""
    return Member(Client(node), load_key(key, passphrase), sender)


# --- keys and setup --------------------------------------------------------------

_PROFILE_HELP = (f"Crypto profile: one of {', '.join(profile_names())} "
                 f"({', '.join(f'{a} = {n}' for a, n in sorted(ALIASES.items()))}).")


@app.command()
def keygen(out: Path = typer.Option(..., "--out", help="Where to write the private key (PEM)."),
           key_profile: str = typer.Option("ed25519-sha256", "--profile", help=_PROFILE_HELP),
           passphrase: Optional[str] = typer.Option(None, "--passphrase", envvar="MULU_PASSPHRASE",
                                                    help="Encrypt the key file with this passphrase.")) -> None:
    """Make a signing key; print its key id and public key."""
    from node.home import write_private_key

    try:
        key = profile(canonical_name(key_profile)).generate()
    except MuluError as exc:
        fail(exc)
    if out.exists():
        fail(MuluError(f"{out} exists; refusing to overwrite a key", code="KEY_FILE_EXISTS"))
    with writing(out):
        write_private_key(out, key, passphrase)
    show({"file": str(out), "profile": key.profile.name, "key_id": key.key_id, "public_key": key.public_key.hex()})


@app.command()
def init(home: Path = typer.Option(..., "--home", help="The node's home folder (created)."),
         chain_id: str = typer.Option("mulu-demo", "--chain-id"),
         api: str = typer.Option("127.0.0.1:8500", "--api", help="HOST:PORT the node will serve on."),
         clock_step_ms: int = typer.Option(0, "--clock-step-ms",
                                           help="Scripted clock: block h at genesis time + h*step (0: wall clock)."),
         key_profile: str = typer.Option("ed25519-sha256", "--profile", help=_PROFILE_HELP)) -> None:
    """Create a single-node chain and its store; its members are the sample authorities and departments."""
    from node.home import init_home

    try:
        made = init_home(home, chain_id=chain_id, profile_name=canonical_name(key_profile), api=api,
                         genesis_time=time.time_ns() // 1_000_000, clock_step_ms=clock_step_ms or None)
        genesis = made.genesis()
    except MuluError as exc:
        fail(exc)
    show({"home": str(home), "chain_id": genesis.chain_id, "profile": genesis.profile.name,
          "genesis_hash": genesis.hash.hex(), "members": len(genesis.doc["members"]), "api": api})


@app.command()
def testnet(out: Path = typer.Option(..., "--out", help="The folder to write the network in (new or empty)."),
            nodes: int = typer.Option(4, "--nodes", help="How many department nodes."),
            validators: Optional[int] = typer.Option(None, "--validators",
                                                     help="How many of them validate (default: all)."),
            chain_id: str = typer.Option("mulu-net", "--chain-id"),
            base_port: int = typer.Option(26600, "--base-port",
                                          help="Node i listens on base+10i (p2p), +1 (RPC), +2 (ABCI), +3 (API)."),
            clock_step_ms: int = typer.Option(0, "--clock-step-ms",
                                              help="Scripted clock: block h at genesis time + h*step (0: BFT time)."),
            key_profile: str = typer.Option("ed25519-sha256", "--profile", help=_PROFILE_HELP),
            layout: str = typer.Option("loopback", "--layout",
                                       help="loopback: every process on 127.0.0.1, ports from --base-port; docker: "
                                            "each process its own host (muluI, cometbftI) on the standard ports, "
                                            "as docker/compose.yaml runs them.")) -> None:
    """Write a CometBFT network: per node a mulu home and a CometBFT home, one genesis for each.

    Start each node with `mulu node start --home OUT/nodeI`, then
    `cometbft start --home OUT/nodeI/cometbft` (CometBFT from `make setup-network`);
    under `--layout docker`, `docker compose -f docker/compose.yaml up` does both.
    """
    from node.cometbft.network import NetworkPlan, write_network
    from node.cometbft.tooling import cometbft_binary

    try:
        plan = NetworkPlan(nodes=nodes, validators=validators, chain_id=chain_id, base_port=base_port,
                           profile_name=canonical_name(key_profile), genesis_time=time.time_ns() // 1_000_000,
                           clock_step_ms=clock_step_ms or None, layout=layout)
        with writing(out):
            homes = write_network(out, plan)
    except MuluError as exc:
        fail(exc)
    show({"out": str(out), "chain_id": chain_id, "engine": "cometbft", "genesis_hash": homes[0].genesis().hash.hex(),
          "nodes": [{"home": str(h.path), "api": h.config().api, "abci": h.config().abci, "rpc": h.config().rpc,
                     "validator": i < plan.validator_count} for i, h in enumerate(homes)],
          "start": [f"mulu node start --home {h.path}" for h in homes]
                   + [f"{cometbft_binary()} start --home {h.path / 'cometbft'}" for h in homes]})


@app.command()
def docker(out: Path = typer.Option(Path("docker"), "--out",
                                    help="Folder to write the container files in (Dockerfile, "
                                         "Dockerfile.dockerignore, compose.yaml).")) -> None:
    """Generate the container files for the network the tests run."""
    from node.deploy import write

    with writing(out):
        written = write(out)
    show({"written": [str(p) for p in written]})


# --- the node --------------------------------------------------------------------


@node_app.command("start")
def node_start(home: Path = typer.Option(..., "--home"),
               api: Optional[str] = typer.Option(None, "--api", help="HOST:PORT (default: node.json).")) -> None:
    """Run the node in the foreground: make blocks and serve the API."""
    from cli.serve import Server
    from node.home import Home
    from node.node import Node
    from node.service import tune_garbage_collector

    try:
        h = Home(home)
        node = Node(h)
        server = Server(node, api or h.config().api)
        tune_garbage_collector()
    except MuluError as exc:
        fail(exc)
    console.print(f"mulu node [bold]{node.genesis.chain_id}[/] at height {node.ledger.tip.height}, "
                  f"serving {server.url}/v1 (docs: {server.url}/v1/docs)")
    try:
        server.serve_forever()
    except MuluError as exc:  # the engine stopped on a fault: say so, and exit 1
        fail(exc)


DAY_MS = 86_400_000
DEMO_START_MS = 1_767_574_800_000
"""2026-01-05 09:00 in Beijing: where a scripted demo chain's first block falls."""


@app.command()
def demo(home: Optional[Path] = typer.Option(None, "--home", help="demo-home (one node) or demo-net (--nodes N)."),
         exit_after: bool = typer.Option(False, "--exit", help="Run the scenario, then stop."),
         api: Optional[str] = typer.Option(None, "--api", help="HOST:PORT (default: node.json)."),
         nodes: int = typer.Option(1, "--nodes", help="1: the embedded solo node; N > 1: N department nodes on "
                                                     "CometBFT, each department submitting to its own node."),
         base_port: int = typer.Option(26600, "--base-port", help="With --nodes: node i listens from base+10i."),
         clock: str = typer.Option("scripted", "--clock", help="A new one-node chain's clock: scripted (a day a "
                                                               "block, so that deadlines play out) or system.")) -> None:
    """Initialise a chain (if needed), run a signed scenario, print it, keep serving."""
    if clock not in ("scripted", "system"):
        fail(MuluError(f"--clock is scripted or system, not {clock!r}", code="CLOCK_INVALID"))
    if nodes != 1:
        _demo_network(home or Path("demo-net"), nodes, base_port, exit_after)
        return
    home = home or Path("demo-home")
    from cli.demo import run_scenario
    from cli.serve import Server
    from node.home import Home, init_home, split_address
    from node.node import Node
    from node.service import tune_garbage_collector

    try:
        if api:
            split_address(api)  # before a new home is made for it
        h = Home(home)
        if not h.exists():
            if clock == "scripted":  # a day a block from 2026-01-05 (北京 09:00): deadlines play out in seconds
                init_home(home, genesis_time=DEMO_START_MS - DAY_MS, clock_step_ms=DAY_MS)
            else:
                init_home(home, genesis_time=time.time_ns() // 1_000_000)
            console.print(f"initialised a new chain in {home} ({clock} clock)")
        node = Node(h)
        server = Server(node, api or h.config().api)
        tune_garbage_collector()
        server.start()
    except MuluError as exc:
        fail(exc)
    with _demo_session(server.stop):
        client = Client(server.url)
        steps = run_scenario(h, client)
        _print_steps(steps)
        _print_overlaps(client)
        _print_review(client)
        _print_assessment(client)
        _print_demo_members(h)
        status = client.status()
        console.print(f"chain [bold]{status['chain_id']}[/] height {status['height']}, "
                      f"tip {status['tip_hash'][:16]}…")
        _keep_serving(exit_after, f"serving [bold]{server.url}/v1[/]  (API docs: {server.url}/v1/docs) — "
                                  f"Ctrl-C to stop")


@contextmanager
def _demo_session(stop) -> Iterator[None]:
    """Around a running demo: Ctrl-C ends it quietly, a refusal is one error line, and ``stop`` always runs."""
    try:
        yield
    except KeyboardInterrupt:
        pass
    except MuluError as exc:
        fail(exc)
    finally:
        stop()


def _keep_serving(exit_after: bool, message: str) -> None:
    if exit_after:
        return
    console.print(message)
    while True:
        time.sleep(3600)


def _demo_network(home: Path, nodes: int, base_port: int, exit_after: bool) -> None:
    """The demo on a CometBFT network of ``nodes`` processes pairs on loopback (written once into ``home``)."""
    from cli.demo import run_scenario
    from cli.localnet import LocalNetwork
    from node.cometbft.network import NetworkPlan, write_network
    from node.home import Home

    plan = NetworkPlan(nodes=nodes, chain_id="mulu-demo-net", base_port=base_port,
                       genesis_time=time.time_ns() // 1_000_000)
    try:
        homes = [Home(home / f"node{i}") for i in range(nodes)]
        if not all(h.exists() for h in homes):
            with writing(home):
                homes = write_network(home, plan)
            console.print(f"wrote a network of {nodes} nodes in {home}")
        network = LocalNetwork(homes)
        network.start()
    except MuluError as exc:
        fail(exc)
    with _demo_session(network.stop):
        steps = run_scenario(homes[0], network.clients[0], lambda member: network.clients[plan.node_of(member)])
        _print_steps(steps)
        client = network.clients[0]
        _print_overlaps(client)
        _print_review(client)
        for i, c in enumerate(network.clients):
            s = c.status()
            console.print(f"node{i} ({plan.operator(i).short}): height {s['height']}, certified {s['certified']}, "
                          f"app hash {s['app_hash'][:16]}…, peers {s['peers']}, API {c.url}")
        _keep_serving(exit_after, "serving — Ctrl-C to stop every node")


def _print_steps(steps) -> None:
    labels = {"committed": "[green]已上链 committed[/]", "refused": "[yellow]入块但拒绝 refused[/]",
              "rejected": "[red]拒收 rejected[/]"}
    print_table("演示：签名交易 / demo: signed transactions",
                ("#", "主体 member", "操作 action", "结果 outcome", "代码 code", "区块 block", "tx id"),
                [(i, s.actor, s.action, labels.get(s.outcome, s.outcome), s.code, s.height, s.tx_id[:16])
                 for i, s in enumerate(steps, 1)])


def _print_review(client: Client) -> None:
    """The review service's verdict on the demo's latest project, with how much evidence backs it."""
    from cli.projects import _print_verdict
    from node.samples import by_short

    projects = client.get("/v1/projects", department=by_short("市教委").uscc, limit=1000)["projects"]
    if not projects:
        return
    pid = projects[-1]["project_id"]
    bundle = client.get(f"/v1/review/projects/{pid}/acceptance")
    _print_verdict(pid, bundle["height"], bundle["verdict"]["conditions"], bundle["verdict"]["passed"])
    console.print(f"evidence: {len(bundle['records'])} state proofs, {len(bundle['transactions'])} inclusion proofs "
                  f"— save with `mulu review check {pid} --out evidence.json`, re-check with --offline")


def _print_assessment(client: Client) -> None:
    """The last assessment the demo anchored: the ranking, with findings and penalties (僵尸系统)."""
    from cli.assess import _ranking

    status = client.status()
    now = datetime.fromtimestamp(status["tip_time"] / 1000, tz=timezone.utc) + timedelta(hours=8)
    period = f"{now.year}H{1 if now.month <= 6 else 2}"
    try:
        found = client.get("/v1/assessment/compute", period=period)
    except MuluError as exc:  # on CometBFT, the tip's certificate may still be on its way
        console.print(f"assessment: {exc.message}")
        return
    _ranking(found["report"])


def _print_demo_members(home: Home) -> None:
    """Who is who on the demo chain: each genesis member's 统一社会信用代码, roles and key file, so a
    newcomer can sign as any of them (``--key`` and ``--sender``) without reading the genesis."""
    keys = home.path / "keys"
    print_table(f"演示成员 demo members — keys in {keys}", ("统一社会信用代码 --sender", "名称 name", "角色 roles",
                                                           "密钥 --key"),
                [(m["uscc"], m["name"], ", ".join(m["roles"]), str(home.key_file(m["uscc"])))
                 for m in home.genesis().doc["members"]])


def _print_overlaps(client: Client) -> None:
    """一数一源: the data items declared by one department that another already provides."""
    rows = client.get("/v1/catalog/overlaps", limit=1000)["overlaps"]
    if not rows:
        console.print("一数一源: no overlaps (no data item is declared by two departments)")
        return
    names = {m["uscc"]: m["name"] for m in client.members(limit=1000)["members"]}
    print_table("一数一源 重复采集提示 / single-source overlaps (000:第七条)",
                ("资源代码 resource", "信息项 item", "填写为 as written", "已由 provided by", "其条目数 their entries"),
                [(row["resource_code"], o["item"], o.get("written") or o["item"],
                  names.get(o["provider"], o["provider"]), o["entries"]) for row in rows for o in row["overlaps"]])


# --- transactions ----------------------------------------------------------------


def _args(text: str) -> dict[str, Any]:
    """JSON arguments; ``{"$hex": "..."}`` stands for bytes."""
    def hook(obj: dict) -> Any:
        if set(obj) == {"$hex"}:
            return bytes.fromhex(obj["$hex"])
        return obj

    try:
        value = json.loads(text, object_hook=hook)
    except ValueError as exc:
        fail(MuluError(f"--args is not JSON: {exc}", code="ARGS_NOT_JSON"))
    if not isinstance(value, dict):
        fail(MuluError("--args must be a JSON object", code="ARGS_NOT_JSON"))
    return value


@tx_app.command("send")
def tx_send(contract: str = typer.Argument(...), method: str = typer.Argument(...),
            args: str = typer.Option("{}", "--args", help='JSON object; {"$hex": "..."} for bytes.'),
            key: Path = typer.Option(..., "--key", help="Signing key file (PEM)."),
            sender: str = typer.Option(..., "--sender", help="Your 统一社会信用代码."),
            passphrase: Optional[str] = typer.Option(None, "--passphrase", envvar="MULU_PASSPHRASE"),
            wait: bool = typer.Option(True, "--wait/--no-wait"),
            node: str = NODE) -> None:
    """Sign a call with a key file and submit it; print the result."""
    try:
        member = signer(node, key, sender, passphrase)
        answer = member.call(contract, method, _args(args), wait=wait)
    except MuluError as exc:
        fail(exc)
    show(answer)
    if answer.get("status") == "refused":
        raise typer.Exit(1)


# --- duty and data catalogs ------------------------------------------------------

KEY = typer.Option(..., "--key", help="Signing key file (PEM).")
SENDER = typer.Option(..., "--sender", help="Your 统一社会信用代码.")
PASSPHRASE = typer.Option(None, "--passphrase", envvar="MULU_PASSPHRASE")


def _bulk(node: str, key: Path, sender: str, passphrase: Optional[str], contract: str, method: str,
          records: list[dict[str, Any]], label: str) -> None:
    """Submit one call per record with a progress bar; print outcomes; exit 1 if any failed.

    If the node goes away mid-run, the outcomes so far are printed before the error, marking the
    records sent but not confirmed (unknown) and those not sent, so the run can be resumed safely.
    """
    from rich.progress import Progress

    from cli.bulk import Interrupted, submit_calls

    try:
        member = signer(node, key, sender, passphrase)
        calls = [(contract, method, r, str(r.get(label, i + 1))) for i, r in enumerate(records)]
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"{contract}.{method}", total=len(calls))
            outcomes = submit_calls(member, calls, lambda n: progress.advance(task, n))
    except Interrupted as exc:
        _print_outcomes(f"{contract}.{method}", label, exc.outcomes)
        fail(exc)
    except MuluError as exc:
        fail(exc)
    if _print_outcomes(f"{contract}.{method}", label, outcomes) != len(outcomes):
        raise typer.Exit(1)


def _print_outcomes(title: str, label: str, outcomes: list[Outcome]) -> int:
    """The table of a bulk run's outcomes and a line counting each kind; returns how many were committed."""
    print_table(f"{title}: {len(outcomes)} records", (label, "结果 outcome", "代码 code", "字段 field", "区块 block",
                                                       "说明 note"),
                [(o.label, o.status, o.code, o.field, o.height, o.message if o.status in ("unknown", "not_sent")
                  else "") for o in outcomes])
    counts = {s: sum(o.status == s for o in outcomes)
              for s in ("committed", "refused", "rejected", "unknown", "not_sent")}
    console.print(" ".join(f"{k}={v}" for k, v in counts.items() if v or k != "unknown"))
    return counts["committed"]


def _records(path: Path) -> list[dict[str, Any]]:
    from cli.bulk import read_records

    with reading():
        return read_records(path)


@duty_app.command("propose")
def duty_propose(file: Path = typer.Option(..., "--file", help="JSON or CSV of duty items."),
                 key: Path = KEY, sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE,
                 node: str = NODE) -> None:
    """Propose duty items (item_id, main_duty, title, sanding_text, basis, reason[, retire])."""
    _bulk(node, key, sender, passphrase, "duty", "propose", _records(file), "item_id")


@duty_app.command("approve")
def duty_approve(file: Path = typer.Option(..., "--file", help="JSON or CSV: department, item_id, version[, note]."),
                 key: Path = KEY, sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE,
                 node: str = NODE, return_: bool = typer.Option(False, "--return", help="Return instead of approve.")) -> None:
    """编办: approve (or --return) pending duty item versions."""
    _bulk(node, key, sender, passphrase, "duty", "return_item" if return_ else "approve", _records(file), "item_id")


def _of_member(client: Client, code: str, path: str, **params: Any) -> Any:
    """Read ``path`` about member ``code``, once the member is known to exist: a mistyped
    统一社会信用代码 is the node's MEMBER_NOT_FOUND, not an empty table."""
    client.member(code)
    return client.get(path, limit=1000, **params)


@duty_app.command("list")
def duty_list(department: str, node: str = NODE) -> None:
    """A department's duty items as a table."""
    items = fetch(lambda: _of_member(Client(node), department, f"/v1/duty/{department}")["items"])
    print_table(f"职责目录 {department}", ("事项 item", "主要职责 main duty", "职责事项 title", "状态 status", "版本 version"),
                [(i["item_id"], i["main_duty"], i["title"], i["status"], i["version"]) for i in items])


def _publish_help() -> str:
    from cli.intake_fields import COLUMNS

    columns = "; ".join(f"{c.header} ({c.name})" for c in COLUMNS)
    return ("Publish catalog entries from the 1272 spreadsheet (.xlsx or .csv) or JSON, one entry a row: "
            "checked first (every error of every row, with its row, column and code), rows already on chain "
            "unchanged skipped, the rest signed and sent; a row refused does not stop the others. Exit 0 when "
            "every row is on chain.\n\n"
            f"Columns, by Chinese header or English name: {columns}. Values in Chinese or English (有条件共享 or "
            "conditional, 每季度 or quarterly, 是/否, dates as 2026-07-01, 2026/7/1 or 2026年7月1日); 信息项 as "
            "name:type:length separated by 、 or ； (e.g. 学生姓名:字符型:32、入学日期:D:8), or one a row in a "
            "信息项 sheet (资源代码, 信息项名称, 数据类型, 长度). CSV may be UTF-8 (with or without BOM) or GBK. "
            "`mulu catalog template` writes an empty spreadsheet.")


@catalog_app.command("template")
def catalog_template(out: Path = typer.Option(..., "--out", help="The .xlsx to write, e.g. 数据目录模板.xlsx.")) -> None:
    """Write an empty catalog spreadsheet (1272 layout): headers, drop-down lists, an example, 填写说明."""
    from cli.intake import write_template

    if out.exists():
        fail(MuluError(f"{out} exists; refusing to overwrite it", code="FILE_EXISTS"))
    with writing(out):
        write_template(out)
    show({"file": str(out)})


@catalog_app.command("publish", help=_publish_help())
def catalog_publish(file: Path = typer.Option(..., "--file", help="The catalog: .xlsx, .csv or .json."),
                    key: Optional[Path] = typer.Option(None, "--key", help="Signing key file (PEM); not needed "
                                                                           "with --check."),
                    sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE,
                    node: Optional[str] = typer.Option(None, "--node", envvar="MULU_NODE",
                                                       help="The node's API URL (default http://127.0.0.1:8500); "
                                                            "--check without it checks the file alone."),
                    check: bool = typer.Option(False, "--check", help="Check every row (against the node's state "
                                                                     "with --node) and sign nothing."),
                    report: Optional[Path] = typer.Option(None, "--report", help="Write a copy of the input as "
                                                          ".xlsx with an outcome column and the bad cells marked."),
                    assign_codes: bool = typer.Option(False, "--assign-codes",
                                                      help="Give rows without 信息资源代码 the next free 后段码 "
                                                           "under their 前段码 (类/项/目/细目).")) -> None:
    from cli.intake_run import publish_file

    if not check and key is None:
        fail(MuluError("give --key to sign with (or --check to check only)", code="USAGE"))
    if report is not None and report.exists():
        fail(MuluError(f"{report} exists; refusing to overwrite it", code="FILE_EXISTS"))
    with reading():
        member = None if check else signer(node or NODE_URL, key, sender, passphrase)
        client = member.client if member else (Client(node) if node else None)
        intake, error = publish_file(file, sender, client, member, check=check, assign_codes=assign_codes,
                                     progress=_progress)
    _print_intake(intake)
    if report is not None:
        from cli.intake_report import write_report

        with writing(report):
            write_report(intake, report)
        console.print(f"report: {report}")
    from cli.intake_report import all_good

    if error is not None:
        fail(error)
    if not all_good(intake):
        raise typer.Exit(1)


@contextmanager
def _progress(total: int) -> Iterator[Any]:
    """A progress bar over ``total`` calls, gone when done; yields the function advancing it."""
    from rich.progress import Progress

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("catalog.publish", total=total or None)
        yield lambda n: progress.advance(task, n)


def _print_intake(intake: Any) -> None:
    from cli.intake_report import TABLE_COLUMNS, counts, table_rows

    lines = table_rows(intake)
    title = f"{intake.path.name}: {len(intake.rows)} rows"
    if len(lines) <= PLAIN_OVER:
        print_table(title, TABLE_COLUMNS, lines)
    else:  # thousands of rows: plain tab-separated lines, which print in a fraction of a table's time
        out = [title, "\t".join(TABLE_COLUMNS)]
        out += ["\t".join("" if cell is None else str(cell) for cell in line) for line in lines]
        sys.stdout.write("\n".join(out) + "\n")
    console.print(" ".join(f"{k}={v}" for k, v in counts(intake).items()))


PLAIN_OVER = 500
"""Outcome lines above which a file's outcomes print as tab-separated lines rather than a table."""


@catalog_app.command("show")
def catalog_show(code: str, node: str = NODE, height: Optional[int] = typer.Option(None, "--height")) -> None:
    """An entry by 资源代码, current or as of --height."""
    _query(lambda: Client(node).get("/v1/catalog/entry", code=code, height=height))


@catalog_app.command("history")
def catalog_history(code: str, node: str = NODE) -> None:
    """Every version of an entry, with reason, signer and block."""
    versions = fetch(lambda: Client(node).get("/v1/catalog/versions", code=code, limit=1000)["versions"])
    print_table(f"数据目录 {code}", ("版本 version", "区块 block", "签名 signer", "原因 reason", "前一版本哈希 prev hash"),
                [(v["version"], v["height"], v["signer"], v["reason"], v["prev_hash"][:16]) for v in versions])


@catalog_app.command("diff")
def catalog_diff(code: str, from_version: int, to_version: int, node: str = NODE) -> None:
    """What changed between two versions of an entry."""
    _query(lambda: Client(node).get("/v1/catalog/diff", code=code, **{"from": from_version, "to": to_version}))


@catalog_app.command("list")
def catalog_list(department: str, node: str = NODE) -> None:
    """A department's catalog entries as a table."""
    entries = fetch(lambda: _of_member(Client(node), department, "/v1/catalog/entries",
                                       department=department)["entries"])
    print_table(f"数据目录 {department}", ("资源代码", "名称 name", "信息项 items", "共享 share", "版本 version"),
                [(e["resource_code"], e["entry"]["name"], len(e["entry"]["data_items"]), e["entry"]["share_type"],
                  e["version"]) for e in entries])


@catalog_app.command("provides")
def catalog_provides(item: str = typer.Argument(..., help="A data item (信息项) name, e.g. 公民身份号码."),
                     node: str = NODE) -> None:
    """一数一源: which departments already provide a data item, and in which of their entries."""
    def run() -> None:
        client = Client(node)
        answer = client.get("/v1/catalog/provides", item=item)
        if answer["generic"]:
            console.print(f"一数一源: {answer['asked']} is a generic item (数据元字典), never an overlap")
            return
        names = {m["uscc"]: m["name"] for m in client.members(limit=1000)["members"]}
        title = answer["item"] if answer["item"] == answer["asked"] else f"{answer['item']} (asked: {answer['asked']})"
        print_table(f"一数一源: {title}", ("提供方 provider", "统一社会信用代码", "写作 as written",
                                           "资源代码 resources"),
                    [(names.get(r["provider"], ""), r["provider"], "、".join(r["written"]),
                      "; ".join(r["resource_codes"])) for r in answer["providers"]])
    fetch(run)


@catalog_app.command("elements")
def catalog_elements(node: str = NODE) -> None:
    """数据元: the data-element dictionary 一数一源 matches through (standard names, synonyms, generic items)."""
    answer = fetch(lambda: Client(node).get("/v1/catalog/elements", limit=1000))
    print_table("数据元 data elements", ("标准名称 standard name", "类型 type", "长度 length", "同义词 synonyms"),
                [(e["name"], e["data_type"], e["length"], "、".join(e["synonyms"])) for e in answer["elements"]])
    console.print("通用信息项 generic items (never an overlap): " + "、".join(answer["generic"]))


@catalog_app.command("overlaps")
def catalog_overlaps(node: str = NODE) -> None:
    """一数一源: data items declared by a department that another already provides."""
    fetch(lambda: _print_overlaps(Client(node)))


# --- governance --------------------------------------------------------------------


def _send(node: str, key: Path, sender: str, passphrase: Optional[str], contract: str, method: str,
          args: dict[str, Any]) -> None:
    """Sign one call, wait for its block, print the answer; exit 1 unless committed."""
    try:
        member = signer(node, key, sender, passphrase)
        answer = member.call(contract, method, args)
    except MuluError as exc:
        fail(exc)
    show(answer)
    if answer.get("status") != "committed":
        raise typer.Exit(1)


@governance_app.command("propose")
def gov_propose(contract: str = typer.Option(..., "--contract"), method: str = typer.Option(..., "--method"),
                args: str = typer.Option("{}", "--args", help='The action\'s arguments as JSON; {"$hex": ...} for bytes.'),
                reason: str = typer.Option(..., "--reason"), key: Path = KEY, sender: str = SENDER,
                passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """Propose a governed action (add_member, set_roles, set_param, set_policy, set_year...)."""
    action = {"contract": contract, "method": method, "args": _args(args)}
    _send(node, key, sender, passphrase, "governance", "propose", {"action": action, "reason": reason})


@governance_app.command("vote")
def gov_vote(proposal_id: str, approve: bool = typer.Option(..., "--approve/--reject"), key: Path = KEY,
             sender: str = SENDER, passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """Vote on a proposal; the deciding approval runs its action in the same transaction."""
    _send(node, key, sender, passphrase, "governance", "vote", {"proposal_id": proposal_id, "approve": approve})


@governance_app.command("onboard")
def gov_onboard(file: Path = typer.Option(..., "--file", help="A sheet of 单位名称, 统一社会信用代码, 角色, 公钥 "
                                                             "(.xlsx or .csv; Chinese or English headers)."),
                reason: str = typer.Option(..., "--reason"), key: Path = KEY, sender: str = SENDER,
                passphrase: Optional[str] = PASSPHRASE, node: str = NODE) -> None:
    """Propose many new members at once (identity.add_members, up to 200 a proposal): voted on once.

    角色 holds roles separated by 、 (政务部门, 区, 审计… or department, district, auditor…); 公钥 the
    public key in hex as `mulu keygen` prints it. Every row is checked first; with any bad row
    nothing is proposed."""
    from cli.onboard import batches, read_members

    with reading():
        members, problems = read_members(file)
    if problems:
        print_table(f"{file.name}: {len(problems)} problems", ("行 row", "列 column", "单元格 cell", "代码 code",
                                                               "说明 message"),
                    [(p.row, p.column, p.cell, p.code, p.message) for p in problems])
        raise typer.Exit(1)
    try:
        member = signer(node, key, sender, passphrase)
        answers = [member.call("governance", "propose", {"action": {"contract": "identity", "method": "add_members",
                                                                    "args": {"members": chunk}}, "reason": reason})
                   for chunk in batches(members)]
    except MuluError as exc:
        fail(exc)
    show({"members": len(members), "proposals": [_proposal_of(a) for a in answers],
          "vote": "mulu governance vote ID --approve (each approver, once per proposal)"})
    if any(a.get("status") != "committed" for a in answers):
        raise typer.Exit(1)


def _proposal_of(answer: dict[str, Any]) -> dict[str, Any]:
    """A propose call's answer as the proposal's id and status (its refusal's code, if refused)."""
    events = (answer.get("result") or {}).get("events") or []
    pid = next((e["attributes"]["id"] for e in events if e["type"] == "proposed"), None)
    return {"id": pid, "status": answer.get("status"), "code": (answer.get("result") or {}).get("code") or None}


@governance_app.command("list")
def gov_list(status: Optional[str] = typer.Option(None, "--status", help="open, approved, rejected, expired, failed"),
             node: str = NODE) -> None:
    """Proposals as a table."""
    rows = fetch(lambda: Client(node).get("/v1/governance/proposals", status=status, limit=1000)["proposals"])
    print_table("治理提案 governance proposals", ("id", "提案 action", "状态 status", "赞成 approvals", "理由 reason"),
                [(p["id"][:16], f"{p['action']['contract']}.{p['action']['method']}", p["status"],
                  f"{sum(1 for v in p['votes'] if v['approve'])}/{p['threshold']}", p["reason"]) for p in rows])


# --- queries ---------------------------------------------------------------------


def _query(fn) -> None:
    show(fetch(fn))


@query_app.command("status")
def q_status(node: str = NODE) -> None:
    """Chain id, height, tip, mempool."""
    _query(lambda: Client(node).status())


@app.command("status")
def status(node: str = NODE) -> None:
    """A node at a glance: its chain, height and last certified block, its engine's height, peers and
    whether it is catching up, its mempool and the validators."""
    s = fetch(lambda: Client(node).status())
    catching = {True: "[yellow]yes[/]", False: "no", None: "[red]engine not answering[/]"}[s.get("catching_up")]
    console.print(f"[bold]{s['chain_id']}[/] ({s['profile']}, engine {s['engine']}) at {node}\n"
                  f"height {s['height']}, certified {s['certified']}, engine height {s.get('engine_height')}, "
                  f"peers {s.get('peers')}, catching up: {catching}, mempool {s['mempool']}\n"
                  f"tip {s['tip_hash']}  app hash {s['app_hash']}")
    print_table("validators", ("name", "operator", "power"),
                [(v["name"], v["operator"], str(v["power"])) for v in s["validators"]])


@query_app.command("block")
def q_block(height: int, node: str = NODE,
            proof: bool = typer.Option(False, "--proof", help="Print a proof that it is in the chain."),
            at: Optional[int] = typer.Option(None, "--at", help="With --proof: the later block to prove against.")) -> None:
    """A block with its transactions, results and commit (or its proof)."""
    _query(lambda: Client(node).block_proof(height, at) if proof else Client(node).block(height))


@query_app.command("consistency")
def q_consistency(old: int, new: Optional[int] = typer.Argument(None), node: str = NODE) -> None:
    """A proof that the chain at NEW (default: tip) extends the chain at OLD."""
    _query(lambda: Client(node).consistency(old, new))


@query_app.command("tx")
def q_tx(tx_id: str, node: str = NODE, proof: bool = typer.Option(False, "--proof",
                                                                     help="Print its inclusion proof.")) -> None:
    """A committed transaction and its result (or its proof)."""
    _query(lambda: Client(node).tx_proof(tx_id) if proof else Client(node).tx(tx_id))


@query_app.command("state")
def q_state(key: str, node: str = NODE, height: Optional[int] = typer.Option(None, "--height"),
            history: bool = typer.Option(False, "--history", help="Every version."),
            proof: bool = typer.Option(False, "--proof", help="Print a state proof.")) -> None:
    """A state record, current or as of --height; its history or proof."""
    if history:
        _query(lambda: Client(node).history(key))
    elif proof:
        _query(lambda: Client(node).state_proof(key, height))
    else:
        _query(lambda: Client(node).state(key, height))


@query_app.command("members")
def q_members(node: str = NODE) -> None:
    """The chain's members as a table."""
    members = fetch(lambda: Client(node).members(limit=1000)["members"])
    print_table("成员 members", ("统一社会信用代码", "名称 name", "角色 roles", "状态 status", "密钥 keys"),
                [(m["uscc"], m["name"], ", ".join(m["roles"]), m["status"],
                  ", ".join(k["key_id"] for k in m["keys"] if k["status"] == "active")) for m in members])


# --- export, audit, proofs ------------------------------------------------------


def _file_job(job: Any, out: Path) -> Any:
    """Run ``job`` (which reads files), failing with a stable code on a refusal or an unreadable
    file, and refuse to overwrite ``out``."""
    with reading():
        result = job()
    if out.exists():
        fail(MuluError(f"{out} exists; refusing to overwrite it", code="FILE_EXISTS"))
    return result


@envelope_app.command("seal")
def envelope_seal(to: Path = typer.Option(..., "--to", help="The custodian's SM2 public key (PEM)."),
                  secret: Path = typer.Option(..., "--in", help="The credential to seal (at most 64 KiB)."),
                  out: Path = typer.Option(..., "--out", help="Where to write the envelope."),
                  context: str = typer.Option("", "--context",
                                              help="What the envelope is for (say, the system's code): it opens "
                                                   "only with the same context.")) -> None:
    """Seal a credential: SM4-GCM under a fresh key, that key SM2-encrypted to the custodian."""
    from chain.envelope import seal

    envelope = _file_job(lambda: seal(profile("sm2-sm3").public_key_from_pem(to.read_bytes()),
                                      secret.read_bytes(), context.encode()), out)
    with writing(out):
        out.write_bytes(envelope.to_bytes())
    show({"file": str(out), "scheme": envelope.scheme, "recipient": envelope.recipient})


@envelope_app.command("open")
def envelope_open(key: Path = typer.Option(..., "--key", help="The custodian's SM2 private key (PEM)."),
                  envelope: Path = typer.Option(..., "--in", help="The envelope."),
                  out: Path = typer.Option(..., "--out", help="Where to write the credential."),
                  context: str = typer.Option("", "--context", help="The context it was sealed with."),
                  passphrase: Optional[str] = typer.Option(None, "--passphrase", envvar="MULU_PASSPHRASE")) -> None:
    """Open an envelope sealed to this key; refuses another key, another context or any changed byte."""
    from chain.envelope import open_envelope

    secret = _file_job(lambda: open_envelope(load_key(key, passphrase), envelope.read_bytes(),
                                             context.encode()), out)
    with writing(out):
        out.write_bytes(secret)
    show({"file": str(out), "bytes": len(secret)})


@app.command()
def export(out: Path = typer.Option(..., "--out", help="The archive file to write."),
           home: Optional[Path] = typer.Option(None, "--home", help="Read a stopped node's store."),
           node: Optional[str] = typer.Option(None, "--node", help="Or download from a running node.")) -> None:
    """Write the whole chain to one file, for `mulu audit verify`; print its size and block count."""
    if not (node or home):
        fail(MuluError("give --home DIR or --node URL", code="USAGE"))
    with writing(out):
        try:
            if node:
                out.write_bytes(Client(node).export())
                count = _archive_blocks(out.read_bytes())
            else:
                from node.home import Home
                from node.node import open_ledger

                ledger = open_ledger(Home(home))
                try:
                    with open(out, "wb") as f:
                        count = ledger.export(f)
                finally:
                    ledger.close()
        except MuluError as exc:
            fail(exc)
    show({"archive": str(out), "bytes": out.stat().st_size, "blocks": count})


def _archive_blocks(data: bytes) -> int:
    """The block count an archive's end frame states (the archive is checked by `audit verify`, not here)."""
    from chain.archive import end_frame, read_frames

    *_, last = read_frames(data)
    return end_frame(last.data)[0]


@store_app.command("check")
def store_check(home: Path = typer.Option(..., "--home", help="The home of a stopped node.")) -> None:
    """Read every record with checksums verified and check the tip; print a JSON report, exit 1 with findings."""
    from node.home import Home
    from node.storecheck import check_store

    try:
        report = check_store(Home(home))
    except MuluError as exc:
        fail(exc)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify(genesis: Path = typer.Option(..., "--genesis", help="The genesis file you trust."),
                 archive: Path = typer.Option(..., "--archive", help="The archive to check.")) -> None:
    """Check every hash, signature, commit and root by full re-execution; exit 1 with findings."""
    from chain.audit import audit_archive
    from contracts.registry import Registry

    with reading():
        report = audit_archive(Genesis.load(str(genesis)), archive.read_bytes(), Registry())
    summary = {"ok": report.ok, "blocks": report.blocks, "transactions": report.transactions,
               "findings": [f.to_dict() for f in report.findings]}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if not report.ok:
        raise typer.Exit(1)


def _unb64(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"b64"}:
            return base64.b64decode(value["b64"])
        return {k: _unb64(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unb64(v) for v in value]
    return value


@proof_app.command("verify")
def proof_verify(genesis: Path = typer.Option(..., "--genesis"),
                 proof: Path = typer.Option(..., "--proof", help="A proof JSON from the API or `mulu query`.")) -> None:
    """Check a transaction, state, block or consistency proof offline against the genesis validators
    (and the validator set changes the proof carries, each certified by the set before it)."""
    from chain import proofs
    from contracts.registry import Registry

    with reading():
        try:
            checked = proofs.verify(Genesis.load(str(genesis)), _unb64(json.loads(proof.read_text())), Registry())
        except ValueError as exc:
            fail(MuluError(f"the proof file is not JSON: {exc}", code="PROOF_INVALID"))
    show({"ok": True, **checked})


if __name__ == "__main__":  # `python -m cli.main`: run the module as imported, with its sub-commands
    from cli.main import app as imported

    imported(prog_name="mulu")
else:
    import cli.credentials  # noqa: E402,F401 - adds `mulu system` and `mulu credential` to app
    from cli.assess import assess_app  # noqa: E402 - they use the helpers above
    from cli.projects import project_app, review_app  # noqa: E402 - they use the helpers above
    from cli.sharing import dispute_app, share_app  # noqa: E402 - they use the helpers above

    app.add_typer(assess_app, name="assess")
    app.add_typer(project_app, name="project")
    app.add_typer(review_app, name="review")
    app.add_typer(share_app, name="share")
    app.add_typer(dispute_app, name="dispute")
