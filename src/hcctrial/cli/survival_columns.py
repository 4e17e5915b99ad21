"""Columns of a survival CSV read for a model: numbers checked cell by cell, factors declared.

What: :func:`kept_numbers` returns a numeric column over the analysed rows, refusing a cell that is
not a finite number with the column, the file line (header = line 1) and the cell's text;
:func:`covariate_columns` decides per covariate whether it is numeric or a factor: a column of
text only is a factor (R reads it as one), a column named in ``--categorical`` is a factor, and a
column of numbers with a stray word is an error naming that line (it used to become a factor
silently); :func:`checked_range` refuses values out of range, naming the line and the cell.
:func:`kept_times` is the time column every survival command reads: the rows without a missing
value in the columns used, each kept time finite and >= 0.
Used by every ``survival`` command so that the rule lives in one place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hcctrial.errors import DataValidationError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from hcctrial.stats.data import CsvTable

__all__ = ["checked_range", "covariate_columns", "kept_numbers", "kept_times", "parse_names"]


def parse_names(text: str | None, option: str) -> list[str]:
    """Return the comma-separated column names of an option (empty list when not given)."""
    if text is None:
        return []
    names = [c.strip() for c in text.split(",") if c.strip()]
    if not names:
        raise DataValidationError(
            f"{option}: got {text!r}; expected column names separated by commas", field=option
        )
    return names


def _number(cell: str) -> float | None:
    try:
        return float(cell.strip())
    except ValueError:
        return None


def kept_numbers(
    table: CsvTable, name: str, keep: npt.NDArray[np.bool_], hint: str = ""
) -> npt.NDArray[np.float64]:
    """Return column ``name`` as finite floats over the kept rows; raise naming the line."""
    import numpy as np

    cells = table.require(name)
    rows = np.flatnonzero(keep)
    out = np.empty(rows.shape[0])
    for k, i in enumerate(rows.tolist()):
        v = _number(cells[i])
        if v is None or not math.isfinite(v):
            raise DataValidationError(
                f"column {name!r}: line {table.line(i)} has {cells[i].strip()!r}; expected a "
                f"finite number{hint}",
                field=name,
            )
        out[k] = v
    return out


def checked_range(
    table: CsvTable,
    name: str,
    keep: npt.NDArray[np.bool_],
    values: npt.NDArray[np.float64],
    bad: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.bool_]],
    expected: str,
) -> None:
    """Raise naming the first kept row whose value fails (``bad``), by file line and cell text."""
    import numpy as np

    mask = bad(values)
    if mask.any():
        i = int(np.flatnonzero(keep)[int(np.flatnonzero(mask)[0])])
        raise DataValidationError(
            f"column {name!r}: line {table.line(i)} has {table.require(name)[i].strip()!r}; "
            f"expected {expected}",
            field=name,
        )


def covariate_columns(
    table: CsvTable, covs: Sequence[str], keep: npt.NDArray[np.bool_], categorical: Sequence[str]
) -> dict[str, Any]:
    """Return each covariate's values over the kept rows: floats, or text labels for factors.

    A factor named in ``categorical`` keeps numeric codes as numbers (levels sorted numerically,
    as R's ``factor``); a column with no number at all is a factor of its text; a column with
    numbers and other text is refused at the first non-number, naming the line.
    """
    import numpy as np

    for name in categorical:
        if name not in covs:
            raise DataValidationError(
                f"--categorical: column {name!r} is not among the covariates {list(covs)}",
                field="categorical",
            )
    rows = np.flatnonzero(keep).tolist()
    out: dict[str, Any] = {}
    for name in covs:
        cells = table.require(name)
        parsed = [_number(cells[i]) for i in rows]
        n_num = sum(v is not None for v in parsed)
        if n_num == len(rows):
            out[name] = kept_numbers(table, name, keep, f" (or --categorical {name})")
        elif n_num == 0 or name in categorical:
            out[name] = table.text(name, keep)
        else:
            k = next(k for k, v in enumerate(parsed) if v is None)
            raise DataValidationError(
                f"column {name!r}: line {table.line(rows[k])} has {cells[rows[k]].strip()!r} "
                f"among numbers; expected a number (or --categorical {name} if the column is "
                "a factor)",
                field=name,
            )
    return out


def kept_times(
    table: CsvTable, time: str, used: Sequence[str]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Return (rows kept, the time column) once every column of ``used`` exists: a row is kept
    when none of ``used`` is missing; a kept time must be finite and >= 0 (raise naming the file
    line and the cell); a file with no row kept is refused."""
    import numpy as np

    for name in used:
        table.require(name)
    keep = ~table.missing_mask(list(used))
    t_all = table.numeric(time)
    shown = np.where(keep, t_all, 0.0)
    bad = keep & ~np.isfinite(shown)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"column {time!r}: line {table.line(i)} has {table.require(time)[i]!r}; expected a "
            "finite time",
            field=time,
        )
    bad = keep & (shown < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"column {time!r}: line {table.line(i)} has negative time {t_all[i]:g}; expected a "
            "time >= 0",
            field=time,
        )
    if not keep.any():
        raise DataValidationError(
            f"{table.path.name}: every row has a missing value in {list(used)}; nothing to "
            "analyse",
            field="file",
        )
    return keep, t_all
