"""The ABCI socket server: CometBFT's four connections, each answered in order by one thread.

CometBFT (``proxy_app = "tcp://HOST:PORT"``) opens the consensus, mempool,
query and snapshot connections and writes length-prefixed requests
(:mod:`node.abci.wire`); answers are buffered and written when it asks for a
``Flush``, as its socket client expects. Each connection gets its own thread;
the application serialises what must be (the door's lock, the ledger's lock).
"""

from __future__ import annotations

import errno
import logging
import socket
import threading

from chain.errors import MuluError
from node.abci.adapter import Adapter
from node.abci.proto import abci
from node.abci.wire import FrameError, frame, read_frame
from node.home import split_address

log = logging.getLogger("mulu.abci")


class AbciServer:
    """Serves one :class:`Adapter` on ``HOST:PORT`` until :meth:`stop`."""

    def __init__(self, adapter: Adapter, address: str) -> None:
        self.adapter = adapter
        self.address = address
        self.socket: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []

    def start(self) -> None:
        """Listen (``ABCI_ADDRESS_IN_USE`` when another process does) and accept in the background."""
        host, port = split_address(self.address)
        try:
            self.socket = socket.create_server((host, port))
        except OSError as exc:
            raise MuluError(f"cannot serve ABCI on {self.address}: {exc.strerror or exc}",
                            code="ABCI_ADDRESS_IN_USE" if exc.errno == errno.EADDRINUSE else "ADDRESS_INVALID",
                            address=self.address) from None
        thread = threading.Thread(target=self._accept, name="abci-accept", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), name="abci-conn", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb", buffering=1 << 16)
        out = bytearray()
        try:
            while True:
                message = read_frame(reader)
                if message is None:
                    return
                request = abci.Request.FromString(message)
                response = self.adapter.handle(request)
                out += frame(response.SerializeToString())
                if request.WhichOneof("value") == "flush" or response.WhichOneof("value") == "exception":
                    conn.sendall(out)
                    out.clear()
        except (FrameError, OSError) as exc:
            if not self._stop.is_set():
                log.warning("ABCI connection closed: %s", exc)
        finally:
            reader.close()
            conn.close()
            if conn in self._connections:
                self._connections.remove(conn)

    def stop(self) -> None:
        self._stop.set()
        if self.socket is not None:
            self.socket.close()
        for conn in self._connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
