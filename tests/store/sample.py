"""A small, complete trial record set written through the service layer (one row of everything)."""

from __future__ import annotations

from datetime import date
from typing import Any

ACTOR = "nurse.li"
REASON = "case report form entry"


def write_sample_trial(session: Any) -> dict[str, int]:
    """Write one record of every table (two patients) and return their ids by name."""
    from hcctrial.services.persistence import create
    from hcctrial.store import models as m

    def add(model: Any, values: dict[str, Any]) -> int:
        return int(create(session, model, values, actor=ACTOR, reason=REASON).id)

    ids: dict[str, int] = {}
    ids["site"] = add(m.Site, {"code": "SYSU", "name": "Sun Yat-sen", "country": "China"})
    ids["user"] = add(
        m.User, {"username": "li", "role": "coordinator", "site_id": ids["site"], "active": True}
    )
    ids["patient"] = add(
        m.Patient,
        {
            "study_id": "HCC-001",
            "site_id": ids["site"],
            "enrolment_date": date(2019, 3, 4),
            "status": "withdrawn",  # the state its records give (cycle, follow-up, withdrawal)
        },
    )
    ids["patient2"] = add(
        m.Patient, {"study_id": "HCC-002", "site_id": ids["site"], "status": "screening"}
    )
    ids["screening"] = add(
        m.Screening,
        {"patient_id": ids["patient"], "screening_date": date(2019, 3, 1), "eligible": True},
    )
    ids["criterion"] = add(
        m.ScreeningCriterion,
        {
            "screening_id": ids["screening"],
            "criterion_id": "child_pugh_a",
            "verdict": "met",
            "value": "A5",
            "threshold": "A",
            "reason": "bilirubin and albumin normal",
        },
    )
    ids["baseline"] = add(
        m.Baseline,
        {
            "patient_id": ids["patient"],
            "assessment_date": date(2019, 3, 1),
            "age_years": 52,
            "sex": "male",
            "height_cm": 170.0,
            "weight_kg": 65.5,
            "n_nodules": 3,
            "largest_cm": 9.5,
            "vascular_invasion": True,
            "portal_vein_invasion": True,
            "extrahepatic_spread": False,
            "hbv": True,
            "hbv_dna_iu_ml": 2000.0,
            "cirrhosis": True,
            "ecog": 1,
            "imaging_modality": "mri",
            "ascites": "none",
            "encephalopathy": "none",
        },
    )
    ids["lab"] = add(
        m.LabResult,
        {
            "patient_id": ids["patient"],
            "sample_date": date(2019, 3, 1),
            "analyte": "albumin",
            "value_entered": 35,
            "unit_entered": "g/L",
            "lln": 35.0,
            "uln": 55.0,
        },
    )
    ids["cycle"] = add(
        m.TreatmentCycle,
        {
            "patient_id": ids["patient"],
            "cycle_number": 1,
            "cycle_date": date(2019, 3, 5),
            "sorafenib_daily_mg": 800.0,
            "sorafenib_level": 0,
        },
    )
    ids["dose"] = add(
        m.CycleDose,
        {"cycle_id": ids["cycle"], "drug": "oxaliplatin", "planned_mg": 153.0, "given_mg": 153.0},
    )
    ids["ae"] = add(
        m.AdverseEvent,
        {
            "patient_id": ids["patient"],
            "term": "Fatigue",
            "grade": 2,
            "onset_date": date(2019, 3, 10),
            "attribution": "possible",
            "serious": False,
        },
    )
    ids["imaging"] = add(
        m.ImagingAssessment,
        {
            "patient_id": ids["patient"],
            "assessment_date": date(2019, 4, 20),
            "modality": "mri",
            "afp_ng_ml": 400.0,
        },
    )
    ids["lesion"] = add(
        m.LesionMeasurement,
        {
            "imaging_id": ids["imaging"],
            "lesion_id": "T1",
            "kind": "target",
            "organ": "liver",
            "diameter_mm": 61.0,
            "status": "present",
            "typical_pattern": True,
        },
    )
    ids["followup"] = add(
        m.Followup,
        {"patient_id": ids["patient"], "contact_date": date(2020, 1, 5), "vital_status": "alive"},
    )
    ids["deviation"] = add(
        m.ProtocolDeviation,
        {
            "patient_id": ids["patient"],
            "deviation_date": date(2019, 4, 2),
            "category": "visit_window",
            "severity": "minor",
            "description": "visit 3 days late",
        },
    )
    ids["withdrawal"] = add(
        m.Withdrawal,
        {
            "patient_id": ids["patient"],
            "withdrawal_date": date(2020, 2, 1),
            "kind": "consent_withdrawn",
            "reason": "moved abroad",
        },
    )
    ids["override"] = add(
        m.DerivedOverride,
        {
            "patient_id": ids["patient"],
            "entity": "imaging_assessments",
            "entity_id": ids["imaging"],
            "field": "mrecist_response",
            "computed_value": "SD",
            "override_value": "PR",
            "reason": "central review measured the viable part",
        },
    )
    ids["exam"] = add(
        m.CycleExam,
        {"patient_id": ids["patient"], "exam_date": date(2019, 3, 3), "ecog": 1, "weight_kg": 66.5},
    )
    return ids
