"""The time-to-event dataset: one row per patient and endpoint, in days and months.

Time origin: day 0 = the first TACE-HAIC (cycle 1; the enrolment date when no cycle was given).
Months = days / 30.4375 (the mean Gregorian month, 365.25 / 12), stated in every row's ``unit``.

Endpoints, each named for what it is:

- ``pfs_paper`` — **PFS as the paper defined it**: "from the date of the first TACE-HAIC treatment
  until disease progression". Only progression is an event (strictly a time to progression),
  dated at the first PD time point of the mRECIST engine (the protocol's rule: the PFS event is the
  first PD even though treatment may continue to a second PD). Patients without progression --
  including those who died -- are censored at their last adequate assessment (the last follow-up
  scan with a response other than NE), or at day 0 without one. The reproduction uses this one.
- ``pfs`` — **standard PFS**: progression or death from any cause, whichever comes first; censored
  at the last adequate assessment when neither happened.
- ``os`` — **overall survival**: death from any cause; censored at the last contact (the latest
  follow-up date).

The paper's 43 PFS events against 45 deaths are impossible under the standard definition (seed
AUDIT.md INC-13): it must have censored deaths without progression, hence ``pfs_paper``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hcctrial.derive.records import PatientRecords
from hcctrial.derive.subject import SubjectRow

__all__ = [
    "DAYS_PER_MONTH",
    "ENDPOINTS",
    "EndpointRow",
    "derive_endpoints",
    "endpoints_of",
    "write_datasets_csv",
]

DAYS_PER_MONTH = 30.4375
#: endpoint code -> description
ENDPOINTS: dict[str, str] = {
    "pfs_paper": "time to progression as defined in the paper (death without progression "
    "censored at the last adequate assessment)",
    "pfs": "standard progression-free survival (progression or death, whichever first)",
    "os": "overall survival (death from any cause; censored at last contact)",
}


@dataclass(frozen=True)
class EndpointRow:
    """One patient's time for one endpoint. ``event`` 1 = event, 0 = censored at ``end_date``."""

    study_id: str
    endpoint: str
    start_date: date
    end_date: date
    event: int
    days: int
    months: float
    reason: str
    unit: str = "months = days / 30.4375"


def _row(
    study_id: str, endpoint: str, start: date, end: date, event: int, reason: str
) -> EndpointRow:
    days = (end - start).days
    return EndpointRow(study_id, endpoint, start, end, event, days, days / DAYS_PER_MONTH, reason)


def endpoints_of(rec: PatientRecords, subject: SubjectRow) -> tuple[EndpointRow, ...]:
    """Return the ``pfs_paper``, ``pfs`` and ``os`` rows of one enrolled patient."""
    from hcctrial.errors import DataValidationError

    start = subject.first_treatment_date
    if not rec.followups:
        raise DataValidationError(
            f"{rec.study_id}: followups: got none; expected at least one contact (last contact "
            "or death) to derive overall survival",
            field="followups",
        )
    deaths = [f.contact_date for f in rec.followups if f.vital_status == "dead"]
    death = min(deaths) if deaths else None
    last_contact = max(f.contact_date for f in rec.followups)
    pd = subject.first_pd_date
    censor = subject.last_adequate_assessment or start
    if pd is not None:
        paper = _row(rec.study_id, "pfs_paper", start, pd, 1, "first PD (mRECIST + protocol rules)")
    else:
        why = "death without progression: censored" if death else "no progression: censored"
        paper = _row(
            rec.study_id, "pfs_paper", start, censor, 0, f"{why} at the last adequate assessment"
        )
    if pd is not None and (death is None or pd <= death):
        standard = _row(rec.study_id, "pfs", start, pd, 1, "first PD")
    elif death is not None:
        standard = _row(rec.study_id, "pfs", start, death, 1, "death without progression")
    else:
        standard = _row(
            rec.study_id,
            "pfs",
            start,
            censor,
            0,
            "no progression or death: censored at the last adequate assessment",
        )
    if death is not None:
        os_row = _row(rec.study_id, "os", start, death, 1, "death")
    else:
        os_row = _row(rec.study_id, "os", start, last_contact, 0, "alive: censored at last contact")
    for row in (paper, standard, os_row):
        if row.days < 0:
            raise DataValidationError(
                f"{rec.study_id}: {row.endpoint} ends {row.end_date}, before day 0 {start}; "
                "expected dates on or after the first treatment",
                field=row.endpoint,
            )
    return paper, standard, os_row


def derive_endpoints(
    records: tuple[PatientRecords, ...], subjects: tuple[SubjectRow, ...]
) -> tuple[EndpointRow, ...]:
    """Return the endpoint rows of every subject (three per patient, in subject order)."""
    by_id = {r.study_id: r for r in records}
    return tuple(row for s in subjects for row in endpoints_of(by_id[s.study_id], s))


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
