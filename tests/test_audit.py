"""Tests of chain.audit: an auditor verifying an exported archive from the genesis file alone.

A small chain (three blocks, ten transactions, one of them refused by a
contract rule) is exported; the archive must audit clean. Then every single
byte of it is flipped, one at a time, and each mutated archive must fail with
a finding that says where (block height or byte offset) and what (field). So
must truncated archives, archives with bytes appended, blocks swapped, dropped
or stripped of their commit, a forged end frame, and a genesis file that is
not the archive's.
"""

from __future__ import annotations

import hashlib
import io
import struct

import pytest

from chain.archive import MAGIC, end_frame, frame, read_frames
from chain.audit import audit_archive
from chain.block import Block
from chain.encoding import decode, encode
from chain.genesis import Genesis
from chain.store import MemoryStore
from chain.tx import make_tx
from contracts.registry import Registry
from node.home import init_home
from node.node import Node
from node.samples import SAMPLE_MEMBERS
from tests.functional.framework import PROFILES

GENESIS_TIME = 1_767_225_600_000
STEP = 3_600_000
MEMBERS = SAMPLE_MEMBERS[:3]  # 经信局 (validator operator), 市委编办, 市财政局
MACHINE = Registry()


class Exported:
    """A small chain, its genesis and its archive bytes."""

    def __init__(self, path, profile_name: str) -> None:
        home = init_home(path, chain_id="mulu-audit", genesis_time=GENESIS_TIME, clock_step_ms=STEP,
                         members=MEMBERS, profile_name=profile_name)
        node = Node(home, store=MemoryStore(), verify_threads=1)
        self.genesis = node.genesis
        keys = {m.uscc: home.member_key(m.uscc) for m in MEMBERS}
        nonces = {m.uscc: 0 for m in MEMBERS}

        def tx(sender, contract, method, args):
            nonces[sender] += 1
            return make_tx(keys[sender], chain_id=self.genesis.chain_id, sender=sender, nonce=nonces[sender],
                           contract=contract, method=method, args=args).to_bytes()

        def anchor(sender, doc_id, content):
            return tx(sender, "anchor", "put", {"doc_id": doc_id, "title": "职责目录", "kind": "duty_catalog",
                                                "digest": hashlib.sha256(content).digest()})

        a, b, c = (m.uscc for m in MEMBERS)
        batches = [
            [anchor(a, "d1", b"1"), anchor(b, "d1", b"1"), anchor(c, "d1", b"1")],
            [anchor(a, "d1", b"2"), anchor(b, "d2", b"1"), anchor(b, "d1", b"1"),  # the last one is refused
             tx(c, "identity", "add_key", {"public_key": self.genesis.profile.generate().public_key})],
            [anchor(a, "d1", b"3"), anchor(c, "d3", b"1"), anchor(b, "d1", b"9")],
        ]
        for raws in batches:
            assert all(adm.ok for adm in node.engine.submit(raws))
            assert node.engine.run_until_empty() == 1
        self.ledger = node.ledger
        out = io.BytesIO()
        self.ledger.export(out)
        self.data = out.getvalue()
        self.frames = list(read_frames(self.data))


@pytest.fixture(scope="module", params=PROFILES)
def chain(tmp_path_factory, request):
    exported = Exported(tmp_path_factory.mktemp("audit") / "home", request.param)
    yield exported
    exported.ledger.close()


def audit(chain, data: bytes, genesis: Genesis | None = None):
    return audit_archive(genesis or chain.genesis, data, MACHINE)


def assert_located(report, what: str) -> None:
    """The archive failed, with a finding naming a height or an offset, and a field."""
    assert not report.ok, what
    assert any((f.height is not None or f.offset is not None) and f.field for f in report.findings), \
        (what, report.findings)


def test_clean_archive_audits(chain):
    """The exported archive of an honest chain audits with no finding."""
    report = audit(chain, chain.data)
    assert report.ok, report.findings
    assert (report.blocks, report.transactions) == (3, 10)
    tip = chain.ledger.tip
    assert tip.hash == chain.genesis.profile.hash(encode(chain.ledger.block(3).header.to_plain()))
    refused = [r for h in (1, 2, 3) for r in chain.ledger.block(h).results if not r.ok]
    assert [r.code for r in refused] == ["ANCHOR_UNCHANGED"]


