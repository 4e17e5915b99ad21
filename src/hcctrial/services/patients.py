"""Patients: screen and enrol, record the baseline -- and the one definition of a screen failure.

:func:`screen_and_enrol` decides enrolment here and nowhere else: the eligibility engine
(:func:`hcctrial.protocol.eligibility.screen_patient`) judges the patient's screening input under the
regimen; an eligible patient is enrolled on the screening date, a patient with a criterion not met
is a screen failure, and a screening that cannot be decided yet is refused (SCREEN-UNDECIDED). The
patient, the screening, each criterion's verdict (the engine's :class:`~hcctrial.protocol.
eligibility.Verdict`, stored as is) and the screening labs are written in one unit of work.

A **screen failure** is a patient whose screening found them not eligible (status
``screen_failure``); **its reason** is the first criterion not met, in the order the engine
judges them, in words (:func:`hcctrial.protocol.eligibility.failure_label`).
:func:`screen_failure_reasons` is that definition for the dashboard, the report and the CONSORT
diagram.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from hcctrial.errors import DataValidationError, RuleViolation
from hcctrial.services.rules import Action, finding, refusal
from hcctrial.services.unit_of_work import Insert, UnitOfWork
from hcctrial.store import models as m

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.protocol.eligibility import ScreeningResult

__all__ = [
    "Enrolment",
    "record_baseline",
    "screen_and_enrol",
    "screen_failure_reasons",
]


@dataclass(frozen=True)
class Enrolment:
    """The outcome of a screening: the new patient's id, and the engine's result."""

    patient_id: int
    eligible: bool
    result: ScreeningResult


def _screening_result(uow: UnitOfWork, patient: Mapping[str, Any]) -> ScreeningResult:
    from hcctrial.protocol.eligibility import screen_patient

    try:
        return screen_patient(dict(patient), uow.regimen)
    except DataValidationError as exc:
        raise RuleViolation(
            f"[FIELD-VALUE] {exc.message}", rule="FIELD-VALUE", field=exc.field
        ) from exc


def screen_and_enrol(
    uow: UnitOfWork,
    *,
    study_id: str,
    site_id: int,
    screening_date: date | str,
    patient: Mapping[str, Any],
    labs: Sequence[Mapping[str, Any]] = (),
    notes: str | None = None,
    reason: str,
) -> Enrolment:
    """Screen a new patient and enrol them if eligible; return the patient's id and the result.

    ``patient`` is the eligibility engine's input (``examples/patients/*.json``); ``labs`` the
    screening labs as typed (``analyte``, ``value_entered``, ``unit_entered``, optional
    ``uln``/``lln``), dated on the screening date.
    """
    result = _screening_result(uow, patient)
    if result.eligible is None:
        missing = ", ".join(result.missing) or "a criterion could not be evaluated"
        raise refusal([finding("SCREEN-UNDECIDED", "screenings", None, None, missing=missing)])
    eligible = bool(result.eligible)
    pid, sid = uow.new_id(), uow.new_id()
    writes = [
        Insert(
            m.Patient,
            [
                {
                    "id": pid,
                    "study_id": study_id,
                    "site_id": site_id,
                    "enrolment_date": screening_date if eligible else None,
                }
            ],
        ),
        Insert(
            m.Screening,
            [
                {
                    "id": sid,
                    "patient_id": pid,
                    "screening_date": screening_date,
                    "eligible": eligible,
                    "notes": notes,
                }
            ],
        ),
        Insert(
            m.ScreeningCriterion,
            [
                {
                    "screening_id": sid,
                    "criterion_id": c.id,
                    "verdict": c.verdict,
                    "value": None if c.value is None else str(c.value)[:200],
                    "threshold": c.threshold[:200] or None,
                    "reason": c.reason,
                }
                for c in result.criteria
            ],
        ),
    ]
    if labs:
        rows = [{**lab, "patient_id": pid, "sample_date": screening_date} for lab in labs]
        writes.append(Insert(m.LabResult, rows))
    outcome = uow.run(Action.SCREEN, writes, reason=reason)
    return Enrolment(outcome.id_of(pid), eligible, result)


def record_baseline(
    uow: UnitOfWork, patient_id: int, values: Mapping[str, Any], *, reason: str
) -> int:
    """Record the patient's baseline (demographics, tumour burden); return its id."""
    return uow.add(Action.BASELINE, m.Baseline, {**values, "patient_id": patient_id}, reason=reason)


def screen_failure_reasons(session: Session) -> dict[str, str]:
    """Return study id -> the reason (in words) of every screen failure.

    The one definition: a patient whose screening found them not eligible; the reason is the first
    criterion not met in the engine's order (criteria are stored in that order), else the first not
    evaluable one.
    """
    from sqlalchemy import select

    from hcctrial.protocol.eligibility import Verdict, failure_label

    p, s, c = m.table_of(m.Patient), m.table_of(m.Screening), m.table_of(m.ScreeningCriterion)
    q = (
        select(p.c.study_id, c.c.criterion_id, c.c.verdict)
        .join(s, s.c.patient_id == p.c.id)
        .join(c, c.c.screening_id == s.c.id)
        .where(s.c.eligible.is_(False))
        .order_by(p.c.study_id, c.c.id)
    )
    not_met: dict[str, str] = {}
    other: dict[str, str] = {}
    for sid, criterion, verdict in session.execute(q):
        if verdict is Verdict.NOT_MET:
            not_met.setdefault(sid, criterion)
        elif verdict is not Verdict.MET:
            other.setdefault(sid, criterion)
    failed = session.execute(
        select(p.c.study_id).join(s, s.c.patient_id == p.c.id).where(s.c.eligible.is_(False))
    ).scalars()
    out = {}
    for sid in failed:
        criterion = not_met.get(sid) or other.get(sid)
        out[sid] = failure_label(criterion) if criterion else "not recorded"
    return dict(sorted(out.items()))
