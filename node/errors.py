"""The one place where error classes meet HTTP statuses."""

from __future__ import annotations

from chain import errors as e

_STATUS: tuple[tuple[type[e.MuluError], int], ...] = (
    (e.TxTooLarge, 413),
    (e.BatchTooLarge, 413),
    (e.MempoolFull, 503),
    (e.SenderUnknown, 403),
    (e.KeyUnknown, 403),
    (e.NotAuthorized, 403),
    (e.NonceReplayed, 409),
    (e.NonceGap, 409),
    (e.TxDuplicate, 409),
    (e.ProfileMismatch, 400),
    (e.TxRejected, 400),
    (e.EncodingError, 400),
    (e.BadRequest, 400),
    (e.GenesisInvalid, 400),
    (e.ProofInvalid, 400),
    (e.NotFound, 404),
    (e.RuleViolation, 422),
    (e.Unavailable, 503),
)
"""Most specific classes first; anything else is a 500."""


def status_for(exc: e.MuluError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500
