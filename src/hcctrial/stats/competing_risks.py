"""Competing risks: the Aalen-Johansen cumulative incidence with its variance, and Gray's test.

Status codes: 0 censored, 1, 2, ... the cause of the event (one cause per subject, the first event).

**Cumulative incidence** of cause k (Aalen-Johansen):

    F_k(t) = sum over event times t_j <= t of S(t_j-) d_kj / n_j,

with S the all-cause Kaplan-Meier curve, n_j at risk and d_kj the events of cause k at t_j. The
estimate equals R ``survfit(Surv(time, factor(status)) ~ 1)``'s ``pstate`` and
``cmprsk::cuminc``'s ``est``. **Variance: cmprsk's** (Gray's delta-method estimator, Aalen 1978,
as ``cuminc`` computes it, with its tie correction 1 - (d-1)/(n-1)): not survfit's infinitesimal
jackknife (the two differ slightly on small samples; both are consistent). As in ``cuminc``, the
variance is updated at the times of the cause of interest only; a time with only competing events
leaves the reported variance as at the previous cause-k time.

**Confidence interval**: on the log(-log F) scale (Pintilie 2006, as R ``tidycmprsk`` adds to
``cuminc``): F^exp(+/- z SE / (F log F)), so the interval stays inside (0, 1); None where F is 0 or 1.

**Gray's test** (Gray 1988; ``cmprsk::cuminc``'s ``Tests``): k groups' cumulative incidences of
one cause compared with the weight (1 - F(t-))^rho (rho = 0 by default, as ``cuminc``), stratified
when strata are given (scores and variances summed over strata). Chi-square on k - 1 df.

Written here because no Python library gives these (lifelines has the Aalen-Johansen point estimate
with a different variance and no Gray test); the numbers are checked against live R on random sets
and R data sets (tests/stats/test_competing_risks.py, tests/reference/survival/competing_risks_r.*).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError

__all__ = [
    "CompetingRisksData",
    "CumulativeIncidenceCurve",
    "GrayTestResult",
    "IncidenceAtTime",
    "competing_risks_data",
    "cumulative_incidence",
    "cumulative_incidence_by_group",
    "gray_test",
    "incidence_at",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CompetingRisksData:
    """Checked competing-risks data: ``time`` (>= 0) and ``status`` (0 censored, 1.. the cause)."""

    time: FloatArray
    status: npt.NDArray[np.int64]

    @property
    def n(self) -> int:
        """The number of subjects."""
        return int(self.time.shape[0])


def competing_risks_data(
    time: Sequence[float] | npt.ArrayLike,
    status: Sequence[int] | npt.ArrayLike,
    *,
    time_name: str = "time",
    status_name: str = "status",
) -> CompetingRisksData:
    """Return checked data; raise :class:`DataValidationError` naming the column and the row.

    >>> competing_risks_data([3, 1.5], [2, 0]).status.tolist()
    [2, 0]
    """
    try:
        t = np.asarray(time, dtype=np.float64)
        s = np.asarray(status, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"{time_name}/{status_name}: expected numbers; {exc}") from exc
    if t.ndim != 1 or s.shape != t.shape:
        raise DataValidationError(
            f"{status_name}: shape {s.shape} differs from {time_name} shape {t.shape}",
            field=status_name,
        )
    if t.size == 0:
        raise DataValidationError(f"{time_name}: no observations", field=time_name)
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise DataValidationError(
            f"{time_name}: row {row} has {float(t[row - 1]):g}; expected a finite time >= 0",
            field=time_name,
        )
    bad = ~np.isfinite(s) | (s < 0) | (s != np.round(s))
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise DataValidationError(
            f"{status_name}: row {row} has {float(s[row - 1]):g}; expected 0 (censored) or the "
            "cause of the event 1, 2, ...",
            field=status_name,
        )
    return CompetingRisksData(t, s.astype(np.int64))


@dataclass(frozen=True)
class CumulativeIncidenceCurve:
    """F_k(t) of one cause in one group: a step at each time with an event of cause ``cause``.

    ``time``, ``cif``, ``variance``, ``std_err``, ``lower``, ``upper`` are per step (lower/upper
    NaN where F is 0 or 1); ``last_time`` is the largest follow-up time (F is carried to it and
    unknown beyond it, as ``cmprsk::timepoints``).
    """

    label: str | None
    cause: int
    n: int
    events: int
    time: FloatArray
    cif: FloatArray
    variance: FloatArray
    std_err: FloatArray
    lower: FloatArray
    upper: FloatArray
    last_time: float
    conf_level: float


def _log_log_band(
    cif: FloatArray, se: FloatArray, conf_level: float
) -> tuple[FloatArray, FloatArray]:
    from hcctrial.stats.distributions import normal_ppf

    z = float(normal_ppf(1.0 - (1.0 - conf_level) / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = z * se / (cif * np.log(cif))  # negative for 0 < F < 1
        ok = (cif > 0) & (cif < 1)
        lower = np.where(ok, cif ** np.exp(-g), np.nan)
        upper = np.where(ok, cif ** np.exp(g), np.nan)
    return lower, upper


def _event_table(
    time: FloatArray, status: npt.NDArray[np.int64], cause: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return (event times, at risk, events of ``cause``, other events) at times with an event."""
    order = np.argsort(time, kind="stable")
    t = time[order]
    st = status[order]
    ut, first = np.unique(t, return_index=True)
    n_risk: FloatArray = (t.shape[0] - first).astype(np.float64)
    idx = np.searchsorted(ut, t)
    d1 = np.bincount(idx, weights=(st == cause).astype(np.float64), minlength=ut.shape[0])
    d_all = np.bincount(idx, weights=(st > 0).astype(np.float64), minlength=ut.shape[0])
    keep = d_all > 0
    d1k = np.asarray(d1[keep], dtype=np.float64)
    d2k = np.asarray(d_all[keep], dtype=np.float64) - d1k
    return ut[keep], n_risk[keep], d1k, d2k


