"""The one-sample log-rank test against R survival's survdiff with an offset (24 data sets: lung,
veteran and seeded random sets; tests/reference/analysis/one_sample_logrank.R), and by hand."""

from __future__ import annotations

import json
import math

import pytest

from hcctrial.errors import DataValidationError
from hcctrial.stats.one_sample_logrank import one_sample_logrank_test
from tests.support import TESTS_REFERENCE

CASES = json.loads(
    (TESTS_REFERENCE / "analysis" / "one_sample_logrank_r.json").read_text(encoding="utf-8")
)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_observed_expected_and_chisq_agree_with_r_survdiff(case: dict) -> None:
    r = one_sample_logrank_test(
        case["time"], case["status"], null_median=case["null_median"], null_shape=case["null_shape"]
    )
    assert r.observed == case["observed"]
    assert r.expected == pytest.approx(case["expected"], rel=1e-10)
    assert r.chisq == pytest.approx(case["chisq"], rel=1e-9)


def test_by_hand_exponential_null() -> None:
    # null median 10, exponential: Lambda0(t) = log 2 * t / 10; times 5, 10, 20 -> E = 3.5 log 2
    r = one_sample_logrank_test([5, 10, 20], [1, 1, 0], null_median=10)
    e = 3.5 * math.log(2)
    assert r.expected == pytest.approx(e, rel=1e-14)
    assert r.z == pytest.approx((e - 2) / math.sqrt(e), rel=1e-14)
    assert r.ratio == pytest.approx(2 / e, rel=1e-14)
    assert r.p_greater + r.p_less == pytest.approx(1.0)


def test_fewer_events_than_expected_is_evidence_for_better_survival() -> None:
    r = one_sample_logrank_test([30] * 20, [0] * 19 + [1], null_median=10, alternative="greater")
    assert r.z > 0 and r.p < 0.001 and r.p == r.p_greater


@pytest.mark.parametrize("bad", [0, -1, float("nan")])
def test_a_null_median_that_is_not_positive_is_refused(bad: float) -> None:
    with pytest.raises(DataValidationError, match="null_median"):
        one_sample_logrank_test([1, 2], [1, 0], null_median=bad)
