"""The course engine fails safe, rule by rule (issue 13): each test names the rule and quotes its
source -- the paper's words, or the regimen file's "hcctrial default; paper silent" row.

Doses by hand as in tests/protocol/test_course.py: BSA 1.8 m², Child-Pugh A: oxaliplatin
1.8 x 75 = 135 mg, 5-FU 1.8 x 1500 = 2700 mg; HAIC level -1 = 80 %: 108 mg and 2160 mg.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hcctrial.errors import DataValidationError
from hcctrial.protocol.course import CourseAction, HaicStep, SorafenibStep, next_step
from hcctrial.protocol.regimen import default_regimen, load_regimen
from tests.protocol.helpers import edited_regimen
from tests.protocol.test_course import cycle, dose, exams_for, hfsr, labs, record

REG = default_regimen()
D = date.fromisoformat
TODAY = D("2026-02-09")


def rules_of(d: Any) -> set[str]:
    return {r.rule for r in d.reasons}


# ------------------------------------------------------------------------------------------------
# 1. toxicity rules as data


def test_hepatic_failure_grade_4_ongoing_stops_all_treatment() -> None:
    # row hepatic_failure_grade_4: "hcctrial default; paper silent (life-threatening hepatic
    # failure: stop all treatment)" -- flagged, the alternative being the grade 3 row
    ae = {"term": "Hepatic failure", "grade": 4, "onset": "2026-02-03"}
    d = next_step(record(adverse_events=[ae]), REG, today=TODAY)
    assert d.action is CourseAction.STOP_ALL and d.dose_sheet is None
    assert (d.haic, d.sorafenib) == (HaicStep.STOP, SorafenibStep.STOP)
    why = next(r for r in d.reasons if r.rule == "hepatic_failure_grade_4")
    assert why.interpretation and "as for grade 3" in (why.alternative or "")


def test_hepatic_failure_grade_3_holds_every_drug() -> None:
    # row hepatic_failure_grade_3: hold every drug until resolved, then one level lower
    ae = {"term": "Hepatic failure", "grade": 3, "onset": "2026-02-03"}
    d = next_step(record(adverse_events=[ae]), REG, today=TODAY)
    assert (d.action, d.sorafenib) == (CourseAction.DELAY_CYCLE, SorafenibStep.PAUSE)
    resolved = dict(ae, resolution="2026-02-07")
    d = next_step(record(adverse_events=[resolved]), REG, today=TODAY)
    assert d.action is CourseAction.GIVE_CYCLE_REDUCED and d.haic_level == -1
    assert dose(d, "oxaliplatin") == 108.0 and d.sorafenib is SorafenibStep.REDUCE


@pytest.mark.parametrize(
    ("term", "haic_drug"),
    [("Diarrhea", "fluorouracil"), ("Mucositis oral", "fluorouracil")],
)
def test_diarrhea_and_mucositis_act_on_5fu_and_sorafenib(term: str, haic_drug: str) -> None:
    # rows diarrhea_grade_3_4 / mucositis_grade_3_4: drugs = ["fluorouracil", "sorafenib"]
    rule = {r.id: r for r in REG.dose_modifications.toxicity_rules}[
        "diarrhea_grade_3_4" if term == "Diarrhea" else "mucositis_grade_3_4"
    ]
    assert rule.drugs == [haic_drug, "sorafenib"] and rule.on_resume == "one_level_lower"
    ae = {"term": term, "grade": 3, "onset": "2026-02-01", "resolution": "2026-02-06"}
    d = next_step(record(adverse_events=[ae]), REG, today=TODAY)
    assert d.action is CourseAction.GIVE_CYCLE_REDUCED and dose(d, "fluorouracil") == 2160.0


def test_hand_foot_skin_reaction_synonym_goes_through_the_hfsr_table() -> None:
    # "hand-foot skin reaction" is stored as CTCAE's "Palmar-plantar erythrodysesthesia syndrome";
    # a second grade 2 occurrence: sorafenib label "interrupt until grade 0-1" (hfsr_grade_2_second_third)
    aes = [
        dict(hfsr(2, "2026-01-15", "2026-01-18"), term="hand-foot skin reaction"),
        dict(hfsr(2, "2026-02-07"), term="HFSR"),
    ]
    d = next_step(record(adverse_events=aes), REG, today=TODAY)
    assert d.sorafenib is SorafenibStep.PAUSE
    why = next(r for r in d.reasons if r.rule == "sorafenib_interrupt")
    assert "Palmar-plantar erythrodysesthesia syndrome (entered as 'HFSR')" in why.finding


def test_hand_foot_skin_reaction_grade_4_is_refused() -> None:
    # CTCAE v4.03 defines grades 1-3 only for palmar-plantar erythrodysesthesia syndrome
    aes = [dict(hfsr(3, "2026-02-05"), term="hand-foot skin reaction", grade=4)]
    with pytest.raises(DataValidationError, match=r"grades of 'Palmar-plantar .*' .* are 1, 2, 3"):
        next_step(record(adverse_events=aes), REG, today=TODAY)


def test_neuropathy_grade_3_lowers_the_haic_level() -> None:
    # row neuropathy_grade_3: "hold until grade <= 2, then one level lower" (oxaliplatin label)
    ae = {
        "term": "Peripheral sensory neuropathy",
        "grade": 3,
        "onset": "2026-02-01",
        "resolution": "2026-02-06",
    }
    d = next_step(record(adverse_events=[ae]), REG, today=TODAY)
    assert d.action is CourseAction.GIVE_CYCLE_REDUCED and d.haic_level == -1
    assert d.sorafenib is SorafenibStep.CONTINUE  # oxaliplatin's toxicity: sorafenib goes on


# ------------------------------------------------------------------------------------------------
# 2. fail closed


def test_alt_without_upper_limit_of_normal_holds_the_cycle() -> None:
    # "laboratory tests ... were performed before each cycle"; a required lab "not gradable (no
    # limits of normal)" holds: ALT 1,000 U/L without ULN cannot be graded by CTCAE (x ULN)
    panel = [x for x in labs("2026-02-06") if x["analyte"] != "alt"]
    panel.append({"date": "2026-02-06", "analyte": "alt", "value": 1000, "unit": "U/L"})
    d = next_step(record(labs=labs("2026-01-09") + panel), REG, today=TODAY)
    assert d.action is CourseAction.DELAY_CYCLE and d.dose_sheet is None
    why = next(r for r in d.reasons if r.rule == "pre_cycle_alt")
    assert "cannot be graded" in why.finding and "ULN" in why.finding


def test_labs_four_weeks_old_hold_the_cycle() -> None:
    # screening labs of 2026-01-09 only; decision 2026-02-09 (window: 7 days, [pre_cycle])
    d = next_step(
        record(
            cycles=[],
            labs=labs("2026-01-09"),
            exams=[{"date": "2026-02-06", "ecog": 0, "weight_kg": 65}],
        ),
        REG,
        today=TODAY,
    )
    assert d.action is CourseAction.DELAY_CYCLE
    assert {"pre_cycle_bilirubin", "pre_cycle_albumin", "pre_cycle_inr"} <= rules_of(d)
    assert "child_pugh_for_dosing" in rules_of(d)  # Child-Pugh from labs inside the window only


def test_neutrophils_typed_under_the_wrong_unit_are_refused() -> None:
    # 400 "x10^9/L" is a count per microlitre (0.4 x10^9/L, grade 4): refused, naming the unit
    panel = labs("2026-02-06", anc=400.0)
    with pytest.raises(DataValidationError, match=r"did you mean 400 /uL \(0\.4 x10\^9/L\)"):
        next_step(record(labs=labs("2026-01-09") + panel), REG, today=TODAY)


def test_ctcae_v5_baseline_in_other_unit_is_converted(tmp_path: Path) -> None:
    # CTCAE v5.0 ALT with an abnormal baseline: grade 3 is "> 5.0 - 20.0 x baseline". Baseline
    # 60 U/L (ULN 40: abnormal), later 6 ukat/L = 360 U/L = 6 x baseline -> grade 3, resolved
    # nowhere: hold. Compared without conversion, 6 < 60 would be grade 0.
    path = edited_regimen(tmp_path, [('ctcae_version = "4.03"', 'ctcae_version = "5.0"')])
    reg = load_regimen(path)
    base = labs("2026-01-09", alt=60.0)
    later = [x for x in labs("2026-02-06") if x["analyte"] != "alt"]
    later.append(
        {"date": "2026-02-06", "analyte": "alt", "value": 6.0, "unit": "ukat/L", "uln": 0.67}
    )
    d = next_step(record(labs=base + later), reg, today=TODAY)
    assert d.action is CourseAction.DELAY_CYCLE
    assert any(r.rule == "liver_tests_grade_3" and "grade 3" in r.finding for r in d.reasons)


def test_child_pugh_b8_during_treatment_holds_with_the_investigator_words() -> None:
    # bilirubin 2.5 (2) + albumin 3.0 (2) + INR 1.1 (1) + ascites slight (2) + none (1) = B8,
    # outside "(3) Child-Pugh class A or B7"
    rec = record(
        labs=labs("2026-01-09") + labs("2026-02-06", bili=2.5, albumin=3.0),
        liver_exams=[{"date": "2026-02-06", "ascites": "slight", "encephalopathy": "none"}],
    )
    d = next_step(rec, REG, today=TODAY)
    assert d.action is CourseAction.DELAY_CYCLE and d.child_pugh == "B8"
    why = next(r for r in d.reasons if r.rule == "child_pugh_outside_entry")
    assert "outside the protocol's liver function; the paper is silent: investigator decision" in (
        why.finding
    )
    assert why.interpretation and why.alternative


def test_ecog_3_holds_treatment() -> None:
    # "(2) Eastern Cooperative Oncology Group performance status 0-2", applied before each cycle
    rec = record()
    rec["exams"] = exams_for(rec["labs"], ecog=3)
    d = next_step(rec, REG, today=TODAY)
    assert d.action is CourseAction.DELAY_CYCLE and "ecog_above_entry_limit" in rules_of(d)


def test_missing_pre_cycle_examination_holds() -> None:
    d = next_step(record(exams=[]), REG, today=TODAY)
    assert d.action is CourseAction.DELAY_CYCLE
    assert {"pre_cycle_ecog", "pre_cycle_weight_kg"} <= rules_of(d)


# ------------------------------------------------------------------------------------------------
# 5. weight per cycle: BSA recomputed by the regimen's rule


def _sized(weight_now: float) -> dict[str, Any]:
    rec = record(
        patient={"height_cm": 170, "weight_kg": 70, "ascites": "none", "encephalopathy": "none"}
    )
    rec["exams"] = exams_for(rec["labs"], weight=weight_now)
    return rec


def test_bsa_kept_within_10_percent_weight_change() -> None:
    # Mosteller sqrt(170 x 70 / 3600) = 1.8181 -> 1.82 m²; 65 kg is -7.1 %: kept
    d = next_step(_sized(65.0), REG, today=TODAY)
    assert d.dose_sheet.bsa_m2 == 1.82 and dose(d, "oxaliplatin") == 137.0  # 1.82 x 75 = 136.5
    assert any("within 10 %" in n and "BSA kept" in n for n in d.dose_sheet.notes)


def test_bsa_recomputed_beyond_10_percent_weight_change() -> None:
    # 60 kg is -14.3 %: sqrt(170 x 60 / 3600) = 1.6833 -> 1.68 m²; oxaliplatin 1.68 x 75 = 126 mg
    d = next_step(_sized(60.0), REG, today=TODAY)
    assert d.dose_sheet.bsa_m2 == 1.68 and dose(d, "oxaliplatin") == 126.0
    assert any("BSA recomputed to 1.68" in n for n in d.dose_sheet.notes)


def test_weight_change_without_height_holds() -> None:
    rec = record()  # bsa_m2 1.8, no height
    rec["exams"] = [
        {"date": "2026-01-09", "ecog": 0, "weight_kg": 70},
        {"date": "2026-02-06", "ecog": 0, "weight_kg": 60},
    ]
    d = next_step(rec, REG, today=TODAY)
    assert d.action is CourseAction.DELAY_CYCLE and "bsa_recompute_needs_height" in rules_of(d)


# ------------------------------------------------------------------------------------------------
# 10. unsettled readings flagged


def test_intolerable_after_reduction_is_flagged_and_the_other_reading_selectable(
    tmp_path: Path,
) -> None:
    # "If the patient still could not tolerate treatment, the treatment was discontinued":
    # grade 3 neutropenia after a cycle at the lowest HAIC level (-2)
    cycles = [cycle(1, "2026-01-12", haic=-2)]
    rec = record(
        cycles=cycles, labs=labs("2026-01-09") + labs("2026-01-26", anc=0.8) + labs("2026-02-06")
    )
    d = next_step(rec, REG, today=TODAY)
    assert d.action is CourseAction.STOP_ALL
    why = d.reasons[0]
    assert why.rule == "intolerable_after_reduction" and why.interpretation
    assert why.alternative == "stop TACE-HAIC only; the other drugs go on"
    path = edited_regimen(
        tmp_path,
        [
            (
                'intolerable_after_reduction_stops = "all"',
                'intolerable_after_reduction_stops = "the_drug"',
            )
        ],
    )
    d = next_step(rec, load_regimen(path), today=TODAY)
    assert d.action is CourseAction.STOP_HAIC_CONTINUE_SORAFENIB
    assert d.reasons[0].alternative == "stop all treatment"


def test_myelosuppression_row_names_the_papers_other_reading() -> None:
    rec = record(labs=labs("2026-01-09") + labs("2026-01-26", anc=0.8) + labs("2026-02-06"))
    d = next_step(rec, REG, today=TODAY)
    why = next(r for r in d.reasons if r.rule == "myelosuppression_grade_3_4")
    assert why.quote.startswith("If a participant exhibited grade 3-4 myelosuppression")
    assert why.interpretation and "or sorafenib" in (why.alternative or "")
    assert d.to_dict()["interpretation"] is True
