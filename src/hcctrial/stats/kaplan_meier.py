"""Kaplan-Meier estimation: the step table, pointwise CIs, survival at chosen times, the risk grid.

Everything here follows R ``survival`` 3.5 (``survfit``, ``summary.survfit``), which the tests check
to a relative 1e-8 on ``lung`` and ``veteran``:

- one row per distinct time (events *and* censorings), ``n_risk`` = subjects with time >= t
  (still under observation at t: R's convention);
- S(t) = prod (n - d) / n; Greenwood variance of log S: sum d / (n (n - d)) (``survfit``'s
  ``std.err``); ``std_err`` is the SE of S itself, S * std_err_log (what ``summary.survfit`` prints);
- pointwise CIs as R's ``survfit_confint``: ``plain`` (clipped to [0, 1]), ``log`` (R's default and
  ours) and ``log-log``; undefined bounds (log at S = 0, log-log at S in {0, 1}) are NaN, printed as
  ``null``, where R prints ``NA``.

Medians and other quantiles (R's and SPSS's rules) live in :mod:`hcctrial.stats.km_quantiles`.

Why our own code rather than lifelines or statsmodels: lifelines reports "median not reached" as
``inf``, has no log CI or Greenwood SE per step in R's layout and takes ~1.3 s at n = 10^6; statsmodels
has no R-style band inversion. The whole estimator is a sort plus cumulative sums (no loop over
subjects), which is as fast as statsmodels' ``SurvfuncRight``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError
from hcctrial.stats.data import survival_data
from hcctrial.stats.timefix import aeq_times, small_whole_times

__all__ = [
    "ConfType",
    "KaplanMeierCurve",
    "RiskGrid",
    "SurvivalAt",
    "confidence_band",
    "group_codes",
    "kaplan_meier",
    "kaplan_meier_by_group",
    "risk_grid",
    "survival_at",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class ConfType(StrEnum):
    """Scale of the pointwise CI of S(t). R's ``survfit`` default is ``log``; ours is ``log`` too."""

    LOG = "log"
    LOG_LOG = "log-log"
    PLAIN = "plain"


def _z(conf_level: float) -> float:
    """Two-sided normal quantile (statistics.NormalDist: AS241, ~1e-16; cheaper than scipy's)."""
    from statistics import NormalDist

    if not 0.0 < conf_level < 1.0:
        raise DataValidationError(
            f"conf_level: got {conf_level!r}; expected a number strictly between 0 and 1",
            field="conf_level",
        )
    return NormalDist().inv_cdf(1.0 - (1.0 - conf_level) / 2.0)


