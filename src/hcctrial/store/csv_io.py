"""The CSV file format of the trial database: one file per table, read and written here.

Files are named ``<table>.csv`` (``sites.csv``, ``patients.csv``, ...; see ``docs/database.md`` for
every column). The first line is the header; cells are UTF-8 text: empty = no value, booleans
``true``/``false``, dates ``YYYY-MM-DD``, timestamps ISO 8601 UTC. Row numbers in messages are
spreadsheet row numbers (the header is row 1, the first record row 2).

:func:`export_directory` writes every table (and the audit log). :func:`read_table_files` reads a
directory of such files for the import, checking the file names and headers only: the import itself
(:func:`hcctrial.services.imports.import_directory`) applies every rule of the trial to the rows and
writes all of them or none. ``version``, ``created_at``, ``updated_at`` are written by export and
ignored by import; the source's ``audit_log.csv`` is exported for the record and ignored by import,
which writes its own audit entries.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcctrial.errors import DataValidationError
from hcctrial.store.models import (
    AUDITED_TABLES,
    DATA_TABLES,
    AuditEntry,
    LabResult,
    Record,
    table_of,
)
from hcctrial.store.values import MANAGED_COLUMNS, column_specs, format_cell

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = ["CsvImportError", "RowError", "export_directory", "read_table_files"]

AUDIT_FILE = "audit_log.csv"
#: Most row errors listed in the exception message (all are in ``CsvImportError.errors``).
MAX_LISTED = 25


@dataclass(frozen=True)
class RowError:
    """One bad cell, row or file: table, spreadsheet row number (0 = the file), column, value,
    what was expected, and the id of the rule it breaks (``docs/rules.md``).

    ``text`` is the rule's whole message when the problem is not one cell's value (two records
    that contradict each other); ``expected`` then repeats it.
    """

    table: str
    row: int
    column: str
    value: str
    expected: str
    rule: str = "FIELD-VALUE"
    text: str | None = None

    @property
    def message(self) -> str:
        where = f"{self.table}.csv" if self.row == 0 else f"{self.table}.csv row {self.row}"
        if self.text is not None:
            return f"{where}, column {self.column}: {self.text} [{self.rule}]"
        return (
            f"{where}, column {self.column}: got {self.value!r}; expected {self.expected} "
            f"[{self.rule}]"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
            "rule": self.rule,
        }


class CsvImportError(DataValidationError):
    """The CSV files have bad rows; nothing was written. ``errors`` lists every problem, ``rule``
    is the rule of the first."""

    def __init__(self, errors: list[RowError]) -> None:
        listed = "\n  ".join(e.message for e in errors[:MAX_LISTED])
        more = f"\n  ... and {len(errors) - MAX_LISTED} more" if len(errors) > MAX_LISTED else ""
        super().__init__(
            f"import refused, nothing written: {len(errors)} problem(s)\n  {listed}{more}",
            field=errors[0].column if errors else None,
        )
        self.errors = errors
        self.rule = errors[0].rule if errors else None


#: The audited tables an export writes but a plain import does not read (they are restored, with
#: their history, only by ``import --with-history``): signatures, locks, form states, queries.
_HISTORY_ONLY = frozenset(t.__tablename__ for t in AUDITED_TABLES) - frozenset(
    t.__tablename__ for t in DATA_TABLES
)

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


def read_table_files(
    directory: Path,
) -> tuple[dict[type[Record], list[tuple[int, dict[str, str]]]], list[RowError]]:
    """Read every ``<table>.csv`` of ``directory``: per table (in foreign-key order) the rows with
    their spreadsheet row numbers, and the problems of the files themselves (an unknown file, an
    unknown or missing column, a row with more cells than the header).

    Raises :class:`DataValidationError` when ``directory`` is not a directory of table files.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataValidationError(
            f"import directory: got {str(directory)!r}; expected a directory of <table>.csv files"
        )
    known = {m.__tablename__: m for m in DATA_TABLES}
    errors: list[RowError] = []
    for path in sorted(directory.glob("*.csv")):
        if path.stem in _HISTORY_ONLY:  # signatures, locks, form states, queries: --with-history
            continue
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
    tables: dict[type[Record], list[tuple[int, dict[str, str]]]] = {}
    for model, path in files.items():
        rows = _read_file(path, model, errors)
        tables[model] = [
            (number, {k: v for k, v in raw.items() if k not in MANAGED_COLUMNS})
            for number, raw in rows
        ]
    return tables, errors


def export_directory(session: Session, directory: Path) -> dict[str, int]:
    """Write one ``<table>.csv`` per table (and ``audit_log.csv``) into ``directory``.

    Rows are in id order; returns the number of rows written per table.
    """
    from sqlalchemy import select

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    models: list[type[Any]] = [*AUDITED_TABLES, AuditEntry]
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
