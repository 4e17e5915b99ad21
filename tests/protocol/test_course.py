"""The course engine, one case per protocol rule (hcctrial.protocol.course.next_step).

Every expected value is worked by hand from the regimen's words, written out in the case:
- Doses (seed regimen, BSA 1.8 m², Child-Pugh A): oxaliplatin 1.8 x 75 mg/m² = 135 mg,
  5-FU 1.8 x 1.5 g/m² = 2700 mg, leucovorin 1.8 x 200 mg/m² = 360 mg, epirubicin fixed 40 mg.
  HAIC level -1 = 80 % (regimen file): oxaliplatin 135 x 0.8 = 108 mg, 5-FU 2700 x 0.8 = 2160 mg;
  level -2 = 60 %: 81 mg and 1620 mg. Child-Pugh B: oxaliplatin 1.8 x 60 = 108 mg,
  5-FU 1.8 x 1.0 g = 1800 mg.
- Sorafenib (Methods): start 200 mg bid = 400 mg/day, level 0 = 400 mg bid = 800 mg/day,
  reduced 600 mg/day (-1) and 400 mg/day (-2).
- Calendar: next cycle 4-6 weeks after the previous; imaging after every 2nd cycle; every 3
  months in maintenance; AFP every 3 months after CR.
- CTCAE v4.03: neutrophils < 1.0-0.5 x10^9/L = grade 3, < 1.5-1.0 = grade 2.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from hcctrial.errors import DataValidationError, HcctrialError
from hcctrial.protocol.course import CourseAction, HaicStep, SorafenibStep, next_step
from hcctrial.protocol.regimen import default_regimen, load_regimen

REG = default_regimen()


def labs(
    day: str,
    anc: float = 3.0,
    platelets: float = 150.0,
    bili: float = 1.0,
    albumin: float = 4.0,
    inr: float = 1.1,
    alt: float = 30.0,
    ast: float = 32.0,
) -> list[dict[str, Any]]:
    """A full pre-cycle panel (the regimen's [pre_cycle] labs, each with its limit of normal):
    with these defaults every value is CTCAE grade 0 and Child-Pugh 1+1+1+1+1 = A5."""
    return [
        {"date": day, "analyte": "anc", "value": anc, "unit": "10^9/L", "lln": 1.8, "uln": 7.5},
        {
            "date": day,
            "analyte": "platelets",
            "value": platelets,
            "unit": "10^9/L",
            "lln": 100,
            "uln": 300,
        },
        {"date": day, "analyte": "bilirubin", "value": bili, "unit": "mg/dL", "uln": 1.2},
        {"date": day, "analyte": "albumin", "value": albumin, "unit": "g/dL", "lln": 3.5},
        {"date": day, "analyte": "inr", "value": inr, "uln": 1.2},
        {"date": day, "analyte": "alt", "value": alt, "unit": "U/L", "uln": 40},
        {"date": day, "analyte": "ast", "value": ast, "unit": "U/L", "uln": 40},
        {"date": day, "analyte": "creatinine", "value": 0.9, "unit": "mg/dL", "uln": 1.2},
    ]


def exams_for(
    lab_list: list[dict[str, Any]], ecog: int = 0, weight: float = 65.0
) -> list[dict[str, Any]]:
    """A pre-cycle examination (ECOG, weight) on every date that has labs."""
    days = sorted({x["date"] for x in lab_list})
    return [{"date": d, "ecog": ecog, "weight_kg": weight} for d in days]


def cycle(n: int, day: str, haic: int = 0, sor: int | str | None = 0) -> dict[str, Any]:
    return {"cycle": n, "date": day, "haic_level": haic, "sorafenib_level": sor}


def record(**over: Any) -> dict[str, Any]:
    """Patient on sorafenib since 2026-01-05; cycle 1 on 2026-01-12 (level 0, sorafenib full)."""
    rec: dict[str, Any] = {
        "patient_id": "T1",
        "treatment_start": "2026-01-05",
        "patient": {"bsa_m2": 1.8, "ascites": "none", "encephalopathy": "none"},
        "cycles": [cycle(1, "2026-01-12")],
        "labs": labs("2026-01-09") + labs("2026-02-06"),
    }
    rec.update(over)
    rec.setdefault("exams", exams_for(rec["labs"]))
    return rec


def hfsr(grade: int, onset: str, resolution: str | None = None) -> dict[str, Any]:
    return {
        "term": "Palmar-plantar erythrodysesthesia syndrome",
        "grade": grade,
        "onset": onset,
        "resolution": resolution,
    }


def dose(decision: Any, drug: str) -> float:
    return decision.dose_sheet.drug(drug).dose_mg


D = date.fromisoformat

# ----------------------------------------------------------------------------------------------
# give / delay / reduce TACE-HAIC
# ----------------------------------------------------------------------------------------------


def test_first_cycle_full_dose_and_start_dose_of_sorafenib() -> None:
    # no cycle yet, screening labs adequate; sorafenib started 7 days ago (< 14 days: no escalation)
    rec = record(cycles=[], labs=labs("2026-01-09"))
    d = next_step(rec, REG, today=D("2026-01-12"))
    assert (d.action, d.haic, d.cycle_number, d.haic_level) == (
        CourseAction.GIVE_CYCLE,
        HaicStep.GIVE,
        1,
        0,
    )
    assert dose(d, "oxaliplatin") == 135.0  # 1.8 x 75
    assert dose(d, "fluorouracil") == 2700.0  # 1.8 x 1500
    assert dose(d, "leucovorin") == 360.0  # 1.8 x 200
    assert dose(d, "epirubicin") == 40.0  # fixed (Figure 2 note)
    assert d.child_pugh == "A5"
    assert (d.sorafenib, d.sorafenib_level, d.sorafenib_daily_mg) == (
        SorafenibStep.CONTINUE,
        "start",
        400.0,
    )  # 200 mg bid
    assert d.due_date is None  # cycle 1: no rule dates it (sorafenib is started "before")
    assert d.next_afp_date is None  # AFP of the screening labs serves cycle 1
    # imaging after cycle 2: cycle 1 today + 4 weeks (cycle 2) + 4 weeks = 2026-03-09
    assert d.next_imaging_date == D("2026-03-09")


def test_give_cycle_2_in_the_4_to_6_week_window() -> None:
    d = next_step(record(), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.GIVE_CYCLE and d.cycle_number == 2
    # 2026-01-12 + 4 weeks = 2026-02-09, + 6 weeks = 2026-02-23
    assert (d.due_date, d.due_latest) == (D("2026-02-09"), D("2026-02-23"))
    assert dose(d, "oxaliplatin") == 135.0
    # imaging follows cycle 2: cycle 2 on its due day 2026-02-09 + 4 weeks = 2026-03-09
    assert d.next_imaging_date == D("2026-03-09")
    # AFP is part of the pre-cycle labs: due with the cycle
    assert d.next_afp_date == D("2026-02-09")
    assert d.overdue == ()


def test_delay_when_pre_cycle_neutrophils_below_1_5() -> None:
    # ANC 1.2 (grade 2: no reduction) fails the day-1 threshold ANC >= 1.5 x10^9/L
    rec = record(labs=labs("2026-01-09") + labs("2026-02-06", anc=1.2))
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.action is CourseAction.DELAY_CYCLE and d.haic is HaicStep.DELAY
    assert d.cycle_number == 2 and d.dose_sheet is None
    assert d.recheck_date == D("2026-02-16")  # + delay_recheck_days 7
    assert any(r.rule == "pre_cycle_anc" and "1.2" in r.finding for r in d.reasons)


def test_delay_when_pre_cycle_platelets_below_75() -> None:
    rec = record(labs=labs("2026-01-09") + labs("2026-02-06", platelets=60))
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.action is CourseAction.DELAY_CYCLE
    assert any(r.rule == "pre_cycle_platelets" for r in d.reasons)


def test_delay_when_no_pre_cycle_labs_since_the_last_cycle() -> None:
    # labs before each cycle (paper): only the labs of 2026-01-09, before cycle 1
    d = next_step(record(labs=labs("2026-01-09")), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.DELAY_CYCLE
    # [pre_cycle] window_days = 7: 2026-02-02..2026-02-09, after cycle 1 on 2026-01-12
    assert any(
        r.rule == "pre_cycle_anc"
        and "no anc recorded between 2026-02-02 and 2026-02-09 (after the last cycle on 2026-01-12)"
        in r.finding
        for r in d.reasons
    )


def test_reduce_oxaliplatin_and_5fu_after_grade_3_neutropenia() -> None:
    # nadir ANC 0.8 on 2026-01-26 = grade 3 (< 1.0-0.5); recovered to 2.0 (grade 0-1) by day 1
    nadir = [{"date": "2026-01-26", "analyte": "anc", "value": 0.8, "unit": "10^9/L", "lln": 1.8}]
    rec = record(labs=labs("2026-01-09") + nadir + labs("2026-02-06", anc=2.0))
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.action is CourseAction.GIVE_CYCLE_REDUCED and d.haic_level == -1
    assert dose(d, "oxaliplatin") == 108.0  # 135 x 0.8
    assert dose(d, "fluorouracil") == 2160.0  # 2700 x 0.8
    assert dose(d, "leucovorin") == 360.0  # not reducible
    assert d.reasons[0].rule == "myelosuppression_grade_3_4"
    assert "grade 3-4 myelosuppression" in d.reasons[0].quote  # the paper's words


def test_reduce_after_grade_3_thrombocytopenia() -> None:
    # platelets 40 x10^9/L = grade 3 (< 50-25); back to 150 by day 1
    nadir = [
        {"date": "2026-01-26", "analyte": "platelets", "value": 40, "unit": "10^9/L", "lln": 100}
    ]
    rec = record(labs=labs("2026-01-09") + nadir + labs("2026-02-06"))
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.action is CourseAction.GIVE_CYCLE_REDUCED and d.haic_level == -1


def test_delay_until_grade_3_neutropenia_recovers_to_grade_1() -> None:
    # latest ANC 0.9 still grade 3 (> resume grade 1)
    rec = record(labs=labs("2026-01-09") + labs("2026-02-06", anc=0.9))
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.action is CourseAction.DELAY_CYCLE and d.haic_level == -1
    assert any(
        r.rule == "myelosuppression_grade_3_4" and "not yet back" in r.finding for r in d.reasons
    )


def test_reduction_persists_across_cycles() -> None:
    rec = record(
        cycles=[cycle(1, "2026-01-12"), cycle(2, "2026-02-09", haic=-1)],
        labs=labs("2026-01-09") + labs("2026-03-06"),
    )
    d = next_step(rec, REG, today=D("2026-03-09"))
    assert d.action is CourseAction.GIVE_CYCLE and d.cycle_number == 3 and d.haic_level == -1
    assert dose(d, "oxaliplatin") == 108.0
    assert any(r.rule == "reduction_persists" for r in d.reasons)


def test_second_reduction_goes_to_level_minus_2() -> None:
    nadir = [{"date": "2026-02-20", "analyte": "anc", "value": 0.7, "unit": "10^9/L"}]
    rec = record(
        cycles=[cycle(1, "2026-01-12"), cycle(2, "2026-02-09", haic=-1)],
        labs=labs("2026-01-09") + nadir + labs("2026-03-06"),
    )
    d = next_step(rec, REG, today=D("2026-03-09"))
    assert d.haic_level == -2
    assert dose(d, "oxaliplatin") == 81.0  # 135 x 0.6
    assert dose(d, "fluorouracil") == 1620.0  # 2700 x 0.6


def test_intolerable_toxicity_at_lowest_level_stops_all() -> None:
    # grade 3 neutropenia recurring after a cycle given at the lowest level (-2)
    cycles = [
        cycle(1, "2026-01-12"),
        cycle(2, "2026-02-09", haic=-1),
        cycle(3, "2026-03-09", haic=-2),
    ]
    nadir = [{"date": "2026-03-20", "analyte": "anc", "value": 0.8, "unit": "10^9/L"}]
    rec = record(cycles=cycles, labs=labs("2026-01-09") + nadir + labs("2026-04-03"))
    d = next_step(rec, REG, today=D("2026-04-06"))
    assert d.action is CourseAction.STOP_ALL
    assert d.reasons[0].rule == "intolerable_after_reduction"
    assert "could not tolerate" in d.reasons[0].quote
    assert d.dose_sheet is None and d.next_imaging_date is None


def test_grade_4_neuropathy_discontinues_haic_sorafenib_goes_on() -> None:
    ae = {"term": "Peripheral sensory neuropathy", "grade": 4, "onset": "2026-01-30"}
    rec = record(adverse_events=[ae])
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.action is CourseAction.STOP_HAIC_CONTINUE_SORAFENIB
    assert d.reasons[0].rule == "neuropathy_grade_4"


def test_child_pugh_b_from_latest_labs_gives_class_b_doses() -> None:
    # bilirubin 2.5 mg/dL (2 points) + albumin 3.2 g/dL (2) + INR 1.1 (1) + none + none = 7: B7
    rec = record(labs=labs("2026-01-09") + labs("2026-02-06", bili=2.5, albumin=3.2))
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.child_pugh == "B7"
    assert dose(d, "oxaliplatin") == 108.0  # 1.8 x 60
    assert dose(d, "fluorouracil") == 1800.0  # 1.8 x 1000


def test_child_pugh_c_delays_the_cycle() -> None:
    # bilirubin 3.5 (3) + albumin 2.5 (3) + INR 1.1 (1) + slight ascites (2) + none (1) = 10: C
    exam = [{"date": "2026-02-06", "ascites": "slight", "encephalopathy": "none"}]
    rec = record(
        labs=labs("2026-01-09") + labs("2026-02-06", bili=3.5, albumin=2.5), liver_exams=exam
    )
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.action is CourseAction.DELAY_CYCLE and d.child_pugh == "C10"


def test_delay_beyond_max_delay_stops_haic() -> None:
    # latest due day 2026-02-23 + max_delay_days 14 = 2026-03-09; still ANC 1.2 on 2026-03-10
    rec = record(labs=labs("2026-01-09") + labs("2026-03-09", anc=1.2))
    d = next_step(rec, REG, today=D("2026-03-10"))
    assert d.action is CourseAction.STOP_HAIC_CONTINUE_SORAFENIB
    assert any(r.rule == "max_delay" for r in d.reasons)


def test_overdue_cycle_when_today_is_past_the_window() -> None:
    rec = record(labs=labs("2026-01-09") + labs("2026-02-24"))
    d = next_step(rec, REG, today=D("2026-02-25"))
    assert d.action is CourseAction.GIVE_CYCLE
    # latest due day 2026-02-23: 2 days overdue; no AFP since cycle 1, due with cycle 2 from
    # 2026-02-09: 16 days overdue
    assert [(o.item, o.due_date, o.days_overdue) for o in d.overdue] == [
        ("cycle 2", D("2026-02-23"), 2),
        ("AFP", D("2026-02-09"), 16),
    ]


def test_afp_measured_since_last_cycle_is_next_due_with_the_cycle_after() -> None:
    afp = [{"date": "2026-02-06", "analyte": "afp", "value": 100, "unit": "ng/mL"}]
    d = next_step(
        record(labs=labs("2026-01-09") + labs("2026-02-06") + afp), REG, today=D("2026-02-09")
    )
    assert d.next_afp_date == D("2026-03-09")  # cycle 2 due 2026-02-09 + 4 weeks


# ----------------------------------------------------------------------------------------------
# sorafenib
# ----------------------------------------------------------------------------------------------


def test_escalate_sorafenib_from_200_bid_to_400_bid_when_tolerated() -> None:
    # on the start dose since 2026-01-05: 35 days >= 14 and no adverse event ongoing
    rec = record(cycles=[cycle(1, "2026-01-12", sor="start")])
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.sorafenib is SorafenibStep.ESCALATE and d.action is CourseAction.GIVE_CYCLE
    assert (d.sorafenib_level, d.sorafenib_daily_mg) == (0, 800.0)
    assert d.dose_sheet.drug("sorafenib").dose_mg == 800.0


def test_no_escalation_with_ongoing_hfsr_grade_2() -> None:
    rec = record(
        cycles=[cycle(1, "2026-01-12", sor="start")], adverse_events=[hfsr(2, "2026-02-05")]
    )
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.sorafenib is SorafenibStep.CONTINUE and d.sorafenib_level == "start"


def test_no_escalation_while_a_grade_3_toxicity_of_the_haic_drugs_holds_the_cycle() -> None:
    # platelets 40 x10^9/L on 2026-02-06 (LLN 100): CTCAE v4.03 grade 3 (<50 - 25 x10^9/L); the
    # myelosuppression rule blames oxaliplatin and 5-FU only, and holds cycle 2 -- yet 35 days on
    # the starting dose (>= 14) would escalate sorafenib: the fail-safe keeps the starting dose
    rec = record(
        cycles=[cycle(1, "2026-01-12", sor="start")],
        labs=labs("2026-01-09") + labs("2026-02-06", platelets=40.0),
    )
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.haic is HaicStep.DELAY
    assert d.sorafenib is SorafenibStep.CONTINUE and d.sorafenib_level == "start"
    (why,) = [r for r in d.reasons if r.rule == "sorafenib_no_escalation"]
    assert "Platelet count decreased grade 3" in why.finding
    # back to grade 1 or better (platelets 90: grade 1, >= 75) -> escalated as usual
    rec["labs"] += labs("2026-02-08", platelets=90.0)
    rec["exams"] = exams_for(rec["labs"])
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.sorafenib is SorafenibStep.ESCALATE and d.sorafenib_daily_mg == 800.0


def test_an_unrelated_grade_2_event_does_not_stop_the_escalation() -> None:
    # nausea grade 2 attributed by the investigator to TACE-HAIC only (so not a sorafenib
    # toxicity), below the cycle-holding grade 3: the escalation goes ahead as before
    ae = {
        "term": "Nausea",
        "grade": 2,
        "onset": "2026-02-05",
        "resolution": None,
        "attributed_to": ["tace_haic"],
    }
    rec = record(cycles=[cycle(1, "2026-01-12", sor="start")], adverse_events=[ae])
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.sorafenib is SorafenibStep.ESCALATE


def test_hfsr_grade_1_continue() -> None:
    d = next_step(record(adverse_events=[hfsr(1, "2026-01-20")]), REG, today=D("2026-02-09"))
    assert d.sorafenib is SorafenibStep.CONTINUE and d.sorafenib_level == 0
    assert d.action is CourseAction.GIVE_CYCLE


def test_hfsr_grade_2_first_occurrence_continue_within_7_days() -> None:
    # onset 2026-02-04, today 2026-02-09: 5 days < 7
    d = next_step(record(adverse_events=[hfsr(2, "2026-02-04")]), REG, today=D("2026-02-09"))
    assert d.sorafenib is SorafenibStep.CONTINUE and d.action is CourseAction.GIVE_CYCLE


def test_hfsr_grade_2_no_improvement_in_7_days_pause() -> None:
    # onset 2026-02-01, still ongoing on 2026-02-09: 8 days >= 7
    d = next_step(record(adverse_events=[hfsr(2, "2026-02-01")]), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.PAUSE_SORAFENIB and d.sorafenib is SorafenibStep.PAUSE
    # the TACE-HAIC cycle still goes ahead, without sorafenib on the sheet
    assert d.haic is HaicStep.GIVE
    assert [x.name for x in d.dose_sheet.drugs if x.name == "sorafenib"] == []


def test_hfsr_grade_2_second_occurrence_pause() -> None:
    aes = [hfsr(2, "2026-01-15", "2026-01-18"), hfsr(2, "2026-02-07")]
    d = next_step(record(adverse_events=aes), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.PAUSE_SORAFENIB


def test_hfsr_grade_3_ongoing_pauses_sorafenib_and_holds_the_cycle() -> None:
    # rule hfsr_grade_3_first_second (sorafenib label: "interrupt until grade 0-1, resume one
    # level lower") pauses sorafenib; hold_cycle_while_grade_at_least = 3 ("treatment was
    # suspended") holds TACE-HAIC while a grade 3 toxicity is unresolved
    d = next_step(record(adverse_events=[hfsr(3, "2026-02-05")]), REG, today=D("2026-02-09"))
    assert d.sorafenib is SorafenibStep.PAUSE and d.haic is HaicStep.DELAY
    assert d.action is CourseAction.DELAY_CYCLE and d.dose_sheet is None
    rules = {r.rule for r in d.reasons}
    assert {"sorafenib_interrupt", "unresolved_grade_3_toxicity"} <= rules


def test_hfsr_grade_3_resolved_reduce_one_level() -> None:
    # resolved to grade 0-1: resume one level lower, 800 -> 600 mg/day
    aes = [hfsr(3, "2026-01-25", "2026-02-05")]
    d = next_step(record(adverse_events=aes), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.REDUCE_SORAFENIB
    assert (d.sorafenib_level, d.sorafenib_daily_mg) == (-1, 600.0)
    assert d.dose_sheet.drug("sorafenib").dose_mg == 600.0


def test_hfsr_reduction_done_once_recorded() -> None:
    aes = [hfsr(3, "2026-01-25", "2026-02-05")]
    change = [{"date": "2026-02-05", "level": -1}]
    d = next_step(record(adverse_events=aes, sorafenib_changes=change), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.GIVE_CYCLE
    assert (d.sorafenib, d.sorafenib_level) == (SorafenibStep.CONTINUE, -1)


def test_hfsr_grade_3_third_occurrence_after_reductions_stops_all() -> None:
    aes = [
        hfsr(3, "2026-01-15", "2026-01-20"),
        hfsr(3, "2026-01-25", "2026-01-30"),
        hfsr(3, "2026-02-05"),
    ]
    changes = [{"date": "2026-01-20", "level": -1}, {"date": "2026-01-30", "level": -2}]
    d = next_step(record(adverse_events=aes, sorafenib_changes=changes), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.STOP_ALL
    assert d.reasons[0].rule == "intolerable_after_reduction"


def test_diarrhea_grade_3_ongoing_holds_5fu_and_sorafenib() -> None:
    # rule diarrhea_grade_3_4: "5-FU and sorafenib both cause diarrhoea: hold both until grade
    # <= 1, resume one level lower" (hcctrial default; paper silent)
    g3 = {"term": "Diarrhea", "grade": 3, "onset": "2026-02-05"}
    d = next_step(record(adverse_events=[g3]), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.DELAY_CYCLE and d.sorafenib is SorafenibStep.PAUSE
    assert any(r.rule == "diarrhea_grade_3_4" for r in d.reasons)


def test_diarrhea_grade_3_resolved_resumes_one_level_lower() -> None:
    # resolved since the last cycle: HAIC level 0 -> -1 (80 %: oxaliplatin 108 mg, 5-FU 2160 mg)
    # and sorafenib one level lower (800 -> 600 mg/day)
    g3 = {"term": "Diarrhea", "grade": 3, "onset": "2026-02-01", "resolution": "2026-02-05"}
    d = next_step(record(adverse_events=[g3]), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.GIVE_CYCLE_REDUCED and d.haic_level == -1
    assert dose(d, "oxaliplatin") == 108.0 and dose(d, "fluorouracil") == 2160.0
    assert d.sorafenib is SorafenibStep.REDUCE and d.sorafenib_daily_mg == 600.0


def test_any_other_grade_4_toxicity_holds_every_drug() -> None:
    # rule any_other_non_haematological_grade_3_4 ("treatment was suspended, and the drug dose was
    # adjusted"): Fatigue grade 4 (not named by any row) holds every drug until grade <= 1
    g4 = {"term": "Fatigue", "grade": 3, "onset": "2026-02-05"}
    d = next_step(record(adverse_events=[g4]), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.DELAY_CYCLE and d.sorafenib is SorafenibStep.PAUSE
    assert any(r.rule == "any_other_non_haematological_grade_3_4" for r in d.reasons)


# ----------------------------------------------------------------------------------------------
# response-driven rules and stopping
# ----------------------------------------------------------------------------------------------


def test_cr_stops_tace_haic_once_confirmed_sorafenib_continues_afp_every_3_months() -> None:
    # "If the patients demonstrated stable conditions with a CR, sorafenib was continued, and
    # TACE-HAIC treatment was stopped": read as a CR confirmed >= 4 weeks later (cr_reading)
    cycles = [cycle(1, "2026-01-12"), cycle(2, "2026-02-09"), cycle(3, "2026-03-10")]
    resp = [{"date": "2026-03-09", "response": "CR"}, {"date": "2026-04-07", "response": "CR"}]
    afp = [{"date": "2026-04-06", "analyte": "afp", "value": 8, "unit": "ng/mL"}]
    rec = record(cycles=cycles, responses=resp, labs=labs("2026-01-09") + labs("2026-04-06") + afp)
    d = next_step(rec, REG, today=D("2026-04-08"))
    assert d.action is CourseAction.STOP_HAIC_CONTINUE_SORAFENIB and d.cycle_number is None
    # AFP last on 2026-04-07 (the confirming CR, later than the lab of 04-06) + 3 months
    assert d.next_afp_date == D("2026-07-07")
    assert d.next_imaging_date == D("2026-07-07")  # imaging 2026-04-07 + 3 months
    why = next(r for r in d.reasons if r.rule == "cr_stops_tace_haic")
    assert why.interpretation and why.alternative == "stop TACE-HAIC at the first CR scan"


def test_single_cr_scan_does_not_stop_tace_haic_and_says_it_chose() -> None:
    cycles = [cycle(1, "2026-01-12"), cycle(2, "2026-02-09")]
    resp = [{"date": "2026-03-06", "response": "CR"}]
    rec = record(cycles=cycles, responses=resp, labs=labs("2026-01-09") + labs("2026-03-06"))
    d = next_step(rec, REG, today=D("2026-03-09"))
    assert d.action is CourseAction.GIVE_CYCLE and d.cycle_number == 3
    why = next(r for r in d.reasons if r.rule == "cr_not_yet_confirmed")
    assert why.interpretation and "single_scan" in (why.alternative or "")
    assert d.to_dict()["interpretation"] is True


def test_single_scan_reading_stops_tace_haic_at_the_first_cr(tmp_path: Any) -> None:
    from tests.protocol.helpers import edited_regimen

    path = edited_regimen(tmp_path, [('cr_reading = "confirmed"', 'cr_reading = "single_scan"')])
    cycles = [cycle(1, "2026-01-12"), cycle(2, "2026-02-09")]
    resp = [{"date": "2026-03-06", "response": "CR"}]
    rec = record(cycles=cycles, responses=resp, labs=labs("2026-01-09") + labs("2026-03-06"))
    d = next_step(rec, load_regimen(path), today=D("2026-03-09"))
    assert d.action is CourseAction.STOP_HAIC_CONTINUE_SORAFENIB
    assert next(r for r in d.reasons if r.rule == "cr_stops_tace_haic").interpretation


def test_stop_haic_after_8_cycles_imaging_after_cycle_8() -> None:
    days = [
        "2026-01-12",
        "2026-02-09",
        "2026-03-09",
        "2026-04-06",
        "2026-05-04",
        "2026-06-01",
        "2026-06-29",
        "2026-07-27",
    ]
    cycles = [cycle(i + 1, x) for i, x in enumerate(days)]
    d = next_step(record(cycles=cycles), REG, today=D("2026-08-03"))
    assert d.action is CourseAction.STOP_HAIC_CONTINUE_SORAFENIB
    assert d.reasons[0].rule == "max_haic_cycles"
    assert d.next_imaging_date == D("2026-08-24")  # 2026-07-27 + 4 weeks


def test_maintenance_imaging_every_3_months() -> None:
    days = [
        "2026-01-12",
        "2026-02-09",
        "2026-03-09",
        "2026-04-06",
        "2026-05-04",
        "2026-06-01",
        "2026-06-29",
        "2026-07-27",
    ]
    cycles = [cycle(i + 1, x) for i, x in enumerate(days)]
    resp = [{"date": "2026-08-24", "response": "SD"}]
    d = next_step(record(cycles=cycles, responses=resp), REG, today=D("2026-12-01"))
    assert d.next_imaging_date == D("2026-11-24")  # 2026-08-24 + 3 months
    assert [(o.item, o.days_overdue) for o in d.overdue] == [("imaging", 7)]


def test_first_pd_is_the_pfs_event_treatment_continues() -> None:
    cycles = [cycle(1, "2026-01-12"), cycle(2, "2026-02-09")]
    resp = [{"date": "2026-03-06", "response": "PD"}]
    rec = record(cycles=cycles, responses=resp, labs=labs("2026-01-09") + labs("2026-03-06"))
    d = next_step(rec, REG, today=D("2026-03-09"))
    assert d.action is CourseAction.GIVE_CYCLE and d.cycle_number == 3
    assert (d.pfs_event_date, d.confirmed_pd_date) == (D("2026-03-06"), None)
    assert any(r.rule == "first_pd_pfs_event" for r in d.reasons)


def test_first_pd_from_a_new_nodule_over_5_mm_in_mrecist_input() -> None:
    # issue 3's example: targets gone, AFP 12 (normal), but a new 6 mm typical liver nodule:
    # "a new tumor node > 5 mm ... the first instance of PD"
    mrecist = {
        "afp_uln_ng_ml": 20,
        "assessments": [
            {
                "date": "2026-01-05",
                "modality": "MRI",
                "afp_ng_ml": 850,
                "target": [
                    {"id": "T1", "organ": "liver", "diameter_mm": 52},
                    {"id": "T2", "organ": "liver", "diameter_mm": 31},
                ],
                "non_target": [{"id": "N1", "organ": "lung", "status": "present"}],
                "new_lesions": [],
            },
            {
                "date": "2026-03-06",
                "modality": "MRI",
                "afp_ng_ml": 12,
                "target": [{"id": "T1", "diameter_mm": 0}, {"id": "T2", "diameter_mm": 0}],
                "non_target": [{"id": "N1", "status": "absent"}],
                "new_lesions": [{"organ": "liver", "diameter_mm": 6, "typical_pattern": True}],
            },
        ],
    }
    cycles = [cycle(1, "2026-01-12"), cycle(2, "2026-02-09")]
    rec = record(cycles=cycles, mrecist=mrecist, labs=labs("2026-01-09") + labs("2026-03-06"))
    d = next_step(rec, REG, today=D("2026-03-09"))
    assert d.pfs_event_date == D("2026-03-06") and d.action is CourseAction.GIVE_CYCLE


def test_confirmed_pd_second_pd_stops_all() -> None:
    cycles = [
        cycle(1, "2026-01-12"),
        cycle(2, "2026-02-09"),
        cycle(3, "2026-03-09"),
        cycle(4, "2026-04-06"),
    ]
    resp = [{"date": "2026-03-06", "response": "PD"}, {"date": "2026-05-01", "response": "PD"}]
    d = next_step(record(cycles=cycles, responses=resp), REG, today=D("2026-05-04"))
    assert d.action is CourseAction.STOP_ALL
    assert (d.pfs_event_date, d.confirmed_pd_date) == (D("2026-03-06"), D("2026-05-01"))
    assert d.reasons[0].rule == "confirmed_pd" and "identified twice" in d.reasons[0].quote


@pytest.mark.parametrize(
    ("status", "rule"),
    [
        ({"death_date": "2026-02-01"}, "death"),
        ({"withdrawal_date": "2026-02-01", "withdrawal_reason": "refusal"}, "withdrawal"),
    ],
)
def test_death_or_refusal_stops_all(status: dict[str, str], rule: str) -> None:
    d = next_step(record(status=status, labs=labs("2026-01-09")), REG, today=D("2026-02-09"))
    assert d.action is CourseAction.STOP_ALL and d.reasons[0].rule == rule


def test_sister_regimen_without_sorafenib_after_8_cycles_follow_up_only() -> None:
    days = [
        "2026-01-12",
        "2026-02-09",
        "2026-03-09",
        "2026-04-06",
        "2026-05-04",
        "2026-06-01",
        "2026-06-29",
        "2026-07-27",
    ]
    cycles = [cycle(i + 1, x, sor=None) for i, x in enumerate(days)]
    d = next_step(record(cycles=cycles), load_regimen("tace_haic_folfox"), today=D("2026-08-03"))
    assert d.action is CourseAction.FOLLOW_UP_ONLY and d.sorafenib is SorafenibStep.NONE


def test_every_reason_quotes_a_rule_and_names_its_source() -> None:
    nadir = [{"date": "2026-01-26", "analyte": "anc", "value": 0.8, "unit": "10^9/L"}]
    rec = record(
        labs=labs("2026-01-09") + nadir + labs("2026-02-06"),
        adverse_events=[hfsr(3, "2026-01-25", "2026-02-05")],
    )
    d = next_step(rec, REG, today=D("2026-02-09"))
    assert d.reasons
    for r in d.reasons:
        assert r.quote and r.finding
        assert r.source.startswith(("paper", "hcctrial default; paper silent"))


# ----------------------------------------------------------------------------------------------
# bad input names the item
# ----------------------------------------------------------------------------------------------


def _broken(path: str, value: Any) -> dict[str, Any]:
    rec = record(cycles=[cycle(1, "2026-01-12"), cycle(2, "2026-02-09")])
    rec = copy.deepcopy(rec)
    keys = path.split(".")
    target: Any = rec
    for k in keys[:-1]:
        target = target[int(k)] if k.isdigit() else target[k]
    target[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
    return rec


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("cycles.1.date", "2026-01-01", "cycles[1].date: 2026-01-01 is not after cycles[0].date"),
        ("cycles.1.cycle", 3, "cycles[1].cycle: got 3; expected 2"),
        ("cycles.1.haic_level", -3, "cycles[1].haic_level: got -3"),
        ("cycles.1.sorafenib_level", -5, "cycles[1].sorafenib_level: got -5"),
        ("labs.0.unit", "mg/dL", "labs[0] (anc)"),
        ("labs.0.analyte", "bogus", "labs[0].analyte: got 'bogus'"),
        ("labs.8.date", "2026-01-01", "labs[8].date: 2026-01-01 is before labs[7].date 2026-01-09"),
        ("patient.bsa_m2", "big", "patient.bsa_m2"),
        (
            "adverse_events",
            [hfsr(2, "2026-01-20", "2026-01-10")],
            "adverse_events[0].resolution: 2026-01-10 is before its onset",
        ),
        (
            "adverse_events",
            [{"term": "Hand pain xyz", "grade": 2, "onset": "2026-01-20"}],
            "adverse_events[0].term",
        ),
        ("status", {"death_date": "2026-01-20"}, "is after status.death_date 2026-01-20"),
    ],
)
def test_bad_record_names_the_item(path: str, value: Any, message: str) -> None:
    with pytest.raises(DataValidationError) as exc:
        next_step(_broken(path, value), REG, today=D("2026-03-01"))
    assert message in str(exc.value)


def test_record_dated_after_today_is_an_error() -> None:
    with pytest.raises(HcctrialError, match=r"cycles\[0\].date: 2026-01-12 is after today"):
        next_step(record(), REG, today=D("2026-01-10"))
