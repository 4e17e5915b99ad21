"""The visit schedules of many patients at once, read from the database for the pure calendar of
:mod:`hcctrial.protocol.visit_schedule` (the patient's grid, a site's "due this week" and
"overdue" lists).

One query per table for up to 500 patients: the dates only (cycles, labs of the regimen's
pre-cycle analytes and AFP, scans, follow-up contacts, withdrawals). The end of treatment is the
last cycle's day 1 for a patient off treatment (the action "end treatment" writes no date);
follow-up stops at death, withdrawal or the last contact of a patient lost to follow-up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from hcctrial.protocol.visit_schedule import PatientDates, VisitItem, visit_schedule
from hcctrial.store import models as m

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.protocol.schema import Regimen

__all__ = ["patient_dates", "schedules"]

_S = m.PatientStatus
_ON = frozenset({_S.ENROLLED, _S.ON_TREATMENT})


def _dates(session: Session, stmt: Any) -> dict[int, list[date]]:
    out: dict[int, list[date]] = defaultdict(list)
    for pid, day in session.execute(stmt):
        out[int(pid)].append(day)
    return out


def _first(days: list[date] | None) -> date | None:
    return days[0] if days else None


def patient_dates(
    session: Session, patients: Sequence[Any], regimen: Regimen
) -> dict[int, PatientDates]:
    """The calendar's dates of each patient (ORM ``Patient`` rows)."""
    from sqlalchemy import select

    out: dict[int, PatientDates] = {}
    for start in range(0, len(patients), 500):
        chunk = patients[start : start + 500]
        ids = [p.id for p in chunk]

        def of(model: Any, column: Any, *where: Any, ids: list[int] = ids) -> dict[int, list[date]]:
            stmt = select(model.patient_id, column).where(model.patient_id.in_(ids), *where)
            return _dates(session, stmt.order_by(column))

        lab = m.LabResult
        screening = of(m.Screening, m.Screening.screening_date)
        baseline = of(m.Baseline, m.Baseline.assessment_date)
        cycles = of(m.TreatmentCycle, m.TreatmentCycle.cycle_date)
        labs = of(lab, lab.sample_date, lab.analyte.in_(list(regimen.pre_cycle.labs)))
        afp = of(lab, lab.sample_date, lab.analyte == "afp")
        scans = of(m.ImagingAssessment, m.ImagingAssessment.assessment_date)
        with_afp = of(
            m.ImagingAssessment,
            m.ImagingAssessment.assessment_date,
            m.ImagingAssessment.afp_ng_ml.is_not(None),
        )
        contacts = of(m.Followup, m.Followup.contact_date)
        deaths = of(
            m.Followup, m.Followup.contact_date, m.Followup.vital_status == m.VitalStatus.DEAD
        )
        withdrawn = of(m.Withdrawal, m.Withdrawal.withdrawal_date)
        for p in chunk:
            pid = p.id
            given = cycles.get(pid, [])
            on = p.status in _ON
            end = None if on else (given[-1] if given else p.enrolment_date)
            stops = [*deaths.get(pid, []), *withdrawn.get(pid, [])]
            if p.status is _S.LOST_TO_FOLLOW_UP and contacts.get(pid):
                stops.append(contacts[pid][-1])
            out[pid] = PatientDates(
                screening=_first(screening.get(pid)),
                enrolment=p.enrolment_date,
                baseline=_first(baseline.get(pid)),
                cycles=given,
                lab_dates=labs.get(pid, []),
                afp_dates=sorted({*afp.get(pid, []), *with_afp.get(pid, [])}),
                imaging=scans.get(pid, []),
                follow_ups=contacts.get(pid, []),
                treatment_end=end,
                stop=min(stops) if stops else None,
                on_treatment=on,
            )
    return out


def schedules(
    session: Session, patients: Sequence[Any], regimen: Regimen, today: date
) -> dict[int, list[VisitItem]]:
    """patient id -> the patient's expected forms (:func:`visit_schedule`)."""
    dates = patient_dates(session, patients, regimen)
    return {pid: visit_schedule(d, regimen, today) for pid, d in dates.items()}
