"""Engine and session factories (nothing is created at import time).

Which database:

1. an explicit URL or path (``--database`` on the command line), else
2. the settings' ``database_url`` (:mod:`hcctrial.settings`: ``HCCTRIAL_DATABASE_URL``), else
3. the SQLite file ``hcctrial.sqlite`` in the working directory.

A plain file path is read as a SQLite file; ``postgresql://`` and ``postgres://`` URLs are given
the psycopg (v3) driver. SQLite connections get ``PRAGMA journal_mode=WAL`` (readers do not block
the writer), ``foreign_keys=ON`` (SQLite ignores foreign keys otherwise) and a busy timeout (a
bounded wait for another writer, :func:`busy_timeout_s`), through a ``connect`` event listener on
each engine; PostgreSQL connections give up after a connect timeout.

Every database or connection problem is named, in one place: :func:`connect_engine` checks a
SQLite path before connecting (a directory, a missing parent directory, a file that is not SQLite,
a missing file for a command that must not create one) and connects once;
:func:`database_problem` turns any connection-level failure (refused port, missing PostgreSQL
database, wrong password, locked database) into a :class:`DatabaseUnavailable` error — the URL with
its password masked, the driver's one-line reason (never SQL text or parameter values) and what to
do. The command line maps it to exit code 2.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcctrial.errors import DataValidationError

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "DEFAULT_SQLITE_FILE",
    "ENV_VAR",
    "DatabaseUnavailable",
    "busy_timeout_s",
    "connect_engine",
    "database_problem",
    "database_url",
    "make_engine",
    "open_session",
    "session_factory",
    "shown_url",
    "sqlite_path",
]

ENV_VAR = "HCCTRIAL_DATABASE_URL"
DEFAULT_SQLITE_FILE = "hcctrial.sqlite"
#: Seconds a SQLite connection waits for another writer before "database is locked" (default 10).
#: Seconds a PostgreSQL connection attempt may take (an unreachable host fails within this).
_PG_CONNECT_TIMEOUT_S = 10
_SQLITE_MAGIC = b"SQLite format 3\x00"
_URL_HELP = (
    "a SQLite file path, sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
)


class DatabaseUnavailable(DataValidationError):
    """The database cannot be used: the message names the URL (password masked), the reason and
    what to do. Exit code 2 on the command line."""

    def __init__(self, message: str, *, field: str | None = "database") -> None:
        super().__init__(message, field=field)


def database_url(explicit: str | os.PathLike[str] | None = None) -> str:
    """Return the SQLAlchemy URL to use: ``explicit``, else the settings' database URL
    ($HCCTRIAL_DATABASE_URL), else SQLite.

    >>> database_url("sqlite:///x.sqlite")
    'sqlite:///x.sqlite'
    >>> database_url("postgresql://u@h/db")
    'postgresql+psycopg://u@h/db'
    """
    if explicit is not None:
        raw: str | None = os.fspath(explicit)
    else:
        from hcctrial.settings import load_settings

        raw = load_settings().database_url
    if raw is not None and not raw.strip():
        raise DatabaseUnavailable(f"database: got an empty URL; expected {_URL_HELP}")
    if raw is None:
        raw = f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"
    raw = raw.strip()
    if "://" not in raw:  # a file path
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def busy_timeout_s() -> float:
    """Return how long (s) a SQLite connection waits for a lock: the settings'
    ``busy_timeout_s`` ($HCCTRIAL_BUSY_TIMEOUT_S), else 10."""
    from hcctrial.settings import load_settings

    return load_settings().busy_timeout_s


def shown_url(url: str) -> str:
    """Return ``url`` with any password masked (also for URLs SQLAlchemy cannot parse).

    >>> shown_url("postgresql://u:secret@h/db")
    'postgresql://u:***@h/db'
    """
    import re

    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy parses: mask user:password@ by hand
        return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def sqlite_path(url: str) -> Path | None:
    """Return the file of a SQLite URL (None for other databases, ``:memory:`` and URI forms)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return None
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(name)


