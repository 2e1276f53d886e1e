"""The project library's state layout: the one place that spells its keys.

::

    project/info/<project_id>                 the project: its current record (state, figures, documents);
                                              every earlier version is in the key's state history
    project/opinion/<project_id>              the technical-review opinion: grant, validity, extension
    project/review/<project_id>               the last technical-review decision: passed (the opinion granted)
                                              or not passed (000:第十三条), every earlier one in its history
    project/change/<project_id>/<change_id>   a change of main content: a filing (备案) or a request for approval
    project/report/<project_id>/<period>      a quarterly progress report while in construction (period 2026Q3)
    project/catalog/<project_id>/<stage>      a project data catalog: declared (申报), pre_acceptance (拟验收),
                                              accepted (已验收); its lines in line-id order
    project/catalog_change/<project_id>/<change_id>
                                              a request to change the locked declared catalog (000:第十一条)
    project/integration/<project_id>          对接: the connection to the shared infrastructure, with evidence
    project/acceptance/<project_id>           the last acceptance decision: passed, or refused with each failing
                                              condition named (every earlier one in the key's state history)
    project/ownership/<resource_code>         确权: duty_authority's confirmation of a catalog resource's owner
                                              and the department's commitment to share it per its attributes
    idx/project/dept/<uscc>/<project_id>      derived: the project's current state, to list a department's projects
    idx/project/state/<state>/<project_id>    derived: 1, to list projects by state

``<project_id>`` matches :data:`PROJECT_ID` (no ``/``); ``<resource_code>`` holds one ``/`` and comes last.
"""

from __future__ import annotations

PROJECT_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
"""A project's unified code (项目代码), e.g. ``2026-110000-65-01-000123``."""

INFO = "project/info/"
OPINION = "project/opinion/"
REVIEW = "project/review/"
CHANGE = "project/change/"
REPORT = "project/report/"
CATALOG = "project/catalog/"
CATALOG_CHANGE = "project/catalog_change/"
INTEGRATION = "project/integration/"
ACCEPTANCE = "project/acceptance/"
OWNERSHIP = "project/ownership/"
DEPT = "idx/project/dept/"
STATE = "idx/project/state/"


def project_key(project_id: str) -> str:
    return INFO + project_id


def opinion_key(project_id: str) -> str:
    return OPINION + project_id


def changes_prefix(project_id: str) -> str:
    return f"{CHANGE}{project_id}/"


def change_key(project_id: str, change_id: str) -> str:
    return changes_prefix(project_id) + change_id


def reports_prefix(project_id: str) -> str:
    return f"{REPORT}{project_id}/"


def report_key(project_id: str, period: str) -> str:
    return reports_prefix(project_id) + period


def catalog_key(project_id: str, stage: str) -> str:
    return f"{CATALOG}{project_id}/{stage}"


def catalog_changes_prefix(project_id: str) -> str:
    return f"{CATALOG_CHANGE}{project_id}/"


def catalog_change_key(project_id: str, change_id: str) -> str:
    return catalog_changes_prefix(project_id) + change_id


def integration_key(project_id: str) -> str:
    return INTEGRATION + project_id


def review_key(project_id: str) -> str:
    return REVIEW + project_id


def acceptance_key(project_id: str) -> str:
    return ACCEPTANCE + project_id


def ownership_key(resource_code: str) -> str:
    return OWNERSHIP + resource_code


def dept_prefix(department: str) -> str:
    return f"{DEPT}{department}/"


def dept_key(department: str, project_id: str) -> str:
    return dept_prefix(department) + project_id


def state_prefix(state: str) -> str:
    return f"{STATE}{state}/"


def state_key(state: str, project_id: str) -> str:
    return state_prefix(state) + project_id
