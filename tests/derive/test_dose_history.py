"""The dose-history dataset from database records (issue 13 item 11), worked by hand."""

from __future__ import annotations

from datetime import date

from hcctrial.derive.dose_history import dose_history_rows
from hcctrial.derive.records import CycleRecord, LabRecord, PatientRecords

D = date.fromisoformat


def test_rows_per_patient_drug_and_cycle() -> None:
    # height 180 cm, weight 80 kg: Mosteller sqrt(180 x 80 / 3600) = 2.00 m²; baseline labs give
    # Child-Pugh A5 -> oxaliplatin full dose 2.0 x 75 = 150 mg
    labs = tuple(
        LabRecord(D("2026-01-05"), a, v, u, v)
        for a, v, u in (("bilirubin", 1.0, "mg/dL"), ("albumin", 4.0, "g/dL"), ("inr", 1.1, "1"))
    )
    rec = PatientRecords(
        "P1",
        "on_treatment",
        D("2026-01-05"),
        baseline={"height_cm": 180, "weight_kg": 80, "ascites": "none", "encephalopathy": "none"},
        labs=labs,
        cycles=(
            CycleRecord(
                1, D("2026-01-12"), {"oxaliplatin": (150.0, 150.0), "epirubicin": (40, 40)}
            ),
            CycleRecord(
                2, D("2026-02-09"), {"oxaliplatin": (120.0, 120.0), "epirubicin": (40, 40)}
            ),
        ),
    )
    rows = {(r["drug"], r["cycle"]): r for r in dose_history_rows([rec])}
    ox = rows[("oxaliplatin", 2)]
    assert ox["study_id"] == "P1" and ox["child_pugh_class"] == "A"
    # 75 + 60 = 135 mg/m² over 4 + 4 = 8 weeks = 16.875/week; planned 150 / 8 = 18.75 -> 0.9
    assert (ox["cumulative_mg_m2"], ox["relative_dose_intensity"]) == (135.0, 0.9)
    assert rows[("epirubicin", 2)]["cumulative_mg_m2"] == 40.0  # 2 x 40 mg / 2.0 m²
    assert rows[("epirubicin", 2)]["fraction_of_limit"] == round(40 / 900, 4)


def test_the_bsa_of_a_cycle_follows_the_weight_of_its_pre_cycle_examination() -> None:
    """The regimen's weight rule (BSA recomputed when the weight moves by more than 10 %) over
    the stored examinations. By hand: 180 cm, 80 kg -> Mosteller 2.00 m²; examined at 64 kg
    before cycle 2 (-20 %): sqrt(180 x 64 / 3600) = 1.78885 -> 1.79 m²; oxaliplatin 150 / 2.00 +
    120 / 1.79 = 75 + 67.0391 = 142.0391 mg/m²; delivered 142.0391 / 8 weeks = 17.7549, planned
    2 x 75 / 8 = 18.75: RDI 0.9469; epirubicin 40 / 2.00 + 40 / 1.79 = 42.3464 mg/m². An
    examination at 76 kg (-5 %) keeps 2.00 m²."""
    from hcctrial.derive.records import ExamRecord

    labs = tuple(
        LabRecord(D("2026-01-05"), a, v, u, v)
        for a, v, u in (("bilirubin", 1.0, "mg/dL"), ("albumin", 4.0, "g/dL"), ("inr", 1.1, "1"))
    )

    def rows(weight: float) -> dict[tuple[str, int], dict[str, object]]:
        rec = PatientRecords(
            "P1",
            "on_treatment",
            D("2026-01-05"),
            baseline={
                "height_cm": 180,
                "weight_kg": 80,
                "ascites": "none",
                "encephalopathy": "none",
            },
            labs=labs,
            cycles=(
                CycleRecord(
                    1, D("2026-01-12"), {"oxaliplatin": (150.0, 150.0), "epirubicin": (40, 40)}
                ),
                CycleRecord(
                    2, D("2026-02-09"), {"oxaliplatin": (120.0, 120.0), "epirubicin": (40, 40)}
                ),
            ),
            exams=(ExamRecord(D("2026-02-06"), 0, weight),),
        )
        return {(str(r["drug"]), int(r["cycle"])): r for r in dose_history_rows([rec])}  # type: ignore[call-overload]

    lighter = rows(64.0)
    assert lighter[("oxaliplatin", 2)]["given_mg_m2"] == round(120 / 1.79, 4)
    assert lighter[("oxaliplatin", 2)]["cumulative_mg_m2"] == 142.0391
    assert lighter[("oxaliplatin", 2)]["relative_dose_intensity"] == 0.9469
    assert lighter[("epirubicin", 2)]["cumulative_mg_m2"] == 42.3464
    kept = rows(76.0)
    assert kept[("oxaliplatin", 2)]["cumulative_mg_m2"] == 135.0  # 75 + 120 / 2.00