def _sqlite_tables(path: Path) -> list[str]:
    """Return the table names of the SQLite file ``path``, opened read-only (nothing written)."""
    import sqlite3

    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return sorted(r[0] for r in rows if not r[0].startswith("sqlite_"))


def check_sqlite_file(path: Path, *, create: bool) -> None:
    """Refuse, by name, a SQLite path that cannot be the trial database.

    A directory, a file that is not SQLite; a missing file unless ``create`` (read-only commands
    never create a file where a misspelt path points); a missing parent directory; a SQLite file
    without the hcctrial schema (other tables, or none) — with ``create`` (``hcctrial init``) only
    when it holds other tables. The file is only read here (a refused file is left untouched: no
    WAL switch, no journal).
    """
    shown = str(path)
    if path.is_dir():
        raise DatabaseUnavailable(
            f"database {shown!r} is a directory; expected a SQLite database file (e.g. "
            f"{str(path / DEFAULT_SQLITE_FILE)!r})"
        )
    if not path.exists():
        if not path.parent.is_dir():
            raise DatabaseUnavailable(
                f"database {shown!r}: the directory {str(path.parent)!r} does not exist; create "
                "it first or give another --database"
            )
        if not create:
            raise DatabaseUnavailable(
                f"database {shown!r} does not exist; create it with `hcctrial init --database "
                f"{shown}` (or check the spelling of the path)"
            )
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseUnavailable(
            f"database {shown!r}: cannot read the file ({exc.strerror or exc}); check its "
            "permissions"
        ) from None
    if head and head != _SQLITE_MAGIC:
        raise DatabaseUnavailable(
            f"database {shown!r} is not a SQLite database (it starts with {head[:8]!r}); expected "
            "a file made by `hcctrial init`, or a new path"
        )
    try:
        tables = _sqlite_tables(path) if head else []
    except Exception as exc:  # sqlite3.DatabaseError: a damaged file
        raise DatabaseUnavailable(
            f"database {shown!r} cannot be read as SQLite ({exc}); expected a file made by "
            "`hcctrial init`, or a new path"
        ) from None
    if "alembic_version" in tables:
        return
    listed = ", ".join(tables[:8]) + (", ..." if len(tables) > 8 else "")
    if create and tables:
        raise DatabaseUnavailable(
            f"database {shown!r} already holds other tables ({listed}) and no hcctrial schema; "
            "refusing to add the trial tables to it: give a new file"
        )
    if not create:
        held = f"other tables ({listed})" if tables else "no tables"
        raise DatabaseUnavailable(
            f"database {shown!r} holds no hcctrial tables ({held}); run `hcctrial init "
            f"--database {shown}` first"
        )


_HINTS: tuple[tuple[str, str], ...] = (
    ("database is locked", "another process is writing to it; try again when it has finished"),
    ("is not a database", "expected a SQLite database made by `hcctrial init`"),
    ("malformed", "the file is damaged: restore it from a backup or an `hcctrial export`"),
    (
        "unable to open database file",
        "check that the file and its directory exist and are writable",
    ),
    ("readonly database", "the file or its directory is read-only; check the permissions"),
    ("disk is full", "free some disk space"),
    ("disk i/o error", "check the disk and the file's permissions"),
    ("no such table", "the database is not a complete hcctrial database; run `hcctrial init`"),
    ("connection refused", "is the PostgreSQL server running and listening at that host and port?"),
    ('role "', "check the user name in the URL"),
    ("does not exist", "create it (e.g. `createdb NAME`) or correct the database name in the URL"),
    ("password authentication failed", "check the user name and password in the URL"),
    ("no password supplied", "give the password in the URL or in ~/.pgpass"),
    ("could not translate host name", "check the host name in the URL"),
    ("name or service not known", "check the host name in the URL"),
    ("timeout", "the server did not answer in time; check the host, port and firewall"),
    ("server closed the connection", "the server ended the connection; try again"),
)


