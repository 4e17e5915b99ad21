"""The patient record the course engine reads: what a research nurse has recorded so far.

The JSON format (documented with examples in ``examples/records/README.md``)::

    {"patient_id": "P001",
     "treatment_start": "2026-01-05",            # first day of sorafenib (optional)
     "patient": {"height_cm": 170, "weight_kg": 65,          # or "bsa_m2": 1.8
                 "ascites": "none", "encephalopathy": "none",   # Child-Pugh clinical inputs
                 "ecog": 0},                                    # ECOG PS at baseline
     "cycles": [{"cycle": 1, "date": "2026-01-12", "haic_level": 0,
                 "sorafenib_level": "start", "doses_mg": {"oxaliplatin": 135},
                 "ecog": 0, "weight_kg": 65}],                  # optional, on day 1
     "exams": [{"date": "2026-02-06", "ecog": 1, "weight_kg": 63.5}],   # pre-cycle examinations
     "sorafenib_changes": [{"date": "2026-02-01", "level": "paused"}],   # "start"|0|-1|-2|"paused"|"stopped"
     "labs": [{"date": "2026-01-10", "analyte": "anc", "value": 2.1, "unit": "10^9/L",
               "lln": 1.8, "uln": 7.5}],
     "liver_exams": [{"date": "2026-02-05", "ascites": "slight", "encephalopathy": "none"}],
     "adverse_events": [{"term": "Palmar-plantar erythrodysesthesia syndrome", "grade": 2,
                         "onset": "2026-01-20", "resolution": null,
                         "attributed_to": ["sorafenib"]}],
     "mrecist": {"afp_uln_ng_ml": 20, "assessments": [...]},   # issue 3's mRECIST input, or
     "responses": [{"date": "2026-03-10", "response": "PR"}],  # responses already recorded
     "status": {"death_date": null, "withdrawal_date": null, "withdrawal_reason": null}}

Validation happens once, here: unknown keys, wrong types and impossible values are
:class:`~hcctrial.errors.DataValidationError` naming the item (``cycles[2].date``); dates out of
order are errors (``cycles[2].date: 2026-03-01 is before cycles[1].date 2026-03-10``), as are
cycle numbers that skip, lab units that do not fit the analyte or values no patient can have
(``labs[3]``, through :mod:`hcctrial.clinical.plausibility`), unknown CTCAE terms, grades CTCAE does
not define for the term (hand-foot skin reaction grade 4), and events after the recorded death.
An adverse event typed as a synonym ("hand-foot skin reaction") is stored under its CTCAE name
(``term``; the text typed is kept in ``term_entered``), so every rule sees one spelling. Checks
that need the regimen (dose levels that exist) are made by
:func:`hcctrial.protocol.course.next_step`.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from hcctrial.dates import TrialDate
from hcctrial.errors import DataValidationError, HcctrialError, validation_problems

__all__ = [
    "AdverseEventEntry",
    "CycleEntry",
    "Exam",
    "LabEntry",
    "LiverExam",
    "PatientInfo",
    "PatientRecord",
    "RecordedResponse",
    "SorafenibChange",
    "Status",
    "parse_record",
]

Number = StrictInt | StrictFloat
SorafenibLevelValue = Literal["start"] | StrictInt
Component = Literal["sorafenib", "tace_haic"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatientInfo(_In):
    """Body size for dosing (height + weight, or a BSA) and the clinical Child-Pugh inputs."""

    height_cm: Number | None = Field(default=None, gt=0)
    weight_kg: Number | None = Field(default=None, gt=0)
    bsa_m2: Number | None = Field(default=None, gt=0)
    #: Child-Pugh clinical components at baseline (later values: ``liver_exams``)
    ascites: StrictStr = "none"
    encephalopathy: StrictStr = "none"
    #: ECOG performance status at baseline (later values: ``exams``, ``cycles[].ecog``)
    ecog: StrictInt | None = Field(default=None, ge=0, le=5)


class CycleEntry(_In):
    """One TACE-HAIC cycle given: its number, day 1, the HAIC dose level and sorafenib level."""

    cycle: StrictInt = Field(ge=1)
    date: TrialDate
    haic_level: StrictInt = Field(default=0, le=0)
    #: the sorafenib level taken from this cycle on ("start" or a level of the regimen); None for
    #: a regimen without sorafenib or when sorafenib was paused/stopped (see sorafenib_changes)
    sorafenib_level: SorafenibLevelValue | None = None
    doses_mg: dict[str, Number] = Field(default_factory=dict)
    weight_kg: Number | None = Field(default=None, gt=0)
    ecog: StrictInt | None = Field(default=None, ge=0, le=5)


class Exam(_In):
    """A pre-cycle examination: ECOG performance status and/or weight (kg) on a date."""

    date: date
    ecog: StrictInt | None = Field(default=None, ge=0, le=5)
    weight_kg: Number | None = Field(default=None, gt=0)


class SorafenibChange(_In):
    """A change of the sorafenib dose between cycles: a level, ``"paused"`` or ``"stopped"``."""

    date: TrialDate
    level: Literal["start", "paused", "stopped"] | StrictInt
    note: str = ""


class LabEntry(_In):
    """One lab value with its unit and, where the grading needs them, ULN/LLN (same unit)."""

    date: TrialDate
    analyte: StrictStr
    value: Number = Field(ge=0)
    unit: StrictStr | None = None
    lln: Number | None = Field(default=None, ge=0)
    uln: Number | None = Field(default=None, gt=0)


class LiverExam(_In):
    """A later clinical Child-Pugh assessment (ascites, encephalopathy)."""

    date: TrialDate
    ascites: StrictStr
    encephalopathy: StrictStr


class AdverseEventEntry(_In):
    """A clinical adverse event: CTCAE term, grade 1-5, onset and resolution (null = ongoing).

    ``attributed_to`` names the treatment components it acts on; when omitted, the terms of the
    regimen's HAIC rules act on TACE-HAIC, the hand-foot skin reaction on sorafenib, and any other
    term on both.
    """

    term: StrictStr
    grade: StrictInt = Field(ge=1, le=5)
    onset: TrialDate
    resolution: TrialDate | None = None
    attributed_to: list[Component] | None = None
    #: the text typed, when it was a synonym of the CTCAE name in ``term`` (set by the parser)
    term_entered: StrictStr | None = None


class RecordedResponse(_In):
    """A time-point response already recorded (CR, PR, SD, PD, NE)."""

    date: TrialDate
    response: Literal["CR", "PR", "SD", "PD", "NE"]


class Status(_In):
    """Off-study events: death and withdrawal (refusal or another reason)."""

    death_date: TrialDate | None = None
    withdrawal_date: TrialDate | None = None
    withdrawal_reason: Literal["refusal", "investigator", "lost_to_follow_up", "other"] | None = (
        None
    )


class PatientRecord(_In):
    """One patient's record so far (see the module docstring for the JSON format)."""

    patient_id: StrictStr = ""
    regimen: StrictStr | None = None
    treatment_start: TrialDate | None = None
    patient: PatientInfo
    cycles: list[CycleEntry] = Field(default_factory=list)
    sorafenib_changes: list[SorafenibChange] = Field(default_factory=list)
    labs: list[LabEntry] = Field(default_factory=list)
    liver_exams: list[LiverExam] = Field(default_factory=list)
    exams: list[Exam] = Field(default_factory=list)
    adverse_events: list[AdverseEventEntry] = Field(default_factory=list)
    mrecist: dict[str, Any] | None = None
    responses: list[RecordedResponse] = Field(default_factory=list)
    status: Status = Field(default_factory=Status)

    def latest_date(self) -> date | None:
        """Return the latest date anywhere in the record (None for an empty record)."""
        dates = [d for _, d in _all_dates(self)]
        return max(dates) if dates else None


