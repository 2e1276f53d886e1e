"""The benchmark (`make bench`): pipeline throughput as ratios to this machine's limits.

Absolute times drift on shared machines, so every figure is reported beside the
machine's own single-core verification rate of the chain's signature scheme,
measured in the same run — Ed25519 for the default profile (the top-level
figures), SM2 for the 国密 profile (the same figures under ``sm2_sm3``):

* ``verify_1thread_per_s`` — one thread verifying signatures back to back;
* ``inprocess_commit_tx_per_s`` — signed transactions driven through the
  engine boundary by one thread: admitted through solo's door in batches of
  5000 (decode, checks, signatures on the verification threads) and committed
  by solo into LevelDB;
* ``http_batch_commit_tx_per_s`` — a real node (API threads, the solo engine's
  thread) fed msgpack batches of 1000 over HTTP from a client in this process.

* ``catalog`` — ``catalog.publish`` transactions with 20 data items each,
  admitted in batches of 5000 and committed in process as above (timed over
  the first ``MULU_BENCH_CATALOG_TIMED`` (20,000), against the verification
  rate sampled before, between and after its timed batches, since this
  machine's speed drifts within a run), then 2000 reads of
  entries by code, current and as of a height, with
  ``MULU_BENCH_CATALOG_ENTRIES`` (100,000) entries on chain.

``intake`` is a department's catalog as clerks send it: an ``MULU_BENCH_INTAKE_ROWS`` (5000)-row
.xlsx with 20 信息项 a row, checked (``--check``) and then published through the `mulu` command
in its own process against a node served in this one — rows per second of each, the
publication's beside the in-process ``catalog`` rate of the same run (target ≥ 0.5);
``MULU_BENCH_INTAKE=0`` skips it.

``network`` is the four-validator CometBFT network (:mod:`tests.bench_network`): committed
transactions per second under steady load, beside the solo in-process rate of the same run,
and p50/p99 commit latency at half that load; ``MULU_BENCH_NETWORK=0`` skips it.

``bytes_per_change`` is what a block writes to the store per transaction
(:mod:`tests.bytes_written`): new catalog entries and new versions of them, duty
items proposed and approved.

Targets (floors, from the issues): in process ≥ 0.5 of the one-thread
verification rate, HTTP with batches ≥ 1/3; catalog submissions ≥ 0.4, and a
catalog read under 2 ms. The ``sm2-sm3`` figures are held to the same two
pipeline floors, against the SM2 rate. Prints one JSON object; exits 1 when a
floor is missed. ``MULU_BENCH_PROFILES=ed25519-sha256`` skips the 国密 run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from chain.crypto import profile
from chain.encoding import encode
from chain.tx import make_tx
from node.home import Home, init_home
from node.node import Node
from node.service import tune_garbage_collector
from tests import bench_assessment, bench_review, bytes_written
from node.samples import SAMPLE_MEMBERS

TXS = int(os.environ.get("MULU_BENCH_TXS", "20000"))
BATCH = 1000
IN_PROCESS_BATCH = 5000
DEFAULT = "ed25519-sha256"
GM = "sm2-sm3"
PROFILES = os.environ.get("MULU_BENCH_PROFILES", f"{DEFAULT},{GM}").split(",")
NETWORK = os.environ.get("MULU_BENCH_NETWORK", "1") != "0"


def verify_rate(threads: int, n: int = 4000, profile_name: str = DEFAULT) -> float:
    """Signature verifications per second of ``profile_name`` on ``threads`` threads."""
    prof = profile(profile_name)
    key = prof.generate()
    message = b"m" * 200
    sig = key.sign(message)
    public = key.public_key
    per = n // threads

    def work(_: int) -> None:
        for _ in range(per):
            prof.verify(public, message, sig)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    return per * threads / (time.perf_counter() - start)


def signed_txs(home: Home, chain_id: str, count: int) -> list[bytes]:
    """``count`` anchor transactions spread over every member, nonces in order."""
    keys = [(m.uscc, home.member_key(m.uscc)) for m in SAMPLE_MEMBERS]
    nonces = {code: 0 for code, _ in keys}
    out = []
    for i in range(count):
        code, key = keys[i % len(keys)]
        nonces[code] += 1
        args = {"doc_id": f"doc-{i % 500}", "title": "北京市政务信息资源目录", "kind": "data_catalog",
                "digest": hashlib.sha256(i.to_bytes(8, "big")).digest()}
        out.append(make_tx(key, chain_id=chain_id, sender=code, nonce=nonces[code], contract="anchor",
                           method="put", args=args).to_bytes())
    return out


def fresh_home(root: str, name: str, profile_name: str = DEFAULT) -> Home:
    return init_home(os.path.join(root, f"{name}-{profile_name}"), genesis_time=1_782_000_000_000,
                     api="127.0.0.1:8599", profile_name=profile_name)


def bench_in_process(root: str, profile_name: str = DEFAULT) -> float:
    home = fresh_home(root, "inproc", profile_name)
    node = Node(home)
    raws = signed_txs(home, node.genesis.chain_id, TXS)
    start = time.perf_counter()
    for i in range(0, len(raws), IN_PROCESS_BATCH):
        admissions = node.engine.submit(raws[i:i + IN_PROCESS_BATCH])
        if not all(a.ok for a in admissions):
            raise SystemExit(f"bench transactions refused: {[a.error for a in admissions if not a.ok][:3]}")
        node.engine.run_until_empty()
    _wait_all_committed(node)
    elapsed = time.perf_counter() - start
    node.stop()
    return TXS / elapsed


def _wait_all_committed(node: Node) -> None:
    """Poll until every member's nonce shows all its transactions committed."""
    expected = {m.uscc: TXS // len(SAMPLE_MEMBERS) + (i < TXS % len(SAMPLE_MEMBERS))
                for i, m in enumerate(SAMPLE_MEMBERS)}
    while any((node.ledger.state.get("nonce/" + code) or 0) != n for code, n in expected.items()):
        if node.engine.error is not None:
            raise SystemExit(f"the engine stopped: {node.engine.error!r}")
        time.sleep(0.002)


