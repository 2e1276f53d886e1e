"""The API's response schemas: one ``…Public`` model per answer, so that ``/v1/openapi.json``
describes every answer. Records the contracts define keep their own fields beyond the ones
named here (``extra="allow"``); bytes appear as lowercase hex."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    """A record whose further fields are the contract's own, passed through as they are."""

    model_config = ConfigDict(extra="allow")


class ErrorPublic(BaseModel):
    """Every error: a stable code, a message for people, structured details."""

    code: str
    message: str
    details: dict[str, Any]


class TxSubmit(BaseModel):
    """One signed transaction: its canonical bytes in base64."""

    tx: str = Field(description="base64 of the transaction's canonical bytes")


class TxBatchSubmit(BaseModel):
    """Signed transactions, each as base64 of its canonical bytes."""

    txs: list[str]


class TxAccepted(BaseModel):
    tx_id: str
    status: str = Field(description="pending, or committed/refused when waited for")
    height: int | None = None
    result: dict[str, Any] | None = None


class BatchItemPublic(BaseModel):
    status: str = Field(description="pending, or rejected with its error")
    tx_id: str | None = None
    error: ErrorPublic | None = None


class BatchPublic(BaseModel):
    accepted: int
    rejected: int
    results: list[BatchItemPublic]


class ValidatorPublic(BaseModel):
    name: str
    operator: str
    public_key: str
    power: int


class StatusPublic(BaseModel):
    chain_id: str
    profile: str
    genesis_hash: str
    height: int
    tip_hash: str
    tip_time: int
    certified: int = Field(description="the last block stored with its commit certificate (under CometBFT a "
                                       "block's certificate comes with the next block)")
    app_hash: str = Field(description="the state root after the tip: the application hash the engine agrees on")
    engine: str
    mempool: int = Field(description="transactions waiting for a block (under CometBFT, its mempool's: a bundle of a "
                                     "batch counts once)")
    engine_height: int | None = Field(description="the engine's last block (None when it does not answer)")
    peers: int | None = Field(description="the engine's connected peers (0 under solo)")
    catching_up: bool | None = Field(description="whether the engine is still catching up with the network")
    validators: list[ValidatorPublic]
    clock: dict[str, Any]
    params: dict[str, int]


class BlockPublic(BaseModel):
    header: dict[str, Any]
    txs: list[dict[str, Any]]
    commit: dict[str, Any] | None


class TxOutcomePublic(BaseModel):
    tx_id: str
    sender: str
    nonce: int
    status: str = Field(..., description="ok or refused")
    code: str
    message: str
    field: str
    article: str


class BlockResultsPublic(BaseModel):
    height: int
    results: list[TxOutcomePublic] = Field(..., description="each transaction's outcome, in block order")


class TxPublic(Open):
    height: int
    index: int
    block_hash: str
    time: int
    tx_id: str
    sender: str
    result: dict[str, Any]


class SetChangePublic(BaseModel):
    """A validator set change: the new set's record with a state proof under a header the set before it
    certified (bytes as ``{"b64": …}``)."""

    key: str = Field(description="the set's record (contracts/validators/keys.py), named by its effective height")
    height: int = Field(description="the block under whose state root the record is proven")
    record: Any = Field(description="the record's version bytes")
    proof: Any = Field(description="the state-tree path from the record to the header's state root")
    header: Any = Field(description="block `height`'s header")
    commit: Any = Field(description="its commit, by the validators in force at `height`")


class ProofPublic(Open):
    type: str = Field(description="tx, state, block or consistency; check it with `mulu proof verify`")
    set_changes: list[SetChangePublic] = Field(
        default_factory=list, description="the validator set changes from the genesis set to the set that "
                                          "certified the proof's header, oldest first (empty: the genesis set)")


class VersionPublic(BaseModel):
    key: str
    height: int
    value: Any
    deleted: bool
    prev_hash: str
    hash: str


class StateKeysCreate(BaseModel):
    keys: list[Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[^\x00]+$")]] = Field(
        ..., min_length=1, max_length=1000,
        description="state keys, at most 1000 (the layouts are in contracts/<name>/keys.py)")


class StateValuesPublic(BaseModel):
    height: int = Field(..., description="the height the values are read at (the tip)")
    values: list[Any] = Field(..., description="the current value of each key asked for, in order; null for none")


class HistoryPublic(BaseModel):
    key: str
    versions: list[VersionPublic]


class KeyPublic(Open):
    key_id: str
    public_key: str
    status: str