def test_archive_layout(chain):
    """The archive is the magic, the genesis frame, each stored block, and the end frame."""
    assert chain.data.startswith(MAGIC)
    frames = chain.frames
    assert len(frames) == 5
    assert frames[0].data == encode(["genesis", chain.genesis.doc])
    for h in (1, 2, 3):
        assert Block.from_bytes(frames[h].data) == chain.ledger.block(h)
        assert frames[h].data == chain.ledger.block(h).to_bytes()
    assert end_frame(frames[4].data) == (3, chain.ledger.tip.hash)
    assert frames[-1].offset + 4 + len(frames[-1].data) == len(chain.data)


def _region(chain, i: int) -> tuple[str, int | None]:
    """Which part of the archive byte ``i`` is in: magic, a frame's length, or a frame's data."""
    if i < len(MAGIC):
        return "magic", None
    for fr in chain.frames:
        if fr.offset <= i < fr.offset + 4:
            return "length", fr.index
        if fr.offset + 4 <= i < fr.offset + 4 + len(fr.data):
            return "data", fr.index
    raise AssertionError(i)


def _check_mutant(chain, i: int, mask: int) -> None:
    data = bytearray(chain.data)
    data[i] ^= mask
    report = audit(chain, bytes(data))
    what = f"byte {i} ^ {mask:#04x}"
    assert_located(report, what)
    kind, index = _region(chain, i)
    last = len(chain.frames) - 1
    if kind == "magic":
        assert [(f.field, f.offset) for f in report.findings] == [("magic", 0)], what
    elif kind == "data" and index == 0:
        assert [(f.code, f.height, f.field) for f in report.findings] == [("GENESIS_MISMATCH", 0, "genesis")], what
    elif kind == "data" and index == last:
        assert {f.field for f in report.findings} == {"end"}, (what, report.findings)
    elif kind == "data":
        # a block's bytes: the replay stops at that block, naming its frame's offset
        # (the finding's height is the forged one when the height field itself
        # was changed: see test_invalid_finding_names_the_position_height)
        assert [f.offset for f in report.findings] == [chain.frames[index].offset], (what, report.findings)
        assert report.findings[0].height == index or report.findings[0].field == "header.height", what
        assert report.blocks == index - 1


def test_every_flipped_byte_is_found(chain):
    """Flipping the low bit of any one byte of the archive is always found, and
    located: the magic, the genesis frame, the block whose frame holds the byte
    (with its frame's offset), or the end frame."""
    for i in range(len(chain.data)):
        _check_mutant(chain, i, 0x01)


def test_every_third_byte_inverted_is_found(chain):
    """Inverting a byte (xor 0xff) is found as well, on every third byte."""
    for i in range(0, len(chain.data), 3):
        _check_mutant(chain, i, 0xFF)


