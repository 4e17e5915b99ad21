"""Import: a whole trial (or part of one) from files, through the same rules as every form.

:func:`import_rows` takes rows per table -- each with its ``id``, so that rows of other tables can
point at it -- and runs them as one action, "import", through the unit of work: every value, every
link, every site, the patients' states and every rule comparing records apply exactly as they do
to a form's save (``docs/rules.md``), on all rows at once. A row set that breaks any rule is
refused whole: nothing is written, and every problem is named by file, row, column and rule.
:func:`import_directory` reads ``<table>.csv`` files (:mod:`hcctrial.store.csv_io`) and imports them.

Automatic queries: a value possible but worth a second look (a lab far outside its normal range, a
large change from the previous value, a cycle outside its window) is imported and raises a query,
as after a form's save: the unit of work runs the edit checks (:mod:`hcctrial.services.edit_checks`)
on the patients the import wrote, in one pass and in the import's transaction.

Statuses: a patient row of the file gives the patient's status, and the status must be the one its
records give (STATUS-RECORDS); rows added to a patient already in the database move that patient's
state as the actions would.

Speed: the rows are checked column by column by precompiled checkers, the rules run per patient
on plain rows, and the rows are written with ``executemany``/``COPY`` and one audit batch per
5,000 rows (``docs/performance.md``: at least 20,000 rows/s on SQLite).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hcctrial.errors import RuleRefusal
from hcctrial.services.rules import Action
from hcctrial.services.unit_of_work import Insert, UnitOfWork
from hcctrial.store import models as m
from hcctrial.store.csv_io import CsvImportError, RowError, read_table_files

__all__ = ["import_directory", "import_rows"]

_MODELS = {x.__tablename__: x for x in m.DATA_TABLES}


def _id_errors(
    uow: UnitOfWork, model: type[m.Record], rows: Sequence[Mapping[str, Any]], lines: Sequence[int]
) -> list[RowError]:
    """Every row gives a positive integer ``id``, unique in its table and not already used."""
    from sqlalchemy import select

    table = model.__tablename__
    errors: list[RowError] = []
    ids: dict[int, int] = {}
    for row, line in zip(rows, lines, strict=True):
        raw = row.get("id")
        if type(raw) is int:
            pk: int | None = raw
        else:
            try:
                pk = int(str(raw).strip()) if raw not in (None, "") else None
            except ValueError:
                pk = None
        if pk is None or pk <= 0:
            shown = "" if raw is None else str(raw)
            errors.append(RowError(table, line, "id", shown, "a positive integer id (required)"))
        elif pk in ids:
            errors.append(
                RowError(
                    table,
                    line,
                    "id",
                    str(pk),
                    "an id not already used in this file",
                    "RECORD-UNIQUE",
                )
            )
        else:
            ids[pk] = line
    from sqlalchemy import func

    t = m.table_of(model)
    top = uow.session.scalar(select(func.max(t.c.id)))
    wanted = [] if top is None else sorted(pk for pk in ids if pk <= top)  # a larger id is free
    for start in range(0, len(wanted), 500):
        stmt = select(t.c.id).where(t.c.id.in_(wanted[start : start + 500]))
        for pk in uow.session.execute(stmt).scalars():
            errors.append(
                RowError(
                    table,
                    ids[pk],
                    "id",
                    str(pk),
                    "an id not already used in the database",
                    "RECORD-UNIQUE",
                )
            )
    return errors


def _row_errors(exc: RuleRefusal) -> list[RowError]:
    out = []
    for f in exc.findings:
        line = f.get("line")
        value, expected = f.get("value"), f.get("expected")
        field = str(f.get("field") or "(row)")
        text = None if expected is not None and value is not None else str(f["message"])
        out.append(
            RowError(
                str(f["table"]),
                int(line) if isinstance(line, int) else 0,
                field,
                "" if value is None else str(value),
                str(expected) if expected is not None else str(f["message"]),
                str(f["rule"]),
                text,
            )
        )
    return out


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an import holds its rows.

    The rows of a large import stay alive until they are written (hundreds of thousands of
    dicts); each full collection would walk all of them again although an import makes no
    reference cycles -- about a quarter of the import's time at 630,000 rows. Reference counting
    still frees everything; the collector runs again afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_rows(
    uow: UnitOfWork,
    tables: Mapping[Any, Sequence[Mapping[str, Any]]],
    *,
    reason: str,
    lines: Mapping[Any, Sequence[int]] | None = None,
) -> dict[str, int]:
    """Import ``tables`` (model or table name -> rows, each with its ``id``) as one action;
    return the rows imported per table. ``lines``: the rows' numbers in their files (messages).

    Raises :class:`~hcctrial.store.csv_io.CsvImportError` naming every bad row (table, row,
    column, value, expected, rule) before anything is written.
    """
    given = {(_MODELS[t] if isinstance(t, str) else t): rows for t, rows in tables.items()}
    numbered = {
        (_MODELS[t] if isinstance(t, str) else t): list(n) for t, n in (lines or {}).items()
    }
    from hcctrial.services.part11_gate import database_lock
    from hcctrial.services.plan import Plan

    database_lock(uow, Plan(Action.IMPORT, reason))  # a locked database: that answer first
    errors: list[RowError] = []
    writes = []
    for model in m.DATA_TABLES:  # parents before children
        rows = given.get(model)
        if not rows:
            continue
        numbers = numbered.get(model) or list(range(2, len(rows) + 2))
        errors += _id_errors(uow, model, rows, numbers)
        writes.append(Insert(model, rows, numbers))
    if errors:
        raise CsvImportError(errors)
    try:
        with _without_cyclic_gc():
            outcome = uow.run(Action.IMPORT, writes, reason=reason)
    except RuleRefusal as exc:
        raise CsvImportError(_row_errors(exc)) from exc
    return {
        w.model.__tablename__: len(ids) for w, ids in zip(writes, outcome.inserted, strict=True)
    }


def import_directory(uow: UnitOfWork, directory: Path, *, reason: str) -> dict[str, int]:
    """Import every ``<table>.csv`` of ``directory`` in the session's transaction (all or nothing);
    return the rows imported per table."""
    files, errors = read_table_files(directory)
    if errors:
        raise CsvImportError(errors)
    tables = {model: [row for _, row in rows] for model, rows in files.items()}
    lines = {model: [n for n, _ in rows] for model, rows in files.items()}
    return import_rows(uow, tables, reason=reason, lines=lines)
