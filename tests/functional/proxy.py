"""A controllable TCP proxy, for partitions between peers in network tests.

Each proxy listens on 127.0.0.1 and forwards every connection to one target
port, pumping bytes both ways on two threads. :meth:`Proxy.cut` closes what
is open and refuses new connections (the link is down); :meth:`Proxy.heal`
lets them through again. CometBFT authenticates peers end to end (its secret
connection), so a proxy in the path changes nothing but reachability.
"""

from __future__ import annotations

import socket
import threading


class Proxy:
    __test__ = False

    def __init__(self, listen_port: int, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.server = socket.create_server(("127.0.0.1", listen_port))
        self.port = listen_port
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = False
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self._cut:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self._lock:
            self._open.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def cut(self) -> None:
        """Take the link down: close its connections and refuse new ones."""
        self._cut = True
        with self._lock:
            sockets = list(self._open)
        for s in sockets:
            self._close(s)

    def heal(self) -> None:
        self._cut = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.server.close()
