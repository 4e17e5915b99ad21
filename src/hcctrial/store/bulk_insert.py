"""Driver-level bulk inserts for the audited bulk path (:func:`hcctrial.services.persistence.create_many`).

Why not ``session.execute(insert(table), list_of_dicts)``: SQLAlchemy then processes every
parameter of every row in Python (dict lookups, bind processors, ``insertmanyvalues`` batching),
which took half of a 630,000-row import. Here the values are converted *column by column* with the
very bind processors SQLAlchemy would use (:meth:`TypeEngine.bind_processor` of the column's type
for the connection's dialect: dates, enums, UTC timestamps), so the stored bytes are the same, and
then handed to the driver in one go, on the session's own connection and transaction:

- PostgreSQL (psycopg 3): ``COPY table (columns) FROM STDIN`` through ``cursor.copy``;
- SQLite and other drivers: one ``executemany`` of a prepared ``INSERT`` with positional tuples.

Constraints are checked by the database exactly as for ``INSERT`` (``COPY`` checks unique and
foreign keys row by row, immediately); a refusal is raised as SQLAlchemy's
:class:`~sqlalchemy.exc.IntegrityError` (or another :class:`~sqlalchemy.exc.DBAPIError`), and the
caller's transaction then rolls back as a whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Table
    from sqlalchemy.engine import Dialect
    from sqlalchemy.orm import Session

__all__ = ["insert_rows"]

_NO_CONSTANTS: Mapping[str, object] = {}


def _processor(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The bind processor SQLAlchemy applies to column ``name`` on ``dialect`` (None: none)."""
    type_ = table.c[name].type
    return type_.dialect_impl(dialect).bind_processor(dialect)


def insert_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[object]],
    constants: Mapping[str, object] = _NO_CONSTANTS,
) -> None:
    """Insert ``rows`` (tuples of Python values in the order of ``names``) into ``table``.

    ``constants`` gives columns whose value is the same in every row (converted once). Runs on
    the session's connection, inside its transaction; nothing is committed here.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    all_names = [*names, *constants]
    processors = [_processor(table, n, dialect) for n in names]
    fixed = []
    for name, value in constants.items():
        proc = _processor(table, name, dialect)
        fixed.append(value if proc is None else proc(value))
    if any(p is not None for p in processors) or fixed:
        columns: list[Any] = [
            col if proc is None else list(map(proc, col))
            for proc, col in zip(processors, zip(*rows, strict=True), strict=True)
        ]
        params: Sequence[Sequence[object]] = list(
            zip(*columns, *(repeat(v) for v in fixed), strict=False)  # repeat() is endless
        )
    else:
        params = rows
    prep = dialect.identifier_preparer
    target = prep.format_table(table)
    column_list = ", ".join(prep.quote(n) for n in all_names)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy_rows(connection, f"COPY {target} ({column_list}) FROM STDIN", params)
        return
    if dialect.paramstyle == "qmark":
        marks = ", ".join("?" * len(all_names))
    elif dialect.paramstyle in ("format", "pyformat"):
        marks = ", ".join(["%s"] * len(all_names))
    else:  # pragma: no cover - every supported driver uses one of the above
        from sqlalchemy import insert

        connection.execute(insert(table), [dict(zip(all_names, r, strict=True)) for r in params])
        return
    connection.exec_driver_sql(f"INSERT INTO {target} ({column_list}) VALUES ({marks})", params)


def _copy_rows(connection: Any, sql: str, rows: Sequence[Sequence[object]]) -> None:
    """``COPY ... FROM STDIN`` on the psycopg connection under ``connection``; errors wrapped."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    raw = connection.connection.driver_connection
    try:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc
