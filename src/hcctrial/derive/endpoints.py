"""The time-to-event dataset: one row per patient and endpoint of the plan, in days and months.

Each endpoint is derived from its definition in the statistical analysis plan
(``[endpoints.*]`` of :mod:`hcctrial.analysis.schema`; default: the seed plan), from the patient's
dates (:class:`EventDates`):

- **origin**: ``first_treatment`` = the first TACE-HAIC (cycle 1; the enrolment date when no cycle
  was given), ``enrolment``, or ``first_response`` = the first mRECIST time point of CR or PR
  (patients without one have no row: the duration of response);
- **events**: ``progression`` = the first PD time point of the mRECIST engine (the protocol's rule:
  the PFS event is the first PD even though treatment may continue to a second PD), ``death``
  (the first follow-up contact with vital status dead), ``withdrawal`` (from the protocol);
- the first of the endpoint's events is the event (status 1; on a tie, the first listed); the first
  of its **competing** events strictly before it ends the time as a competing event (status 2);
- otherwise the patient is censored (status 0) at ``last_adequate_assessment`` (the last follow-up
  scan with a response other than NE, up to the first PD; day 0 without one) or ``last_contact``
  (the latest follow-up date).

Months = days / the plan's days per month (30.4375 in the seed plan, the mean Gregorian month),
stated in every row's ``unit``.

The seed plan's endpoints, each named for what it is: ``pfs_paper`` -- **PFS as the paper defined
it** ("from the date of the first TACE-HAIC treatment until disease progression": progression only,
deaths without progression censored; strictly a time to progression), ``pfs`` -- standard PFS
(progression or death), ``os``, ``ttp``, ``dor``, ``ttf`` and ``cif_progression`` (progression
with death as a competing event). The paper's 43 PFS events against 45 deaths are impossible under
the standard definition (seed AUDIT.md INC-13): it must have censored deaths without progression.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from hcctrial.derive.records import PatientRecords
from hcctrial.derive.subject import SubjectRow

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.analysis.schema import Endpoint, Plan

__all__ = [
    "DAYS_PER_MONTH",
    "EndpointRow",
    "EventDates",
    "derive_endpoints",
    "endpoint_row",
    "endpoints_of",
    "event_dates",
    "write_datasets_csv",
]

#: The seed plan's days per month (365.25 / 12); the plan file is the keeper of this number.
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class EndpointRow:
    """One patient's time for one endpoint. ``event`` 1 = event, 0 = censored at ``end_date``,
    2 = a competing event (cumulative-incidence endpoints only)."""

    study_id: str
    endpoint: str
    start_date: date
    end_date: date
    event: int
    days: int
    months: float
    reason: str
    unit: str = "months = days / 30.4375"


@dataclass(frozen=True)
class EventDates:
    """The dates a patient's endpoints are derived from (None: did not happen / not recorded)."""

    study_id: str
    first_treatment: date
    enrolment: date | None
    first_response: date | None
    progression: date | None
    death: date | None
    withdrawal: date | None
    last_adequate_assessment: date
    last_contact: date


_EVENT_REASON = {
    "progression": "first PD (mRECIST + protocol rules)",
    "death": "death",
    "withdrawal": "withdrawal from the protocol",
}
_CENSOR_REASON = {
    "last_adequate_assessment": "the last adequate assessment",
    "last_contact": "last contact",
}


def event_dates(rec: PatientRecords, subject: SubjectRow) -> EventDates:
    """Return the dates of one enrolled patient's endpoints (raises without a follow-up contact)."""
    from hcctrial.errors import DataValidationError

    start = subject.first_treatment_date
    if not rec.followups:
        raise DataValidationError(
            f"{rec.study_id}: followups: got none; expected at least one contact (last contact "
            "or death) to derive overall survival",
            field="followups",
        )
    deaths = [f.contact_date for f in rec.followups if f.vital_status == "dead"]
    return EventDates(
        study_id=rec.study_id,
        first_treatment=start,
        enrolment=rec.enrolment_date,
        first_response=subject.first_response_date,
        progression=subject.first_pd_date,
        death=min(deaths) if deaths else None,
        withdrawal=None if rec.withdrawal is None else rec.withdrawal.withdrawal_date,
        last_adequate_assessment=subject.last_adequate_assessment or start,
        last_contact=max(f.contact_date for f in rec.followups),
    )