def bench_http(root: str, profile_name: str = DEFAULT) -> float:
    import httpx

    from cli.serve import Server

    home = fresh_home(root, "http", profile_name)
    node = Node(home)
    port = _free_port()
    server = Server(node, f"127.0.0.1:{port}")
    raws = signed_txs(home, node.genesis.chain_id, TXS)
    bodies = [encode(raws[i:i + BATCH]) for i in range(0, len(raws), BATCH)]
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            start = time.perf_counter()
            for body in bodies:
                r = http.post("/v1/txs/batch", content=body, headers={"content-type": "application/msgpack"})
                if r.status_code != 200 or r.json()["rejected"]:
                    raise SystemExit(f"batch refused: {r.text[:300]}")
            _wait_all_committed(node)
            elapsed = time.perf_counter() - start
    finally:
        server.stop()
    return TXS / elapsed


CATALOG_ENTRIES = int(os.environ.get("MULU_BENCH_CATALOG_ENTRIES", "100000"))
CATALOG_TIMED = min(CATALOG_ENTRIES, int(os.environ.get("MULU_BENCH_CATALOG_TIMED", "20000")))


def _catalog_calls(home: Home, chain_id: str, count: int):
    """Signed catalog.publish transactions with 20 data items each, spread over the departments,
    after every department has an approved duty item to map them to."""
    from node.samples import by_short

    departments = [m for m in SAMPLE_MEMBERS if {"department", "district"} & set(m.roles)]
    bianban = by_short("市委编办")
    keys = {m.uscc: home.member_key(m.uscc) for m in SAMPLE_MEMBERS}
    nonces = {m.uscc: 0 for m in SAMPLE_MEMBERS}

    def tx(sender: str, contract: str, method: str, args: dict) -> bytes:
        nonces[sender] += 1
        return make_tx(keys[sender], chain_id=chain_id, sender=sender, nonce=nonces[sender], contract=contract,
                       method=method, args=args).to_bytes()

    duty = {"item_id": "D01-01", "main_duty": "负责本部门政务数据管理", "title": "政务数据目录编制",
            "sanding_text": "（一）负责本部门政务数据管理。", "basis": "《北京市政务信息资源管理办法（试行）》",
            "reason": "依据三定规定编制"}
    setup = [[tx(d.uscc, "duty", "propose", duty) for d in departments],
             [tx(bianban.uscc, "duty", "approve", {"department": d.uscc, "item_id": "D01-01", "version": 1})
              for d in departments]]

    def entry(i: int) -> bytes:
        d = departments[i % len(departments)]
        args = {"resource_code": f"301001/{i:07d}", "class": "3", "item": "01", "category": "001",
                "name": f"政务信息资源{i}", "provider": d.name, "provider_code": d.uscc,
                "summary": "本部门履职产生的政务信息资源", "format": "数据库",
                "data_items": [{"name": f"信息项{i}-{j}", "data_type": "C", "length": "64"} for j in range(20)],
                "share_type": "conditional", "share_condition": "用于相关部门履职", "share_method": "接口",
                "open_to_public": False, "update_cycle": "daily", "published": "2026-07-01",
                "duty_items": ["D01-01"], "reason": "编制数据目录"}
        return tx(d.uscc, "catalog", "publish", args)

    return setup, entry, tx, departments


