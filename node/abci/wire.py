"""ABCI's socket framing: each protobuf message is preceded by its length as an unsigned varint.

CometBFT v0.38 writes requests on four connections (consensus, mempool,
query, snapshot) this way and reads the answers in the same order.
"""

from __future__ import annotations

from typing import BinaryIO

MAX_MESSAGE = 64 * 1024 * 1024
"""The largest message this server reads (a block of ``max_block_bytes`` fits many times over)."""


class FrameError(Exception):
    """The peer sent bytes that are not a length-prefixed message (or one too large)."""


def uvarint(n: int) -> bytes:
    """``n`` as an unsigned LEB128 varint."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def frame(message: bytes) -> bytes:
    """``message`` with its length prefix."""
    return uvarint(len(message)) + message


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next message from ``stream``, or None at a clean end of stream (between messages)."""
    length, shift = 0, 0
    while True:
        byte = stream.read(1)
        if not byte:
            if shift:
                raise FrameError("the stream ended inside a length prefix")
            return None
        length |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            break
        shift += 7
        if shift > 63:
            raise FrameError("a length prefix longer than 10 bytes")
    if length > MAX_MESSAGE:
        raise FrameError(f"a message of {length} bytes is over the limit of {MAX_MESSAGE}")
    data = stream.read(length)
    if len(data) != length:
        raise FrameError(f"the stream ended {length - len(data)} bytes short of a message")
    return data
