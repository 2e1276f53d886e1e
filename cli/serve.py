"""Serve a node: the consensus engine in a thread, the API under uvicorn."""

from __future__ import annotations

import contextlib
import errno
import io
import signal
import socket
import threading
import time

import uvicorn

from chain.errors import MuluError
from node.api import create_app
from node.home import split_address
from node.node import Node


def bind(address: str) -> socket.socket:
    """A listening socket on ``HOST:PORT``, bound before the node says it is serving there, so a
    port in use or a host that is not this machine's is one clear error, not a server that exits."""
    host, port = split_address(address)
    try:
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise MuluError(f"{host}:{port} is in use: stop what serves there or give another --api",
                            code="API_ADDRESS_IN_USE", address=address) from None
        raise MuluError(f"cannot serve on {address}: {exc.strerror or exc}", code="ADDRESS_INVALID",
                        address=address) from None
    # Every answer is sent at once (no Nagle): the connections accepted inherit it. asyncio sets it
    # only on sockets whose protocol number says TCP, which a socket made this way does not, and an
    # answer written in two parts then waited for the client's delayed ACK: 44 ms a request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _QuietServer(uvicorn.Server):
    """A uvicorn server that stops on SIGINT/SIGTERM without re-raising the
    signal afterwards, so the node behind it gets to close its store."""

    @contextlib.contextmanager
    def capture_signals(self):
        if threading.current_thread() is not threading.main_thread():
            yield  # serving in a background thread: the host program owns signals
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class Server:
    """A node serving its API in a background thread (for the demo and tests)."""

    def __init__(self, node: Node, address: str) -> None:
        self.node = node
        try:
            self.socket = bind(address)
        except MuluError:
            node.ledger.close()  # the node never started: release its store for the next try
            raise
        host, port = split_address(address)
        app = create_app(node, export=lambda: _export_chunks(node))
        self.config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        self.server = _QuietServer(self.config)
        self.url = f"http://{host}:{port}"
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 15.0) -> None:
        self.node.start()
        self._thread = threading.Thread(target=self.server.run, args=([self.socket],), name="api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise MuluError(f"the API did not start on {self.url}", code="API_START_FAILED",
                                url=self.url)
            time.sleep(0.02)

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl-C or SIGTERM, or until the engine stops on a fault (a
        block this node cannot execute, a state that disagrees with the chain's), which is then raised
        so that the command exits with its code rather than serve reads of a chain it no longer follows."""
        self.node.start()
        watchdog = threading.Thread(target=self._watch_engine, name="engine-watchdog", daemon=True)
        watchdog.start()
        try:
            self.server.run([self.socket])
        finally:
            self.socket.close()
            self.node.stop()
        fault = self.node.engine.error
        if fault is not None:
            if isinstance(fault, MuluError):
                raise fault
            raise MuluError(f"the engine stopped: {type(fault).__name__}: {fault}", code="ENGINE_FAULT")

    def _watch_engine(self) -> None:
        while not self.server.should_exit:
            if self.node.engine.error is not None:
                self.server.should_exit = True
                return
            time.sleep(0.2)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.socket.close()
        self.node.stop()


def _export_chunks(node: Node):
    """The archive bytes (blocks are immutable, so no lock is needed)."""
    buffer = io.BytesIO()
    node.ledger.export(buffer)
    yield buffer.getvalue()
