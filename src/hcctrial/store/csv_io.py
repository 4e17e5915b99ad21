"""CSV import and export: one file per table, all-or-nothing import with row-level errors.

Files are named ``<table>.csv`` (``sites.csv``, ``patients.csv``, ...; see ``docs/database.md`` for
every column). The first line is the header; cells are UTF-8 text: empty = no value, booleans
``true``/``false``, dates ``YYYY-MM-DD``, timestamps ISO 8601 UTC. Row numbers in messages are
spreadsheet row numbers (the header is row 1, the first record row 2).

Import (:func:`import_directory`):

1. reads every file and checks every cell (type, range, allowed values, required), every id
   (unique in the file and not already in the database), every unique column, and every foreign key
   (the id exists in the referenced file or already in the database);
2. if anything is wrong, raises :class:`CsvImportError` listing each problem as table, row, column,
   value and what was expected — and writes nothing;
3. otherwise inserts all rows through :func:`hcctrial.store.services.create_many` (audited) in the
   caller's single transaction, so a failure at any point leaves the database as it was.

``id`` is required (foreign keys refer to it). ``version``, ``created_at``, ``updated_at`` are
written by export and ignored by import (the import creates new records at version 1);
``lab_results.canonical_value`` is derived, so on import it may be empty or must agree. The
source's ``audit_log.csv`` is exported for the record and ignored by import, which writes its own
audit entries.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcctrial.errors import DataValidationError
from hcctrial.store.models import DATA_TABLES, AuditEntry, LabResult, Record, table_of
from hcctrial.store.services import create_many, prepare_insert_row
from hcctrial.store.values import MANAGED_COLUMNS, column_specs, format_cell

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = ["CsvImportError", "RowError", "export_directory", "import_directory"]

AUDIT_FILE = "audit_log.csv"
#: Most row errors listed in the exception message (all are in ``CsvImportError.errors``).
MAX_LISTED = 25


@dataclass(frozen=True)
class RowError:
    """One bad cell (or file): table, spreadsheet row number (0 = the file), column, value, expected."""

    table: str
    row: int
    column: str
    value: str
    expected: str

    @property
    def message(self) -> str:
        where = f"{self.table}.csv" if self.row == 0 else f"{self.table}.csv row {self.row}"
        return f"{where}, column {self.column}: got {self.value!r}; expected {self.expected}"

    def as_dict(self) -> dict[str, object]:
        return {
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
        }


class CsvImportError(DataValidationError):
    """The CSV files have bad rows; nothing was written. ``errors`` lists every problem."""

    def __init__(self, errors: list[RowError]) -> None:
        listed = "\n  ".join(e.message for e in errors[:MAX_LISTED])
        more = f"\n  ... and {len(errors) - MAX_LISTED} more" if len(errors) > MAX_LISTED else ""
        super().__init__(
            f"import refused, nothing written: {len(errors)} problem(s)\n  {listed}{more}",
            field=errors[0].column if errors else None,
        )
        self.errors = errors


def _existing(session: Session, model: type[Record], column: str) -> set[Any]:
    from sqlalchemy import select

    col = table_of(model).c[column]
    return set(session.execute(select(col).where(col.is_not(None))).scalars())


def _unique_groups(model: type[Record]) -> list[tuple[str, ...]]:
    from sqlalchemy import UniqueConstraint

    groups: list[tuple[str, ...]] = []
    for c in table_of(model).columns:
        if c.unique:
            groups.append((c.name,))
    for constraint in table_of(model).constraints:
        if isinstance(constraint, UniqueConstraint):
            names = tuple(c.name for c in constraint.columns)
            if names not in groups:
                groups.append(names)
    return groups


def _existing_groups(session: Session, model: type[Record], names: tuple[str, ...]) -> set[Any]:
    from sqlalchemy import select

    table = table_of(model)
    return {tuple(r) for r in session.execute(select(*(table.c[n] for n in names)))}


def _read_file(
    path: Path, model: type[Record], errors: list[RowError]
) -> list[tuple[int, dict[str, str]]]:
    """Return ``(spreadsheet row number, {column: cell})`` per data row of one table file.

    The file is read by the one input-file reader (:func:`hcctrial.input_files.read_csv_file`),
    which refuses bad encodings, ragged or truncated rows, a column named twice and over-long
    cells, naming the file and line; header problems are added to ``errors``.
    """
    from hcctrial.input_files import read_csv_file

    table = model.__tablename__
    specs = column_specs(model)
    try:
        content = read_csv_file(path, what="import file", field=table)
    except DataValidationError as exc:
        raise DataValidationError(
            f"import refused, nothing written: {exc.message}", field=exc.field
        ) from None
    header = content.header
    unknown = [h for h in header if h not in specs]
    for name in unknown:
        errors.append(RowError(table, 1, name, name, f"a column of {table}: {', '.join(specs)}"))
    required = [
        n
        for n, s in specs.items()
        if not s.nullable
        and n not in MANAGED_COLUMNS
        and not (model is LabResult and n == "canonical_value")
        and n != "overridden_by"
    ]
    for name in required:
        if name not in header:
            errors.append(RowError(table, 1, name, "", "this required column in the header"))
    if unknown or any(n not in header for n in required):
        return []
    return list(zip(content.line_numbers, content.records(), strict=True))


def import_directory(
    session: Session, directory: Path, *, actor: str, reason: str
) -> dict[str, int]:
    """Import every ``<table>.csv`` of ``directory`` in the session's transaction (all or nothing).

    Returns the number of rows imported per table. Raises :class:`CsvImportError` listing every bad
    row (table, row, column, value, expected) before anything is written, and
    :class:`DataValidationError` when ``directory`` is not a directory of known table files.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataValidationError(
            f"import directory: got {str(directory)!r}; expected a directory of <table>.csv files"
        )
    known = {m.__tablename__: m for m in DATA_TABLES}
    errors: list[RowError] = []
    for path in sorted(directory.glob("*.csv")):
        if path.stem not in known and path.name != AUDIT_FILE:
            errors.append(
                RowError(path.stem, 0, "(file)", path.name, f"a table file: {', '.join(known)}.csv")
            )
    files = {m: directory / f"{m.__tablename__}.csv" for m in DATA_TABLES}
    files = {m: p for m, p in files.items() if p.exists()}
    if not files and not errors:
        raise DataValidationError(
            f"import directory: {str(directory)!r} holds no table files; expected e.g. sites.csv"
        )

    prepared: dict[type[Record], list[tuple[int, dict[str, Any]]]] = {}
    ids: dict[str, set[int]] = defaultdict(set)
    for model, path in files.items():
        table = model.__tablename__
        rows = _read_file(path, model, errors)
        good: list[tuple[int, dict[str, Any]]] = []
        existing_ids = _existing(session, model, "id")
        groups = {g: _existing_groups(session, model, g) for g in _unique_groups(model)}
        for number, raw in rows:
            cells = {k: v for k, v in raw.items() if k not in MANAGED_COLUMNS}
            values, problems = prepare_insert_row(model, cells)  # = prepare_row, faster
            for p in problems:
                errors.append(
                    RowError(
                        table, number, p.column, "" if p.value is None else str(p.value), p.expected
                    )
                )
            if problems:
                continue
            pk = values.get("id")
            if pk is None:
                errors.append(RowError(table, number, "id", "", "a positive integer id (required)"))
            elif pk in existing_ids or pk in ids[table]:
                where = "the database" if pk in existing_ids else "this file"
                errors.append(
                    RowError(table, number, "id", str(pk), f"an id not already used in {where}")
                )
            else:
                ids[table].add(pk)
            for group, seen in groups.items():
                key = tuple(values.get(n) for n in group)
                if any(k is None for k in key):
                    continue
                if key in seen:
                    errors.append(
                        RowError(
                            table,
                            number,
                            ",".join(group),
                            ",".join(raw.get(n, "") for n in group),
                            "a value not already used (unique)",
                        )
                    )
                seen.add(key)
            good.append((number, values))  # foreign keys are checked for every parsed row
        prepared[model] = good

    # foreign keys: the referenced id is in the referenced file or already in the database
    db_ids: dict[str, set[Any]] = {}
    for model, rows_ in prepared.items():
        table = model.__tablename__
        for name, spec in column_specs(model).items():
            if spec.references is None:
                continue
            target = spec.references
            if target not in db_ids:
                db_ids[target] = _existing(session, known[target], "id")
            for number, values in rows_:
                ref = values.get(name)
                if ref is not None and ref not in ids[target] and ref not in db_ids[target]:
                    errors.append(
                        RowError(table, number, name, str(ref), f"the id of a row of {target}")
                    )
    if errors:
        raise CsvImportError(errors)

    counts: dict[str, int] = {}
    for model, rows_ in prepared.items():
        create_many(session, model, (v for _, v in rows_), actor=actor, reason=reason)
        counts[model.__tablename__] = len(rows_)
    return counts


def export_directory(session: Session, directory: Path) -> dict[str, int]:
    """Write one ``<table>.csv`` per table (and ``audit_log.csv``) into ``directory``.

    Rows are in id order; returns the number of rows written per table.
    """
    from sqlalchemy import select

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    models: list[type[Any]] = [*DATA_TABLES, AuditEntry]
    for model in models:
        table = table_of(model)
        specs = column_specs(model)
        order = table.c.seq if model is AuditEntry else table.c.id
        path = directory / f"{table.name}.csv"
        n = 0
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(list(specs))
            result = session.execute(
                select(table).order_by(order).execution_options(yield_per=5000)
            )
            for row in result.mappings():
                writer.writerow([format_cell(spec, row[name]) for name, spec in specs.items()])
                n += 1
        counts[table.name] = n
    return counts