def _cuminc_curve(
    time: FloatArray,
    status: npt.NDArray[np.int64],
    cause: int,
    label: str | None,
    conf_level: float,
) -> CumulativeIncidenceCurve:
    """The cumulative incidence and cmprsk's variance in one group (vectorised over times)."""
    ut, n, d1, d2 = _event_table(time, status, cause)
    d = d1 + d2
    surv = np.cumprod((n - d) / n)  # S(t_j)
    s_prev = np.concatenate(([1.0], surv[:-1]))  # S(t_j-)
    cif = np.cumsum(s_prev * d1 / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s = np.where(surv > 0, 1.0 / surv, 0.0)
        # competing events at t_j (only while S(t_j) > 0)
        tie2 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (n - 1.0), 1.0)
        w2 = np.where((d2 > 0) & (surv > 0), s_prev**2 * tie2 * d2 / n**2, 0.0)
        a2 = cif * inv_s
        # events of the cause of interest at t_j
        tie1 = np.where(d1 > 1, 1.0 - (d1 - 1.0) / (n - 1.0), 1.0)
        w1 = np.where(d1 > 0, s_prev**2 * tie1 * d1 / n**2, 0.0)
        a1 = 1.0 + inv_s * cif
    v1 = np.cumsum(a2 * a2 * w2 + a1 * a1 * w1)
    v2 = np.cumsum(inv_s * a2 * w2 + inv_s * a1 * w1)
    v3 = np.cumsum(inv_s * inv_s * (w2 + w1))
    var = v1 + cif * cif * v3 - 2.0 * cif * v2
    jumps = d1 > 0
    var = np.maximum(var[jumps], 0.0)
    se = np.sqrt(var)
    lower, upper = _log_log_band(cif[jumps], se, conf_level)
    return CumulativeIncidenceCurve(
        label,
        cause,
        int(time.shape[0]),
        int((status == cause).sum()),
        ut[jumps],
        cif[jumps],
        var,
        se,
        lower,
        upper,
        float(time.max()),
        conf_level,
    )


def _check_level(conf_level: float) -> None:
    if not 0.0 < conf_level < 1.0:
        raise DataValidationError(
            f"conf_level: got {conf_level!r}; expected a level between 0 and 1", field="conf_level"
        )


def cumulative_incidence(
    time: Sequence[float] | npt.ArrayLike,
    status: Sequence[int] | npt.ArrayLike,
    cause: int = 1,
    *,
    conf_level: float = 0.95,
    label: str | None = None,
) -> CumulativeIncidenceCurve:
    """Return the Aalen-Johansen cumulative incidence of ``cause`` (cmprsk's variance, log-log CI).

    >>> c = cumulative_incidence([1, 2, 3, 4], [1, 2, 1, 0])
    >>> c.time.tolist(), c.cif.tolist()     # 1/4, then + S(3-) * 1/2 = 1/4 + 1/2 * 1/2
    ([1.0, 3.0], [0.25, 0.5])
    """
    _check_level(conf_level)
    data = competing_risks_data(time, status)
    return _cuminc_curve(data.time, data.status, int(cause), label, conf_level)


