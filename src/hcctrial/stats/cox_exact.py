"""Cox's exact partial likelihood for tied event times (R ``coxph(ties = "exact")``).

What: at an event time with d tied events among a risk set of m rows, the exact (discrete-time,
conditional logistic) contribution is exp(sum of the events' eta) / B(d, m), where B sums
exp(eta_S) over every subset S of d rows of the risk set. B and its first and second derivatives
come from the recursion of Gail, Lubin and Rubinstein (1981),

    B(k, j) = B(k, j - 1) + r_j B(k - 1, j - 1),     B(0, j) = 1,   r_j = exp(eta_j),

differentiated term by term; O(d m p^2) per tied time. Untied times are Breslow's (the same
for d = 1), computed vectorised by :mod:`hcctrial.stats.cox_likelihood`; this module replaces
the tied times' Breslow terms by the exact ones.

Why our own: neither lifelines nor statsmodels has the exact method. Case weights and
(start, stop] rows are refused with ties="exact" (R's ``coxph`` ignores weights there, and
its exact counting-process code is a different routine).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.stats.cox_likelihood import _partial_terms, _score_info

__all__ = ["exact_terms"]

FloatArray = npt.NDArray[np.float64]


def _risk_rows(prep: Any, k: int) -> npt.NDArray[np.intp]:
    """Sorted rows at risk at event time k: its stratum's rows with time >= t_k."""
    first = int(prep.death_rows[prep.d_start[k]])
    s = prep.strata_sorted[first]
    a = int(np.searchsorted(prep.strata_sorted, s, side="left"))
    b = int(np.searchsorted(prep.strata_sorted, s, side="right"))
    t = prep.time_sorted[first]
    end = a + int(np.searchsorted(-prep.time_sorted[a:b], -t, side="right"))
    return np.arange(a, end, dtype=np.intp)


def _exact_one(x: FloatArray, eta: FloatArray, d: int) -> tuple[float, FloatArray, FloatArray]:
    """Return log B(d, m), B'/B and B''/B for the risk set (x: p x m, eta: m)."""
    p, m = x.shape
    shift = float(eta.max())  # B scales by exp(d shift): keeps the sums in range
    r = np.exp(eta - shift)
    B = np.zeros(d + 1)
    B[0] = 1.0
    B1 = np.zeros((d + 1, p))
    B2 = np.zeros((d + 1, p, p))
    for j in range(m):
        xj = x[:, j]
        rj = r[j]
        # k from d down to 1 so that the (k - 1) terms are still those of j - 1
        B2[1:] += rj * (
            B2[:-1]
            + np.einsum("k,p,q->kpq", B[:-1], xj, xj)
            + np.einsum("kp,q->kpq", B1[:-1], xj)
            + np.einsum("p,kq->kpq", xj, B1[:-1])
        )
        B1[1:] += rj * (B1[:-1] + np.outer(B[:-1], xj))
        B[1:] += rj * B[:-1]
    return float(np.log(B[d]) + d * shift), B1[d] / B[d], B2[d] / B[d]


def exact_terms(prep: Any, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """Return the exact-method log likelihood, score and information at ``beta``."""
    t = _partial_terms(prep, beta, "breslow")
    U, info = _score_info(prep, t)
    loglik = t.loglik
    eta = beta @ prep.XT
    for k in np.flatnonzero(prep.d > 1).tolist():
        d = int(prep.d[k])
        rows = _risk_rows(prep, k)
        x = prep.XT[:, rows]
        e = eta[rows]
        r = np.exp(e - e.max())
        den = float(r.sum())
        mean = (x @ r) / den
        second = (x * r) @ x.T / den
        # remove Breslow's d log(sum r), d mean and d (second - mean mean')
        loglik += d * (np.log(den) + float(e.max()))
        U += d * mean
        info -= d * (second - np.outer(mean, mean))
        log_b, m1, m2 = _exact_one(x, e, d)
        loglik -= log_b
        U -= m1
        info += m2 - np.outer(m1, m1)
    return float(loglik), U, info
