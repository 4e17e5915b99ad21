"""The report's dose-intensity table (issue 13, item 11): per drug of the regimen, patients treated,
cycles, cumulative dose (mg/m²) and relative dose intensity, medians (IQR) per patient; epirubicin
against the lifetime limit of the regimen file. Expected values are hand calculations (first two
tests) or computed here from the demo's ``dose_history.csv`` with :mod:`statistics` (last test)."""

from __future__ import annotations

import csv
import html
import re
import statistics

from hcctrial.protocol.regimen import default_regimen
from hcctrial.protocol.schema import Regimen
from hcctrial.report.dose_intensity import dose_intensity_table
from hcctrial.report.tables import Table


def _row(sid: str, drug: str, cycle: int, cum: float, rdi: float) -> dict[str, object]:
    # the fields of dose_history.csv the table reads (the others do not matter to it)
    return {
        "study_id": sid,
        "drug": drug,
        "cycle": cycle,
        "cumulative_mg_m2": cum,
        "relative_dose_intensity": rdi,
    }


#: Six patients analysed; P6 has no cycle (no row). P1's rows out of order: the latest cycle (3)
#: holds its course (cumulative 75, RDI 1.0), not the earlier rows.
ROWS = [
    _row("P1", "epirubicin", 2, 50.0, 0.9),
    _row("P1", "epirubicin", 3, 75.0, 1.0),
    _row("P1", "epirubicin", 1, 25.0, 1.2),
    _row("P2", "epirubicin", 1, 25.0, 1.0),
    _row("P2", "epirubicin", 2, 50.0, 0.8),
    _row("P3", "epirubicin", 1, 25.0, 0.5),
    _row("P4", "epirubicin", 1, 720.0, 0.9),  # exactly 80 % of 900: near the limit
    _row("P5", "epirubicin", 1, 900.0, 1.1),  # exactly the limit: at or above it, not "near"
    _row("P1", "oxaliplatin", 1, 75.0, 1.0),
    _row("P1", "oxaliplatin", 2, 150.0, 1.0),
    _row("P2", "oxaliplatin", 1, 60.0, 0.8),
]


def _cells(t: Table, label_start: str) -> tuple[str, ...]:
    return next(r.cells for r in t.rows if r.label.startswith(label_start))


def test_medians_iqrs_and_counts_by_hand() -> None:
    t = dose_intensity_table(ROWS, default_regimen(), 6)
    assert t.columns[1] == "Patients treated, n (%), N = 6"
    # epirubicin, 5 of 6 patients = 83.3 %. R type-7 quartiles, position (n - 1) p + 1:
    # cycles 1, 1, 1, 2, 3 -> median (pos 3) 1, Q1 (pos 2) 1, Q3 (pos 4) 2;
    # cumulative 25, 50, 75, 720, 900 -> 75, 50, 720; RDI % 50, 80, 90, 100, 110 -> 90, 80, 100
    assert _cells(t, "Epirubicin") == (
        "5 (83.3)",
        "1.0 (1.0–2.0)",
        "75.0 (50.0–720.0)",
        "90.0 (80.0–100.0)",
    )
    assert _cells(t, "At or above the lifetime limit of 900 mg/m²")[0] == "1 (16.7)"
    assert _cells(t, "Near the limit: 80 % of it (720 mg/m²)")[0] == "1 (16.7)"
    # oxaliplatin, P1 (2 cycles, 150) and P2 (1 cycle, 60), 2 of 6 = 33.3 %:
    # cycles 1, 2 -> median 1.5, Q1 1 + 0.25 = 1.25 -> 1.3 (half-up), Q3 1.75 -> 1.8;
    # cumulative 60, 150 -> 105, 60 + 0.25 x 90 = 82.5, 127.5; RDI % 80, 100 -> 90, 85, 95
    assert _cells(t, "Oxaliplatin") == (
        "2 (33.3)",
        "1.5 (1.3–1.8)",
        "105.0 (82.5–127.5)",
        "90.0 (85.0–95.0)",
    )
    # the regimen's drugs in its order, in words; drugs nobody received: 0 and dashes
    tops = [r.label for r in t.rows if r.indent == 0]
    assert tops == [
        "Epirubicin (TACE, intra-arterial)",
        "Oxaliplatin (HAIC, intra-arterial)",
        "Fluorouracil (HAIC, intra-arterial)",
        "Leucovorin (HAIC, intravenous)",
    ]
    assert _cells(t, "Leucovorin") == ("0 (0.0)", "—", "—", "—")
    text = " ".join(t.footnotes)
    assert "Relative dose intensity" in text and "4 weeks" in text
    reg = default_regimen()
    epi = next(d for d in reg.drugs if d.name == "epirubicin")
    assert epi.cumulative_limit_source in text and epi.cumulative_near_source in text
    assert reg.source in text


