"""Every command that opens the trial database names every database or connection problem: exit
2, the URL with any password masked, what to do, no traceback; nothing is created where a
misspelt path points, and a database that is there is left unchanged."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.robustness.conftest import assert_refused
from tests.store.databases import PG_URL
from tests.support import cli_admin

#: --user/--token of the writing commands (set by :func:`trial_database`; a bad database is
#: refused before the account is looked at)
_ADMIN: list[str] = []

#: command -> its command line for a database URL and a scratch directory
DB_COMMANDS: dict[str, Callable[[str, Path], list[str]]] = {
    "init": lambda db, d: ["init", "--database", db],
    "import": lambda db, d: ["import", str(d / "set"), "--database", db, *_ADMIN],
    "export": lambda db, d: ["export", str(d / "out"), "--database", db],
    "analyze": lambda db, d: ["analyze", "--database", db, "--json"],
    "report": lambda db, d: ["report", "--out", str(d / "report"), "--database", db],
    "audit-verify": lambda db, d: ["audit", "verify", "--database", db],
    "user-add": lambda db, d: [
        "user",
        "add",
        "--username",
        "ana",
        "--role",
        "admin",
        "--password-stdin",
        "--database",
        db,
        *_ADMIN,
    ],
    "serve": lambda db, d: ["serve", "--database", db, "--port", "1"],
    "demo": lambda db, d: ["demo", "--out", str(d / "demo"), "--database", db, "--no-report"],
}
#: commands that may create a new database (the others must not)
CREATING = {"init", "demo"}


def _pg_url(database: str, password: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL).set(database=database)
    if password is not None:
        url = url.set(password=password)
    return url.render_as_string(hide_password=False)


def _sqlite_file(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    return str(path)


#: kind -> (make the database in a directory and return its URL, names in the message)
BAD_DATABASES: dict[str, tuple[Callable[[Path], str], list[str]]] = {
    "directory": (lambda d: (d / "db").mkdir() or str(d / "db"), ["is a directory"]),
    "missing-parent-directory": (
        lambda d: str(d / "no" / "such" / "trial.sqlite"),
        ["does not exist", "no/such"],
    ),
    "text-file": (
        lambda d: _sqlite_file(d / "notes.sqlite", b"patient list\n"),
        ["is not a SQLite database"],
    ),
    "png-file": (
        lambda d: _sqlite_file(d / "x.db", b"\x89PNG\r\n\x1a\n" + bytes(200)),
        ["is not a SQLite database"],
    ),
    "truncated-sqlite": (
        lambda d: _sqlite_file(
            d / "cut.sqlite", b"SQLite format 3\x00" + bytes(84) + b"\x01" * 100
        ),
        ["cut.sqlite"],
    ),
    "unknown-scheme": (lambda d: "oracle+nosuch://u@h/db", ["unknown URL scheme"]),
    "typo-scheme": (lambda d: "postgress://u@127.0.0.1/db", ["unknown URL scheme 'postgress'"]),
    "missing-driver": (lambda d: "mysql://u@127.0.0.1/db", ["no driver installed"]),
    "bad-port": (lambda d: "postgresql://u@127.0.0.1:notaport/db", ["not a database URL"]),
    "empty-url": (lambda d: "", ["empty URL"]),
    "refused-port": (
        lambda d: "postgresql://postgres@127.0.0.1:1/test",
        ["127.0.0.1:1/test", "Connection refused", "is the PostgreSQL server running"],
    ),
    "password-masked": (
        lambda d: "postgresql://ana:s3cret-pw@127.0.0.1:1/trial",
        ["ana:***@127.0.0.1:1/trial"],
    ),
}


@pytest.fixture(scope="module")
def trial_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database holding the sample trial (copied for each case)."""
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine, open_session
    from tests.store.sample import write_sample_trial

    path = tmp_path_factory.mktemp("db") / "trial.sqlite"
    engine = make_engine(path)
    try:
        upgrade_to_head(engine)
        with open_session(engine) as session:
            write_sample_trial(session)
    finally:
        engine.dispose()
    # the admin the writing commands act as (its token is copied with the database)
    _ADMIN[:] = cli_admin(f"sqlite:///{path}")
    return path


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with an import set (one site) and a password on stdin for ``user add``."""
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "sites.csv").write_text("id,code,name\n500,NEW,New site\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    return tmp_path


def _files(directory: Path) -> set[Path]:
    return {p for p in directory.rglob("*") if p.is_file()}


@pytest.mark.parametrize("kind", list(BAD_DATABASES))
@pytest.mark.parametrize("command", list(DB_COMMANDS))
def test_a_bad_database_is_named_and_nothing_is_created(
    cli: Callable[..., CliResult], scratch: Path, command: str, kind: str
) -> None:
    make, names = BAD_DATABASES[kind]
    url = make(scratch)
    before = {p: p.read_bytes() for p in _files(scratch)}
    res = cli(*DB_COMMANDS[command](url, scratch))
    assert_refused(res, *names)
    assert "s3cret-pw" not in res.stderr
    assert "SELECT" not in res.stderr and "INSERT" not in res.stderr
    after = {p: p.read_bytes() for p in _files(scratch) if "demo" not in p.parts}
    assert after == before  # no database file created or changed


@pytest.mark.parametrize("command", sorted(set(DB_COMMANDS) - CREATING))
def test_a_misspelt_sqlite_path_is_not_created(
    cli: Callable[..., CliResult], scratch: Path, command: str
) -> None:
    misspelt = scratch / "trail.sqlite"
    assert_refused(cli(*DB_COMMANDS[command](str(misspelt), scratch)), str(misspelt), "init")
    assert not misspelt.exists()


@pytest.mark.parametrize("command", sorted(set(DB_COMMANDS) - CREATING))
def test_an_empty_sqlite_file_says_to_run_init(
    cli: Callable[..., CliResult], scratch: Path, command: str
) -> None:
    empty = scratch / "empty.sqlite"
    empty.write_bytes(b"")
    assert_refused(cli(*DB_COMMANDS[command](str(empty), scratch)), "holds no hcctrial tables")
    assert empty.read_bytes() == b""


@pytest.mark.parametrize("command", list(DB_COMMANDS))
def test_a_sqlite_file_of_another_program_is_refused_untouched(
    cli: Callable[..., CliResult], scratch: Path, command: str
) -> None:
    other = scratch / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE patients_old (id INTEGER, name TEXT)")
    conn.execute("INSERT INTO patients_old VALUES (1, 'x')")
    conn.commit()
    conn.close()
    content, mtime = other.read_bytes(), other.stat().st_mtime_ns
    res = cli(*DB_COMMANDS[command](str(other), scratch))
    assert_refused(res, "other.sqlite")
    assert "patients_old" in res.stderr or "holds no hcctrial tables" in res.stderr
    assert other.read_bytes() == content and other.stat().st_mtime_ns == mtime
    assert not Path(f"{other}-wal").exists()


def _set_revision(path: Path, revision: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.commit()
    conn.close()


def _row_counts(path: Path) -> dict[str, int]:
    from tests.robustness.test_import_files import row_counts

    return row_counts(path)


@pytest.mark.parametrize("command", list(DB_COMMANDS))
def test_a_schema_newer_than_the_code_is_named(
    cli: Callable[..., CliResult], scratch: Path, trial_database: Path, command: str
) -> None:
    db = scratch / "newer.sqlite"
    shutil.copyfile(trial_database, db)
    _set_revision(db, "9999_from_the_future")
    before = _row_counts(db)
    assert_refused(
        cli(*DB_COMMANDS[command](str(db), scratch)),
        "'9999_from_the_future'",
        "newer hcctrial",
        "upgrade hcctrial",
    )
    assert _row_counts(db) == before


@pytest.fixture
def locked(trial_database: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the trial database whose write lock another connection holds (busy wait 0.2 s)."""
    db = scratch / "busy.sqlite"
    shutil.copyfile(trial_database, db)
    monkeypatch.setenv("HCCTRIAL_BUSY_TIMEOUT_S", "0.2")
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield db
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("command", ["init", "import", "user-add"])
def test_a_locked_database_is_a_named_error_after_a_bounded_wait(
    cli: Callable[..., CliResult], scratch: Path, locked: Path, command: str
) -> None:
    before = _row_counts(locked)
    res = cli(*DB_COMMANDS[command](str(locked), scratch))
    assert_refused(res, "busy.sqlite", "database is locked (waited 0.2 s)", "try again")
    assert "INSERT" not in res.stderr and "a long enough password" not in res.stderr
    assert _row_counts(locked) == before


@pytest.mark.postgres
@pytest.mark.parametrize("command", list(DB_COMMANDS))
def test_a_missing_postgresql_database_is_named(
    cli: Callable[..., CliResult], scratch: Path, command: str
) -> None:
    import psycopg

    try:
        psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is required in CI: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_URL}")
    url = _pg_url("hcctrial_no_such_database", password="pw-hidden")
    res = cli(*DB_COMMANDS[command](url, scratch))
    assert_refused(res, '"hcctrial_no_such_database" does not exist', "createdb")
    assert "pw-hidden" not in res.stderr


def test_the_lock_holder_fixture_really_blocks_a_writer(locked: Path) -> None:
    """The control of the locked cases: a plain writer times out on the same file."""
    conn = sqlite3.connect(locked, timeout=0.1)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            conn.execute("INSERT INTO sites (id, code, name, version) VALUES (9, 'Z', 'z', 1)")
    finally:
        conn.close()
