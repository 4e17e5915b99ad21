"""``analyse(seed plan, datasets)`` against R survival on 80 synthetic patients
(tests/reference/analysis: analysis_cases.csv, made by make_analysis_cases.py; analyse_r.json,
made by analyse_r.R with R 4.2.2 / survival 3.5-3), and by hand: the plan's conventions reach the
engine -- log-log CIs of S(t), R's median on the log band, the landmark test, subgroup log-rank and
Cox HRs, the multivariable Cox model on complete cases, the per-protocol population, the
Clopper-Pearson response rates and the follow-up medians.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from typing import Any

import pytest

from hcctrial.analysis.datasets import AnalysisDatasets, SubjectData, TimeToEvent
from hcctrial.analysis.plan import load_plan
from hcctrial.analysis.results import AnalysisResults
from hcctrial.analysis.run import analyse
from tests.support import TESTS_REFERENCE

HERE = TESTS_REFERENCE / "analysis"
REL = 1e-9  # R and the engine agree to ~1e-12; Cox to R's iteration tolerance


@cache
def _r() -> dict[str, Any]:
    return dict(json.loads((HERE / "analyse_r.json").read_text(encoding="utf-8")))


def _value(name: str, text: str) -> Any:
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    if name in ("afp_ng_ml", "largest_tumour_cm"):
        return float(text)
    if name in ("n_cycles", "major_deviations"):
        return int(text)
    return text


@cache
def _datasets() -> AnalysisDatasets:
    rows = list(csv.DictReader((HERE / "analysis_cases.csv").open(encoding="utf-8")))
    for r in rows:
        r["imaging"] = r.pop("imaging_modality")
    variables = (
        "bclc",
        "portal_vein_invasion",
        "extrahepatic_spread",
        "afp_ng_ml",
        "child_pugh_class",
        "largest_tumour_cm",
        "imaging",
        "best_response",
        "n_cycles",
        "major_deviations",
    )
    subjects = tuple(
        SubjectData(r["study_id"], {v: _value(v, r[v]) for v in variables}, {}) for r in rows
    )
    events = tuple(
        TimeToEvent(r["study_id"], key, float(r[f"{col}_days"]), int(r[f"{col}_event"]))
        for r in rows
        for key, col in (("pfs_paper", "pfs"), ("os", "os"))
    )
    return AnalysisDatasets(subjects, events, len(rows), "analysis_cases.csv")


@cache
def _res() -> AnalysisResults:
    return analyse(load_plan(), _datasets())


@pytest.mark.parametrize("endpoint", ["pfs_paper", "os"])
def test_landmark_rates_with_the_plans_log_log_ci_agree_with_r(endpoint: str) -> None:
    ref = _r()[endpoint]["rates"]
    got = _res().endpoints[endpoint].rates
    assert [a.time for a in got] == ref["time"]
    for a, s, lo, up in zip(got, ref["surv"], ref["lower"], ref["upper"], strict=True):
        assert a.conf_type.value == "log-log"
        assert (a.surv, a.lower, a.upper) == pytest.approx((s, lo, up), rel=REL)


@pytest.mark.parametrize("endpoint", ["pfs_paper", "os"])
def test_r_rule_median_on_the_plans_log_band_agrees_with_r(endpoint: str) -> None:
    ref = _r()[endpoint]["median_r"]
    q = _res().endpoints[endpoint].median_r
    assert (q.estimate, q.lower, q.upper) == pytest.approx(
        (ref["estimate"], ref["lower"], ref["upper"]), rel=REL
    )


def test_the_primary_landmark_test_agrees_with_r_and_its_ci_is_the_rate_ci() -> None:
    ref = _r()["pfs_paper"]["landmark12"]
    p = _res().primary
    assert p.landmark is not None and p.estimate is not None
    assert (p.landmark.surv, p.landmark.z, p.p) == pytest.approx(
        (ref["surv"], ref["z"], ref["p_greater"]), rel=REL
    )
    assert p.rejected is (ref["p_greater"] < 0.05)
    rate12 = _res().endpoints["pfs_paper"].rate_at(12.0)
    assert rate12 is not None and (p.estimate.lower, p.estimate.upper) == (
        rate12.lower,
        rate12.upper,
    )


@pytest.mark.parametrize("endpoint", ["pfs_paper", "os"])
def test_subgroup_logrank_and_cox_hr_agree_with_r(endpoint: str) -> None:
    ref = _r()[endpoint]["bclc"]
    sg = next(s for s in _res().subgroups_of(endpoint) if s.key == "bclc")
    assert sg.levels == ("B", "C") and sg.logrank is not None
    assert (sg.logrank.chisq, sg.logrank.p) == pytest.approx((ref["chisq"], ref["p"]), rel=REL)
    hr = sg.hazard_ratio("C")
    assert hr is not None
    assert hr[:3] == pytest.approx((ref["hr"], ref["lower"], ref["upper"]), rel=1e-6)


@pytest.mark.parametrize("endpoint", ["pfs_paper", "os"])
def test_multivariable_cox_on_complete_cases_agrees_with_r(endpoint: str) -> None:
    ref = _r()[endpoint]["cox"]
    fit = next(f for f in _res().cox if f.endpoint == endpoint)
    assert fit.result is not None
    assert (fit.result.n, fit.result.n_events) == (ref["n"], ref["events"])
    assert fit.n_excluded == _r()["n"] - ref["n"]  # AFP missing
    assert list(fit.result.hr) == pytest.approx(ref["hr"], rel=1e-6)
    assert list(fit.result.lower) == pytest.approx(ref["lower"], rel=1e-6)
    assert list(fit.result.p) == pytest.approx(ref["p"], rel=1e-5)


def test_followup_simple_and_reverse_km_medians_agree_with_r() -> None:
    ref = _r()["os"]
    fu = _res().endpoints["os"].followup
    assert fu.simple_median == pytest.approx(ref["simple_median"], rel=1e-12)
    rk, r_rk = fu.reverse_km, ref["reverse_km"]
    assert (rk.estimate, rk.lower) == pytest.approx((r_rk["estimate"], r_rk["lower"]), rel=REL)
    assert r_rk["upper"] == "NA" and rk.upper is None  # not reached: None, never inf


def test_per_protocol_sensitivity_runs_on_the_populations_patients_as_r_selects_them() -> None:
    ref = _r()["per_protocol"]
    assert _res().populations["per_protocol"].n == ref["n"]
    sa = next(s for s in _res().sensitivity if s.key == "per_protocol")
    assert sa.primary is not None and sa.primary.estimate is not None
    pfs = next(e for e in sa.endpoints if e.key == "pfs_paper")
    assert pfs.population == "per_protocol" and pfs.n == ref["n"]
    r12 = ref["pfs12"]
    assert (sa.primary.estimate.surv, sa.primary.estimate.lower, sa.primary.estimate.upper) == (
        pytest.approx((r12["surv"], r12["lower"], r12["upper"]), rel=REL)
    )


@pytest.mark.parametrize("key", ["orr", "dcr"])
def test_response_rates_are_clopper_pearson_as_r_binom_test(key: str) -> None:
    ref = _r()[key]
    ci = _res().response.rates[key].ci
    assert (ci.count, ci.n) == (ref["count"], _r()["n"])
    assert (ci.lower, ci.upper) == pytest.approx(tuple(ref["ci"]), rel=1e-9)


def test_endpoints_the_datasets_lack_are_listed_not_silently_dropped() -> None:
    missing = set(_res().missing_endpoints)
    assert missing == {"pfs", "ttp", "dor", "ttf", "cif_progression"}
    assert "cif_progression" not in _res().incidence and set(_res().endpoints) == {
        "pfs_paper",
        "os",
    }
    standard = next(s for s in _res().sensitivity if s.key == "standard_pfs")
    assert standard.endpoints == () and standard.primary is not None and standard.primary.note


def test_populations_by_hand_on_three_patients() -> None:
    """itt: all 3; safety (n_cycles >= 1): A and B; per protocol (>= 2 cycles, no major
    deviation, best response not NE): A only (B has 1 cycle; C has NE and 0 cycles);
    responders: A (PR)."""
    subjects = (
        SubjectData("A", {"n_cycles": 3, "major_deviations": 0, "best_response": "PR"}),
        SubjectData("B", {"n_cycles": 1, "major_deviations": 0, "best_response": "SD"}),
        SubjectData("C", {"n_cycles": 0, "major_deviations": None, "best_response": "NE"}),
    )
    events = tuple(
        TimeToEvent(s.study_id, key, float(d), e)
        for s, d, e in zip(subjects, (100, 200, 300), (1, 0, 1), strict=True)
        for key in ("pfs_paper", "os")
    )
    res = analyse(load_plan(), AnalysisDatasets(subjects, events))
    pops = {k: p.study_ids for k, p in res.populations.items()}
    assert pops["itt"] == ("A", "B", "C") and pops["safety"] == ("A", "B")
    assert pops["per_protocol"] == ("A",) and pops["responders"] == ("A",)
    # C fails n_cycles >= 2 (a False) although its deviations are not recorded: counted as failed
    assert (
        res.populations["per_protocol"].n_failed,
        res.populations["per_protocol"].n_missing,
    ) == (2, 0)
    assert res.response.counts == {"CR": 0, "PR": 1, "SD": 1, "PD": 0, "NE": 1}


def test_the_plans_ci_level_reaches_every_interval_as_r_computes_it() -> None:
    """conventions.ci_level = 0.90: KM log-log band (survfit conf.int = 0.9), the Cox HR's CI
    (confint(fit, level = 0.9)) and the Clopper-Pearson interval (binom.test conf.level = 0.9)."""
    from hcctrial.analysis.plan import plan_from_mapping

    data = json.loads(json.dumps(load_plan().plan.model_dump(mode="json")))
    data["conventions"]["ci_level"]["level"] = 0.90
    res = analyse(plan_from_mapping(data), _datasets())
    ref = _r()["level90"]
    rates = res.endpoints["pfs_paper"].rates
    assert [a.lower for a in rates] == pytest.approx(ref["pfs_lower"], rel=REL)
    assert [a.upper for a in rates] == pytest.approx(ref["pfs_upper"], rel=REL)
    hr = next(s for s in res.subgroups_of("os") if s.key == "bclc").hazard_ratio("C")
    assert hr is not None
    assert hr[1:3] == pytest.approx((ref["os_bclc_lower"], ref["os_bclc_upper"]), rel=1e-6)
    ci = res.response.rates["orr"].ci
    assert (ci.lower, ci.upper) == pytest.approx(tuple(ref["orr_ci"]), rel=1e-9)
