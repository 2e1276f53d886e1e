"""Sharing requests' and 校核 disputes' state layout: the one place that spells their keys.

::

    sharing/request/<id>                          a sharing request: its current record (open, then approved or
                                                  refused); every earlier version is in the key's state history
    sharing/dispute/<id>                          a 校核 dispute: open, extended once, answered
    idx/sharing/by_requester/<uscc>/<id>          derived: the request's status, to list a requester's requests
    idx/sharing/by_provider/<uscc>/<id>           derived: the request's status, to list a provider's requests
    idx/sharing/pending/<provider>/<id>           derived: the filing date, while the request waits for its answer
    idx/sharing/open/<requester>/<resource_code>  derived: the id of the requester's open request for the resource
    idx/sharing/granted/<requester>/<resource_code>
                                                  derived: the id of the requester's last approved request for it
    idx/sharing/dispute_by_user/<uscc>/<id>       derived: the dispute's status, to list a user's disputes
    idx/sharing/dispute_by_provider/<uscc>/<id>   derived: the dispute's status, to list a provider's disputes
    idx/sharing/dispute_pending/<provider>/<id>   derived: the filing date, while the dispute waits for its answer

``<id>`` is the hex id of the transaction that filed the request or dispute (no ``/``);
``<resource_code>`` holds one ``/`` and comes last.
"""

from __future__ import annotations

RECORD_ID = r"[0-9a-f]{64}"
"""A request's or dispute's id: the hex id of the transaction that filed it."""

REQUEST = "sharing/request/"
DISPUTE = "sharing/dispute/"
BY_REQUESTER = "idx/sharing/by_requester/"
BY_PROVIDER = "idx/sharing/by_provider/"
PENDING = "idx/sharing/pending/"
OPEN = "idx/sharing/open/"
GRANTED = "idx/sharing/granted/"
DISPUTE_BY_USER = "idx/sharing/dispute_by_user/"
DISPUTE_BY_PROVIDER = "idx/sharing/dispute_by_provider/"
DISPUTE_PENDING = "idx/sharing/dispute_pending/"


def request_key(request_id: str) -> str:
    return REQUEST + request_id


def dispute_key(dispute_id: str) -> str:
    return DISPUTE + dispute_id


def member_prefix(index: str, uscc: str) -> str:
    """Where ``uscc``'s rows of the per-member ``index`` (one of the prefixes above) lie, by id."""
    return f"{index}{uscc}/"


def member_key(index: str, uscc: str, record_id: str) -> str:
    return member_prefix(index, uscc) + record_id


def open_key(requester: str, resource_code: str) -> str:
    return f"{OPEN}{requester}/{resource_code}"


def granted_key(requester: str, resource_code: str) -> str:
    return f"{GRANTED}{requester}/{resource_code}"
