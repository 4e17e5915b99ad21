"""The record types the forms and the JSON API edit, and the trial action that saves each.

Each :class:`RecordType` names a table of :mod:`hcctrial.store.models`, the URL slug, the fields a
form shows (label and unit) and how the record reaches its patient (directly through
``patient_id``, or through a parent: a lesion through its scan, a dose through its cycle).
:data:`NEW_RECORD` maps a slug to the action of :mod:`hcctrial.services` that saves a new record
of it; the action checks everything (access, the patient's state, the rules) and the door shows
its refusal. :func:`field_problems` runs the column checks only, for the live previews.

Reasons: creating a record is audited with the reason "entered via web form" (or the one given);
every change of a saved record needs a reason typed by the user (a saved record counts as signed
by whoever saved it), and the services refuse a change without one (REASON-REQUIRED).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hcctrial.services import adverse_events, cycles, exams, follow_up, labs, patients, scans
from hcctrial.store import models as m
from hcctrial.store.values import column_specs

__all__ = [
    "NEW_RECORD",
    "RECORD_TYPES",
    "FieldDef",
    "RecordType",
    "field_problems",
    "patient_id_of",
    "record_type",
    "record_values",
]


@dataclass(frozen=True)
class FieldDef:
    """One form field: column name, label, unit shown beside it, whether a textarea."""

    name: str
    label: str
    unit: str = ""
    long_text: bool = False


@dataclass(frozen=True)
class RecordType:
    """A kind of record the web application creates and edits."""

    slug: str
    model: type[m.Record]
    title: str
    fields: tuple[FieldDef, ...]
    parent: tuple[type[m.Record], str] | None = None  # (parent model, foreign-key column)
    one_per_patient: bool = False

    def specs(self) -> dict[str, Any]:
        """The store's column specifications of this record's form fields."""
        all_specs = column_specs(self.model)
        return {f.name: all_specs[f.name] for f in self.fields}


F = FieldDef

RECORD_TYPES: dict[str, RecordType] = {
    rt.slug: rt
    for rt in (
        RecordType(
            "baseline",
            m.Baseline,
            "Baseline",
            (
                F("assessment_date", "Date of the baseline assessment"),
                F("age_years", "Age", "years"),
                F("sex", "Sex"),
                F("height_cm", "Height", "cm"),
                F("weight_kg", "Weight", "kg"),
                F("ecog", "ECOG performance status", "0-4"),
                F("n_nodules", "Number of nodules"),
                F("largest_cm", "Largest nodule", "cm"),
                F("vascular_invasion", "Macrovascular invasion"),
                F("portal_vein_invasion", "Portal vein tumour thrombus"),
                F("extrahepatic_spread", "Extrahepatic spread"),
                F("hbv", "HBsAg positive"),
                F("hbv_dna_iu_ml", "HBV DNA", "IU/mL"),
                F("cirrhosis", "Cirrhosis"),
                F("imaging_modality", "Imaging modality"),
                F("ascites", "Ascites"),
                F("encephalopathy", "Hepatic encephalopathy"),
            ),
            one_per_patient=True,
        ),
        RecordType(
            "labs",
            m.LabResult,
            "Lab result",
            (
                F("sample_date", "Sample date"),
                F("analyte", "Analyte"),
                F("value_entered", "Value"),
                F("unit_entered", "Unit"),
                F("lln", "Lower limit of normal", "same unit"),
                F("uln", "Upper limit of normal", "same unit"),
            ),
        ),
        RecordType(
            "exams",
            m.CycleExam,
            "Pre-cycle examination",
            (
                F("exam_date", "Date of the examination"),
                F("ecog", "ECOG performance status", "0-4"),
                F("weight_kg", "Weight", "kg"),
            ),
        ),
        RecordType(
            "cycles",
            m.TreatmentCycle,
            "Treatment cycle",
            (
                F("cycle_number", "Cycle number"),
                F("cycle_date", "Date of TACE-HAIC (day 1)"),
                F("sorafenib_daily_mg", "Sorafenib daily dose", "mg/day"),
                F("sorafenib_level", "Sorafenib dose level", "0, -1, -2; empty = starting dose"),
                F("change_reason", "Reason for a dose change", long_text=True),
            ),
        ),
        RecordType(
            "doses",
            m.CycleDose,
            "Cycle dose",
            (
                F("drug", "Drug"),
                F("planned_mg", "Planned dose", "mg"),
                F("given_mg", "Dose given", "mg"),
            ),
            parent=(m.TreatmentCycle, "cycle_id"),
        ),
        RecordType(
            "adverse_events",
            m.AdverseEvent,
            "Adverse event",
            (
                F("term", "CTCAE term"),
                F("grade", "Grade", "1-5"),
                F("onset_date", "Onset"),
                F("resolution_date", "Resolved on", "empty while ongoing"),
                F("attribution", "Relation to study treatment"),
                F("serious", "Serious adverse event"),
            ),
        ),
        RecordType(
            "imaging",
            m.ImagingAssessment,
            "Imaging assessment",
            (
                F("assessment_date", "Date of the scan"),
                F("modality", "Modality"),
                F("afp_ng_ml", "AFP at this visit", "ng/mL"),
            ),
        ),
        RecordType(
            "lesions",
            m.LesionMeasurement,
            "Lesion measurement",
            (
                F("lesion_id", "Lesion label"),
                F("kind", "Kind"),
                F("organ", "Organ"),
                F("diameter_mm", "Viable tumour diameter", "mm"),
                F("status", "Status"),
                F("typical_pattern", "Typical HCC enhancement"),
            ),
            parent=(m.ImagingAssessment, "imaging_id"),
        ),
        RecordType(
            "followups",
            m.Followup,
            "Follow-up contact",
            (
                F("contact_date", "Date of contact (or of death)"),
                F("vital_status", "Vital status"),
                F("cause_of_death", "Cause of death", long_text=True),
            ),
        ),
        RecordType(
            "withdrawals",
            m.Withdrawal,
            "Withdrawal",
            (
                F("withdrawal_date", "Date of withdrawal"),
                F("kind", "Reason category"),
                F("reason", "Reason", long_text=True),
            ),
            one_per_patient=True,
        ),
        RecordType(
            "deviations",
            m.ProtocolDeviation,
            "Protocol deviation",
            (
                F("deviation_date", "Date"),
                F("category", "Category", "e.g. visit window, dosing"),
                F("severity", "Severity"),
                F("description", "What happened", long_text=True),
            ),
        ),
    )
}


#: slug -> the action saving a new record: ``(unit of work, owner id, values, reason=) -> id``;
#: the owner is the patient, or for doses and lesions the cycle and the scan.
NEW_RECORD: dict[str, Callable[..., int]] = {
    "baseline": patients.record_baseline,
    "labs": labs.record_lab,
    "exams": exams.record_exam,
    "adverse_events": adverse_events.record_adverse_event,
    "followups": follow_up.record_follow_up,
    "withdrawals": follow_up.withdraw,
    "deviations": follow_up.record_deviation,
    "doses": cycles.record_dose_line,
    "lesions": scans.add_lesion,
}


def record_type(slug: str) -> RecordType:
    """Return the record type of ``slug`` (KeyError when there is none)."""
    return RECORD_TYPES[slug]


def record_values(rt: RecordType, form: Mapping[str, Any]) -> dict[str, Any]:
    """Return the values of ``rt``'s fields present in ``form`` (blank text becomes None)."""
    out: dict[str, Any] = {}
    for f in rt.fields:
        if f.name in form:
            raw = form[f.name]
            out[f.name] = None if isinstance(raw, str) and not raw.strip() else raw
    return out


