"""A node's store is made once, then only opened: lost or damaged files are refused, never replaced.

LevelDB mends what it finds: with its ``CURRENT`` file gone it starts an empty
store and deletes the old tables, and it never notices a truncated table until
a read needs it. These tests damage real LevelDB folders the ways disks and
people do — ``CURRENT`` deleted, the folder emptied, a table truncated or lost,
bytes flipped inside a table — and show that:

* a lost store is refused with ``STORE_MISSING`` and a damaged one with
  ``STORE_CORRUPT``, before LevelDB opens the folder, which stays byte for byte
  as it was;
* every read verifies checksums, and every damage a read meets is ``STORE_CORRUPT``;
* a ledger writes a genesis only into a store just created;
* the start-up check refuses a tip that differs from its block, state root or history;
* ``check_store`` reads every record and brackets the damage it meets.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import plyvel
import pytest

from chain.encoding import decode_trusted, encode_local
from chain.errors import MuluError, StoreCorrupt, StoreLocked
from chain.leveldb_files import live_tables
from chain.ledger import Ledger, sign_commit
from chain.merkle import node_key as history_key
from chain.statetree import root_key
from chain.store import LevelStore, MemoryStore
from contracts.registry import Registry
from node.home import Home, init_home
from node.node import open_ledger, open_store
from node.storecheck import check_store
from tests.functional.framework import GENESIS_TIME

RECORDS = 2000
"""Records in a test store: 2000 of 200 random bytes, about a hundred 4 KiB blocks."""


def make_store(path: Path) -> dict[bytes, bytes]:
    """A LevelDB store at ``path`` whose records sit in a table (opened twice: the
    second open turns the first one's log into a table); its records."""
    rng = random.Random(16)
    records = {b"k%05d" % i: rng.randbytes(200) for i in range(RECORDS)}
    store = LevelStore(str(path), create=True)
    store.write(records.items())
    store.close()
    LevelStore(str(path)).close()
    return records


def assert_holds(path: Path, records: dict[bytes, bytes]) -> None:
    """The store at ``path`` opens and holds exactly ``records``."""
    store = LevelStore(str(path))
    try:
        assert dict(store.items()) == records
    finally:
        store.close()


def tables(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.suffix == ".ldb")


def snapshot(path: Path) -> dict[str, bytes] | None:
    """Every file in ``path`` with its bytes (None when the folder is absent)."""
    return {p.name: p.read_bytes() for p in path.iterdir()} if path.exists() else None


def flip(path: Path, offset: int, count: int = 64) -> None:
    """Invert ``count`` bytes of file ``path`` from ``offset``."""
    with open(path, "r+b") as f:
        f.seek(offset)
        data = f.read(count)
        f.seek(offset)
        f.write(bytes(b ^ 0xFF for b in data))


def _lose_manifest(path: Path) -> None:
    (path / "CURRENT").write_text("MANIFEST-999999\n")


FAULTS = {
    "folder absent": (lambda p: None, "STORE_MISSING", None),
    "folder emptied": (lambda p: [f.unlink() for f in p.iterdir()], "STORE_MISSING", None),
    "CURRENT deleted": (lambda p: (p / "CURRENT").unlink(), "STORE_CORRUPT", "CURRENT"),
    "CURRENT names a lost MANIFEST": (_lose_manifest, "STORE_CORRUPT", "CURRENT"),
    "table lost": (lambda p: tables(p)[0].unlink(), "STORE_CORRUPT", "table"),
    "table truncated": (lambda p: os.truncate(tables(p)[0], tables(p)[0].stat().st_size - 100), "STORE_CORRUPT",
                        "table"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_invalid_store_folder_is_refused_untouched(tmp_path: Path, fault: str):
    """A store folder that is absent, empty or incomplete is refused with its code, and nothing in it changes
    (LevelDB never sees it, so it neither starts a new store there nor deletes the old tables)."""
    damage, code, file = FAULTS[fault]
    path = tmp_path / "db"
    if fault != "folder absent":
        make_store(path)
    damage(path)
    before = snapshot(path)
    with pytest.raises(MuluError) as info:
        LevelStore(str(path))
    assert info.value.code == code, info.value
    if file == "table":
        assert re.fullmatch(r"\d{6}\.ldb", info.value.details["file"]), info.value.details
    elif file:
        assert info.value.details["file"] == file
    assert snapshot(path) == before


def test_truncated_table_is_named_with_both_sizes(tmp_path: Path):
    """A truncated table is refused naming the file, its size and the size it was written with."""
    path = tmp_path / "db"
    make_store(path)
    table = tables(path)[0]
    size = table.stat().st_size
    os.truncate(table, size // 2)
    with pytest.raises(StoreCorrupt) as info:
        LevelStore(str(path))
    assert info.value.details == {"path": str(path), "file": table.name, "size": size // 2, "expected": size}


def test_create_refuses_an_existing_store(tmp_path: Path):
    """``create=True`` makes a new store and refuses a folder that already holds one, leaving it alone."""
    path = tmp_path / "db"
    records = make_store(path)
    with pytest.raises(MuluError) as info:
        LevelStore(str(path), create=True)
    assert info.value.code == "STORAGE_ERROR"
    assert_holds(path, records)


def test_live_tables_agree_with_leveldb(tmp_path: Path):
    """The MANIFEST read without LevelDB lists the tables LevelDB lists, with their sizes, after a churn of
    flushes and compactions has written and deleted hundreds of tables; a MANIFEST whose last record was cut
    short by a crash still reads."""
    path = tmp_path / "db"
    rng = random.Random(7)
    db = plyvel.DB(str(path), create_if_missing=True, write_buffer_size=64 << 10)
    try:
        for i in range(4_000):  # long keys: each edit names a table's first and last, so edits are long too
            db.put(rng.randbytes(1000), rng.randbytes(rng.randint(20, 120)))
            if i % 1_000 == 0:
                for key in list(db.iterator(include_value=False))[:100]:
                    db.delete(key)
        db.compact_range()  # waits, and leaves nothing for a background compaction to change
        listed = {int(n): int(size) for n, size in
                  re.findall(r"^ (\d+):(\d+)\[", db.get_property(b"leveldb.sstables").decode(), re.M)}
        manifest = (path / (path / "CURRENT").read_text().strip()).read_bytes()
    finally:
        db.close()
    assert len(manifest) > 32768  # records in several blocks of the log format
    assert listed and live_tables(manifest) == listed
    live_tables(manifest[:-3])


def test_table_left_by_a_crash_is_no_fault(tmp_path: Path):
    """A table file the MANIFEST does not list (a flush or compaction cut short by a crash) does not stop
    the store from opening: LevelDB removes it, and the records are all there."""
    path = tmp_path / "db"
    records = make_store(path)
    (path / "000999.ldb").write_bytes(b"half a table")
    assert_holds(path, records)


def test_reads_verify_checksums(tmp_path: Path):
    """Flipped bytes inside a table are never read back as data: every read of a damaged block
    raises STORE_CORRUPT, and every other read returns the record as written."""
    path = tmp_path / "db"
    records = make_store(path)
    table = tables(path)[0]
    flip(table, table.stat().st_size // 3)
    store = LevelStore(str(path))
    try:
        damaged = 0
        for key, value in records.items():
            try:
                assert store.get(key) == value
            except StoreCorrupt:
                damaged += 1
        assert 0 < damaged < RECORDS
        with pytest.raises(StoreCorrupt):
            list(store.items())
        with pytest.raises(StoreCorrupt):
            list(store.items(reverse=True))
    finally:
        store.close()


def test_read_of_a_table_truncated_after_open_is_corrupt(tmp_path: Path):
    """A table truncated after the store was opened (LevelDB answers "IO error: Invalid argument"
    for a read past its end) is STORE_CORRUPT, as is every other damage."""
    path = tmp_path / "db"
    make_store(path)
    store = LevelStore(str(path))
    try:
        table = tables(path)[0]
        os.truncate(table, table.stat().st_size // 2)  # before any read opens the table
        with pytest.raises(StoreCorrupt) as info:
            store.get(b"k00001")
        assert "Invalid argument" in info.value.message
    finally:
        store.close()


def test_second_open_is_store_locked(tmp_path: Path):
    """A store held open is refused to a second opener with STORE_LOCKED."""
    path = tmp_path / "db"
    make_store(path)
    store = LevelStore(str(path))
    try:
        with pytest.raises(StoreLocked):
            LevelStore(str(path))
    finally:
        store.close()


# --- the ledger on its store --------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return init_home(tmp_path / "home", genesis_time=GENESIS_TIME, clock_step_ms=1000)


def test_init_makes_the_store_and_genesis(home: Home):
    """init_home creates the home's store with the genesis in it; opening it finds height 0."""
    ledger = open_ledger(home)
    try:
        assert (ledger.tip.height, ledger.tip.hash) == (0, home.genesis().hash)
    finally:
        ledger.close()


def test_invalid_existing_store_without_genesis(tmp_path: Path, home: Home):
    """A ledger writes a genesis only into a store just created: an existing store without one
    is refused as corrupt and left as it was."""
    path = tmp_path / "db"
    store = LevelStore(str(path), create=True)
    store.write([(b"x", b"1")])
    store.close()
    store = LevelStore(str(path))
    with pytest.raises(StoreCorrupt):
        Ledger(store, home.genesis(), Registry(), verify_threads=1)
    assert list(store.items()) == [(b"x", b"1")]
    store.close()


def chain_of(home: Home, blocks: int) -> MemoryStore:
    """A MemoryStore holding the home's chain with ``blocks`` empty blocks."""
    store = MemoryStore()
    ledger = Ledger(store, home.genesis(), Registry(), verify_threads=1)
    key = home.validator_key()
    for _ in range(blocks):
        proposal = ledger.execute([], 0, "node0", drop_invalid=True)
        ledger.append(proposal, sign_commit(ledger, proposal.block.header, "node0", key.sign))
    return store


def _other_state_root(store: MemoryStore, height: int) -> list:
    root, at, base = decode_trusted(store.get(b"N" + root_key(height)))
    return [(b"N" + root_key(height), encode_local([bytes(len(root)), at, base]))]


TIP_DAMAGE = {
    "block hash by height": (lambda s: [(b"H" + (3).to_bytes(8, "big"), bytes(32))], {"part": "H"}),
    "history leaf": (lambda s: [(b"M" + history_key(0, 3), bytes(32))], {"part": "M"}),
    "history node": (lambda s: [(b"M" + history_key(1, 0), bytes(32))], {"field": "header.history_root"}),
    "state root": (lambda s: _other_state_root(s, 3), {"field": "header.state_root"}),
    "block replaced": (lambda s: [(b"B" + (3).to_bytes(8, "big"), s.get(b"B" + (2).to_bytes(8, "big")))],
                       {"field": "header.hash"}),
    "block undecodable": (lambda s: [(b"B" + (3).to_bytes(8, "big"), b"\xc1")], {"part": "B"}),
    "block lost": (lambda s: [(b"B" + (3).to_bytes(8, "big"), None)], {"part": "B"}),
}


def test_tip_check_passes_a_whole_store(home: Home):
    """The start-up check passes a whole chain at height 0 and at height 3."""
    for blocks in (0, 3):
        ledger = open_ledger(home, chain_of(home, blocks))
        assert ledger.tip.height == blocks
        ledger.close()


@pytest.mark.parametrize("damage", TIP_DAMAGE)
def test_invalid_tip_is_refused_at_start_up(home: Home, damage: str):
    """A store whose tip differs from its block, state root or history is refused with STORE_CORRUPT naming
    the part that differs; the store is closed again."""
    writes, named = TIP_DAMAGE[damage]
    store = chain_of(home, 3)
    store.write(writes(store))
    with pytest.raises(StoreCorrupt) as info:
        open_ledger(home, store)
    assert info.value.details["height"] == 3
    assert {k: info.value.details.get(k) for k in named} == named, info.value.details
    assert store.closed


# --- the full check ----------------------------------------------------------------------


def test_store_check_reads_everything_and_brackets_damage(home: Home):
    """check_store passes a whole store, reading every record; with bytes flipped in a table it reports
    STORE_CORRUPT, the last key read before the damage and the first after it; with the store held by
    another opener it cannot run, and says so."""
    ledger = open_ledger(home)
    count = sum(1 for _ in ledger.store.items())
    ledger.close()
    clean = check_store(home)
    assert (clean.ok, clean.keys, clean.height) == (True, count, 0)

    store = open_store(home)
    with pytest.raises(StoreLocked):
        check_store(home)
    store.close()

    table = max(tables(home.data_dir), key=lambda p: p.stat().st_size)
    flip(table, table.stat().st_size // 3)
    report = check_store(home)
    assert not report.ok and report.keys < count
    scan = next(f for f in report.findings if f.check == "scan")
    assert scan.code == "STORE_CORRUPT"
    after, before = scan.details["after_key"], scan.details["before_key"]
    assert before is not None and (after is None or bytes.fromhex(after) < bytes.fromhex(before))