def _causes(status: npt.NDArray[np.int64]) -> list[int]:
    return sorted(int(c) for c in np.unique(status) if c > 0)


def cumulative_incidence_by_group(
    time: Sequence[float] | npt.ArrayLike,
    status: Sequence[int] | npt.ArrayLike,
    group: Sequence[Any] | npt.ArrayLike | None = None,
    *,
    causes: Sequence[int] | None = None,
    conf_level: float = 0.95,
    group_name: str = "group",
) -> tuple[CumulativeIncidenceCurve, ...]:
    """Return one curve per (cause, group): causes ascending (default: every cause observed),
    groups in R's factor order within a cause -- the order of ``cmprsk::cuminc``'s list."""
    from hcctrial.stats.kaplan_meier import group_codes

    _check_level(conf_level)
    data = competing_risks_data(time, status)
    wanted = _causes(data.status) if causes is None else [int(c) for c in causes]
    if group is None:
        labels: list[str | None] = [None]
        codes = np.zeros(data.n, dtype=np.int64)
    else:
        found, codes = group_codes(group, data.n, group_name)
        labels = list(found)
    out = []
    for cause in wanted:
        for k, lab in enumerate(labels):
            m = codes == k
            out.append(_cuminc_curve(data.time[m], data.status[m], cause, lab, conf_level))
    return tuple(out)


@dataclass(frozen=True)
class IncidenceAtTime:
    """F_k(t) at one chosen time (``cmprsk::timepoints``): None beyond the last follow-up time."""

    time: float
    cif: float | None
    std_err: float | None
    lower: float | None
    upper: float | None


