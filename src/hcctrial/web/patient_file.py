"""One patient's records read from the database, and the course engine's input built from them.

:func:`load_patient_file` reads every record of one patient (ORM objects, one query per table).
:func:`course_record` writes them in the course engine's documented record format
(:mod:`hcctrial.protocol.record`), and :func:`decision_for` asks
:func:`hcctrial.protocol.course.next_step` for the next step. Translations made here (the database
keeps raw observations, the engine reads a slightly different vocabulary):

- the HAIC dose level of a cycle is the level whose dose sheet plans the recorded oxaliplatin dose
  (0 when no oxaliplatin dose was recorded);
- a cycle without a sorafenib level whose daily dose equals the regimen's starting dose is on the
  starting dose (``"start"``);
- the pre-cycle examinations (``cycle_exams``) are the record's ``exams`` (ECOG, weight) and the
  baseline's ECOG its ``patient.ecog``, so the engine holds a cycle at ECOG >= 3 and recomputes
  the BSA from a weight that moved by more than the regimen's percentage;
- the tumour response comes from the scans (mRECIST input as :mod:`hcctrial.derive.subject` builds
  it); death from a follow-up contact with vital status dead; withdrawal kinds map to the engine's
  reasons (consent withdrawn -> refusal, investigator decision -> investigator, lost to follow-up,
  anything else -> other).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from hcctrial.errors import HcctrialError
from hcctrial.store import models as m

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.protocol.record import PatientRecord

__all__ = [
    "CourseInput",
    "PatientFile",
    "course_input",
    "course_record",
    "cycle_bsa",
    "decision_for",
    "imaging_records",
    "load_patient_file",
    "mrecist_dict",
]


@dataclass
class PatientFile:
    """Every record of one patient (ORM objects, sorted by date)."""

    patient: Any
    site: Any
    screening: Any | None = None
    criteria: list[Any] = field(default_factory=list)
    baseline: Any | None = None
    labs: list[Any] = field(default_factory=list)
    cycles: list[Any] = field(default_factory=list)
    doses: dict[int, list[Any]] = field(default_factory=dict)
    adverse_events: list[Any] = field(default_factory=list)
    imaging: list[Any] = field(default_factory=list)
    lesions: dict[int, list[Any]] = field(default_factory=dict)
    followups: list[Any] = field(default_factory=list)
    withdrawal: Any | None = None
    deviations: list[Any] = field(default_factory=list)
    #: pre-cycle examinations (ECOG, weight), by date
    exams: list[Any] = field(default_factory=list)


def load_patient_file(session: Any, patient: Any) -> PatientFile:
    """Return every record of ``patient`` (an ORM ``Patient``)."""
    from sqlalchemy import select

    pid = patient.id

    def rows(model: Any, order: Any) -> list[Any]:
        return list(
            session.scalars(select(model).where(model.patient_id == pid).order_by(order, model.id))
        )

    pf = PatientFile(patient=patient, site=session.get(m.Site, patient.site_id))
    pf.screening = session.scalars(select(m.Screening).where(m.Screening.patient_id == pid)).first()
    if pf.screening is not None:
        pf.criteria = list(
            session.scalars(
                select(m.ScreeningCriterion)
                .where(m.ScreeningCriterion.screening_id == pf.screening.id)
                .order_by(m.ScreeningCriterion.id)
            )
        )
    pf.baseline = session.scalars(select(m.Baseline).where(m.Baseline.patient_id == pid)).first()
    pf.labs = rows(m.LabResult, m.LabResult.sample_date)
    pf.cycles = rows(m.TreatmentCycle, m.TreatmentCycle.cycle_number)
    if pf.cycles:
        for d in session.scalars(
            select(m.CycleDose)
            .where(m.CycleDose.cycle_id.in_([c.id for c in pf.cycles]))
            .order_by(m.CycleDose.id)
        ):
            pf.doses.setdefault(d.cycle_id, []).append(d)
    pf.adverse_events = rows(m.AdverseEvent, m.AdverseEvent.onset_date)
    pf.imaging = rows(m.ImagingAssessment, m.ImagingAssessment.assessment_date)
    if pf.imaging:
        for les in session.scalars(
            select(m.LesionMeasurement)
            .where(m.LesionMeasurement.imaging_id.in_([i.id for i in pf.imaging]))
            .order_by(m.LesionMeasurement.lesion_id)
        ):
            pf.lesions.setdefault(les.imaging_id, []).append(les)
    pf.followups = rows(m.Followup, m.Followup.contact_date)
    pf.withdrawal = session.scalars(
        select(m.Withdrawal).where(m.Withdrawal.patient_id == pid)
    ).first()
    pf.deviations = rows(m.ProtocolDeviation, m.ProtocolDeviation.deviation_date)
    pf.exams = rows(m.CycleExam, m.CycleExam.exam_date)
    return pf


_WITHDRAWAL_REASON = {
    "consent_withdrawn": "refusal",
    "investigator_decision": "investigator",
    "lost_to_follow_up": "lost_to_follow_up",
}


def _haic_level(pf: PatientFile, cycle: Any, regimen: Any, cp_class: str | None) -> int:
    """The HAIC level whose dose sheet plans the cycle's oxaliplatin dose, at the baseline's BSA
    or at a BSA recomputed from a weight examined before the cycle (0 when none matches)."""
    from hcctrial.clinical.body import body_surface_area_m2
    from hcctrial.protocol.dosing import dose_sheet

    oxa = [d.planned_mg for d in pf.doses.get(cycle.id, []) if d.drug == "oxaliplatin"]
    if not oxa or pf.baseline is None or cp_class is None:
        return 0
    weights = [pf.baseline.weight_kg]
    weights += [
        x.weight_kg for x in pf.exams if x.weight_kg is not None and x.exam_date <= cycle.cycle_date
    ]
    for weight in dict.fromkeys(weights):
        bsa = body_surface_area_m2(pf.baseline.height_cm, weight)
        for lv in regimen.dosing.haic_levels:
            sheet = dose_sheet(regimen, bsa_m2=bsa, child_pugh_class=cp_class, level=lv.level)
            if abs(sheet.drug("oxaliplatin").dose_mg - oxa[0]) < 0.5:
                return int(lv.level)
    return 0


def _sorafenib_level(cycle: Any, regimen: Any) -> int | str | None:
    if cycle.sorafenib_level is not None:
        return int(cycle.sorafenib_level)
    s = regimen.sorafenib
    if s is not None and cycle.sorafenib_daily_mg is not None:
        from hcctrial.protocol.course_sorafenib import daily_mg

        if abs(daily_mg(regimen, "start") - cycle.sorafenib_daily_mg) < 0.5:
            return "start"
    return None


def imaging_records(pf: PatientFile) -> list[Any]:
    """Return the patient's scans as :class:`hcctrial.derive.records.ImagingRecord` values
    (:func:`hcctrial.derive.scans.imaging_record`, the conversion the rules also use)."""
    from hcctrial.derive.scans import imaging_record

    return [imaging_record(i, pf.lesions.get(i.id, [])) for i in pf.imaging]


def mrecist_dict(
    pf: PatientFile,
    regimen: Any,
    extra_scans: tuple[Any, ...] = (),
    *,
    scans: list[Any] | None = None,
) -> dict[str, Any]:
    """Return the scans (plus ``extra_scans``, ImagingRecord values) in the mRECIST input format,
    dates as ISO text (:func:`hcctrial.derive.scans.scans_input`).

    ``scans`` replaces the patient's saved scans (ImagingRecord values, e.g. a saved scan with a
    lesion about to be added)."""
    from hcctrial.derive.scans import scans_input

    saved = imaging_records(pf) if scans is None else scans
    ordered = sorted([*saved, *extra_scans], key=lambda s: s.assessment_date)
    return scans_input(ordered, float(regimen.assessment.afp_uln_ng_ml), iso_dates=True)


def course_record(pf: PatientFile, regimen: Any, child_pugh_class: str | None) -> dict[str, Any]:
    """Return ``pf`` in the course engine's record format (see the module docstring)."""
    b = pf.baseline
    patient: dict[str, Any] = {}
    if b is not None:
        patient = {
            "height_cm": b.height_cm,
            "weight_kg": b.weight_kg,
            "ascites": b.ascites.value,
            "encephalopathy": b.encephalopathy.value,
            "ecog": b.ecog,
        }
    cycles = []
    for c in pf.cycles:
        entry: dict[str, Any] = {
            "cycle": c.cycle_number,
            "date": c.cycle_date.isoformat(),
            "haic_level": _haic_level(pf, c, regimen, child_pugh_class),
            "doses_mg": {d.drug: d.given_mg for d in pf.doses.get(c.id, [])},
        }
        level = _sorafenib_level(c, regimen)
        if level is not None and regimen.sorafenib is not None:
            entry["sorafenib_level"] = level
        cycles.append(entry)
    labs = [
        {
            "date": x.sample_date.isoformat(),
            "analyte": x.analyte,
            "value": x.value_entered,
            "unit": None if x.unit_entered in ("", "1") else x.unit_entered,
            "lln": x.lln,
            "uln": x.uln,
        }
        for x in sorted(pf.labs, key=lambda x: (x.sample_date, x.id))
    ]
    aes = [
        {
            "term": a.term,
            "grade": a.grade,
            "onset": a.onset_date.isoformat(),
            "resolution": None if a.resolution_date is None else a.resolution_date.isoformat(),
        }
        for a in pf.adverse_events
    ]
    exams = [
        {
            k: v
            for k, v in (
                ("date", x.exam_date.isoformat()),
                ("ecog", x.ecog),
                ("weight_kg", x.weight_kg),
            )
            if v is not None
        }
        for x in pf.exams
    ]
    record: dict[str, Any] = {
        "patient_id": pf.patient.study_id,
        "patient": patient,
        "cycles": cycles,
        "labs": labs,
        "exams": exams,
        "adverse_events": aes,
    }
    if pf.imaging:
        record["mrecist"] = mrecist_dict(pf, regimen)
    status: dict[str, Any] = {}
    deaths = [f.contact_date for f in pf.followups if f.vital_status is m.VitalStatus.DEAD]
    if deaths:
        status["death_date"] = min(deaths).isoformat()
    if pf.withdrawal is not None:
        status["withdrawal_date"] = pf.withdrawal.withdrawal_date.isoformat()
        status["withdrawal_reason"] = _WITHDRAWAL_REASON.get(pf.withdrawal.kind.value, "other")
    record["status"] = status
    return record


