"""The Part 11 gates of every write: database lock, record and casebook locks, signatures.

Two gates of :data:`hcctrial.services.gates.GATES`, so that the web forms, the JSON API, the CSV
and REDCap imports, the command line and the demo are all held by the same check:

- :func:`database_lock` (DATABASE-LOCKED): while the database is locked for analysis, every
  write is refused -- except disabling an account (a compromised account must be stoppable at
  any time; it changes no trial data);
- :func:`locks_and_signatures` (RECORD-LOCKED), after the links gate has resolved which patient
  every row belongs to: a change, deletion or new child row of a locked record's form, or any
  write to a patient whose casebook is locked, is refused. It also notes in the plan the
  signatures the write invalidates (the signed record's form or the signed casebook changes);
  the unit of work marks them ``changed_after_signing`` in the same transaction
  (:func:`mark_signatures_changed`), each change audited.

A *form* is a record with the rows that hang under it: a screening with its criteria, a cycle
with its dose lines, a scan with its lesions (:data:`hcctrial.services.charts.PATIENT_PATH`); a
lock or signature of the form covers those rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from hcctrial.services.charts import PATIENT_PATH
from hcctrial.services.plan import Plan
from hcctrial.services.rules import finding, refusal
from hcctrial.store import models as m
from hcctrial.store.models_part11 import Lock, LockScope, Signature, SignatureStatus

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = [
    "active_database_lock",
    "confirm_database_open",
    "database_lock",
    "form_of",
    "locks_and_signatures",
    "mark_signatures_changed",
    "refuse_while_database_locked",
    "when",
]

_CHUNK = 500


def when(at: datetime | None) -> str:
    """A UTC time as people read it in messages: ``2026-03-02 14:05 UTC``."""
    return "-" if at is None else f"{at:%Y-%m-%d %H:%M} UTC"


@cache
def _database_lock_ids() -> Any:
    """SELECT the id of the database lock in force (built and compiled once: every write runs
    it)."""
    from sqlalchemy import select

    t = m.table_of(Lock)
    return select(t.c.id).where(t.c.active.is_(True), t.c.scope == LockScope.DATABASE).limit(1)


def active_database_lock(session: Session) -> dict[str, Any] | None:
    """The database lock in force (its row), or None when the database is open."""
    from sqlalchemy import select

    pk = session.execute(_database_lock_ids()).scalar()
    if pk is None:
        return None
    t = m.table_of(Lock)
    return dict(session.execute(select(t).where(t.c.id == pk)).mappings().one())


def _account_disable_only(plan: Plan) -> bool:
    return (
        not plan.inserts
        and not plan.touched
        and bool(plan.changes)
        and all(
            ch.table == "users" and ch.new is not None and dict(ch.changes) == {"active": False}
            for ch in plan.changes
        )
    )


def database_lock(uow: UnitOfWork, plan: Plan) -> None:
    """DATABASE-LOCKED: no write while the database is locked (an account may be disabled)."""
    if _account_disable_only(plan):
        return
    refuse_while_database_locked(uow.session)


def refuse_while_database_locked(session: Session) -> None:
    """DATABASE-LOCKED for any write while the database is locked: the gate of the unit of work
    and the data-management writes (form status, SDV, queries) that are not clinical records."""
    lock = active_database_lock(session)
    if lock is None:
        return
    raise refusal(
        [
            finding(
                "DATABASE-LOCKED",
                "locks",
                lock["id"],
                None,
                since=when(lock["locked_at"]),
                by=lock["locked_by"],
                reason=lock["reason"],
            )
        ]
    )


def confirm_database_open(uow: UnitOfWork, plan: Plan) -> None:
    """DATABASE-LOCKED again after the plan's rows are written, on PostgreSQL: this transaction
    now holds the audit chain's head (``FOR UPDATE``), which a lock's own audited insert needs
    too, so a lock committed while the plan was checked is seen here and the write is rolled
    back -- no write lands after the lock. (SQLite runs one writer at a time: no such race.)"""
    if uow.session.get_bind().dialect.name == "postgresql":
        database_lock(uow, plan)


def form_of(table: str, row: dict[str, Any]) -> tuple[str, int] | None:
    """The form (table, id) a row of ``table`` hangs under (its parent other than the patient),
    None for a row that is its own form."""
    path = PATIENT_PATH.get(table)
    if path is None or path[1] == "patients":
        return None
    value = row.get(path[0])
    return (path[1], int(value)) if isinstance(value, int) and value > 0 else None


def _forms_written(plan: Plan) -> set[tuple[str, int]]:
    """Every saved record whose form the plan changes: the records changed or deleted and the
    forms they hang under (before and after), and the forms new rows are added to."""
    out: set[tuple[str, int]] = set()
    for ch in plan.changes:
        out.add((ch.table, ch.pk))
        for row in (ch.old, ch.new):
            form = None if not row else form_of(ch.table, row)
            if form is not None:
                out.add(form)
    for ins in plan.inserts:
        if ins.table in PATIENT_PATH and PATIENT_PATH[ins.table][1] != "patients":
            for row in ins.rows:
                form = form_of(ins.table, row)
                if form is not None:
                    out.add(form)
    return out


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    items = sorted(ids)
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


@cache
def _locks_and_signatures_of() -> Any:
    """SELECT the locks in force and the valid signatures of the patients ``:pids`` (one
    statement, built and compiled once: every write of a patient's records runs it)."""
    from sqlalchemy import String, bindparam, cast, literal, select, union_all

    lock, sig = m.table_of(Lock), m.table_of(Signature)

    def columns(t: Any, kind: str) -> list[Any]:
        return [
            literal(kind, String(16)).label("kind"),
            t.c.id,
            t.c.version,
            cast(t.c.scope, String(32)).label("scope"),
            t.c.table_name,
            t.c.record_id,
            t.c.patient_id,
        ]

    return union_all(
        select(*columns(lock, "lock")).where(
            lock.c.active.is_(True), lock.c.patient_id.in_(bindparam("pids", expanding=True))
        ),
        select(*columns(sig, "signature")).where(
            sig.c.status == SignatureStatus.SIGNED,
            sig.c.patient_id.in_(bindparam("spids", expanding=True)),
        ),
    )


def _rows_of_patients(session: Session, patients: set[int]) -> list[dict[str, Any]]:
    stmt = _locks_and_signatures_of()
    out: list[dict[str, Any]] = []
    for chunk in _chunks(patients):
        result = session.execute(stmt, {"pids": chunk, "spids": chunk})
        keys = list(result.keys())
        out.extend(dict(zip(keys, row, strict=True)) for row in result)
    return out


def _lock_rows(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    from sqlalchemy import select

    t = m.table_of(Lock)
    stmt = select(t).where(t.c.id.in_(ids)).order_by(t.c.id)
    return [dict(r) for r in session.execute(stmt).mappings()]


def _what(lock: dict[str, Any], plan: Plan) -> str:
    patient = plan.saved_patients.get(lock["patient_id"]) or {}
    study_id = patient.get("study_id", lock["patient_id"])
    if lock["scope"] == LockScope.CASEBOOK:
        return f"The casebook of {study_id}"
    return f"{lock['table_name']} id {lock['record_id']} of {study_id}"


def locks_and_signatures(uow: UnitOfWork, plan: Plan) -> None:
    """RECORD-LOCKED on the forms and patients the plan writes; note the signatures it
    invalidates in ``plan.signatures_changed``."""
    patients = {pid for pid, row in plan.saved_patients.items() if row is not None}
    if not patients:
        return
    forms = _forms_written(plan)
    hits: list[int] = []
    for row in _rows_of_patients(uow.session, patients):
        covers = row["table_name"] is None or (row["table_name"], row["record_id"]) in forms
        if not covers:
            continue
        if row["kind"] == "lock":
            hits.append(int(row["id"]))
        else:
            plan.signatures_changed.append((int(row["id"]), int(row["version"])))
    if hits:
        found = [
            finding(
                "RECORD-LOCKED",
                str(lock["table_name"] or "patients"),
                lock["record_id"] or lock["patient_id"],
                None,
                what=_what(lock, plan),
                since=when(lock["locked_at"]),
                by=lock["locked_by"],
                reason=lock["reason"],
            )
            for lock in _lock_rows(uow.session, hits)
        ]
        raise refusal(found)


def mark_signatures_changed(uow: UnitOfWork, plan: Plan) -> None:
    """Mark the signatures the plan invalidated ``changed_after_signing`` (audited, with the
    action and its reason); called by the unit of work after the plan's rows are written."""
    from hcctrial.services import persistence as db

    why = f"changed after signing: {plan.action.value}: {plan.reason}"
    for pk, version in plan.signatures_changed:
        db.update(
            uow.session,
            Signature,
            pk,
            {"status": SignatureStatus.CHANGED_AFTER_SIGNING},
            expected_version=version,
            actor=uow.actor.username,
            reason=why,
        )