def _opt(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def incidence_at(
    curve: CumulativeIncidenceCurve, times: Sequence[float]
) -> tuple[IncidenceAtTime, ...]:
    """Return F(t) with SE and CI at each of ``times`` (right-continuous step; 0 before the first
    event of the cause; None after the group's last follow-up time, as ``cmprsk::timepoints``)."""
    out = []
    for t in times:
        t = float(t)
        if not np.isfinite(t) or t < 0 or t > curve.last_time:
            out.append(IncidenceAtTime(t, None, None, None, None))
            continue
        i = int(np.searchsorted(curve.time, t, side="right")) - 1
        if i < 0:
            out.append(IncidenceAtTime(t, 0.0, 0.0, None, None))
            continue
        out.append(
            IncidenceAtTime(
                t,
                float(curve.cif[i]),
                float(curve.std_err[i]),
                _opt(curve.lower[i]),
                _opt(curve.upper[i]),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class GrayTestResult:
    """Gray's k-sample test of the cumulative incidence of ``cause``: chi-square on k - 1 df.

    ``score`` and ``variance`` are those of the first k - 1 groups (``groups`` order), as cmprsk;
    ``chisq`` is None (with ``note``) when the variance is singular (cmprsk reports -1).
    """

    cause: int
    groups: tuple[str, ...]
    score: tuple[float, ...]
    variance: tuple[tuple[float, ...], ...]
    chisq: float | None
    df: int
    p: float | None
    rho: float
    note: str = ""


def _gray_stratum(
    time: FloatArray,
    status: npt.NDArray[np.int64],
    codes: npt.NDArray[np.int64],
    ng: int,
    rho: float,
) -> tuple[FloatArray, FloatArray]:
    """Gray's score (ng,) and variance (ng, ng) in one stratum; ``status`` 0/1/2 (2 = other).

    The recursions of Gray (1988) over the event times, vectorised: per time and group the
    all-cause KM S_g(t-), the cause-1 incidence F_g(t-), the pooled incidence F(t-); the weight
    (1 - F(t-))^rho; the score sum fb (d1_g - d1 R_g / sum R), R_g = n_g (1 - F_g(t-)) / S_g(t-).
    """
    ut, inv = np.unique(time, return_inverse=True)
    nu = ut.shape[0]
    flat = inv * ng + codes
    count = np.bincount(flat, minlength=nu * ng).reshape(nu, ng).astype(np.float64)
    d1 = np.bincount(flat, weights=(status == 1) * 1.0, minlength=nu * ng).reshape(nu, ng)
    d2 = np.bincount(flat, weights=(status == 2) * 1.0, minlength=nu * ng).reshape(nu, ng)
    rs = np.cumsum(count[::-1], axis=0)[::-1]  # at risk: time >= t
    ev = (d1 + d2).sum(axis=1) > 0
    if not ev.any():  # a stratum without events adds nothing (cmprsk's crstm loops over none)
        return np.zeros(ng), np.zeros((ng, ng))
    rs, d1, d2 = rs[ev], d1[ev], d2[ev]
    live = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        skm = np.cumprod(np.where(live, (rs - d1 - d2) / rs, 1.0), axis=0)
        skmm = np.vstack((np.ones((1, ng)), skm[:-1]))
        f1 = np.cumsum(np.where(live, skmm * d1 / rs, 0.0), axis=0)
        f1m = np.vstack((np.zeros((1, ng)), f1[:-1]))
        t1 = np.where(live, rs / skmm, 0.0)
        tr = t1.sum(axis=1)
        tq = np.where(live, rs * (1.0 - f1m) / skmm, 0.0).sum(axis=1)
        nd1 = d1.sum(axis=1)
        f = np.cumsum(nd1 / tr)
        fm = np.concatenate(([0.0], f[:-1]))
        fb = (1.0 - fm) ** rho
        score = (
            fb[:, None] * np.where(live, d1 - nd1[:, None] * t1 * (1.0 - f1m) / tq[:, None], 0.0)
        ).sum(axis=0)
        a = fb[:, None, None] * (
            t1[:, :, None] * np.eye(ng)[None] - t1[:, :, None] * t1[:, None, :] / tr[:, None, None]
        )
        c = np.cumsum(a * (nd1 / (tr * (1.0 - fm)))[:, None, None], axis=0)
        # events of cause 1
        m1 = live & (nd1[:, None] > 0)
        t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
        t5 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0
        )
        t3 = np.where(m1, t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        big = a - t4[:, None, :] * c
        v3 = (t4 * t4 * t3).sum(axis=0)
        v2 = np.einsum("uik,uk->ik", big, t4 * t3)
        var = np.einsum("uk,uik,ujk->ij", t3, big, big)
        # competing events
        m2 = (skm > 0) & (d2 > 0)
        t4b = np.where(m2, (1.0 - f[:, None]) / skm, 0.0)
        t5b = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        t3b = np.where(m2, t5b * skmm**2 * d2 / rs**2, 0.0)
        bigb = t4b[:, None, :] * c
        v3 += (t4b * t4b * t3b).sum(axis=0)
        v2 -= np.einsum("uik,uk->ik", bigb, t4b * t3b)
        var += np.einsum("uk,uik,ujk->ij", t3b, bigb, bigb)
    cl = c[-1]
    var += (cl * v3[None, :]) @ cl.T + cl @ v2.T + v2 @ cl.T
    return score, var


def gray_test(
    time: Sequence[float] | npt.ArrayLike,
    status: Sequence[int] | npt.ArrayLike,
    group: Sequence[Any] | npt.ArrayLike,
    cause: int = 1,
    *,
    strata: Sequence[Any] | npt.ArrayLike | None = None,
    rho: float = 0.0,
    group_name: str = "group",
) -> GrayTestResult:
    """Return Gray's test that the cumulative incidence of ``cause`` is equal in all groups
    (``cmprsk::cuminc(time, status, group, strata, rho)$Tests``).

    Every other cause is the competing event. Needs at least two groups.
    """
    from hcctrial.stats.distributions import chi2_sf
    from hcctrial.stats.kaplan_meier import group_codes

    data = competing_risks_data(time, status)
    labels, codes = group_codes(group, data.n, group_name)
    ng = len(labels)
    if ng < 2:
        raise DataValidationError(
            f"{group_name}: found {ng} group; Gray's test needs at least two", field=group_name
        )
    st = np.where(data.status == cause, 1, np.where(data.status > 0, 2, 0)).astype(np.int64)
    if strata is None:
        s_codes = np.zeros(data.n, dtype=np.int64)
        n_strata = 1
    else:
        s_labels, s_codes = group_codes(strata, data.n, "strata")
        n_strata = len(s_labels)
    score = np.zeros(ng)
    var = np.zeros((ng, ng))
    for k in range(n_strata):
        m = s_codes == k
        s, v = _gray_stratum(data.time[m], st[m], codes[m], ng, float(rho))
        score += s
        var += v
    s1, v1 = score[:-1], var[:-1, :-1]
    df = ng - 1
    chisq: float | None = None
    p: float | None = None
    note = ""
    if np.linalg.matrix_rank(v1) == df:
        chisq = float(s1 @ np.linalg.solve(v1, s1))
        p = float(chi2_sf(chisq, df))
    else:
        note = "the variance of the scores is singular (no events of the cause in some group?)"
    return GrayTestResult(
        int(cause),
        tuple(labels),
        tuple(float(x) for x in s1),
        tuple(tuple(float(x) for x in row) for row in v1),
        chisq,
        df,
        p,
        float(rho),
        note,
    )
