"""A network of department nodes on CometBFT, written from one configuration.

``mulu testnet --nodes N --out DIR`` (and ``mulu demo --nodes N``, and the
test harness, and ``docker/``) all start from :class:`NetworkPlan`, which
writes, for each node ``i``::

    DIR/node<i>/            a mulu home (genesis.json, node.json, validator.pem, keys/, data/)
    DIR/node<i>/cometbft/   its CometBFT home (config/config.toml, config/genesis.json,
                            config/priv_validator_key.json, config/node_key.json, data/)

One mulu genesis names every validator with its mulu key (Ed25519, or SM2 on a
国密 chain), its power and its CometBFT consensus key; the CometBFT genesis
is derived from it (same chain id and time, the same validators and powers,
vote extensions from height 1). CometBFT's own keys and default configuration
come from ``cometbft init``; the settings mulu needs are then set in
``config.toml`` (the layout's addresses, peers, no empty blocks, mempool size).

Ports: node ``i`` uses ``base + 10*i`` (+0 p2p, +1 RPC, +2 ABCI, +3 the mulu API).

That is the ``loopback`` layout, for processes side by side on one machine. Under the
``docker`` layout (``docker/compose.yaml``, :mod:`node.deploy`) each process runs in a container
of its own, named ``mulu<i>`` and ``cometbft<i>``, so every node uses the standard ports
(:data:`DOCKER_PORTS`), listens on all its container's interfaces, and dials its peers and its
other half by those names.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import tomlkit

from chain.crypto import canonical_name, profile
from chain.errors import MuluError
from chain.genesis import Genesis
from node.cometbft.tooling import require_cometbft
from node.home import Home, NodeConfig, chain_document, finish_home, new_home, write_member_keys, write_private_key
from node.samples import SAMPLE_MEMBERS, SampleMember

ENGINE = "cometbft"
DEFAULT_BASE_PORT = 26600
MAX_NODES = 32


@dataclass(frozen=True)
class NodePorts:
    p2p: int
    rpc: int
    abci: int
    api: int


LOOPBACK = "loopback"
DOCKER = "docker"
LAYOUTS = (LOOPBACK, DOCKER)
"""Where a network's processes listen: all on one host (``loopback``) or each in its own container."""
DOCKER_PORTS = NodePorts(p2p=26656, rpc=26657, abci=26658, api=8500)
"""The ports of every node under the ``docker`` layout: CometBFT's standard ones and mulu's default API port."""
ANYWHERE = "0.0.0.0"
"""Where a process listens under the ``docker`` layout: every interface of its container."""


def mulu_host(i: int) -> str:
    """The host name of node ``i``'s mulu process under the ``docker`` layout (its compose service)."""
    return f"mulu{i}"


def cometbft_host(i: int) -> str:
    """The host name of node ``i``'s CometBFT process under the ``docker`` layout (its compose service)."""
    return f"cometbft{i}"


@dataclass(frozen=True)
class NodeAddresses:
    """Where node ``i``'s two processes listen, and how they reach each other and the other nodes."""

    proxy_app: str
    """``config.toml``'s ``proxy_app``: where CometBFT dials mulu's ABCI server."""
    rpc_laddr: str
    p2p_laddr: str
    peer: str
    """``HOST:PORT`` the other nodes dial for p2p (their ``persistent_peers``, after the node id)."""
    abci: str
    """``node.json``'s ``abci``: where mulu's ABCI server listens."""
    api: str
    rpc: str
    """``node.json``'s ``rpc``: the URL of this node's CometBFT RPC."""


def node_addresses(ports: NodePorts, listen: str, mulu: str, cometbft: str) -> NodeAddresses:
    """A node's addresses: its processes listen on ``listen`` and are reached as ``mulu`` and ``cometbft``."""
    return NodeAddresses(proxy_app=f"tcp://{mulu}:{ports.abci}", rpc_laddr=f"tcp://{listen}:{ports.rpc}",
                         p2p_laddr=f"tcp://{listen}:{ports.p2p}", peer=f"{cometbft}:{ports.p2p}",
                         abci=f"{listen}:{ports.abci}", api=f"{listen}:{ports.api}",
                         rpc=f"http://{cometbft}:{ports.rpc}")