def _bad(field: str, message: str) -> DataValidationError:
    return DataValidationError(f"{field}: {message}", field=field)


def _all_dates(rec: PatientRecord) -> list[tuple[str, date]]:
    out: list[tuple[str, date]] = []
    if rec.treatment_start is not None:
        out.append(("treatment_start", rec.treatment_start))
    out += [(f"cycles[{i}].date", c.date) for i, c in enumerate(rec.cycles)]
    out += [(f"sorafenib_changes[{i}].date", c.date) for i, c in enumerate(rec.sorafenib_changes)]
    out += [(f"labs[{i}].date", x.date) for i, x in enumerate(rec.labs)]
    out += [(f"liver_exams[{i}].date", x.date) for i, x in enumerate(rec.liver_exams)]
    out += [(f"exams[{i}].date", x.date) for i, x in enumerate(rec.exams)]
    for i, ae in enumerate(rec.adverse_events):
        out.append((f"adverse_events[{i}].onset", ae.onset))
        if ae.resolution is not None:
            out.append((f"adverse_events[{i}].resolution", ae.resolution))
    out += [(f"responses[{i}].date", r.date) for i, r in enumerate(rec.responses)]
    if rec.mrecist is not None:
        for i, a in enumerate(rec.mrecist.get("assessments") or []):
            if isinstance(a, dict) and isinstance(a.get("date"), str):
                # a bad date is reported by the mRECIST parser, which names the item
                with contextlib.suppress(ValueError):
                    out.append((f"mrecist.assessments[{i}].date", date.fromisoformat(a["date"])))
    st = rec.status
    if st.death_date is not None:
        out.append(("status.death_date", st.death_date))
    if st.withdrawal_date is not None:
        out.append(("status.withdrawal_date", st.withdrawal_date))
    return out


def _check_order(name: str, attr: str, dates: list[date], *, strict: bool) -> None:
    for i in range(1, len(dates)):
        before = dates[i] <= dates[i - 1] if strict else dates[i] < dates[i - 1]
        if before:
            word = "on or before" if strict and dates[i] == dates[i - 1] else "before"
            raise _bad(
                f"{name}[{i}].{attr}",
                f"{dates[i]} is {word} {name}[{i - 1}].{attr} {dates[i - 1]}; expected the "
                "entries in date order" + (" (one per date)" if strict else ""),
            )


