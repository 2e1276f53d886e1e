"""Information systems' and escrowed credentials' state layout: the one place that spells their keys.

::

    system/info/<code>                   a system: its current version (owner, project, 部署位置, 等保级别);
                                         every earlier one is in the key's state history, numbered from 1
    system/exemption/<code>              its 入云 exemption: the application and the decision on it
                                         (every earlier application in the key's state history)
    system/project/<project_id>          the codes of the project's systems, in code order: a committed
                                         record, so that a contract (the acceptance verdict) can read
                                         it and a proof can show it complete
    system/credential/<code>             its escrowed administrator account: commitment, envelope, the
                                         custodian key it is sealed to (every rotation in the key's history)
    system/access/<code>                 the last recorded opening of its credential by the custodian;
                                         every earlier one in the key's state history
    system/custodian                     the custodian's current encryption public key (its history: every
                                         key it had)
    idx/system/dept/<uscc>/<code>        derived: the system's current version, to list a department's systems
    idx/system/sealed/<key_id>/<code>    derived: the credential's version, per custodian key it is sealed
                                         to, to list those pending re-seal after a rotation
    idx/system/envelope/<digest>         derived: the code of the system an envelope (its hash, hex) was
                                         submitted for, so that no envelope is submitted twice

``<code>`` and ``<project_id>`` match :data:`contracts.system.SYSTEM_CODE` and
:data:`contracts.project.keys.PROJECT_ID` (no ``/``); ``<key_id>`` is 16 hex digits.
"""

from __future__ import annotations

INFO = "system/info/"
EXEMPTION = "system/exemption/"
PROJECT = "system/project/"
CREDENTIAL = "system/credential/"
ACCESS = "system/access/"
CUSTODIAN = "system/custodian"
"""The key of the custodian's current encryption public key."""
DEPT = "idx/system/dept/"
SEALED = "idx/system/sealed/"
ENVELOPE = "idx/system/envelope/"


def system_key(code: str) -> str:
    return INFO + code


def exemption_key(code: str) -> str:
    return EXEMPTION + code


def project_systems_key(project_id: str) -> str:
    return PROJECT + project_id


def credential_key(code: str) -> str:
    return CREDENTIAL + code


def access_key(code: str) -> str:
    return ACCESS + code


def dept_prefix(department: str) -> str:
    return f"{DEPT}{department}/"


def dept_key(department: str, code: str) -> str:
    return dept_prefix(department) + code


def sealed_prefix(key_id: str) -> str:
    return f"{SEALED}{key_id}/"


def sealed_key(key_id: str, code: str) -> str:
    return sealed_prefix(key_id) + code


def envelope_key(digest: bytes) -> str:
    return ENVELOPE + digest.hex()