@dataclass(frozen=True)
class NetworkPlan:
    """Everything that fixes a network: its size, chain, clock, members, and where it listens."""

    nodes: int = 4
    chain_id: str = "mulu-net"
    profile_name: str = "ed25519-sha256"
    genesis_time: int = 0
    clock_step_ms: int | None = None
    base_port: int = DEFAULT_BASE_PORT
    host: str = "127.0.0.1"
    validators: int | None = None
    """How many of the nodes validate (the first ones); the rest follow. Default: all."""
    members: tuple[SampleMember, ...] = SAMPLE_MEMBERS
    params: dict[str, int] = field(default_factory=dict)
    timeout_commit_ms: int = 200
    layout: str = LOOPBACK
    """``loopback``: every process on ``host``, node ``i`` on :meth:`ports`; ``docker``: each process
    in its own container (:func:`mulu_host`, :func:`cometbft_host`) on :data:`DOCKER_PORTS`."""

    def check(self) -> None:
        if self.layout not in LAYOUTS:
            raise MuluError(f"layout {self.layout!r} is not one of {', '.join(LAYOUTS)}",
                            code="NETWORK_LAYOUT_INVALID", layout=self.layout)
        if not 1 <= self.nodes <= MAX_NODES:
            raise MuluError(f"a network has 1 to {MAX_NODES} nodes", code="NETWORK_SIZE_INVALID", nodes=self.nodes)
        if not 1 <= self.validator_count <= self.nodes:
            raise MuluError("a network has at least one validator and no more than its nodes",
                            code="NETWORK_SIZE_INVALID", validators=self.validator_count)
        if not 1024 <= self.base_port <= 65535 - 10 * self.nodes:
            raise MuluError(f"base port {self.base_port} leaves no room for {self.nodes} nodes",
                            code="ADDRESS_INVALID", port=self.base_port)

    @property
    def validator_count(self) -> int:
        return self.nodes if self.validators is None else self.validators

    def ports(self, i: int) -> NodePorts:
        p = self.base_port + 10 * i
        return NodePorts(p, p + 1, p + 2, p + 3)

    def addresses(self, i: int) -> NodeAddresses:
        """Node ``i``'s addresses under this plan's layout."""
        if self.layout == DOCKER:
            return node_addresses(DOCKER_PORTS, ANYWHERE, mulu_host(i), cometbft_host(i))
        return node_addresses(self.ports(i), self.host, self.host, self.host)

    def operator(self, i: int) -> SampleMember:
        """The member operating node ``i``: the departments (and districts) first, in genesis order,
        then the authorities; each member submits to the node it operates (:meth:`node_of`)."""
        ordered = sorted(self.members, key=lambda m: not {"department", "district"} & set(m.roles))
        return ordered[i % len(ordered)]

    def node_of(self, member: SampleMember) -> int:
        """The node a member submits to: the one it operates, else one by its place in genesis."""
        for i in range(self.nodes):
            if self.operator(i) == member:
                return i
        return self.members.index(member) % self.nodes


def node_id(node_key: dict) -> str:
    """A CometBFT node id: the hex of the first 20 bytes of the SHA-256 of its Ed25519 public key."""
    pub = base64.b64decode(node_key["priv_key"]["value"])[32:]
    return hashlib.sha256(pub).digest()[:20].hex()


def rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}000000Z"


def cometbft_genesis(genesis: Genesis, max_block_bytes: int = 22020096) -> dict:
    """CometBFT's genesis for a mulu genesis: chain id, time, validators and powers, vote extensions on."""
    return {
        "genesis_time": rfc3339(genesis.genesis_time),
        "chain_id": genesis.chain_id,
        "initial_height": "1",
        "consensus_params": {
            "block": {"max_bytes": str(max_block_bytes), "max_gas": "-1"},
            "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000",
                         "max_bytes": "1048576"},
            "validator": {"pub_key_types": ["ed25519"]},
            "version": {"app": "1"},
            "abci": {"vote_extensions_enable_height": "1"},
        },
        "validators": [{"address": v.engine_address.hex().upper(),
                        "pub_key": {"type": "tendermint/PubKeyEd25519",
                                    "value": base64.b64encode(v.consensus_key).decode()},
                        "power": str(v.power), "name": v.name} for v in genesis.validators],
        "app_hash": "",
    }


