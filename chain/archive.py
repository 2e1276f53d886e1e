"""The chain archive: the whole chain in one file, for auditors.

Layout: the magic ``MULUARC1``, then frames of a 4-byte big-endian length and
that many canonical bytes:

* frame 0: ``["genesis", <genesis document>]``;
* frames 1..n: blocks 1..n, exactly as the node stores them (with commits);
* the last frame: ``["end", n, <hash of block n>]``.

Every byte is covered: the genesis frame must equal the auditor's genesis
file, each block by its hash links and signatures, the framing by the lengths
and the end frame. :mod:`chain.audit` checks a file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from chain.encoding import decode, encode
from chain.errors import EncodingError, MalformedRecord

MAGIC = b"MULUARC1"
MAX_FRAME = 256 * 1024 * 1024
_LEN = struct.Struct(">I")


def frame(data: bytes) -> bytes:
    return _LEN.pack(len(data)) + data


def write_archive(out: BinaryIO, genesis_doc: dict, blocks: Iterator[bytes], tip: tuple[int, bytes]) -> int:
    """Write an archive; ``blocks`` yields each block's stored bytes from height 1."""
    out.write(MAGIC)
    out.write(frame(encode(["genesis", genesis_doc])))
    count = 0
    for raw in blocks:
        out.write(frame(raw))
        count += 1
    if count != tip[0]:
        raise MalformedRecord("archive block count differs from the tip", record="archive")
    out.write(frame(encode(["end", tip[0], tip[1]])))
    return count


@dataclass(frozen=True)
class Frame:
    index: int
    offset: int
    data: bytes


def read_frames(data: bytes) -> Iterator[Frame]:
    """Split an archive into frames; raises MalformedRecord naming the offset."""
    if data[: len(MAGIC)] != MAGIC:
        raise MalformedRecord("not a mulu archive (bad magic)", record="archive", offset=0, field="magic")
    offset, index = len(MAGIC), 0
    while offset < len(data):
        if offset + 4 > len(data):
            raise MalformedRecord("archive ends inside a frame length", record="archive", offset=offset,
                                  field="frame_length")
        (length,) = _LEN.unpack_from(data, offset)
        if length > MAX_FRAME or offset + 4 + length > len(data):
            raise MalformedRecord(f"frame {index} length {length} runs past the end", record="archive",
                                  offset=offset, field="frame_length", frame=index)
        yield Frame(index, offset, data[offset + 4: offset + 4 + length])
        offset += 4 + length
        index += 1


def end_frame(data: bytes) -> tuple[int, bytes]:
    """Parse the end frame: (block count, tip hash)."""
    try:
        plain = decode(data)
    except EncodingError as exc:
        raise MalformedRecord(f"end frame: {exc.message}", record="archive", field="end") from None
    if type(plain) is not list or len(plain) != 3 or plain[0] != "end" or type(plain[1]) is not int \
            or type(plain[2]) is not bytes:
        raise MalformedRecord("the last frame must be [end, count, tip hash]", record="archive", field="end")
    return plain[1], plain[2]
