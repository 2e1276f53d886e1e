"""Every rule traceable: each refusal code, the seed article it names, and a test that triggers it.

:data:`CODES` is the registry. It lists every code a transaction can be refused with —
``refuse("CODE", ...)`` and ``RuleViolation("CODE", ...)`` in the contracts, and the code
the chain records for a faulting contract (``CONTRACT_FAULT``, ``chain/execution.py``) —
with the article its refusal names and a test that triggers it. The tests read the source
with :mod:`ast` and show that

* the registry holds exactly the codes the source refuses with: a new code needs an entry,
  and an entry for a code nothing refuses with any more is stale;
* every place refusing with a code names the registry's article — a literal or a module
  constant; a helper refusing on its caller's behalf passes the caller's article on
  (:class:`PassedOn`), and its callers name one;
* the named test exists and says the code (as text or a name, outside its docstring);

and :func:`test_a_wrong_registry_is_caught` shows each check failing on a wrong entry.

A refusal names an article when the article states its rule: the four bodies decide jointly
(000:第五条), 编办 approves duty items (000:第五条(二)), a department's catalog is its own,
has the guide's codes and says what the articles ask, and a note is the consent for a
department's entry (000:第九条, 002:第六、九、十六条), a department's systems, their 入云 and
their escrowed accounts are the acceptance preconditions (000:第十四条 and its items). ``NO_ARTICLE`` is on purpose where
no article states the rule: the chain's own machinery (keys, the build, parameter and
method names, the calendar's data, a contract fault), a call that would change nothing,
and a call naming a proposal, member or related resource that is not there.
"""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from contracts.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("contracts", "chain", "node")
"""The folders whose refusals are listed (only contracts refuse; the chain records their refusals)."""

NO_ARTICLE = ""
"""No seed article supports the rule: on purpose, never by omission."""


@dataclass(frozen=True)
class PassedOn:
    """The refusal names whatever article its caller passes in: ``expr`` is the expression
    the source passes on (``self.article``, a parameter's ``p.article``)."""

    expr: str


Article = str | PassedOn

ARTICLE = re.compile(r"00[0-4]:第[一二三四五六七八九十]+条(\([一二三四五六七八九十]+\))?")
"""``<seed file's 3-digit prefix>:第N条``, optionally with its item, e.g. ``000:第五条(二)``."""

GOV, GOV_DUTY = "000:第五条", "000:第五条(二)"
NOTE, OWN, GUIDE, SHARE = "000:第九条", "002:第九条", "002:第六条", "002:第十六条"

T_CATALOG = "tests/test_catalog.py::"
T_DUTY = "tests/test_duty.py::test_invalid_duty_changes_are_refused_with_their_rule"
T_GOV = "tests/test_governance.py::"
T_KEYS = "tests/test_ledger.py::test_key_rules"
T_WORKDAYS = "tests/test_workdays.py::"
T_ENTRIES = T_CATALOG + "test_invalid_entries_are_refused_with_their_rule"
T_VOTES = T_GOV + "test_votes_count_once_and_only_from_approvers"

T_VALIDATORS = "tests/test_validator_sets.py::"
T_PROJECT = "tests/test_projects.py::"
T_ACCEPT = "tests/test_project_acceptance.py::"
T_ASSESS = "tests/test_assessment.py::"

SYSTEMS, CLOUD, ESCROW = "000:第十四条", "000:第十四条(一)", "000:第十四条(三)"
T_SYSTEMS = "tests/test_systems.py::test_invalid_systems_refused_with_their_rule"
T_EXEMPTIONS = "tests/test_systems.py::test_invalid_exemptions_refused_with_their_rule"
T_CREDENTIALS = "tests/test_credentials.py::test_invalid_credentials_refused_with_their_rule"
T_CUSTODIAN = "tests/test_credentials.py::test_custodian_key_set_rotated_and_refused"

ANSWER, CHECK = "002:第十七条", "004:第十四条"
T_SHARING = "tests/test_sharing.py::"
T_REQUESTS = T_SHARING + "test_invalid_requests_are_refused_with_their_rule"
T_DISPUTES = T_SHARING + "test_a_dispute_is_extended_once_with_the_heads_approval"

