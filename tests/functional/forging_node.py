"""``mulu`` with one fault: this node's vote extensions carry a forged signature.

Run as ``python -m tests.functional.forging_node node start --home H``; every
other behaviour is the real node's. The network must refuse its extensions
(``VerifyVoteExtension``) and certify blocks with the others' signatures.
"""

from __future__ import annotations

from node import certificate
from node.app import Application

_extend = Application.extend_vote


def forged_extend_vote(self, req):
    real = _extend(self, req)
    parts = certificate.read_extension(real)
    if parts is None:
        return real
    block_hash, signature = parts
    return certificate.extension(block_hash, bytes(len(signature)))


Application.extend_vote = forged_extend_vote

if __name__ == "__main__":
    from cli.main import app

    app()
