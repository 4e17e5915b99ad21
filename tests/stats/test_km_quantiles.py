"""KM medians and quartiles with CIs: R's rule (quantile.survfit) and SPSS's rule.

Expected values: r_reference.json (quantiles per conf type, print.survfit's median and CI,
reverse-KM follow-up), spss_style_reference.json, and hand calculations.
"""

from __future__ import annotations

import numpy as np
import pytest

from hcctrial.errors import DataValidationError
from hcctrial.stats.kaplan_meier import kaplan_meier
from hcctrial.stats.km_quantiles import (
    MedianCIMethod,
    median_survival,
    reverse_km_followup,
    survival_quantile,
)
from tests.stats.survival_reference import (
    DATASETS,
    analysis_set,
    close,
    r_reference,
    spss_reference,
)
from tests.stats.test_kaplan_meier import CASES, curves_for

PROBS = {"q25": 0.25, "q50": 0.5, "q75": 0.75}


@pytest.mark.parametrize(("ds", "by", "conf_type"), CASES)
def test_quantiles_and_cis_match_r_quantile_survfit(ds: str, by: str, conf_type: str) -> None:
    ref = r_reference()["datasets"][ds][by][conf_type]["quantiles"]
    curves = curves_for(ds, by, conf_type)
    assert sorted(ref) == sorted(curves)
    for name, curve in curves.items():
        for key, prob in PROBS.items():
            q = survival_quantile(curve, prob, MedianCIMethod.R)
            for ours, part in [(q.estimate, "quantile"), (q.lower, "lower"), (q.upper, "upper")]:
                expected = ref[name][part][key]
                assert close(ours, expected), (
                    f"{ds}/{name}/{conf_type}/{key}/{part}: {ours} vs {expected}"
                )


@pytest.mark.parametrize(
    ("ds", "by"), [(ds, by) for ds in DATASETS for by in ("km_overall", "km_by_group")]
)
def test_median_matches_r_print_survfit(ds: str, by: str) -> None:
    ref = r_reference()["datasets"][ds][by]["print_table_log"]
    for name, curve in curves_for(ds, by, "log").items():
        m = median_survival(curve)
        row = ref[name]
        assert (curve.n, curve.events) == (row["records"], row["events"])
        assert close(m.estimate, row["median"])
        assert close(m.lower, row["0.95LCL"]) and close(m.upper, row["0.95UCL"])


@pytest.mark.parametrize("ds", DATASETS)
def test_reverse_km_followup_matches_r(ds: str) -> None:
    ref = r_reference()["datasets"][ds]["reverse_km_followup"]
    time, event, group = analysis_set(ds)
    (overall,) = reverse_km_followup(time, event)
    q = overall.reverse_km
    assert close(q.estimate, ref["overall"]["median"])
    assert close(q.lower, ref["overall"]["lower"]) and close(q.upper, ref["overall"]["upper"])
    by = reverse_km_followup(time, event, group)
    assert [f"group={f.label}" for f in by] == ref["by_group"]["strata"]
    for i, f in enumerate(by):
        assert close(f.reverse_km.estimate, ref["by_group"]["median"][i])
        assert close(f.reverse_km.lower, ref["by_group"]["lower"][i])
        assert close(f.reverse_km.upper, ref["by_group"]["upper"][i])
    assert overall.simple_median == float(np.median(time))


SPSS_CASES = [
    (ds, name, level)
    for ds in DATASETS
    for name in spss_reference()["datasets"][ds]
    for level in spss_reference()["datasets"][ds][name]
]


@pytest.mark.parametrize(("ds", "name", "level"), SPSS_CASES)
def test_spss_median_and_quartiles_match_spss_rule(ds: str, name: str, level: str) -> None:
    ref = spss_reference()["datasets"][ds][name][level]
    (curve,) = [
        c
        for key, c in curves_for(
            ds, "km_overall" if name == "all" else "km_by_group", "log"
        ).items()
        if key.split("=")[-1] == name.split("=")[-1]
    ]
    s = float(level.split("=")[1])
    q = survival_quantile(curve, 1.0 - s, "spss")
    assert q.method is MedianCIMethod.SPSS
    for ours, key in [
        (q.estimate, "estimate"),
        (q.se, "se"),
        (q.lower, "lower"),
        (q.upper, "upper"),
    ]:
        assert close(ours, ref[key]), f"{ds}/{name}/{level}/{key}: {ours} vs {ref[key]}"


