"""Model matrices from table columns, with R's treatment contrasts for categorical covariates.

What: each covariate becomes one column (numeric, as is) or, when categorical, one 0/1 dummy per
non-reference level. Levels are in sorted order (numbers numerically, text alphabetically); the
reference is the first level unless one is named (R's ``relevel``: the named level moves to the
front, the others keep their order). Dummy columns are named as R names them: covariate name
followed by the level, e.g. ``celltypesmallcell`` or ``rxLev+5FU``. Columns are in the order of
the covariates given, so the terms of a fit come out in the order the user asked for.

Why our own code: patsy/formulaic would add a dependency for what is a few lines here, and their
column naming (``C(rx)[T.Lev]``) is not R's, which the reports and the reference tests use.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError

__all__ = ["DesignMatrix", "design_matrix", "level_label", "parse_reference"]


@dataclass(frozen=True)
class DesignMatrix:
    """An n x p float matrix with its column names and the columns of each covariate (term).

    ``assign[term]`` lists the column indices of the term; ``levels[term]`` the levels of a
    categorical term, reference first.
    """

    matrix: npt.NDArray[np.float64] = field(repr=False)
    names: tuple[str, ...]
    terms: tuple[str, ...]
    assign: dict[str, tuple[int, ...]]
    levels: dict[str, tuple[str, ...]]


def level_label(value: Any) -> str:
    """Return the label R gives a level: integral numbers without decimals (``1``, not ``1.0``)."""
    if isinstance(value, float | np.floating):
        v = float(value)
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)


def parse_reference(specs: Sequence[str] | None) -> dict[str, str]:
    """Parse ``["rx=Obs", "sex=F,stage=II"]`` into ``{"rx": "Obs", "sex": "F", "stage": "II"}``.

    >>> parse_reference(["rx=Obs", "sex=F,stage=II"])
    {'rx': 'Obs', 'sex': 'F', 'stage': 'II'}
    """
    out: dict[str, str] = {}
    for spec in specs or ():
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            column, sep, level = item.partition("=")
            if not sep or not column.strip() or not level.strip():
                raise DataValidationError(
                    f"reference: got {item!r}; expected COLUMN=LEVEL, e.g. rx=Obs",
                    field="reference",
                )
            out[column.strip()] = level.strip()
    return out


def _is_text(values: npt.NDArray[Any]) -> bool:
    return values.dtype.kind in ("O", "U", "S")


def design_matrix(
    columns: Mapping[str, Sequence[Any] | npt.ArrayLike],
    covariates: Sequence[str],
    reference: Mapping[str, str] | None = None,
    categorical: Collection[str] = (),
) -> DesignMatrix:
    """Return the :class:`DesignMatrix` of ``covariates`` taken from ``columns``.

    A column is categorical when it holds text, or when named in ``categorical`` (numeric codes
    used as a factor, R's ``factor(x)``). ``reference`` maps a categorical covariate to its
    reference level. Raises :class:`DataValidationError` naming the column for a missing column,
    a missing value, a categorical column with one level, or an unknown reference level.

    >>> dm = design_matrix({"rx": ["Obs", "Lev", "Lev+5FU", "Obs"], "age": [60, 70, 55, 64]},
    ...                    ["rx", "age"], reference={"rx": "Obs"})
    >>> dm.names
    ('rxLev', 'rxLev+5FU', 'age')
    """
    ref = dict(reference or {})
    if not covariates:
        raise DataValidationError(
            "covariates: none given; expected at least one", field="covariates"
        )
    if len(set(covariates)) != len(covariates):
        raise DataValidationError(
            f"covariates: {list(covariates)} names a column twice; expected distinct columns",
            field="covariates",
        )
    for name in ref:
        if name not in covariates:
            raise DataValidationError(
                f"reference: column {name!r} is not among the covariates {list(covariates)}",
                field="reference",
            )
    blocks: list[npt.NDArray[np.float64]] = []
    names: list[str] = []
    assign: dict[str, tuple[int, ...]] = {}
    levels: dict[str, tuple[str, ...]] = {}
    n: int | None = None
    for cov in covariates:
        if cov not in columns:
            raise DataValidationError(
                f"column {cov!r} not found; columns are {list(columns)}", field=cov
            )
        raw = np.asarray(columns[cov])
        if raw.ndim != 1:
            raise DataValidationError(f"column {cov!r}: expected one value per row", field=cov)
        if n is None:
            n = raw.shape[0]
        elif raw.shape[0] != n:
            raise DataValidationError(
                f"column {cov!r}: {raw.shape[0]} rows; expected {n} as the other columns",
                field=cov,
            )
        start = len(names)
        if _is_text(raw) or cov in categorical:
            col_block, col_names, col_levels = _dummies(cov, raw, ref.get(cov))
            levels[cov] = col_levels
        else:
            if cov in ref:
                raise DataValidationError(
                    f"reference: column {cov!r} is numeric; a reference level applies to a "
                    "categorical (text) column only",
                    field="reference",
                )
            values = raw.astype(np.float64)
            bad = ~np.isfinite(values)
            if bad.any():
                row = int(np.flatnonzero(bad)[0]) + 1
                raise DataValidationError(
                    f"column {cov!r}: row {row} has {values[row - 1]!r}; expected a finite "
                    "number (drop rows with missing values first)",
                    field=cov,
                )
            col_block, col_names = values[:, None], [cov]
        blocks.append(col_block)
        names.extend(col_names)
        assign[cov] = tuple(range(start, len(names)))
    matrix = np.hstack(blocks) if blocks else np.empty((0, 0))
    return DesignMatrix(matrix, tuple(names), tuple(covariates), assign, levels)


def _dummies(
    cov: str, raw: npt.NDArray[Any], reference: str | None
) -> tuple[npt.NDArray[np.float64], list[str], tuple[str, ...]]:
    """Return the treatment-contrast dummies of one categorical column."""
    if _is_text(raw):
        labels = np.array([str(v).strip() for v in raw], dtype=object)
        missing = np.array([lab in ("", "NA") for lab in labels], dtype=bool)
        if missing.any():
            row = int(np.flatnonzero(missing)[0]) + 1
            raise DataValidationError(
                f"column {cov!r}: row {row} is missing; expected a level (drop rows with "
                "missing values first)",
                field=cov,
            )
        # numbers stored as text sort numerically, as R's factor() of a numeric column would
        try:
            numeric = sorted({float(v) for v in labels})
            by_value = {level_label(v): v for v in numeric}
            labels = np.array([level_label(float(v)) for v in labels], dtype=object)
            ordered = sorted(by_value, key=by_value.__getitem__)
        except ValueError:
            ordered = sorted(set(labels.tolist()))
    else:
        values = raw.astype(np.float64)
        if not np.isfinite(values).all():
            row = int(np.flatnonzero(~np.isfinite(values))[0]) + 1
            raise DataValidationError(
                f"column {cov!r}: row {row} is missing; expected a level", field=cov
            )
        uniq = np.unique(values)
        ordered = [level_label(v) for v in uniq]
        labels = np.array([level_label(v) for v in values], dtype=object)
    if reference is not None:
        if reference not in ordered:
            raise DataValidationError(
                f"reference: level {reference!r} not found in column {cov!r}; levels are {ordered}",
                field=cov,
            )
        ordered = [reference] + [lev for lev in ordered if lev != reference]
    if len(ordered) < 2:
        raise DataValidationError(
            f"column {cov!r} has a single level {ordered}; a constant column has no effect to "
            "estimate: remove it",
            field=cov,
        )
    block = np.column_stack([(labels == lev).astype(np.float64) for lev in ordered[1:]])
    return block, [f"{cov}{lev}" for lev in ordered[1:]], tuple(ordered)
