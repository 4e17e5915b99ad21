"""Dose history (issue 13 item 11): cumulative dose per drug (epirubicin against its lifetime
limit in mg/m²) and relative dose intensity over time, worked by hand.

RDI (Hryniuk; Longo et al., J Clin Oncol 1991) = delivered mg/m² per week / planned mg/m² per
week; weeks elapsed = (day 1 of this cycle - day 1 of cycle 1) / 7 + the planned cycle length
(the regimen's cycle.min_weeks = 4: "a 4- to 6-wk cycle regimen").
"""

from __future__ import annotations

from datetime import date

import pytest

from hcctrial.protocol.dose_history import CycleDoses, dose_history, dose_history_of_record
from hcctrial.protocol.regimen import default_regimen
from tests.protocol.test_course import cycle, labs, record

REG = default_regimen()
D = date.fromisoformat


def test_cumulative_dose_and_rdi_by_hand() -> None:
    # BSA 1.8 m²; oxaliplatin full dose 1.8 x 75 = 135 mg. Cycle 1 on time at full dose; cycle 2
    # six weeks later at level -1 (108 mg = 60 mg/m²).
    full = {"oxaliplatin": 135.0, "epirubicin": 40.0}
    cycles = [
        CycleDoses(1, D("2026-01-12"), 1.8, {"oxaliplatin": 135.0, "epirubicin": 40.0}, full),
        CycleDoses(2, D("2026-02-23"), 1.8, {"oxaliplatin": 108.0, "epirubicin": 40.0}, full),
    ]
    rows = {(r.drug, r.cycle): r for r in dose_history(cycles, REG)}
    ox1, ox2 = rows[("oxaliplatin", 1)], rows[("oxaliplatin", 2)]
    # cycle 1: 75 mg/m² over 4 weeks = 18.75/week, planned 75 / (1 x 4) = 18.75 -> RDI 1
    assert (ox1.cumulative_mg_m2, ox1.delivered_mg_m2_per_week, ox1.relative_dose_intensity) == (
        75.0,
        18.75,
        1.0,
    )
    # cycle 2: 75 + 60 = 135 mg/m² over 6 + 4 = 10 weeks = 13.5/week; planned 150 / 8 = 18.75
    # -> RDI 13.5 / 18.75 = 0.72
    assert (ox2.cumulative_mg, ox2.cumulative_mg_m2) == (243.0, 135.0)
    assert (ox2.delivered_mg_m2_per_week, ox2.planned_mg_m2_per_week) == (13.5, 18.75)
    assert ox2.relative_dose_intensity == 0.72
    # epirubicin 40 mg / 1.8 m² = 22.2222 mg/m² per cycle; 44.4444 of the 900 mg/m² limit
    epi = rows[("epirubicin", 2)]
    assert epi.limit_mg_m2 == 900.0
    assert epi.cumulative_mg_m2 == pytest.approx(44.4444, abs=1e-4)
    assert epi.fraction_of_limit == pytest.approx(44.4444 / 900, abs=1e-4)
    assert ox2.limit_mg_m2 is None


def test_dose_history_of_a_course_record() -> None:
    # BSA 1.8 m² (bsa_m2), Child-Pugh A5 from the pre-cycle labs; cycle 2 recorded at level -1
    # without doses: counted at the level -1 dose (135 x 0.8 = 108 mg), and the row says so
    rec = record(
        cycles=[
            dict(cycle(1, "2026-01-12"), doses_mg={"oxaliplatin": 135, "fluorouracil": 2700}),
            cycle(2, "2026-02-09", haic=-1),
        ],
        labs=labs("2026-01-09") + labs("2026-02-06"),
    )
    rows = {(r.drug, r.cycle): r for r in dose_history_of_record(rec, REG)}
    ox2 = rows[("oxaliplatin", 2)]
    assert ox2.given_mg == 108.0 and ox2.cumulative_mg == 243.0
    assert any("not recorded" in n for n in ox2.notes)
    # 135 mg/m² over 4 + 4 = 8 weeks = 16.875/week vs 18.75 -> 0.9
    assert ox2.relative_dose_intensity == 0.9
    assert rows[("fluorouracil", 1)].given_mg_m2 == 1500.0  # 2700 / 1.8


def test_sorafenib_cumulative_dose_and_rdi() -> None:
    # from 2026-01-05: 200 mg bid (400 mg/day) for 14 days (01-05..01-18), then 400 mg bid (800)
    # from 01-19 to 01-28 (10 days), paused 01-29..01-31 (3 days): 14 x 400 + 10 x 800 = 13 600 mg
    # over 27 days; full dose 27 x 800 = 21 600 mg -> RDI 13600 / 21600 = 0.6296
    from hcctrial.protocol.dose_history import sorafenib_history

    rec = record(
        cycles=[],
        labs=labs("2026-01-09"),
        sorafenib_changes=[
            {"date": "2026-01-19", "level": 0},
            {"date": "2026-01-29", "level": "paused"},
        ],
    )
    h = sorafenib_history(rec, REG, D("2026-01-31"))
    assert h is not None
    assert (h.days, h.cumulative_mg, h.full_dose_mg) == (27, 13600.0, 21600.0)
    assert h.relative_dose_intensity == round(13600 / 21600, 4)
