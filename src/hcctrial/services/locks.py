"""Locks: a record, a patient's casebook, or the whole database (frozen for analysis).

Service actions for every door (web pages, JSON API, ``hcctrial lock`` / ``unlock``):

- :func:`lock_record` / :func:`unlock_record` -- one record and the rows of its form (a scan
  with its lesions, a cycle with its dose lines, a screening with its criteria);
- :func:`lock_casebook` / :func:`unlock_casebook` -- every record of one patient;
- :func:`lock_database` / :func:`unlock_database` -- every write of the trial.

Who: a data manager or an admin locks and unlocks records and casebooks and locks the database;
only an admin unlocks the database (:mod:`hcctrial.services.permissions`, AUTH-ROLE); a lock of a
patient's records needs access to the patient's site (AUTH-SITE). Every lock and unlock says why
(REASON-REQUIRED) and is audited (the ``locks`` row, with who, when and why, and its unlocking).
Nothing is locked twice nor unlocked when it is not locked (LOCK-STATE). While the database is
locked, locks of records and casebooks do not change either (DATABASE-LOCKED).

What a lock refuses is enforced by the unit of work's gates (:mod:`~hcctrial.services.part11_gate`)
so that no door can write past it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hcctrial.services import persistence as db
from hcctrial.services.charts import PATIENT_PATH
from hcctrial.services.part11_gate import active_database_lock, database_lock, when
from hcctrial.services.permissions import Capability, can, sees_site
from hcctrial.services.plan import MODELS, Plan
from hcctrial.services.rules import Action, finding, refusal
from hcctrial.services.unit_of_work import UnitOfWork
from hcctrial.store import models as m
from hcctrial.store.models_part11 import Lock, LockScope

__all__ = [
    "active_locks",
    "check_site",
    "database_lock_state",
    "dataset_sentence",
    "dataset_state",
    "lock_casebook",
    "lock_database",
    "lock_record",
    "patient_of_record",
    "require_capability",
    "require_open_database",
    "unlock_casebook",
    "unlock_database",
    "unlock_record",
]


def require_capability(uow: UnitOfWork, capability: Capability) -> None:
    """AUTH-ROLE: the acting user's role grants ``capability``."""
    if not can(uow.actor, capability):
        raise refusal(
            [
                finding(
                    "AUTH-ROLE",
                    "locks",
                    None,
                    None,
                    role=uow.actor.role.value,
                    capability=capability.value.replace("_", " "),
                )
            ]
        )


def _require(uow: UnitOfWork, capability: Capability, reason: str) -> None:
    """AUTH-ROLE for ``capability``; REASON-REQUIRED for ``reason``."""
    require_capability(uow, capability)
    if not isinstance(reason, str) or not reason.strip():
        raise refusal(
            [
                finding(
                    "REASON-REQUIRED",
                    "locks",
                    None,
                    "reason",
                    field="reason",
                    value=reason,
                    expected="a non-empty reason (it goes into the audit trail)",
                )
            ]
        )


def require_open_database(uow: UnitOfWork) -> None:
    """DATABASE-LOCKED: record and casebook locks do not change while the database is locked."""
    database_lock(uow, Plan(Action.LOCK, "lock"))


def _bad_target(field: str, value: object, expected: str) -> Exception:
    return refusal(
        [finding("SIGN-RECORD", "locks", None, field, field=field, value=value, expected=expected)]
    )


def patient_of_record(uow: UnitOfWork, table: str, record_id: int) -> tuple[int, int]:
    """(patient id, version) of record ``record_id`` of ``table`` (a table of a patient's
    forms, or ``patients``); refused by name (SIGN-RECORD) when there is no such record, AUTH-SITE
    when the acting user does not work at the patient's site."""
    from sqlalchemy import select

    if table != "patients" and table not in PATIENT_PATH:
        raise _bad_target(
            "table", table, "patients or a table of a patient's records: " + ", ".join(PATIENT_PATH)
        )
    t = m.table_of(MODELS[table])
    row = uow.session.execute(select(t).where(t.c.id == record_id)).mappings().first()
    if row is None:
        raise _bad_target("id", record_id, f"the id of a record of {table}")
    current, version = dict(row), int(row["version"])
    name = table
    while name != "patients":
        fk, name = PATIENT_PATH[name]
        if name == "patients":
            break
        parent = m.table_of(MODELS[name])
        current = dict(
            uow.session.execute(select(parent).where(parent.c.id == current[fk])).mappings().one()
        )
    pid = int(current["id"] if table == "patients" else current["patient_id"])
    check_site(uow, pid)
    return pid, version


