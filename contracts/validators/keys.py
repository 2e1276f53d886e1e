"""The validator sets' state layout: the one place that spells their keys.

::

    validators/set/<effective height, 12 digits>  [{"name", "operator", "public_key", "power", "consensus_key"}...]
                                                   the whole set in force from that height (0: genesis), by name
    validators/latest                              the effective height of the newest set
"""

from __future__ import annotations

SET = "validators/set/"
LATEST = "validators/latest"


def set_key(effective: int) -> str:
    return f"{SET}{effective:012d}"
