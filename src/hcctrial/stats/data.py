"""The one input checker for survival data, and the CSV reader of the survival commands.

Every estimator of :mod:`hcctrial.stats` takes its arrays through :func:`survival_data`, so that the
rules are stated once: times finite and >= 0, events coded 0/1, groups and strata as labels, all of
the same length. A row with a missing value (``NA`` or empty, R's convention) in a column the
analysis uses is dropped, as R's ``na.omit`` does, and the number dropped is reported.

Errors of :func:`survival_data` name the argument and the row (1-based index into the arrays);
errors of :class:`CsvTable` name the column and the file line (the header is line 1), as a text
editor or a spreadsheet numbers it, so that a user can find the cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError

__all__ = [
    "MISSING_TOKENS",
    "CsvTable",
    "SurvivalData",
    "read_csv_table",
    "survival_data",
]

#: Cell texts read as missing (R's ``read.csv`` default plus the empty cell).
MISSING_TOKENS = frozenset({"", "NA", "NaN", "nan", "."})


@dataclass(frozen=True)
class SurvivalData:
    """Checked survival data: ``time`` (float64, >= 0), ``event`` (int8, 0/1), optional labels.

    ``group`` and ``strata`` hold one label per subject (numpy object arrays of str) or are None.
    """

    time: npt.NDArray[np.float64]
    event: npt.NDArray[np.int8]
    group: npt.NDArray[np.object_] | None = None
    strata: npt.NDArray[np.object_] | None = None
    n_dropped: int = 0

    @property
    def n(self) -> int:
        """The number of subjects."""
        return int(self.time.shape[0])


def _as_float_array(values: Any, name: str) -> npt.NDArray[np.float64]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"{name}: expected numbers; {exc}", field=name) from exc
    if arr.ndim != 1:
        raise DataValidationError(
            f"{name}: expected a 1-d array, got shape {arr.shape}", field=name
        )
    return arr


def _first_bad(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0]) + 1


def survival_data(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    group: Sequence[Any] | npt.ArrayLike | None = None,
    strata: Sequence[Any] | npt.ArrayLike | None = None,
    *,
    time_name: str = "time",
    event_name: str = "event",
    group_name: str = "group",
    strata_name: str = "strata",
) -> SurvivalData:
    """Return checked :class:`SurvivalData`; raise :class:`DataValidationError` naming column and row.

    Times must be finite and non-negative; events 0 (censored) or 1 (event); booleans are accepted
    as events. Group/strata labels are converted to ``str``.

    >>> d = survival_data([5, 3.5], [1, 0])
    >>> d.n, d.event.tolist()
    (2, [1, 0])
    """
    t = _as_float_array(time, time_name)
    e_raw = _as_float_array(event, event_name)
    if t.shape != e_raw.shape:
        raise DataValidationError(
            f"{event_name}: length {e_raw.shape[0]} differs from {time_name} length {t.shape[0]}",
            field=event_name,
        )
    if t.size == 0:
        raise DataValidationError(f"{time_name}: no observations", field=time_name)
    bad = ~np.isfinite(t)
    if bad.any():
        row = _first_bad(bad)
        raise DataValidationError(
            f"{time_name}: row {row} has {t[row - 1]!r}; expected a finite time", field=time_name
        )
    bad = t < 0
    if bad.any():
        row = _first_bad(bad)
        raise DataValidationError(
            f"{time_name}: row {row} has negative time {t[row - 1]:g}; expected a time >= 0",
            field=time_name,
        )
    bad = ~np.isin(e_raw, (0.0, 1.0))
    if bad.any():
        row = _first_bad(bad)
        raise DataValidationError(
            f"{event_name}: row {row} has {e_raw[row - 1]:g}; expected 0 (censored) or 1 (event)",
            field=event_name,
        )
    labels: dict[str, Any] = {}
    for name, values in ((group_name, group), (strata_name, strata)):
        if values is None:
            labels[name] = None
            continue
        arr: npt.NDArray[np.object_] = np.array([str(v) for v in np.asarray(values)], dtype=object)
        if arr.shape != t.shape:
            raise DataValidationError(
                f"{name}: length {arr.shape[0]} differs from {time_name} length {t.shape[0]}",
                field=name,
            )
        labels[name] = arr
    return SurvivalData(t, e_raw.astype(np.int8), labels[group_name], labels[strata_name])


@dataclass(frozen=True)
class CsvTable:
    """A CSV file read as text columns, with the helpers the survival commands need."""

    path: Path
    header: list[str]
    columns: dict[str, list[str]] = field(repr=False)
    line_numbers: list[int] = field(default_factory=list, repr=False)

    def line(self, i: int) -> int:
        """Return the file line (header = line 1) of data row ``i`` (0-based, all rows)."""
        return self.line_numbers[i] if self.line_numbers else i + 2

    @property
    def n_rows(self) -> int:
        """The number of data rows."""
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def require(self, name: str) -> list[str]:
        """Return the raw cells of column ``name``; raise naming the column when it is absent."""
        if name not in self.columns:
            raise DataValidationError(
                f"column {name!r} not found in {self.path.name}; columns are {self.header}",
                field=name,
            )
        return self.columns[name]

    def missing_mask(self, names: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Return True for each row with a missing cell (NA or empty) in any of ``names``."""
        mask = np.zeros(self.n_rows, dtype=bool)
        for name in names:
            cells = self.require(name)
            mask |= np.fromiter((c.strip() in MISSING_TOKENS for c in cells), bool, self.n_rows)
        return mask

    def numeric(
        self, name: str, keep: npt.NDArray[np.bool_] | None = None
    ) -> npt.NDArray[np.float64]:
        """Return column ``name`` as floats (rows in ``keep`` only); raise naming the bad row."""
        cells = self.require(name)
        out = np.empty(len(cells), dtype=np.float64)
        for i, cell in enumerate(cells):
            text = cell.strip()
            if text in MISSING_TOKENS:
                out[i] = np.nan
                continue
            try:
                out[i] = float(text)
            except ValueError:
                raise DataValidationError(
                    f"column {name!r}: line {self.line(i)} has {cell!r}; expected a number",
                    field=name,
                ) from None
        return out if keep is None else out[keep]

    def is_numeric(self, name: str) -> bool:
        """Return whether every non-missing cell of column ``name`` reads as a number."""
        for cell in self.require(name):
            text = cell.strip()
            if text in MISSING_TOKENS:
                continue
            try:
                float(text)
            except ValueError:
                return False
        return True

    def text(self, name: str, keep: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.object_]:
        """Return column ``name`` as stripped text labels (rows in ``keep`` only)."""
        arr = np.asarray([c.strip() for c in self.require(name)], dtype=object)
        return arr if keep is None else arr[keep]


def read_csv_table(path: str | Path) -> CsvTable:
    """Return the CSV file at ``path`` as text columns; raise :class:`DataValidationError` if unreadable.

    Any column names are accepted (``ecog.ps``, ``time (days)``). The file is read by the one
    input-file reader (:func:`hcctrial.input_files.read_csv_file`: encodings, ragged rows,
    duplicate column names and over-long cells are refused there, naming the file and line).
    """
    from hcctrial.input_files import read_csv_file

    p = Path(path)
    table = read_csv_file(p, what="CSV file", field="file")
    cols = {h: [row[i] for row in table.rows] for i, h in enumerate(table.header)}
    return CsvTable(p, table.header, cols, list(table.line_numbers))