def configure(config_file: Path, plan: NetworkPlan, i: int, peers: list[str]) -> None:
    """Set what mulu needs in a node's ``config.toml`` (CometBFT's defaults otherwise)."""
    addresses = plan.addresses(i)
    doc = tomlkit.parse(config_file.read_text())
    doc["proxy_app"] = addresses.proxy_app
    doc["moniker"] = f"node{i}"
    doc["log_level"] = "info"
    doc["rpc"]["laddr"] = addresses.rpc_laddr
    doc["rpc"]["max_body_bytes"] = 64 * 1024 * 1024
    doc["rpc"]["max_request_batch_size"] = 0
    doc["p2p"]["laddr"] = addresses.p2p_laddr
    doc["p2p"]["persistent_peers"] = ",".join(p for j, p in enumerate(peers) if j != i)
    doc["p2p"]["addr_book_strict"] = False
    doc["p2p"]["allow_duplicate_ip"] = True
    doc["p2p"]["flush_throttle_timeout"] = "10ms"
    doc["mempool"]["size"] = 100_000
    doc["mempool"]["cache_size"] = 200_000
    doc["mempool"]["recheck_timeout"] = "10s"
    doc["consensus"]["create_empty_blocks"] = False
    doc["consensus"]["timeout_commit"] = f"{plan.timeout_commit_ms}ms"
    doc["consensus"]["timeout_propose"] = "2s"
    doc["tx_index"]["indexer"] = "null"
    config_file.write_text(tomlkit.dumps(doc))


def write_network(out: Path, plan: NetworkPlan) -> list[Home]:
    """Write every node's mulu and CometBFT homes under ``out``; return the mulu homes."""
    plan.check()
    binary = require_cometbft()
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise MuluError(f"{out} is a file; --out names a folder for the network", code="FOLDER_EXPECTED",
                        path=str(out))
    if out.exists() and any(out.iterdir()):
        raise MuluError(f"{out} is not empty; choose another --out", code="HOME_EXISTS", home=str(out))
    prof = profile(canonical_name(plan.profile_name))
    members = list(plan.members)
    doc, member_keys = chain_document(prof, chain_id=plan.chain_id, genesis_time=plan.genesis_time,
                                      clock_step_ms=plan.clock_step_ms, members=members, params=plan.params)
    doc["engine"] = ENGINE
    homes, peers, mulu_keys = [], [], []
    for i in range(plan.nodes):
        home = new_home(out / f"node{i}")
        cmt = home.path / "cometbft"
        done = subprocess.run([str(binary), "init", "--home", str(cmt)], capture_output=True, text=True)
        if done.returncode != 0:
            raise MuluError(f"cometbft init failed: {done.stderr.strip()[-500:]}", code="COMETBFT_INIT_FAILED")
        node_key = json.loads((cmt / "config" / "node_key.json").read_text())
        peers.append(f"{node_id(node_key)}@{plan.addresses(i).peer}")
        key = prof.generate()
        write_private_key(home.path / "validator.pem", key)
        mulu_keys.append(key)
        if i < plan.validator_count:
            consensus = json.loads((cmt / "config" / "priv_validator_key.json").read_text())["pub_key"]["value"]
            doc["validators"].append({"name": f"node{i}", "operator": plan.operator(i).uscc,
                                      "public_key": key.public_key.hex(), "power": 1, "consensus_key": consensus})
        write_member_keys(home, member_keys)
        homes.append(home)
    genesis = Genesis.from_doc(doc)
    engine_genesis = json.dumps(cometbft_genesis(genesis), indent=2) + "\n"
    for i, home in enumerate(homes):
        cmt = home.path / "cometbft" / "config"
        (cmt / "genesis.json").write_text(engine_genesis)
        configure(cmt / "config.toml", plan, i, peers)
        addresses = plan.addresses(i)
        finish_home(home, genesis, NodeConfig(f"node{i}", addresses.api, "validator.pem",
                                              abci=addresses.abci, rpc=addresses.rpc))
    return homes
