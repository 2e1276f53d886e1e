"""The committed docker/ folder is what the generator makes today, and it runs the network the plan writes.

No Docker engine runs here, so the tests hold the files to what can be checked without one:
the compose file parsed as YAML names each node's two services with the right images,
commands, volume and start-up order; a network written by the compose file's own ``init``
command has the addresses the services are reached at; and every version in the files is
the one :mod:`node.cometbft.tooling` pins.
"""

from __future__ import annotations

import json
import shlex
import tomllib
from pathlib import Path

import yaml  # PyYAML, a dev dependency
from setuptools import find_packages

from node import deploy
from node.cometbft import tooling
from node.cometbft.network import DOCKER_PORTS, NetworkPlan, cometbft_host, mulu_host, node_id
from tests.functional.framework import run_mulu

ROOT = Path(__file__).resolve().parent.parent
NODES = range(deploy.PLAN.nodes)


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())


def test_committed_docker_files_match_the_generator():
    """Regenerate docker/ in memory; every committed file must match byte for byte."""
    for name, text in deploy.render().items():
        committed = (ROOT / "docker" / name).read_text()
        assert committed == text, f"docker/{name} is stale: run `mulu docker --out docker`"


def test_compose_runs_init_then_a_mulu_and_a_cometbft_service_per_node():
    """Four nodes, as the tests run them: ``init`` writes the network into the shared volume;
    ``mulu<i>`` (the mulu image) starts once it has, ``cometbft<i>`` (the official image of the
    pinned version) once its mulu answers; only the mulu APIs are published, on loopback."""
    doc = compose()
    assert doc == deploy.compose_doc()
    services = doc["services"]
    assert deploy.PLAN.nodes == 4
    assert set(services) == {"init"} | {mulu_host(i) for i in NODES} | {cometbft_host(i) for i in NODES}
    assert services["init"]["image"] == deploy.IMAGE
    assert "mulu testnet --out /net --nodes 4 " in services["init"]["command"][0]
    assert "--layout docker" in services["init"]["command"][0]
    published = []
    for i in NODES:
        mulu, cometbft = services[mulu_host(i)], services[cometbft_host(i)]
        assert mulu["image"] == deploy.IMAGE and mulu["build"]["dockerfile"] == "docker/Dockerfile"
        assert mulu["command"] == ["node", "start", "--home", f"/net/node{i}"]
        assert mulu["depends_on"] == {"init": {"condition": "service_completed_successfully"}}
        assert cometbft["image"] == f"cometbft/cometbft:{tooling.COMETBFT_VERSION}"
        assert cometbft["entrypoint"] == ["cometbft"]
        assert cometbft["command"] == ["start", "--home", f"/net/node{i}/cometbft"]
        assert cometbft["depends_on"] == {mulu_host(i): {"condition": "service_healthy"}}
        assert cometbft["user"] == f"{deploy.USER_ID}:{deploy.USER_ID}"
        for service in (mulu, cometbft):
            assert service["volumes"] == ["net:/net"]
            assert service["healthcheck"]["test"][0] == "CMD"
        assert "ports" not in cometbft
        published += mulu["ports"]
    assert all(p.startswith("127.0.0.1:") for p in published)
    assert len({p.split(":")[1] for p in published}) == len(published), "two nodes on one host port"
    assert doc["volumes"] == {"net": {}}


