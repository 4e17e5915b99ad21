"""Column widths of a report table fitted to its content, and whether it needs a landscape page.

Word's own autofit runs only when Word opens the file (LibreOffice ignores it), so the widths are
computed here from the text: no column narrower than its longest word (nothing breaks
mid-word, "Haematolog/ical") or than its longest short cell (a count such as "17 (25.8)" never
wraps), each column's share of the spare width in proportion to how much its longest cell would
need to sit on one line. Character widths are estimated at 0.62 em (DejaVu Sans, the widest of
the fonts LibreOffice substitutes for Arial; Arial and Liberation Sans average 0.5-0.55 em), plus
the cell margins of the three-line table style.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hcctrial.report.tables import Table

__all__ = ["MARGIN_MM", "PAGE_MM", "SHORT_CELL", "ColumnFit", "fit_columns", "table_fit"]

#: A4 (mm) and the page margins of the Word and PDF reports.
PAGE_MM = (210.0, 297.0)
MARGIN_MM = 20.0

#: Average character width in mm at 1 pt (0.62 em; 1 pt = 0.3528 mm).
_MM_PER_CHAR_PT = 0.62 * 0.3528
#: A cell up to this many characters is kept on one line (counts, CIs, p values).
SHORT_CELL = 20
#: Left + right cell margin of the "Three Line Table" style (85 twips each side), mm.
_CELL_PAD_MM = 2 * 85 / 1440 * 25.4


@dataclass(frozen=True)
class ColumnFit:
    """Column widths (mm) and whether the table goes on a landscape page."""

    widths_mm: tuple[float, ...]
    landscape: bool


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.replace("–", "– ").split()), default=0)


def _unbreakable(text: str) -> int:
    return len(text) if len(text) <= SHORT_CELL else _longest_word(text)


def _needs(columns: Sequence[Sequence[str]], size_pt: float) -> tuple[list[float], list[float]]:
    """Per column: the narrowest width (mm) that breaks no word and no short body cell (the
    header, ``col[0]``, may wrap between words), and the width that prints every cell on one
    line."""
    char = _MM_PER_CHAR_PT * size_pt
    word = [
        max([_longest_word(col[0]), *(_unbreakable(c) for c in col[1:])]) * char + _CELL_PAD_MM
        for col in columns
    ]
    line = [max(len(c) for c in col) * char + _CELL_PAD_MM for col in columns]
    return word, line


def _fit(word: list[float], line: list[float], avail: float) -> tuple[float, ...]:
    if sum(line) <= avail:
        spare = avail - sum(line)
        return tuple(w + spare * w / sum(line) for w in line)
    spare = avail - sum(word)
    want = [max(ln - w, 0.0) for w, ln in zip(word, line, strict=True)]
    total = sum(want) or 1.0
    return tuple(w + spare * x / total for w, x in zip(word, want, strict=True))


def fit_columns(
    columns: Sequence[Sequence[str]],
    *,
    portrait_mm: float,
    landscape_mm: float,
    size_pt: float = 8.5,
) -> ColumnFit:
    """Fit ``columns`` (each the header then every cell, as text) to the page.

    Landscape when the longest words alone do not fit the portrait width, or when the table
    would need more than 1.6 portrait widths to print its cells on one line (a wide table
    whose text would wrap into tall rows).
    """
    word, line = _needs(columns, size_pt)
    landscape = sum(word) > portrait_mm or sum(line) > 1.6 * portrait_mm
    avail = landscape_mm if landscape else portrait_mm
    if sum(word) > avail:  # cannot avoid a break: scale the word widths down evenly
        return ColumnFit(tuple(w * avail / sum(word) for w in word), landscape)
    return ColumnFit(_fit(word, line, avail), landscape)


def table_fit(t: Table) -> ColumnFit:
    """The column widths of ``t`` on an A4 page with the report's margins, and whether it needs
    a landscape page (the Word and the PDF report turn the same tables)."""
    columns = [[t.columns[0], *(r.label for r in t.rows)]] + [
        [t.columns[j], *(r.cells[j - 1] for r in t.rows)] for j in range(1, len(t.columns))
    ]
    return fit_columns(
        columns,
        portrait_mm=PAGE_MM[0] - 2 * MARGIN_MM,
        landscape_mm=PAGE_MM[1] - 2 * MARGIN_MM,
    )
