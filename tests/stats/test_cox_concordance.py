"""Harrell's concordance as survival::concordance counts it, against a brute-force pair count.

The pair rules (R 4.2.2, survival 3.5-3, checked live): for an event i, a subject j of the same
stratum with t_j > t_i, or t_j = t_i and j censored, is comparable; concordant when i's score is
higher; two events at one time are tied.y (tied.xy when their scores tie too).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcctrial.stats.cox_concordance import concordance_counts


def brute_force(t, e, x, s):
    c = d = tx = ty = txy = 0
    n = len(t)
    for i in range(n):
        if not e[i]:
            continue
        for j in range(n):
            if j == i or s[j] != s[i]:
                continue
            if t[j] > t[i] or (t[j] == t[i] and not e[j]):
                if x[i] > x[j]:
                    c += 1
                elif x[i] < x[j]:
                    d += 1
                else:
                    tx += 1
            elif t[j] == t[i] and e[j] and j > i:
                if x[i] == x[j]:
                    txy += 1
                else:
                    ty += 1
    return c, d, tx, ty, txy


def test_counts_match_r_concordance_on_a_hand_example() -> None:
    # R: concordance(Surv(time, status) ~ x, reverse = TRUE)$count on these 8 rows gives
    # concordant 14, discordant 3, tied.x 5, tied.y 0, tied.xy 1
    res = concordance_counts(
        np.array([1.0, 2, 2, 2, 3, 4, 4, 5]),
        np.array([1, 1, 1, 0, 1, 0, 1, 0]),
        np.array([3.0, 2, 2, 1, 5, 0, 2, 2]),
    )
    assert (res.concordant, res.discordant, res.tied_x, res.tied_y, res.tied_xy) == (14, 3, 5, 0, 1)
    assert res.concordance == pytest.approx((14 + 5 / 2) / (14 + 3 + 5))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 70),
    st.integers(0, 2**32 - 1),
    st.integers(1, 6),
    st.integers(1, 3),
    st.floats(0, 0.9),
)
def test_counts_match_brute_force(
    n: int, seed: int, n_times: int, n_strata: int, cens: float
) -> None:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, n_times * 3, n).astype(float)
    e = (rng.uniform(size=n) > cens).astype(np.int8)
    x = rng.integers(0, n_times + 2, n).astype(float)
    s = rng.integers(0, n_strata, n)
    res = concordance_counts(t, e, x, s)
    assert (res.concordant, res.discordant, res.tied_x, res.tied_y, res.tied_xy) == brute_force(
        t, e, x, s
    )
