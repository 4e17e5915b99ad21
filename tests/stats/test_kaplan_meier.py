"""Kaplan-Meier step tables, landmarks and risk grids against R ``survival`` 3.5-3 (rel. 1e-8).

Expected values: tests/reference/survival/r_reference.json (made by r_reference.R beside it), a
hand calculation, and lifelines (property tests).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcctrial.errors import DataValidationError
from hcctrial.stats.kaplan_meier import (
    ConfType,
    KaplanMeierCurve,
    kaplan_meier,
    kaplan_meier_by_group,
    risk_grid,
    survival_at,
)
from tests.stats.survival_reference import (
    DATASETS,
    analysis_set,
    assert_all_close,
    r_reference,
)

CONF_TYPES = ("log", "log-log", "plain")
CASES = [
    (ds, by, ct) for ds in DATASETS for by in ("km_overall", "km_by_group") for ct in CONF_TYPES
]


def curves_for(ds: str, by: str, conf_type: str) -> dict[str, KaplanMeierCurve]:
    """Our curves keyed by R's strata names ("all", "group=1", ...)."""
    time, event, group = analysis_set(ds)
    if by == "km_overall":
        return {"all": kaplan_meier(time, event, conf_type=conf_type)}
    return {
        f"group={c.label}": c
        for c in kaplan_meier_by_group(time, event, group, conf_type=conf_type)
    }


@pytest.mark.parametrize(("ds", "by", "conf_type"), CASES)
def test_step_table_matches_r_survfit(ds: str, by: str, conf_type: str) -> None:
    ref = r_reference()["datasets"][ds][by][conf_type]["step_table"]
    curves = curves_for(ds, by, conf_type)
    strata = np.array(ref["strata"])
    assert sorted(curves) == sorted(set(ref["strata"]))
    for name, curve in curves.items():
        rows = strata == name
        for ours, key in [
            (curve.time, "time"),
            (curve.n_risk, "n_risk"),
            (curve.n_event, "n_event"),
            (curve.n_censor, "n_censor"),
            (curve.surv, "surv"),
            (curve.std_err, "std_err_surv"),
            (curve.std_err_log, "std_err_log"),
            (curve.lower, "lower"),
            (curve.upper, "upper"),
        ]:
            expected = np.array(ref[key], dtype=object)[rows]
            assert_all_close(ours, expected, f"{ds}/{by}/{conf_type}/{name}/{key}")


@pytest.mark.parametrize(("ds", "by", "conf_type"), CASES)
def test_landmark_survival_matches_r_summary_times(ds: str, by: str, conf_type: str) -> None:
    block = r_reference()["datasets"][ds]
    ref = block[by][conf_type]["landmarks"]
    curves = curves_for(ds, by, conf_type)
    strata = np.array(ref["strata"])
    for name, curve in curves.items():
        rows = strata == name
        at = survival_at(curve, block["landmark_times"])
        for attr, key in [
            ("time", "time"),
            ("n_risk", "n_risk"),
            ("n_event", "n_event_since_previous"),
            ("surv", "surv"),
            ("std_err", "std_err_surv"),
            ("lower", "lower"),
            ("upper", "upper"),
        ]:
            expected = np.array(ref[key], dtype=object)[rows]
            assert_all_close([getattr(a, attr) for a in at], expected, f"{ds}/{name}/{key}")


def test_hand_calculated_curve_with_tie_of_event_and_censoring() -> None:
    # times 1, 2, 2+, 3, 5+ ; at t=2 one event and one censoring share the time.
    km = kaplan_meier([1, 2, 2, 3, 5], [1, 1, 0, 1, 0])
    assert km.time.tolist() == [1, 2, 3, 5]
    assert km.n_risk.tolist() == [5, 4, 2, 1]  # at risk = time >= t
    assert km.n_event.tolist() == [1, 1, 1, 0]
    assert km.n_censor.tolist() == [0, 1, 0, 1]
    # S: 4/5 = 0.8; 0.8 * 3/4 = 0.6; 0.6 * 1/2 = 0.3; unchanged 0.3
    assert km.surv.tolist() == pytest.approx([0.8, 0.6, 0.3, 0.3], rel=1e-15)
    # Greenwood var(log S): 1/(5*4) = 0.05; + 1/(4*3) = 0.13333; + 1/(2*1) = 0.63333
    assert km.std_err_log.tolist() == pytest.approx(
        np.sqrt([0.05, 0.05 + 1 / 12, 0.05 + 1 / 12 + 0.5, 0.05 + 1 / 12 + 0.5]).tolist()
    )


