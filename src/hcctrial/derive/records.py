"""One patient's raw records as plain frozen values, and their loading from the trial database.

The derivations (:mod:`hcctrial.derive.subject`, :mod:`hcctrial.derive.endpoints`) work on these
values, not on ORM objects, so that they can be tested on small hand-made records without a
database. :func:`load_patient_records` reads every table once (one ``SELECT`` per table) and groups
the rows by patient.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterable

    from sqlalchemy.orm import Session

__all__ = [
    "AdverseEventRecord",
    "CycleRecord",
    "DeviationRecord",
    "ExamRecord",
    "FollowupRecord",
    "ImagingRecord",
    "LabRecord",
    "LesionRecord",
    "PatientRecords",
    "WithdrawalRecord",
    "load_patient_records",
    "records_by_patient_id",
]


@dataclass(frozen=True)
class LabRecord:
    """A lab value as entered (``value``/``unit``), its canonical value, and the normal limits in
    the unit as entered."""

    sample_date: date
    analyte: str
    value: float
    unit: str
    canonical_value: float
    uln: float | None = None
    lln: float | None = None


@dataclass(frozen=True)
class CycleRecord:
    """One treatment cycle: its date and, per drug, (planned mg, given mg)."""

    number: int
    cycle_date: date
    doses: dict[str, tuple[float, float]] = field(default_factory=dict)
    sorafenib_daily_mg: float | None = None


@dataclass(frozen=True)
class AdverseEventRecord:
    """A clinical adverse event as recorded (CTCAE term and the clinician's grade)."""

    term: str
    grade: int
    onset_date: date


@dataclass(frozen=True)
class LesionRecord:
    """One lesion at one scan (``kind`` target / non_target / new; ``status`` for non-targets)."""

    lesion_id: str
    kind: str
    organ: str
    diameter_mm: float | None = None
    status: str | None = None
    typical_pattern: bool | None = None


@dataclass(frozen=True)
class ImagingRecord:
    """One imaging time point with its lesions and the AFP measured at that visit (ng/mL)."""

    assessment_date: date
    modality: str
    afp_ng_ml: float | None
    lesions: tuple[LesionRecord, ...] = ()


@dataclass(frozen=True)
class FollowupRecord:
    """A contact and the vital status at that date."""

    contact_date: date
    vital_status: str


@dataclass(frozen=True)
class DeviationRecord:
    """A protocol deviation: its date, category and severity (minor / major)."""

    deviation_date: date
    category: str
    severity: str


@dataclass(frozen=True)
class ExamRecord:
    """A pre-cycle examination: its date, ECOG performance status and weight (kg), each may be
    None (not both)."""

    exam_date: date
    ecog: int | None
    weight_kg: float | None


@dataclass(frozen=True)
class WithdrawalRecord:
    """A withdrawal from the protocol: its date and reason category."""

    withdrawal_date: date
    kind: str


@dataclass(frozen=True)
class PatientRecords:
    """Every raw record of one patient. ``baseline`` holds the baseline row's columns by name."""

    study_id: str
    status: str
    enrolment_date: date | None
    baseline: dict[str, Any] | None = None
    labs: tuple[LabRecord, ...] = ()
    cycles: tuple[CycleRecord, ...] = ()
    adverse_events: tuple[AdverseEventRecord, ...] = ()
    imaging: tuple[ImagingRecord, ...] = ()
    followups: tuple[FollowupRecord, ...] = ()
    overrides: dict[str, str] = field(default_factory=dict)
    deviations: tuple[DeviationRecord, ...] = ()
    withdrawal: WithdrawalRecord | None = None
    exams: tuple[ExamRecord, ...] = ()

    @property
    def enrolled(self) -> bool:
        """Whether the patient was enrolled (has an enrolment date)."""
        return self.enrolment_date is not None


def _value(x: Any) -> Any:
    return getattr(x, "value", x)


def load_patient_records(session: Session) -> tuple[PatientRecords, ...]:
    """Return every patient's raw records from the database, ordered by study id."""
    return tuple(sorted(records_by_patient_id(session).values(), key=lambda x: x.study_id))


def records_by_patient_id(
    session: Session, patient_ids: Iterable[int] | None = None
) -> dict[int, PatientRecords]:
    """Return ``{patient id: PatientRecords}`` for the given patients (default: every patient).

    With ``patient_ids`` the tables are read with ``WHERE ... IN`` (absent ids are left out), so
    that a dashboard refresh reads only the patients whose records changed.
    """
    from sqlalchemy import select

    from hcctrial.store import models as m

    ids = None if patient_ids is None else sorted(set(patient_ids))
    if ids == []:
        return {}

    def rows(
        model: type[Any], column: str = "patient_id", keys: list[int] | None = ids
    ) -> list[Any]:
        table = m.table_of(model)
        query = select(table)
        if keys is not None:
            if not keys:
                return []
            query = query.where(table.c[column].in_(keys))
        return list(session.execute(query).mappings())

    labs: dict[int, list[LabRecord]] = defaultdict(list)
    for r in rows(m.LabResult):
        labs[r["patient_id"]].append(
            LabRecord(
                r["sample_date"],
                r["analyte"],
                r["value_entered"],
                r["unit_entered"],
                r["canonical_value"],
                r["uln"],
                r["lln"],
            )
        )
    cycle_rows = rows(m.TreatmentCycle)
    doses: dict[int, dict[str, tuple[float, float]]] = defaultdict(dict)
    cycle_keys = None if ids is None else [c["id"] for c in cycle_rows]
    for r in rows(m.CycleDose, "cycle_id", cycle_keys):
        doses[r["cycle_id"]][r["drug"]] = (float(r["planned_mg"]), float(r["given_mg"]))
    cycles: dict[int, list[CycleRecord]] = defaultdict(list)
    for r in cycle_rows:
        cycles[r["patient_id"]].append(
            CycleRecord(
                r["cycle_number"], r["cycle_date"], doses.get(r["id"], {}), r["sorafenib_daily_mg"]
            )
        )
    aes: dict[int, list[AdverseEventRecord]] = defaultdict(list)
    for r in rows(m.AdverseEvent):
        aes[r["patient_id"]].append(AdverseEventRecord(r["term"], r["grade"], r["onset_date"]))
    scan_rows = rows(m.ImagingAssessment)
    lesions: dict[int, list[LesionRecord]] = defaultdict(list)
    scan_keys = None if ids is None else [r["id"] for r in scan_rows]
    for r in rows(m.LesionMeasurement, "imaging_id", scan_keys):
        lesions[r["imaging_id"]].append(
            LesionRecord(
                r["lesion_id"],
                _value(r["kind"]),
                r["organ"],
                r["diameter_mm"],
                None if r["status"] is None else _value(r["status"]),
                r["typical_pattern"],
            )
        )
    imaging: dict[int, list[ImagingRecord]] = defaultdict(list)
    for r in scan_rows:
        imaging[r["patient_id"]].append(
            ImagingRecord(
                r["assessment_date"],
                _value(r["modality"]),
                r["afp_ng_ml"],
                tuple(sorted(lesions.get(r["id"], []), key=lambda x: x.lesion_id)),
            )
        )
    followups: dict[int, list[FollowupRecord]] = defaultdict(list)
    for r in rows(m.Followup):
        followups[r["patient_id"]].append(
            FollowupRecord(r["contact_date"], _value(r["vital_status"]))
        )
    deviations: dict[int, list[DeviationRecord]] = defaultdict(list)
    for r in rows(m.ProtocolDeviation):
        deviations[r["patient_id"]].append(
            DeviationRecord(r["deviation_date"], r["category"], _value(r["severity"]))
        )
    withdrawals = {
        r["patient_id"]: WithdrawalRecord(r["withdrawal_date"], _value(r["kind"]))
        for r in rows(m.Withdrawal)
    }
    exams: dict[int, list[ExamRecord]] = defaultdict(list)
    for r in rows(m.CycleExam):
        exams[r["patient_id"]].append(ExamRecord(r["exam_date"], r["ecog"], r["weight_kg"]))
    baselines = {r["patient_id"]: dict(r) for r in rows(m.Baseline)}
    overrides: dict[int, dict[str, str]] = defaultdict(dict)
    for r in sorted(rows(m.DerivedOverride), key=lambda r: r["id"]):
        overrides[r["patient_id"]][r["field"]] = r["override_value"]
    out: dict[int, PatientRecords] = {}
    for p in rows(m.Patient, "id"):
        pid = p["id"]
        out[pid] = PatientRecords(
            study_id=p["study_id"],
            status=_value(p["status"]),
            enrolment_date=p["enrolment_date"],
            baseline=baselines.get(pid),
            labs=tuple(sorted(labs.get(pid, []), key=lambda x: (x.sample_date, x.analyte))),
            cycles=tuple(sorted(cycles.get(pid, []), key=lambda x: x.number)),
            adverse_events=tuple(sorted(aes.get(pid, []), key=lambda x: (x.onset_date, x.term))),
            imaging=tuple(sorted(imaging.get(pid, []), key=lambda x: x.assessment_date)),
            followups=tuple(sorted(followups.get(pid, []), key=lambda x: x.contact_date)),
            overrides=overrides.get(pid, {}),
            deviations=tuple(sorted(deviations.get(pid, []), key=lambda x: x.deviation_date)),
            withdrawal=withdrawals.get(pid),
            exams=tuple(sorted(exams.get(pid, []), key=lambda x: x.exam_date)),
        )
    return out
