"""A running node: store, ledger, application and consensus engine, from a home folder."""

from __future__ import annotations

import gc

from chain.errors import StorageError
from chain.ledger import Ledger
from chain.store import LevelStore, MemoryStore, Store
from contracts.registry import Registry
from node.app import Application
from node.home import Home
from node.solo import Solo


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


GC_THRESHOLDS = (100_000, 50, 100)
"""Python's cyclic collector, tuned for a node: collections of the youngest
objects every 100,000 allocations instead of 700. A block allocates millions of
short-lived, acyclic objects (decoded arguments, records, encodings), and with
the defaults the collector walked the mempool's and the block's live objects
again and again: about a tenth of block production (measured with
tests/bench.py's catalog section). Cyclic garbage is still collected."""


_gc_tuned = False


def tune_garbage_collector() -> None:
    """Once per process: collect what is garbage now, move what remains (modules,
    the app) out of the collector's way and set :data:`GC_THRESHOLDS`; a node is
    its process's main job."""
    global _gc_tuned
    if _gc_tuned:
        return
    _gc_tuned = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class Node:
    """One node of a chain, ready to serve the API and make blocks."""

    def __init__(self, home: Home, *, store: Store | None = None, verify_threads: int = 2) -> None:
        tune_garbage_collector()
        self.home = home
        self.config = home.config()
        self.ledger = open_ledger(home, store, verify_threads)
        self.genesis = self.ledger.genesis
        self.app = Application(self.ledger)
        self.engine = Solo(self.app, self.config.name, home.validator_key())

    @classmethod
    def in_memory(cls, home: Home) -> "Node":
        return cls(home, store=MemoryStore())

    def start(self) -> None:
        self.engine.start()

    def stop(self) -> None:
        self.engine.stop()
        self.ledger.close()
