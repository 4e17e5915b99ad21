"""Alembic migrations of the trial database, runnable from code (no alembic.ini needed).

:func:`upgrade_to_head` is what ``hcctrial init`` calls; it works from an installed package because
the script location is this package's directory. To write a new revision during development::

    .venv/bin/python -c "from hcctrial.store.migrations import alembic_config; \
from alembic import command; command.revision(alembic_config('sqlite:///x.sqlite'), \
'message', autogenerate=True)"
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "head_revision",
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
    """Create or upgrade every table of ``engine``'s database to the newest revision; return it."""
    from alembic import command

    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection=connection), "head")
        return head_revision()
    # SQLite changes a constraint by recreating the table (Alembic's batch mode), which drops a
    # parent table: foreign keys are switched off for the migration and checked before commit,
    # as SQLite's "other kinds of table schema changes" procedure says (PRAGMA foreign_keys is a
    # no-op inside a transaction, hence outside it).
    from sqlalchemy import text

    from hcctrial.errors import IntegrityError

    with engine.connect() as connection:
        connection.execute(text("PRAGMA foreign_keys=OFF"))
        connection.commit()
        try:
            with connection.begin():
                command.upgrade(alembic_config(connection=connection), "head")
                broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
                if broken:
                    raise IntegrityError(
                        f"migration refused: {len(broken)} row(s) would break a foreign key "
                        f"(first: {tuple(broken[0])}); nothing was changed"
                    )
        finally:
            connection.execute(text("PRAGMA foreign_keys=ON"))
            connection.commit()
    return head_revision()


def head_revision() -> str:
    """Return the newest revision id of the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Raise :class:`hcctrial.errors.DataValidationError` unless the database is at the head."""
    from hcctrial.errors import DataValidationError

    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "is empty" if current is None else f"is at revision {current}"
        raise DataValidationError(
            f"database: {engine.url.render_as_string(hide_password=True)} {state}; expected "
            f"revision {head}: run `hcctrial init --database URL` first"
        )