def test_the_limit_and_near_threshold_are_read_from_the_regimen() -> None:
    reg = default_regimen()
    drugs = [
        d.model_copy(update={"cumulative_limit_mg_m2": 500.0, "cumulative_near_pct": 10.0})
        if d.name == "epirubicin"
        else d
        for d in reg.drugs
    ]
    changed = Regimen.model_validate(reg.model_dump() | {"drugs": [d.model_dump() for d in drugs]})
    t = dose_intensity_table(ROWS, changed, 6)
    # at or above 500: P4 (720) and P5 (900); near (50 <= x < 500): P1 (75), P2 (50)
    assert _cells(t, "At or above the lifetime limit of 500 mg/m²")[0] == "2 (33.3)"
    assert _cells(t, "Near the limit: 10 % of it (50 mg/m²)")[0] == "2 (33.3)"
    assert "500 mg/m²" in " ".join(t.footnotes)
    # a regimen without a limit: no limit rows
    free = Regimen.model_validate(
        reg.model_dump()
        | {
            "drugs": [
                d.model_dump() | {"cumulative_limit_mg_m2": None, "cumulative_near_pct": None}
                for d in reg.drugs
            ]
        }
    )
    assert not [r for r in dose_intensity_table(ROWS, free, 6).rows if r.indent]


def test_a_near_threshold_without_a_limit_is_refused_by_the_regimen_schema() -> None:
    import pytest
    from pydantic import ValidationError

    reg = default_regimen()
    drugs = [d.model_dump() | {"cumulative_limit_mg_m2": None} for d in reg.drugs]
    with pytest.raises(ValidationError, match="cumulative_near_pct needs cumulative_limit_mg_m2"):
        Regimen.model_validate(reg.model_dump() | {"drugs": drugs})


def _type7(values: list[float]) -> tuple[float, float, float]:
    """(median, Q1, Q3) by the statistics module's "inclusive" method (R type 7)."""
    q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return med, q1, q3


def _fmt(x: float) -> str:
    # half-up to one decimal, by hand (not the report's formatter)
    return f"{int(x * 10 + 0.5 + 1e-9) / 10:.1f}"


def _cell(values: list[float]) -> str:
    med, q1, q3 = _type7(values)
    return f"{_fmt(med)} ({_fmt(q1)}–{_fmt(q3)})"


def test_the_demo_report_has_the_table_in_html_and_word_from_dose_history_csv() -> None:
    from docx import Document

    from tests.demo.demo_run import demo_output

    out, _ = demo_output()
    with (out / "dose_history.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    n = sum(1 for _ in (out / "subjects.csv").open(encoding="utf-8")) - 1
    page = (out / "report" / "report.html").read_text(encoding="utf-8")
    m = re.search(r'<table id="dose_intensity".*?</table>', page, re.S)
    assert m, "no dose-intensity table in the HTML report"
    html_rows = [
        [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(0), re.S)
    ]
    word = Document(str(out / "report" / "report.docx"))
    wt = next(t for t in word.tables if t.rows[0].cells[0].text == "Drug")
    word_rows = [[c.text for c in r.cells] for r in wt.rows[1:]]
    for drug in ("epirubicin", "oxaliplatin", "fluorouracil", "leucovorin"):
        latest: dict[str, dict[str, str]] = {}
        count: dict[str, int] = {}
        for r in rows:
            if r["drug"] == drug:
                count[r["study_id"]] = count.get(r["study_id"], 0) + 1
                if r["study_id"] not in latest or int(r["cycle"]) > int(
                    latest[r["study_id"]]["cycle"]
                ):
                    latest[r["study_id"]] = r
        k = len(latest)
        expected = [
            f"{k} ({_fmt(100 * k / n)})",
            _cell([float(c) for c in count.values()]),
            _cell([float(r["cumulative_mg_m2"]) for r in latest.values()]),
            _cell([100 * float(r["relative_dose_intensity"]) for r in latest.values()]),
        ]
        in_html = next(r for r in html_rows if r and r[0].lower().startswith(drug))
        in_word = next(r for r in word_rows if r[0].lower().startswith(drug))
        assert in_html[1:] == expected, drug
        assert in_word[1:] == expected, drug
    over = len(
        {
            r["study_id"]
            for r in rows
            if r["drug"] == "epirubicin" and float(r["cumulative_mg_m2"]) >= 900.0
        }
    )
    limit_row = next(r for r in word_rows if r[0].startswith("At or above the lifetime limit"))
    assert limit_row[1].startswith(f"{over} (")
