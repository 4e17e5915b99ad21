"""The one-sample log-rank test: observed events against those expected under a fixed null curve.

With a null survival curve S0 (Weibull with median ``m0`` and shape ``k``; k = 1 is exponential),
each subject contributes its null cumulative hazard at its observed time,
Lambda0(t) = log(2) (t / m0)^k, and

- O = number of events, E = sum_i Lambda0(t_i) (the events expected under H0 given each subject's
  follow-up), and the variance of O - E under H0 is E;
- chi-square = (O - E)^2 / E on 1 df -- exactly R ``survival``'s one-sample test,
  ``survdiff(Surv(time, status) ~ offset(S0(time)))`` with E = sum -log S0(t_i)
  (tests/reference/analysis/one_sample_logrank_r.json, made by one_sample_logrank.R);
- the signed z = (E - O) / sqrt(E): z > 0 when fewer events occur than the null curve predicts,
  i.e. survival is better than the null (the sign of :func:`hcctrial.stats.landmark.landmark_test`'s
  z). ``greater``: H1 survival better than the null, p = 1 - Phi(z); Wu (2015, Pharm Stat 14:26)
  writes the same statistic as (O - E) / sqrt(E) and rejects for small values.

Its sample size is :func:`hcctrial.stats.design_survival.one_sample_logrank_wu`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError
from hcctrial.stats.data import survival_data
from hcctrial.stats.landmark import Alternative

__all__ = ["OneSampleLogRankResult", "one_sample_logrank_test"]


@dataclass(frozen=True)
class OneSampleLogRankResult:
    """The one-sample log-rank test: ``observed`` O and ``expected`` E events, ``z`` = (E - O) /
    sqrt(E), ``chisq`` = z^2, the p values for each alternative and ``p`` for ``alternative``;
    ``ratio`` = O / E (the standardised event ratio, an estimate of the hazard ratio to the null
    under proportional hazards)."""

    n: int
    observed: int
    expected: float
    z: float
    chisq: float
    p: float
    p_greater: float
    p_less: float
    p_two_sided: float
    alternative: Alternative
    ratio: float
    null_median: float
    null_shape: float


def one_sample_logrank_test(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    *,
    null_median: float,
    null_shape: float = 1.0,
    alternative: Alternative | str = Alternative.GREATER,
) -> OneSampleLogRankResult:
    """Return the one-sample log-rank test of ``time``/``event`` against the Weibull null curve
    with median ``null_median`` (same time unit) and shape ``null_shape``.

    >>> r = one_sample_logrank_test([10, 10], [1, 0], null_median=10)   # E = 2 log 2
    >>> round(r.expected, 6), r.observed, round(r.z, 6)
    (1.386294, 1, 0.328088)
    """
    from hcctrial.stats.distributions import normal_cdf, normal_sf

    alt = Alternative(alternative)
    for name, v in (("null_median", null_median), ("null_shape", null_shape)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            raise DataValidationError(f"{name}: got {v!r}; expected a positive number", field=name)
    data = survival_data(time, event)
    t = np.asarray(data.time, dtype=np.float64)
    expected = float(np.sum(math.log(2.0) * (t / null_median) ** null_shape))
    observed = int(np.sum(data.event))
    if expected <= 0:
        raise DataValidationError(
            "time: every time is 0, so no event is expected under the null curve; expected "
            "follow-up after time 0",
            field="time",
        )
    z = (expected - observed) / math.sqrt(expected)
    p_greater, p_less = float(normal_sf(z)), float(normal_cdf(z))
    p_two = float(2.0 * normal_sf(abs(z)))
    p = {Alternative.GREATER: p_greater, Alternative.LESS: p_less}.get(alt, p_two)
    return OneSampleLogRankResult(
        data.n,
        observed,
        expected,
        z,
        z * z,
        p,
        p_greater,
        p_less,
        p_two,
        alt,
        observed / expected,
        float(null_median),
        float(null_shape),
    )
