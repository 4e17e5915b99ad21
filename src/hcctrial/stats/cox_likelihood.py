"""The Cox partial likelihood of R's ``coxfit6``, vectorised: data preparation and per-step sums.

What: :func:`_prepare` sorts the data once by (stratum, time descending, events first) and keeps
what every likelihood evaluation needs; :func:`_partial_terms` evaluates the log partial
likelihood at one beta (Efron or Breslow ties) and reduces its first and second derivatives to a
few sums per event time; :func:`_weighted_info` / :func:`_weighted_mean_sum` turn those sums into
the information matrix and the score (optionally weighted per event time, as ``cox.zph`` needs).
Used by :mod:`hcctrial.stats.cox` (the fit) and :mod:`hcctrial.stats.cox_zph`.

Why this shape (speed at n = 10^6 without a compiled extension; see docs/performance.md):

- the sort is one ``np.sort`` of a packed int64 key (stratum, reversed time rank, censored flag,
  row), several times faster than chained stable argsorts, and gives the same stable order;
- per evaluation, exp(eta) (1, x, x_i x_j) is formed and, when times tie heavily (fewer than a
  third as many (stratum, time, status) blocks as rows), summed per block in row chunks of 8,192
  that stay in the CPU cache (no n x p(p+3)/2 array in memory); cumulative sums over the blocks
  (or rows) give every risk set;
- Efron's correction enters only through five scalar sums per event time (``np.add.reduceat``
  over the events), so no per-event p x p array is built.

Conventions as R's ``coxfit6``: the linear predictor is NOT truncated before ``exp`` (``coxph``
never calls ``coxsafe``); an overflow gives a non-finite log likelihood, which the fit treats as
a failed step, as R does. Covariates arrive centred and scaled as ``coxfit6`` does it (see
:func:`hcctrial.stats.cox.r_centring`); the partial likelihood does not change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.stats.cox_concordance import dense_rank

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class _Prepared:
    """Data sorted by (stratum, time descending, events first), the design and the sum indices.

    The risk-set sums are cumulative sums over *units* (blocks of rows sharing stratum, time and
    status), each unit summed once per likelihood evaluation (:func:`_unit_sums`). ``chunks`` splits the sorted rows into cache-sized pieces, each with the units it touches;
    None when the units would be hardly fewer than the rows: then each row is its own unit.
    """

    order: npt.NDArray[np.intp]  # sorted position -> original row
    XT: FloatArray  # centred covariates, sorted, p x n (one contiguous row per covariate)
    n_units: int  # number of units
    chunks: tuple[_Chunk, ...] | None  # row chunks and the units they touch (None: unit = row)
    death_rows: npt.NDArray[np.intp]  # sorted positions of the events
    death_units: npt.NDArray[np.intp]  # per event time: its unit of events (when chunked)
    risk_end: npt.NDArray[np.intp]  # per event time: last unit of the risk set
    risk_base: npt.NDArray[np.intp]  # per event time: last unit before its stratum (-1 = none)
    d: npt.NDArray[np.intp]  # per event time: number of events
    d_start: npt.NDArray[np.intp]  # per event time: offset of its first event in death_rows
    death_time_index: npt.NDArray[np.intp]  # per event: index of its event time
    efron_frac: FloatArray  # per event: Efron's share l/d of the tied events removed
    xd_sum: FloatArray  # sum of the centred X over all events
    tied: bool  # any event time with more than one event
    tied_times: npt.NDArray[np.intp]  # event times with more than one event
    tied_rows: npt.NDArray[np.intp]  # sorted positions of their events
    tied_start: npt.NDArray[np.intp]  # per tied time: offset of its first event in tied_rows
    time_rank: npt.NDArray[np.intp]  # per original row: dense rank of its time (for concordance)
    n_times: int  # number of distinct times
    w: FloatArray | None = None  # case weights, sorted (None: all 1)
    mult: FloatArray | None = None  # per event: R's wtave (mean case weight of its time's events)
    deadwt: FloatArray | None = None  # per event time: sum of the case weights of its events
    # (start, stop] rows: with the rows ordered by (stratum, start descending), the rows not yet
    # at risk at event time k (start >= t_k) are the positions [lo_k, hi_k) of that order; the
    # positions are cut into segments at every lo and hi, ``start_seg`` gives each sorted row's
    # segment, and ``start_lo``/``start_hi`` index the segment boundaries
    start_seg: npt.NDArray[np.intp] | None = None
    n_seg: int = 0
    start_lo: npt.NDArray[np.intp] | None = None
    start_hi: npt.NDArray[np.intp] | None = None
    time_sorted: FloatArray | None = None  # stop times, sorted
    start_sorted: FloatArray | None = None  # start times in the same (sorted) row order
    strata_sorted: npt.NDArray[np.intp] | None = None  # stratum codes in the sorted row order


def _stratum_codes(strata: Any, n: int) -> npt.NDArray[np.intp]:
    """Return each subject's stratum as the index of its label among the sorted distinct labels.

    As ``np.unique(strata, return_inverse=True)``, but labels (str objects, from
    :func:`~hcctrial.stats.data.survival_data`) are first numbered with a dict, and only the few
    distinct labels are sorted: sorting 10^6 Python strings takes over a second.
    """
    if strata is None:
        return np.zeros(n, dtype=np.intp)
    arr = np.asarray(strata).reshape(n)
    if arr.dtype != object:
        _, codes = np.unique(arr, return_inverse=True)
        return codes.astype(np.intp).reshape(n)
    first_seen: dict[Any, int] = {}
    codes = np.fromiter(
        (first_seen.setdefault(x, len(first_seen)) for x in arr.tolist()), dtype=np.intp, count=n
    )
    rank = np.empty(len(first_seen), dtype=np.intp)
    rank[[first_seen[label] for label in sorted(first_seen)]] = np.arange(len(first_seen))
    return rank[codes]


def _sort_order(
    time_rank: npt.NDArray[np.intp],
    n_times: int,
    event: npt.NDArray[np.int8],
    strata_code: npt.NDArray[np.intp],
) -> npt.NDArray[np.intp]:
    """Order by stratum ascending, time descending, events first, then row (a stable order).

    One ``np.sort`` of an int64 key packing (stratum, reversed time rank, censored flag, row):
    several times faster than the equivalent chain of stable argsorts; when (stratum, time, flag)
    fit in 15 bits (a few thousand distinct days), one stable argsort of that int16 key, which
    numpy does by radix sort in O(n).
    """
    n = time_rank.shape[0]
    bt = max((n_times - 1).bit_length(), 1)
    bs = int(strata_code.max()).bit_length()
    if bs + bt + 1 <= 15:  # (stratum, time, flag) fits an int16: numpy's stable radix argsort
        small = strata_code.astype(np.int16) << (bt + 1)
        small |= (n_times - 1 - time_rank).astype(np.int16) << 1
        small |= (1 - event).astype(np.int16)
        return np.argsort(small, kind="stable").astype(np.intp)  # stable: row order kept
    bn = max((n - 1).bit_length(), 1)
    if bs + bt + 1 + bn > 63:  # the packed key would overflow: same order by lexsort
        return np.lexsort((1 - event, n_times - 1 - time_rank, strata_code)).astype(np.intp)
    key = strata_code.astype(np.int64) << (bt + 1 + bn)
    key |= (n_times - 1 - time_rank).astype(np.int64) << (1 + bn)
    key |= (1 - event.astype(np.int64)) << bn
    key |= np.arange(n, dtype=np.int64)
    key.sort()
    key &= (1 << bn) - 1
    return key.astype(np.intp)


_CHUNK = 8192  # rows per chunk of the risk-set sums: 15 x 8,192 doubles (1 MB) stay in cache


@dataclass(frozen=True)
class _Chunk:
    """Sorted rows [start, start + size) and the units u0 .. u1 - 1 they touch.

    ``offsets`` are the starts of those units within the chunk (the first is 0: the chunk may
    begin inside unit u0), as ``np.add.reduceat`` wants them.
    """

    start: int
    size: int
    u0: int
    u1: int
    offsets: npt.NDArray[np.intp]


def _chunks(u_start: npt.NDArray[np.intp], n: int) -> tuple[_Chunk, ...]:
    """Return the row chunks of ``_CHUNK`` rows with the units (starting at ``u_start``) in each."""
    out = []
    for start in range(0, n, _CHUNK):
        size = min(_CHUNK, n - start)
        u0 = int(np.searchsorted(u_start, start, side="right")) - 1
        u1 = int(np.searchsorted(u_start, start + size, side="left"))
        offsets = np.concatenate(([0], u_start[u0 + 1 : u1] - start)).astype(np.intp)
        out.append(_Chunk(start, size, u0, u1, offsets))
    return tuple(out)


def _prepare(
    time: FloatArray,
    event: npt.NDArray[np.int8],
    X: FloatArray,
    strata_code: npt.NDArray[np.intp],
    *,
    centre: bool = True,
    weights: FloatArray | None = None,
    start: FloatArray | None = None,
) -> _Prepared:
    """Sort the data and build the risk-set indices; ``centre`` subtracts each column's mean.

    :func:`hcctrial.stats.cox.cox_ph` passes ``X`` already centred and scaled as R's ``coxfit6``
    does (``centre=False``); :mod:`hcctrial.stats.cox_zph` lets this function centre it.
    ``weights`` are case weights (> 0); ``start`` makes each row the interval (start, time]
    (delayed entry, time-varying covariates): a row is at risk at t when start < t <= time.
    """
    n = X.shape[0]
    # The risk set of time t is everyone of the stratum with time >= t (R: censored at t are
    # still at risk): with this order, a prefix of the stratum's block.
    time_rank, n_times = dense_rank(time)
    order = _sort_order(time_rank, n_times, event, strata_code)
    t_s, s_s, e_s = time_rank[order], strata_code[order], event[order]
    new_stratum = np.empty(n, dtype=bool)
    new_stratum[0] = True
    np.not_equal(s_s[1:], s_s[:-1], out=new_stratum[1:])
    new_time = new_stratum.copy()
    new_time[1:] |= t_s[1:] != t_s[:-1]
    new_unit = new_time.copy()
    new_unit[1:] |= e_s[1:] != e_s[:-1]
    u_start = np.flatnonzero(new_unit)
    compress = u_start.shape[0] * 3 < n
    if compress:
        unit_of_row = np.cumsum(new_unit) - 1
    else:  # hardly any ties: one unit per row, no block sums
        u_start = unit_of_row = np.arange(n)
    g_start = np.flatnonzero(new_time)
    g_end = np.append(g_start[1:], n)
    d_all = np.add.reduceat(e_s.astype(np.intp), g_start)
    has_death = d_all > 0
    stratum_first = np.maximum.accumulate(np.where(new_stratum, np.arange(n), 0))
    death_rows = np.flatnonzero(e_s == 1).astype(np.intp)
    d = d_all[has_death].astype(np.intp)
    d_start = np.zeros(d.shape[0], dtype=np.intp)
    np.cumsum(d[:-1], out=d_start[1:])
    first_row = g_start[has_death]
    base_row = stratum_first[first_row]
    XT = np.ascontiguousarray(np.take(X, order, axis=0).T)
    if centre:
        XT -= XT.mean(axis=1)[:, None]
    death_time_index = np.repeat(np.arange(d.shape[0], dtype=np.intp), d)
    frac = (np.arange(death_rows.shape[0]) - d_start[death_time_index]) / d[death_time_index]
    tied_times = np.flatnonzero(d > 1)
    tied_rows = death_rows[d[death_time_index] > 1]
    tied_start = np.zeros(tied_times.shape[0], dtype=np.intp)
    np.cumsum(d[tied_times][:-1], out=tied_start[1:])
    return _Prepared(
        order=order,
        XT=XT,
        n_units=int(u_start.shape[0]),
        chunks=_chunks(u_start, n) if compress else None,
        death_rows=death_rows,
        death_units=unit_of_row[first_row].astype(np.intp),
        risk_end=unit_of_row[g_end[has_death] - 1].astype(np.intp),
        risk_base=np.where(base_row > 0, unit_of_row[np.maximum(base_row, 1) - 1], -1).astype(
            np.intp
        ),
        d=d,
        d_start=d_start,
        death_time_index=death_time_index,
        efron_frac=frac,
        xd_sum=(
            XT[:, death_rows].sum(axis=1)
            if weights is None
            else XT[:, death_rows] @ weights[order][death_rows]
        ),
        tied=bool(tied_times.shape[0]),
        tied_times=tied_times,
        tied_rows=tied_rows,
        tied_start=tied_start,
        time_rank=time_rank,
        n_times=n_times,
        **_weight_fields(weights, order, death_rows, d, death_time_index),
        **_start_fields(start, time, order, s_s, first_row, n),
        time_sorted=time[order],
        strata_sorted=s_s,
    )


def _weight_fields(
    weights: FloatArray | None,
    order: npt.NDArray[np.intp],
    death_rows: npt.NDArray[np.intp],
    d: npt.NDArray[np.intp],
    death_time_index: npt.NDArray[np.intp],
) -> dict[str, Any]:
    """Return the case-weight fields of :class:`_Prepared` (R: ``deadwt`` and ``wtave``)."""
    if weights is None:
        return {}
    w = np.ascontiguousarray(weights[order], dtype=np.float64)
    per_event = w[death_rows]
    d_start = np.zeros(d.shape[0], dtype=np.intp)
    np.cumsum(d[:-1], out=d_start[1:])
    deadwt = np.add.reduceat(per_event, d_start)
    return {"w": w, "mult": (deadwt / d)[death_time_index], "deadwt": deadwt}


def _start_fields(
    start: FloatArray | None,
    time: FloatArray,
    order: npt.NDArray[np.intp],
    s_s: npt.NDArray[np.intp],
    first_row: npt.NDArray[np.intp],
    n: int,
) -> dict[str, Any]:
    """Return the (start, stop] fields: rows by start descending within stratum, and per event
    time the range of those rows with start >= t (no longer at risk at t)."""
    if start is None:
        return {}
    st = start[order]
    perm = np.lexsort((-st, s_s)).astype(np.intp)
    s_perm, st_perm = s_s[perm], st[perm]
    t_ev = time[order][first_row]
    s_ev = s_s[first_row]
    lo = np.searchsorted(s_perm, s_ev, side="left").astype(np.intp)
    hi = lo.copy()
    for code in np.unique(s_ev).tolist():
        a = int(np.searchsorted(s_perm, code, side="left"))
        b = int(np.searchsorted(s_perm, code, side="right"))
        m = s_ev == code
        # rows a..b-1 hold start descending: those with start >= t are a prefix
        hi[m] = a + np.searchsorted(-st_perm[a:b], -t_ev[m], side="right")
    cuts = np.unique(np.concatenate((lo, hi, [0, n])))
    pos = np.empty(n, dtype=np.intp)
    pos[perm] = np.arange(n)  # sorted row -> its position in the start order
    seg = (np.searchsorted(cuts, pos, side="right") - 1).astype(np.intp)
    return {
        "start_seg": seg,
        "n_seg": int(cuts.shape[0]),
        "start_lo": np.searchsorted(cuts, lo).astype(np.intp),
        "start_hi": np.searchsorted(cuts, hi).astype(np.intp),
        "start_sorted": st,
    }


@dataclass(frozen=True)
class _Terms:
    """The partial likelihood at one beta, reduced to one column per event time k.

    ``r`` and ``dd`` hold, for the risk set and for the tied events of each time, the sums of
    exp(eta) times (1, x, upper triangle of x x'), shape (1 + p + p(p+1)/2) x times. The Efron
    (or Breslow) rows of a time enter only through the scalar sums over its rows e, with
    multiplicity m_e, share f_e of the tied events removed (Efron l/d, Breslow 0) and denominator
    den_e: ``s1`` = sum m/den, ``s2`` = sum m f/den, ``q0`` = sum m/den^2, ``q1`` = sum m f/den^2,
    ``q2`` = sum m f^2/den^2. Every derivative is then a small matrix product over the times.
    """

    loglik: float
    r: FloatArray
    dd: FloatArray
    s1: FloatArray
    s2: FloatArray
    q0: FloatArray
    q1: FloatArray
    q2: FloatArray
    den: FloatArray | None = None  # per event: its Efron (or Breslow) denominator


def _unit_sums(prep: _Prepared, weight: FloatArray) -> tuple[FloatArray, FloatArray | None]:
    """Return, per unit, the sums over its rows of weight * (1, x, x_i x_j): m x units; and, for
    (start, stop] rows, the same sums per start segment (m x segments), else None.

    Row chunk by row chunk, so that the m x chunk products stay in the CPU cache; a unit that
    spans chunks gets the partial sums of each.
    """
    XT = prep.XT
    p = XT.shape[0]
    iu, ju = np.triu_indices(p)
    pairs = list(zip(iu.tolist(), ju.tolist(), strict=True))
    m = 1 + p + len(pairs)
    seg = prep.start_seg
    S2 = None if seg is None else np.zeros((m, prep.n_seg))
    if prep.chunks is None:  # one unit per row
        M = np.empty((m, weight.shape[0]))
        np.copyto(M[0], weight)
        np.multiply(XT, weight, out=M[1 : 1 + p])
        for r, (i, j) in enumerate(pairs):
            np.multiply(M[1 + i], XT[j], out=M[1 + p + r])
        if S2 is not None and seg is not None:
            for k in range(m):
                S2[k] = np.bincount(seg, weights=M[k], minlength=prep.n_seg)
        return M, S2
    S = np.zeros((m, prep.n_units))
    buf = np.empty((m, min(_CHUNK, weight.shape[0])))
    for c in prep.chunks:
        B = buf[:, : c.size]
        x = XT[:, c.start : c.start + c.size]
        np.copyto(B[0], weight[c.start : c.start + c.size])
        np.multiply(x, B[0], out=B[1 : 1 + p])
        for r, (i, j) in enumerate(pairs):
            np.multiply(B[1 + i], x[j], out=B[1 + p + r])
        S[:, c.u0 : c.u1] += np.add.reduceat(B, c.offsets, axis=1)
        if S2 is not None and seg is not None:
            sc = seg[c.start : c.start + c.size]
            for k in range(m):
                S2[k] += np.bincount(sc, weights=B[k], minlength=prep.n_seg)
    return S, S2


def _partial_terms(prep: _Prepared, beta: FloatArray, ties: str) -> _Terms:
    """Evaluate the log partial likelihood and the per-time sums its derivatives need."""
    eta = beta @ prep.XT
    ew = np.exp(eta) if prep.w is None else np.exp(eta) * prep.w
    S, S2 = _unit_sums(prep, ew)
    C = np.cumsum(S, axis=1)
    risk = np.take(C, prep.risk_end, axis=1)
    has_base = prep.risk_base >= 0
    if has_base.any():
        risk[:, has_base] -= np.take(C, prep.risk_base[has_base], axis=1)
    if S2 is not None:  # remove the rows not yet at risk (start >= t)
        assert prep.start_lo is not None and prep.start_hi is not None
        C2 = np.zeros((S2.shape[0], S2.shape[1] + 1))
        np.cumsum(S2, axis=1, out=C2[:, 1:])
        risk -= np.take(C2, prep.start_hi, axis=1) - np.take(C2, prep.start_lo, axis=1)
    efron = ties == "efron" and prep.tied
    # the tied-event sums only enter Efron's correction
    if not efron:
        dsum = np.zeros((S.shape[0], 0))
    elif prep.chunks is not None:  # the events of a time are one unit
        dsum = np.take(S, prep.death_units, axis=1)
    else:  # one unit per row: sum the event rows of each tied time (an untied time's column
        # only meets Efron's share 0 of its events, so it may stay 0)
        dsum = np.zeros((S.shape[0], prep.d.shape[0]))
        dsum[:, prep.tied_times] = np.add.reduceat(
            np.take(S, prep.tied_rows, axis=1), prep.tied_start, axis=1
        )
    eta_d = eta[prep.death_rows]
    eta_dead = float(eta_d.sum() if prep.w is None else prep.w[prep.death_rows] @ eta_d)
    if efron:
        frac = prep.efron_frac
        den = np.repeat(risk[0], prep.d) - frac * np.repeat(dsum[0], prep.d)
        inv = 1.0 / den
        if prep.mult is not None:  # R's wtave: the mean case weight of the time's events
            loglik = eta_dead - float(prep.mult @ np.log(den))
            inv = prep.mult * inv
        else:
            loglik = eta_dead - float(np.log(den).sum())
        inv2 = inv / den
        fi2 = frac * inv2

        def per_time(values: FloatArray) -> FloatArray:
            return np.add.reduceat(values, prep.d_start)

        s1, s2 = per_time(inv), per_time(frac * inv)
        q0, q1, q2 = per_time(inv2), per_time(fi2), per_time(frac * fi2)
        den_event = den
    else:
        mult = prep.d.astype(np.float64) if prep.deadwt is None else prep.deadwt
        den = risk[0]
        loglik = eta_dead - float(mult @ np.log(den))
        s1 = mult / den
        q0 = s1 / den
        den_event = np.repeat(den, prep.d)
        s2 = q1 = q2 = np.zeros_like(s1)
    return _Terms(loglik, risk, dsum, s1, s2, q0, q1, q2, den_event)


def _weighted_info(t: _Terms, weight: FloatArray | None = None) -> FloatArray:
    """Return sum over rows of weight * m * (second moment - mean mean'), a p x p matrix.

    ``weight`` is one number per event time (cox.zph's g(t)); default 1.
    """
    m = t.r.shape[0]
    p = int((math.isqrt(8 * m + 1) - 3) // 2)  # m = 1 + p + p(p+1)/2
    w = np.ones_like(t.s1) if weight is None else weight
    s1, s2, q0, q1, q2 = w * t.s1, w * t.s2, w * t.q0, w * t.q1, w * t.q2  # per event time
    r1 = t.r[1 : 1 + p]
    tri = t.r[1 + p :] @ s1
    outer = (r1 * q0) @ r1.T
    if t.dd.shape[1]:  # Efron with tied events
        d1 = t.dd[1 : 1 + p]
        tri = tri - t.dd[1 + p :] @ s2
        cross = (r1 * q1) @ d1.T
        outer = outer - cross - cross.T + (d1 * q2) @ d1.T
    iu, ju = np.triu_indices(p)
    second = np.empty((p, p))
    second[iu, ju] = tri
    second[ju, iu] = tri
    return second - outer


def _weighted_mean_sum(t: _Terms, weight: FloatArray | None = None) -> FloatArray:
    """Return sum over rows of weight * m * mean (the risk-set part of the score)."""
    m = t.r.shape[0]
    p = int((math.isqrt(8 * m + 1) - 3) // 2)
    w = np.ones_like(t.s1) if weight is None else weight
    out = t.r[1 : 1 + p] @ (w * t.s1)
    if t.dd.shape[1]:
        out = out - t.dd[1 : 1 + p] @ (w * t.s2)
    return out


def _score_info(prep: _Prepared, t: _Terms) -> tuple[FloatArray, FloatArray]:
    """Return the score vector U and the information matrix I at the terms' beta."""
    return prep.xd_sum - _weighted_mean_sum(t), _weighted_info(t)
