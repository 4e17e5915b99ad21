"""The Schoenfeld-residual test of proportional hazards, as R's ``survival::cox.zph`` (>= 3.0).

What: for a fitted Cox model, a score test of adding ``x * g(t)`` for each term (and all terms
together, the GLOBAL test), where g is a transform of time centred at its mean over the events.
A small p-value says the hazard ratio of that term changes with time. The default transform is
``"km"`` as in R: g(t) = 1 - S(t-), the left-continuous Kaplan-Meier of all subjects pooled.

How (R's ``zph1`` C routine, vectorised): at the fitted beta, with the same Efron/Breslow weighting
as the fit, U_t = sum over events of g(t_i) (x_i - xbar(t_i)) and the 2p x 2p information
[[I, I_g], [I_g, I_gg]] with I_g and I_gg weighted by g and g^2. For a term with columns J the
statistic is u' A^-1 u with u = (0_p, U_t[J]) and A the rows/columns (1..p, p + J) of the
information; its df is |J| (a categorical covariate with k levels is one term with k - 1 df).

Why our own code: no Python library implements R's score-test form of cox.zph (lifelines'
``proportional_hazard_test`` is the older Grambsch-Therneau approximation and gives other numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError
from hcctrial.stats.cox import CoxResult
from hcctrial.stats.cox_likelihood import (
    _partial_terms,
    _prepare,
    _stratum_codes,
    _weighted_info,
    _weighted_mean_sum,
)
from hcctrial.stats.data import survival_data
from hcctrial.stats.timefix import aeq_times

__all__ = ["CoxZphResult", "ZphTest", "cox_zph"]

TRANSFORMS = ("km", "identity", "rank", "log")


@dataclass(frozen=True)
class ZphTest:
    """The proportional-hazards test of one term (or GLOBAL): chi-square, df and p."""

    term: str
    chisq: float
    df: int
    p: float


@dataclass(frozen=True)
class CoxZphResult:
    """Per-term tests in term order, then the global test; ``transform`` names g(t)."""

    transform: str
    terms: tuple[ZphTest, ...]
    global_test: ZphTest


def _km_left_continuous(time: npt.NDArray[np.float64], event: npt.NDArray[np.int8]) -> Any:
    """Return 1 - S(t-) for each subject, S the pooled Kaplan-Meier (R's ``survfitKM``)."""
    ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=event.astype(np.float64), minlength=ut.shape[0])
    n_at = np.bincount(inv, minlength=ut.shape[0])
    at_risk = np.cumsum(n_at[::-1])[::-1].astype(np.float64)
    surv = np.cumprod(1.0 - d / at_risk)
    before = np.searchsorted(ut, time, side="left")  # number of KM times strictly below t
    return 1.0 - np.concatenate(([1.0], surv))[before]


def _time_transform(
    time: npt.NDArray[np.float64], event: npt.NDArray[np.int8], transform: str
) -> npt.NDArray[np.float64]:
    if transform == "km":
        return _km_left_continuous(time, event)
    if transform == "identity":
        return time.copy()
    if transform == "rank":
        from scipy.stats import rankdata

        return np.asarray(rankdata(time), dtype=np.float64)
    if transform == "log":
        if np.any(time <= 0):
            raise DataValidationError(
                "transform: 'log' needs times > 0; got a time <= 0", field="transform"
            )
        return np.log(time)
    raise DataValidationError(
        f"transform: got {transform!r}; expected one of {list(TRANSFORMS)}", field="transform"
    )


def cox_zph(
    fit: CoxResult,
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    X: npt.ArrayLike,
    strata: Sequence[Any] | npt.ArrayLike | None = None,
    *,
    terms: Mapping[str, Sequence[int]] | None = None,
    transform: str = "km",
    timefix: bool = True,
) -> CoxZphResult:
    """Return the proportional-hazards tests of ``fit`` (the data it was fitted on must be given).

    ``terms`` maps a term name to its column indices in ``X`` (e.g. a categorical covariate's
    dummies, :attr:`hcctrial.stats.design_matrix.DesignMatrix.assign`); default one term per
    column, named by ``fit.names``. ``transform`` is ``"km"`` (R's default), ``"identity"``,
    ``"rank"`` or ``"log"``. ``timefix`` as in the fit (R uses the fit's time-fixed response).
    """
    data = survival_data(time, event, strata=strata)
    times = aeq_times(data.time)[0] if timefix else data.time
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    p = len(fit.coef)
    if Xa.shape != (data.n, p):
        raise DataValidationError(
            f"X: got shape {Xa.shape}; expected ({data.n}, {p}) as in the fit", field="X"
        )
    term_map: dict[str, list[int]] = (
        {name: [j] for j, name in enumerate(fit.names)}
        if terms is None
        else {k: [int(j) for j in v] for k, v in terms.items()}
    )
    gtime = _time_transform(times, data.event, transform)
    gtime = gtime - gtime[data.event == 1].mean()

    prep = _prepare(times, data.event, Xa, _stratum_codes(data.strata, data.n))
    beta = np.asarray(fit.coef, dtype=np.float64)
    t = _partial_terms(prep, beta, fit.ties)
    g_sorted = gtime[prep.order]
    g_time = g_sorted[prep.death_rows[prep.d_start]]  # g at each event time
    i11 = _weighted_info(t)
    i12 = _weighted_info(t, g_time)
    i22 = _weighted_info(t, g_time * g_time)
    info = np.block([[i11, i12], [i12, i22]])
    u_time = prep.XT[:, prep.death_rows] @ g_sorted[prep.death_rows] - _weighted_mean_sum(t, g_time)

    from hcctrial.stats.distributions import chi2_sf

    def test(name: str, cols: list[int]) -> ZphTest:
        kk = list(range(p)) + [p + j for j in cols]
        u = np.concatenate((np.zeros(p), u_time[cols]))
        stat = float(u @ np.linalg.solve(info[np.ix_(kk, kk)], u))
        return ZphTest(name, stat, len(cols), float(chi2_sf(stat, len(cols))))

    per_term = tuple(test(name, cols) for name, cols in term_map.items())
    return CoxZphResult(transform, per_term, test("GLOBAL", list(range(p))))
