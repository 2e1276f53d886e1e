"""A node: store, ledger, application and consensus engine, from a home folder."""

from __future__ import annotations

from chain.errors import StorageError
from chain.ledger import Ledger
from chain.store import LevelStore, MemoryStore, Store
from contracts.registry import Registry
from node.app import Application
from node.home import Home
from node.engines import engine_for


def open_store(home: Home) -> LevelStore:
    """Open the home's LevelDB store, saying clearly when a running node holds it."""
    try:
        return LevelStore(str(home.data_dir))
    except StorageError as exc:
        if "lock" in exc.message.lower():
            raise StorageError(f"another process holds the store in {home.data_dir} (is a node running there?)",
                               code="STORE_LOCKED", path=str(home.data_dir)) from None
        raise


def open_ledger(home: Home, store: Store | None = None, verify_threads: int = 2) -> Ledger:
    """The home's ledger (its store opened, genesis written on first use)."""
    genesis = home.genesis()  # checks the home before any store is created in it
    return Ledger(store if store is not None else open_store(home), genesis, Registry(),
                  verify_threads=verify_threads)


class Node:
    """One node of a chain: its ledger, the application over it, and the engine its genesis names."""

    def __init__(self, home: Home, *, store: Store | None = None, verify_threads: int = 2) -> None:
        self.home = home
        self.config = home.config()
        self.ledger = open_ledger(home, store, verify_threads)
        self.genesis = self.ledger.genesis
        self.app = Application(self.ledger, self.ledger.machine, (self.config.name, home.validator_key()))
        self.engine = engine_for(self.genesis, self.app)

    @classmethod
    def in_memory(cls, home: Home) -> "Node":
        return cls(home, store=MemoryStore())

    def start(self) -> None:
        self.engine.start()

    def stop(self) -> None:
        self.engine.stop()
        self.ledger.close()
