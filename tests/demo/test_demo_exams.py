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
