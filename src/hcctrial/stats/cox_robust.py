"""Score residuals of a Cox fit and the robust (sandwich) variance, as R's ``coxph(robust=TRUE)``.

What: :func:`sorted_score_residuals` returns each row's score residual (R ``residuals(fit,
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

__all__ = [
    "robust_variance",
    "sorted_score_residuals",
    "weighted_cluster_sums",
]


def _per_time_hazards(prep: Any, t: Any, p: int) -> tuple[FloatArray, ...]:
    """Return per event time H, G (p x T), H', G' (the dying rows' shares) and the mean xbar.

    With R1, DD the risk-set and tied-event sums of x at a time (p x T), Efron's k-th sub-step has
    mean xbar_k = (R1 - f_k DD) / den_k and hazard dLambda_k = m_k / den_k (f_k = k / d, m_k the
    case-weight mean wtave, 1 without weights). Every per-time sum is then R1 and DD times a sum
    over sub-steps of a scalar, so only 1-d per-event arrays are summed (``np.add.reduceat``):
    G = sum xbar_k dLambda_k = R1 A - DD B with A = sum m/den^2, B = sum f m/den^2, C = sum f^2
    m/den^2; G' = sum (1 - f) xbar dLambda = R1 (A - B) - DD (B - C); mean = sum xbar_k / d.
    """
    d = prep.d
    n_ev = prep.death_rows.shape[0]
    efron = bool(t.dd.shape[1])
    f = prep.efron_frac if efron else np.zeros(n_ev)
    den = t.den
    m = np.ones(n_ev) if prep.mult is None else prep.mult
    starts = prep.d_start

    def per_time(v: FloatArray) -> FloatArray:
        return np.add.reduceat(v, starts)

    dlam = m / den
    dlam2 = dlam / den
    H, Hd = per_time(dlam), per_time((1 - f) * dlam)
    A = per_time(dlam2)
    R1 = t.r[1 : 1 + p]
    inv_mean = per_time(1.0 / den)
    if not efron:
        return H, R1 * A, Hd, R1 * A, R1 * (inv_mean / d)
    fd = f * dlam2
    B, C = per_time(fd), per_time(f * fd)
    DD = t.dd[1 : 1 + p]
    G = R1 * A - DD * B
    Gd = R1 * (A - B) - DD * (B - C)
    mean = (R1 * inv_mean - DD * per_time(f / den)) / d
    return H, G, Hd, Gd, mean


def sorted_score_residuals(
    prep: Any, beta: FloatArray, ties: str, terms: Any = None
) -> FloatArray:
    """Return the p x n score residuals in the fit's sorted row order (``prep.order``) on the
    fit's covariate scale (``out[:, prep.order] = residuals`` gives the original row order).

    ``terms``: the likelihood's per-time sums at ``beta`` when the caller has them (the fit's
    last Newton step), else computed here.
    """
    p = prep.XT.shape[0]
    n = prep.XT.shape[1]
    t = _partial_terms(prep, beta, ties) if terms is None else terms
    H, G, Hd, Gd, mean = _per_time_hazards(prep, t, p)
    r = np.exp(beta @ prep.XT)
    X = prep.XT  # p x n, sorted order
    # cumulative sums over event times in ascending time within stratum: reverse the order
    rev = np.arange(H.shape[0] - 1, -1, -1)
    cH = np.concatenate(([0.0], np.cumsum(H[rev])))
    cG = np.concatenate((np.zeros((p, 1)), np.cumsum(G[:, rev], axis=1)), axis=1)
    idx_stop, idx_start = _time_indices(prep, rev, n)
    from_start = prep.start_sorted is not None or bool(np.any(idx_start))
    Hsum = np.take(cH, idx_stop)
    if from_start:
        Hsum -= np.take(cH, idx_start)
    # events: own mean, and only the dying share of their own time's hazard
    e_rows = prep.death_rows
    k = prep.death_time_index
    own_h = np.take(H - Hd, k)
    r_e = r[e_rows]
    out = np.empty((p, n))
    for j in range(p):  # one covariate at a time: p x n temporaries stay out of memory
        res = out[j]
        np.take(cG[j], idx_stop, out=res)
        if from_start:
            res -= np.take(cG[j], idx_start)
        res -= X[j] * Hsum
        res *= r
        xe = X[j][e_rows]
        res[e_rows] += xe - np.take(mean[j], k) + r_e * (xe * own_h - np.take((G - Gd)[j], k))
    return out


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


def weighted_cluster_sums(
    resid: FloatArray,
    weights: FloatArray | None = None,
    cluster: npt.NDArray[np.intp] | None = None,
) -> FloatArray:
    """Return w * resid (p x n) summed within each cluster (p x clusters; unchanged without)."""
    wr = resid if weights is None else resid * weights
    if cluster is None:
        return wr
    n_cl = int(cluster.max()) + 1
    return np.array([np.bincount(cluster, weights=row, minlength=n_cl) for row in wr])


def robust_variance(
    resid: FloatArray,
    vcov: FloatArray,
    weights: FloatArray | None = None,
    cluster: npt.NDArray[np.intp] | None = None,
) -> FloatArray:
    """Return R's robust variance D'D, D = rowsum(w * resid, cluster) @ vcov.

    ``resid`` is p x n (one row per covariate), ``weights`` and ``cluster`` in the same row order:
    D'D does not depend on the order of the rows, so the fit's sorted order serves.
    """
    wr = weighted_cluster_sums(resid, weights, cluster)
    # row by row dot products (no threaded gemm over 10^6 rows, which stalls on a busy host)
    M = np.array([[float(a @ b) for b in wr] for a in wr])
    return np.asarray(vcov.T @ M @ vcov, dtype=np.float64)
