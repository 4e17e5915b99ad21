"""Small hand-made patient records for the derivation tests (no database)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hcctrial.derive.records import (
    AdverseEventRecord,
    CycleRecord,
    FollowupRecord,
    ImagingRecord,
    LabRecord,
    LesionRecord,
    PatientRecords,
)

DAY0 = date(2020, 1, 8)  # cycle 1 (first TACE-HAIC)

BASELINE: dict[str, Any] = {
    "age_years": 60,
    "sex": "male",
    "ecog": 0,
    "n_nodules": 3,
    "largest_cm": 5.0,
    "vascular_invasion": False,
    "portal_vein_invasion": False,
    "extrahepatic_spread": False,
    "hbv": True,
    "hbv_dna_iu_ml": 5000.0,
    "cirrhosis": True,
    "imaging_modality": "mri",
    "ascites": "none",
    "encephalopathy": "none",
}


def scan(day: date, t1_mm: float, afp: float = 100.0, new_mm: float | None = None) -> ImagingRecord:
    lesions = [LesionRecord("T1", "target", "liver", t1_mm)]
    if new_mm is not None:
        lesions.append(LesionRecord("N1", "new", "liver", new_mm, "present", True))
    return ImagingRecord(day, "mri", afp, tuple(lesions))


def patient(
    study_id: str,
    scans: list[ImagingRecord],
    followups: list[FollowupRecord],
    labs: tuple[LabRecord, ...] = (),
    aes: tuple[AdverseEventRecord, ...] = (),
    cycles: tuple[CycleRecord, ...] | None = None,
) -> PatientRecords:
    screening = date(2019, 12, 20)
    base_labs = (
        LabRecord(screening, "bilirubin", 1.0, "mg/dL", 1.0, 1.2, None),
        LabRecord(screening, "albumin", 32.0, "g/L", 3.2, 55.0, 35.0),
        LabRecord(screening, "inr", 1.1, "1", 1.1, 1.2, 0.8),
        LabRecord(screening, "afp", 100.0, "ng/mL", 100.0, 20.0, None),
    )
    return PatientRecords(
        study_id=study_id,
        status="follow_up",
        enrolment_date=DAY0,
        baseline=dict(BASELINE),
        labs=base_labs + labs,
        cycles=cycles if cycles is not None else (CycleRecord(1, DAY0, {}),),
        adverse_events=aes,
        imaging=tuple(scans),
        followups=tuple(followups),
    )
