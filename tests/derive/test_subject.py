"""Subject-level derivations on hand-made records; expected values computed by hand."""

from __future__ import annotations

import math
from datetime import date

import pytest

from hcctrial.derive.records import (
    AdverseEventRecord,
    CycleRecord,
    FollowupRecord,
    LabRecord,
)
from hcctrial.derive.subject import derive_subject
from tests.derive.records_factory import DAY0, patient, scan

ALIVE = [FollowupRecord(date(2020, 12, 31), "alive")]
BASE = date(2020, 1, 1)


def test_child_pugh_albi_and_bclc_from_baseline_labs_in_mixed_units() -> None:
    # bilirubin 1.0 mg/dL (1 point), albumin 32 g/L = 3.2 g/dL (2), INR 1.1 (1), no ascites (1),
    # no encephalopathy (1) -> 6 = A6. ALBI = 0.66 log10(17.1) - 0.0852 * 32 = -1.9126 -> grade 2.
    # 3 nodules, 5 cm, ECOG 0, no invasion or spread -> BCLC B.
    s = derive_subject(patient("P1", [scan(BASE, 50)], ALIVE))
    assert (s.child_pugh_class, s.child_pugh_score) == ("A", 6)
    assert s.albi_score == pytest.approx(0.66 * math.log10(17.1) - 0.0852 * 32)
    assert s.albi_grade == 2 and s.bclc_stage == "B"
    assert s.hbv_dna_high  # 5000 IU/mL * 5.6 = 28,000 copies/mL > 2 x 10^3


def test_worst_grade_pools_alt_and_ast_and_ignores_screening_labs() -> None:
    on = date(2020, 2, 1)
    labs = (
        LabRecord(date(2019, 12, 20), "alt", 900.0, "U/L", 900.0, 40.0, None),  # screening: ignored
        LabRecord(on, "alt", 250.0, "U/L", 250.0, 40.0, None),  # 6.25 x ULN: grade 3 (5-20)
        LabRecord(on, "ast", 130.0, "U/L", 130.0, 40.0, None),  # 3.25 x ULN: grade 2 (3-5)
        LabRecord(on, "platelets", 60.0, "10^9/L", 60.0, None, 125.0),  # 50-75: grade 2
        LabRecord(on, "platelets", 110.0, "10^9/L", 110.0, None, 125.0),  # 75-LLN: grade 1
        LabRecord(on, "bilirubin", 30.0, "umol/L", 30.0 / 17.1, 21.0, None),  # 1.43 x ULN: grade 1
    )
    aes = (
        AdverseEventRecord("Nausea", 1, on),
        AdverseEventRecord("Vomiting", 2, on),
        AdverseEventRecord("hand-foot skin reaction", 3, on),
    )
    s = derive_subject(patient("P2", [scan(BASE, 50)], ALIVE, labs=labs, aes=aes))
    assert s.worst_grades["transaminase_increased"] == 3
    assert s.worst_grades["platelet_count_decreased"] == 2
    assert s.worst_grades["blood_bilirubin_increased"] == 1
    assert s.worst_grades["neutrophil_count_decreased"] == 0  # nothing recorded
    assert s.worst_grades["nausea_vomiting"] == 2  # pooled: max(1, 2)
    assert s.worst_grades["hand_foot_skin_reaction"] == 3
    assert s.worst_grades["fever"] == 0


def test_lab_without_its_normal_limit_is_not_gradable_rather_than_grade_0() -> None:
    labs = (LabRecord(date(2020, 2, 1), "alt", 250.0, "U/L", 250.0, None, None),)
    s = derive_subject(patient("P3", [scan(BASE, 50)], ALIVE, labs=labs))
    assert s.worst_grades["transaminase_increased"] is None


def test_dose_intensity_is_given_over_planned_summed_over_cycles() -> None:
    # oxaliplatin: (135 + 108) / (135 + 135) = 243 / 270 = 0.9; sorafenib (400 + 600) / 1600
    cycles = (
        CycleRecord(1, DAY0, {"oxaliplatin": (135.0, 135.0), "sorafenib": (800.0, 400.0)}),
        CycleRecord(
            2, date(2020, 2, 12), {"oxaliplatin": (135.0, 108.0), "sorafenib": (800.0, 600.0)}
        ),
    )
    s = derive_subject(patient("P4", [scan(BASE, 50)], ALIVE, cycles=cycles))
    assert s.n_cycles == 2
    assert s.dose_intensity == pytest.approx({"oxaliplatin": 0.9, "sorafenib": 0.625})


@pytest.mark.parametrize(
    ("follow_ups", "expected"),
    [
        # -40 % from baseline: PR
        ([(date(2020, 3, 1), 30, 100.0)], "PR"),
        # target 0 mm with AFP 10 <= ULN 20: CR (the protocol's AFP rule)
        ([(date(2020, 3, 1), 0, 10.0)], "CR"),
        # target 0 mm but AFP 100 > 20: PR by the protocol's rule
        ([(date(2020, 3, 1), 0, 100.0)], "PR"),
        # -10 % at day 60 from baseline (>= 42 days): SD
        ([(date(2020, 3, 1), 45, 100.0)], "SD"),
        # -10 % at day 30 only (< 42 days): SD not yet counted -> NE
        ([(date(2020, 1, 31), 45, 100.0)], "NE"),
        # +30 % over the nadir: PD
        ([(date(2020, 3, 1), 65, 100.0)], "PD"),
    ],
)
def test_best_response_comes_from_the_mrecist_engine(follow_ups: list, expected: str) -> None:  # type: ignore[type-arg]
    scans = [scan(BASE, 50)] + [scan(d, mm, afp) for d, mm, afp in follow_ups]
    assert derive_subject(patient("P5", scans, ALIVE)).best_response == expected


def test_override_replaces_the_engine_value_and_is_named() -> None:
    from dataclasses import replace

    rec = replace(
        patient("P6", [scan(BASE, 50), scan(date(2020, 3, 1), 45)], ALIVE),
        overrides={"best_overall_response": "PR"},
    )
    s = derive_subject(rec)
    assert s.best_response == "PR" and s.overridden == ("best_overall_response",)
