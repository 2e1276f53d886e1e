"""A contract bug refuses its transaction instead of halting the chain.

A test-only contract raises KeyError on one method. Its transaction is
recorded as refused with CONTRACT_FAULT (the same on every node, since the
code is the same), the sender's nonce still advances, and the next
transactions commit as usual; a re-execution of the block agrees.
"""

from __future__ import annotations

from chain.execution import CONTRACT_FAULT, Effects
from chain.ledger import Ledger, sign_commit
from chain.store import MemoryStore
from chain.tx import make_tx
from contracts.args import Str
from contracts.base import Contract
from contracts.registry import ALL_CONTRACTS, Registry
from node.home import init_home
from node.samples import by_short

faulty = Contract("faulty", "a contract with a bug, for this test")


@faulty.method(args={"key": Str()})
def lookup(view, call):
    """Read a key that does not exist, as a buggy contract might."""
    return Effects({"faulty/x": {}[call.args["key"]]})


@faulty.method(args={"key": Str()})
def store(view, call):
    """Write one record."""
    return Effects({f"faulty/{call.args['key']}": 1})


def test_a_faulting_call_is_refused_and_the_chain_goes_on(tmp_path):
    home = init_home(tmp_path / "h", genesis_time=1_767_225_600_000, clock_step_ms=60_000)
    registry = Registry((*ALL_CONTRACTS, faulty))
    ledger = Ledger(MemoryStore(), home.genesis(), registry, verify_threads=1)
    edu = by_short("市教委").uscc
    key = home.member_key(edu)
    txs = [make_tx(key, chain_id=ledger.genesis.chain_id, sender=edu, nonce=n, contract="faulty", method=m,
                   args={"key": "a"}) for n, m in ((1, "lookup"), (2, "store"))]
    proposal = ledger.execute(txs, 0, "node0", drop_invalid=True)
    results = proposal.block.results
    assert [(r.status, r.code) for r in results] == [("refused", CONTRACT_FAULT), ("ok", "")]
    assert "KeyError" in results[0].message

    validator = home.validator_key()
    block = ledger.append(proposal, sign_commit(ledger, proposal.block.header, "node0", validator.sign))
    assert ledger.state.get("faulty/a") == 1
    assert ledger.state.get(f"nonce/{edu}") == 2

    replay = Ledger(MemoryStore(), home.genesis(), Registry((*ALL_CONTRACTS, faulty)), verify_threads=1)
    assert replay.process(block).block.results == block.results
