"""Kaplan-Meier from counting-process rows (delayed entry) and case weights, as R's ``survfit``.

What: :func:`kaplan_meier_rows` returns one :class:`KaplanMeierCurve` per group for
``Surv(start, stop, event)`` rows (a row is at risk at t when start < t <= stop) and/or case
weights (R's ``weights=``): the steps are the distinct stop times; n_risk, n_event and n_censor
are sums of weights (floats when weights are given); S(t) = prod (1 - d/n) and the Greenwood
variance of log S(t) = sum d / (n (n - d)) on those sums, as R's ``survfitKM``.

Differences from R, on purpose: with weights that are not whole numbers R's ``survfit``
reports the infinitesimal-jackknife SE (its ``robust`` default); ours is Greenwood on the
weighted counts (the same for whole-number weights). ``n`` of a curve with delayed entry is
the number at risk at its first time (R's ``n`` counts rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError
from hcctrial.stats.cox_inputs import checked_start, checked_weights
from hcctrial.stats.data import survival_data
from hcctrial.stats.kaplan_meier import (
    ConfType,
    KaplanMeierCurve,
    _curve_from_steps,
    group_codes,
)
from hcctrial.stats.timefix import aeq_times

__all__ = ["kaplan_meier_rows"]

FloatArray = npt.NDArray[np.float64]


def _steps(
    stop: FloatArray, event: npt.NDArray[np.int8], start: FloatArray | None, w: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Distinct stop times with the weighted at-risk, event and censoring sums."""
    times, inv = np.unique(stop, return_inverse=True)
    k = times.shape[0]
    ev = np.bincount(inv, weights=w * event, minlength=k)
    tot = np.bincount(inv, weights=w, minlength=k)
    at_or_after = np.cumsum(tot[::-1])[::-1]  # sum of w with stop >= t
    if start is not None:  # less those not yet entered: start >= t
        order = np.argsort(start)
        cw = np.concatenate(([0.0], np.cumsum(w[order])))
        below = np.searchsorted(start[order], times, side="left")  # rows with start < t
        at_or_after = at_or_after - (cw[-1] - cw[below])
    f64 = np.float64
    return (
        np.asarray(times, dtype=f64),
        np.asarray(at_or_after, dtype=f64),
        np.asarray(ev, dtype=f64),
        np.asarray(tot - ev, dtype=f64),
    )


def kaplan_meier_rows(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    *,
    start: Sequence[float] | npt.ArrayLike | None = None,
    weights: Sequence[float] | npt.ArrayLike | None = None,
    group: Sequence[Any] | npt.ArrayLike | None = None,
    conf_type: ConfType | str = ConfType.LOG,
    conf_level: float = 0.95,
    timefix: bool = True,
    group_name: str = "group",
) -> tuple[KaplanMeierCurve, ...]:
    """Return Kaplan-Meier curves (one, or one per group in R's level order) of weighted and/or
    (start, stop] rows; ``timefix`` as :func:`hcctrial.stats.kaplan_meier.kaplan_meier`.

    >>> c, = kaplan_meier_rows([2, 5, 6], [1, 0, 1], start=[0, 0, 3])
    >>> c.n_risk.tolist(), c.surv.tolist()     # at t = 2 the third row has not entered yet
    ([2.0, 1.0, 1.0], [0.5, 0.5, 0.0])
    """
    ct = ConfType(conf_type)
    data = survival_data(time, event)
    st = checked_start(start, data.time)
    w = checked_weights(weights, data.n)
    stop = data.time
    if timefix:
        if st is None:
            stop = aeq_times(stop)[0]
        else:
            st, stop = aeq_times(st, stop)
            if np.any(st >= stop):
                row = int(np.flatnonzero(st >= stop)[0]) + 1
                raise DataValidationError(
                    f"start: row {row}: start and stop are equal up to rounding (R's timefix "
                    "empties the interval); fix the times or pass timefix=False",
                    field="start",
                )
    wa = np.ones(data.n) if w is None else w
    if group is None:
        labels: list[str | None] = [None]
        codes = np.zeros(data.n, dtype=np.int64)
    else:
        named, codes = group_codes(group, data.n, group_name)
        labels = list(named)
    curves = []
    for k, lab in enumerate(labels):
        m = codes == k
        times, nr, ne, nc = _steps(stop[m], data.event[m], None if st is None else st[m], wa[m])
        if w is None:  # whole counts stay integers, as the unweighted curve's
            counts = [nr.round().astype(np.int64), ne.round().astype(np.int64)]
            nr_, ne_, nc_ = counts[0], counts[1], nc.round().astype(np.int64)
        else:
            nr_, ne_, nc_ = cast(Any, nr), cast(Any, ne), cast(Any, nc)
        curves.append(_curve_from_steps(lab, times, nr_, ne_, nc_, ct, conf_level))
    return tuple(curves)
