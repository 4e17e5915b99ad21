"""Tables as data: each table as CSV and in one XLSX workbook (openpyxl), with its title and
footnotes, the cells as printed and, beside each printed column, its numbers as numbers.

What a statistician pastes into a journal's template: the printed text ("17 (25.8)",
"13.1 (9.5–16.7)", "< 0.001") and the numbers it is made of in their own columns (17 and 25.8;
13.1, 9.5 and 16.7; 0.001 with the bound "<" kept in the text). The numbers are read back from
the printed cell by one pattern per cell shape (:func:`cell_numbers`) -- the table model holds
formatted text, and this keeps the numeric columns exactly the printed precision. A bound
truncated at zero ("0.0†") is the number 0.0; "NR" (not reached) and "—" are empty.

Layout of a CSV file: row 1 the title; row 2 the header (``level``, then for each printed column
its text and its numeric parts, e.g. ``Grade I``, ``Grade I: n``, ``Grade I: %``); the rows; an
empty row; one row per footnote. The workbook has one sheet per table laid out the same way.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

from hcctrial.report.tables import TRUNCATED, Table

__all__ = ["cell_numbers", "render_csv", "table_grid", "write_csv_tables", "write_xlsx_tables"]

_NUM = r"[−-]?\d+(?:\.\d+)?"
#: Cell shapes and the names of their numbers, tried in order.
_SHAPES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(rf"^({_NUM}|NR) \(({_NUM}|NR)–({_NUM}|NR)\)$"), ("estimate", "lower", "upper")),
    (re.compile(rf"^({_NUM}) \(({_NUM})\)$"), ("n", "%")),
    (re.compile(rf"^({_NUM}) ± ({_NUM})$"), ("mean", "SD")),
    (re.compile(rf"^({_NUM}|NR)–({_NUM}|NR)$"), ("lower", "upper")),
    (re.compile(rf"^< ({_NUM})$"), ("value",)),
    (re.compile(rf"^({_NUM})$"), ("value",)),
)


def _number(text: str) -> float | int | None:
    if text == "NR":
        return None
    t = text.replace("−", "-")
    return int(t) if re.fullmatch(r"-?\d+", t) else float(t)


def cell_numbers(cell: str) -> tuple[tuple[str, ...], tuple[float | int | None, ...]]:
    """The names and values of the numbers in a printed cell (empty when it holds none)."""
    text = cell.replace(TRUNCATED, "").strip()
    for pattern, names in _SHAPES:
        m = pattern.match(text)
        if m:
            return names, tuple(_number(g) for g in m.groups())
    return (), ()


def _column_parts(cells: Sequence[str]) -> tuple[str, ...]:
    """The numeric parts of a column: the names of its most common cell shape."""
    shapes: dict[tuple[str, ...], int] = {}
    for c in cells:
        names, _ = cell_numbers(c)
        if names:
            shapes[names] = shapes.get(names, 0) + 1
    return max(shapes, key=lambda k: shapes[k]) if shapes else ()


def table_grid(table: Table) -> list[list[str | float | int | None]]:
    """The header and rows of ``table`` with the numeric columns (no title, no footnotes)."""
    ncol = len(table.columns) - 1
    parts = [_column_parts([r.cells[j] for r in table.rows]) for j in range(ncol)]
    header: list[str | float | int | None] = ["level", table.columns[0]]
    for j in range(ncol):
        header.append(table.columns[j + 1])
        header += [f"{table.columns[j + 1]}: {p}" for p in parts[j]]
    grid: list[list[str | float | int | None]] = [header]
    for r in table.rows:
        row: list[str | float | int | None] = [r.indent, r.label]
        for j, cell in enumerate(r.cells):
            names, values = cell_numbers(cell)
            row.append(cell)
            row += list(values) if names == parts[j] else [None] * len(parts[j])
        grid.append(row)
    return grid


def render_csv(table: Table) -> str:
    """Return ``table`` as CSV text: title, header, rows, an empty row, the footnotes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([table.title])
    for row in table_grid(table):
        w.writerow(["" if v is None else v for v in row])
    w.writerow([])
    for note in (*table.footnotes, *((table.caption,) if table.caption else ())):
        w.writerow([note])
    return buf.getvalue()


def write_csv_tables(tables: Sequence[Table], out_dir: Path) -> tuple[Path, ...]:
    """Write each table to ``out_dir/<key>.csv`` (UTF-8); return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in tables:
        p = out_dir / f"{t.key}.csv"
        p.write_text(render_csv(t), encoding="utf-8")
        paths.append(p)
    return tuple(paths)


def write_xlsx_tables(tables: Sequence[Table], path: Path) -> Path:
    """Write every table to one workbook at ``path``, a sheet per table (named by its key):
    title in bold, header, rows (numbers as numbers), footnotes under them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for t in tables:
        ws = wb.create_sheet(t.key[:31])
        ws.append([t.title])
        ws["A1"].font = Font(bold=True)
        grid = table_grid(t)
        for row in grid:
            ws.append(row)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        ws.append([])
        for note in (*t.footnotes, *((t.caption,) if t.caption else ())):
            ws.append([note])
        ws.column_dimensions["B"].width = min(60, max(len(str(r[1] or "")) for r in grid) + 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path