def test_log_ci_undefined_at_zero_survival_is_nan_not_inf() -> None:
    km = kaplan_meier([1, 2], [1, 1])
    assert km.surv[-1] == 0.0
    assert np.isnan(km.lower[-1]) and np.isnan(km.upper[-1]) and np.isnan(km.std_err_log[-1])


def test_curve_arrays_are_read_only() -> None:
    km = kaplan_meier([1, 2, 3], [1, 0, 1])
    with pytest.raises(ValueError):
        km.surv[0] = 0.5


def test_risk_grid_counts_still_under_observation_at_tick() -> None:
    # times 1, 2, 2+, 3, 5+ ; ticks 0, 2, 4, 6
    km = kaplan_meier([1, 2, 2, 3, 5], [1, 1, 0, 1, 0])
    grid = risk_grid(km, [0, 2, 4, 6])
    assert grid.n_risk == (5, 4, 1, 0)  # time >= 0: 5; >= 2: 4 (2, 2+, 3, 5+); >= 4: 1; >= 6: 0
    assert grid.n_event == (0, 2, 1, 0)  # (.., 0]: none; (0, 2]: 1 and 2; (2, 4]: 3
    assert grid.n_censor == (0, 1, 0, 1)
    assert grid.cum_event == (0, 2, 3, 3)


def test_survival_before_first_time_is_one_and_beyond_last_carries_forward() -> None:
    km = kaplan_meier([2, 4, 6], [1, 1, 0])
    before, after = survival_at(km, [1, 10])
    assert (before.surv, before.std_err, before.n_risk) == (1.0, 0.0, 3)
    # S(10) = 2/3 * 1/2 = 1/3 carried forward, nobody at risk
    assert after.surv == pytest.approx(1 / 3) and after.n_risk == 0 and after.beyond_last


@pytest.mark.parametrize(
    ("time", "event", "message"),
    [
        ([1, -2], [1, 0], "time: row 2 has negative time -2"),
        ([1, 2], [1, 2], "event: row 2 has 2; expected 0 (censored) or 1"),
        ([1, float("nan")], [1, 0], "expected a finite time"),
    ],
)
def test_bad_input_is_rejected_with_the_row_named(time, event, message) -> None:
    with pytest.raises(DataValidationError, match=re.escape(message)):
        kaplan_meier(time, event)


def test_unknown_conf_type_is_rejected() -> None:
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [1, 0], conf_type="logit")


survival_data_strategy = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=0, max_value=12), min_size=n, max_size=n),  # many ties
        st.lists(st.sampled_from([0, 0, 0, 1]), min_size=n, max_size=n),  # heavy censoring
    )
)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(survival_data_strategy)
def test_km_agrees_with_lifelines_on_random_data_with_ties(data) -> None:
    from lifelines import KaplanMeierFitter
    from lifelines.utils import survival_table_from_events

    time, event = (np.array(x, dtype=float) for x in data)
    km = kaplan_meier(time, event)
    kmf = KaplanMeierFitter().fit(time, event)
    sf = kmf.survival_function_["KM_estimate"]
    np.testing.assert_allclose(sf.loc[km.time].to_numpy(), km.surv, rtol=1e-12, atol=1e-15)
    table = survival_table_from_events(time, event)
    table = table.loc[table.index.isin(km.time)]
    np.testing.assert_array_equal(table["at_risk"].to_numpy(), km.n_risk)
    np.testing.assert_array_equal(table["observed"].to_numpy(), km.n_event)
    np.testing.assert_array_equal(table["censored"].to_numpy(), km.n_censor)
    # lifelines' log-log band at the step times (where S in (0, 1) so the band is defined)
    ours = kaplan_meier(time, event, conf_type=ConfType.LOG_LOG)
    ci = kmf.confidence_interval_survival_function_.loc[km.time]
    ok = (km.surv > 0) & (km.surv < 1)
    np.testing.assert_allclose(ours.lower[ok], ci.iloc[:, 0].to_numpy()[ok], rtol=1e-9)
    np.testing.assert_allclose(ours.upper[ok], ci.iloc[:, 1].to_numpy()[ok], rtol=1e-9)
