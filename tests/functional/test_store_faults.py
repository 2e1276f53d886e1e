"""Damaged node homes met by real ``mulu`` processes: refused with a stable code, left as they were.

A node commits a few blocks and is restarted, so its store holds tables and a
log. Copies of its home are then damaged as disks and people do — ``CURRENT``
deleted, the ``data`` folder emptied, a table truncated, 64 bytes flipped
inside a table — and shows that:

* ``mulu node start`` and ``mulu export --home`` refuse each of the first three
  with one error line naming its code (``STORE_CORRUPT`` or ``STORE_MISSING``),
  never a traceback, and ``mulu store check`` reports the same finding;
* the damaged folder is still there byte for byte afterwards: no new store at
  height 0, no table deleted;
* flipped bytes, which a start-up need not read, are found by ``mulu store
  check`` (exit 1, ``STORE_CORRUPT``), and every table is still there byte for
  byte (an open of a store rewrites only LevelDB's own MANIFEST and log);
* the undamaged home checks clean and starts again at its height.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from cli.client import Member
from node.home import Home
from node.samples import by_short
from tests.functional.framework import TestNode, free_port, make_home, run_mulu

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def used_home(tmp_path_factory) -> tuple[Home, int]:
    """A stopped node's home after blocks and a restart (its store has tables and a log); its height."""
    home = make_home(tmp_path_factory.mktemp("store-faults") / "node0")
    edu = by_short("市教委")
    with TestNode(0, home) as node:
        node.start()
        member = Member(node.client, home.member_key(edu.uscc), edu.uscc)
        for i in range(3):
            member.call("anchor", "put", {"doc_id": f"doc-{i}", "title": f"文件 {i}", "kind": "other",
                                          "digest": hashlib.sha256(b"%d" % i).digest()}, wait=True)
        node.stop()
        node.start()  # the first log becomes a table
        height = node.height()
        assert node.stop() == 0, node.log_tail()
    assert any(p.suffix == ".ldb" for p in home.data_dir.iterdir())
    return home, height


def tables(data: Path) -> list[Path]:
    return sorted((p for p in data.iterdir() if p.suffix == ".ldb"), key=lambda p: p.stat().st_size)


def files(data: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in data.iterdir()}


def damaged_copy(home: Home, where: Path, damage: Callable[[Path], object]) -> Home:
    shutil.copytree(home.path, where)
    damage(where / "data")
    return Home(where)


def _truncate_largest_table(data: Path) -> None:
    table = tables(data)[-1]
    os.truncate(table, table.stat().st_size // 2)


FAULTS = {
    "CURRENT deleted": (lambda data: (data / "CURRENT").unlink(), "STORE_CORRUPT"),
    "data emptied": (lambda data: [p.unlink() for p in data.iterdir()], "STORE_MISSING"),
    "table truncated": (_truncate_largest_table, "STORE_CORRUPT"),
}


def assert_refused(result, code: str) -> None:
    """Exit 1 with ``error CODE: ...`` as the first line (details below it) and no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert result.stdout.splitlines()[0].startswith(f"error {code}: "), output
    assert "Traceback" not in output


@pytest.mark.parametrize("fault", FAULTS)
def test_invalid_store_is_refused_and_kept(used_home, tmp_path: Path, fault: str):
    """A home whose store lost CURRENT, lost everything, or has a truncated table is refused by node start,
    export and store check alike, with its code; its data folder is the same, byte for byte, afterwards."""
    home, _ = used_home
    damage, code = FAULTS[fault]
    copy = damaged_copy(home, tmp_path / "node0", damage)
    before = files(copy.data_dir)

    started = run_mulu("node", "start", "--home", copy.path, "--api", f"127.0.0.1:{free_port()}", timeout=30)
    assert_refused(started, code)
    assert_refused(run_mulu("export", "--home", copy.path, "--out", tmp_path / "chain.mulu"), code)
    assert not (tmp_path / "chain.mulu").exists()
    checked = run_mulu("store", "check", "--home", copy.path)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert not report["ok"] and [(f["check"], f["code"]) for f in report["findings"]] == [("open", code)]

    assert files(copy.data_dir) == before


def test_flipped_bytes_are_found_by_store_check(used_home, tmp_path: Path):
    """64 flipped bytes inside a table: store check exits 1 with a STORE_CORRUPT scan finding, and every
    table is still there byte for byte; the undamaged home checks clean and starts at its height."""
    home, height = used_home

    def flip(data: Path) -> None:
        table = tables(data)[-1]
        with open(table, "r+b") as f:
            f.seek(table.stat().st_size // 3)
            chunk = f.read(64)
            f.seek(table.stat().st_size // 3)
            f.write(bytes(b ^ 0xFF for b in chunk))

    copy = damaged_copy(home, tmp_path / "node0", flip)
    before = {p.name: p.read_bytes() for p in tables(copy.data_dir)}
    checked = run_mulu("store", "check", "--home", copy.path)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert ("scan", "STORE_CORRUPT") in [(f["check"], f["code"]) for f in report["findings"]], report
    assert {name: (copy.data_dir / name).read_bytes() for name in before} == before

    clean = run_mulu("store", "check", "--home", home.path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    report = json.loads(clean.stdout)
    assert (report["ok"], report["height"], report["findings"]) == (True, height, [])
    with TestNode(0, home) as node:
        node.start()
        assert node.height() == height
        node.stop()
