"""The dashboard kept current incrementally: each patient's derivation is cached and redone only
when the audit trail says that patient's records changed.

Why: deriving every subject of a 1,000-patient trial (CTCAE grading of every lab, the mRECIST
engine on every scan series, the endpoints) costs seconds of CPU; a dashboard request must cost
milliseconds. The values are still computed by the engines, never stored or typed in: only *when*
they are recomputed changes.

How it stays correct: every write to a trial table goes through :mod:`hcctrial.services`,
which appends an audit entry (table, primary key, old and new row) in the same transaction. A
refresh reads the audit entries after the last one it has seen (by primary key ``seq``), maps each
to its patient (``patient_id`` of the row, or of its parent for lesions, doses and screening
criteria), reloads only those patients' records (:func:`hcctrial.derive.records.records_by_patient_id`) and derives them again
with :func:`hcctrial.derive.subject.derive_subject` and
:func:`hcctrial.derive.endpoints.endpoints_of`. Counts (screened, enrolled, screen-failure reasons)
are aggregate queries; the curves come from :func:`hcctrial.stats.kaplan_meier.kaplan_meier` over
the cached endpoint rows; the statistical plan's one analysis (:func:`hcctrial.analysis.run.analyse`)
runs on the cached rows at each refresh. This works across processes and across writers other than the web
application (the CLI importer, a second server): they all append to the same audit trail. A
first call, or a gap of more than :data:`FULL_REBUILD_ENTRIES` entries (a bulk import), rebuilds
everything from :func:`hcctrial.derive.records.load_patient_records`.

Reads see committed data only; the audit entries and the rows they describe are committed
together, so a refresh never misses a change (a patient may be derived from rows newer than the
last entry read: it is derived again at the next refresh, which is harmless).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from hcctrial.analysis.plan import PlanFile, default_plan
from hcctrial.derive.records import records_by_patient_id
from hcctrial.errors import HcctrialError
from hcctrial.store import models as m
from hcctrial.web.dashboard import (
    DashboardData,
    audit_head,
    dashboard_from,
    screen_failures,
)

__all__ = [
    "FULL_REBUILD_ENTRIES",
    "MIN_REFRESH_INTERVAL_S",
    "DashboardCache",
    "PatientOutcome",
    "site_dashboard",
]

#: Beyond this many new audit entries, rebuilding everything is cheaper than following them.
FULL_REBUILD_ENTRIES = 20_000
#: Under a stream of writes the dashboard is refreshed at most once per this many seconds, so a
#: busy trial's dashboard is at most this old (plus one refresh) and costs bounded CPU.
MIN_REFRESH_INTERVAL_S = 1.0


#: Tables whose rows reach their patient through a parent: table -> (fk column, parent model).
_THROUGH_PARENT: dict[str, tuple[str, type[m.Record]]] = {
    "lesion_measurements": ("imaging_id", m.ImagingAssessment),
    "cycle_doses": ("cycle_id", m.TreatmentCycle),
    "screening_criteria": ("screening_id", m.Screening),
}


@dataclass(frozen=True)
class PatientOutcome:
    """One patient's derivation: the subject row, its analysis variables and endpoint rows, or
    why there are none."""

    study_id: str
    enrolled: bool
    subject: Any | None  # hcctrial.derive.subject.SubjectRow
    endpoints: tuple[Any, ...]  # hcctrial.derive.endpoints.EndpointRow
    problem: str | None
    data: Any | None = None  # hcctrial.analysis.datasets.SubjectData


def _outcome(rec: Any, plan: PlanFile) -> PatientOutcome:
    from hcctrial.derive.datasets import subject_data
    from hcctrial.derive.endpoints import endpoints_of
    from hcctrial.derive.subject import derive_subject

    if not rec.enrolled:
        return PatientOutcome(rec.study_id, False, None, (), None)
    try:
        subject = derive_subject(rec, plan.plan.adverse_events.terms)
        rows = endpoints_of(rec, subject, plan.plan)
    except HcctrialError as exc:
        return PatientOutcome(rec.study_id, True, None, (), str(exc))
    return PatientOutcome(
        rec.study_id, True, subject, tuple(rows), None, subject_data(subject, rec)
    )


def _changed_patients(session: Any, after_seq: int, upto_seq: int) -> set[int]:
    """The ids of the patients whose records the audit entries ``after_seq < seq <= upto_seq``
    touched (inserted, updated or deleted rows, old and new values)."""
    from sqlalchemy import select

    audit = m.table_of(m.AuditEntry)
    entries = session.execute(
        select(audit.c.table_name, audit.c.row_pk, audit.c.old_values, audit.c.new_values).where(
            audit.c.seq > after_seq, audit.c.seq <= upto_seq
        )
    )
    patients: set[int] = set()
    parents: dict[type[m.Record], set[int]] = defaultdict(set)
    for table, pk, old, new in entries:
        if table == "patients":
            patients.add(int(pk))
            continue
        for text in (old, new):
            if not text:
                continue
            state = json.loads(text)
            if "patient_id" in state and state["patient_id"] is not None:
                patients.add(int(state["patient_id"]))
            elif table in _THROUGH_PARENT:
                column, parent = _THROUGH_PARENT[table]
                if state.get(column) is not None:
                    parents[parent].add(int(state[column]))
    for parent, ids in parents.items():
        table = m.table_of(parent)
        found = session.execute(select(table.c.patient_id).where(table.c.id.in_(sorted(ids))))
        patients.update(int(pid) for (pid,) in found)
    return patients


class DashboardCache:
    """Per-patient derivations and the dashboard built from them, refreshed from the audit log.

    One instance per application, thread-safe. A refresh costs the patients changed since the
    previous one. Freshness: when data changed, a request refreshes -- unless the last refresh is
    less than ``min_interval_s`` old or another request is refreshing right now; then it gets the
    previous result at once (so under continuous writes the dashboard is at most about
    ``min_interval_s`` old). The first call waits for the full build. ``stats`` counts full
    rebuilds, refreshes, patients derived and stale answers (for tests and the benchmark).
    ``plan``: the statistical analysis plan the dashboard follows (default: the seed plan).
    """

    def __init__(
        self, min_interval_s: float = MIN_REFRESH_INTERVAL_S, plan: PlanFile | None = None
    ) -> None:
        self.min_interval_s = min_interval_s
        self.plan = plan or default_plan()
        self._lock = threading.Lock()
        self._seq = -1
        self._refreshed_at = 0.0
        self._outcomes: dict[int, PatientOutcome] = {}
        self._data: DashboardData | None = None
        #: (audit head, site id) -> that site's dashboard (:func:`site_dashboard`)
        self._sites: dict[tuple[int, int | None], DashboardData] = {}
        self.stats: Counter[str] = Counter()

    def data(self, session: Any) -> DashboardData:
        """The dashboard as of the newest committed audit entry (see the class for staleness)."""
        head = audit_head(session)
        previous = self._data
        if previous is not None and (
            self._seq == head or time.monotonic() - self._refreshed_at < self.min_interval_s
        ):
            if self._seq != head:
                self.stats["stale"] += 1
            return previous
        if not self._lock.acquire(blocking=previous is None):
            self.stats["stale"] += 1
            assert previous is not None
            return previous
        try:
            head = audit_head(session)
            if self._data is not None and self._seq == head:
                return self._data
            if self._seq < 0 or head - self._seq > FULL_REBUILD_ENTRIES or head < self._seq:
                self._rebuild(session)
            else:
                self._refresh(session, self._seq, head)
            data = self._assemble(session)
            self._seq, self._data = head, data
            self._refreshed_at = time.monotonic()
            return data
        finally:
            self._lock.release()

    def _rebuild(self, session: Any) -> None:
        from sqlalchemy import select

        from hcctrial.derive.records import load_patient_records

        ids = {sid: pid for pid, sid in session.execute(select(m.Patient.id, m.Patient.study_id))}
        self._outcomes = {
            ids[rec.study_id]: _outcome(rec, self.plan)
            for rec in load_patient_records(session)
            if rec.study_id in ids
        }
        self.stats["rebuilds"] += 1
        self.stats["derived"] += len(self._outcomes)

    def _refresh(self, session: Any, after: int, head: int) -> None:
        changed = _changed_patients(session, after, head)
        records = records_by_patient_id(session, changed)
        for pid in changed:
            rec = records.get(pid)
            if rec is None:
                self._outcomes.pop(pid, None)  # the patient was deleted
            else:
                self._outcomes[pid] = _outcome(rec, self.plan)
        self.stats["refreshes"] += 1
        self.stats["derived"] += len(records)

    def _assemble(self, session: Any) -> DashboardData:
        reasons, n_fail = screen_failures(session)
        outcomes = sorted(self._outcomes.values(), key=lambda o: o.study_id)
        return dashboard_from(
            self.plan,
            [o.data for o in outcomes if o.data is not None],
            [row for o in outcomes for row in o.endpoints],
            screened=len(outcomes),
            enrolled=sum(1 for o in outcomes if o.enrolled),
            failures=reasons,
            n_fail=n_fail,
            skipped=tuple((o.study_id, o.problem) for o in outcomes if o.problem is not None),
        )


def site_dashboard(cache: DashboardCache, session: Any, site_id: int | None) -> DashboardData:
    """The dashboard of one site's patients only (issue 19: a site role sees its own site; counts
    of another site's patients could identify them). Built from the cache's derivations (refreshed
    first), kept per site until the audit head moves."""
    from sqlalchemy import select

    cache.data(session)  # refreshes the per-patient derivations
    key = (cache._seq, site_id)
    kept = cache._sites.get(key)
    if kept is not None:
        return kept
    with cache._lock:
        outcomes = dict(cache._outcomes)
    ids = (
        set()
        if site_id is None
        else {
            int(pid)
            for (pid,) in session.execute(select(m.Patient.id).where(m.Patient.site_id == site_id))
        }
    )
    mine = sorted((o for pid, o in outcomes.items() if pid in ids), key=lambda o: o.study_id)
    study_ids = {o.study_id for o in mine}
    from hcctrial.services.patients import screen_failure_reasons

    failures = {s: r for s, r in screen_failure_reasons(session).items() if s in study_ids}
    counts = Counter(failures.values())
    data = dashboard_from(
        cache.plan,
        [o.data for o in mine if o.data is not None],
        [row for o in mine for row in o.endpoints],
        screened=len(mine),
        enrolled=sum(1 for o in mine if o.enrolled),
        failures=tuple(sorted(counts.items(), key=lambda x: (-x[1], x[0]))),
        n_fail=len(failures),
        skipped=tuple((o.study_id, o.problem) for o in mine if o.problem is not None),
    )
    cache._sites = {k: v for k, v in cache._sites.items() if k[0] == key[0]}
    cache._sites[key] = data
    return data