def database_problem(exc: BaseException, url: str) -> DatabaseUnavailable | None:
    """Return the named error for a database or connection failure, or None when ``exc`` is not
    one (an ``IntegrityError`` or a bug stays what it is).

    The message holds the URL with its password masked, the driver's first line (never the SQL
    text or parameter values SQLAlchemy appends) and what to do.
    """
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, DatabaseUnavailable):
        return exc
    if not (
        isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
        or type(exc) is sa_exc.DatabaseError
    ):
        return None
    orig = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(orig).strip().splitlines() if ln.strip()]
    detail = lines[0] if lines else type(orig).__name__
    if len(detail) > 300:
        detail = detail[:300] + "..."
    lowered = detail.lower()
    hint = next((h for key, h in _HINTS if key in lowered), "check the URL and the server")
    if "database is locked" in lowered:
        detail += f" (waited {busy_timeout_s():g} s)"
    return DatabaseUnavailable(f"database {shown_url(url)}: {detail}; {hint}")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout_s() * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; fsync at checkpoints
    finally:
        cursor.close()


def make_engine(url: str | os.PathLike[str] | None = None, **kwargs: Any) -> Engine:
    """Return a new engine for ``database_url(url)``; SQLite gets WAL + foreign keys ON.

    Extra keyword arguments go to :func:`sqlalchemy.create_engine`. Nothing connects yet. An
    unknown URL scheme or a driver that is not installed is a :class:`DatabaseUnavailable`.
    """
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    resolved = database_url(url)
    try:
        if resolved.startswith("postgresql+psycopg://") and "connect_timeout" not in resolved:
            kwargs.setdefault("connect_args", {}).setdefault(
                "connect_timeout", _PG_CONNECT_TIMEOUT_S
            )
        engine = create_engine(resolved, **kwargs)
    except NoSuchModuleError:
        scheme = resolved.split("://", 1)[0]
        raise DatabaseUnavailable(
            f"database {shown_url(resolved)}: unknown URL scheme {scheme!r}; expected {_URL_HELP}"
        ) from None
    except ImportError as exc:  # a dialect whose driver is not installed (mysql://, oracle://)
        raise DatabaseUnavailable(
            f"database {shown_url(resolved)}: no driver installed ({exc.name or exc}); hcctrial "
            f"uses SQLite or PostgreSQL: expected {_URL_HELP}"
        ) from None
    except (ArgumentError, ValueError) as exc:
        raise DatabaseUnavailable(
            f"database {shown_url(resolved)}: not a database URL ({exc}); expected {_URL_HELP}"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def connect_engine(url: str | os.PathLike[str] | None = None, *, create: bool = False) -> Engine:
    """Return an engine that has connected once, or raise :class:`DatabaseUnavailable` naming the
    problem.

    A SQLite path is checked first (:func:`check_sqlite_file`): only ``create`` (``init``,
    ``demo``) may make a new file. The caller disposes of the engine.
    """
    resolved = database_url(url)
    path = sqlite_path(resolved)
    if path is not None:
        check_sqlite_file(path, create=create)
    engine = make_engine(resolved)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:
        engine.dispose()
        problem = database_problem(exc, resolved)
        if problem is None:
            raise
        raise problem from None
    return engine


def _refuse_unaudited_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse ORM writes of trial records: they must go through the audited service layer."""
    from hcctrial.errors import DataValidationError
    from hcctrial.store.models import Base

    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Base) and (
            obj in session.new or obj in session.deleted or session.is_modified(obj)
        ):
            raise DataValidationError(
                f"{type(obj).__tablename__}: records are written only through "
                "hcctrial.services (the trial's actions), which check and audit every change"
            )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine`` (objects stay usable after commit).

    Its sessions refuse to flush changed ORM objects of trial tables: every write goes through
    :mod:`hcctrial.services`, so that none escapes the rules and the audit trail.
    """
    from sqlalchemy import event
    from sqlalchemy.orm import sessionmaker

    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_unaudited_flush)
    return factory


@contextmanager
def open_session(engine: Engine) -> Iterator[Session]:
    """Yield a session in one transaction: committed on success, rolled back on any error."""
    factory = session_factory(engine)
    with factory() as session, session.begin():
        yield session
