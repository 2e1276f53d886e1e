"""A node's home folder: its genesis, configuration, keys and store.

::

    HOME/genesis.json     the chain's genesis (shared by every node and auditor)
    HOME/node.json        this node's configuration (name, API address, key file)
    HOME/validator.pem    this node's validator key (PKCS#8 PEM)
    HOME/keys/<uscc>.pem  member signing keys (a demo convenience: in a real
                          network each department keeps its own)
    HOME/data/            the LevelDB store, made by :func:`init_home` with the
                          genesis in it; everything else only opens it
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from chain.crypto import PrivateKey, canonical_name, load_private_key_file, profile
from chain.errors import MuluError
from chain.genesis import Genesis
from chain.ledger import Ledger
from chain.store import LevelStore
from contracts.registry import Registry
from node.calendar_source import calendar_section
from node.samples import SAMPLE_MEMBERS, SampleMember

DEFAULT_API = "127.0.0.1:8500"


def split_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` as (host, port), checked here so that a bad address is refused when it is
    given (``mulu init --api``), not when a node later fails to serve on it."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise MuluError(f"address {address!r} is not HOST:PORT with a port from 1 to 65535",
                        code="ADDRESS_INVALID", address=address)
    return host, int(port)


@dataclass(frozen=True)
class NodeConfig:
    """``node.json``: the node's validator name, API address and key file; on a CometBFT chain also
    the address its ABCI server listens on for its CometBFT node, and that node's RPC address."""

    name: str
    api: str
    validator_key: str
    abci: str = ""
    rpc: str = ""

    def to_json(self) -> str:
        doc = {"name": self.name, "api": self.api, "validator_key": self.validator_key}
        doc.update({k: v for k, v in (("abci", self.abci), ("rpc", self.rpc)) if v})
        return json.dumps(doc, indent=2) + "\n"


class Home:
    """Paths and loaders for one node's home folder."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @property
    def genesis_file(self) -> Path:
        return self.path / "genesis.json"

    @property
    def config_file(self) -> Path:
        return self.path / "node.json"

    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    def key_file(self, code: str) -> Path:
        return self.path / "keys" / f"{code}.pem"

    def exists(self) -> bool:
        return self.genesis_file.exists() and self.config_file.exists()

    def require(self) -> None:
        if not self.exists():
            raise MuluError(f"{self.path} is not a node home (run `mulu init --home {self.path}`)",
                            code="HOME_NOT_INITIALISED", home=str(self.path))

    def genesis(self) -> Genesis:
        self.require()
        return Genesis.load(str(self.genesis_file))

    def config(self) -> NodeConfig:
        self.require()
        raw = json.loads(self.config_file.read_text())
        return NodeConfig(raw["name"], raw["api"], raw["validator_key"], raw.get("abci", ""), raw.get("rpc", ""))

    def validator_key(self) -> PrivateKey:
        return load_private_key_file(str(self.path / self.config().validator_key))

    def member_key(self, code: str) -> PrivateKey:
        path = self.key_file(code)
        if not path.exists():
            raise MuluError(f"no key file for member {code} in {path.parent}", code="KEY_FILE_MISSING",
                            path=str(path))
        return load_private_key_file(str(path))


def write_private_key(path: Path, key: PrivateKey, passphrase: str | None = None) -> None:
    """Write a PEM key file readable by its owner only, into a folder that exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.to_pem(passphrase.encode() if passphrase else None))


def init_home(path: str | os.PathLike, *, chain_id: str = "mulu-demo", profile_name: str = "ed25519-sha256",
              genesis_time: int, clock_step_ms: int | None = None, api: str = DEFAULT_API,
              members: Iterable[SampleMember] = SAMPLE_MEMBERS, params: dict[str, int] | None = None,
              contract_params: dict[str, int] | None = None) -> Home:
    """Create a single-validator chain: keys for every member and the validator, and a genesis.

    ``profile_name`` (or its alias, e.g. ``sm2``) is the chain's crypto profile: every key made
    here is of it, and the genesis names it.

    ``clock_step_ms`` selects a scripted clock (block h at genesis_time + h*step). The
    genesis carries the working-day calendar of every year ``chinesecalendar`` covers.

    This is the one place a node's store is created, with the genesis state written
    in it; ``node.json`` comes last, so a home exists only once its store does.
    """
    split_address(api)
    prof = profile(canonical_name(profile_name))
    home = new_home(path)
    members = list(members)
    doc, member_keys = chain_document(prof, chain_id=chain_id, genesis_time=genesis_time,
                                      clock_step_ms=clock_step_ms, members=members, params=params,
                                      contract_params=contract_params)
    write_member_keys(home, member_keys)
    operator = next((m for m in members if "validator" in m.roles), members[0])
    validator = prof.generate()
    write_private_key(home.path / "validator.pem", validator)
    doc["validators"] = [{"name": "node0", "operator": operator.uscc, "public_key": validator.public_key.hex(),
                          "power": 1}]
    finish_home(home, Genesis.from_doc(doc), NodeConfig("node0", api, "validator.pem"))
    return home


def new_home(path: str | os.PathLike) -> Home:
    """An empty home folder to make a node in (``HOME_EXISTS`` if one is there)."""
    home = Home(path)
    if home.exists() or home.data_dir.exists():
        raise MuluError(f"{home.path} already holds a node; choose another --home", code="HOME_EXISTS",
                        home=str(home.path))
    try:
        (home.path / "keys").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MuluError(f"cannot make a home in {home.path}: {exc.strerror or exc}", code="HOME_UNWRITABLE",
                        home=str(home.path)) from None
    return home


def chain_document(prof, *, chain_id: str, genesis_time: int, clock_step_ms: int | None,
                   members: list[SampleMember], params: dict[str, int] | None = None,
                   contract_params: dict[str, int] | None = None) -> tuple[dict, dict[str, PrivateKey]]:
    """A genesis document without its validators, and a new signing key for each member."""
    keys = {m.uscc: prof.generate() for m in members}
    doc = {
        "chain_id": chain_id,
        "profile": prof.name,
        "genesis_time": genesis_time,
        "clock": {"mode": "scripted", "step": clock_step_ms} if clock_step_ms else {"mode": "system"},
        "validators": [],
        "members": [{"uscc": m.uscc, "name": m.name, "roles": list(m.roles), "keys": [keys[m.uscc].public_key.hex()]}
                    for m in members],
        "params": dict(params or {}),
        "contract_params": dict(contract_params or {}),
        "calendar": calendar_section(),
    }
    return doc, keys


def write_member_keys(home: Home, keys: dict[str, PrivateKey]) -> None:
    for code, key in keys.items():
        write_private_key(home.key_file(code), key)


def finish_home(home: Home, genesis: Genesis, config: NodeConfig) -> None:
    """Write the genesis, create the store with the genesis state in it, then ``node.json``."""
    home.genesis_file.write_text(genesis.to_json(), encoding="utf-8")
    store = LevelStore(str(home.data_dir), create=True)
    try:
        Ledger(store, genesis, Registry(), verify_threads=1).close()
    finally:
        store.close()
    home.config_file.write_text(config.to_json())
