"""Real multi-node networks for tests: each node a ``mulu node start`` process and a ``cometbft start``
process beside it, on loopback, written by :func:`node.cometbft.network.write_network`.

::

    with TestNetwork(tmp_path, nodes=4) as net:
        net.start()
        net.nodes[1].cometbft.kill()      # SIGKILL CometBFT only
        net.nodes[1].mulu.kill()          # and the mulu process
        net.nodes[1].start()              # mulu first, then CometBFT (which connects to it)
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import tomlkit

from node.cometbft.network import NetworkPlan, node_id, write_network
from node.cometbft.tooling import require_cometbft
from node.home import Home, split_address
from tests.functional import framework
from tests.functional.framework import GENESIS_TIME, TestNode, wait_until
from tests.functional.proxy import Proxy


def free_block(size: int) -> int:
    """The first of ``size`` consecutive free ports in this test process's range."""
    for _ in range(200):
        ports = [framework.free_port() for _ in range(size)]
        if ports == list(range(ports[0], ports[0] + size)):
            return ports[0]
    raise RuntimeError(f"no block of {size} free ports")


class CometProcess:
    """One ``cometbft start`` process with its own log file."""

    def __init__(self, index: int, home: Path) -> None:
        self.index = index
        self.home = home
        self.log_path = home.parent.parent / f"{home.parent.name}.cometbft.log"
        self.process: subprocess.Popen | None = None
        self.exit_codes: list[int] = []

    def start(self) -> None:
        assert not self.running
        with open(self.log_path, "a", encoding="utf-8") as log:
            self.process = subprocess.Popen([str(require_cometbft()), "start", "--home", str(self.home)],
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        rc = self.process.wait(timeout)
        self.exit_codes.append(rc)
        return rc

    def log_tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(f"[cometbft {self.index}] | {line}" for line in text.splitlines()[-lines:])


class NetNode:
    """A mulu process and its CometBFT process."""

    def __init__(self, index: int, home: Home) -> None:
        self.index = index
        self.home = home
        config = home.config()
        self.mulu = TestNode(index, home, port=split_address(config.api)[1], start_timeout=90.0)
        self.cometbft = CometProcess(index, home.path / "cometbft")

    @property
    def client(self):
        return self.mulu.client

    def start(self, *, wait: bool = True) -> None:
        """mulu first (CometBFT connects to its ABCI server when it starts), then CometBFT."""
        if not self.mulu.running:
            self.mulu.start()
        if not self.cometbft.running:
            self.cometbft.start()
        if wait:
            wait_until(lambda: self.client.status()["engine_height"] is not None, timeout=60,
                       nodes=[self.mulu], what=f"node {self.index}'s CometBFT")

    def kill(self) -> None:
        if self.cometbft.running:
            self.cometbft.kill()
        if self.mulu.running:
            self.mulu.kill()

    def status(self) -> dict[str, Any]:
        return self.client.status()


class TestNetwork:
    __test__ = False

    def __init__(self, tmp: Path, nodes: int = 4, validators: int | None = None, proxied: bool = False,
                 **plan: Any) -> None:
        base = free_block(10 * nodes)
        plan.setdefault("genesis_time", GENESIS_TIME)
        self.plan = NetworkPlan(nodes=nodes, validators=validators, base_port=base, chain_id="mulu-testnet", **plan)
        self.homes = write_network(tmp / "net", self.plan)
        self.nodes = [NetNode(i, h) for i, h in enumerate(self.homes)]
        self.proxies: dict[tuple[int, int], Proxy] = {}
        if proxied:
            self._route_through_proxies()

    def _route_through_proxies(self) -> None:
        """Every node dials every other through a proxy of its own for that pair (and peer exchange is
        off, so no node learns another's direct address): links can then be cut pair by pair."""
        n = len(self.nodes)
        first = free_block(n * n)
        for i, node in enumerate(self.nodes):
            config = node.home.path / "cometbft" / "config" / "config.toml"
            doc = tomlkit.parse(config.read_text())
            peers = []
            for j, entry in enumerate(self._peer_entries()):
                if j == i:
                    continue
                proxy = Proxy(first + i * n + j, self.plan.ports(j).p2p)
                self.proxies[(i, j)] = proxy
                peers.append(f"{entry.split('@')[0]}@127.0.0.1:{proxy.port}")
            doc["p2p"]["persistent_peers"] = ",".join(peers)
            doc["p2p"]["pex"] = False
            config.write_text(tomlkit.dumps(doc))

    def _peer_entries(self) -> list[str]:
        return [f"{node_id(json.loads((h.path / 'cometbft' / 'config' / 'node_key.json').read_text()))}@x"
                for h in self.homes]

    def partition(self, *groups: list[int]) -> None:
        """Cut every link between nodes of different groups (both directions)."""
        side = {i: g for g, members in enumerate(groups) for i in members}
        for (i, j), proxy in self.proxies.items():
            if side.get(i) != side.get(j):
                proxy.cut()

    def heal(self) -> None:
        for proxy in self.proxies.values():
            proxy.heal()

    def start(self, nodes: list[int] | None = None) -> None:
        chosen = [self.nodes[i] for i in (range(len(self.nodes)) if nodes is None else nodes)]
        for n in chosen:
            n.mulu.start()
        for n in chosen:
            n.cometbft.start()
        for n in chosen:
            wait_until(lambda n=n: n.status()["engine_height"] is not None, timeout=60, nodes=[n.mulu],
                       what=f"node {n.index}'s CometBFT")

    def wait_all(self, predicate, *, timeout: float = 60.0, what: str = "", nodes: list[NetNode] | None = None) -> None:
        chosen = self.nodes if nodes is None else nodes
        wait_until(lambda: all(predicate(n.status()) for n in chosen), timeout=timeout,
                   nodes=[n.mulu for n in chosen], what=what)

    def tips(self, nodes: list[NetNode] | None = None) -> set[tuple]:
        return {(s["certified"], s["app_hash"]) for s in (n.status() for n in (nodes or self.nodes))}

    def logs(self) -> str:
        return "\n".join(n.mulu.log_tail(15) + "\n" + n.cometbft.log_tail(15) for n in self.nodes)

    def __enter__(self) -> "TestNetwork":
        return self

    def __exit__(self, *exc: Any) -> None:
        for n in self.nodes:
            n.kill()
        for proxy in self.proxies.values():
            proxy.close()
