"""Checks of the inputs of :func:`hcctrial.stats.cox.cox_ph` beyond :func:`survival_data`.

What: the design matrix (finite, no constant column, names), case weights (finite, > 0, R's
"Invalid weights, must be >0"), (start, stop] intervals (finite, start < stop, R's "Stop time must
be > start time") and cluster labels. Every error names the argument and the 1-based row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError

__all__ = ["checked_cluster", "checked_design", "checked_start", "checked_weights"]

FloatArray = npt.NDArray[np.float64]


def checked_design(
    X: Any, n: int, names: Sequence[str] | None
) -> tuple[FloatArray, tuple[str, ...]]:
    """Return X as an n x p float array and the column names; raise naming the problem."""
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    if Xa.ndim != 2 or Xa.shape[0] != n:
        raise DataValidationError(
            f"X: got shape {Xa.shape}; expected ({n}, p) — one row per subject", field="X"
        )
    p = Xa.shape[1]
    if p == 0:
        raise DataValidationError("X: no covariates; expected at least one column", field="X")
    nm = tuple(names) if names is not None else tuple(f"x{j + 1}" for j in range(p))
    if len(nm) != p:
        raise DataValidationError(
            f"names: got {len(nm)} names for {p} columns; expected one name per column",
            field="names",
        )
    for j, name in enumerate(nm):
        col = Xa[:, j]
        if not np.isfinite(col).all():
            row = int(np.flatnonzero(~np.isfinite(col))[0]) + 1
            raise DataValidationError(
                f"covariate {name!r}: row {row} has {float(col[row - 1])}; expected a finite "
                "number (drop rows with missing values first)",
                field=name,
            )
        if col.shape[0] and np.all(col == col[0]):
            raise DataValidationError(
                f"covariate {name!r} is constant ({col[0]:g} in every row); a constant column "
                "has no effect to estimate: remove it",
                field=name,
            )
    return Xa, nm


def checked_weights(weights: Any, n: int) -> FloatArray | None:
    """Return case weights as floats (None when not given); each must be finite and > 0."""
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape[0] != n:
        raise DataValidationError(
            f"weights: got {w.shape[0]} values for {n} rows; expected one per row",
            field="weights",
        )
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise DataValidationError(
            f"weights: row {row} has {float(w[row - 1])}; expected a finite case weight > 0",
            field="weights",
        )
    return w


def checked_start(start: Any, stop: FloatArray) -> FloatArray | None:
    """Return (start, stop] entry times (None when not given): finite and < the stop time."""
    if start is None:
        return None
    st = np.asarray(start, dtype=np.float64).reshape(-1)
    if st.shape != stop.shape:
        raise DataValidationError(
            f"start: got {st.shape[0]} values for {stop.shape[0]} rows; expected one per row",
            field="start",
        )
    bad = ~np.isfinite(st) | (st >= stop)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise DataValidationError(
            f"start: row {row} has start {float(st[row - 1]):g} and stop "
            f"{float(stop[row - 1]):g}; expected a finite start before the stop time",
            field="start",
        )
    return st


def checked_cluster(cluster: Any, n: int) -> npt.NDArray[np.intp] | None:
    """Return cluster labels as integer codes 0..k-1 (None when not given)."""
    if cluster is None:
        return None
    arr = np.asarray(cluster, dtype=object).reshape(-1)
    if arr.shape[0] != n:
        raise DataValidationError(
            f"cluster: got {arr.shape[0]} values for {n} rows; expected one per row",
            field="cluster",
        )
    first: dict[Any, int] = {}
    codes = np.fromiter((first.setdefault(x, len(first)) for x in arr.tolist()), np.intp, n)
    return codes
