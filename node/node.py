"""A running node: store, ledger, application and consensus engine, from a home folder."""

from __future__ import annotations

import gc

from chain.errors import StoreMissing
from chain.ledger import Ledger
from chain.store import LevelStore, MemoryStore, Store
from contracts.registry import Registry
from node.app import Application
from node.home import Home
from node.solo import Solo


def open_store(home: Home) -> LevelStore:
    """Open the home's existing LevelDB store; never create one (``init_home`` does, once).

    A home whose store is gone is refused with ``STORE_MISSING``, one whose store
    files are incomplete (no ``CURRENT``, a lost or truncated table) with
    ``STORE_CORRUPT``, both before LevelDB opens the folder, so nothing in it
    changes; a store another process holds is refused with ``STORE_LOCKED``.
    """
    try:
        return LevelStore(str(home.data_dir))
    except StoreMissing:
        raise StoreMissing(f"there is no store in {home.data_dir}: restore it from a backup (a node never "
                           f"starts a new chain in place of a lost one)", path=str(home.data_dir)) from None


def open_ledger(home: Home, store: Store | None = None, verify_threads: int = 2) -> Ledger:
    """The home's ledger on its existing store (or on ``store``), checked at its tip.

    The store is closed again when it is refused (see :meth:`Ledger.check_tip`).
    """
    genesis = home.genesis()  # checks the home before its store is opened
    store = store if store is not None else open_store(home)
    try:
        ledger = Ledger(store, genesis, Registry(), verify_threads=verify_threads)
    except BaseException:
        store.close()
        raise
    try:
        ledger.check_tip()
    except BaseException:
        ledger.close()
        raise
    return ledger


GC_THRESHOLDS = (1_000_000, 50, 100)
"""Python's cyclic collector, tuned for a node: a collection of the youngest
objects once a million more have been allocated than freed, instead of 700.
Each collection walks the live young objects — the mempool's transactions and
the block being built, a few hundred thousand — so its cost is that working
set, and only the interval is ours to choose. A block allocates millions of
short-lived, acyclic objects (decoded arguments, records, encodings): with the
defaults the collector took about a tenth of block production, at 100,000
still 4%, now under 2% (tests/bench.py's catalog section). Cyclic garbage (a
refused call's exception and traceback) is still collected: under a full load
of catalog entries, one pause of about a third of a second every few tens of
thousands of transactions."""


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
