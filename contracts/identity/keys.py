"""Members' state layout: the one place that spells identity's keys.

::

    identity/member/<uscc>  {"uscc", "name", "roles": [...], "status", "added", "removed",
                             "keys": {key_id: {"public_key", "status", "added", "revoked"}}}
    identity/role/<role>    the usccs of the active members holding the role, sorted
"""

from __future__ import annotations

MEMBER = "identity/member/"


def member_key(code: str) -> str:
    return MEMBER + code


ROLE = "identity/role/"


def role_key(role: str) -> str:
    return ROLE + role
