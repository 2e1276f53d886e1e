"""The genesis document: everything an auditor needs to trust, in one file.

The genesis file is JSON holding only strings, integers, booleans, lists and
objects, so it has one canonical encoding; its hash (the profile hash of that
encoding) is leaf 0 of the chain's history tree and the ``prev_hash`` of block 1.

Chain-level fields are checked here: ``chain_id``, ``profile``,
``genesis_time`` (ms since the epoch), ``clock``, ``validators``, ``params``
and the optional ``engine`` (the consensus engine its nodes run; ``solo``
when absent, and the node checks it knows the name). The application's own sections (``members``, ``policies``...) are
checked by the contracts' genesis hooks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from chain.crypto import CryptoProfile, profile
from chain.encoding import encode
from chain.errors import CryptoError, GenesisInvalid, MuluError

CHAIN_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
ENGINE = re.compile(r"^[a-z][a-z0-9]{0,31}$")
DEFAULT_ENGINE = "solo"
"""The engine of a genesis that names none: one validator, in process."""

DEFAULT_PARAMS: dict[str, int] = {
    "max_tx_bytes": 64 * 1024,
    "max_batch_txs": 5000,
    "max_batch_bytes": 16 * 1024 * 1024,
    "max_block_txs": 5000,
    "mempool_max_txs": 100_000,
}
"""Chain parameters and their defaults; a genesis may set any of them."""


@dataclass(frozen=True)
class Validator:
    """A block signer: a name, the member operating it, its key and voting power.

    ``consensus_key`` is the validator's CometBFT consensus key (Ed25519, 32
    bytes; empty under solo): it maps the engine's validator addresses to the
    mulu validator whose key signs the chain's certificates.
    """

    name: str
    operator: str
    public_key: bytes
    power: int
    consensus_key: bytes = b""

    def to_plain(self) -> list:
        plain = [self.name, self.operator, self.public_key, self.power]
        return plain + [self.consensus_key] if self.consensus_key else plain

    @property
    def engine_address(self) -> bytes:
        """The CometBFT address of the consensus key: the first 20 bytes of its SHA-256."""
        return hashlib.sha256(self.consensus_key).digest()[:20]


@dataclass(frozen=True)
class Clock:
    """How blocks get their time: the validator's clock, or a script.

    A scripted clock gives block ``h`` the time ``start + h * step``, so that a
    demo or test network can play half a year out in seconds.
    """

    mode: str  # "system" or "scripted"
    start: int = 0
    step: int = 0

    def scripted_time(self, height: int) -> int:
        return self.start + height * self.step


@dataclass(frozen=True)
class Genesis:
    """A parsed, checked genesis document."""

    doc: dict[str, Any]
    chain_id: str
    profile: CryptoProfile
    genesis_time: int
    clock: Clock
    validators: tuple[Validator, ...]
    params: dict[str, int]
    engine: str  # the consensus engine every node of the chain runs ("solo" when the document names none)
    hash: bytes
    canonical: bytes  # the document's canonical encoding, whose hash is ``hash``

    @classmethod
    def from_doc(cls, doc: Any) -> "Genesis":
        if type(doc) is not dict:
            raise GenesisInvalid("genesis must be a JSON object")
        try:
            canonical = encode(doc)
        except MuluError as exc:
            raise GenesisInvalid(f"genesis holds a value JSON integers and strings cannot carry: {exc.message}") from None
        chain_id = _field(doc, "chain_id", str)
        if not CHAIN_ID.match(chain_id):
            raise GenesisInvalid("chain_id: lowercase letters, digits, '.', '_' or '-', at most 64",
                                 field="chain_id")
        try:
            prof = profile(_field(doc, "profile", str))
        except MuluError as exc:
            raise GenesisInvalid(exc.message, field="profile") from None
        genesis_time = _field(doc, "genesis_time", int)
        clock = _clock(_field(doc, "clock", dict), genesis_time)
        validators = _validators(prof, _field(doc, "validators", list))
        params = dict(DEFAULT_PARAMS)
        for name, value in _field(doc, "params", dict).items():
            if name not in DEFAULT_PARAMS:
                raise GenesisInvalid(f"params.{name} is not a chain parameter", field=f"params.{name}")
            if type(value) is not int or value < 1:
                raise GenesisInvalid(f"params.{name} must be a positive integer", field=f"params.{name}")
            params[name] = value
        engine = doc.get("engine", DEFAULT_ENGINE)
        if type(engine) is not str or not ENGINE.match(engine):
            raise GenesisInvalid("engine names a consensus engine: lowercase letters and digits", field="engine")
        return cls(doc, chain_id, prof, genesis_time, clock, validators, params, engine, prof.hash(canonical),
                   canonical)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Genesis":
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise GenesisInvalid(f"genesis is not JSON: {exc}") from None
        return cls.from_doc(doc)

    @classmethod
    def load(cls, path: str) -> "Genesis":
        with open(path, "rb") as f:
            return cls.from_json(f.read())

    def to_json(self) -> str:
        return json.dumps(self.doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    def validators_hash(self) -> bytes:
        return validators_hash(self.profile, self.validators)

    def block_time(self, height: int, proposed: int) -> int:
        """The time of block ``height``: scripted, or the proposer's clock reading."""
        if self.clock.mode == "scripted":
            return self.clock.scripted_time(height)
        return proposed


