"""One real ``mulu node start`` process: it commits, survives a restart, and guards its store.

Shows that a node started from the command line serves the API, commits
submitted transactions, comes back after SIGTERM with its data, and that a
second process on the same home is refused with ``STORE_LOCKED`` while the
first keeps serving — on a chain of each crypto profile.
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest

from cli.client import ApiError, Member
from cli.serve import bind
from node.samples import by_short
from tests.functional.framework import TestNode, free_port, make_home, run_mulu, wait_until

pytestmark = pytest.mark.slow


def anchor_args(doc_id: str, text: str) -> dict:
    return {"doc_id": doc_id, "title": text, "kind": "other", "digest": hashlib.sha256(text.encode()).digest()}


def test_node_commits_restarts_and_locks_its_store(tmp_path: Path, profile_name: str):
    """A node process commits transactions, keeps them over a restart, and refuses a second process."""
    home = make_home(tmp_path / "node0", profile=profile_name)
    with TestNode(0, home) as node:
        node.start()
        assert (node.status()["height"], node.status()["profile"]) == (0, profile_name)

        # Submit one call and wait for it, then a batch, and wait for every tx of it.
        edu = by_short("市教委")
        member = Member(node.client, home.member_key(edu.uscc), edu.uscc)
        answer = member.call("anchor", "put", anchor_args("first", "v1"), wait=True)
        assert answer["status"] == "committed"
        batch = [member.sign("anchor", "put", anchor_args(f"doc-{i}", f"text {i}")).to_bytes() for i in range(20)]
        submitted = node.client.submit_batch(batch)
        assert submitted["accepted"] == 20, submitted
        tx_ids = [answer["tx_id"]] + [r["tx_id"] for r in submitted["results"]]

        def committed() -> bool:
            return all(_found(node, t) for t in tx_ids)

        wait_until(committed, timeout=30, nodes=[node], what="the batch to commit")
        before = node.status()
        # a transaction id is the chain profile's hash (SHA-256 or SM3) of the wire bytes
        assert member.key.profile.name == profile_name
        assert tx_ids[1:] == [member.key.profile.hash(raw).hex() for raw in batch]
        located = {t: node.client.tx(t)["height"] for t in tx_ids}

        # A second process on the same home is refused with STORE_LOCKED, and the first keeps serving.
        with TestNode(1, home) as intruder:
            intruder.start(wait=False)
            rc = intruder.wait_exit(timeout=60)
            assert rc == 1, intruder.log_text()
            assert "STORE_LOCKED" in intruder.log_text()
        assert node.status()["tip_hash"] == before["tip_hash"]

        # Restart by SIGTERM: the data is still there.
        rc = node.stop()
        assert rc in (0, -15), node.log_tail()
        node.start()
        after = node.status()
        assert (after["height"], after["tip_hash"]) == (before["height"], before["tip_hash"])
        assert {t: node.client.tx(t)["height"] for t in tx_ids} == located
        state = node.client.state(f"anchor/doc/{edu.uscc}/doc-19")
        assert state["value"]["title"] == "text 19"

        # Nonces carry over: the member's next call commits on top.
        member.resync()
        assert member.call("anchor", "put", anchor_args("second", "v2"), wait=True)["height"] == after["height"] + 1
        node.stop()

    # The stopped home exports an archive that audits clean.
    archive = tmp_path / "chain.mulu"
    exported = run_mulu("export", "--home", home.path, "--out", archive)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    audited = run_mulu("audit", "verify", "--genesis", home.genesis_file, "--archive", archive)
    assert audited.returncode == 0, audited.stdout + audited.stderr


def _found(node: TestNode, tx_id: str) -> bool:
    try:
        node.client.tx(tx_id)
    except ApiError as exc:
        if exc.code == "TX_NOT_FOUND":
            return False
        raise
    return True


def test_node_stops_cleanly_on_sigterm(tmp_path: Path):
    """SIGTERM stops the node gracefully: the engine stops, the store closes, the exit status is 0."""
    with TestNode(0, make_home(tmp_path / "node0")) as node:
        node.start()
        assert node.stop() == 0, node.log_tail()


def test_the_api_socket_sends_each_answer_at_once():
    """The API's listening socket has TCP_NODELAY and the connections it accepts inherit it, so an
    answer written in two parts is not held back for the client's delayed ACK (about 40 ms a request
    on a kept-alive connection before: asyncio sets the option only on sockets whose protocol number
    says TCP, which an accepted one of this listener does not)."""
    listener = bind(f"127.0.0.1:{free_port()}")
    client = socket.create_connection(listener.getsockname()[:2])
    conn, _ = listener.accept()
    try:
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        for s in (client, conn, listener):
            s.close()
