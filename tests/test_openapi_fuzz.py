"""Schemathesis against ``/v1/openapi.json``: every documented operation, with generated
requests (a fixed seed and a bounded number of examples per operation), answers as the
document says — no 5xx, only documented statuses and content types, bodies matching their
schemas, schema-valid requests accepted and invalid ones refused with 4xx. Submission bodies are
generated in both documented forms, JSON and msgpack bytes.

One check is left out for the two submission routes: a signed transaction's bytes cannot be
described by a schema, so a schema-valid body there is almost never a transaction, and its
refusal (TX_MALFORMED, 400) is the right answer, not a fault.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import schemathesis
from schemathesis.transport.serialization import Binary
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS

from chain.encoding import encode
from chain.store import MemoryStore
from node.api import create_app
from node.home import init_home
from node.node import Node
from tests.functional.framework import GENESIS_TIME

@schemathesis.serializer("application/msgpack")
def _msgpack_body(ctx, value):
    """The bytes of a msgpack submission body as generated (a binary string in the document)."""
    if isinstance(value, Binary):
        return value.data
    return value if isinstance(value, bytes) else encode(value)


EXAMPLES = int(os.environ.get("MULU_FUZZ_EXAMPLES", "30"))


_HOME = tempfile.TemporaryDirectory(prefix="mulu-fuzz-")  # the node's home while this module runs
_NODE = Node(init_home(Path(_HOME.name) / "home", genesis_time=GENESIS_TIME, clock_step_ms=1000),
             store=MemoryStore(), verify_threads=1)
schema = schemathesis.openapi.from_asgi("/v1/openapi.json",
                                        create_app(_NODE, export=lambda: iter([b"mulu archive"])))


SUBMISSIONS = {"/v1/txs", "/v1/txs/batch"}


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    """Every documented operation answers as its OpenAPI description says, for generated requests."""
    excluded = [CHECKS.get_by_names(["positive_data_acceptance"])[0]] if case.path in SUBMISSIONS else []
    case.call_and_validate(excluded_checks=excluded)
