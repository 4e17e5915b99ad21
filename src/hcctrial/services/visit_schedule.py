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


def _all_dates(
    session: Session, ids: list[int], regimen: Regimen
) -> dict[str, dict[int, list[date]]]:
    """kind -> patient id -> sorted distinct dates, for the patients ``ids``: one UNION ALL
    query (one round trip; Core rows, no ORM overhead)."""
    from sqlalchemy import literal, select, union_all

    lab, scan, fu = m.LabResult, m.ImagingAssessment, m.Followup
    parts: list[tuple[str, Any, Any, tuple[Any, ...]]] = [
        ("screening", m.Screening, m.Screening.screening_date, ()),
        ("baseline", m.Baseline, m.Baseline.assessment_date, ()),
        ("cycles", m.TreatmentCycle, m.TreatmentCycle.cycle_date, ()),
        ("labs", lab, lab.sample_date, (lab.analyte.in_(list(regimen.pre_cycle.labs)),)),
        ("afp", lab, lab.sample_date, (lab.analyte == "afp",)),
        ("scans", scan, scan.assessment_date, ()),
        ("afp", scan, scan.assessment_date, (scan.afp_ng_ml.is_not(None),)),
        ("contacts", fu, fu.contact_date, ()),
        ("deaths", fu, fu.contact_date, (fu.vital_status == m.VitalStatus.DEAD,)),
        ("withdrawn", m.Withdrawal, m.Withdrawal.withdrawal_date, ()),
    ]
    stmt = union_all(
        *(
            select(literal(kind).label("kind"), model.patient_id, column.label("day"))
            .where(model.patient_id.in_(ids), *where)
            .distinct()
            for kind, model, column, where in parts
        )
    )
    out: dict[str, dict[int, set[date]]] = defaultdict(lambda: defaultdict(set))
    for kind, pid, day in session.connection().execute(stmt):
        out[kind][pid].add(day)
    return {k: {pid: sorted(days) for pid, days in v.items()} for k, v in out.items()}


def _first(days: list[date] | None) -> date | None:
    return days[0] if days else None


def patient_dates(
    session: Session, patients: Sequence[Any], regimen: Regimen
) -> dict[int, PatientDates]:
    """The calendar's dates of each patient (ORM ``Patient`` rows)."""
    out: dict[int, PatientDates] = {}
    for start in range(0, len(patients), 500):
        chunk = patients[start : start + 500]
        ids = [p.id for p in chunk]

        found = _all_dates(session, ids, regimen)
        screening, baseline, cycles = (
            found.get("screening", {}),
            found.get("baseline", {}),
            found.get("cycles", {}),
        )
        labs, afp, scans = found.get("labs", {}), found.get("afp", {}), found.get("scans", {})
        contacts, deaths = found.get("contacts", {}), found.get("deaths", {})
        withdrawn = found.get("withdrawn", {})
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
                afp_dates=afp.get(pid, []),
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
