"""Table contents against hand calculations on six patients, lifelines/statsmodels, and the
engine's own result objects ("the table shows what the engine computed")."""

from __future__ import annotations

import pytest

from hcctrial.errors import DataValidationError
from hcctrial.report.build import report_results as analyse
from hcctrial.report.inputs import report_inputs_from_mappings
from hcctrial.report.published import (
    _compare,
    comparison_table,
    published_data,
)
from hcctrial.report.published_inconsistencies import inconsistencies_table
from hcctrial.report.survival_tables import (
    cox_table,
    primary_endpoint_table,
    sensitivity_table,
    subgroup_table,
    survival_summary_table,
)
from hcctrial.report.tables import (
    fmt_num,
    table1_baseline,
    table2_response,
    table3_adverse_events,
)
from tests.report.synthetic import random_inputs, tiny_inputs
from tests.support import PUBLISHED_JSON

ALL = "All patients (n = 6)"


@pytest.fixture(scope="module")
def tiny():
    inputs = tiny_inputs()
    return inputs, analyse(inputs)


# ----------------------------------------------------------------------------------- Table 1
@pytest.mark.parametrize(
    ("label", "occurrence", "expected"),
    [
        ("Male", 0, "4 (66.7)"),  # P1, P2, P4, P6 of 6: 66.67 -> 66.7
        ("Female", 0, "2 (33.3)"),
        # ages 40, 50, 60, 70, 30 (P5 missing): mean 50; SD sqrt((100+0+100+400+400)/4) = 15.81
        ("Mean ± SD", 0, "50.0 ± 15.8"),
        # sorted 30 40 50 60 70: linear quartiles 40 and 60
        ("Median (IQR)", 0, "50.0 (40.0–60.0)"),
        ("Missing", 0, "1 (16.7)"),  # the age of P5
        # tumour 3, 6, 12, 8, 4, 10 cm: mean 43/6 = 7.167; squared deviations 17.36 + 1.36 +
        # 23.36 + 0.69 + 10.03 + 8.03 = 60.83; SD sqrt(60.83/5) = 3.49
        ("Mean ± SD", 1, "7.2 ± 3.5"),
        ("≤ 5", 0, "2 (33.3)"),  # 3 and 4 cm
        ("> 5 to 10", 0, "3 (50.0)"),  # 6, 8 and 10 cm (10 is in (5, 10])
        ("> 10", 0, "1 (16.7)"),  # 12 cm
        ("A", 0, "5 (83.3)"),  # A5, A6, A5, A5, A6
        ("B7", 0, "1 (16.7)"),
        ("≤ 100", 0, "3 (50.0)"),  # AFP 20, 50, 100 (100 is <= 100)
        ("> 100", 0, "2 (33.3)"),  # 150, 900
        ("Missing", 1, "1 (16.7)"),  # the AFP of P4
        ("MRI", 0, "4 (66.7)"),
        ("CT", 0, "2 (33.3)"),
    ],
)
def test_table1_counts_percentages_and_descriptives_by_hand(tiny, label, occurrence, expected):
    t = table1_baseline(tiny[0])
    assert t.cell(label, ALL, occurrence=occurrence) == expected


def test_table1_states_the_denominator_and_abbreviations(tiny):
    t = table1_baseline(tiny[0])
    assert t.columns == ("Characteristic", ALL)
    assert any("all 6 enrolled patients" in f for f in t.footnotes)
    assert any("BCLC, Barcelona Clinic Liver Cancer" in f for f in t.footnotes)


# ----------------------------------------------------------------------------------- Table 2
def test_table2_best_response_counts_and_exact_ci_against_statsmodels(tiny):
    from statsmodels.stats.proportion import proportion_confint

    t = table2_response(tiny[1])
    col = "n (%), N = 6"
    # CR P1, PR P2, SD P3 P5, PD P4, NE P6 (no evaluable assessment)
    assert t.cell("Complete response (CR)", col) == "1 (16.7)"
    assert t.cell("Stable disease (SD)", col) == "2 (33.3)"
    assert t.cell("Not evaluable (NE)", col) == "1 (16.7)"
    assert t.cell("Objective response rate (CR + PR)", col) == "2 (33.3)"  # n (%): N in the header
    assert t.cell("Disease control rate (CR + PR + SD)", col) == "4 (66.7)"
    lo, up = proportion_confint(2, 6, method="beta")
    assert t.cell("Objective response rate (CR + PR)", "95 % CI, %") == (
        f"{fmt_num(100 * lo)}–{fmt_num(100 * up)}"
    )
    lo, up = proportion_confint(4, 6, method="beta")
    assert t.cell("Disease control rate (CR + PR + SD)", "95 % CI, %") == (
        f"{fmt_num(100 * lo)}–{fmt_num(100 * up)}"
    )
    assert any("all enrolled patients (intention to treat), 6 patients" in f for f in t.footnotes)
    assert any("Clopper–Pearson" in f for f in t.footnotes)


