"""Engine and session factories (nothing is created at import time).

Which database:

1. an explicit URL or path (``--database`` on the command line), else
2. the settings' ``database_url`` (:mod:`hcctrial.settings`: ``HCCTRIAL_DATABASE_URL``), else
3. the SQLite file ``hcctrial.sqlite`` in the working directory.

A plain file path is read as a SQLite file; ``postgresql://`` and ``postgres://`` URLs are given
the psycopg (v3) driver. SQLite connections get ``PRAGMA journal_mode=WAL`` (readers do not block
the writer), ``foreign_keys=ON`` (SQLite ignores foreign keys otherwise) and a busy timeout, through
a ``connect`` event listener on each engine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "DEFAULT_SQLITE_FILE",
    "ENV_VAR",
    "database_url",
    "make_engine",
    "open_session",
    "session_factory",
]

ENV_VAR = "HCCTRIAL_DATABASE_URL"
DEFAULT_SQLITE_FILE = "hcctrial.sqlite"
_SQLITE_BUSY_TIMEOUT_MS = 10_000


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

        raw = load_settings().database_url or None
    if raw is None:
        raw = f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"
    raw = raw.strip()
    if "://" not in raw:  # a file path
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; fsync at checkpoints
    finally:
        cursor.close()


def make_engine(url: str | os.PathLike[str] | None = None, **kwargs: Any) -> Engine:
    """Return a new engine for ``database_url(url)``; SQLite gets WAL + foreign keys ON.

    Extra keyword arguments go to :func:`sqlalchemy.create_engine`.
    """
    from sqlalchemy import create_engine, event

    resolved = database_url(url)
    engine = create_engine(resolved, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
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