def _plain(expected: str) -> str:
    text = expected.replace(" (required)", "")
    return f"Please enter {text}." if text else "Please check this value."


def field_problems(
    model: type[m.Record],
    values: Mapping[str, Any],
    *,
    partial: bool = False,
    ctcae_version: str | None = None,
) -> dict[str, str]:
    """Return ``{column: message}`` for every value the store would refuse (empty: all fine).

    Lab values are also converted by the unit layer here, so a unit that does not fit the
    analyte is reported beside the unit field before anything is written; an adverse event's
    term and grade are checked against CTCAE ``ctcae_version`` (the trial's).
    """
    from hcctrial.services.previews import checked_values as prepare_row

    _, problems = prepare_row(model, dict(values), partial=partial, ctcae_version=ctcae_version)
    out: dict[str, str] = {}
    for p in problems:
        if p.column not in out:
            if p.value in (None, ""):
                out[p.column] = "This is required. " + _plain(p.expected)
            else:
                out[p.column] = f"“{p.value}” does not fit here. " + _plain(p.expected)
    return out


def patient_id_of(session: Any, model: type[m.Record], obj: Any) -> int:
    """Return the patient a record belongs to (through its parent for lesions and doses)."""
    if model is m.Patient:
        return int(obj.id)
    if hasattr(obj, "patient_id"):
        return int(obj.patient_id)
    if model is m.LesionMeasurement:
        return int(session.get(m.ImagingAssessment, obj.imaging_id).patient_id)
    if model is m.CycleDose:
        return int(session.get(m.TreatmentCycle, obj.cycle_id).patient_id)
    if model is m.ScreeningCriterion:
        return int(session.get(m.Screening, obj.screening_id).patient_id)
    raise KeyError(model.__tablename__)
