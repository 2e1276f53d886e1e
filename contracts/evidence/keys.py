"""Evidence's state layout: the one place that spells its keys.

::

    evidence/<validator>/<height, 12 digits>/<kind>  {"validator", "height", "kind", "time", "recorded_height"}
"""

from __future__ import annotations

EVIDENCE = "evidence/"


def validator_prefix(validator: str) -> str:
    return f"{EVIDENCE}{validator}/"


def evidence_key(validator: str, height: int, kind: str) -> str:
    return f"{validator_prefix(validator)}{height:012d}/{kind}"
