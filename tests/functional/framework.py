"""The multi-process test harness, in the manner of bitcoin's ``test/functional``.

A :class:`TestNode` owns one real ``mulu node start`` process, its home folder,
its log file and a typed :class:`cli.client.Client`. Ports are derived from
the test process id (so parallel runs, e.g. under pytest-xdist, do not
collide) and checked by binding before use. Every wait polls a predicate
(:func:`wait_until`) and, on timeout, prints every node's tip; there are no
fixed sleeps. Nodes listen on 127.0.0.1 only.

::

    home = make_home(tmp_path / "node0", profile="sm2-sm3")
    with TestNode(0, home) as node:
        node.start()
        ...
        node.kill()          # SIGKILL
        node.start()         # same home, same port
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from chain.errors import MuluError
from cli.client import ApiError, Client
from node.home import Home, init_home

PORT_MIN = 20000
"""Ports handed out lie in [PORT_MIN, PORT_MIN + PORT_RANGE), below Linux's ephemeral range."""
PORT_RANGE = 12000
PORTS_PER_PROCESS = 40
"""Outside pytest-xdist, a test process starts in its own block of ports, chosen by its pid."""

GENESIS_TIME = 1_767_225_600_000
"""2026-01-01T00:00:00Z in ms: a fixed genesis time for test chains."""

PROFILES = ("ed25519-sha256", "sm2-sm3")
"""The crypto profiles the representative suites run on (the ``profile_name`` fixture)."""

_port_counter = itertools.count()


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port_share() -> tuple[int, int]:
    """Where this test process's ports start in the range, and how many it may walk through: under
    pytest-xdist each worker has a share of its own, so that two workers never hand out one port (a
    port found free is bound only later, by a node's process); otherwise the whole range from a block
    chosen by the pid."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit():
        share = PORT_RANGE // max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
        return int(worker[2:]) * share % PORT_RANGE, share
    return os.getpid() % (PORT_RANGE // PORTS_PER_PROCESS) * PORTS_PER_PROCESS, PORT_RANGE


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on, from this process's share of the range and a counter."""
    base, share = _port_share()
    for _ in range(share):
        port = PORT_MIN + (base + next(_port_counter) % share) % PORT_RANGE
        if _bindable(port):
            return port
    raise RuntimeError("no free port in the test range")


def mulu_command() -> list[str]:
    """How to run the ``mulu`` command: the venv's console script, else ``python -m cli``."""
    script = Path(sys.executable).with_name("mulu")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "cli"]


def run_mulu(*args: str, timeout: float = 60, cwd: str | os.PathLike | None = None) -> subprocess.CompletedProcess:
    """Run ``mulu ARGS`` to completion, capturing its output as text."""
    return subprocess.run([*mulu_command(), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=_child_env())


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "200"  # rich wraps at the terminal width; keep codes on one line
    env.pop("MULU_NODE", None)
    return env


def make_home(path: Path, *, params: dict[str, int] | None = None, clock_step_ms: int | None = None,
              profile: str = "ed25519-sha256") -> Home:
    """A fresh single-validator home with the sample members (as ``mulu init --profile`` makes)."""
    return init_home(path, genesis_time=GENESIS_TIME, clock_step_ms=clock_step_ms, params=params,
                     profile_name=profile)


class TestNode:
    """One ``mulu node start`` process, its home folder, log file and client."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, index: int, home: Home | str | os.PathLike, *, port: int | None = None,
                 start_timeout: float = 60.0) -> None:
        self.index = index
        self.home = home if isinstance(home, Home) else Home(home)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = Client(self.url, timeout=10.0)
        self.start_timeout = start_timeout
        self.log_path = self.home.path.parent / f"{self.home.path.name}.node{index}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.exit_codes: list[int] = []

    # --- lifecycle ---------------------------------------------------------------

    def args(self) -> list[str]:
        return [*mulu_command(), "node", "start", "--home", str(self.home.path), "--api", f"127.0.0.1:{self.port}"]

    def start(self, *, wait: bool = True) -> None:
        """Start the process (appending to the log file); by default wait until it serves."""
        assert not self.running, f"[node {self.index}] is already running"
        self.starts += 1
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"\n--- [node {self.index}] start {self.starts}: {' '.join(self.args())}\n")
            log.flush()
            self.process = subprocess.Popen(self.args(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=_child_env())
        if wait:
            self.wait_for_api()

    def wait_for_api(self, timeout: float | None = None) -> dict[str, Any]:
        """Poll ``/v1/status`` until the node answers; fail with the log if it exits first."""
        deadline = time.monotonic() + (self.start_timeout if timeout is None else timeout)
        while True:
            if self.process is None or self.process.poll() is not None:
                rc = None if self.process is None else self.process.returncode
                raise AssertionError(f"[node {self.index}] exited with {rc} before serving\n{self.log_tail()}")
            try:
                return self.client.status()
            except ApiError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"[node {self.index}] did not serve {self.url} within the timeout\n"
                                     f"{self.log_tail()}")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the process to end; return its exit code."""
        assert self.process is not None, f"[node {self.index}] was never started"
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            rc = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            rc = self.process.wait(10)
            raise AssertionError(f"[node {self.index}] ignored signal {sig} for {timeout}s\n{self.log_tail()}")
        self.exit_codes.append(rc)
        return rc

    def stop(self, timeout: float = 30.0) -> int:
        """Stop gracefully (SIGTERM); return the exit code."""
        return self.kill(signal.SIGTERM, timeout)

    def restart(self, *, sig: int = signal.SIGTERM) -> None:
        """Stop (by ``sig``) and start again on the same home and port."""
        self.kill(sig)
        self.start()

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Wait for a process that should end on its own; return its exit code."""
        assert self.process is not None
        try:
            rc = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"[node {self.index}] still running after {timeout}s\n{self.log_tail()}") from None
        self.exit_codes.append(rc)
        return rc

    def __enter__(self) -> "TestNode":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.running:
            self.kill(signal.SIGKILL)

    # --- reading -----------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return self.client.status()

    def height(self) -> int:
        return self.client.status()["height"]

    def tip(self) -> str:
        """A one-line summary for timeout messages."""
        if not self.running:
            rc = None if self.process is None else self.process.returncode
            return f"[node {self.index}] down (exit {rc})"
        try:
            s = self.client.status()
        except MuluError as exc:
            return f"[node {self.index}] unreachable: {exc.code}"
        return f"[node {self.index}] height {s['height']} tip {s['tip_hash'][:16]} mempool {s['mempool']}"

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return "\n".join(f"[node {self.index}] | {line}" for line in tail)


def wait_until(predicate: Callable[[], Any], *, timeout: float = 30.0, nodes: Sequence[TestNode] = (),
               what: str = "", interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns a truthy value (returned); on timeout print every node's tip.

    Errors a node answers while the predicate runs (it may be restarting)
    count as "not yet".
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except ApiError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            tips = "\n".join(n.tip() for n in nodes) or "(no nodes)"
            logs = "\n".join(n.log_tail(15) for n in nodes)
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate!r}\n{tips}\n{logs}")
        time.sleep(interval)


def wait_for_height(nodes: Iterable[TestNode], height: int, timeout: float = 30.0) -> None:
    """Wait until every node's tip is at least ``height``."""
    nodes = list(nodes)
    wait_until(lambda: all(n.height() >= height for n in nodes), timeout=timeout, nodes=nodes,
               what=f"height {height}")
