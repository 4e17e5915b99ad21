"""Per-patient results the pages derive (the patient page's view, the visit schedule), kept until
the audit trail shows that patient's records changed -- the dashboard cache's method
(:mod:`hcctrial.web.dashboard_cache`) applied to single patients.

Why: the patient page's decision (the course engine on the validated course record) and the
schedules of a page of the patient list cost tens of milliseconds of CPU per request; under 50
clients on a loaded machine that CPU is the latency. The results are still computed by the
engines from the records; only *when* they are recomputed changes.

Correct under concurrent writers: every write appends audit entries in its transaction, so a
request reading at audit head ``h`` sees every change up to ``h``. :meth:`PatientMemo.sync` moves
forward through the entries after the last head seen and records, per patient, the head of its
last change; a result computed at head ``h`` serves only while ``h`` is at least its patient's
last change. A request whose snapshot is older than the memo's head neither syncs nor stores.
Keys include the day (the schedule's statuses and the next step depend on today).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from hcctrial.web.dashboard import audit_head

__all__ = [
    "MAX_ENTRIES",
    "PatientMemo",
    "compile_templates",
    "freeze_start_up_heap",
    "memo_schedules",
    "patient_memo",
    "warm_patient_page",
    "warm_schedules",
    "warm_up_in_background",
]

T = TypeVar("T")
#: Results kept (least recently used dropped first).
MAX_ENTRIES = 20_000
#: Beyond this many new audit entries the memo forgets everything (a bulk import).
FORGET_AFTER = 20_000


class PatientMemo:
    """Results per (kind, patient id, key), invalidated by the patient's audit entries."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._seq = -1
        self._floor = 0  # results computed before this head are forgotten
        self._changed: dict[int, int] = {}  # patient id -> head of its last change
        self._values: OrderedDict[tuple[Any, ...], tuple[int, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def sync(self, session: Any) -> int:
        """Follow the audit entries since the last head seen; return this snapshot's head."""
        from hcctrial.web.dashboard_cache import _changed_patients

        head = audit_head(session)
        with self._lock:
            seq = self._seq
        if head <= seq:
            return head
        if seq < 0 or head - seq > FORGET_AFTER:
            with self._lock:
                if head > self._seq:
                    self._values.clear()
                    self._changed.clear()
                    self._floor, self._seq = head, head
            return head
        changed = _changed_patients(session, seq, head)
        with self._lock:
            if head > self._seq:
                for pid in changed:
                    self._changed[pid] = head
                self._seq = head
        return head

    def lookup(self, kind: str, pid: int, key: Hashable) -> tuple[bool, Any]:
        """(True, result) when a valid result is kept, else (False, None)."""
        k = (kind, pid, key)
        with self._lock:
            found = self._values.get(k)
            if (
                found is not None
                and found[0] >= self._floor
                and found[0] >= self._changed.get(pid, 0)
            ):
                self._values.move_to_end(k)
                self.hits += 1
                return True, found[1]
            self.misses += 1
            return False, None

    def store(self, head: int, kind: str, pid: int, key: Hashable, value: Any) -> None:
        """Keep ``value``, computed at ``head``, unless a newer change is already known."""
        with self._lock:
            if head >= self._seq and head >= self._changed.get(pid, 0):
                k = (kind, pid, key)
                self._values[k] = (head, value)
                self._values.move_to_end(k)
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)

    def get(self, head: int, kind: str, pid: int, key: Hashable, compute: Callable[[], T]) -> T:
        """The result of ``compute()`` for patient ``pid``, from the memo when still valid
        (``head``: the caller's snapshot, from :meth:`sync`)."""
        found, value = self.lookup(kind, pid, key)
        if found:
            return value  # type: ignore[no-any-return]
        value = compute()
        self.store(head, kind, pid, key, value)
        return value  # type: ignore[no-any-return]


def memo_schedules(
    memo: PatientMemo, head: int, session: Any, patients: list[Any], regimen: Any, today: Any
) -> dict[int, Any]:
    """:func:`hcctrial.services.visit_schedule.schedules` of ``patients``, computing only those
    the memo does not hold."""
    from hcctrial.services.visit_schedule import schedules

    out: dict[int, Any] = {}
    missing = []
    for p in patients:
        found, value = memo.lookup("schedule", p.id, today)
        if found:
            out[p.id] = value
        else:
            missing.append(p)
    if missing:
        computed = schedules(session, missing, regimen, today)
        for pid, items in computed.items():
            memo.store(head, "schedule", pid, today, items)
        out.update(computed)
    return out


def patient_memo(app_state: Any) -> PatientMemo:
    """The application's memo (created at first use)."""
    memo = getattr(app_state, "patient_memo", None)
    if memo is None:
        memo = app_state.patient_memo = PatientMemo()
    return memo  # type: ignore[no-any-return]


#: Patients per batch of the start-up warm-up (one query round per batch).
WARM_BATCH = 50


def warm_schedules(app_state: Any) -> int:
    """Compute every patient's visit schedule into the application's memo, a batch at a time;
    return the number of patients done.

    Why: the patient list computes the schedules of the patients it shows, the first time in
    a few hundred milliseconds per page; a server that starts cold makes its first users wait
    for every page at once (50 clients' first requests took up to 2 s in benchmarks/web_load.py).
    Each batch reads in its own short transaction and stores through :meth:`PatientMemo.store`,
    so a write during the warm-up leaves no stale schedule behind (the memo's own rule).
    """
    import time

    from sqlalchemy import select

    from hcctrial.store import models as m

    state = app_state.web
    memo = patient_memo(app_state)
    today = state.today()
    with state.sessions() as session:
        ids = list(session.scalars(select(m.Patient.id).order_by(m.Patient.id)))
    done = 0
    for start in range(0, len(ids), WARM_BATCH):
        with state.sessions() as session, session.begin():
            head = memo.sync(session)
            batch = list(
                session.scalars(
                    select(m.Patient).where(m.Patient.id.in_(ids[start : start + WARM_BATCH]))
                )
            )
            memo_schedules(memo, head, session, batch, state.regimen, today)
        done += len(batch)
        time.sleep(0)  # let a request in between batches
    return done


def compile_templates(app_state: Any) -> int:
    """Compile every page template now (Jinja compiles a template at its first use: 0.4 s for
    all 28, which the first users would otherwise share); return how many."""
    env = app_state.web.templates.env
    names = env.list_templates()
    for name in names:
        env.get_template(name)
    return len(names)


def warm_patient_page(app_state: Any) -> bool:
    """Compute the patient page's parts once, for the first enrolled patient (records, view,
    form status, signatures): the first use of each of the page's queries and engines costs
    ~0.1 s more than later ones (statement compilation, imports, caches), which the first users
    would otherwise pay together. Returns whether there was a patient to do it with."""
    from sqlalchemy import select

    from hcctrial.store import models as m
    from hcctrial.web.patient_file import load_patient_file
    from hcctrial.web.patient_view import patient_view
    from hcctrial.web.routes_pages import data_management
    from hcctrial.web.routes_part11 import part11_of

    state = app_state.web
    with state.sessions() as session:
        patient = session.scalars(
            select(m.Patient).where(m.Patient.enrolment_date.is_not(None)).limit(1)
        ).first()
        if patient is None:
            return False
        pf = load_patient_file(session, patient)
        view = patient_view(pf, state.regimen, state.today())
        data_management(session, pf)
        part11_of(session, patient.id, view.timeline)
    return True


def freeze_start_up_heap() -> int:
    """Collect garbage once, then move every object alive (the application, its caches and what
    the warm-up computed) out of the collector's reach (:func:`gc.freeze`); return how many.

    Why: a full collection walks every tracked object; after the warm-up of a 1,000-patient
    trial that is ~200,000 objects and 60 ms, paid by whichever request happens to allocate at
    that moment (seen as a 80-120 ms outlier on otherwise 20 ms pages). Frozen objects are still
    freed by reference counting when dropped; only reference cycles among them would be kept, and
    start-up objects live as long as the server anyway.
    """
    import gc

    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def warm_up_in_background(app_state: Any) -> Any:
    """Start the warm-up in a daemon thread (``hcctrial serve`` does, after the application is
    made): the page templates (:func:`compile_templates`), the patient page's first-use costs
    (:func:`warm_patient_page`), every patient's visit schedule (:func:`warm_schedules`), then
    the start-up heap frozen (:func:`freeze_start_up_heap`); a failure is logged, never raised.
    Returns the thread."""
    import logging
    import threading

    def run() -> None:
        try:
            compile_templates(app_state)
            warm_patient_page(app_state)
            warm_schedules(app_state)
            freeze_start_up_heap()
        except Exception:  # the warm-up only saves time: the pages compute what is missing
            logging.getLogger("hcctrial.web").exception("warm-up of the visit schedules failed")

    thread = threading.Thread(target=run, name="hcctrial-warm-up", daemon=True)
    thread.start()
    return thread