def test_r_takes_midpoint_of_flat_stretch_at_one_half_spss_takes_its_start() -> None:
    # veteran, treatment 2: S = 0.5 exactly on [52, 53): README says SPSS 52, R 52.5
    ref = spss_reference()["datasets"]["veteran"]["trt=2"]["s=0.5"]
    (curve,) = [c for k, c in curves_for("veteran", "km_by_group", "log").items() if k == "group=2"]
    assert median_survival(curve, "r").estimate == 52.5
    assert median_survival(curve, "spss").estimate == ref["estimate"] == 52.0


def test_product_equal_to_one_half_counts_as_one_half_despite_rounding() -> None:
    # 66 subjects, deaths one at a time, no censoring: S after 33 deaths = 33/66 = 0.5 exactly in
    # rationals, but the floating product of (n-1)/n is 0.5000000000000002 here.
    n = 66
    time = np.arange(1, n + 1, dtype=float)
    km = kaplan_meier(time, np.ones(n))
    assert km.surv[32] != 0.5  # the rounding the tolerance must absorb
    assert abs(km.surv[32] - 0.5) < 1e-12
    assert median_survival(km, "spss").estimate == 33.0  # min{t: S(t) <= 0.5} = t_33
    assert median_survival(km, "r").estimate == 33.5  # midpoint of [33, 34)


def test_median_not_reached_is_explicit() -> None:
    km = kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0])  # S stays at 0.75
    for method in ("r", "spss"):
        m = median_survival(km, method)
        assert m.estimate is None and not m.reached


def test_hand_calculated_spss_se() -> None:
    # 10 deaths at 1..10: S(t_j) = 1 - j/10. Median t_p = 5 (S = 0.5); u = max{S >= 0.55} = 4
    # (S = 0.6); l = min{S <= 0.45} = 6 (S = 0.4); f = (0.6 - 0.4) / (6 - 4) = 0.1;
    # Greenwood SE of S(5) = sqrt(0.5 * 0.5 / 10) = 0.158114; SE = 1.58114; CI = 5 -/+ 1.96 SE.
    km = kaplan_meier(np.arange(1.0, 11.0), np.ones(10))
    m = median_survival(km, "spss")
    assert m.estimate == 5.0
    assert m.se == pytest.approx(np.sqrt(0.025) / 0.1, rel=1e-12)
    assert m.lower == pytest.approx(5 - 1.96 * np.sqrt(0.025) / 0.1, rel=1e-12)


def test_probability_outside_zero_one_is_rejected() -> None:
    km = kaplan_meier([1, 2], [1, 1])
    with pytest.raises(DataValidationError, match="prob"):
        survival_quantile(km, 1.5)


def test_spss_ci_crossing_zero_is_truncated_at_zero_with_a_note() -> None:
    # 10 subjects: events at 1..5 (S = .9 .. .5), one at 100 (n = 5: S = .4), 4 censored at 120.
    # SPSS rule: median = 5 (S = 0.5); u = 4 (S = .6 >= .55), l = 100 (S = .4 <= .45);
    # f = (.6 - .4) / (100 - 4) = 0.0020833; Greenwood SE(S(5)) = 0.5 sqrt(1/90 + 1/72 + 1/56
    # + 1/42 + 1/30) = 0.5 sqrt(0.1) = 0.158114; SE = 75.8947; CI = 5 -/+ 1.96 SE = -143.75, 153.75
    t = [1, 2, 3, 4, 5, 100, 120, 120, 120, 120]
    e = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    q = median_survival(kaplan_meier(t, e), method="spss")
    se = 0.5 * np.sqrt(0.1) / ((0.6 - 0.4) / 96)
    assert q.estimate == 5 and q.se == pytest.approx(se, rel=1e-12)
    assert q.lower == 0.0 and q.lower_truncated
    assert q.upper == pytest.approx(5 + 1.96 * se, rel=1e-12)
    assert "truncated at 0" in q.note and f"{5 - 1.96 * se:.6g}" in q.note
    # a lower bound that does not cross zero is not flagged
    assert not median_survival(kaplan_meier([1, 2, 3, 4, 5], [1] * 5), method="spss").lower_truncated