def cycle_bsa(
    pf: PatientFile, regimen: Any, child_pugh_class: str | None, on: date
) -> tuple[float | None, str]:
    """The BSA (m², before the regimen's rounding) to dose a cycle on ``on`` with, and how it was
    obtained, by the regimen's weight rule (:func:`hcctrial.protocol.pre_cycle.bsa_for_cycle`):
    the baseline's BSA, recomputed from a weight examined since the last cycle when it moved by
    more than ``dosing.bsa_recompute_weight_change_pct``. None when it cannot be known."""
    from hcctrial.protocol.dose_history import pre_cycle_weight
    from hcctrial.protocol.pre_cycle import bsa_for_cycle
    from hcctrial.protocol.record import parse_record

    rec = parse_record(
        course_record(pf, regimen, child_pugh_class),
        ctcae_version=regimen.assessment.ctcae_version,
    )
    bsa, basis, problem = bsa_for_cycle(rec, regimen, pre_cycle_weight(rec, on))
    return bsa, basis if problem is None else problem.finding


@dataclass(frozen=True)
class DecisionOutcome:
    """The engine's decision, or why there is none yet (``problem`` in plain words)."""

    decision: Any | None
    problem: str | None


@dataclass(frozen=True)
class CourseInput:
    """The course engine's record of a patient file, as built (``record``: dates as ISO text) and
    validated (``parsed``), or the error that stopped either. The patient page builds it once for
    the decision and the dose history (each would otherwise build and validate the same record:
    ~1.3 ms of a cold page with 100+ labs)."""

    record: dict[str, Any] | None
    parsed: PatientRecord | None
    error: HcctrialError | None