CODES: dict[str, tuple[Article, str]] = {
    # validators: the set that certifies blocks is the chain's machinery, changed by governance — no article
    "VALIDATOR_UNKNOWN": (NO_ARTICLE, T_VALIDATORS + "test_solo_chain_refusals"),
    "VALIDATOR_SET_EMPTY": (NO_ARTICLE, T_VALIDATORS + "test_solo_chain_refusals"),
    "VALIDATOR_UNCHANGED": (NO_ARTICLE, T_VALIDATORS + "test_solo_chain_refusals"),
    "VALIDATOR_SOLO_ONE": (NO_ARTICLE, T_VALIDATORS + "test_solo_chain_refusals"),
    "VALIDATOR_KEY_INVALID": (NO_ARTICLE, T_VALIDATORS + "test_solo_chain_refusals"),
    "VALIDATOR_OPERATOR_UNKNOWN": (NO_ARTICLE, T_VALIDATORS + "test_solo_chain_refusals"),
    "VALIDATOR_CONSENSUS_KEY_MISSING": (NO_ARTICLE, T_VALIDATORS + "test_cometbft_chain_refusals"),
    "VALIDATOR_CONSENSUS_KEY_TAKEN": (NO_ARTICLE, T_VALIDATORS + "test_cometbft_chain_refusals"),
    # identity: keys are the chain's machinery; a member named must (not) exist — no article says so
    "KEY_INVALID": (NO_ARTICLE, T_KEYS),
    "KEY_EXISTS": (NO_ARTICLE, T_KEYS),
    "KEY_NOT_ACTIVE": (NO_ARTICLE, T_KEYS),
    "KEY_LAST_ACTIVE": (NO_ARTICLE, T_KEYS),
    "MEMBER_UNKNOWN": (NO_ARTICLE, T_GOV + "test_failed_actions_naming_no_member"),
    "MEMBER_REMOVED": (NO_ARTICLE, T_GOV + "test_remove_member_keeps_the_record_and_closes_the_door"),
    "MEMBER_EXISTS": (NO_ARTICLE, T_GOV + "test_failed_action_is_recorded_and_the_vote_commits"),
    "ROLES_UNCHANGED": (NO_ARTICLE, T_GOV + "test_set_roles_changes_what_a_member_may_call_from_the_next_block"),
    # governance: the four bodies decide jointly (000:第五条 依分工联合施行)
    "GOVERNANCE_LOCKOUT": (GOV, T_GOV + "test_actions_that_would_lock_governance_out_fail"),
    "VOTE_NOT_ELIGIBLE": (GOV, T_VOTES),
    "ALREADY_VOTED": (GOV, T_VOTES),
    "PROPOSAL_EXPIRED": (GOV, T_GOV + "test_votes_after_expiry_are_refused_and_the_proposal_can_be_closed"),
    "PROPOSAL_NOT_EXPIRED": (GOV, T_GOV + "test_votes_after_expiry_are_refused_and_the_proposal_can_be_closed"),
    "PROPOSAL_CLOSED": (GOV, T_GOV + "test_rejected_once_approval_is_impossible"),
    "POLICY_GOVERNED": (GOV, T_GOV + "test_set_policy_replaces_who_may_call_a_method"),
    # ... but a proposal, method or parameter that is not there, or a build without the action, is no rule of theirs
    "PROPOSAL_UNKNOWN": (NO_ARTICLE, T_VOTES),
    "POLICY_METHOD_UNKNOWN": (NO_ARTICLE, T_GOV + "test_set_policy_replaces_who_may_call_a_method"),
    "ACTION_UNAVAILABLE": (NO_ARTICLE, T_GOV + "test_failed_action_gone_from_the_build"),
    "PARAM_UNKNOWN": (NO_ARTICLE, T_GOV + "test_set_param_within_its_declared_range"),
    "PARAM_OUT_OF_RANGE": (PassedOn("p.article"), T_GOV + "test_set_param_within_its_declared_range"),
    # anchor: an unchanged digest would be a version saying nothing new
    "ANCHOR_UNCHANGED": (NO_ARTICLE, "tests/test_ledger.py::test_anchor_versions_refusal_and_nonces"),
    # duty: 编办 approves the duty items (000:第五条(二))
    "DUTY_PENDING": (GOV_DUTY, T_DUTY),
    "DUTY_ITEM_UNKNOWN": (GOV_DUTY, T_DUTY),
    "DUTY_DEPARTMENT_UNKNOWN": (GOV_DUTY, T_DUTY),
    "DUTY_NOT_PENDING": (GOV_DUTY, T_DUTY),
    "DUTY_VERSION_MISMATCH": (GOV_DUTY, T_DUTY),
    # catalog: a department's own catalog (002:第九条) with the guide's codes (002:第六条), its sharing
    # attributes (002:第十六条), duty items or a note for it (000:第九条); the rest is bookkeeping
    "CATALOG_CODE_CLASS_MISMATCH": (GUIDE, T_ENTRIES),
    "CATALOG_PROVIDER_MISMATCH": (OWN, T_ENTRIES),
    "CATALOG_CODE_TAKEN": (OWN, T_CATALOG + "test_invalid_codes_taken_and_unchanged_versions"),
    "CATALOG_SHARE_CONDITION_MISSING": (SHARE, T_ENTRIES),
    "CATALOG_SHARE_BASIS_MISSING": (SHARE, T_ENTRIES),
    "CATALOG_OPEN_NOT_SHARED": (SHARE, T_ENTRIES),
    "CATALOG_DUTY_UNMAPPED": (NOTE, T_ENTRIES),
    "CATALOG_NOTE_REQUIRED": (NOTE, T_ENTRIES),
    "CATALOG_NOTE_UNKNOWN": (NOTE, T_CATALOG + "test_an_entry_without_duty_items_needs_an_approved_note"),
    "CATALOG_NOTE_EXISTS": (NOTE, T_CATALOG + "test_invalid_notes_approved_twice_or_for_no_department"),
    "CATALOG_DEPARTMENT_UNKNOWN": (NOTE, T_CATALOG + "test_invalid_notes_approved_twice_or_for_no_department"),
    "CATALOG_DATA_ITEM_DUPLICATE": (NO_ARTICLE, T_ENTRIES),
    "CATALOG_NAME_CONFUSABLE": ("000:第七条", T_CATALOG + "test_invalid_names_mixing_scripts_refused"),
    "CATALOG_RELATED_UNKNOWN": (NO_ARTICLE, T_ENTRIES),
    "CATALOG_UNCHANGED": (NO_ARTICLE, T_CATALOG + "test_invalid_codes_taken_and_unchanged_versions"),
    # systems: a department registers its own systems, of its own projects (000:第十四条); 入云 or an
    # exemption 经信局 approved (000:第十四条(一)); accounts escrowed sealed to the custodian's current
    # key (000:第十四条(三)); a system or credential that is not there, a call changing nothing: no article
    "SYSTEM_CODE_TAKEN": (SYSTEMS, T_SYSTEMS),
    "SYSTEM_PROJECT_UNKNOWN": (SYSTEMS, T_SYSTEMS),
    "SYSTEM_PROJECT_NOT_OWN": (SYSTEMS, T_SYSTEMS),
    "SYSTEM_PROJECT_FULL": (SYSTEMS, T_SYSTEMS),
    "SYSTEM_UNCHANGED": (NO_ARTICLE, T_SYSTEMS),
    "SYSTEM_NOT_OWN": (SYSTEMS, T_EXEMPTIONS),
    "SYSTEM_UNKNOWN": (NO_ARTICLE, T_EXEMPTIONS),
    "EXEMPTION_NOT_NEEDED": (CLOUD, T_EXEMPTIONS),
    "EXEMPTION_PENDING": (CLOUD, T_EXEMPTIONS),
    "EXEMPTION_APPROVED": (CLOUD, T_EXEMPTIONS),
    "EXEMPTION_NOT_PENDING": (CLOUD, T_EXEMPTIONS),
    "EXEMPTION_UNKNOWN": (NO_ARTICLE, T_EXEMPTIONS),
    "CUSTODIAN_KEY_INVALID": (ESCROW, T_CUSTODIAN),
    "CUSTODIAN_KEY_UNCHANGED": (NO_ARTICLE, T_CUSTODIAN),
    "CUSTODIAN_KEY_MISSING": (ESCROW, T_CREDENTIALS),
    "CREDENTIAL_ENVELOPE_MALFORMED": (ESCROW, T_CREDENTIALS),
    "CREDENTIAL_SCHEME_MISMATCH": (ESCROW, T_CREDENTIALS),
    "CREDENTIAL_RECIPIENT_NOT_CURRENT": (ESCROW, T_CREDENTIALS),
    "CREDENTIAL_ENVELOPE_SIZE": (ESCROW, T_CREDENTIALS),
    "CREDENTIAL_ENVELOPE_REUSED": (ESCROW, T_CREDENTIALS),
    "CREDENTIAL_UNKNOWN": (NO_ARTICLE, "tests/test_credentials.py::test_every_opening_is_recorded"),
    # the data-element dictionary: one name means one element, so that 一数一源 can match (000:第七条)
    "DATA_ELEMENT_TERM_TAKEN": ("000:第七条", "tests/test_data_elements.py::test_invalid_dictionary_changes_fail"),
    "DATA_ELEMENT_UNKNOWN": (NO_ARTICLE, "tests/test_data_elements.py::test_invalid_dictionary_changes_fail"),
    # calendar: its data is the chain's machinery; a deadline names its caller's article
    "CALENDAR_INVALID": (NO_ARTICLE, T_WORKDAYS + "test_invalid_set_year"),
    "CALENDAR_YEAR_PAST": (NO_ARTICLE, T_WORKDAYS + "test_invalid_set_year_for_a_past_year"),
    "CALENDAR_NOT_COVERED": (PassedOn("self.article"), T_WORKDAYS + "test_invalid_deadline_spilling_into_2027"),
    "WORKING_DAYS_INVALID": (PassedOn("article"), T_WORKDAYS + "test_invalid_count_of_working_days"),
    # the chain: a contract's bug, refused the same way on every node
    "CONTRACT_FAULT": (NO_ARTICLE,
                       "tests/test_contract_fault.py::test_a_faulting_call_is_refused_and_the_chain_goes_on"),
    # projects: the project library (001), its data catalogs (000:第二、三章), acceptance and 投入使用
    "PROJECT_ACCEPTED_CATALOG_MISSING": ("001:第二十四条", T_ACCEPT + "test_edits_required_archive_only_the_final_version"),
    "PROJECT_ALREADY_ACCEPTED": (PassedOn("article"), T_ACCEPT + "test_acceptance_is_refused_naming_each_condition_until_all_hold"),
    "PROJECT_CATALOG_ARCHIVED": ("000:第十七条", T_ACCEPT + "test_acceptance_is_refused_naming_each_condition_until_all_hold"),
    "PROJECT_CATALOG_CHANGE_DECIDED": ("000:第十一条", T_PROJECT + "test_the_declared_catalog_locks_at_review_and_changes_only_with_approval"),
    "PROJECT_CATALOG_CHANGE_EXISTS": ("000:第十一条", T_PROJECT + "test_the_declared_catalog_locks_at_review_and_changes_only_with_approval"),
    "PROJECT_CATALOG_CHANGE_UNKNOWN": ("000:第十一条", T_PROJECT + "test_the_declared_catalog_locks_at_review_and_changes_only_with_approval"),
    "PROJECT_CATALOG_EMPTY_EDIT": (NO_ARTICLE, T_PROJECT + "test_declared_lines_are_checked_and_single_source_flagged"),
    "PROJECT_CATALOG_LOCKED": ("000:第十一条", T_PROJECT + "test_the_declared_catalog_locks_at_review_and_changes_only_with_approval"),
    "PROJECT_CATALOG_MISMATCH": ("000:第十六条", T_ACCEPT + "test_edits_required_archive_only_the_final_version"),
    "PROJECT_CATALOG_MISSING": ("000:第八条", T_PROJECT + "test_a_project_walks_from_reserve_to_construction_with_its_documents"),
    "PROJECT_CATALOG_NOT_LOCKED": ("000:第十一条", T_PROJECT + "test_the_declared_catalog_locks_at_review_and_changes_only_with_approval"),
    "PROJECT_CATALOG_NOT_SHARED": ("001:第二十四条", T_ACCEPT + "test_commissioning_review_puts_a_shared_project_in_operation"),
    "PROJECT_CATALOG_TOO_LARGE": (NO_ARTICLE, T_PROJECT + "test_a_catalog_holds_at_most_its_parameter_of_lines"),
    "PROJECT_CHANGE_DECIDED": ("001:第十六条", T_PROJECT + "test_a_change_of_at_most_15_percent_is_a_filing_and_more_needs_approval"),
    "PROJECT_CHANGE_EXISTS": ("001:第十六条", T_PROJECT + "test_a_change_of_at_most_15_percent_is_a_filing_and_more_needs_approval"),
    "PROJECT_CHANGE_UNKNOWN": ("001:第十六条", T_PROJECT + "test_a_change_of_at_most_15_percent_is_a_filing_and_more_needs_approval"),
    "PROJECT_COMMISSIONING_APPLIED": ("001:第二十三条", T_ACCEPT + "test_commissioning_is_applied_for_within_six_months"),
    "PROJECT_COMMISSIONING_LATE": ("001:第二十三条", T_ACCEPT + "test_commissioning_is_applied_for_within_six_months"),
    "PROJECT_COMMISSIONING_NOT_APPLIED": ("001:第二十四条", T_ACCEPT + "test_commissioning_review_puts_a_shared_project_in_operation"),
    "PROJECT_COMMITMENT_EXISTS": ("000:第十四条(四)", T_PROJECT + "test_ownership_is_confirmed_by_bianban_and_committed_by_its_owner"),
    "PROJECT_DOC_UNKNOWN": ("001:第六条", T_PROJECT + "test_a_project_walks_from_reserve_to_construction_with_its_documents"),
    "PROJECT_EXISTS": ("001:第六条", T_PROJECT + "test_a_project_walks_from_reserve_to_construction_with_its_documents"),
    "PROJECT_EXTENSION_CHANGED": ("001:第十五条", T_PROJECT + "test_a_changed_project_is_not_extended"),
    "PROJECT_EXTENSION_TOO_LONG": ("001:第十五条", T_PROJECT + "test_one_extension_of_at_most_six_months_while_unchanged"),
    "PROJECT_EXTENSION_USED": ("001:第十五条", T_PROJECT + "test_one_extension_of_at_most_six_months_while_unchanged"),
    "PROJECT_FINAL_NOT_PENDING": ("000:第十七条", T_ACCEPT + "test_edits_required_archive_only_the_final_version"),
    "PROJECT_LINE_CODE_MISSING": ("000:第十四条(二)", T_PROJECT + "test_pre_acceptance_lines_name_their_resource_code"),
    "PROJECT_LINE_DUTY_UNMAPPED": ("000:第九条", T_PROJECT + "test_declared_lines_are_checked_and_single_source_flagged"),
    "PROJECT_LINE_ITEM_DUPLICATE": (NO_ARTICLE, T_PROJECT + "test_declared_lines_are_checked_and_single_source_flagged"),
    "PROJECT_LINE_NOTE_REQUIRED": ("000:第九条", T_PROJECT + "test_declared_lines_are_checked_and_single_source_flagged"),
    "PROJECT_LINE_PROVIDER_MISSING": ("000:第十条", T_PROJECT + "test_declared_lines_are_checked_and_single_source_flagged"),
    "PROJECT_LINE_PROVIDER_UNEXPECTED": ("000:第十条", T_PROJECT + "test_declared_lines_are_checked_and_single_source_flagged"),
    "PROJECT_LINE_REPEATED": (NO_ARTICLE, T_PROJECT + "test_declared_lines_are_checked_and_single_source_flagged"),
    "PROJECT_LINE_UNKNOWN": (NO_ARTICLE, T_PROJECT + "test_declared_lines_are_checked_and_single_source_flagged"),
    "PROJECT_NOT_ACCEPTED": ("001:第二十三条", T_ACCEPT + "test_commissioning_is_applied_for_within_six_months"),
    "PROJECT_NOT_OWNER": ("001:第六条", T_PROJECT + "test_a_project_walks_from_reserve_to_construction_with_its_documents"),
    "PROJECT_REVIEW_DECIDED": ("000:第十三条", T_PROJECT + "test_a_review_not_passed_returns_the_project_to_reserve_to_be_revised"),
    "PROJECT_OPINION_EXISTS": ("001:第十五条", T_PROJECT + "test_a_project_walks_from_reserve_to_construction_with_its_documents"),
    "PROJECT_OPINION_EXPIRED": ("001:第十五条", T_PROJECT + "test_the_opinion_is_valid_one_year_and_not_a_day_more"),
    "PROJECT_OPINION_MISSING": ("001:第十五条", T_PROJECT + "test_a_project_walks_from_reserve_to_construction_with_its_documents"),
    "PROJECT_OWNERSHIP_CONFIRMED": ("000:第十四条(四)", T_PROJECT + "test_ownership_is_confirmed_by_bianban_and_committed_by_its_owner"),
    "PROJECT_OWNERSHIP_UNCONFIRMED": ("000:第十四条(四)", T_PROJECT + "test_ownership_is_confirmed_by_bianban_and_committed_by_its_owner"),
    "PROJECT_REPORT_EXISTS": ("001:第六条", T_PROJECT + "test_quarterly_reports_and_the_overdue_list"),
    "PROJECT_REPORT_PERIOD": ("001:第六条", T_PROJECT + "test_quarterly_reports_and_the_overdue_list"),
    "PROJECT_RESOURCE_NOT_OWN": ("000:第十四条(四)", T_PROJECT + "test_ownership_is_confirmed_by_bianban_and_committed_by_its_owner"),
    "PROJECT_RESOURCE_UNKNOWN": ("000:第十四条(四)", T_PROJECT + "test_ownership_is_confirmed_by_bianban_and_committed_by_its_owner"),
    "PROJECT_STATE": (PassedOn("article"), T_PROJECT + "test_a_project_walks_from_reserve_to_construction_with_its_documents"),
    "PROJECT_UNKNOWN": ("001:第六条", T_PROJECT + "test_terminate_from_any_state_by_its_department_or_the_review_authority"),
    # sharing: a request goes to another department's provider, for what is not 无条件共享, is answered by its
    # provider once, and by 经信局 only once overdue (002:第十七条); it rests on the requester's own duty
    # (004:第十九条(一)); a resource or request that is not there, a second open request: no article
    "SHARING_RESOURCE_UNKNOWN": (NO_ARTICLE, T_REQUESTS),
    "SHARING_OWN_RESOURCE": (ANSWER, T_REQUESTS),
    "SHARING_NO_REQUEST_NEEDED": (ANSWER, T_SHARING + "test_unconditional_resources_are_read_directly_without_a_request"),
    "SHARING_DUTY_ITEM_UNKNOWN": ("004:第十九条(一)", T_REQUESTS),
    "SHARING_REQUEST_OPEN": (NO_ARTICLE, T_REQUESTS),
    "SHARING_REQUEST_UNKNOWN": (NO_ARTICLE, T_REQUESTS),
    "SHARING_NOT_PROVIDER": (ANSWER, T_REQUESTS),
    "SHARING_REQUEST_CLOSED": (ANSWER, T_REQUESTS),
    "SHARING_NOT_OVERDUE": (ANSWER, T_SHARING + "test_the_authority_decides_in_the_providers_stead_only_once_overdue"),
    # 校核: the provider answers a user's dispute about its data, extending once, by at most the parameter,
    # before the deadline, with its head's approval anchored (004:第十四条)
    "DISPUTE_OWN_RESOURCE": (CHECK, T_DISPUTES),
    "DISPUTE_UNKNOWN": (NO_ARTICLE, T_DISPUTES),
    "DISPUTE_NOT_PROVIDER": (CHECK, T_DISPUTES),
    "DISPUTE_CLOSED": (CHECK, T_DISPUTES),
    "DISPUTE_DOC_UNKNOWN": (CHECK, T_DISPUTES),
    "DISPUTE_EXTENSION_TOO_LONG": (CHECK, T_DISPUTES),
    "DISPUTE_EXTENSION_USED": (CHECK, T_DISPUTES),
    "DISPUTE_EXTENSION_LATE": (CHECK, T_DISPUTES),
    # assessment: 经信局 anchors a half-year's result computed over committed blocks (000:第十九条); 办公厅's
    # 整改令 name an anchored assessment (000:第二十二条), are answered by their department and lifted once
    # (000:第二十三条); orders and members that are not there: no article
    "ASSESSMENT_HEIGHT_UNCOMMITTED": ("000:第十九条", T_ASSESS + "test_recording_rules"),
    "ASSESSMENT_FIGURES_INVALID": (NO_ARTICLE, T_ASSESS + "test_recording_rules"),
    "ASSESSMENT_UNKNOWN": ("000:第二十二条", T_ASSESS + "test_orders_answers_and_lifting"),
    "ORDER_EXISTS": (NO_ARTICLE, T_ASSESS + "test_orders_answers_and_lifting"),
    "ORDER_DEPARTMENT_UNKNOWN": (NO_ARTICLE, T_ASSESS + "test_orders_answers_and_lifting"),
    "ORDER_UNKNOWN": (NO_ARTICLE, T_ASSESS + "test_orders_answers_and_lifting"),
    "ORDER_NOT_YOURS": ("000:第二十二条", T_ASSESS + "test_orders_answers_and_lifting"),
    "ORDER_LIFTED": ("000:第二十三条", T_ASSESS + "test_orders_answers_and_lifting"),
}
"""Every refusal code: (the article its refusals name, a test that triggers it)."""