def check_site(uow: UnitOfWork, patient_id: int) -> dict[str, Any]:
    """The row of patient ``patient_id``: SIGN-RECORD when there is none, AUTH-SITE when the
    acting user does not work at its site."""
    from sqlalchemy import select

    t = m.table_of(m.Patient)
    row = uow.session.execute(select(t).where(t.c.id == patient_id)).mappings().first()
    if row is None:
        raise _bad_target("patient_id", patient_id, "the id of an existing patient")
    if not sees_site(uow.actor, row["site_id"]):
        yours = "no site" if uow.actor.site_id is None else f"site {uow.actor.site_id}"
        raise refusal(
            [
                finding(
                    "AUTH-SITE",
                    "patients",
                    patient_id,
                    None,
                    what=f"Patient {row['study_id']}",
                    site=row["site_id"],
                    yours=yours,
                )
            ]
        )
    return dict(row)


def _active(
    uow: UnitOfWork, scope: LockScope, patient_id: int | None, table: str | None, rid: int | None
) -> dict[str, Any] | None:
    from sqlalchemy import select

    t = m.table_of(Lock)
    stmt = select(t).where(t.c.active.is_(True), t.c.scope == scope)
    if patient_id is not None:
        stmt = stmt.where(t.c.patient_id == patient_id)
    if table is not None:
        stmt = stmt.where(t.c.table_name == table, t.c.record_id == rid)
    row = uow.session.execute(stmt.limit(1)).mappings().first()
    return None if row is None else dict(row)


def _state_refusal(what: str, problem: str) -> Exception:
    return refusal([finding("LOCK-STATE", "locks", None, None, what=what, problem=problem)])


def _lock(
    uow: UnitOfWork,
    scope: LockScope,
    what: str,
    *,
    patient_id: int | None = None,
    table: str | None = None,
    record_id: int | None = None,
    reason: str,
) -> int:
    held = _active(uow, scope, patient_id, table, record_id)
    if held is not None:
        raise _state_refusal(
            what, f"is already locked (since {when(held['locked_at'])}, by {held['locked_by']})"
        )
    values = {
        "scope": scope,
        "patient_id": patient_id,
        "table_name": table,
        "record_id": record_id,
        "locked_by": uow.actor.username,
        "locked_at": datetime.now(UTC),
        "reason": reason,
        "active": True,
    }
    (pk,) = db.create_many(
        uow.session, Lock, [values], actor=uow.actor.username, reason=f"lock: {reason}"
    )
    return pk


def _unlock(
    uow: UnitOfWork,
    scope: LockScope,
    what: str,
    *,
    patient_id: int | None = None,
    table: str | None = None,
    record_id: int | None = None,
    reason: str,
) -> None:
    held = _active(uow, scope, patient_id, table, record_id)
    if held is None:
        raise _state_refusal(what, "is not locked")
    changes = {
        "active": False,
        "unlocked_by": uow.actor.username,
        "unlocked_at": datetime.now(UTC),
        "unlock_reason": reason,
    }
    db.update(
        uow.session,
        Lock,
        int(held["id"]),
        changes,
        expected_version=int(held["version"]),
        actor=uow.actor.username,
        reason=f"unlock: {reason}",
    )


# ------------------------------------------------------------------------------- database
def lock_database(uow: UnitOfWork, *, reason: str) -> int:
    """Lock the database for analysis (data manager or admin); return the lock's id."""
    _require(uow, Capability.LOCK_RECORDS, reason)
    return _lock(uow, LockScope.DATABASE, "The database", reason=reason)


def unlock_database(uow: UnitOfWork, *, reason: str) -> None:
    """Unlock the database (admin only, with a reason)."""
    _require(uow, Capability.UNLOCK_DATABASE, reason)
    _unlock(uow, LockScope.DATABASE, "The database", reason=reason)


