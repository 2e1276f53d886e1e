"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain.store import MemoryStore
from cli.serve import Server
from node.home import init_home
from node.node import Node
from tests.functional.framework import GENESIS_TIME, PROFILES, free_port


@pytest.fixture(params=PROFILES)
def profile_name(request) -> str:
    """Each crypto profile in turn: a test taking this fixture runs once per profile.

    Only the representative suites take it (the demo, the node process, the
    crash test, the audit, the CLI's end-to-end calls); the rest run on the
    default profile, whose code paths they share.
    """
    return request.param


@pytest.fixture
def served(tmp_path: Path, request):
    """A node served in process over HTTP on a free port (in-memory store); yields (home, url).

    Its chain is of the default profile, or of the one given by indirect
    parametrisation (``@pytest.mark.parametrize("served", PROFILES, indirect=True)``).
    """
    home = init_home(tmp_path / "home", genesis_time=GENESIS_TIME, clock_step_ms=1000,
                     profile_name=getattr(request, "param", "ed25519-sha256"))
    server = Server(Node(home, store=MemoryStore()), f"127.0.0.1:{free_port()}")
    server.start()
    try:
        yield home, server.url
    finally:
        server.stop()
