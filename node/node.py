"""A node: store, ledger, application and consensus engine, from a home folder."""

from __future__ import annotations

from chain.errors import StoreMissing
from chain.ledger import Ledger
from chain.store import LevelStore, MemoryStore, Store
from contracts.registry import Registry
from node.app import Application
from node.home import Home
from node.engines import engine_for


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


class Node:
    """One node of a chain: its ledger, the application over it, and the engine its genesis names."""

    def __init__(self, home: Home, *, store: Store | None = None, verify_threads: int = 2) -> None:
        self.home = home
        self.config = home.config()
        self.ledger = open_ledger(home, store, verify_threads)
        self.genesis = self.ledger.genesis
        # a node votes at the heights where its name is in the validator set in force; elsewhere it follows
        self.app = Application(self.ledger, self.ledger.machine, (self.config.name, home.validator_key()))
        self.engine = engine_for(self.genesis, self.app, self.config)

    @classmethod
    def in_memory(cls, home: Home) -> "Node":
        return cls(home, store=MemoryStore())

    def start(self) -> None:
        self.engine.start()

    def stop(self) -> None:
        self.engine.stop()
        self.ledger.close()
