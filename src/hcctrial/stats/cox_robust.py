"""Score residuals of a Cox fit and the robust (sandwich) variance, as R's ``coxph(robust=TRUE)``.

What: :func:`score_residuals` returns each row's score residual (R ``residuals(fit,
type = "score")``, Efron or Breslow, right-censored or (start, stop] rows); :func:`robust_variance`
returns R's robust variance D'D, D the weighted dfbeta residuals (score residuals times case
weights times the model variance) summed within each cluster (each row its own cluster by default).

The residual of row i (Therneau & Grambsch 2000, sec. 7.2; R's ``coxscore2``/``agscore3``):
delta_i (x_i - mean of the Efron means at its time) - r_i sum over the event times t in its risk
interval of sum_k dLambda_k (x_i - xbar_k), where k runs over Efron's sub-steps of t (one for
Breslow), dLambda_k = wtave / den_k, and a row that dies at t takes only the share (1 - k/d) of
the k-th sub-step. Vectorised: the per-time sums are cumulated over the event times of each
stratum and looked up at each row's start and stop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.stats.cox_likelihood import FloatArray, _partial_terms

__all__ = ["robust_variance", "score_residuals"]


def _per_time_hazards(prep: Any, t: Any, p: int) -> tuple[FloatArray, ...]:
    """Return per event time H, G (p x T), H', G' (the dying rows' shares) and the mean xbar."""
    d = prep.d
    n_ev = prep.death_rows.shape[0]
    frac = prep.efron_frac if t.dd.shape[1] else np.zeros(n_ev)
    k = prep.death_time_index
    r1 = t.r[1 : 1 + p][:, k]
    if t.dd.shape[1]:
        r1 = r1 - frac * t.dd[1 : 1 + p][:, k]
    den = t.den
    xbar = r1 / den  # p x events: Efron's sub-step means
    m = np.ones(n_ev) if prep.mult is None else prep.mult
    dlam = m / den
    starts = prep.d_start

    def per_time(v: FloatArray) -> FloatArray:
        return np.add.reduceat(v, starts, axis=-1)

    H, G = per_time(dlam), per_time(xbar * dlam)
    Hd, Gd = per_time((1 - frac) * dlam), per_time(xbar * ((1 - frac) * dlam))
    mean = per_time(xbar) / d
    return H, G, Hd, Gd, mean


def score_residuals(prep: Any, beta: FloatArray, ties: str) -> FloatArray:
    """Return the n x p score residuals (original row order, the fit's covariate scale)."""
    p = prep.XT.shape[0]
    n = prep.XT.shape[1]
    t = _partial_terms(prep, beta, ties)
    H, G, Hd, Gd, mean = _per_time_hazards(prep, t, p)
    eta = beta @ prep.XT
    r = np.exp(eta)
    X = prep.XT  # p x n, sorted order
    # cumulative sums over event times in ascending time within stratum: reverse the order
    rev = np.arange(H.shape[0] - 1, -1, -1)
    cH = np.concatenate(([0.0], np.cumsum(H[rev])))
    cG = np.concatenate((np.zeros((p, 1)), np.cumsum(G[:, rev], axis=1)), axis=1)
    idx_stop, idx_start = _time_indices(prep, rev, n)
    Hsum = np.take(cH, idx_stop)
    if prep.start_sorted is not None or np.any(idx_start):
        Hsum -= np.take(cH, idx_start)
    # events: own mean, and only the dying share of their own time's hazard
    e_rows = prep.death_rows
    k = prep.death_time_index
    own_h = np.take(H - Hd, k)
    out = np.empty((p, n))
    for j in range(p):  # one covariate at a time: p x n temporaries stay out of memory
        xj = X[j]
        gsum = np.take(cG[j], idx_stop) - np.take(cG[j], idx_start)
        res = gsum - xj * Hsum
        res *= r
        xe = xj[e_rows]
        res[e_rows] += xe - mean[j, k] + r[e_rows] * (xe * own_h - np.take((G - Gd)[j], k))
        out[j, prep.order] = res
    return out.T


def _time_indices(
    prep: Any, rev: npt.NDArray[np.intp], n: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Per sorted row: index (into the cumulated reversed event times) past its last event time
    <= stop, and past its last event time <= start (its stratum's first index when no start)."""
    ev_row = prep.death_rows[prep.d_start][rev]  # stratum descending, time ascending within
    codes = prep.strata_sorted
    times = prep.time_sorted
    ev_codes, ev_times = codes[ev_row], times[ev_row]
    idx_stop = np.zeros(n, dtype=np.intp)
    idx_start = np.zeros(n, dtype=np.intp)
    starts = prep.start_sorted
    for code in np.unique(ev_codes).tolist():
        sel = np.flatnonzero(ev_codes == code)
        rows = np.flatnonzero(codes == code)
        base = int(sel[0])
        tt = ev_times[sel]  # ascending
        idx_stop[rows] = base + np.searchsorted(tt, times[rows], side="right")
        idx_start[rows] = (
            base if starts is None else base + np.searchsorted(tt, starts[rows], side="right")
        )
    return idx_stop, idx_start


def robust_variance(
    resid: FloatArray,
    vcov: FloatArray,
    weights: FloatArray | None = None,
    cluster: npt.NDArray[np.intp] | None = None,
) -> FloatArray:
    """Return R's robust variance D'D, D = rowsum(w * resid, cluster) @ vcov."""
    wr = resid if weights is None else resid * weights[:, None]
    if cluster is not None:
        n_cl = int(cluster.max()) + 1
        summed = np.zeros((n_cl, wr.shape[1]))
        np.add.at(summed, cluster, wr)
        wr = summed
    # without BLAS (einsum, optimize=False): a threaded gemm over 10^6 rows stalls on a busy host
    M = np.einsum("ij,ik->jk", wr, wr)
    return np.asarray(vcov.T @ M @ vcov, dtype=np.float64)