def course_input(pf: PatientFile, regimen: Any, child_pugh_class: str | None) -> CourseInput:
    """Return :class:`CourseInput` of ``pf`` (never raises an :class:`HcctrialError`)."""
    from hcctrial.protocol.record import parse_record

    try:
        record = course_record(pf, regimen, child_pugh_class)
    except HcctrialError as exc:
        return CourseInput(None, None, exc)
    try:
        parsed = parse_record(record, ctcae_version=regimen.assessment.ctcae_version)
    except HcctrialError as exc:
        return CourseInput(record, None, exc)
    return CourseInput(record, parsed, None)


def decision_for(
    pf: PatientFile,
    regimen: Any,
    child_pugh_class: str | None,
    today: date,
    course: CourseInput | None = None,
) -> DecisionOutcome:
    """Return the course engine's next step for ``pf`` on ``today`` (or the reason it has none);
    ``course``: :func:`course_input` of the same arguments when already built."""
    from hcctrial.protocol.course import next_step

    if pf.patient.enrolment_date is None:
        return DecisionOutcome(None, "The patient is not enrolled: no treatment decision.")
    if pf.baseline is None:
        return DecisionOutcome(
            None, "Record the baseline (height and weight) to get the next step."
        )
    if course is None:
        course = course_input(pf, regimen, child_pugh_class)
    try:
        if course.error is not None:
            raise course.error
        assert course.record is not None and course.parsed is not None
        latest = _latest(course.record)
        on = today if latest is None or latest <= today else latest
        return DecisionOutcome(next_step(course.parsed, regimen, today=on), None)
    except HcctrialError as exc:
        return DecisionOutcome(None, f"The next step cannot be worked out yet: {exc}")


def _latest(record: dict[str, Any]) -> date | None:
    dates = [c["date"] for c in record["cycles"]] + [x["date"] for x in record["labs"]]
    dates += [x["date"] for x in record.get("exams", [])]
    dates += [a["onset"] for a in record["adverse_events"]]
    dates += [a["resolution"] for a in record["adverse_events"] if a["resolution"]]
    if "mrecist" in record:
        dates += [a["date"] for a in record["mrecist"]["assessments"]]
    dates += [v for k, v in record["status"].items() if k.endswith("_date") and v]
    return max(date.fromisoformat(d) for d in dates) if dates else None
