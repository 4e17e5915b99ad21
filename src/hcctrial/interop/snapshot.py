"""One read of the trial database for every export: raw tables, patient records, derived datasets.

:func:`load_snapshot` reads each table once, groups the records by patient and derives the
subject and endpoint rows with the same functions as the analysis (``hcctrial.derive``), as the
statistical analysis plan defines them (its adverse-event table and its endpoints; default: the
seed plan, :func:`hcctrial.analysis.default_plan`), so all formats of one ``hcctrial export``
describe the same data and ``hcctrial analyze --sap`` the same plan. A patient whose records
cannot be derived yet (an enrolled patient without baseline labs or follow-up, mid-trial) is left
out of the *derived* datasets and named in ``not_derived`` with the reason; the raw tables keep
every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from hcctrial.interop.dataset import Dataset

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.analysis.plan import PlanFile
    from hcctrial.analysis.schema import Plan
    from hcctrial.derive.endpoints import EndpointRow
    from hcctrial.derive.records import PatientRecords
    from hcctrial.derive.subject import SubjectRow

__all__ = ["DEFAULT_STUDY_ID", "TrialSnapshot", "load_snapshot", "study_day", "usubjid"]

#: STUDYID of the exports (one trial per database).
DEFAULT_STUDY_ID = "HCCTRIAL"
#: The longest cycle (6 weeks): the treatment epoch ends this long after the last cycle.
TREATMENT_TAIL_DAYS = 42


def usubjid(study_id: str, subject: str) -> str:
    """Return the USUBJID of a patient: ``<STUDYID>-<study id>`` (the one way it is built)."""
    return f"{study_id}-{subject}"


def study_day(day: date | None, reference: date | None) -> int | None:
    """Return the SDTM study day of ``day`` (day 1 = ``reference``; no day 0), None if unknown."""
    if day is None or reference is None:
        return None
    delta = (day - reference).days
    return delta + 1 if delta >= 0 else delta


def _seed_plan() -> PlanFile:
    from hcctrial.analysis.plan import default_plan

    return default_plan()


@dataclass
class TrialSnapshot:
    """Everything the exports need, read once. ``tables`` are the raw tables by name; ``plan`` the
    statistical analysis plan the subjects and endpoints were derived by."""

    tables: dict[str, Dataset]
    records: tuple[PatientRecords, ...]
    subjects: dict[str, SubjectRow]
    endpoints: tuple[EndpointRow, ...]
    not_derived: dict[str, str] = field(default_factory=dict)
    study_id: str = DEFAULT_STUDY_ID
    plan: PlanFile = field(default_factory=_seed_plan)
    _rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _span: dict[int, tuple[date, date]] | None = None
    #: study id -> the mRECIST time points of :func:`hcctrial.assess.mrecist.patient_response`
    time_points: dict[str, Any] = field(default_factory=dict)
    #: built SDTM datasets by name (ADaM reuses them within one export)
    sdtm: dict[str, Dataset] = field(default_factory=dict)
    #: other results reused by several formats of one export (the REDCap rows: ODM and REDCap)
    cache: dict[str, Any] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Return the rows of a raw table as dicts (cached)."""
        if table not in self._rows:
            self._rows[table] = self.tables[table].rows()
        return self._rows[table]

    def by_id(self, table: str) -> dict[int, dict[str, Any]]:
        """Return the rows of a raw table by id."""
        return {r["id"]: r for r in self.rows(table)}

    def patients(self) -> list[dict[str, Any]]:
        """Return the patients' rows in study-id order."""
        return sorted(self.rows("patients"), key=lambda r: r["study_id"])

    def population(self, key: str) -> frozenset[str]:
        """Return the study ids of the plan's population ``key`` among the derived patients,
        selected by the analysis's own rule (:func:`hcctrial.analysis.datasets.select_population`
        on :func:`hcctrial.derive.datasets.subject_data`, as ``hcctrial analyze`` selects them)."""
        if "populations" not in self.cache:
            from hcctrial.analysis.datasets import select_population
            from hcctrial.derive.datasets import subject_data

            by_id = {r.study_id: r for r in self.records}
            data = [subject_data(s, by_id.get(i)) for i, s in sorted(self.subjects.items())]
            self.cache["populations"] = {
                k: frozenset(s.study_id for s in select_population(data, p.all_of)[0])
                for k, p in self.plan.plan.populations.items()
            }
        members: frozenset[str] = self.cache["populations"][key]
        return members

    def day0(self, study_id: str) -> date | None:
        """Return the patient's day 0 (first TACE-HAIC) when derived, else None."""
        s = self.subjects.get(study_id)
        return None if s is None else s.first_treatment_date

    def epoch(self, patient_id: int, day: date | None) -> str:
        """Return the EPOCH of a date: SCREENING before day 0, TREATMENT up to 6 weeks after the
        last cycle, FOLLOW-UP after ('' when the date is unknown)."""
        if day is None:
            return ""
        first, last = self.cycle_span().get(patient_id, (None, None))
        if first is None or last is None or day < first:
            return "SCREENING"
        if day <= last + timedelta(days=TREATMENT_TAIL_DAYS):
            return "TREATMENT"
        return "FOLLOW-UP"

    def cycle_span(self) -> dict[int, tuple[date, date]]:
        """Return patient id -> (first, last) cycle date (cached)."""
        if self._span is None:
            span: dict[int, tuple[date, date]] = {}
            for c in self.rows("treatment_cycles"):
                pid, d = c["patient_id"], c["cycle_date"]
                lo, hi = span.get(pid, (d, d))
                span[pid] = (min(lo, d), max(hi, d))
            self._span = span
        return self._span


