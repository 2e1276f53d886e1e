"""Install the pinned CometBFT and generate the ABCI message types, from the project's own files.

``make test`` and ``make setup-network`` run ``python -m node.cometbft.tooling``:

1. ``go install github.com/cometbft/cometbft/cmd/cometbft@v0.38.25`` with ``GOBIN``
   set to the project's tool folder (``.tools/bin``), once per machine (the
   binary is kept while ``cometbft version`` prints the pinned version);
2. ``go mod download`` of the same CometBFT module and of the gogoproto module its
   ``go.mod`` pins, which puts their ``.proto`` files in Go's module cache;
3. ``grpc_tools.protoc`` over ``tendermint/abci/types.proto`` and everything it
   imports, writing Python modules to ``node/abci/generated`` (not in git).

The mulu image (``docker/Dockerfile``, rendered by :mod:`node.deploy` from the constants
here) has no Go: a Go build stage downloads the same two modules and copies their proto
folders into one folder, which ``MULU_PROTOS`` names to ``python -m node.cometbft.tooling protos``
(step 3 alone).

Nothing here is written by hand from the protocol: the message types are
CometBFT's own. Errors carry stable codes (``GO_MISSING``, ``COMETBFT_INSTALL_FAILED``,
``PROTO_GENERATION_FAILED``) and the tool's own output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from chain.errors import MuluError

COMETBFT_MODULE = "github.com/cometbft/cometbft"
COMETBFT_VERSION = "v0.38.25"
"""The pinned CometBFT release (the v0.38 line; ``@latest`` resolves to another line)."""
GOGOPROTO_MODULE = "github.com/cosmos/gogoproto"
GOGOPROTO_VERSION = "v1.7.0"
"""The gogoproto release CometBFT v0.38.25's ``go.mod`` requires (its ``gogo.proto`` is imported
by CometBFT's proto files)."""

PROJECT = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("MULU_TOOLS", PROJECT / ".tools"))
GENERATED = Path(__file__).resolve().parents[1] / "abci" / "generated"
PROTO_FOLDERS = ("cometbft", "gogoproto")
"""Under ``MULU_PROTOS``: CometBFT's ``proto`` folder and the gogoproto module's root, by these names."""
PROTOS = ("tendermint/abci/types.proto", "tendermint/crypto/proof.proto", "tendermint/crypto/keys.proto",
          "tendermint/types/params.proto", "tendermint/types/validator.proto", "tendermint/types/types.proto",
          "tendermint/version/types.proto", "tendermint/types/canonical.proto", "gogoproto/gogo.proto")
"""``types.proto`` and every file it imports, directly or not (the well-known types come with protoc), and
``canonical.proto``: the bytes a CometBFT vote signs (tests build equivocation evidence with them)."""


def cometbft_binary() -> Path:
    """Where the pinned CometBFT is: ``MULU_COMETBFT``, else the project's tool folder."""
    given = os.environ.get("MULU_COMETBFT")
    return Path(given) if given else TOOLS / "bin" / "cometbft"


def require_cometbft() -> Path:
    """The CometBFT binary, or ``COMETBFT_MISSING`` saying how to install it."""
    path = cometbft_binary()
    if not path.exists():
        raise MuluError(f"CometBFT {COMETBFT_VERSION} is not installed at {path}: run `make setup-network` "
                        "(needs Go >= 1.22)", code="COMETBFT_MISSING", path=str(path))
    return path


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise MuluError("Go >= 1.22 is needed to install CometBFT (https://go.dev/dl/)", code="GO_MISSING")
    return go


def _run(args: list[str], code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise MuluError(f"{' '.join(args[:3])} failed: {(done.stderr or done.stdout).strip()[-2000:]}", code=code)
    return done.stdout


def installed_version(path: Path) -> str | None:
    """What ``cometbft version`` prints, or None when it cannot run."""
    try:
        done = subprocess.run([str(path), "version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def install_cometbft() -> Path:
    """``go install`` the pinned CometBFT into the tool folder, unless it is there already."""
    target = TOOLS / "bin" / "cometbft"
    if installed_version(target) == COMETBFT_VERSION.lstrip("v"):
        return target
    env = dict(os.environ, GOBIN=str(target.parent), GOFLAGS="-mod=mod")
    target.parent.mkdir(parents=True, exist_ok=True)
    _run([_go(), "install", f"{COMETBFT_MODULE}/cmd/cometbft@{COMETBFT_VERSION}"], "COMETBFT_INSTALL_FAILED", env)
    return target


def module_dir(module: str, version: str) -> Path:
    """The module's folder in Go's module cache (downloading it if needed)."""
    out = _run([_go(), "mod", "download", "-json", f"{module}@{version}"], "COMETBFT_INSTALL_FAILED")
    return Path(json.loads(out)["Dir"])


def proto_roots() -> tuple[Path, Path]:
    """protoc's include folders: CometBFT's ``proto`` folder and the gogoproto module's root, from the
    folder ``MULU_PROTOS`` names (see :data:`PROTO_FOLDERS`), else from Go's module cache."""
    given = os.environ.get("MULU_PROTOS")
    if given:
        return Path(given) / PROTO_FOLDERS[0], Path(given) / PROTO_FOLDERS[1]
    return module_dir(COMETBFT_MODULE, COMETBFT_VERSION) / "proto", module_dir(GOGOPROTO_MODULE, GOGOPROTO_VERSION)


def generate_protos() -> Path:
    """Generate the ABCI message types into ``node/abci/generated`` with grpc_tools' protoc."""
    from grpc_tools import protoc  # a set-up dependency, imported only here

    cometbft, gogo = proto_roots()
    well_known = Path(protoc.__file__).parent / "_proto"
    staging = GENERATED.with_name("generated.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    args = ["protoc", f"-I{cometbft}", f"-I{gogo}", f"-I{well_known}", f"--python_out={staging}", *PROTOS]
    if protoc.main(args) != 0:
        raise MuluError(f"protoc failed on {', '.join(PROTOS)}", code="PROTO_GENERATION_FAILED")
    (staging / "VERSION").write_text(COMETBFT_VERSION + "\n")
    shutil.rmtree(GENERATED, ignore_errors=True)
    staging.rename(GENERATED)
    return GENERATED


def main(argv: list[str]) -> int:
    """Install CometBFT and generate the ABCI types; with the argument ``protos``, only generate them."""
    if argv not in ([], ["protos"]):
        print("usage: python -m node.cometbft.tooling [protos]", file=sys.stderr)
        return 2
    only_protos = argv == ["protos"]
    try:
        binary = None if only_protos else install_cometbft()
        generated = generate_protos()
    except MuluError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 1
    if binary is not None:
        print(f"CometBFT {COMETBFT_VERSION}: {binary}")
    print(f"ABCI types: {generated}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
