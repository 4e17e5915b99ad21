"""The house style of the tables (issue 17): n (%) with N in the header, no negative bound, labels
in words, the any-grade->=3 row, every published number compared, inconsistencies computed now."""

from __future__ import annotations

import json
import re

import pytest

from hcctrial.report.build import report_results as analyse
from hcctrial.report.published import comparisons
from hcctrial.report.published_inconsistencies import inconsistencies_table
from hcctrial.report.tables import (
    TRUNCATED,
    TRUNCATED_NOTE,
    Row,
    Table,
    fmt_ci,
    house_style,
    table3_adverse_events,
)
from tests.report.synthetic import random_inputs, tiny_inputs
from tests.support import PUBLISHED_JSON


@pytest.fixture(scope="module")
def tiny():
    inputs = tiny_inputs()
    return inputs, analyse(inputs)


@pytest.fixture(scope="module")
def forty():
    inputs = random_inputs(40, seed=11)
    return inputs, analyse(inputs)


def test_a_wald_interval_crossing_zero_is_truncated_and_footnoted():
    # 21.8 ± 1.96 * 22.7 gives a lower bound of -22.7: printed as 0, marked
    assert fmt_ci(-22.7, 66.3) == f"0.0{TRUNCATED}–66.3"
    assert fmt_ci(12.9, 30.6) == "12.9–30.6"
    t = Table("t", "T", ("", "Median (95 % CI)"), (Row("OS", (f"21.8 ({fmt_ci(-22.7, 66.3)})",)),))
    assert TRUNCATED_NOTE in house_style(t).footnotes
    clean = Table("t", "T", ("", "x"), (Row("OS", ("21.8 (12.9–30.6)",)),))
    assert house_style(clean).footnotes == ()


def test_table3_has_the_any_adverse_event_row_by_worst_grade_over_all_rows(tiny):
    # worst grade over all terms per patient (tests/report/synthetic.tiny_inputs):
    # P1 max(1, 2) = 2; P2 max(3, 1) = 3; P3 4; P4 none; P5 max(2, 2) = 2; P6 1
    t = table3_adverse_events(tiny[1])
    n = tiny[1].adverse_events.n
    assert n == 6
    row = next(r for r in t.rows if r.label.startswith("Any adverse event"))
    assert row.cells == ("1 (16.7)", "2 (33.3)", "1 (16.7)", "1 (16.7)", "5 (83.3)", "2 (33.3)")
    assert "N = 6" in t.columns[0]


def test_category_headings_and_labels_are_words_not_keys(tiny):
    t = table3_adverse_events(tiny[1])
    for r in t.rows:
        assert "_" not in r.label, r.label
        assert r.label[:1].isupper(), r.label


def test_every_published_number_has_a_row_with_its_label_in_words(forty):
    inputs, res = forty
    cs = comparisons(inputs, res)
    items = [c.item for c in cs]
    for item in items:
        assert not re.search(r"_|<=|>=|\b\w+ = [A-Z]\b", item), item
    pub = json.loads(PUBLISHED_JSON.read_text(encoding="utf-8"))
    # every Table 3 cell of the paper: 10 rows x grades 1-4, each as n and as %
    t3 = [c for c in cs if c.section == "Table 3"]
    cells = [(k, g) for k, r in pub["table3"]["rows"].items() for g in "1234"]
    assert len(cells) == 40
    assert len([c for c in t3 if c.item.endswith(", %")]) == 40
    assert len([c for c in t3 if c.item.endswith(", n")]) == 40
    published = {c.published for c in t3 if c.item.endswith(", %")}
    assert {json.dumps(pub["table3"]["rows"][k][f"G{g}"]["pct_reported"]) for k, g in cells} == (
        published
    )
    needed = [
        "Null 12-month PFS rate (p0)",
        "Power",
        "Evaluable patients needed, n",
        "Enrolment start",
        "Data cut-off",
        "OS censored",
        "PFS censored",
        "Pneumonia (n)",
        "Vascular complications (n)",
        "Treatment-related deaths (n)",
        "Hand-foot skin reaction, any grade (%)",
        "OS median, BCLC stage B (SPSS)",
    ]
    for item in needed:
        assert item in items, item
    ss = pub["design"]["sample_size"]
    design = {c.item: c for c in cs if c.section == "Design"}
    assert design["Null 12-month PFS rate (p0)"].published == json.dumps(ss["p0"]["value"])
    # the paper's 60 evaluable: two-sided 0.05, power 0.9, p0 0.3, p1 0.5 -> 59.2 -> 60
    assert design["Evaluable patients needed, n"].reproduced == "60"
    assert design["Evaluable patients needed, n"].match is True
    deaths = next(c for c in cs if c.item == "Treatment-related deaths (n)")
    assert deaths.reproduced == str(res.adverse_events.grade5_patients)


def test_inconsistencies_show_values_computed_now_not_the_audit_text(forty):
    inputs, res = forty
    t = inconsistencies_table(inputs, res)
    assert t.columns[-1] == "Computed now from the records"
    text = " ".join(c for r in t.rows for c in r.cells)
    assert "about 57 months" not in text  # the audit's words about its own synthetic cohort
    os_ep = res.followup
    assert os_ep is not None
    inc28 = next(r for r in t.rows if r.label == "INC-28").cells[-1]
    assert f"simple median {os_ep.followup.simple_median:.1f}" in inc28
    inc19 = next(r for r in t.rows if r.label == "INC-19").cells[-1]
    assert inc19 == "CTCAE v4.03"


def test_afp_median_and_iqr_in_whole_ng_per_ml(tiny):
    from hcctrial.report.tables import table1_baseline

    # AFP of tiny_inputs: 20, 150, 900, (missing), 50, 100 -> sorted 20 50 100 150 900;
    # median 100, quartiles at positions 1 and 3 (linear): 50 and 150
    t = table1_baseline(tiny[0])
    afp_rows = [r for r in t.rows if r.label == "Median (IQR)"]
    assert afp_rows[-1].cells == ("100 (50–150)",)