class MemberPublic(BaseModel):
    uscc: str
    name: str
    roles: list[str]
    status: str
    keys: list[KeyPublic]
    next_nonce: int | None = Field(None, description="the nonce its next transaction must carry (single member)")


class MembersPublic(BaseModel):
    members: list[MemberPublic]
    next: str | None


class AnchoredPublic(Open):
    doc_id: str
    kind: str
    digest: str
    version: int


class EvidencePublic(BaseModel):
    validator: str = Field(description="the validator's name in genesis (or CometBFT's address in hex)")
    height: int = Field(description="the height it misbehaved at")
    kind: str = Field(description="duplicate_vote or light_client_attack")
    time: int
    recorded_height: int = Field(description="the block that recorded it")


class ValidatorSetPublic(BaseModel):
    effective: int = Field(description="the first block this set certifies (0: genesis)")
    validators: list[dict[str, Any]]


class ValidatorSetsPublic(BaseModel):
    sets: list[ValidatorSetPublic]


class MisbehaviourPublic(BaseModel):
    evidence: list[EvidencePublic]
    next: str | None


class DocumentsPublic(BaseModel):
    uscc: str
    documents: list[AnchoredPublic]
    next: str | None


class DocumentPublic(BaseModel):
    uscc: str
    doc_id: str
    current: AnchoredPublic
    versions: list[AnchoredPublic]


class DutyItemPublic(Open):
    uscc: str
    item_id: str
    version: int
    status: str


class DutyItemsPublic(BaseModel):
    uscc: str
    items: list[DutyItemPublic]
    next: str | None


class DutyItemStatePublic(BaseModel):
    current: DutyItemPublic
    approved: DutyItemPublic | None


class DutyVersionsPublic(BaseModel):
    uscc: str
    item_id: str
    versions: list[DutyItemPublic]


class OverlapPublic(BaseModel):
    item: str = Field(..., description="the data item's standard name (数据元)")
    written: str | None = Field(None, description="the name as the entry wrote it, when it is not the standard name")
    provider: str
    entries: int


class CatalogEntryPublic(Open):
    resource_code: str
    version: int
    entry: dict[str, Any]


class CatalogEntryStatePublic(CatalogEntryPublic):
    overlaps: list[OverlapPublic]


class CatalogVersionsPublic(BaseModel):
    resource_code: str
    versions: list[CatalogEntryPublic]


class CatalogDiffPublic(BaseModel):
    resource_code: str
    from_version: int
    to_version: int
    fields: dict[str, Any]
    items_added: list[dict[str, Any]]
    items_removed: list[dict[str, Any]]
    items_changed: list[dict[str, Any]]


class CatalogEntriesPublic(BaseModel):
    department: str
    entries: list[CatalogEntryPublic]
    next: str | None


class OverlapRowPublic(BaseModel):
    resource_code: str
    overlaps: list[OverlapPublic]


class OverlapsPublic(BaseModel):
    overlaps: list[OverlapRowPublic]
    next: str | None


class ProviderPublic(BaseModel):
    provider: str
    entries: int
    resource_codes: list[str]
    written: list[str] = Field(..., description="the item's names as written in the listed entries (synonyms "
                                                "of the standard name, or the standard name itself)")
    next: str | None


class ProvidesPublic(BaseModel):
    item: str = Field(..., description="the standard name (数据元) the item asked for is matched under")
    asked: str = Field(..., description="the name asked for, in normal form")
    generic: bool = Field(..., description="a generic item (序号, 备注…): never an overlap, not indexed")
    providers: list[ProviderPublic]


class DataElementPublic(Open):
    name: str
    data_type: str
    length: str
    synonyms: list[str]


class DataElementsPublic(BaseModel):
    elements: list[DataElementPublic]
    generic: list[str]
    next: str | None


class DeclaredByPublic(BaseModel):
    item: str
    provider: str
    resource_codes: list[str]
    next: str | None


class OverdueRowPublic(Open):
    department: str
    status: str = Field(description="overdue, due, or calendar_not_covered")
    deadline: str | None


class OverduePublic(BaseModel):
    as_of_height: int
    as_of_time: int
    departments: list[OverdueRowPublic]
    next: str | None


class CalendarYearsPublic(BaseModel):
    years: list[int]


class CalendarYearPublic(BaseModel):
    year: int
    holidays: list[str]
    workdays: list[str]
    source: str


class ProposalPublic(Open):
    id: str
    proposer: str
    status: str
    action: dict[str, Any]


class ProposalsPublic(BaseModel):
    proposals: list[ProposalPublic]
    next: str | None


class ContractsPublic(BaseModel):
    methods: list[dict[str, Any]]
    params: dict[str, int]
