"""The Nelson-Aalen cumulative hazard with its variance, as R ``survfit(..., ctype = 1)``.

    H(t) = sum over t_j <= t of d_j / n_j,      Var H(t) = sum over t_j <= t of d_j / n_j^2

(R's ``cumhaz`` and ``std.chaz``; the variance is Aalen's, without a tie correction, as R). One
step per distinct time, censoring-only times included (R's ``survfit`` rows). The pointwise
interval is R's ``survfit(..., ctype = 1, stype = 2)`` log-scale band of exp(-H) mapped back to H:
[max(0, H - z SE), H + z SE]. Times equal up to floating-point noise are merged first, as R's
``timefix = TRUE`` (:func:`hcctrial.stats.timefix.aeq_times`); ``timefix=False`` switches it off.

>>> c = nelson_aalen([1, 1, 2, 3], [1, 0, 1, 1])
>>> c.cumhaz.tolist()                # 1/4, + 1/2, + 1/1
[0.25, 0.75, 1.75]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError
from hcctrial.stats.data import survival_data
from hcctrial.stats.timefix import aeq_times

__all__ = ["NelsonAalenCurve", "nelson_aalen", "nelson_aalen_by_group"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class NelsonAalenCurve:
    """H(t) per distinct time with n at risk, events, censored, SE and the pointwise CI."""

    label: str | None
    n: int
    events: int
    time: FloatArray
    n_risk: IntArray
    n_event: IntArray
    n_censor: IntArray
    cumhaz: FloatArray
    std_err: FloatArray
    lower: FloatArray
    upper: FloatArray
    conf_level: float


def _curve(
    time: FloatArray, event: npt.NDArray[np.int8], label: str | None, conf_level: float
) -> NelsonAalenCurve:
    from hcctrial.stats.distributions import normal_ppf

    ut, inv = np.unique(time, return_inverse=True)
    count = np.bincount(inv, minlength=ut.shape[0])
    d = np.bincount(inv, weights=event.astype(np.float64), minlength=ut.shape[0]).astype(np.int64)
    n_risk = (time.shape[0] - np.concatenate(([0], np.cumsum(count)[:-1]))).astype(np.int64)
    cumhaz = np.cumsum(d / n_risk)
    se = np.sqrt(np.cumsum(d / n_risk.astype(np.float64) ** 2))
    z = float(normal_ppf(1.0 - (1.0 - conf_level) / 2.0))
    return NelsonAalenCurve(
        label,
        int(time.shape[0]),
        int(d.sum()),
        ut,
        n_risk,
        d,
        (count - d).astype(np.int64),
        cumhaz,
        se,
        np.maximum(cumhaz - z * se, 0.0),
        cumhaz + z * se,
        conf_level,
    )


def _level(conf_level: float) -> None:
    if not 0.0 < conf_level < 1.0:
        raise DataValidationError(
            f"conf_level: got {conf_level!r}; expected a level between 0 and 1", field="conf_level"
        )


def nelson_aalen(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    *,
    conf_level: float = 0.95,
    label: str | None = None,
    timefix: bool = True,
) -> NelsonAalenCurve:
    """Return the Nelson-Aalen cumulative hazard of one sample (R ``survfit(ctype = 1)``)."""
    _level(conf_level)
    data = survival_data(time, event)
    t = aeq_times(data.time)[0] if timefix else data.time
    return _curve(t, data.event, label, conf_level)


def nelson_aalen_by_group(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    group: Sequence[Any] | npt.ArrayLike,
    *,
    conf_level: float = 0.95,
    group_name: str = "group",
    timefix: bool = True,
) -> tuple[NelsonAalenCurve, ...]:
    """Return one Nelson-Aalen curve per group, in R's factor order (``timefix`` over all groups'
    times together, as R)."""
    from hcctrial.stats.kaplan_meier import group_codes

    _level(conf_level)
    data = survival_data(time, event)
    t = aeq_times(data.time)[0] if timefix else data.time
    labels, codes = group_codes(group, data.n, group_name)
    return tuple(
        _curve(t[codes == k], data.event[codes == k], lab, conf_level)
        for k, lab in enumerate(labels)
    )
