"""Process start-up for a node service: what a process whose main job is one node sets once."""

from __future__ import annotations

import gc

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
    the application) out of the collector's way and set :data:`GC_THRESHOLDS`; a node is
    its process's main job."""
    global _gc_tuned
    if _gc_tuned:
        return
    _gc_tuned = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