def bench_catalog(root: str) -> dict:
    """Catalog submissions (20 data items each) committed in process, then reads by code at scale."""
    import random

    from contracts import catalog

    home = fresh_home(root, "catalog")
    node = Node(home)
    setup, entry, tx, departments = _catalog_calls(home, node.genesis.chain_id, CATALOG_ENTRIES)
    for raws in setup:
        node.engine.submit(raws)
        node.engine.run_until_empty()
    elapsed, done, height_half, entries_half = 0.0, 0, 0, 0
    reference = []  # the verification rate, sampled before, between and after the timed batches
    while done < CATALOG_ENTRIES:
        raws = [entry(i) for i in range(done, min(done + IN_PROCESS_BATCH, CATALOG_ENTRIES))]
        if done < CATALOG_TIMED:
            reference.append(verify_rate(1, n=2000))
        start = time.perf_counter()
        admissions = node.engine.submit(raws)
        if not all(a.ok for a in admissions):
            raise SystemExit(f"catalog transactions refused: {[a.error for a in admissions if not a.ok][:2]}")
        node.engine.run_until_empty()
        if done < CATALOG_TIMED:
            elapsed += time.perf_counter() - start
            if done + len(raws) >= CATALOG_TIMED:
                reference.append(verify_rate(1, n=2000))
        done += len(raws)
        if done <= CATALOG_ENTRIES // 2 or not entries_half:
            height_half, entries_half = node.ledger.tip.height, done
    rng = random.Random(7)
    codes = [f"301001/{rng.randrange(entries_half):07d}" for _ in range(2000)]
    state = node.ledger.state
    reads = {}
    for name, height in (("current", None), ("as_of_height", height_half)):
        times = []
        for code in codes:
            t = time.perf_counter()
            version = state.version(catalog.entry_key(code), height)
            times.append(time.perf_counter() - t)
            if version is None or version.value is None:
                raise SystemExit(f"catalog entry {code} not found")
        times.sort()
        reads[name] = {"median_ms": round(times[len(times) // 2] * 1000, 3),
                       "p99_ms": round(times[int(len(times) * 0.99)] * 1000, 3)}
    n = len(departments)
    lines = min(bench_review.LINES, CATALOG_ENTRIES // n)
    acceptance = {**bench_review.measure(node, tx, departments[0].uscc, [f"301001/{i:07d}" for i in
                                                                          range(0, lines * n, n)]),
                  "catalog_entries_on_chain": CATALOG_ENTRIES}
    node.stop()
    rate = CATALOG_TIMED / elapsed
    verify = sum(reference) / len(reference)
    return {"entries": CATALOG_ENTRIES, "timed_entries": CATALOG_TIMED, "commit_tx_per_s": round(rate),
            "verify_1thread_per_s": round(verify), "ratio_to_verify": round(rate / verify, 3), "reads": reads,
            "acceptance": acceptance}


INTAKE_ROWS = int(os.environ.get("MULU_BENCH_INTAKE_ROWS", "5000"))
INTAKE = os.environ.get("MULU_BENCH_INTAKE", "1") != "0"
ASSESS = os.environ.get("MULU_BENCH_ASSESSMENT", "1") != "0"


def write_catalog_xlsx(path: str, department, rows: int, items: int = 20) -> None:
    """A catalog spreadsheet in the template's layout with Chinese values: ``rows`` entries of
    ``department``, each with ``items`` 信息项 in its cell."""
    from openpyxl import Workbook

    from cli.intake_fields import COLUMNS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("数据目录")
    sheet.append([c.header for c in COLUMNS])
    for i in range(rows):
        values = {"class": "3", "item": "01", "category": "001", "resource_code": f"301001/{i + 1:06d}",
                  "name": f"政务信息资源{i}", "provider": department.name, "provider_code": department.uscc,
                  "summary": "本部门履职产生的政务信息资源", "format": "数据库",
                  "data_items": "、".join(f"信息项{i}-{j}:字符型:64" for j in range(items)),
                  "share_type": "有条件共享", "share_condition": "用于相关部门履职", "share_method": "接口",
                  "open_to_public": "否", "update_cycle": "每日", "published": "2026年7月1日",
                  "duty_items": "D01-01", "reason": "编制数据目录"}
        sheet.append([values.get(c.name, "") for c in COLUMNS])
    book.save(path)


def bench_intake(root: str, catalog_rate: float) -> dict:
    """A department checks, then publishes, an ``INTAKE_ROWS``-row .xlsx catalog (20 信息项 a row)
    through the `mulu` command (its own process) against a node served by ``mulu node start`` (its
    own process, as a department runs it): rows per second of each, beside the in-process catalog
    rate of the same run."""
    import subprocess

    from node.samples import by_short

    home = fresh_home(root, "intake")
    node = Node(home)
    dept, bianban = by_short("市教委"), by_short("市委编办")
    keys = {m.uscc: home.member_key(m.uscc) for m in (dept, bianban)}
    duty = {"item_id": "D01-01", "main_duty": "负责本部门政务数据管理", "title": "政务数据目录编制",
            "sanding_text": "（一）负责本部门政务数据管理。", "basis": "《北京市政务信息资源管理办法（试行）》",
            "reason": "依据三定规定编制"}
    for sender, method, args in ((dept.uscc, "propose", duty),
                                 (bianban.uscc, "approve", {"department": dept.uscc, "item_id": "D01-01",
                                                            "version": 1})):
        node.engine.submit([make_tx(keys[sender], chain_id=node.genesis.chain_id, sender=sender, nonce=1,
                                    contract="duty", method=method, args=args).to_bytes()])
        node.engine.run_until_empty()
    node.stop()
    path = os.path.join(root, "数据目录.xlsx")
    write_catalog_xlsx(path, dept, INTAKE_ROWS)
    # this checkout's command, whatever the environment installed
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "COLUMNS": "200"}
    url = f"http://127.0.0.1:{_free_port()}"
    log = open(os.path.join(root, "intake-node.log"), "w+")  # a file, not a pipe: the node never waits on it
    served = subprocess.Popen([sys.executable, "-m", "cli", "node", "start", "--home", str(home.path), "--api",
                               url.removeprefix("http://")], cwd=repo, env=env, stdout=log, stderr=log)
    base = [sys.executable, "-m", "cli", "catalog", "publish", "--file", path, "--sender", dept.uscc]
    try:
        _wait_serving(url, served, log)
        times = {}
        for name, extra in (("check", ["--check"]), ("publish", ["--key", str(home.key_file(dept.uscc))])):
            start = time.perf_counter()
            done = subprocess.run([*base, "--node", url, *extra], capture_output=True, text=True, env=env,
                                  timeout=1800, cwd=repo)
            times[name] = time.perf_counter() - start
            want = f"ok={INTAKE_ROWS}" if name == "check" else f"committed={INTAKE_ROWS}"
            if done.returncode != 0 or want not in done.stdout:
                raise SystemExit(f"mulu catalog publish ({name}) failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    finally:
        served.terminate()
        served.wait(60)
        log.close()
    check, publish = INTAKE_ROWS / times["check"], INTAKE_ROWS / times["publish"]
    return {"rows": INTAKE_ROWS, "data_items_per_row": 20, "check_rows_per_s": round(check),
            "publish_rows_per_s": round(publish), "inprocess_catalog_tx_per_s": round(catalog_rate),
            "ratio_publish_to_inprocess": round(publish / catalog_rate, 3), "target_ratio": 0.5}


def _wait_serving(url: str, process, log, timeout: float = 60) -> None:
    """Until the node at ``url`` answers its status (or its process has ended: its ``log``'s end)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise SystemExit(f"mulu node start ended: {log.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/v1/status", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the node at {url} did not answer within {timeout:.0f} s")


def network_figures(solo_rate: float) -> dict:
    """The four-validator figures (:mod:`tests.bench_network`), measured from a process of their own:
    the load comes from clients, not from a process holding the in-process runs' chains."""
    import subprocess

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-m", "tests.bench_network"], capture_output=True, text=True, cwd=repo,
                          timeout=1800, env={**os.environ, "MULU_BENCH_SOLO_RATE": str(solo_rate)})
    if done.returncode != 0:
        raise SystemExit(f"the network benchmark failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pipeline(root: str, profile_name: str, between=None) -> tuple[dict, object]:
    """The pipeline figures of one profile, as ratios to its one-thread verification rate measured
    before and after (``between`` runs in the middle, as the catalog bench does for the default)."""
    v1 = verify_rate(1, profile_name=profile_name)
    v2 = verify_rate(2, profile_name=profile_name)
    inproc = bench_in_process(root, profile_name)
    http = bench_http(root, profile_name)
    extra = between(root) if between else None
    base = (v1 + verify_rate(1, profile_name=profile_name)) / 2
    figures = {
        "verify_1thread_per_s": round(base),
        "verify_2threads_per_s": round(v2),
        "inprocess_commit_tx_per_s": round(inproc),
        "http_batch_commit_tx_per_s": round(http),
        "ratio_inprocess_to_verify": round(inproc / base, 3),
        "ratio_http_to_verify": round(http / base, 3),
        "target_inprocess": 0.5,
        "target_http": round(1 / 3, 3),
    }
    figures["ok"] = figures["ratio_inprocess_to_verify"] >= 0.5 and figures["ratio_http_to_verify"] >= 1 / 3
    return figures, extra


def main() -> int:
    tune_garbage_collector()  # as a node process does at start-up
    with tempfile.TemporaryDirectory() as root:
        figures, cat = pipeline(root, DEFAULT, between=bench_catalog)
        intake = bench_intake(root, cat["commit_tx_per_s"]) if INTAKE else None
        assessed = bench_assessment.measure(root) if ASSESS else None
        gm = pipeline(root, GM)[0] if GM in PROFILES else None
        written = bytes_written.measure(root)
        network = network_figures(figures["inprocess_commit_tx_per_s"]) if NETWORK else None
    ok_foundation = figures.pop("ok")
    acceptance = cat.pop("acceptance")
    report = {
        "transactions": TXS,
        **figures,
        "catalog": {**cat, "target_ratio": 0.4, "target_read_ms": 2.0},
    }
    if gm is not None:
        report["sm2_sm3"] = gm
    report["bytes_per_change"] = written
    if network is not None:
        report["network"] = network
    if intake is not None:
        report["intake"] = intake
    report["ok_foundation"] = ok_foundation
    report["ok_catalog"] = report["catalog"]["ratio_to_verify"] >= 0.4 and all(
        r["p99_ms"] < 2.0 for r in cat["reads"].values())
    report["acceptance_verdict"] = acceptance
    report["ok_acceptance_verdict"] = report["acceptance_verdict"]["ok"]
    report["ok_intake"] = intake is None or intake["ratio_publish_to_inprocess"] >= intake["target_ratio"]
    if assessed is not None:
        report["assessment"] = assessed
    report["ok_assessment"] = assessed is None or assessed["ok"]
    report["ok"] = report["ok_foundation"] and report["ok_catalog"] and report["ok_acceptance_verdict"] \
        and (gm is None or gm["ok"]) and (network is None or network["ok"]) and report["ok_intake"] \
        and report["ok_assessment"]
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
