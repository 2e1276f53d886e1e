"""A LevelDB folder checked before LevelDB opens it: is the store there, and whole?

LevelDB mends what it finds when it opens a folder: with no ``CURRENT`` file it
starts a new, empty store and deletes every table of the old one as obsolete,
and it never checks that a table still has the size it was written with. So
:class:`chain.store.LevelStore` calls :func:`check_folder` first, which only
reads: a folder with no store files is *missing* (:class:`StoreMissing`); one
whose ``CURRENT`` file, the MANIFEST it names, or a table the MANIFEST lists is
absent or of another size is *corrupt* (:class:`StoreCorrupt`). Either way
LevelDB never sees the folder, and nothing in it changes.

The MANIFEST is a LevelDB log (32 KiB blocks of records, each ``crc32c (4) |
length (2) | type (1) | payload``, long records split into first, middle and
last pieces) of version edits, each a run of tagged fields. :func:`live_tables`
replays the edits to the tables they leave in place, with their sizes.
Checksums are left to LevelDB, which verifies every record when it opens the
store; a record cut short at the end of the file (a crash while LevelDB wrote
it) is ignored, as LevelDB ignores it.
"""

from __future__ import annotations

import struct
from pathlib import Path

from chain.errors import StorageError, StoreCorrupt, StoreMissing

_BLOCK = 32768
_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
_LOG_HEADER = struct.Struct("<4xHB")
_LEVEL_TAGS = {5, 6, 7}
"""Version-edit tags whose field starts with a level: compact pointer, deleted file, new file."""

STORE_FILE_SUFFIXES = (".ldb", ".sst", ".log")
"""Tables (``.ldb``, or ``.sst`` from older LevelDB) and write-ahead logs. With ``CURRENT``
and ``MANIFEST-*``, these are a store's files; ``LOCK`` and ``LOG`` (LevelDB's own
diary) are not."""


def check_folder(path: str) -> None:
    """Refuse ``path`` unless it holds a whole LevelDB store: its ``CURRENT`` file, the
    MANIFEST that names, and every table that lists at its recorded size."""
    folder = Path(path)
    try:
        names = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        if not any(n == "CURRENT" or n.startswith("MANIFEST-") or n.endswith(STORE_FILE_SUFFIXES) for n in names):
            raise StoreMissing(f"there is no store in {folder}", path=str(folder))
        if "CURRENT" not in names:
            raise StoreCorrupt(f"the store in {folder} has lost its CURRENT file, which names its MANIFEST",
                               path=str(folder), file="CURRENT")
        current = (folder / "CURRENT").read_bytes()
        manifest = current[:-1].decode("ascii", "replace")
        if not current.endswith(b"\n") or not manifest.startswith("MANIFEST-") or manifest not in names:
            raise StoreCorrupt(f"the store in {folder} has a CURRENT file naming no MANIFEST present",
                               path=str(folder), file="CURRENT", names=current[:64].decode("ascii", "replace"))
        try:
            tables = live_tables((folder / manifest).read_bytes())
        except ValueError as exc:
            raise StoreCorrupt(f"the store in {folder} has an unreadable MANIFEST: {exc}", path=str(folder),
                               file=manifest) from None
        for number, size in sorted(tables.items()):
            _check_table(folder, names, number, size)
    except OSError as exc:
        raise StorageError(f"cannot read the store in {folder}: {exc.strerror}", path=str(folder),
                           file=str(exc.filename)) from exc


def _check_table(folder: Path, names: set[str], number: int, size: int) -> None:
    """Table ``number`` is present with the ``size`` it was written with."""
    name = next((f"{number:06d}{s}" for s in (".ldb", ".sst") if f"{number:06d}{s}" in names), None)
    if name is None:
        raise StoreCorrupt(f"the store in {folder} has lost table {number:06d}.ldb", path=str(folder),
                           file=f"{number:06d}.ldb")
    found = (folder / name).stat().st_size
    if found != size:
        raise StoreCorrupt(f"table {name} in {folder} is {found} bytes, but was written with {size} "
                           f"(truncated or overwritten)", path=str(folder), file=name, size=found, expected=size)


def live_tables(manifest: bytes) -> dict[int, int]:
    """The tables a MANIFEST's edits leave in the store: file number → size in bytes."""
    tables: dict[int, int] = {}
    for edit in _log_records(manifest):
        deleted, added = _version_edit(edit)
        for number in deleted:  # LevelDB applies an edit's deletions before its additions
            tables.pop(number, None)
        tables.update(added)
    return tables


def _log_records(data: bytes):
    """The whole records of a LevelDB log file, reassembled from their pieces."""
    pieces: bytes | None = None
    for start in range(0, len(data), _BLOCK):
        block, pos = data[start:start + _BLOCK], 0
        while pos + _HEADER <= len(block):
            length, kind = _LOG_HEADER.unpack_from(block, pos)
            end = pos + _HEADER + length
            if end > len(block):
                if start + _BLOCK < len(data):
                    raise ValueError(f"a record at byte {start + pos} overruns its block")
                return  # cut short by a crash while it was written: never acknowledged
            payload, pos = block[pos + _HEADER:end], end
            if kind == 0 and length == 0:  # preallocated space: the rest of the block is empty
                break
            if kind in (_FULL, _FIRST) and pieces:
                raise ValueError(f"a record at byte {start + pos} interrupts an unfinished one")
            if kind == _FULL:
                pieces = None
                yield payload
            elif kind == _FIRST:
                pieces = payload
            elif kind in (_MIDDLE, _LAST) and pieces is not None:
                pieces += payload
                if kind == _LAST:
                    yield pieces
                    pieces = None
            else:
                raise ValueError(f"a record at byte {start + pos} has type {kind} out of place")


def _version_edit(edit: bytes) -> tuple[list[int], dict[int, int]]:
    """The table numbers an edit deletes, and those it adds with their sizes."""
    deleted: list[int] = []
    added: dict[int, int] = {}
    pos = 0
    while pos < len(edit):
        tag, pos = _varint(edit, pos)
        if tag in _LEVEL_TAGS:
            _, pos = _varint(edit, pos)
        if tag in (2, 3, 4, 9):  # log number, next file number, last sequence, previous log number
            _, pos = _varint(edit, pos)
        elif tag in (1, 5):  # comparator name; compact pointer (a key)
            pos = _skip_slice(edit, pos)
        elif tag == 6:
            number, pos = _varint(edit, pos)
            deleted.append(number)
        elif tag == 7:
            number, pos = _varint(edit, pos)
            added[number], pos = _varint(edit, pos)
            pos = _skip_slice(edit, _skip_slice(edit, pos))  # smallest and largest keys
        else:
            raise ValueError(f"a version edit has unknown tag {tag}")
    return deleted, added


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7
    raise ValueError("a version edit ends inside a number")


def _skip_slice(data: bytes, pos: int) -> int:
    length, pos = _varint(data, pos)
    if pos + length > len(data):
        raise ValueError("a version edit ends inside a key")
    return pos + length
