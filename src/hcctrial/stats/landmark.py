"""The single-arm landmark test (S(t0) against a null rate p0) and the restricted mean survival time.

Landmark test (the seed trial's primary endpoint: 12-month PFS against p0 = 30 %): with the
Kaplan-Meier S = S(t0) and its Greenwood variance,

- ``log-log`` scale (default; the scale of R's ``conf.type="log-log"`` band):
  g(S) = log(-log S), SE(g) = SE(log S) / |log S|, z = (g(p0) - g(S)) / SE(g);
- ``plain`` scale: z = (S - p0) / SE(S).

z > 0 when S > p0. One-sided p for H1: S(t0) > p0 is 1 - Phi(z) (``greater``), for H1: S(t0) < p0
Phi(z) (``less``); two-sided 2 (1 - Phi(|z|)). On either scale the two-sided test at level alpha
rejects exactly when p0 lies outside the 1 - alpha pointwise band of that scale (the tests check this
against R's bands).

RMST to tau: the area under the KM curve on [0, tau] (flat after the last time), with R's
``survival:::survmean`` variance sum_j A_j^2 d_j / (n_j (n_j - d_j)), A_j the area from t_j to tau
(no n/(n-1) correction, as R; a term with n_j = d_j counts 0, as R). CI: estimate -/+ z SE (Wald, as
``survRM2``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from hcctrial.errors import DataValidationError
from hcctrial.stats.kaplan_meier import KaplanMeierCurve, survival_at

__all__ = [
    "Alternative",
    "LandmarkScale",
    "LandmarkTestResult",
    "RestrictedMean",
    "RestrictedMeanDifference",
    "landmark_test",
    "restricted_mean",
    "restricted_mean_difference",
]


class Alternative(StrEnum):
    """The alternative hypothesis about S(t0): above p0, below p0, or either."""

    GREATER = "greater"
    LESS = "less"
    TWO_SIDED = "two-sided"


class LandmarkScale(StrEnum):
    """The scale of the Wald statistic of the landmark test."""

    LOG_LOG = "log-log"
    PLAIN = "plain"


@dataclass(frozen=True)
class LandmarkTestResult:
    """S(t0) against p0: the estimate, its SE, the Wald z on ``scale`` and the p values.

    ``p`` is the p value for ``alternative``; ``p_greater``, ``p_less`` and ``p_two_sided`` are all
    given. ``lower``/``upper``: the ``conf_level`` CI of S(t0) on the same scale. ``n_risk``:
    subjects still under observation at t0.
    """

    time: float
    surv: float
    std_err: float
    p0: float
    scale: LandmarkScale
    alternative: Alternative
    z: float
    p: float
    p_greater: float
    p_less: float
    p_two_sided: float
    lower: float
    upper: float
    conf_level: float
    n_risk: int


def landmark_test(
    curve: KaplanMeierCurve,
    time: float,
    p0: float,
    *,
    scale: LandmarkScale | str = LandmarkScale.LOG_LOG,
    alternative: Alternative | str = Alternative.GREATER,
    conf_level: float = 0.95,
) -> LandmarkTestResult:
    """Return the Wald test of H0: S(``time``) = ``p0`` from a Kaplan-Meier ``curve``.

    ``time`` in the curve's time unit; ``p0`` a survival probability in (0, 1).

    >>> from hcctrial.stats.kaplan_meier import kaplan_meier
    >>> km = kaplan_meier(list(range(1, 11)), [1] * 10)
    >>> r = landmark_test(km, 3, 0.5, scale="plain")   # S = 0.7, SE = sqrt(0.7 * 0.3 / 10)
    >>> round(r.z, 6)
    1.380131
    """
    from hcctrial.stats.distributions import normal_cdf, normal_ppf, normal_sf

    sc, alt = LandmarkScale(scale), Alternative(alternative)
    if not 0.0 < p0 < 1.0:
        raise DataValidationError(
            f"p0: got {p0!r}; expected a survival probability strictly between 0 and 1", field="p0"
        )
    if not 0.0 < conf_level < 1.0:
        raise DataValidationError(
            f"conf_level: got {conf_level!r}; expected a number strictly between 0 and 1",
            field="conf_level",
        )
    (at,) = survival_at(curve, [time])
    s, se, se_log = at.surv, at.std_err, at.std_err_log
    if se is None or se_log is None or se <= 0 or not 0.0 < s < 1.0:
        raise DataValidationError(
            f"time: S({time:g}) = {s:g} with SE {se}; the landmark test needs 0 < S < 1 and a "
            "positive SE (at least one event before the landmark and someone surviving it)",
            field="time",
        )
    zq = float(normal_ppf(1.0 - (1.0 - conf_level) / 2.0))
    if sc is LandmarkScale.PLAIN:
        z = (s - p0) / se
        lower, upper = s - zq * se, s + zq * se
    else:
        ls = np.log(s)
        se_g = se_log / abs(ls)
        g = np.log(-ls)
        z = (np.log(-np.log(p0)) - g) / se_g
        lower, upper = np.exp(-np.exp(g + zq * se_g)), np.exp(-np.exp(g - zq * se_g))
    p_greater = float(normal_sf(z))
    p_less = float(normal_cdf(z))
    p_two = float(2.0 * normal_sf(abs(z)))
    p = {Alternative.GREATER: p_greater, Alternative.LESS: p_less}.get(alt, p_two)
    return LandmarkTestResult(
        float(time),
        s,
        se,
        float(p0),
        sc,
        alt,
        float(z),
        p,
        p_greater,
        p_less,
        p_two,
        float(lower),
        float(upper),
        conf_level,
        at.n_risk,
    )


@dataclass(frozen=True)
class RestrictedMean:
    """RMST: the mean survival time restricted to [0, tau] (time units), with SE and Wald CI."""

    label: str | None
    tau: float
    estimate: float
    se: float
    lower: float
    upper: float
    conf_level: float


def restricted_mean(
    curve: KaplanMeierCurve, tau: float, *, conf_level: float = 0.95
) -> RestrictedMean:
    """Return the restricted mean survival time to ``tau`` (R ``print(fit, rmean=tau)``).

    >>> from hcctrial.stats.kaplan_meier import kaplan_meier
    >>> restricted_mean(kaplan_meier([2, 4], [1, 1]), 5).estimate   # 2 * 1 + 2 * 0.5 + 1 * 0
    3.0
    """
    from hcctrial.stats.distributions import normal_ppf

    if not np.isfinite(tau) or tau <= 0:
        raise DataValidationError(f"tau: got {tau!r}; expected a time > 0", field="tau")
    keep = curve.time <= tau
    t = np.append(curve.time[keep], tau)
    s = np.append(curve.surv[keep], curve.surv[keep][-1] if keep.any() else 1.0)
    n = curve.n_risk[keep].astype(np.float64)
    d = curve.n_event[keep].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n - d == 0, 0.0, d / (n * (n - d)))
    rect = np.diff(np.concatenate(([0.0], t))) * np.concatenate(([1.0], s[:-1]))
    estimate = float(rect.sum())
    # A_j = area from t_j to tau = sum of the rectangles after t_j
    area_after = np.cumsum(rect[::-1])[::-1][1:]
    se = float(np.sqrt(np.sum(area_after**2 * hh)))
    zq = float(normal_ppf(1.0 - (1.0 - conf_level) / 2.0))
    return RestrictedMean(
        curve.label, float(tau), estimate, se, estimate - zq * se, estimate + zq * se, conf_level
    )


@dataclass(frozen=True)
class RestrictedMeanDifference:
    """RMST(b) - RMST(a) to a common tau with the SE of independent groups, Wald CI and p."""

    tau: float
    difference: float
    se: float
    lower: float
    upper: float
    p: float
    conf_level: float


def restricted_mean_difference(
    a: KaplanMeierCurve, b: KaplanMeierCurve, tau: float, *, conf_level: float = 0.95
) -> RestrictedMeanDifference:
    """Return RMST(``b``) - RMST(``a``) to ``tau`` with a two-sided Wald p value."""
    from hcctrial.stats.distributions import normal_ppf, normal_sf

    ra = restricted_mean(a, tau, conf_level=conf_level)
    rb = restricted_mean(b, tau, conf_level=conf_level)
    diff = rb.estimate - ra.estimate
    se = float(np.hypot(ra.se, rb.se))
    zq = float(normal_ppf(1.0 - (1.0 - conf_level) / 2.0))
    p = float(2.0 * normal_sf(abs(diff) / se)) if se > 0 else 1.0
    return RestrictedMeanDifference(
        float(tau), diff, se, diff - zq * se, diff + zq * se, p, conf_level
    )
