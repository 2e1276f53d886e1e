"""Fixtures shared by the test modules."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from chain import execution
from chain.store import MemoryStore
from cli.serve import Server
from node.home import init_home
from node.node import Node
from tests.functional.framework import GENESIS_TIME, PROFILES, free_port


class _CheckedBlockView(execution.BlockView):
    """A block's view that checks, each time a key read from the starting state is read again,
    that no transaction changed the value it was given: a block's transactions share the values
    read (:class:`chain.execution.BlockView`), so a contract that changed one would change it
    for every later transaction of the block."""

    __slots__ = ("first",)

    def __init__(self, base, writes) -> None:
        super().__init__(base, writes)
        self.first: dict = {}

    def get(self, key: str):
        if key in self.first and key not in self.writes:
            assert self.read[key] == self.first[key], f"a transaction changed the value of {key} it read"
        value = super().get(key)
        if key not in self.first and key in self.read:
            self.first[key] = copy.deepcopy(value)
        return value


@pytest.fixture(autouse=True)
def _reads_unchanged(monkeypatch):
    """Every block executed in a test's process checks that its transactions leave what they read
    as it was (:class:`_CheckedBlockView`)."""
    monkeypatch.setattr(execution, "BlockView", _CheckedBlockView)


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