FORWARDERS = {("contracts/base.py", "refuse"), ("chain/execution.py", "execute_txs")}
"""The only places whose code is not written out: they pass on a code made elsewhere."""

WORKING_DAY_HELPERS = ("add_working_days", "is_working_day", "working_days_between")
"""The calendar helpers that refuse with the article their caller passes."""


# --- reading the source ----------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """One place in the source that refuses a transaction with a code."""

    path: str  # relative to the repository, e.g. contracts/catalog/__init__.py
    line: int
    function: str  # the enclosing function, or <module>
    code: str | None  # None: a code made elsewhere, passed on
    article: Article

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.function})"


@lru_cache(maxsize=None)
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _module_name(rel: str) -> str:
    parts = rel.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_names(tree: ast.Module) -> set[str]:
    """The names bound at a module's top level (assigned or imported)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _text(expr: ast.expr, rel: str, tree: ast.Module) -> str | None:
    """The text ``expr`` stands for: a literal or a module constant; None for anything else."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Name) and expr.id in _module_names(tree):
        value = getattr(importlib.import_module(_module_name(rel)), expr.id)
        assert isinstance(value, str), f"{rel}: {expr.id} is not text"
        return value
    return None


def _article(expr: ast.expr | None, rel: str, tree: ast.Module) -> Article:
    if expr is None:
        return NO_ARTICLE
    text = _text(expr, rel, tree)
    return PassedOn(ast.unparse(expr)) if text is None else text


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _calls(node: ast.AST, function: str = "<module>"):
    """Every call below ``node``, with the name of the function it stands in."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Call):
            yield function, child
        inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
        yield from _calls(child, inner)


def _refused(expr: ast.expr) -> bool:
    return (isinstance(expr, ast.Name) and expr.id == "STATUS_REFUSED") or \
        (isinstance(expr, ast.Constant) and expr.value == "refused")


def _site(rel: str, tree: ast.Module, function: str, call: ast.Call) -> Site | None:
    """The refusal ``call`` makes, if it makes one: ``refuse(code, …, article=…)``,
    ``RuleViolation(code, …, article=…)`` or ``TxResult(id, STATUS_REFUSED, code, message, article, …)``."""
    name, args = _callee(call), call.args
    if name in ("refuse", "RuleViolation") and args:
        code, article = args[0], _keyword(call, "article")
    elif name == "TxResult" and len(args) > 1 and _refused(args[1]):
        code = args[2] if len(args) > 2 else _keyword(call, "code")
        article = args[4] if len(args) > 4 else _keyword(call, "article")
    else:
        return None
    return Site(rel, call.lineno, function, None if code is None else _text(code, rel, tree),
                _article(article, rel, tree))


@lru_cache(maxsize=None)
def refusal_sites(root: Path = ROOT) -> tuple[Site, ...]:
    """Every place in :data:`SCANNED` that refuses a transaction with a code."""
    sites = []
    for folder in SCANNED:
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            tree = _parsed(path)
            sites += [s for function, call in _calls(tree) if (s := _site(rel, tree, function, call))]
    return tuple(sites)


def _function(root: Path, test_id: str) -> ast.FunctionDef | str:
    """The module-level test function ``path::name``, or why there is none."""
    rel, _, name = test_id.partition("::")
    path = root / rel
    if not name or "::" in name or not path.is_file():
        return f"{test_id} is not a test function of a file under {root.name}"
    found = [n for n in _parsed(path).body if isinstance(n, ast.FunctionDef) and n.name == name]
    return found[0] if found else f"{rel} has no function {name}"


def mentions(fn: ast.FunctionDef, code: str) -> bool:
    """Whether ``fn`` (its decorators, defaults and body, not its docstring) says ``code``
    as text or as a name."""
    body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    for node in (*fn.decorator_list, *fn.args.defaults, *body):
        for n in ast.walk(node):
            if (isinstance(n, ast.Constant) and n.value == code) or (isinstance(n, ast.Name) and n.id == code) \
                    or (isinstance(n, ast.Attribute) and n.attr == code):
                return True
    return False


# --- the checks, as lists of problems ------------------------------------------------------------


def coverage_problems(codes: dict[str, tuple[Article, str]], sites) -> list[str]:
    refused = {s.code: s for s in sites if s.code is not None}
    unlisted = [f"{code} is refused at {refused[code]} but has no entry in CODES"
                for code in sorted(set(refused) - set(codes))]
    return unlisted + [f"CODES lists {code}, which nothing refuses with" for code in sorted(set(codes) - set(refused))]


def article_problems(codes: dict[str, tuple[Article, str]], sites) -> list[str]:
    return [f"{s} refuses {s.code} naming {s.article!r}; CODES says {codes[s.code][0]!r}"
            for s in sites if s.code in codes and s.article != codes[s.code][0]]


def trigger_problems(codes: dict[str, tuple[Article, str]], root: Path = ROOT) -> list[str]:
    problems = []
    for code, (_, test_id) in sorted(codes.items()):
        fn = _function(root, test_id)
        if isinstance(fn, str):
            problems.append(f"{code}: {fn}")
        elif not mentions(fn, code):
            problems.append(f"{code}: {test_id} does not say {code} outside its docstring")
    return problems


# --- the tests -----------------------------------------------------------------------------------


def test_the_registry_holds_exactly_the_codes_refused_with():
    """(a) A code the source refuses with and CODES lacks fails, and so does a stale entry."""
    assert coverage_problems(CODES, refusal_sites()) == []


def test_every_refusal_names_the_registrys_article():
    """(b) Each place refusing with a code names the article CODES gives it (all places of a code agree)."""
    assert article_problems(CODES, refusal_sites()) == []


def test_every_code_is_said_by_the_test_that_triggers_it():
    """(c) The test named for each code exists and says the code."""
    assert trigger_problems(CODES) == []


def test_codes_are_written_out_except_where_passed_on():
    """A code made at run time could escape the registry: only the known forwarders pass one on."""
    assert {(s.path, s.function) for s in refusal_sites() if s.code is None} == FORWARDERS


def test_articles_cite_a_seed_and_passed_on_ones_are_named_by_callers():
    """Every article is ``<seed>:第N条``; the callers of the calendar helpers name a seed
    article for the deadline they count, and every contract parameter's article (named by
    PARAM_OUT_OF_RANGE) is one or none."""
    for code, (article, _) in CODES.items():
        assert isinstance(article, PassedOn) or article == NO_ARTICLE or ARTICLE.fullmatch(article), code
    callers = 0
    for path in sorted((ROOT / "contracts").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "contracts/workdays.py":
            continue
        tree = _parsed(path)
        for _, call in _calls(tree):
            if _callee(call) in WORKING_DAY_HELPERS:
                callers += 1
                article = _article(_keyword(call, "article"), rel, tree)
                assert isinstance(article, str) and ARTICLE.fullmatch(article), f"{rel}:{call.lineno}"
    assert callers, "no contract counts working days: the calendar's PassedOn entries may go"
    for p in Registry().params().values():
        assert p.article == NO_ARTICLE or ARTICLE.fullmatch(p.article), p.qualified


def _says_a_code_in_its_docstring_only():
    """KEY_LAST_ACTIVE is named here, in the docstring only (for the self-check below)."""


def test_a_wrong_registry_is_caught():
    """Each check fails on a wrong entry: a missing or stale code, another article, another
    expression passed on, a test that does not exist, one that does not say the code, one that
    says it only in its docstring."""
    sites = refusal_sites()
    taken = next(s for s in sites if s.code == "CATALOG_CODE_TAKEN")
    missing = {k: v for k, v in CODES.items() if k != "CATALOG_CODE_TAKEN"}
    assert f"CATALOG_CODE_TAKEN is refused at {taken} but has no entry in CODES" in coverage_problems(missing, sites)
    stale = {**CODES, "CATALOG_DELETED": (NO_ARTICLE, T_ENTRIES)}
    assert "CODES lists CATALOG_DELETED, which nothing refuses with" in coverage_problems(stale, sites)

    def wrong(code: str, article: Article) -> list[str]:
        """The article problems of CODES with ``code``'s article replaced, about ``code``."""
        return [p for p in article_problems({**CODES, code: (article, CODES[code][1])}, sites) if f" {code} " in p]

    assert wrong("CATALOG_CODE_TAKEN", SHARE) == [
        f"{taken} refuses CATALOG_CODE_TAKEN naming '002:第九条'; CODES says '002:第十六条'"]
    assert len(wrong("KEY_LAST_ACTIVE", GOV)) == 1
    assert len(wrong("CALENDAR_NOT_COVERED", PassedOn("article"))) == 1
    lockouts = [s for s in sites if s.code == "GOVERNANCE_LOCKOUT"]
    assert len(lockouts) > 1 and len(wrong("GOVERNANCE_LOCKOUT", NO_ARTICLE)) == len(lockouts)  # each place

    for test_id, says in [
        ("tests/test_catalog.py::test_no_such_test", "tests/test_catalog.py has no function test_no_such_test"),
        ("tests/test_no_such_file.py::test_x", "is not a test function"),
        (T_KEYS, "does not say MEMBER_UNKNOWN"),
        ("tests/test_rule_codes.py::_says_a_code_in_its_docstring_only", "does not say MEMBER_UNKNOWN"),
    ]:
        [problem] = trigger_problems({"MEMBER_UNKNOWN": (NO_ARTICLE, test_id)})
        assert says in problem, problem
    assert trigger_problems({"KEY_LAST_ACTIVE": (NO_ARTICLE, "tests/test_rule_codes.py::"
                                              "_says_a_code_in_its_docstring_only")}) != []
    assert trigger_problems({"KEY_LAST_ACTIVE": (NO_ARTICLE, T_KEYS)}) == []