def _check(rec: PatientRecord) -> None:
    p = rec.patient
    if p.bsa_m2 is None and (p.height_cm is None or p.weight_kg is None):
        raise _bad("patient", "no body size given; expected bsa_m2, or height_cm and weight_kg")
    for i, c in enumerate(rec.cycles):
        if c.cycle != i + 1:
            raise _bad(
                f"cycles[{i}].cycle",
                f"got {c.cycle}; expected {i + 1} (cycles are listed in order, numbered 1, 2, 3, ...)",
            )
    for i in range(1, len(rec.cycles)):
        if rec.cycles[i].date <= rec.cycles[i - 1].date:
            raise _bad(
                f"cycles[{i}].date",
                f"{rec.cycles[i].date} is not after cycles[{i - 1}].date "
                f"{rec.cycles[i - 1].date}; expected cycles in date order",
            )
    _check_order("sorafenib_changes", "date", [c.date for c in rec.sorafenib_changes], strict=False)
    _check_order("labs", "date", [x.date for x in rec.labs], strict=False)
    _check_order("liver_exams", "date", [x.date for x in rec.liver_exams], strict=False)
    _check_order("exams", "date", [x.date for x in rec.exams], strict=False)
    for i, ex in enumerate(rec.exams):
        if ex.ecog is None and ex.weight_kg is None:
            raise _bad(f"exams[{i}]", "neither ecog nor weight_kg given; expected at least one")
    _check_order("adverse_events", "onset", [a.onset for a in rec.adverse_events], strict=False)
    _check_order("responses", "date", [r.date for r in rec.responses], strict=True)
    if rec.treatment_start is not None and rec.cycles and rec.cycles[0].date < rec.treatment_start:
        raise _bad(
            "cycles[0].date",
            f"{rec.cycles[0].date} is before treatment_start {rec.treatment_start}",
        )
    for i, ae in enumerate(rec.adverse_events):
        if ae.resolution is not None and ae.resolution < ae.onset:
            raise _bad(
                f"adverse_events[{i}].resolution",
                f"{ae.resolution} is before its onset {ae.onset}",
            )
    if rec.mrecist is not None and rec.responses:
        raise _bad(
            "responses",
            "both mrecist and responses given; expected one source of the tumour response",
        )
    st = rec.status
    if (st.withdrawal_date is None) != (st.withdrawal_reason is None):
        raise _bad(
            "status.withdrawal_reason",
            "withdrawal_date and withdrawal_reason go together; give both or neither",
        )
    if st.death_date is not None:
        for where, d in _all_dates(rec):
            if where != "status.death_date" and d > st.death_date:
                raise _bad(where, f"{d} is after status.death_date {st.death_date}")
    _check_units(rec)


def _check_units(rec: PatientRecord) -> None:
    from hcctrial.clinical.units import ANALYTES, canonical_value

    for i, lab in enumerate(rec.labs):
        where = f"labs[{i}]"
        if lab.analyte not in ANALYTES:
            raise _bad(
                f"{where}.analyte",
                f"got {lab.analyte!r}; expected one of {', '.join(sorted(ANALYTES))}",
            )
        try:
            canonical_value(lab.analyte, lab.value, lab.unit, field=f"{where}.value")
        except HcctrialError as exc:
            raise DataValidationError(f"{where} ({lab.analyte}): {exc}", field=where) from exc


def _canonical_terms(rec: PatientRecord, version: str) -> PatientRecord:
    """Return ``rec`` with every adverse event under its CTCAE name and a grade CTCAE defines."""
    from hcctrial.assess.adverse_events import canonical_adverse_event

    events = []
    changed = False
    for i, ae in enumerate(rec.adverse_events):
        try:
            name = canonical_adverse_event(ae.term, ae.grade, version)
        except HcctrialError as exc:
            raise DataValidationError(
                f"adverse_events[{i}].{exc}", field=f"adverse_events[{i}]"
            ) from exc
        if name != ae.term:
            changed = True
            ae = ae.model_copy(update={"term": name, "term_entered": ae.term})
        events.append(ae)
    return rec.model_copy(update={"adverse_events": events}) if changed else rec


def parse_record(
    data: PatientRecord | dict[str, Any], *, ctcae_version: str = "4.03"
) -> PatientRecord:
    """Return the validated record; raise :class:`DataValidationError` naming the bad item.

    Adverse-event terms must be in the bundled CTCAE list of ``ctcae_version`` (a synonym is
    replaced by the CTCAE name) with a grade CTCAE defines for the term.
    """
    if isinstance(data, PatientRecord):
        _check(data)
        return _canonical_terms(data, ctcae_version)
    if not isinstance(data, dict):
        raise DataValidationError(
            f"record: got {type(data).__name__}; expected a JSON object", field="record"
        )
    try:
        rec = PatientRecord.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise DataValidationError(
            "patient record: " + "; ".join(f"{w or 'record'}: {m}" for w, m in problems),
            field=problems[0][0] or "record",
        ) from exc
    _check(rec)
    return _canonical_terms(rec, ctcae_version)