def endpoint_row(
    key: str, endpoint: Endpoint, dates: EventDates, days_per_month: float = DAYS_PER_MONTH
) -> EndpointRow | None:
    """Return the row of endpoint ``key`` for one patient (None when it has no origin for him)."""
    from hcctrial.errors import DataValidationError

    origin = {
        "first_treatment": dates.first_treatment,
        "enrolment": dates.enrolment,
        "first_response": dates.first_response,
    }[endpoint.origin]
    if origin is None:
        return None

    def first(kinds: list[str]) -> tuple[date, str] | None:
        found = [(getattr(dates, k), i, k) for i, k in enumerate(kinds) if getattr(dates, k)]
        return min(found)[::2] if found else None

    event, competing = first(list(endpoint.events)), first(list(endpoint.competing))
    if competing is not None and (event is None or competing[0] < event[0]):
        end, status = competing[0], 2
        reason = f"{_EVENT_REASON[competing[1]]} (competing event)"
    elif event is not None:
        end, status, reason = event[0], 1, _EVENT_REASON[event[1]]
    else:
        end, status = getattr(dates, endpoint.censor_at), 0
        what = " or ".join(endpoint.events)
        died = "death without an event: " if dates.death and "death" not in endpoint.events else ""
        reason = f"{died}no {what}: censored at {_CENSOR_REASON[endpoint.censor_at]}"
    days = (end - origin).days
    if days < 0:
        raise DataValidationError(
            f"{dates.study_id}: {key} ends {end}, before its origin {origin}; expected dates on or "
            "after the origin",
            field=key,
        )
    unit = f"months = days / {days_per_month:g}"
    return EndpointRow(
        dates.study_id, key, origin, end, status, days, days / days_per_month, reason, unit
    )


def _plan(plan: Plan | None) -> Plan:
    if plan is not None:
        return plan
    from hcctrial.analysis.plan import default_plan

    return default_plan().plan


def endpoints_of(
    rec: PatientRecords, subject: SubjectRow, plan: Plan | None = None
) -> tuple[EndpointRow, ...]:
    """Return the rows of every endpoint of ``plan`` (default: the seed plan) for one enrolled
    patient, in the plan's order (an endpoint without an origin for him has no row)."""
    p = _plan(plan)
    dates = event_dates(rec, subject)
    rows = (endpoint_row(k, e, dates, p.days_per_month()) for k, e in p.endpoints.items())
    return tuple(r for r in rows if r is not None)


def derive_endpoints(
    records: tuple[PatientRecords, ...], subjects: tuple[SubjectRow, ...], plan: Plan | None = None
) -> tuple[EndpointRow, ...]:
    """Return the endpoint rows of every subject (in subject order, the plan's endpoint order)."""
    by_id = {r.study_id: r for r in records}
    p = _plan(plan)
    return tuple(row for s in subjects for row in endpoints_of(by_id[s.study_id], s, p))


def write_datasets_csv(
    subjects: tuple[SubjectRow, ...], endpoints: tuple[EndpointRow, ...], out_dir: Path
) -> tuple[Path, Path]:
    """Write ``subjects.csv`` (one row per patient) and ``endpoints.csv`` (patient x endpoint)
    into ``out_dir``; return both paths. Dates ISO, booleans true/false, missing empty."""
    import csv
    from dataclasses import asdict

    def cell(v: object) -> object:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, date):
            return v.isoformat()
        return v

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (out_dir / "subjects.csv", out_dir / "endpoints.csv")
    tables = ([s.as_flat_dict() for s in subjects], [asdict(e) for e in endpoints])
    for path, rows in zip(paths, tables, strict=True):
        with path.open("w", newline="", encoding="utf-8") as fh:
            fields = list(rows[0]) if rows else []
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            for r in rows:
                writer.writerow({k: cell(v) for k, v in r.items()})
    return paths
