"""Every ``mulu`` command fails as one line with a code, never a traceback.

The test walks the Typer app's command tree, so a command added later is
covered without being named here. Each command is run with each kind of bad
input a person can give: files that do not exist, files of junk (bytes that
are neither UTF-8 nor GBK), folders where files are expected, an encrypted key
without its passphrase, an address no node can serve on, and a node that does
not answer (``http://127.0.0.1:1``) or a node URL that is no URL. Every run must exit non-zero with exactly
one ``error CODE: message`` line and no traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import typer

from chain.crypto import profile
from cli import main
from node.home import write_private_key
from tests.test_cli import runner

UNREACHABLE = "http://127.0.0.1:1"
BAD_URL = "http://[::1"
ERROR_LINE = re.compile(r"^error [A-Z][A-Z0-9_]+: \S")
CASES = ("missing", "junk", "folder", "encrypted", "unreachable", "bad_url")
VALID = {(("docker",), "folder"): "docker --out takes a folder",
         (("testnet",), "folder"): "testnet --out takes an empty folder"}
"""The runs whose input is not bad for that command."""


def commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf command of the app, with its path of names (``("catalog", "publish")``)."""
    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, (*path, name))
        else:
            yield path, command
    return walk(typer.main.get_command(main.app), ())


COMMANDS = dict(commands())


def bad_inputs(tmp_path: Path, case: str) -> dict[str, Path]:
    """The paths a case gives: a data file, a key file, a home and an output of its kind of bad
    (for "unreachable" and "bad_url", a good file and key: only the node, the home and the output
    are bad); the node is unreachable unless the case names another."""
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"name,code\n\xff\xfe\x81\x00 not text\n")
    folder = tmp_path / "folder"
    folder.mkdir(exist_ok=True)
    locked, plain = tmp_path / "locked.pem", tmp_path / "plain.pem"
    if not locked.exists():
        write_private_key(locked, profile("ed25519-sha256").generate(), "secret")
        write_private_key(plain, profile("ed25519-sha256").generate())
    good = tmp_path / "good.csv"
    good.write_text("resource_code,name\n301001/000001,x\n", encoding="utf-8")
    missing = tmp_path / "no" / "such" / "file.csv"
    return {"node": UNREACHABLE} | {
        "missing": {"file": missing, "key": missing, "home": missing, "out": missing},
        "junk": {"file": junk, "key": junk, "home": junk, "out": junk},
        "folder": {"file": folder, "key": folder, "home": folder, "out": folder},
        "encrypted": {"file": good, "key": locked, "home": missing, "out": missing},
        "unreachable": {"file": good, "key": plain, "home": missing, "out": missing},
        "bad_url": {"file": good, "key": plain, "home": missing, "out": missing, "node": BAD_URL},
    }[case]


FILE_OPTIONS = {"file", "genesis", "archive", "proof", "to", "secret", "envelope"}
TEXT = {"sender": "11110000MB000201XX", "args": "{}", "contract": "catalog", "method": "publish", "reason": "x",
        "api": "127.0.0.1:99999"}
NUMBERS = {"height", "old", "new", "from_version", "to_version", "protection_level"}


def argv(path: tuple[str, ...], command: Any, paths: dict[str, Path]) -> list[str]:
    """The command line for ``command``: every parameter it needs, given a bad value of its kind."""
    words, positional = list(path), []
    for param in command.params:
        name = param.name
        if getattr(param, "is_flag", False):
            if name == "approve":
                words.append("--approve")
            continue
        if name in FILE_OPTIONS:
            value: Any = paths["file"]
        elif name in ("key", "home", "out", "node"):
            value = paths[name]
        elif name in TEXT:
            value = TEXT[name]
        elif name in NUMBERS:
            value = 1
        elif not param.required:
            continue
        else:
            value = "x"
        if param.param_type_name == "argument":
            positional.append(str(value))
        else:
            words += [param.opts[0], str(value)]
    return words + positional


@pytest.mark.parametrize("path, case", [(path, case) for path in COMMANDS for case in CASES
                                         if (path, case) not in VALID],
                         ids=[f"{' '.join(path)}-{case}" for path in COMMANDS for case in CASES
                              if (path, case) not in VALID])
def test_invalid_input_is_one_line_with_a_code(tmp_path: Path, path: tuple[str, ...], case: str,
                                                monkeypatch: pytest.MonkeyPatch):
    """``mulu PATH`` with CASE inputs exits non-zero with one ``error CODE:`` line and no traceback."""
    monkeypatch.setattr(main.console, "_width", 240)
    for variable in ("MULU_NODE", "MULU_PASSPHRASE"):
        monkeypatch.delenv(variable, raising=False)
    words = argv(path, COMMANDS[path], bad_inputs(tmp_path, case))
    result = runner.invoke(main.app, words)
    shown = f"mulu {' '.join(words)} exited {result.exit_code}:\n{result.output}\n{result.exception!r}"
    assert result.exit_code != 0, shown
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in result.output, shown
    assert sum(bool(ERROR_LINE.match(line)) for line in result.output.splitlines()) == 1, shown
