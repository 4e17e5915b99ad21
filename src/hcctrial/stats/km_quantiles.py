"""Quantiles of a Kaplan-Meier curve (the median first) with their CIs, by R's or SPSS's rule.

Two conventions, always named in the result (:class:`MedianCIMethod`):

``r`` -- R ``survival``'s ``quantile.survfit`` (and ``print.survfit``): the p-quantile is the first
time where 1 - S(t) >= p; where S(t) equals 1 - p on a flat stretch (to R's tolerance
``sqrt(.Machine$double.eps)``) the midpoint of that stretch is taken. The CI inverts the pointwise
band of the curve's ``conf_type`` (Brookmeyer-Crowley type): the same rule applied to the lower and
the upper band.

``spss`` -- SPSS's Kaplan-Meier (the seed paper used SPSS 22)::

    t_p = min{t_j : S(t_j) <= s}                  s = 1 - p (0.5 for the median; no midpoint rule)
    u   = max{t_j : S(t_j) >= s + 0.05},  l = min{t_j : S(t_j) <= s - 0.05}     (event times)
    SE  = Greenwood SE of S(t_p) / ((S(u) - S(l)) / (l - u));   CI = t_p -/+ 1.96 SE

A lower bound below zero (a wide CI of an early median) is truncated at 0 and ``note`` says so,
with the untruncated value: SPSS prints the negative time, which no survival time can be.

S(t) is compared with s to the same tolerance as R (|S - s| < sqrt(eps) counts as equal): a product of
(1 - d/n) that equals 0.5 exactly in rationals can come out as 0.5000000000000002 in floating point,
and taking it literally moves the seed paper's OS median by two months (seed AUDIT, section 3.3).

"Not reached" is explicit: ``estimate=None`` with ``reached=False`` (never inf or nan).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError
from hcctrial.stats.kaplan_meier import (
    ConfType,
    KaplanMeierCurve,
    group_codes,
    kaplan_meier,
)

__all__ = [
    "TOLERANCE",
    "FollowUp",
    "MedianCIMethod",
    "SurvivalQuantile",
    "median_survival",
    "reverse_km_followup",
    "survival_quantile",
]

#: R's tolerance in ``quantile.survfit``: sqrt(.Machine$double.eps).
TOLERANCE = float(np.sqrt(np.finfo(np.float64).eps))

#: SPSS's normal quantile for a 95% CI of a median (printed as 1.96, not 1.959964).
_SPSS_Z95 = 1.96


class MedianCIMethod(StrEnum):
    """Which rule gives a KM quantile and its CI: R's band inversion or SPSS's Wald interval."""

    R = "r"
    SPSS = "spss"


@dataclass(frozen=True)
class SurvivalQuantile:
    """The time by which a fraction ``prob`` of subjects had the event (0.5 = the median).

    ``estimate``/``lower``/``upper`` are None when not reached (``reached``/``lower_reached``/
    ``upper_reached`` False). ``se`` is given by the SPSS rule only (time units). ``note`` says why a
    bound is missing or truncated under the SPSS rule; ``lower_truncated`` flags the truncation.
    """

    prob: float
    estimate: float | None
    lower: float | None
    upper: float | None
    method: MedianCIMethod
    conf_type: ConfType | None
    conf_level: float
    se: float | None = None
    note: str = ""
    #: the SPSS rule's lower bound was below zero and is given as 0 (``note`` has the value)
    lower_truncated: bool = False

    @property
    def reached(self) -> bool:
        """Whether the estimate was reached."""
        return self.estimate is not None

    @property
    def lower_reached(self) -> bool:
        """Whether the lower CI bound was reached."""
        return self.lower is not None

    @property
    def upper_reached(self) -> bool:
        """Whether the upper CI bound was reached."""
        return self.upper is not None


def _approx_right(xs: npt.NDArray[np.float64], ys: npt.NDArray[np.int64], v: float) -> int | None:
    """R ``approx(xs, ys, v, method="constant", f=1)`` (NA outside the range, exact knots hit)."""
    if xs.size == 0 or v < xs[0] or v > xs[-1]:
        return None
    return int(ys[int(np.searchsorted(xs, v, side="left"))])


def _findq(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], p: float, tol: float
) -> float | None:
    """R survival's internal ``findq``: x = (0, times), y = (0, 1 - S) possibly with NaN."""
    finite = ~np.isnan(y)
    if not finite.any() or np.max(y[finite]) < p:
        return None
    xmax = float(x[-1])
    # duplicated(y): keep the first occurrence of each value (NaNs count as one value)
    _, first = np.unique(y, return_index=True)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    ok = ~np.isnan(y)
    idx = np.arange(y.shape[0], dtype=np.int64)[ok]
    yy = y[ok]
    order = np.argsort(yy, kind="stable")
    yy, idx = yy[order], idx[order]
    if p == 0:
        return float(x[0])
    i1 = _approx_right(yy + tol, idx, p)
    i2 = _approx_right(yy - tol, idx, p)
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol:
        return None if i1 is None else (float(x[i1]) + xmax) / 2.0
    if i1 is None or i2 is None:
        return None
    return (float(x[i1]) + float(x[i2])) / 2.0


def _check_prob(prob: float) -> float:
    if not 0.0 < prob < 1.0:
        raise DataValidationError(
            f"prob: got {prob!r}; expected a probability of the event strictly between 0 and 1 "
            "(0.5 = the median)",
            field="prob",
        )
    return float(prob)


