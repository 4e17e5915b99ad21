"""R's ``timefix``: times equal up to floating-point noise are made equal (``survival:::aeqSurv``).

What: :func:`aeq_times` returns the times with every run of nearly equal values replaced by the
smallest of the run, exactly as ``aeqSurv`` does: sort the distinct finite times, call two
neighbours tied when their difference is <= ``tolerance`` or <= ``tolerance`` times the mean
absolute time, and map each time to the last "cut" (first value of a run) at or below it.
Kaplan-Meier, the log-rank tests and the Cox fit apply it by default, as R's ``survfit``,
``survdiff`` and ``coxph`` do (``timefix = TRUE``); each takes ``timefix=False`` to switch it off.

Why: times computed by arithmetic (e.g. days / 30.4375) that are meant to tie differ in the last
bits; without the merge they give extra steps in a curve and a different log-rank statistic.
Note the chain rule is R's: a run of values each within the tolerance of the previous one is
merged even when its ends differ by more.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["TIMEFIX_TOLERANCE", "aeq_times", "small_whole_times"]

FloatArray = npt.NDArray[np.float64]

#: R's default tolerance, sqrt(.Machine$double.eps).
TIMEFIX_TOLERANCE = float(np.sqrt(np.finfo(np.float64).eps))


def _whole_and_small(columns: tuple[FloatArray, ...], tolerance: float) -> bool:
    """True when every time is a whole number below 0.1 / tolerance: then distinct times differ
    by >= 1 > tolerance and by >= 1 / max|t| > tolerance relative to the mean, so nothing merges.

    Times in whole days are the common case; this O(n) check spares them the sort.
    """
    limit = 0.1 / tolerance
    for c in columns:
        arr = np.asarray(c, dtype=np.float64)
        if arr.size and not (np.all(np.abs(arr) < limit) and np.array_equal(np.floor(arr), arr)):
            return False
    return True


def aeq_times(*columns: FloatArray, tolerance: float = TIMEFIX_TOLERANCE) -> tuple[FloatArray, ...]:
    """Return the time columns with nearly equal times merged (``aeqSurv``), one per input.

    Several columns (start and stop of counting-process data) share one set of cuts, as in R.
    Columns are returned unchanged (the same objects) when nothing is tied.

    >>> aeq_times(np.array([1.0, 1.0 + 1e-12, 2.0]))[0].tolist()
    [1.0, 1.0, 2.0]
    """
    if tolerance <= 0 or not columns:
        return columns
    if _whole_and_small(columns, tolerance):
        return columns
    y = np.unique(np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in columns]))
    y = y[np.isfinite(y)]
    if y.shape[0] < 2:
        return columns
    dy = np.diff(y)
    tied = (dy <= tolerance) | (dy / np.mean(np.abs(y)) <= tolerance)
    if not tied.any():
        return columns
    cuts = y[np.concatenate(([True], ~tied))]
    out = []
    for c in columns:
        arr = np.asarray(c, dtype=np.float64)
        idx = np.searchsorted(cuts, arr, side="right") - 1
        fixed = cuts[np.clip(idx, 0, None)]
        out.append(np.where(np.isfinite(arr) & (idx >= 0), fixed, arr))
    return tuple(out)


def small_whole_times(time: FloatArray, n: int) -> npt.NDArray[np.int64] | None:
    """Return ``time`` as int64 when every value is a whole number in [0, 4 n + 4096]; else None.

    Why: times in whole days are the common case, and for them a count per day (``np.bincount``,
    O(n + max time)) gives the distinct times and their counts exactly, without the O(n log n)
    sort; the bound keeps the count array no larger than a few times the data. Such times are never
    merged by :func:`aeq_times` (see :func:`_whole_and_small`), so the result holds with and
    without ``timefix``. Times must already be checked finite and >= 0.

    >>> small_whole_times(np.array([3.0, 0.0, 3.0]), 3).tolist()
    [3, 0, 3]
    >>> small_whole_times(np.array([1.5]), 1) is None
    True
    """
    if time.size == 0:
        return None
    top = float(time.max())
    if top > 4 * n + 4096:
        return None
    as_int = time.astype(np.int64)
    if not np.array_equal(as_int, time):
        return None
    return as_int
