"""Log-rank tests against R ``survdiff`` (r_reference.json, rel. 1e-8), lifelines and hand sums."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hcctrial.errors import DataValidationError
from hcctrial.stats.logrank import logrank_test, logrank_trend_test
from tests.stats.survival_reference import (
    DATASETS,
    analysis_set,
    assert_all_close,
    close,
    numeric,
    r_reference,
)


def check_against_survdiff(ours, ref) -> None:
    assert [f"group={g}" for g in ours.groups] == ref["groups"] or [
        f"{ref['groups'][0].split('=')[0]}={g}" for g in ours.groups
    ] == ref["groups"]
    assert list(ours.n) == list(ref["n"].values())
    assert ours.df == ref["df"]
    assert close(ours.chisq, ref["chisq"]), (ours.chisq, ref["chisq"])
    assert close(ours.p, ref["p"]), (ours.p, ref["p"])
    assert_all_close(ours.observed, ref["observed"], "observed")
    assert_all_close(ours.expected, ref["expected"], "expected")
    assert_all_close(np.array(ours.variance), np.array(ref["var"]), "var")


@pytest.mark.parametrize(
    ("ds", "section", "rho"),
    [(ds, sec, rho) for ds in DATASETS for sec, rho in (("logrank", 0.0), ("peto_rho1", 1.0))],
)
def test_logrank_and_rho1_match_r_survdiff(ds: str, section: str, rho: float) -> None:
    ref = r_reference()["datasets"][ds][section]
    assert ref["rho"] == rho
    time, event, group = analysis_set(ds)
    check_against_survdiff(logrank_test(time, event, group, rho=rho), ref)


STRATIFIED = {
    # r_reference.R: survdiff(Surv(time, status) ~ sex + strata(ph.ecog), lung, rho)
    "lung_sex_by_ph.ecog": ("lung", "status", 2.0, "sex", "ph.ecog"),
    "lung_sex_by_ph.ecog_rho1": ("lung", "status", 2.0, "sex", "ph.ecog"),
    "veteran_trt_by_celltype": ("veteran", "status", 1.0, "trt", "celltype"),
}


@pytest.mark.parametrize("name", sorted(STRATIFIED))
def test_stratified_logrank_matches_r_survdiff(name: str) -> None:
    from tests.stats.survival_reference import raw_columns

    ref = r_reference()["stratified_logrank"][name]
    ds, status, code, gvar, svar = STRATIFIED[name]
    strata = np.array(raw_columns(ds)[svar], dtype=object)
    keep = strata != "NA"  # R's na.omit: lung has one missing ph.ecog
    time = numeric(ds, "time")[keep]
    event = (numeric(ds, status)[keep] == code).astype(int)
    group = numeric(ds, gvar)[keep]
    ours = logrank_test(time, event, group, strata[keep], rho=ref["rho"])
    assert [f"{gvar}={g}" for g in ours.groups] == ref["groups"]
    check_against_survdiff(ours, ref)


def test_hand_calculated_two_groups() -> None:
    # a: 1, 3 ; b: 2, 4 (all events). Distinct times t=1..4 with (n, n_a, d):
    # (4, 2, 1), (3, 1, 1), (2, 1, 1), (1, 0, 1)
    # E_a = 2/4 + 1/3 + 1/2 + 0 = 4/3; O_a = 2
    # V_aa = sum d (n-d)/(n-1) * n_a/n * (1 - n_a/n)
    #      = 1*3/3*(1/2)(1/2) + 1*2/2*(1/3)(2/3) + 1*1/1*(1/2)(1/2) + 0 = 0.25 + 2/9 + 0.25
    r = logrank_test([1, 2, 3, 4], [1, 1, 1, 1], ["a", "b", "a", "b"])
    v = 0.25 + 2 / 9 + 0.25
    assert r.expected[0] == pytest.approx(4 / 3)
    assert r.variance[0][0] == pytest.approx(v)
    assert r.chisq == pytest.approx((2 - 4 / 3) ** 2 / v)
    assert r.df == 1


def test_trend_test_hand_calculated_and_equal_to_logrank_for_two_groups() -> None:
    time, event, group = analysis_set("lung")
    r = logrank_test(time, event, group)
    t = logrank_trend_test(r, [0.0, 1.0])
    # two groups: (O2 - E2)^2 / V22 is the log-rank statistic itself
    assert t.chisq == pytest.approx(r.chisq, rel=1e-12)
    # three groups, scores 1, 2, 3: by hand from O, E, V
    rng = np.random.default_rng(7)
    g3 = rng.integers(0, 3, size=time.shape[0])
    r3 = logrank_test(time, event, g3)
    oe = np.array(r3.observed) - np.array(r3.expected)
    w = np.array([1.0, 2.0, 3.0])
    u = w @ oe
    v = w @ np.array(r3.variance) @ w
    t3 = logrank_trend_test(r3)
    assert t3.chisq == pytest.approx(u * u / v, rel=1e-12) and t3.df == 1


def test_one_group_is_rejected() -> None:
    with pytest.raises(DataValidationError, match="only one group"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "a", "a"])


def test_negative_rho_is_rejected() -> None:
    with pytest.raises(DataValidationError, match="rho"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "b", "a"], rho=-1)


random_groups = st.integers(min_value=4, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=1, max_value=10), min_size=n, max_size=n),
        st.lists(st.sampled_from([0, 0, 1]), min_size=n, max_size=n),
        st.lists(st.integers(min_value=0, max_value=2), min_size=n, max_size=n),
    )
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(random_groups, st.sampled_from([0.0, 1.0]))
def test_logrank_agrees_with_lifelines_on_random_data(data, rho: float) -> None:
    from lifelines.statistics import multivariate_logrank_test

    time, event, group = (np.array(x) for x in data)
    assume(len(set(group.tolist())) >= 2 and event.sum() > 0)
    ours = logrank_test(time.astype(float), event, group, rho=rho)
    # R (and we) drop groups with E = 0 before inverting V; lifelines keeps them (a pseudo-inverse),
    # so compare only where every group has someone at risk at an event time (R-live covers the rest).
    assume(min(ours.expected) > 0)
    assume(np.linalg.matrix_rank(np.array(ours.variance)) == ours.df)
    kwargs = {} if rho == 0 else {"weightings": "fleming-harrington", "p": 1, "q": 0}
    theirs = multivariate_logrank_test(time, group, event, **kwargs)
    assert ours.chisq == pytest.approx(theirs.test_statistic, rel=1e-7, abs=1e-10)
    assert ours.df == theirs.degrees_of_freedom
