"""Ids of new records that were never given before, on SQLite (:class:`~hcctrial.store.models.IdHighWater`).

Why: SQLite gives a new row ``max(id) + 1``; once the newest record of a table has been deleted,
its id would be given to the next record, and the audit trail, form states, queries and
signatures that name the deleted record by (table, id) would then name the new one. PostgreSQL's
sequences never give an id twice, so these functions do nothing there. Writers on SQLite are
serialised by the database's write lock, so reading and moving the mark in the writing
transaction cannot give one id to two transactions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from hcctrial.store.models import IdHighWater

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Table
    from sqlalchemy.orm import Session

__all__ = ["gives_own_ids", "note_ids", "reserve_ids"]


def gives_own_ids(session: Session) -> bool:
    """Whether new ids must come from :func:`reserve_ids` (SQLite) rather than the database."""
    return session.get_bind().dialect.name == "sqlite"


def _mark(session: Session, table_name: str) -> int:
    found = session.execute(
        select(IdHighWater.last_id).where(IdHighWater.table_name == table_name)
    ).scalar()
    return int(found or 0)


def _set_mark(session: Session, table_name: str, last_id: int) -> None:
    from sqlalchemy.dialects.sqlite import insert

    stmt = insert(IdHighWater).values(table_name=table_name, last_id=last_id)
    session.execute(
        stmt.on_conflict_do_update(index_elements=["table_name"], set_={"last_id": last_id})
    )


def reserve_ids(session: Session, table: Table, n: int) -> list[int]:
    """``n`` new ids of ``table``, past every id it has ever given (its largest id now, and the
    mark of ids given before, deleted records' included); the mark moves past them.

    One statement reads and moves the mark (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``),
    so it holds SQLite's write lock from the read on: another process writing at the same time
    cannot be given the same ids.
    """
    from sqlalchemy import text

    name = str(table.name)
    top = f"COALESCE((SELECT MAX(id) FROM {name}), 0)"
    last = session.execute(
        text(
            "INSERT INTO id_high_water (table_name, last_id) "
            f"VALUES (:name, {top} + :n) "
            "ON CONFLICT (table_name) DO UPDATE SET "
            f"last_id = MAX(id_high_water.last_id, {top}) + :n "
            "RETURNING last_id"
        ),
        {"name": name, "n": n},
    ).scalar_one()
    return list(range(int(last) - n + 1, int(last) + 1))


def note_ids(session: Session, table: Table, ids: list[int]) -> None:
    """Move ``table``'s mark past ``ids`` (inserted with ids given by the caller, an import)."""
    if ids and max(ids) > _mark(session, str(table.name)):
        _set_mark(session, str(table.name), max(ids))
