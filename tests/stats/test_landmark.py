"""The landmark test of S(t0) against p0, and RMST, against R (r_reference.json) and by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from hcctrial.errors import DataValidationError
from hcctrial.stats.kaplan_meier import kaplan_meier
from hcctrial.stats.landmark import (
    landmark_test,
    restricted_mean,
    restricted_mean_difference,
)
from tests.stats.survival_reference import DATASETS, close, r_reference
from tests.stats.test_kaplan_meier import curves_for

Z975 = norm.ppf(0.975)


@pytest.mark.parametrize(
    ("ds", "by"), [(ds, by) for ds in DATASETS for by in ("km_overall", "km_by_group")]
)
def test_rmst_matches_r_print_survfit_rmean(ds: str, by: str) -> None:
    block = r_reference()["datasets"][ds]
    tau = max(block["landmark_times"])  # r_reference.R: summary(fit, rmean = max(landmarks))
    for name, curve in curves_for(ds, by, "log").items():
        row = block[by]["print_table_log"][name]
        r = restricted_mean(curve, tau)
        assert close(r.estimate, row["rmean"]), (name, r.estimate, row["rmean"])
        assert close(r.se, row["se(rmean)"]), (name, r.se, row["se(rmean)"])
        assert r.lower == pytest.approx(r.estimate - Z975 * r.se)


LANDMARK_BANDS = [
    (ds, by, scale, i)
    for ds in DATASETS
    for by in ("km_overall", "km_by_group")
    for scale in ("log-log", "plain")
    for i in range(len(r_reference()["datasets"][ds][by][scale]["landmarks"]["time"]))
]


@pytest.mark.parametrize(("ds", "by", "scale", "i"), LANDMARK_BANDS)
def test_two_sided_test_at_r_band_edge_has_p_005(ds: str, by: str, scale: str, i: int) -> None:
    # The Wald test on a scale inverts R's pointwise band on that scale: with p0 set to R's
    # 95 % lower (upper) bound of S(t0), the two-sided p value is 0.05 and z = +1.96 (-1.96).
    lm = r_reference()["datasets"][ds][by][scale]["landmarks"]
    name, t, lower, upper = lm["strata"][i], lm["time"][i], lm["lower"][i], lm["upper"][i]
    curve = curves_for(ds, by, scale)[name]
    for p0, sign in ((lower, 1.0), (upper, -1.0)):
        if p0 is None or not 0 < p0 < 1:
            continue
        r = landmark_test(curve, t, p0, scale=scale, alternative="two-sided")
        assert r.p == pytest.approx(0.05, rel=1e-7)
        assert r.z == pytest.approx(sign * Z975, rel=1e-7)
        assert close(r.surv, lm["surv"][i]) and close(r.std_err, lm["std_err_surv"][i])
        assert r.p_greater == pytest.approx(0.025 if sign > 0 else 0.975, rel=1e-7)


def test_hand_calculated_plain_and_log_log() -> None:
    # 10 deaths at 1..10, no censoring: S(3) = 0.7, Greenwood SE(S) = sqrt(0.7 * 0.3 / 10),
    # SE(log S) = sqrt(1/90 + 1/72 + 1/56) (= SE(S) / S).
    km = kaplan_meier(np.arange(1.0, 11.0), np.ones(10))
    se = np.sqrt(0.021)
    plain = landmark_test(km, 3, 0.5, scale="plain")
    assert plain.z == pytest.approx(0.2 / se)
    assert plain.p == pytest.approx(1 - norm.cdf(0.2 / se))
    assert plain.p_two_sided == pytest.approx(2 * (1 - norm.cdf(0.2 / se)))
    se_log = np.sqrt(1 / 90 + 1 / 72 + 1 / 56)
    # log(-log 0.5) - log(-log 0.7) over se_log / |log 0.7|
    z = (np.log(-np.log(0.5)) - np.log(-np.log(0.7))) / (se_log / -np.log(0.7))
    loglog = landmark_test(km, 3, 0.5)
    assert loglog.z == pytest.approx(z)
    assert loglog.p_less == pytest.approx(norm.cdf(z))


def test_seed_primary_endpoint_figures() -> None:
    # AUDIT 3.2: S(12) = 54.7 %, SE 6.4 % against p0 = 30 %: plain z = (0.547 - 0.30) / 0.064 = 3.86
    # Build 100 subjects, 45 events before 12 (S(12) = 0.55, SE = sqrt(0.55 * 0.45 / 100) = 0.04975)
    time = np.r_[np.linspace(0.2, 11.8, 45), np.full(55, 20.0)]
    event = np.r_[np.ones(45), np.zeros(55)]
    r = landmark_test(kaplan_meier(time, event), 12, 0.30, scale="plain")
    assert r.surv == pytest.approx(0.55)
    assert r.z == pytest.approx(0.25 / np.sqrt(0.55 * 0.45 / 100))


def test_rmst_hand_calculated_and_difference() -> None:
    # a: deaths at 2 and 4 -> area to 5 = 2 * 1 + 2 * 0.5 + 1 * 0 = 3
    # var: A(t=2) = 1 (area 2..5 = 2*0.5 + 1*0), h = 1/(2*1) = 0.5; t=4 has n = d -> 0. se^2 = 0.5
    a = kaplan_meier([2, 4], [1, 1], label="a")
    ra = restricted_mean(a, 5)
    assert ra.estimate == 3.0 and ra.se == pytest.approx(np.sqrt(0.5))
    b = kaplan_meier([5, 6], [1, 1], label="b")  # nobody dies before 5: RMST = 5, SE 0
    rb = restricted_mean(b, 5)
    assert (rb.estimate, rb.se) == (5.0, 0.0)
    d = restricted_mean_difference(a, b, 5)
    assert d.difference == 2.0 and d.se == pytest.approx(np.sqrt(0.5))
    assert d.p == pytest.approx(2 * norm.sf(2 / np.sqrt(0.5)))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"p0": 0.0}, "p0"), ({"p0": 1.2}, "p0"), ({"p0": 0.3, "time": 0.5}, "time")],
)
def test_invalid_landmark_test_is_rejected(kwargs, field) -> None:
    km = kaplan_meier([1, 2, 3], [1, 1, 0])
    args = {"time": 2.0, **kwargs}
    with pytest.raises(DataValidationError, match=f"^{field}:"):
        landmark_test(km, args["time"], args["p0"])