#: Enrolled patients from which the derivation runs in two forked processes.
PARALLEL_FROM = 200
_FORKED: tuple[Any, ...] = ()
_FORKED_PLAN: list[Plan] = []


def _derive_one(rec: PatientRecords, plan: Plan) -> tuple[Any, Any, Any, str | None]:
    """Return (subject row, endpoint rows, mRECIST time points or None, error) of one patient,
    derived as ``plan`` defines its adverse-event table and endpoints."""
    from hcctrial.assess.mrecist import patient_response
    from hcctrial.derive.endpoints import endpoints_of
    from hcctrial.derive.subject import _regimen_rules, derive_subject, mrecist_input
    from hcctrial.errors import HcctrialError

    try:
        subject = derive_subject(rec, plan.adverse_events.terms)
        rows = endpoints_of(rec, subject, plan)
    except HcctrialError as exc:
        return None, None, None, str(exc)
    points = None
    if len(rec.imaging) >= 2:
        rules, afp_uln = _regimen_rules()
        points = patient_response(mrecist_input(rec, afp_uln), rules).time_points
    return subject, rows, points, None


def _derive_chunk(bounds: tuple[int, int]) -> list[tuple[Any, Any, Any, str | None]]:
    """Derive the forked records ``_FORKED[lo:hi]`` (runs in a worker process)."""
    return [_derive_one(r, _FORKED_PLAN[0]) for r in _FORKED[bounds[0]:bounds[1]]]


def _derive_all(
    enrolled: list[PatientRecords], plan: Plan
) -> list[tuple[Any, Any, Any, str | None]]:
    """Derive every enrolled patient; two forked workers for a large trial (2-core machine)."""
    import multiprocessing

    global _FORKED
    if len(enrolled) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return [_derive_one(r, plan) for r in enrolled]
    from concurrent.futures import ProcessPoolExecutor

    _derive_one(enrolled[0], plan)  # warm the caches (pint, CTCAE, regimen) before the fork
    _FORKED = tuple(enrolled)
    _FORKED_PLAN[:] = [plan]
    half = len(enrolled) // 2
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
            parts = list(pool.map(_derive_chunk, [(0, half), (half, len(enrolled))]))
    finally:
        _FORKED = ()
        _FORKED_PLAN.clear()
    return parts[0] + parts[1]


def load_snapshot(
    session: Session, *, plan: PlanFile | None = None, study_id: str = DEFAULT_STUDY_ID
) -> TrialSnapshot:
    """Read the database once and derive the analysis datasets as ``plan`` (default: the seed
    plan) defines them (see the module docstring)."""
    from hcctrial.derive.records import records_by_patient_id
    from hcctrial.interop.raw_datasets import raw_table_datasets

    pf = plan or _seed_plan()

    tables = {ds.name: ds for ds in raw_table_datasets(session)}
    records = tuple(
        sorted(records_by_patient_id(session).values(), key=lambda r: r.study_id)
    )
    subjects: dict[str, SubjectRow] = {}
    endpoints: list[EndpointRow] = []
    not_derived: dict[str, str] = {}
    points: dict[str, Any] = {}
    enrolled = [r for r in records if r.enrolled]
    derived = _derive_all(enrolled, pf.plan)
    for rec, (subject, rows, tps, error) in zip(enrolled, derived, strict=True):
        if error is not None:
            not_derived[rec.study_id] = error
            continue
        subjects[rec.study_id] = subject
        endpoints.extend(rows)
        if tps is not None:
            points[rec.study_id] = tps
    snap = TrialSnapshot(tables, records, subjects, tuple(endpoints), not_derived, study_id, pf)
    snap.time_points = points
    return snap