def test_the_network_init_writes_is_reached_at_the_compose_service_names(tmp_path):
    """Run ``init``'s own command with the volume at a temporary folder: each node's CometBFT
    dials its mulu at ``mulu<i>``, its peers at ``cometbft<j>``, and listens where the other
    containers reach it; each mulu serves its ABCI and API on all interfaces, on the ports the
    compose file publishes and checks, and asks ``cometbft<i>`` for its RPC."""
    doc = compose()
    test, _, command = doc["services"]["init"]["command"][0].partition(" || exec ")
    assert test == "test -f /net/node3/node.json"
    args = [tmp_path / "net" if a == "/net" else a for a in shlex.split(command)]
    assert args[0] == "mulu"
    done = run_mulu(*args[1:])
    assert done.returncode == 0, done.stderr

    ids = []
    for i in NODES:
        node_key = json.loads((tmp_path / f"net/node{i}/cometbft/config/node_key.json").read_text())
        ids.append(node_id(node_key))
    services = doc["services"]
    for i in NODES:
        home = tmp_path / f"net/node{i}"
        assert services[mulu_host(i)]["command"][-1] == f"/net/{home.name}"
        config = tomllib.loads((home / "cometbft/config/config.toml").read_text())
        node = json.loads((home / "node.json").read_text())
        assert config["proxy_app"] == f"tcp://{mulu_host(i)}:{DOCKER_PORTS.abci}"
        peers = config["p2p"]["persistent_peers"].split(",")
        assert peers == [f"{ids[j]}@{cometbft_host(j)}:{DOCKER_PORTS.p2p}" for j in NODES if j != i]
        assert all(p.split("@")[1].split(":")[0] in services for p in peers)
        assert config["p2p"]["laddr"] == f"tcp://0.0.0.0:{DOCKER_PORTS.p2p}"
        assert config["rpc"]["laddr"] == f"tcp://0.0.0.0:{DOCKER_PORTS.rpc}"
        assert node["abci"] == f"0.0.0.0:{DOCKER_PORTS.abci}"
        assert node["rpc"] == f"http://{cometbft_host(i)}:{DOCKER_PORTS.rpc}"
        assert node["api"] == f"0.0.0.0:{DOCKER_PORTS.api}"
        mulu = services[mulu_host(i)]
        assert mulu["ports"][0].endswith(f":{DOCKER_PORTS.api}")
        assert f"http://127.0.0.1:{DOCKER_PORTS.api}/v1/status" in mulu["healthcheck"]["test"][-1]
        assert f"http://127.0.0.1:{DOCKER_PORTS.rpc}/" in services[cometbft_host(i)]["healthcheck"]["test"][-1]
    genesis = json.loads((tmp_path / "net/node0/genesis.json").read_text())
    assert genesis["engine"] == "cometbft" and len(genesis["validators"]) == deploy.PLAN.nodes


def test_the_loopback_layout_is_unchanged():
    """The default layout still puts node i's processes on one host at base+10i (+0 p2p, +1 RPC,
    +2 ABCI, +3 API), which the multi-process tests use."""
    plan = NetworkPlan(base_port=30000)
    a = plan.addresses(2)
    assert (a.proxy_app, a.rpc_laddr, a.p2p_laddr, a.peer) == (
        "tcp://127.0.0.1:30022", "tcp://127.0.0.1:30021", "tcp://127.0.0.1:30020", "127.0.0.1:30020")
    assert (a.abci, a.api, a.rpc) == ("127.0.0.1:30022", "127.0.0.1:30023", "http://127.0.0.1:30021")


def test_mulu_testnet_refuses_an_unknown_layout(tmp_path):
    """A layout that is neither loopback nor docker is one error line, and nothing is written."""
    done = run_mulu("testnet", "--out", tmp_path / "net", "--layout", "kubernetes")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith("error NETWORK_LAYOUT_INVALID: "), done
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "net").exists()


def test_the_image_holds_the_pinned_cometbft_and_generates_the_abci_types():
    """The Dockerfile copies CometBFT from the official image of the pinned version, downloads the
    pinned proto modules in a Go stage, and generates the ABCI types where the installed package
    looks for them; the versions are never typed in the generator, only taken from tooling."""
    text = deploy.dockerfile()
    assert f"COPY --from=cometbft/cometbft:{tooling.COMETBFT_VERSION} /usr/bin/cometbft " in text
    assert (f"go mod download {tooling.COMETBFT_MODULE}@{tooling.COMETBFT_VERSION} "
            f"{tooling.GOGOPROTO_MODULE}@{tooling.GOGOPROTO_VERSION}") in text
    assert "MULU_PROTOS=/protos python -m node.cometbft.tooling protos" in text
    for name in tooling.PROTO_FOLDERS:
        assert f"/protos/{name}" in text
    for package in deploy.PACKAGES:
        assert f"COPY {package} ./{package}" in text
        assert f"!{package}\n" in deploy.dockerignore()
    source = Path(deploy.__file__).read_text()
    for version in (tooling.COMETBFT_VERSION, tooling.GOGOPROTO_VERSION):
        assert version not in source


def test_an_installed_mulu_has_every_package():
    """``pip install .`` (the image) installs every package and subpackage, not only the top ones:
    the package discovery in pyproject.toml finds each folder with an ``__init__.py``."""
    found = set(find_packages(str(ROOT), include=tomllib.loads((ROOT / "pyproject.toml").read_text())
                              ["tool"]["setuptools"]["packages"]["find"]["include"]))
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for top in deploy.PACKAGES
               for p in (ROOT / top).rglob("__init__.py")}
    assert on_disk <= found
    assert {"node.engines", "node.abci", "node.cometbft"} <= found
