"""The import direction: ``cli → node → contracts → chain``, nothing backwards.

``chain`` (the ledger core) imports nothing of ours above it and no network or
web framework; ``contracts`` never imports ``node``, ``cli``, the store's
database or the web framework; ``node`` never imports ``cli``. Every import
statement counts, including those only for type checking and those inside
functions.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("chain", "contracts", "node", "cli")
FORBIDDEN_LIBRARIES = {
    "chain": {"fastapi", "starlette", "uvicorn", "httpx", "typer", "rich", "pydantic"},
    "contracts": {"fastapi", "starlette", "uvicorn", "httpx", "typer", "rich", "pydantic", "plyvel"},
    "node": {"typer", "rich"},
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, with the line of the import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
    return out


def violations(layer: str) -> list[str]:
    above = set(LAYERS[LAYERS.index(layer) + 1:])
    banned = FORBIDDEN_LIBRARIES.get(layer, set())
    found = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for line, module in imported_modules(path):
            top = module.split(".")[0]
            if top in above or top in banned:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_one_way(layer):
    """No module of a layer imports a layer above it, or a library its layer must not use."""
    assert violations(layer) == []


def test_the_check_finds_a_backward_import(tmp_path, monkeypatch):
    """The check itself: an import of ``node`` from ``contracts`` is reported with its line."""
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "bad.py").write_text("import json\n\ndef f():\n    from node.app import Application\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert violations("contracts") == ["contracts/bad.py:4 imports node.app"]


STATE_PREFIXES = ("identity/", "governance/", "anchor/", "duty/", "catalog/", "calendar/", "params/", "idx/",
                  "nonce/")
"""The first segments of the contracts' state keys (each spelled in its contract's key layout)."""


def spelled_keys(root: Path) -> list[str]:
    """String literals in ``root`` that begin like a contract's state key."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(STATE_PREFIXES):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.value!r}")
    return found


def test_no_state_key_is_spelled_in_node():
    """The node reads the registers only through the contracts' queries: no module of ``node/``
    holds a string that begins like a contract's state key."""
    assert spelled_keys(ROOT / "node") == []