def test_invalid_truncated_archives(chain):
    """An archive cut short anywhere (at a frame boundary or inside a frame) fails."""
    boundaries = [fr.offset for fr in chain.frames] + [fr.offset + 2 for fr in chain.frames]
    inside = [fr.offset + 4 + len(fr.data) // 2 for fr in chain.frames]
    for cut in sorted(set([0, 1, len(MAGIC) - 1, len(MAGIC), len(chain.data) - 1] + boundaries + inside)):
        report = audit(chain, chain.data[:cut])
        assert not report.ok, cut
        assert all(f.field for f in report.findings), cut
        if cut > len(MAGIC):
            assert_located(report, f"cut at {cut}")
    codes = {cut: [f.code for f in audit(chain, chain.data[:cut]).findings]
             for cut in (len(MAGIC), chain.frames[1].offset)}
    assert codes == {len(MAGIC): ["ARCHIVE_EMPTY"], chain.frames[1].offset: ["ARCHIVE_TRUNCATED"]}


def test_invalid_appended_bytes(chain):
    """Bytes after the end frame fail: a stray byte, an empty frame, a repeated
    end frame or a repeated block."""
    end = chain.frames[-1]
    last_block = chain.frames[-2]
    for extra in (b"\x00", b"\x00\x00\x00", b"\x00\x00\x00\x00", frame(end.data), frame(last_block.data),
                  frame(last_block.data) + frame(end.data)):
        report = audit(chain, chain.data + extra)
        assert_located(report, extra[:8].hex())


def _rebuild(chain, blocks: list[bytes], end: bytes | None = None) -> bytes:
    return (MAGIC + frame(chain.frames[0].data) + b"".join(frame(b) for b in blocks)
            + frame(chain.frames[-1].data if end is None else end))


def test_invalid_block_order(chain):
    """Swapping, dropping or repeating blocks is found at the first block out of place."""
    b1, b2, b3 = (fr.data for fr in chain.frames[1:4])
    for blocks, height in (([b2, b1, b3], 1), ([b1, b3, b2], 2), ([b1, b3], 2), ([b1, b1, b2, b3], 2),
                           ([b2, b3], 1)):
        data = _rebuild(chain, blocks)
        report = audit(chain, data)
        assert_located(report, str(height))
        offset = list(read_frames(data))[height].offset
        assert [(f.offset, f.field) for f in report.findings] == [(offset, "header.height")]


def test_invalid_finding_names_the_position_height(chain):
    """A block out of place is reported at the height where it sits in the archive,
    not at the height its own header claims."""
    b1, b2, b3 = (fr.data for fr in chain.frames[1:4])
    report = audit(chain, _rebuild(chain, [b2, b1, b3]))
    assert [(f.height, f.field) for f in report.findings] == [(1, "header.height")]


def test_invalid_block_without_commit(chain):
    """A block stripped of its commit fails, naming the commit."""
    plain = decode(chain.frames[2].data)
    plain[3] = None
    report = audit(chain, _rebuild(chain, [chain.frames[1].data, encode(plain), chain.frames[3].data]))
    assert [(f.height, f.field) for f in report.findings] == [(2, "commit")]


def test_invalid_end_frames(chain):
    """An end frame claiming another count or tip hash, or not an end frame at all, fails."""
    blocks = [fr.data for fr in chain.frames[1:4]]
    tip = chain.ledger.tip.hash
    for end, code in ((encode(["end", 2, tip]), "ARCHIVE_END_MISMATCH"),
                      (encode(["end", 4, tip]), "ARCHIVE_END_MISMATCH"),
                      (encode(["end", 3, bytes(32)]), "ARCHIVE_END_MISMATCH"),
                      (encode(["end", 3]), "RECORD_MALFORMED"),
                      (encode(["fin", 3, tip]), "RECORD_MALFORMED"),
                      (b"\xc1", "RECORD_MALFORMED")):
        report = audit(chain, _rebuild(chain, blocks, end))
        assert [(f.code, f.field) for f in report.findings] == [(code, "end")], end.hex()
        assert report.findings[0].offset == chain.frames[-1].offset
    # and the honest end frame rebuilt the same way passes
    assert audit(chain, _rebuild(chain, blocks, encode(["end", 3, tip]))).ok


def test_invalid_frame_lengths(chain):
    """A frame length running past the end of the file fails, naming the offset."""
    data = bytearray(chain.data)
    fr = chain.frames[2]
    struct.pack_into(">I", data, fr.offset, len(chain.data))
    report = audit(chain, bytes(data))
    assert [(f.field, f.offset) for f in report.findings] == [("frame_length", fr.offset)]


def test_invalid_genesis_file(chain, tmp_path):
    """An archive audited against a genesis file that is not its own fails at height 0."""
    other_home = init_home(tmp_path / "other", chain_id="mulu-audit", genesis_time=GENESIS_TIME,
                           clock_step_ms=STEP, members=MEMBERS, profile_name=chain.genesis.profile.name)
    renamed = dict(chain.genesis.doc, members=[dict(m) for m in chain.genesis.doc["members"]])
    renamed["members"][1]["name"] += "（已改）"
    later = dict(chain.genesis.doc, genesis_time=GENESIS_TIME + 1)
    for genesis in (other_home.genesis(), Genesis.from_doc(renamed), Genesis.from_doc(later)):
        report = audit(chain, chain.data, genesis)
        assert [(f.code, f.height, f.field, f.offset) for f in report.findings] == \
            [("GENESIS_MISMATCH", 0, "genesis", len(MAGIC))]