def database_lock_state(session: Any) -> dict[str, Any]:
    """``{"locked": bool, "locked_at", "locked_by", "reason"}`` of the database lock (None
    values when open): what ``analyze`` and ``report`` print beside the data's hash."""
    lock = active_database_lock(session)
    if lock is None:
        return {"locked": False, "locked_at": None, "locked_by": None, "reason": None}
    at = lock["locked_at"]
    return {
        "locked": True,
        "locked_at": at.isoformat().replace("+00:00", "Z"),
        "locked_by": lock["locked_by"],
        "reason": lock["reason"],
    }


# ------------------------------------------------------------------------------- casebook
def lock_casebook(uow: UnitOfWork, patient_id: int, *, reason: str) -> int:
    """Lock every record of patient ``patient_id``; return the lock's id."""
    _require(uow, Capability.LOCK_RECORDS, reason)
    require_open_database(uow)
    row = check_site(uow, patient_id)
    what = f"The casebook of {row['study_id']}"
    return _lock(uow, LockScope.CASEBOOK, what, patient_id=patient_id, reason=reason)


def unlock_casebook(uow: UnitOfWork, patient_id: int, *, reason: str) -> None:
    """Unlock the casebook of patient ``patient_id``."""
    _require(uow, Capability.LOCK_RECORDS, reason)
    require_open_database(uow)
    row = check_site(uow, patient_id)
    what = f"The casebook of {row['study_id']}"
    _unlock(uow, LockScope.CASEBOOK, what, patient_id=patient_id, reason=reason)


# --------------------------------------------------------------------------------- record
def lock_record(uow: UnitOfWork, table: str, record_id: int, *, reason: str) -> int:
    """Lock record ``record_id`` of ``table`` (with the rows of its form); return the lock's id."""
    _require(uow, Capability.LOCK_RECORDS, reason)
    require_open_database(uow)
    pid, _ = patient_of_record(uow, table, record_id)
    what = f"{table} id {record_id}"
    return _lock(
        uow,
        LockScope.RECORD,
        what,
        patient_id=pid,
        table=table,
        record_id=record_id,
        reason=reason,
    )


def unlock_record(uow: UnitOfWork, table: str, record_id: int, *, reason: str) -> None:
    """Unlock record ``record_id`` of ``table``."""
    _require(uow, Capability.LOCK_RECORDS, reason)
    require_open_database(uow)
    pid, _ = patient_of_record(uow, table, record_id)
    what = f"{table} id {record_id}"
    _unlock(
        uow,
        LockScope.RECORD,
        what,
        patient_id=pid,
        table=table,
        record_id=record_id,
        reason=reason,
    )


def active_locks(session: Any, patient_id: int) -> list[dict[str, Any]]:
    """The locks in force on patient ``patient_id``'s records and casebook (rows, oldest first)."""
    from sqlalchemy import select

    t = m.table_of(Lock)
    stmt = select(t).where(t.c.active.is_(True), t.c.patient_id == patient_id).order_by(t.c.id)
    return [dict(r) for r in session.execute(stmt).mappings()]


def dataset_state(session: Any) -> dict[str, Any]:
    """What ``analyze`` and ``report`` print about the data they read: the database lock's
    state (:func:`database_lock_state`) and the content hash of the raw records
    (:func:`hcctrial.store.fingerprint.dataset_hash`: ``sha256``, ``records``)."""
    from hcctrial.store.fingerprint import dataset_hash

    return {**database_lock_state(session), **dataset_hash(session).as_dict()}


def dataset_sentence(state: dict[str, Any]) -> str:
    """The report's sentence naming the data it was made from (``state``: :func:`dataset_state`)."""
    if state["locked"]:
        lock = (
            f"The database was locked for analysis on {state['locked_at']} by "
            f"{state['locked_by']} ({state['reason']})"
        )
    else:
        lock = "The database was not locked for analysis (its records may have changed since)"
    return (
        f"{lock}. The report was made from {state['records']} raw records with the content hash "
        f"SHA-256 {state['sha256']} (docs/database.md)."
    )
