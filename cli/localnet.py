"""A local network's processes: per node ``mulu node start`` and ``cometbft start`` on loopback.

``mulu demo --nodes N`` writes a network with :func:`node.cometbft.network.write_network`
(once; a second run reuses it), starts every mulu process and then every
CometBFT process (which connects to its mulu node's ABCI server), waits until
each node's API answers and its CometBFT reports its height, and stops them
all on exit. Each process writes its log beside its home (``nodeI.mulu.log``,
``nodeI.cometbft.log``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from chain.errors import MuluError
from cli.client import ApiError, Client
from node.cometbft.tooling import require_cometbft
from node.home import Home


def mulu_command() -> list[str]:
    script = Path(sys.executable).with_name("mulu")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


class LocalNetwork:
    """The processes of the nodes whose homes are ``homes``."""

    def __init__(self, homes: list[Home]) -> None:
        self.homes = homes
        self.processes: list[subprocess.Popen] = []
        self.clients = [Client(f"http://{h.config().api}", timeout=30.0) for h in homes]

    def _spawn(self, args: list[str], log: Path) -> subprocess.Popen:
        with open(log, "a", encoding="utf-8") as out:
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def start(self, timeout: float = 90.0) -> None:
        binary = require_cometbft()
        muls = [self._spawn([*mulu_command(), "node", "start", "--home", str(h.path)],
                            h.path.with_name(f"{h.path.name}.mulu.log")) for h in self.homes]
        self._wait(lambda i: self.clients[i].status(), muls, "serve its API", timeout)
        for h in self.homes:
            self._spawn([str(binary), "start", "--home", str(h.path / "cometbft")],
                        h.path.with_name(f"{h.path.name}.cometbft.log"))
        self._wait(lambda i: self.clients[i].status()["engine_height"], muls, "see its CometBFT", timeout)

    def _wait(self, probe, processes: list[subprocess.Popen], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for i, process in enumerate(processes):
            while True:
                if process.poll() is not None or any(p.poll() is not None for p in self.processes):
                    self.stop()
                    raise MuluError(f"a process of the network exited (see the logs beside {self.homes[i].path})",
                                    code="NETWORK_START_FAILED", home=str(self.homes[i].path))
                try:
                    if probe(i):
                        break
                except ApiError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise MuluError(f"node {i} did not {what} within {timeout:.0f} s (see its logs)",
                                    code="NETWORK_START_FAILED", home=str(self.homes[i].path))
                time.sleep(0.1)

    def stop(self) -> None:
        """CometBFT first (it stops deciding blocks), then the mulu nodes, each with SIGTERM."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