def _frozen(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.flags.writeable = False
    return a


def confidence_band(
    surv: FloatArray,
    std_err_log: FloatArray,
    conf_type: ConfType | str = ConfType.LOG,
    conf_level: float = 0.95,
) -> tuple[FloatArray, FloatArray]:
    """Return the pointwise (lower, upper) CI of S(t), exactly as R's ``survfit_confint``.

    ``std_err_log`` is the SE of log S(t) (R's ``std.err``). NaN marks a bound R reports as NA.

    >>> lo, up = confidence_band(np.array([0.5]), np.array([0.1]), "plain")
    >>> round(float(lo[0]), 6), round(float(up[0]), 6)   # 0.5 -/+ 1.959964 * 0.1 * 0.5
    (0.402002, 0.597998)
    """
    ct = ConfType(conf_type)
    z = _z(conf_level)
    p = np.asarray(surv, dtype=np.float64)
    se = np.asarray(std_err_log, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if ct is ConfType.PLAIN:
            se2 = se * p * z
            lower = np.maximum(p - se2, 0.0)
            upper = np.minimum(p + se2, 1.0)
        elif ct is ConfType.LOG:
            # exp(log p -/+ z se) written as p * exp(-/+ z se): the same to rounding, one log fewer
            xx = np.where(p == 0.0, np.nan, p)
            lower = xx * np.exp(-z * se)
            upper = np.minimum(xx * np.exp(z * se), 1.0)
        else:
            xx = np.where((p == 0.0) | (p == 1.0), np.nan, p)
            lx = np.log(xx)
            se2 = z * se / lx
            llx = np.log(-lx)
            lower = np.exp(-np.exp(llx - se2))
            upper = np.exp(-np.exp(llx + se2))
    return lower, upper


@dataclass(frozen=True)
class KaplanMeierCurve:
    """One Kaplan-Meier curve as R's ``survfit`` stores it (arrays are read-only, one per time).

    Attributes
    ----------
    label: the group label, or None for the whole sample.
    time: distinct observed times (events and censorings), ascending, in the data's time unit.
    n_risk: subjects with time >= t (R's convention). n_event, n_censor: counts at t.
    surv: S(t). std_err: Greenwood SE of S(t). std_err_log: Greenwood SE of log S(t) (NaN at S = 0).
    lower, upper: pointwise CI of S(t) on the ``conf_type`` scale at ``conf_level``.
    """

    label: str | None
    conf_type: ConfType
    conf_level: float
    time: FloatArray
    n_risk: IntArray
    n_event: IntArray
    n_censor: IntArray
    surv: FloatArray
    std_err: FloatArray
    std_err_log: FloatArray
    lower: FloatArray
    upper: FloatArray

    @property
    def n(self) -> int:
        """The number of subjects."""
        return int(self.n_risk[0]) if self.n_risk.size else 0

    @property
    def events(self) -> int:
        """The number of events."""
        return int(self.n_event.sum())


def _km_steps(
    time: FloatArray, event: npt.NDArray[np.int8]
) -> tuple[FloatArray, IntArray, IntArray, IntArray]:
    """Distinct times with at-risk, event and censoring counts (one sort, no loop over subjects;
    whole-number times such as days are counted per value instead, without a sort)."""
    n = time.shape[0]
    whole = small_whole_times(time, n)
    if whole is not None:
        return _km_steps_counted(whole, event)
    # One value sort, no argsort: for times >= 0 the IEEE-754 bit pattern (sign bit 0) orders like
    # the number, so key = bits << 1 | event sorts by time and carries the event flag losslessly.
    t = time + 0.0  # -0.0 -> +0.0
    key = np.sort((t.view(np.uint64) << np.uint64(1)) | event.astype(np.uint64))
    ts = (key >> np.uint64(1)).view(np.float64)
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(ts[1:], ts[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    times = ts[starts]
    n_risk = n - starts
    counts = np.diff(starts, append=n)
    n_event = np.add.reduceat((key & np.uint64(1)).astype(np.int64), starts)
    return times, n_risk.astype(np.int64), n_event, (counts - n_event).astype(np.int64)


def _km_steps_counted(
    whole: IntArray, event: npt.NDArray[np.int8]
) -> tuple[FloatArray, IntArray, IntArray, IntArray]:
    """:func:`_km_steps` for whole-number times: a count per value (``np.bincount``), no sort."""
    counts = np.bincount(whole)
    n_event_all = np.bincount(whole, weights=event).astype(np.int64)
    present = np.flatnonzero(counts)
    at_or_after = np.cumsum(counts[::-1])[::-1]
    n_event = n_event_all[present]
    return (
        present.astype(np.float64),
        at_or_after[present].astype(np.int64),
        n_event,
        (counts[present] - n_event).astype(np.int64),
    )


def _curve_from_steps(
    label: str | None,
    times: FloatArray,
    n_risk: IntArray,
    n_event: IntArray,
    n_censor: IntArray,
    conf_type: ConfType,
    conf_level: float,
) -> KaplanMeierCurve:
    nr = n_risk.astype(np.float64)
    d = n_event.astype(np.float64)
    # (n - d) / n as R's survfitkm multiplies; the product is compared with 0.5 with a tolerance
    # in km_quantiles, so 0.5000000000000002 still counts as 0.5.
    surv: FloatArray = np.cumprod((nr - d) / nr, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        inc = d / (nr * (nr - d))
    var_log = np.cumsum(inc)
    std_err_log: FloatArray = np.sqrt(var_log)
    std_err_log[~np.isfinite(std_err_log)] = np.nan  # S = 0: R has Inf / NA
    std_err = surv * std_err_log
    lower, upper = confidence_band(surv, std_err_log, conf_type, conf_level)
    return KaplanMeierCurve(
        label,
        conf_type,
        conf_level,
        _frozen(times),
        _frozen(n_risk),
        _frozen(n_event),
        _frozen(n_censor),
        _frozen(surv),
        _frozen(std_err),
        _frozen(std_err_log),
        _frozen(lower),
        _frozen(upper),
    )


def kaplan_meier(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    *,
    conf_type: ConfType | str = ConfType.LOG,
    conf_level: float = 0.95,
    label: str | None = None,
    timefix: bool = True,
) -> KaplanMeierCurve:
    """Return the Kaplan-Meier curve of right-censored data (R ``survfit(Surv(time, event) ~ 1)``).

    ``time`` in any unit (>= 0), ``event`` 1 = event, 0 = censored. ``conf_type`` names the CI
    scale (``log`` default, as R). ``timefix`` merges times equal up to floating-point noise
    first (R's default, :func:`hcctrial.stats.timefix.aeq_times`). Raises
    :class:`DataValidationError` on bad input.

    >>> km = kaplan_meier([1, 2, 2, 3], [1, 1, 0, 1])
    >>> km.surv.tolist()           # 3/4; 3/4 * 2/3 (n = 3 at t = 2); 0 (n = 1, d = 1)
    [0.75, 0.5, 0.0]
    """
    ct = ConfType(conf_type)
    data = survival_data(time, event)
    t = aeq_times(data.time)[0] if timefix else data.time
    return _curve_from_steps(label, *_km_steps(t, data.event), ct, conf_level)


def group_codes(
    group: Sequence[Any] | npt.ArrayLike, n: int, name: str = "group"
) -> tuple[list[str], IntArray]:
    """Return (level labels, integer code per subject); levels in R's factor order.

    Numeric groups sort numerically (as R's ``factor`` of numbers), text groups alphabetically. A
    missing label (None/NaN) is an error: drop such rows first, as R's ``na.omit`` does.
    """
    arr = np.asarray(group)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise DataValidationError(
            f"{name}: length {arr.shape[0] if arr.ndim == 1 else arr.shape} differs from the "
            f"number of times {n}",
            field=name,
        )
    if arr.dtype.kind in "fiub":
        if arr.dtype.kind == "f" and np.isnan(arr).any():
            row = int(np.flatnonzero(np.isnan(arr))[0]) + 1
            raise DataValidationError(
                f"{name}: row {row} is missing; expected a group label", field=name
            )
        fast = _small_integer_codes(arr)
        if fast is not None:
            return fast
        levels, codes = np.unique(arr, return_inverse=True)
        labels = [_label(v) for v in levels.tolist()]
        return labels, codes.astype(np.int64)
    text = np.array([str(v) for v in arr.tolist()], dtype=object)
    bad = np.array([v in ("None", "nan", "") for v in text.tolist()], dtype=bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise DataValidationError(
            f"{name}: row {row} has {text[row - 1]!r}; expected a group label", field=name
        )
    if all(_is_number(v) for v in set(text.tolist())):
        levels_f, codes = np.unique(text.astype(np.float64), return_inverse=True)
        mapping = {float(v): v for v in text.tolist()}
        return [mapping[float(v)] for v in levels_f.tolist()], codes.astype(np.int64)
    levels_s, codes = np.unique(text.astype(str), return_inverse=True)
    return [str(v) for v in levels_s.tolist()], codes.astype(np.int64)


def _small_integer_codes(arr: npt.NDArray[Any]) -> tuple[list[str], IntArray] | None:
    """Codes of whole-number labels with a small range by counting (O(n), no sort); else None."""
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int8)
    lo, hi = arr.min(), arr.max()
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi - lo > 100_000:
        return None
    offset = arr - lo if lo != 0 else arr
    shifted = offset.astype(np.int64)
    if arr.dtype.kind == "f" and not np.array_equal(shifted, offset):
        return None
    present = np.bincount(shifted) > 0
    levels = np.flatnonzero(present) + lo
    labels = [_label(v) for v in levels.tolist()]
    if present.all():  # consecutive levels (e.g. 0/1): the shifted values are the codes
        return labels, shifted
    lut = np.cumsum(present) - 1
    return labels, lut[shifted]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _label(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def kaplan_meier_by_group(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    group: Sequence[Any] | npt.ArrayLike,
    *,
    conf_type: ConfType | str = ConfType.LOG,
    conf_level: float = 0.95,
    group_name: str = "group",
    timefix: bool = True,
) -> tuple[KaplanMeierCurve, ...]:
    """Return one Kaplan-Meier curve per group, in R's level order (``survfit(... ~ group)``).

    ``timefix`` as :func:`kaplan_meier` (applied to all groups' times together, as R).
    """
    ct = ConfType(conf_type)
    data = survival_data(time, event)
    t_all = aeq_times(data.time)[0] if timefix else data.time
    labels, codes = group_codes(group, data.n, group_name)
    curves = []
    for k, lab in enumerate(labels):
        m = codes == k
        steps = _km_steps(t_all[m], data.event[m])
        curves.append(_curve_from_steps(lab, *steps, ct, conf_level))
    return tuple(curves)


@dataclass(frozen=True)
class SurvivalAt:
    """S(t) at one chosen time (R ``summary(fit, times=, extend=TRUE)``).

    ``n_risk``: subjects with time >= t; ``n_event``: events in (previous chosen time, t].
    ``std_err``: Greenwood SE of S(t); ``lower``/``upper``: the curve's pointwise CI (None where R
    reports NA); ``beyond_last``: t is after the last observed time (S carried forward, n_risk 0).
    """

    time: float
    surv: float
    std_err: float | None
    std_err_log: float | None
    lower: float | None
    upper: float | None
    n_risk: int
    n_event: int
    conf_type: ConfType
    beyond_last: bool


def _opt(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def survival_at(curve: KaplanMeierCurve, times: Sequence[float]) -> tuple[SurvivalAt, ...]:
    """Return S(t), its SE and CI and the number at risk at each of ``times`` (ascending order).

    Before the first observed time S = 1 with SE 0 and the CI is [1, 1] on every scale, log-log
    included, as R's ``summary.survfit`` (it starts the curve with a row at time 0 whose CI is
    1/1). At a later time where S is still 1 (censorings before the first event) the log-log CI
    is the curve's own, undefined (None), as R's NA.
    """
    ts = np.asarray(times, dtype=np.float64)
    if ts.ndim != 1 or not np.all(np.isfinite(ts)) or np.any(ts < 0):
        raise DataValidationError(
            f"times: got {list(times)!r}; expected finite times >= 0", field="times"
        )
    order = np.sort(ts)
    cum_events = np.concatenate(([0], np.cumsum(curve.n_event)))
    out: list[SurvivalAt] = []
    prev_cum = 0
    last_time = float(curve.time[-1])
    for t in order.tolist():
        i = int(np.searchsorted(curve.time, t, side="right")) - 1
        j = int(np.searchsorted(curve.time, t, side="left"))
        n_risk = int(curve.n_risk[j]) if j < curve.time.shape[0] else 0
        cum = int(cum_events[i + 1])
        if i < 0:  # R's row at time 0: S = 1, CI 1/1 whatever the scale
            s, se, sel, lower, upper = 1.0, 0.0, 0.0, 1.0, 1.0
        else:
            s = float(curve.surv[i])
            se, sel = float(curve.std_err[i]), float(curve.std_err_log[i])
            lower, upper = float(curve.lower[i]), float(curve.upper[i])
        out.append(
            SurvivalAt(
                t,
                s,
                _opt(se),
                _opt(sel),
                _opt(lower),
                _opt(upper),
                n_risk,
                cum - prev_cum,
                curve.conf_type,
                t > last_time,
            )
        )
        prev_cum = cum
    return tuple(out)


@dataclass(frozen=True)
class RiskGrid:
    """The number-at-risk table under a KM plot, at chosen ticks (one entry per tick).

    ``n_risk``: subjects still under observation at the tick (time >= tick, R's convention);
    ``n_event``/``n_censor``: in (previous tick, tick] (the first tick counts from time 0);
    ``cum_event``/``cum_censor``: up to and including the tick.
    """

    label: str | None
    ticks: tuple[float, ...]
    n_risk: tuple[int, ...]
    n_event: tuple[int, ...]
    n_censor: tuple[int, ...]
    cum_event: tuple[int, ...]
    cum_censor: tuple[int, ...]


def risk_grid(curve: KaplanMeierCurve, ticks: Sequence[float]) -> RiskGrid:
    """Return the at-risk / events / censored grid of ``curve`` at ascending ``ticks``."""
    tk = np.asarray(ticks, dtype=np.float64)
    if tk.ndim != 1 or tk.size == 0 or not np.all(np.isfinite(tk)) or np.any(np.diff(tk) <= 0):
        raise DataValidationError(
            f"ticks: got {list(ticks)!r}; expected finite, strictly increasing times", field="ticks"
        )
    j = np.searchsorted(curve.time, tk, side="left")
    n_risk_ext = np.append(curve.n_risk, 0)
    at_risk = n_risk_ext[j]
    i = np.searchsorted(curve.time, tk, side="right")
    ce = np.concatenate(([0], np.cumsum(curve.n_event)))[i]
    cc = np.concatenate(([0], np.cumsum(curve.n_censor)))[i]
    return RiskGrid(
        curve.label,
        tuple(float(t) for t in tk.tolist()),
        tuple(int(v) for v in at_risk.tolist()),
        tuple(int(v) for v in np.diff(ce, prepend=0).tolist()),
        tuple(int(v) for v in np.diff(cc, prepend=0).tolist()),
        tuple(int(v) for v in ce.tolist()),
        tuple(int(v) for v in cc.tolist()),
    )
