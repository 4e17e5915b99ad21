"""Proportion CIs against statsmodels.stats.proportion.proportion_confint and R (printed values)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcctrial.errors import DataValidationError
from hcctrial.stats.proportions import ProportionMethod, proportion_ci

STATSMODELS_NAME = {"clopper-pearson": "beta", "wilson": "wilson"}


@pytest.mark.parametrize(
    ("method", "lower", "upper"),
    [
        # R 4.2.2: binom.test(28, 66)$conf.int -> 0.3034019 0.5521060
        ("clopper-pearson", 0.3034019, 0.5521060),
        # R 4.2.2: prop.test(28, 66, correct = FALSE)$conf.int -> 0.3124251 0.5443935
        ("wilson", 0.3124251, 0.5443935),
    ],
)
def test_seed_orr_28_of_66_matches_r(method: str, lower: float, upper: float) -> None:
    ci = proportion_ci(28, 66, method=method)
    assert round(ci.percent, 1) == 42.4  # Table 2: ORR 28 (42.4 %)
    assert ci.lower == pytest.approx(lower, abs=5e-8)
    assert ci.upper == pytest.approx(upper, abs=5e-8)


@pytest.mark.parametrize(("count", "n"), [(0, 10), (10, 10), (0, 1), (1, 1)])
def test_clopper_pearson_edges_are_zero_and_one(count: int, n: int) -> None:
    ci = proportion_ci(count, n)
    if count == 0:
        assert ci.lower == 0.0  # P(X >= 0) = 1 for every p: no lower bound above 0
        assert ci.upper == pytest.approx(1 - 0.025 ** (1 / n))  # (1 - p)^n = alpha/2
    if count == n:
        assert ci.upper == 1.0
        assert ci.lower == pytest.approx(0.025 ** (1 / n))  # p^n = alpha/2


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=500).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    ),
    st.sampled_from(list(ProportionMethod)),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_agrees_with_statsmodels(
    xn: tuple[int, int], method: ProportionMethod, level: float
) -> None:
    from statsmodels.stats.proportion import proportion_confint

    count, n = xn
    ci = proportion_ci(count, n, method=method, conf_level=level)
    lo, up = proportion_confint(count, n, alpha=1 - level, method=STATSMODELS_NAME[method])
    assert ci.lower == pytest.approx(lo, rel=1e-9, abs=1e-12)
    assert ci.upper == pytest.approx(up, rel=1e-9, abs=1e-12)
    assert ci.lower <= ci.estimate <= ci.upper


@pytest.mark.parametrize(
    ("count", "n", "field"),
    [(5, 0, "n"), (-1, 10, "count"), (11, 10, "count"), (2.5, 10, "count"), (True, 10, "count")],
)
def test_bad_counts_are_rejected_naming_the_field(count, n, field) -> None:
    with pytest.raises(DataValidationError, match=f"^{field}: got"):
        proportion_ci(count, n)


def test_unknown_method_is_rejected() -> None:
    with pytest.raises(ValueError):
        proportion_ci(1, 2, method="wald")