def _quantile_r(curve: KaplanMeierCurve, prob: float) -> SurvivalQuantile:
    x = np.concatenate(([0.0], curve.time))
    est = _findq(x, np.concatenate(([0.0], 1.0 - curve.surv)), prob, TOLERANCE)
    # the lower band of S crosses 1 - p first: it gives the lower bound (R's temp[2, ])
    lo = _findq(x, np.concatenate(([0.0], 1.0 - curve.lower)), prob, TOLERANCE)
    up = _findq(x, np.concatenate(([0.0], 1.0 - curve.upper)), prob, TOLERANCE)
    return SurvivalQuantile(prob, est, lo, up, MedianCIMethod.R, curve.conf_type, curve.conf_level)


def _quantile_spss(curve: KaplanMeierCurve, prob: float) -> SurvivalQuantile:
    from hcctrial.stats.distributions import normal_ppf

    s = 1.0 - prob
    ev = curve.n_event > 0
    t_ev, s_ev, se_ev = curve.time[ev], curve.surv[ev], curve.std_err[ev]
    hit = np.flatnonzero(s_ev <= s + TOLERANCE)
    level = curve.conf_level
    if hit.size == 0:
        return SurvivalQuantile(
            prob,
            None,
            None,
            None,
            MedianCIMethod.SPSS,
            None,
            level,
            note="not reached: S(t) stays above the level",
        )
    k = int(hit[0])
    t_p = float(t_ev[k])
    upper_side = np.flatnonzero(s_ev >= s + 0.05 - TOLERANCE)
    lower_side = np.flatnonzero(s_ev <= s - 0.05 + TOLERANCE)
    if upper_side.size == 0 or lower_side.size == 0:
        side = "S(t) >= s + 0.05" if upper_side.size == 0 else "S(t) <= s - 0.05"
        return SurvivalQuantile(
            prob,
            t_p,
            None,
            None,
            MedianCIMethod.SPSS,
            None,
            level,
            note=f"SE not estimable: no event time with {side}",
        )
    u, l_ = int(upper_side[-1]), int(lower_side[0])
    f_hat = (float(s_ev[u]) - float(s_ev[l_])) / (float(t_ev[l_]) - float(t_ev[u]))
    se = float(se_ev[k]) / f_hat
    z = _SPSS_Z95 if level == 0.95 else float(normal_ppf(1.0 - (1.0 - level) / 2.0))
    lower = t_p - z * se
    note = ""
    if lower < 0:  # a time cannot be negative: SPSS prints the negative bound, we truncate
        note = (
            f"lower CI bound {lower:.6g} (median - {z:g} SE) is below zero; truncated at 0 "
            "(SPSS prints the negative value)"
        )
        lower = 0.0
    return SurvivalQuantile(
        prob,
        t_p,
        lower,
        t_p + z * se,
        MedianCIMethod.SPSS,
        None,
        level,
        se=se,
        note=note,
        lower_truncated=bool(note),
    )


def survival_quantile(
    curve: KaplanMeierCurve,
    prob: float = 0.5,
    method: MedianCIMethod | str = MedianCIMethod.R,
) -> SurvivalQuantile:
    """Return the time by which a fraction ``prob`` had the event, with its CI, by ``method``.

    ``prob`` follows R's ``quantile.survfit`` (probability of the event: 0.25 gives the time where
    S = 0.75). With ``method="r"`` the CI inverts the curve's own band (its ``conf_type``).

    >>> km = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    >>> survival_quantile(km).estimate      # S = 0.5 exactly on [2, 3): R takes (2 + 3) / 2
    2.5
    >>> survival_quantile(km, method="spss").estimate   # SPSS: first t with S <= 0.5
    2.0
    """
    p = _check_prob(prob)
    m = MedianCIMethod(method)
    return _quantile_r(curve, p) if m is MedianCIMethod.R else _quantile_spss(curve, p)


def median_survival(
    curve: KaplanMeierCurve, method: MedianCIMethod | str = MedianCIMethod.R
) -> SurvivalQuantile:
    """Return the median survival time and its CI by ``method`` (``r`` or ``spss``)."""
    return survival_quantile(curve, 0.5, method)


@dataclass(frozen=True)
class FollowUp:
    """Median follow-up: reverse Kaplan-Meier (censoring as the event) and the simple median.

    ``reverse_km``: R ``survfit(Surv(time, 1 - event) ~ 1)`` median with its log CI (R's rule);
    ``simple_median``: median of all observed times (what the seed paper reported);
    ``minimum``/``maximum``: range of the observed times.
    """

    label: str | None
    reverse_km: SurvivalQuantile
    simple_median: float
    minimum: float
    maximum: float


def reverse_km_followup(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    group: Sequence[Any] | npt.ArrayLike | None = None,
    *,
    conf_type: ConfType | str = ConfType.LOG,
    conf_level: float = 0.95,
) -> tuple[FollowUp, ...]:
    """Return the median follow-up overall (one entry) or per group (R's level order).

    >>> fu = reverse_km_followup([2, 4, 6, 8], [1, 0, 0, 0])[0]
    >>> fu.reverse_km.estimate, fu.simple_median      # censorings at 4, 6, 8 are the "events"
    (6.0, 5.0)
    """
    t = np.asarray(time, dtype=np.float64)
    rev = 1 - np.asarray(event, dtype=np.int64)
    if group is None:
        parts: list[tuple[str | None, npt.NDArray[np.bool_]]] = [
            (None, np.ones(t.shape[0], dtype=bool))
        ]
    else:
        labels, codes = group_codes(group, t.shape[0])
        parts = [(lab, codes == k) for k, lab in enumerate(labels)]
    out = []
    for label, m in parts:
        c = kaplan_meier(t[m], rev[m], conf_type=conf_type, conf_level=conf_level, label=label)
        tt = t[m]
        out.append(
            FollowUp(
                label, median_survival(c), float(np.median(tt)), float(tt.min()), float(tt.max())
            )
        )
    return tuple(out)
