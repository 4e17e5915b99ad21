"""Tables as CSV: one file per table, a ``level`` column for the indent, cells as printed."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from hcctrial.report.tables import Table

__all__ = ["render_csv", "write_csv_tables"]


def render_csv(table: Table) -> str:
    """Return ``table`` as CSV text: header = ``level`` + the columns; footnotes are not rows."""
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["level", *table.columns])
    for r in table.rows:
        w.writerow([r.indent, r.label, *r.cells])
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