def validators_hash(prof: CryptoProfile, validators: tuple[Validator, ...]) -> bytes:
    """The hash the block header carries for a validator set."""
    return prof.hash(encode([v.to_plain() for v in sorted(validators, key=lambda v: v.name)]))


def _field(doc: dict, name: str, kind: type) -> Any:
    if name not in doc:
        raise GenesisInvalid(f"genesis lacks {name}", field=name)
    value = doc[name]
    if type(value) is not kind:
        raise GenesisInvalid(f"genesis {name} must be {kind.__name__}", field=name)
    return value


def _clock(raw: dict, genesis_time: int) -> Clock:
    mode = raw.get("mode")
    if mode == "system" and set(raw) == {"mode"}:
        return Clock("system")
    if mode == "scripted" and set(raw) == {"mode", "step"}:
        step = raw["step"]
        if type(step) is not int or step < 1:
            raise GenesisInvalid("clock.step must be a positive number of milliseconds", field="clock.step")
        return Clock("scripted", genesis_time, step)
    raise GenesisInvalid('clock is {"mode": "system"} or {"mode": "scripted", "step": ms}', field="clock")


def _validators(prof: CryptoProfile, raw: list) -> tuple[Validator, ...]:
    if not raw:
        raise GenesisInvalid("genesis names no validator", field="validators")
    out, names = [], set()
    for i, v in enumerate(raw):
        where = f"validators[{i}]"
        if type(v) is not dict or not {"name", "operator", "public_key", "power"} <= set(v) \
                or not set(v) <= {"name", "operator", "public_key", "power", "consensus_key"}:
            raise GenesisInvalid(f"{where} needs exactly name, operator, public_key, power (and, on a CometBFT "
                                 f"chain, consensus_key)", field=where)
        if type(v["name"]) is not str or not v["name"] or v["name"] in names:
            raise GenesisInvalid(f"{where}.name must be a unique non-empty string", field=f"{where}.name")
        if type(v["power"]) is not int or v["power"] < 1:
            raise GenesisInvalid(f"{where}.power must be a positive integer", field=f"{where}.power")
        try:
            key = bytes.fromhex(v["public_key"])
            prof.check_public_key(key)
        except (ValueError, TypeError, CryptoError) as exc:
            raise GenesisInvalid(f"{where}.public_key is not a {prof.name} key: {exc}",
                                 field=f"{where}.public_key") from None
        if type(v["operator"]) is not str:
            raise GenesisInvalid(f"{where}.operator must be a member's uscc", field=f"{where}.operator")
        names.add(v["name"])
        out.append(Validator(v["name"], v["operator"], key, v["power"], _consensus_key(v, where)))
    return tuple(out)


def _consensus_key(v: dict, where: str) -> bytes:
    """A validator's CometBFT consensus key: base64 of 32 bytes, as CometBFT writes Ed25519 keys."""
    if "consensus_key" not in v:
        return b""
    try:
        key = base64.b64decode(v["consensus_key"], validate=True)
    except (binascii.Error, TypeError, ValueError):
        key = b""
    if len(key) != 32:
        raise GenesisInvalid(f"{where}.consensus_key is the base64 of a 32-byte Ed25519 public key",
                             field=f"{where}.consensus_key")
    return key
