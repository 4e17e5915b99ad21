"""Batched KM landmark estimates and log-rank statistics agree with lifelines, trial by trial.

Peers: lifelines ``KaplanMeierFitter`` (S(t0); Greenwood variance backed out of its public
log(-log) confidence interval) and ``lifelines.statistics.logrank_test``; statsmodels
``SurvfuncRight`` (Greenwood SE) as a second peer. Random data sets have heavy ties (integer times),
censoring, and ragged sizes (masks).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcctrial.errors import DataValidationError
from hcctrial.stats.batched import km_landmark_batched, logrank_batched

Z975 = 1.959963984540054  # lifelines' default 95 % interval


def _lifelines_landmark(time: np.ndarray, event: np.ndarray, t0: float) -> tuple[float, float]:
    """Return lifelines' S(t0) and the Greenwood variance implied by its log(-log) CI."""
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(time, event)
    s = float(kmf.survival_function_.loc[:t0].iloc[-1, 0])
    lower = float(kmf.confidence_interval_.loc[:t0].iloc[-1, 0])
    if s in (0.0, 1.0):
        return s, math.nan
    v = math.log(s)
    # lifelines: lower = exp(-exp(log(-v) - z sqrt(c) / v)), c = sum d / (n (n - d))
    sqrt_c = (math.log(-v) - math.log(-math.log(lower))) * v / Z975
    return s, s * s * sqrt_c**2


@st.composite
def _datasets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    trials = draw(st.integers(1, 6))
    m = draw(st.integers(2, 25))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    max_time = draw(st.integers(1, 12))  # few distinct times: many ties
    time = rng.integers(0, max_time + 1, (trials, m)).astype(float)
    censor_p = draw(st.floats(0.0, 0.8))
    event = rng.random((trials, m)) >= censor_p
    group = rng.random((trials, m)) < 0.5
    if draw(st.booleans()):  # equal sizes (the simulator's fast path) or ragged (masks)
        valid = np.ones((trials, m), dtype=bool)
    else:
        valid = rng.random((trials, m)) < draw(st.floats(0.6, 1.0))
        valid[:, :2] = True
    t0 = float(draw(st.integers(0, max_time + 1))) + draw(st.sampled_from([0.0, 0.5]))
    return time, event, group, valid, t0


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(_datasets())
def test_km_landmark_matches_lifelines_for_every_trial(data: tuple) -> None:
    time, event, _group, valid, t0 = data
    res = km_landmark_batched(time, event, t0, valid=valid)
    for i in range(time.shape[0]):
        t, e = time[i][valid[i]], event[i][valid[i]]
        s, var = _lifelines_landmark(t, e, t0)
        assert res.survival[i] == pytest.approx(s, rel=1e-10, abs=1e-12)
        if not math.isnan(var):
            assert res.variance[i] == pytest.approx(var, rel=1e-6, abs=1e-12)
        assert res.n_risk[i] == int((t >= t0).sum())  # R's at-risk convention
        assert res.n_events[i] == int((e & (t <= t0)).sum())
        assert res.n[i] == t.size


@settings(max_examples=60, deadline=None)
@given(_datasets())
def test_km_greenwood_se_matches_statsmodels(data: tuple) -> None:
    from statsmodels.duration.survfunc import SurvfuncRight

    time, event, _group, valid, t0 = data
    res = km_landmark_batched(time, event, t0, valid=valid)
    for i in range(time.shape[0]):
        t, e = time[i][valid[i]], event[i][valid[i]]
        if not e.any():
            assert res.survival[i] == 1.0 and res.variance[i] == 0.0
            continue
        sf = SurvfuncRight(t, e.astype(int))
        k = np.searchsorted(sf.surv_times, t0, side="right") - 1
        if k < 0:
            assert res.survival[i] == 1.0
            continue
        s, se = float(sf.surv_prob[k]), float(sf.surv_prob_se[k])
        assert res.survival[i] == pytest.approx(s, rel=1e-10, abs=1e-12)
        if s > 0:
            assert res.se[i] == pytest.approx(se, rel=1e-8, abs=1e-12)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(_datasets())
def test_logrank_matches_lifelines_for_every_trial(data: tuple) -> None:
    from lifelines.statistics import logrank_test

    time, event, group, valid, _t0 = data
    res = logrank_batched(time, event, group, valid=valid)
    for i in range(time.shape[0]):
        t, e, g = time[i][valid[i]], event[i][valid[i]], group[i][valid[i]]
        if g.all() or (~g).all() or res.variance[i] == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lr = logrank_test(t[g], t[~g], e[g], e[~g])
        assert res.chisq[i] == pytest.approx(lr.test_statistic, rel=1e-9, abs=1e-12)
        assert res.observed[i] == int((e & g).sum())


