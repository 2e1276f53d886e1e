"""CometBFT's ABCI message types, generated at set-up (:mod:`node.cometbft.tooling`).

protoc names generated modules after the proto packages (``tendermint.abci``,
``gogoproto``), with absolute imports between them; their folder is put on the
import path here, once, so that those imports resolve.
"""

from __future__ import annotations

import sys

from chain.errors import MuluError
from node.cometbft.tooling import GENERATED

if not (GENERATED / "tendermint" / "abci" / "types_pb2.py").exists():
    raise MuluError(f"the ABCI message types are not generated in {GENERATED}: run `make setup-network`",
                    code="ABCI_TYPES_MISSING", path=str(GENERATED))
if str(GENERATED) not in sys.path:
    sys.path.append(str(GENERATED))

from tendermint.abci import types_pb2 as abci  # noqa: E402
from tendermint.types import types_pb2 as cmt_types  # noqa: E402

__all__ = ["abci", "cmt_types"]
