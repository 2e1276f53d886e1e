"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain.store import MemoryStore
from cli.serve import Server
from node.home import init_home
from node.node import Node
from tests.functional.framework import GENESIS_TIME, free_port


@pytest.fixture
def served(tmp_path: Path):
    """A node served in process over HTTP on a free port (in-memory store); yields (home, url)."""
    home = init_home(tmp_path / "home", genesis_time=GENESIS_TIME, clock_step_ms=1000)
    server = Server(Node(home, store=MemoryStore()), f"127.0.0.1:{free_port()}")
    server.start()
    try:
        yield home, server.url
    finally:
        server.stop()