def test_km_ties_deaths_before_censorings_hand_calculation() -> None:
    # times 1 2 2 2 3, events 1 1 0 1 0. At t=2: n=4 at risk (the censored 2 counts), d=2.
    # S(2) = (1 - 1/5)(1 - 2/4) = 0.4; Greenwood sum = 1/(5*4) + 2/(4*2) = 0.05 + 0.25 = 0.3
    # Var = 0.4^2 * 0.3 = 0.048
    res = km_landmark_batched([1, 2, 2, 2, 3], [1, 1, 0, 1, 0], 2.0)
    assert res.survival[0] == pytest.approx(0.4, abs=1e-15)
    assert res.variance[0] == pytest.approx(0.048, abs=1e-15)
    assert res.n_risk[0] == 4 and res.n_events[0] == 3 and res.n_censored[0] == 0


def test_km_landmark_is_right_continuous_deaths_at_t0_count() -> None:
    # death at exactly t0 = 2: S(2) = (4/5)(3/4) = 0.6; S(1.999) = 0.8
    t, e = [1, 2, 3, 4, 5], [1, 1, 1, 0, 0]
    assert km_landmark_batched(t, e, 2.0).survival[0] == pytest.approx(0.6)
    assert km_landmark_batched(t, e, 1.999).survival[0] == pytest.approx(0.8)


def test_km_all_dead_before_t0_is_zero_with_zero_variance() -> None:
    res = km_landmark_batched([[1, 2, 3]], [[1, 1, 1]], 5.0)
    assert res.survival[0] == 0.0 and res.variance[0] == 0.0


def test_masked_subjects_are_dropped() -> None:
    rng = np.random.default_rng(7)
    t = rng.integers(0, 6, (4, 10)).astype(float)
    e = rng.random((4, 10)) < 0.7
    g = rng.random((4, 10)) < 0.5
    valid = np.ones((4, 10), dtype=bool)
    valid[:, 7:] = False
    masked = km_landmark_batched(t, e, 3.0, valid=valid)
    cut = km_landmark_batched(t[:, :7], e[:, :7], 3.0)
    np.testing.assert_allclose(masked.survival, cut.survival, rtol=1e-14)
    np.testing.assert_array_equal(masked.n_risk, cut.n_risk)
    lm = logrank_batched(t, e, g, valid=valid)
    lc = logrank_batched(t[:, :7], e[:, :7], g[:, :7])
    np.testing.assert_allclose(lm.z, lc.z, rtol=1e-12)


def test_logrank_hand_calculation() -> None:
    # group 1 at times 2, 4; group 0 at 1, 3; all deaths.
    # t=1: n=4, n1=2, d=1 -> E1 = 0.5, V = 1*3*2*2/(16*3) = 0.25
    # t=2: n=3, n1=2 -> E1 = 2/3, V = 1*2*2*1/(9*2) = 2/9
    # t=3: n=2, n1=1 -> E1 = 0.5, V = 1*1*1*1/(4*1) = 0.25 ; t=4: n=1 -> E1 = 1, V = 0
    # O1 = 2, E1 = 2.6667, V = 0.72222, z = -0.6667/0.84984 = -0.78446
    res = logrank_batched([1, 2, 3, 4], [1, 1, 1, 1], [0, 1, 0, 1])
    assert res.expected[0] == pytest.approx(0.5 + 2 / 3 + 0.5 + 1.0)
    assert res.variance[0] == pytest.approx(0.25 + 2 / 9 + 0.25)
    assert res.z[0] == pytest.approx((2 - 8 / 3) / math.sqrt(0.25 + 2 / 9 + 0.25))


def test_logrank_without_information_reports_zero_not_nan() -> None:
    res = logrank_batched([[1, 2, 3]], [[0, 0, 0]], [[0, 1, 1]])
    assert res.z[0] == 0.0 and res.variance[0] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time": [[1, -2]], "event": [[1, 0]]}, "time"),
        ({"time": [[1, np.nan]], "event": [[1, 0]]}, "time"),
        ({"time": [[1, 2]], "event": [[1, 2]]}, "event"),
        ({"time": [[1, 2]], "event": [[1, 0, 1]]}, "event"),
        ({"time": [[[1.0]]], "event": [[[1]]]}, "time"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(DataValidationError) as info:
        km_landmark_batched(t0=1.0, **kwargs)
    assert info.value.field == field


def test_bad_landmark_and_group_are_refused() -> None:
    with pytest.raises(DataValidationError, match="t0"):
        km_landmark_batched([1, 2], [1, 0], -1.0)
    with pytest.raises(DataValidationError, match="group"):
        logrank_batched([1, 2], [1, 0], [0, 3])
