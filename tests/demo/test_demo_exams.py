"""The demo trial records the pre-cycle examination the course engine reads before each cycle
(issue 13, item 5): one examination the day before every cycle, with the patient's baseline ECOG
and weight (the paper reports no change of either during treatment)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def test_every_demo_cycle_has_its_examination_the_day_before(demo_database: Path) -> None:
    con = sqlite3.connect(demo_database)
    try:
        n_cycles = con.execute("SELECT count(*) FROM treatment_cycles").fetchone()[0]
        rows = con.execute(
            "SELECT count(*) FROM treatment_cycles c "
            "JOIN cycle_exams e ON e.patient_id = c.patient_id "
            "AND e.exam_date = date(c.cycle_date, '-1 day') "
            "JOIN baselines b ON b.patient_id = c.patient_id "
            "WHERE e.ecog = b.ecog AND e.weight_kg = b.weight_kg"
        ).fetchone()[0]
        n_exams = con.execute("SELECT count(*) FROM cycle_exams").fetchone()[0]
    finally:
        con.close()
    assert n_cycles > 0
    assert rows == n_cycles == n_exams


def test_the_demo_writes_the_dose_history_dataset_from_the_raw_doses(demo_database: Path) -> None:
    """``dose_history.csv`` beside ``subjects.csv``: per patient and drug, the last cumulative dose
    is the sum of the doses given in ``cycle_doses`` (summed here in SQL), and epirubicin's
    cumulative mg/m² is that sum over the BSA -- Mosteller sqrt(height x weight / 3600) rounded to
    0.01 m², the weight unchanged at every examination of the demo."""
    import csv
    import math

    with (demo_database.parent / "dose_history.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    last: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        key = (r["study_id"], r["drug"])
        if key not in last or int(r["cycle"]) > int(last[key]["cycle"]):
            last[key] = r
    con = sqlite3.connect(demo_database)
    try:
        sums = con.execute(
            "SELECT p.study_id, d.drug, sum(d.given_mg), b.height_cm, b.weight_kg "
            "FROM cycle_doses d JOIN treatment_cycles c ON c.id = d.cycle_id "
            "JOIN patients p ON p.id = c.patient_id JOIN baselines b ON b.patient_id = p.id "
            "WHERE d.drug IN ('epirubicin', 'oxaliplatin') GROUP BY p.study_id, d.drug"
        ).fetchall()
    finally:
        con.close()
    assert len(sums) > 100
    for study_id, drug, total, height, weight in sums:
        row = last[(study_id, drug)]
        assert float(row["cumulative_mg"]) == round(total, 4), (study_id, drug)
        if drug == "epirubicin":
            bsa = round(math.sqrt(height * weight / 3600), 2)
            assert abs(float(row["cumulative_mg_m2"]) - total / bsa) < 1e-3, (study_id, bsa)
            assert float(row["limit_mg_m2"]) == 900.0


#: The regimen's pre-cycle labs and window, as the regimen file states them
#: (sorafenib_tace_haic_folfox.toml, [pre_cycle]: "laboratory tests [...] were performed before
#: each cycle of therapy"; within 7 days before day 1 and after the last cycle).
PRE_CYCLE_LABS = ("anc", "platelets", "alt", "ast", "bilirubin", "albumin", "inr", "creatinine")
WINDOW_DAYS = 7


def test_every_demo_cycle_has_the_pre_cycle_labs_in_the_window(demo_database: Path) -> None:
    """Before every cycle of the demo each required analyte has a value dated within the window
    (at most 7 days before the cycle, on the cycle day at the latest, after the previous cycle),
    so the course engine does not hold the demo's cycles for labs it requires (fail closed)."""
    from datetime import date, timedelta

    con = sqlite3.connect(demo_database)
    try:
        cycles = con.execute(
            "SELECT patient_id, cycle_date FROM treatment_cycles ORDER BY patient_id, cycle_date"
        ).fetchall()
        labs = con.execute("SELECT patient_id, sample_date, analyte FROM lab_results").fetchall()
    finally:
        con.close()
    by_patient: dict[int, list[tuple[date, str]]] = {}
    for pid, day, analyte in labs:
        by_patient.setdefault(pid, []).append((date.fromisoformat(day), analyte))
    missing = []
    previous: dict[int, date] = {}
    for pid, cday in cycles:
        on = date.fromisoformat(cday)
        start, last = on - timedelta(days=WINDOW_DAYS), previous.get(pid)
        found = {
            a
            for d, a in by_patient.get(pid, [])
            if start <= d <= on and (last is None or d > last)
        }
        missing += [(pid, cday, a) for a in PRE_CYCLE_LABS if a not in found]
        previous[pid] = on
    assert len(cycles) > 300
    assert missing == []
