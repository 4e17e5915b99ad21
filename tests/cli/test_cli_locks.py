"""``hcctrial lock`` and the command line's own writers: the demo generator (which writes through
the import in a forked process) is refused by a locked database with DATABASE-LOCKED, exit 2,
one line, nothing written -- not a crash of the forked writer's error."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_admin

PASSWORD = "a long passphrase for the data manager"


def test_the_demo_is_refused_by_a_locked_database(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "trial.sqlite"
    assert cli("init", "--database", db).exit_code == 0
    admin = cli_admin(f"sqlite:///{db}", "admin")  # the account that adds the data manager
    add = ("user", "add", "--username=dm", "--role=data_manager", "--password-stdin", *admin)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli(*add, "--database", db).exit_code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    out = cli("lock", "--database", db, "--user", "dm", "--reason", "frozen")
    assert out.exit_code == 0, out.stderr
    out = cli("demo", "--database", db, "--out", tmp_path / "out")
    assert out.exit_code == 2, out.stderr
    assert "[DATABASE-LOCKED]" in out.stderr and "internal error" not in out.stderr
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM patients").fetchone() == (0,)
