"""Alembic migrations of the trial database, runnable from code (no alembic.ini needed).

:func:`upgrade_to_head` is what ``hcctrial init`` calls; it works from an installed package because
the script location is this package's directory. To write a new revision during development::

    .venv/bin/python -c "from hcctrial.store.migrations import alembic_config; \
from alembic import command; command.revision(alembic_config('sqlite:///x.sqlite'), \
'message', autogenerate=True)"
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "downgrade_to",
    "head_revision",
    "known_revisions",
    "require_current_schema",
    "upgrade_to_head",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Return an Alembic configuration for this package's migrations (no alembic.ini)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(engine: Engine) -> str:
    """Create or upgrade every table of ``engine``'s database to the newest revision; return it.

    All or nothing on every database: the DDL and the revision stamp run in one transaction, so a
    process killed at any moment leaves either the previous schema or the new one (on SQLite the
    driver would otherwise commit each ``CREATE TABLE`` on its own: see :func:`_sqlite_ddl_transaction`).
    Refused with a named :class:`hcctrial.errors.DataValidationError`: a database at a revision
    this code does not know (written by a newer hcctrial), and a database holding other tables
    but no hcctrial schema.
    """
    from alembic import command

    opener = _sqlite_ddl_transaction if engine.dialect.name == "sqlite" else _transaction
    with opener(engine) as connection:
        _check_upgradable(connection, engine)
        command.upgrade(alembic_config(connection=connection), "head")
        if engine.dialect.name == "sqlite":
            _check_foreign_keys(connection)
    return head_revision()


def downgrade_to(engine: Engine, revision: str) -> None:
    """Downgrade ``engine``'s database to ``revision``, all or nothing as :func:`upgrade_to_head`
    (a downgrade refused by one migration leaves the schema as it was, SQLite included)."""
    from alembic import command

    opener = _sqlite_ddl_transaction if engine.dialect.name == "sqlite" else _transaction
    with opener(engine) as connection:
        command.downgrade(alembic_config(connection=connection), revision)
        if engine.dialect.name == "sqlite":
            _check_foreign_keys(connection)


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as connection:
        yield connection


@contextmanager
def _sqlite_ddl_transaction(engine: Engine) -> Iterator[Connection]:
    """Yield a SQLite connection inside ``BEGIN IMMEDIATE``; commit at the end, roll back on error.

    Python's sqlite3 driver (before 3.12) opens transactions only before INSERT/UPDATE/DELETE, so
    DDL runs in autocommit mode, one table at a time. With the driver's own transaction handling
    off (``isolation_level = None``, SQLAlchemy's recipe for transactional DDL on pysqlite) an
    explicit ``BEGIN IMMEDIATE`` makes the whole migration one transaction, and takes the write
    lock first, so two ``init`` at once run one after the other.
    """
    with engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        previous = raw.isolation_level
        raw.isolation_level = None
        # SQLite changes a constraint by recreating the table (Alembic's batch mode), which drops
        # a parent table: foreign keys are switched off for the migration and checked before the
        # commit (_check_foreign_keys), as SQLite's "other kinds of table schema changes"
        # procedure says; PRAGMA foreign_keys is a no-op inside a transaction, hence here.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            raw.isolation_level = previous


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse (roll back) a SQLite migration that leaves a row breaking a foreign key."""
    from hcctrial.errors import IntegrityError

    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise IntegrityError(
            f"migration refused: {len(broken)} row(s) would break a foreign key "
            f"(first: {tuple(broken[0])}); nothing was changed"
        )


def _check_upgradable(connection: Connection, engine: Engine) -> None:
    from sqlalchemy import inspect

    from hcctrial.errors import DataValidationError

    shown = engine.url.render_as_string(hide_password=True)
    current = _revision_of(connection)
    if current is not None and current not in known_revisions():
        raise DataValidationError(_newer_message(shown, current), field="database")
    if current is None:
        tables = sorted(set(inspect(connection).get_table_names()) - {"alembic_version"})
        if tables:
            listed = ", ".join(tables[:8]) + (", ..." if len(tables) > 8 else "")
            raise DataValidationError(
                f"database {shown} already holds other tables ({listed}) and no hcctrial "
                "schema; refusing to add the trial tables to it: give a new database",
                field="database",
            )


def _newer_message(shown: str, current: str) -> str:
    return (
        f"database {shown} is at schema revision {current!r}, which this version of hcctrial "
        f"(newest revision {head_revision()!r}) does not know: it was written by a newer "
        "hcctrial; upgrade hcctrial (pip install -U hcctrial) to use it"
    )


def known_revisions() -> set[str]:
    """Return the ids of every migration script of this package."""
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _revision_of(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """Return the newest revision id of the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return _revision_of(connection)


def require_current_schema(engine: Engine) -> None:
    """Raise :class:`hcctrial.errors.DataValidationError` unless the database is at the head,
    saying what to do: ``hcctrial init`` for an empty or older database, a newer hcctrial for a
    revision this code does not know."""
    from hcctrial.errors import DataValidationError

    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    shown = engine.url.render_as_string(hide_password=True)
    if current is not None and current not in known_revisions():
        raise DataValidationError(_newer_message(shown, current), field="database")
    state = "holds no hcctrial tables" if current is None else f"is at the older revision {current}"
    raise DataValidationError(
        f"database {shown} {state}; expected revision {head}: run `hcctrial init --database "
        f"{shown}` first",
        field="database",
    )