# ----------------------------------------------------------------------------------- Table 3
@pytest.mark.parametrize(
    ("term", "expected"),
    [
        # platelets: P1 grade 1, P2 grade 3, P5 grade 2 -> one patient each; any 3; >= 3 one
        (
            "Decreased platelet count",
            ("1 (16.7)", "1 (16.7)", "1 (16.7)", "0 (0.0)", "3 (50.0)", "1 (16.7)"),
        ),
        # transaminases: P3 grade 4 only
        (
            "Elevated ALT/AST",
            ("0 (0.0)", "0 (0.0)", "0 (0.0)", "1 (16.7)", "1 (16.7)", "1 (16.7)"),
        ),
        # pain: P1 grade 2, P2 grade 1, P5 grade 2
        ("Pain", ("1 (16.7)", "2 (33.3)", "0 (0.0)", "0 (0.0)", "3 (50.0)", "0 (0.0)")),
        ("Diarrhoea", ("0 (0.0)",) * 6),
    ],
)
def test_table3_counts_each_patient_once_at_the_worst_grade(tiny, term, expected):
    t = table3_adverse_events(tiny[1])
    row = next(r for r in t.rows if r.label == term)
    assert row.cells == expected
    assert t.columns[1:] == (
        "Grade I",
        "Grade II",
        "Grade III",
        "Grade IV",
        "Any grade",
        "Grade ≥ III",
    )


# ------------------------------------------------------------------------------ survival table
def test_survival_summary_by_hand(tiny):
    t = survival_summary_table(tiny[1])
    pfs = "PFS (as the paper defined it: progression only)"
    os_ = "Overall survival"
    assert t.cell("Events, n", pfs) == "4"  # PFS events 1, 1, 0, 1, 1, 0 (times 11 3 5 7 9 1)
    assert t.cell("Events, n", os_) == "4"  # OS events 1, 0, 1, 1, 0, 1
    # PFS: S(1) = 5/6, S(3) = 4/6; at 6 months 66.7 %; Greenwood var log S = 1/30 + 1/20 =
    # 0.08333, SE 0.2887. The seed plan's CI of S(t) is log-log: log S = -0.4055,
    # se2 = 1.96 * 0.2887 / -0.4055 = -1.3954, log(-log S) = -0.9027; lower exp(-exp(-0.9027 +
    # 1.3954)) = 0.1946, upper exp(-exp(-0.9027 - 1.3954)) = 0.9044 (R survfit conf.type =
    # "log-log": 0.194617, 0.904434)
    assert t.cell("6 months", pfs) == "66.7 (19.5–90.4)"
    # S(7) = 4/6 * 2/3 = 0.444 (first time S <= 0.5, so SPSS and R medians are both 7); the plan's
    # rule (SPSS) in the summary, R's in the sensitivity analysis that the plan declares for it
    assert t.cell("Median, months (95 % CI)", pfs).startswith("7.0 ")
    st = sensitivity_table(tiny[1])
    r_rows = [r for r in st.rows if r.label.startswith(pfs)]
    assert r_rows and all(r.cells[1].startswith("7.0 ") for r in r_rows)
    # follow-up: median of OS times 2 4 6 8 10 12 = 7, range 2-12
    assert t.cell("Simple median of observed times (range)", os_) == "7.0 (range 2.0–12.0)"


def test_survival_summary_medians_agree_with_lifelines():
    from lifelines import KaplanMeierFitter

    inputs = random_inputs(50, seed=3)
    res = analyse(inputs)
    for key in ("pfs_paper", "os"):
        _, t, e = inputs.endpoint_data(key)
        km = KaplanMeierFitter().fit(t, e)
        # lifelines' median: first time S <= 0.5, SPSS's rule when no S sits exactly at 0.5
        assert res.endpoints[key].median_spss.estimate == pytest.approx(km.median_survival_time_)
        for at in res.endpoints[key].rates:
            assert at.surv == pytest.approx(float(km.predict(at.time)))


