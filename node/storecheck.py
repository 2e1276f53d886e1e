"""``mulu store check``: a stopped node's store read back whole, every checksum verified.

At start-up a node reads only a few records (its tip and the roots under it,
:meth:`chain.ledger.Ledger.check_tip`) and meets damage elsewhere only when it
reads there. This check reads every key and value with LevelDB's block
checksums verified, then makes the start-up checks. A scan that meets a
damaged block reads on backwards from the store's end, so the report brackets
the damage between the last key read before it and the first key read after it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

from chain.errors import GenesisInvalid, MuluError, StoreCorrupt, StoreMissing
from chain.store import Store
from node.home import Home
from node.node import open_ledger, open_store


@dataclass(frozen=True)
class Finding:
    """One problem: which check found it (``open``, ``scan`` or ``tip``) and the error it raised."""

    check: str
    code: str
    message: str
    details: dict[str, Any]

    @classmethod
    def of(cls, check: str, exc: MuluError, **details: Any) -> "Finding":
        return cls(check, exc.code, exc.message, {**exc.details, **details})


@dataclass
class StoreReport:
    """What the check read (records and their bytes, the tip's height) and what it found."""

    store: str
    keys: int = 0
    bytes: int = 0
    height: int | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "store": self.store, "keys": self.keys, "bytes": self.bytes, "height": self.height,
                "findings": [asdict(f) for f in self.findings]}


def check_store(home: Home) -> StoreReport:
    """Check the store of ``home`` (its node stopped): open it, scan it, check its tip.

    Damage is reported as findings; an error that stops the check from running
    (not a home, the store held by a running node) is raised.
    """
    home.genesis()  # a home with a readable genesis, before its store is opened
    report = StoreReport(str(home.data_dir))
    try:
        store = open_store(home)
    except (StoreMissing, StoreCorrupt) as exc:
        report.findings.append(Finding.of("open", exc))
        return report
    try:
        _scan(store, report)
    except BaseException:
        store.close()
        raise
    try:
        ledger = open_ledger(home, store, verify_threads=1)  # closes the store when it refuses it
    except (StoreCorrupt, GenesisInvalid) as exc:
        report.findings.append(Finding.of("tip", exc))
    else:
        report.height = ledger.tip.height
        ledger.close()
    return report


def _scan(store: Store, report: StoreReport) -> None:
    """Read every record forwards; at damage, read backwards from the end down to it."""
    after, damage = _read(store.items(), report)
    if damage is None:
        return
    rest = store.items(reverse=True) if after is None else store.items(start=after + b"\x00", reverse=True)
    before, _ = _read(rest, report)
    report.findings.append(Finding.of(
        "scan", damage, after_key=None if after is None else after.hex(),
        before_key=None if before is None else before.hex()))


def _read(items: Iterator[tuple[bytes, bytes]], report: StoreReport) -> tuple[bytes | None, StoreCorrupt | None]:
    """Count ``items`` into ``report`` up to the first damaged block; the last key read, and the damage."""
    last = None
    try:
        for key, value in items:
            report.keys += 1
            report.bytes += len(key) + len(value)
            last = key
    except StoreCorrupt as exc:
        return last, exc
    return last, None
