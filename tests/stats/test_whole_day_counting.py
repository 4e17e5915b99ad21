"""Whole-number times (days) are counted per value (``np.bincount``) instead of sorted.

The sorted path is the one checked against R ``survfit``/``survdiff`` elsewhere; here every
whole-number data set is compared with the same data shifted by a quarter day (no longer whole, so
it takes the sorted path): the same ties and order, so the same curve (times + 0.25) and the same
test statistics, to the last bit. Also R directly on one such set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcctrial.stats.kaplan_meier import kaplan_meier, kaplan_meier_by_group
from hcctrial.stats.logrank import logrank_test
from hcctrial.stats.timefix import small_whole_times

sets = st.integers(min_value=2, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 40), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.integers(0, 2), min_size=n, max_size=n),
        st.lists(st.integers(0, 2), min_size=n, max_size=n),
    )
)


@settings(max_examples=200)
@given(sets)
def test_counted_and_sorted_paths_agree(data: tuple[list[int], ...]) -> None:
    t = np.array(data[0], dtype=float)
    e, g, s = (np.array(x) for x in data[1:])
    assert small_whole_times(t, t.shape[0]) is not None
    assert small_whole_times(t + 0.25, t.shape[0]) is None
    a, b = kaplan_meier(t, e), kaplan_meier(t + 0.25, e)
    np.testing.assert_array_equal(a.time + 0.25, b.time)
    for name in ("n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    by_day, by_quarter = kaplan_meier_by_group(t, e, g), kaplan_meier_by_group(t + 0.25, e, g)
    for ca, cb in zip(by_day, by_quarter, strict=True):
        np.testing.assert_array_equal(ca.surv, cb.surv)
        np.testing.assert_array_equal(ca.n_risk, cb.n_risk)
    if len(set(g.tolist())) < 2:
        return
    for strata in (None, s):
        for rho in (0.0, 1.0):
            ra = logrank_test(t, e, g, strata, rho=rho)
            rb = logrank_test(t + 0.25, e, g, strata, rho=rho)
            assert ra.observed == rb.observed and ra.expected == rb.expected
            assert ra.variance == rb.variance
            assert ra.chisq == rb.chisq or (np.isnan(ra.chisq) and np.isnan(rb.chisq))


def test_large_whole_times_fall_back_to_the_sort() -> None:
    # 3 subjects, times up to 10^6 days: a count array of 10^6 cells would dwarf the data.
    t = np.array([0.0, 5.0, 1_000_000.0])
    assert small_whole_times(t, 3) is None
    km = kaplan_meier(t, [1, 0, 1])
    assert km.time.tolist() == [0.0, 5.0, 1_000_000.0]
    assert km.surv.tolist() == pytest.approx([2 / 3, 2 / 3, 0.0])


def test_a_hand_example_on_the_counted_path() -> None:
    # days 2, 2, 3, 5 (events 1, 0, 1, 1): n = 4, 2, 1; S = 3/4, 3/4 * 1/2, 0.
    km = kaplan_meier([2, 2, 3, 5], [1, 0, 1, 1])
    assert km.time.tolist() == [2.0, 3.0, 5.0]
    assert km.n_risk.tolist() == [4, 2, 1] and km.n_censor.tolist() == [1, 0, 0]
    assert km.surv.tolist() == [0.75, 0.375, 0.0]
    # log-rank: group a = {2 event, 5 event}, b = {2 censored, 3 event}; expected, by hand:
    # t=2: n=4 (a 2, b 2), d=1 -> E_a 0.5; t=3: n=2 (a 1, b 1), d=1 -> E_a 0.5; t=5: n=1 (a), d=1
    # -> E_a 1. O_a = 2, E_a = 2.0; O_b = 1, E_b = 1.0.
    r = logrank_test([2, 2, 3, 5], [1, 0, 1, 1], ["a", "b", "b", "a"])
    assert r.observed == (2.0, 1.0) and r.expected == (2.0, 1.0)


@settings(max_examples=100)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=80))
def test_dense_rank_of_whole_days_equals_the_sorted_rank(days: list[int]) -> None:
    # the Cox fit and the concordance rank times; whole days are ranked by a count per value
    from hcctrial.stats.cox_concordance import dense_rank

    t = np.array(days, dtype=float)
    rank, n = dense_rank(t)
    ref_rank = np.unique(t, return_inverse=True)[1]  # numpy's sort-based ranking as the peer
    assert n == len(set(days))
    np.testing.assert_array_equal(rank, ref_rank)
    shifted, n2 = dense_rank(t + 0.25)  # not whole: the argsort path
    np.testing.assert_array_equal(shifted, rank)
    assert n2 == n


@settings(max_examples=100)
@given(
    st.integers(1, 80).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 30), min_size=n, max_size=n),
            st.lists(st.integers(0, 1), min_size=n, max_size=n),
            st.lists(st.integers(0, 3), min_size=n, max_size=n),
            st.sampled_from([31, 40_000]),  # few distinct times (int16 radix key) or many
        )
    )
)
def test_the_cox_row_order_is_numpys_lexsort(data: tuple[Any, ...]) -> None:
    # order: stratum ascending, time descending, events first, then row -- as np.lexsort says
    from hcctrial.stats.cox_likelihood import _sort_order

    rank = np.array(data[0], dtype=np.intp)
    event = np.array(data[1], dtype=np.int8)
    strata = np.array(data[2], dtype=np.intp)
    n_times = int(data[3])
    expected = np.lexsort((np.arange(rank.shape[0]), 1 - event, n_times - 1 - rank, strata))
    np.testing.assert_array_equal(_sort_order(rank, n_times, event, strata), expected)


@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False, width=64),
            st.sampled_from([0.0, -0.0, 1.0, 1.0 + 2**-52, 1.0 - 2**-53, -1.0, 5e-324, -5e-324]),
        ),
        min_size=0,
        max_size=60,
    )
)
def test_float_order_is_numpys_stable_argsort(values: list[float]) -> None:
    # the concordance's score order: packed high bits + row, runs of tied high bits re-sorted
    from hcctrial.stats.cox_concordance import float_order

    x = np.array(values, dtype=np.float64)
    got = float_order(x)
    # numpy's stable argsort puts -0.0 and 0.0 (equal) by row; ours puts -0.0 first: compare the
    # sorted values (bit for bit up to the sign of zero) and the row order within equal values
    np.testing.assert_array_equal(x[got], np.sort(x, kind="stable"))
    keys = [(v, 0 if not (v == 0 and np.signbit(v)) else -1, i) for i, v in enumerate(values)]
    expected = [i for _, _, i in sorted(keys, key=lambda k: (k[0], k[1], k[2]))]
    assert got.tolist() == expected


def test_float_order_of_a_million_near_ties() -> None:
    # 10^6 normal values (dozens of runs share the packed key's high bits) and exact ties
    from hcctrial.stats.cox_concordance import float_order

    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=1_000_000), 6)  # many exact ties too
    x[::1000] += 1e-12  # near ties
    x[x == 0] = 0.0  # no -0.0 (numpy orders it by row among the zeros; tested above)
    got = float_order(x)
    np.testing.assert_array_equal(got, np.argsort(x, kind="stable"))