def test_subgroup_table_hr_and_logrank_against_lifelines():
    import pandas as pd
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    inputs = random_inputs(50, seed=5)
    res = analyse(inputs)
    ids, t, e = inputs.endpoint_data("os")
    by = {s.study_id: s for s in inputs.subjects}
    c = [1.0 if by[i].bclc == "C" else 0.0 for i in ids]
    df = pd.DataFrame({"t": t, "e": e, "c": c})
    cph = CoxPHFitter().fit(df, "t", "e")
    hr = float(cph.hazard_ratios_["c"])
    lo, up = (
        float(v) for v in cph.confidence_intervals_.loc["c"].map(lambda v: 2.718281828459045**v)
    )
    lr = logrank_test(df.t[df.c == 0], df.t[df.c == 1], df.e[df.c == 0], df.e[df.c == 1])
    table = subgroup_table(res, "os")
    row = next(r for r in table.rows if r.label == "BCLC stage")
    assert float(row.cells[4]) == pytest.approx(lr.p_value, abs=5e-4)
    level_c = next(r for r in table.rows if r.label == "C")
    assert level_c.cells[3] == f"{fmt_num(hr, 2)} ({fmt_num(lo, 2)}–{fmt_num(up, 2)})"
    assert level_c.cells[0] == str(int(sum(c)))


def test_cox_and_primary_tables_show_the_engine_results():
    from hcctrial.stats.landmark import landmark_test

    inputs = random_inputs(60, seed=2)
    res = analyse(inputs)
    ct = cox_table(res)
    fit = next(f for f in res.cox if f.endpoint == "os").result
    assert fit is not None
    j = fit.names.index("Portal-vein invasion")
    col = "Overall survival: HR (95 % CI)"
    assert ct.cell("Portal-vein invasion", col) == (
        f"{fmt_num(fit.hr[j], 2)} ({fmt_num(fit.lower[j], 2)}–{fmt_num(fit.upper[j], 2)})"
    )
    pt = primary_endpoint_table(res)
    r = landmark_test(res.endpoints["pfs_paper"].curve, 12.0, 0.30, scale="log-log")
    assert pt.cell("log–log scale (planned)", "z") == fmt_num(r.z, 2)
    assert pt.cell("log–log scale (planned)", "12-month rate, % (95 % CI)").startswith(
        fmt_num(100 * r.surv)
    )


# ------------------------------------------------------------------------- published vs reproduced
@pytest.mark.parametrize(
    ("published", "reproduced", "match"),
    [
        (13.1, 13.14, True),  # rounds to 13.1
        (13.1, 13.15, False),  # half-up: 13.2
        (12.2, 100 * 8 / 66, False),  # INC-05: 8/66 = 12.12 -> 12.1
        (43, 43.0, True),
        (0.25, 0.2549, True),
    ],
)
def test_published_match_rule_rounds_to_the_published_decimals(published, reproduced, match):
    assert _compare("s", "x", published, reproduced).match is match


def test_inconsistencies_table_lists_all_29(tiny):
    t = inconsistencies_table(*tiny)
    assert [r.label for r in t.rows] == [f"INC-{k:02d}" for k in range(1, 30)]


def test_comparison_table_counts_matches(tiny):
    t = comparison_table(*tiny)
    marks = [r.cells[2] for r in t.rows if not r.heading]
    assert f"{marks.count('✓')} of {sum(m in ('✓', '≠') for m in marks)}" in t.footnotes[0]


def test_package_copy_of_published_figures_equals_the_seed_file():
    import json

    assert published_data() == json.loads(PUBLISHED_JSON.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("subjects", "endpoints", "message"),
    [
        ([{"study_id": "A", "colour": "red"}], [], "unknown field(s) ['colour']"),
        ([{"study_id": "A"}, {"study_id": "A"}], [], "study_id 'A' appears twice"),
        ([{"study_id": "A", "best_response": "XX"}], [], "best_response: got 'XX'"),
        (
            [{"study_id": "A"}],
            [{"study_id": "A", "endpoint": "ttp", "time_months": 1.0, "event": 3}],
            "event: got 3",
        ),
        (
            [{"study_id": "A"}],
            [{"study_id": "B", "endpoint": "os", "time_months": 1.0, "event": 1}],
            "study_id 'B' has no subject row",
        ),
    ],
)
def test_bad_inputs_are_rejected_naming_the_field(subjects, endpoints, message):
    with pytest.raises(DataValidationError) as err:
        report_inputs_from_mappings(subjects, endpoints)
    assert message in str(err.value)
