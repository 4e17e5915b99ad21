"""``hcctrial init`` is atomic on SQLite: a process killed (SIGKILL) at any statement of the
migration leaves no tables or all of them, and the next ``init`` succeeds. Before the fix, Python's
sqlite3 driver committed each CREATE TABLE on its own: a kill left 7-18 of the 19 tables and every
later ``init`` failed with "table audit_chain_head already exists"."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: Run the migration, killing this process with SIGKILL just before statement number ``k``.
_KILL_AT = textwrap.dedent(
    """
    import os, signal, sys
    from sqlalchemy import event
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine

    engine = make_engine(sys.argv[1])
    k, seen = int(sys.argv[2]), [0]

    @event.listens_for(engine, "before_cursor_execute")
    def kill(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("CREATE", "INSERT", "UPDATE")):
            seen[0] += 1
            if seen[0] == k:
                os.kill(os.getpid(), signal.SIGKILL)

    upgrade_to_head(engine)
    print(seen[0])
    """
)


def _tables(path: Path) -> set[str]:
    if not path.exists():
        return set()
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {r[0] for r in rows}


def _migrate(path: Path, kill_at: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _KILL_AT, str(path), str(kill_at)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def full_schema(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[str], int]:
    """(the tables of a complete migration, the number of statements it runs) — the control."""
    path = tmp_path_factory.mktemp("full") / "trial.sqlite"
    done = _migrate(path, kill_at=0)
    assert done.returncode == 0, done.stderr
    return _tables(path), int(done.stdout.strip())


def test_the_complete_migration_has_every_table(full_schema: tuple[set[str], int]) -> None:
    tables, statements = full_schema
    assert {"alembic_version", "audit_chain_head", "patients", "audit_log"} <= tables
    from hcctrial.store.models import Base

    # every table of the models (the trial's, the audit's, the data management's) + alembic_version
    assert tables == {*Base.metadata.tables, "alembic_version"} and statements > len(tables)


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_a_kill_during_init_leaves_no_tables_and_init_then_succeeds(
    tmp_path: Path, full_schema: tuple[set[str], int], fraction: float, cli: object
) -> None:
    tables, statements = full_schema
    kill_at = 1 + round(fraction * (statements - 1))  # the first .. the last statement (the stamp)
    path = tmp_path / "trial.sqlite"
    killed = _migrate(path, kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _tables(path) == set()  # killed before the commit: nothing of it remains
    res = cli("init", "--database", str(path))  # type: ignore[operator]
    assert res.exit_code == 0, res.stderr
    assert _tables(path) == tables


def test_two_inits_at_once_both_succeed(tmp_path: Path) -> None:
    path = tmp_path / "trial.sqlite"
    hcctrial = Path(sys.executable).with_name("hcctrial")
    env = {**os.environ, "HCCTRIAL_LOG_DIR": str(tmp_path / "logs")}
    procs = [
        subprocess.Popen(
            [str(hcctrial), "init", "--database", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert "alembic_version" in _tables(path)
