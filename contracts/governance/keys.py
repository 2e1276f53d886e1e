"""Governance's state layout: the one place that spells its keys.

::

    governance/rules                     {"approvers": [...], "threshold": k}
    governance/policy/<contract.method>  {"roles": [...] | None}
    governance/proposal/<id>             id = hex of the proposing tx id
    idx/governance/status/<status>/<id>  derived: the proposals in each status
"""

from __future__ import annotations

RULES_KEY = "governance/rules"
POLICY = "governance/policy/"
PROPOSAL = "governance/proposal/"
BY_STATUS = "idx/governance/status/"


def proposal_key(proposal_id: str) -> str:
    return PROPOSAL + proposal_id


def status_prefix(status: str) -> str:
    return f"{BY_STATUS}{status}/"


def status_key(status: str, proposal_id: str) -> str:
    """Derived index: the proposals in each status, to list them without reading the others."""
    return status_prefix(status) + proposal_id


def policy_key(qualified: str) -> str:
    return POLICY + qualified
