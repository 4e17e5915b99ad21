"""Reading the audit trail: a patient's whole history, and the trial-wide view with filters.

A patient's history is every entry on every record that belongs or **belonged** to the patient:
the records the patient has now, and those the audit trail shows with the patient before an update
moved them away or a delete removed them (a lab "entered on the wrong patient" and deleted stays
in its patient's history). Records below a record of the patient (a cycle's doses, a scan's
lesions, a screening's criteria) follow their parent, wherever the parent went.

The trial-wide view (monitors and admins: :data:`Capability.VIEW_TRIAL_AUDIT`) filters by user,
action, record type, patient, site and date (UTC), newest first, in pages; the same filter gives
the CSV export. A monitor of one site sees the entries of that site's patients, users and site
only. Who may read what is decided here, through :mod:`hcctrial.services.permissions` (the web
pages and the JSON API only call these functions).

How records are found: a child table is one whose foreign key points to a table with a
``patient_id``; records now are read from the tables, records before from the ``old_values`` of
the log's updates and deletes (an insert never moves a record). Password hashes never appear in
what is shown: a change of one reads "password changed".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from hcctrial.errors import field_error
from hcctrial.services.permissions import Actor, Capability, can, sees_site, spans_sites
from hcctrial.services.rules import finding, refusal
from hcctrial.store import models as m
from hcctrial.store.values import audited_digest, column_specs

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = [
    "AuditFilter",
    "AuditPage",
    "patient_audit",
    "trial_audit",
    "trial_audit_entries",
]

#: Columns every record has, not shown as changes.
_BOOKKEEPING = frozenset({"version", "created_at", "updated_at"})
_SECRET = "password_hash"
_CHUNK = 500


@dataclass(frozen=True)
class AuditFilter:
    """What the trial-wide view shows: each field None = any. Dates are UTC days, inclusive."""

    user: str | None = None
    action: str | None = None
    record_type: str | None = None
    patient_id: int | None = None
    site_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    #: The patient by study id (what a monitor knows), instead of ``patient_id``.
    study_id: str | None = None

    def checked(self) -> AuditFilter:
        """Return the filter, or raise naming the field whose value is not one of the choices."""
        if self.action is not None and self.action not in {a.value for a in m.AuditAction}:
            raise field_error("action", self.action, "insert, update or delete")
        tables = {t.__tablename__ for t in _audited_models()}
        if self.record_type is not None and self.record_type not in tables:
            raise field_error(
                "record_type", self.record_type, "one of " + ", ".join(sorted(tables))
            )
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise field_error("date_to", self.date_to, f"a day on or after {self.date_from}")
        return self


@dataclass(frozen=True)
class AuditPage:
    """One page of entries (newest first), the number matching the filter, and the paging."""

    entries: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# -------------------------------------------------------------------------------- permissions
def _refuse_role(user: Actor, capability: Capability) -> None:
    if not can(user, capability):
        raise refusal(
            [
                finding(
                    "AUTH-ROLE",
                    "audit_log",
                    None,
                    None,
                    role=user.role.value,
                    capability=capability.value.replace("_", " "),
                )
            ]
        )


def _refuse_site(user: Actor, site_id: int, what: str) -> None:
    if not sees_site(user, site_id):
        yours = "no site" if user.site_id is None else f"site {user.site_id}"
        raise refusal(
            [finding("AUTH-SITE", "audit_log", None, None, what=what, site=site_id, yours=yours)]
        )


# ------------------------------------------------------------------------------ record keys
def _audited_models() -> tuple[Any, ...]:
    """The audited record models (:data:`hcctrial.store.models.AUDITED_TABLES`)."""
    return m.AUDITED_TABLES


def _structure() -> tuple[list[str], dict[str, tuple[str, str]]]:
    """(tables with a patient_id, child table -> (its fk column, the parent table))."""
    direct = [t.__tablename__ for t in _audited_models() if "patient_id" in column_specs(t)]
    children: dict[str, tuple[str, str]] = {}
    for model in _audited_models():
        for spec in column_specs(model).values():
            parent = spec.references
            if parent is not None and parent in direct and model.__tablename__ not in direct:
                children[model.__tablename__] = (spec.name, parent)
    return direct, children


Key = tuple[str, str]


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _former_states(session: Session, tables: set[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(table, pk, old state) of every update and delete of ``tables`` in the log."""
    from sqlalchemy import select

    audit = m.table_of(m.AuditEntry)
    rows = session.execute(
        select(audit.c.table_name, audit.c.row_pk, audit.c.old_values).where(
            audit.c.action != m.AuditAction.INSERT, audit.c.table_name.in_(sorted(tables))
        )
    )
    out = []
    for table, pk, old in rows:
        try:
            state = json.loads(old) if old else None
        except ValueError:
            continue
        if isinstance(state, dict):
            out.append((table, pk, state))
    return out


def record_owners(session: Session, patient_ids: set[int]) -> dict[Key, int]:
    """Every record that belongs or belonged to one of ``patient_ids``: (table, pk) -> patient.

    A record that moved between two of them is given to the later owner; both histories hold it
    (:func:`patient_audit` asks for one patient at a time).
    """
    from sqlalchemy import select

    direct, children = _structure()
    owners: dict[Key, int] = {("patients", str(p)): p for p in patient_ids}
    ids = sorted(patient_ids)
    former = _former_states(session, set(direct) | set(children))
    for table_name in direct:
        table = m.table_of(next(t for t in _audited_models() if t.__tablename__ == table_name))
        if table_name == "patients":
            continue
        for chunk in _chunks(ids):
            for pk, pid in session.execute(
                select(table.c.id, table.c.patient_id).where(table.c.patient_id.in_(chunk))
            ):
                owners[(table_name, str(pk))] = int(pid)
    for table_name, pk, state in former:
        pid = state.get("patient_id")
        if table_name in direct and isinstance(pid, int) and pid in patient_ids:
            owners.setdefault((table_name, pk), pid)
    for child, (fk, parent) in children.items():
        parents = {int(pk): pid for (t, pk), pid in owners.items() if t == parent}
        table = m.table_of(next(t for t in _audited_models() if t.__tablename__ == child))
        for chunk in _chunks(sorted(parents)):
            for pk, parent_id in session.execute(
                select(table.c.id, table.c[fk]).where(table.c[fk].in_(chunk))
            ):
                owners[(child, str(pk))] = parents[int(parent_id)]
        for table_name, pk, state in former:
            parent_id = state.get(fk)
            if table_name == child and isinstance(parent_id, int) and parent_id in parents:
                owners.setdefault((table_name, pk), parents[parent_id])
    return owners


# ----------------------------------------------------------------------------------- entries
def entry_view(entry: Any, owner: int | None = None) -> dict[str, Any]:
    """The shown form of one audit entry: who, when (UTC), what, why, and the fields changed
    (``(field, old, new)``; a password hash only as "password changed")."""
    old = _loads(entry.old_values)
    new = _loads(entry.new_values)
    changed: list[tuple[str, Any, Any]] = []
    for k in sorted(set(old) | set(new)):
        if k in _BOOKKEEPING or old.get(k) == new.get(k) or (k == "id" and old):
            continue
        if k == _SECRET:
            if old.get(k) is not None and new.get(k) == audited_digest(old.get(k)):
                continue  # the same hash, now kept as its digest (migration i16_audit)
            said = "password removed" if new.get(k) is None else "password changed"
            changed.append(("password", None, said if old.get(k) else "password set"))
            continue
        changed.append((k, old.get(k), new.get(k)))
    action = entry.action.value if hasattr(entry.action, "value") else str(entry.action)
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "table": entry.table_name,
        "row": entry.row_pk,
        "action": action,
        "reason": entry.reason,
        "changes": changed,
        "patient_id": owner,
    }


def _loads(text: str | None) -> dict[str, Any]:
    try:
        loaded = json.loads(text) if text else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _entries_of(session: Session, keys: list[Key]) -> list[Any]:
    from sqlalchemy import select, tuple_

    found: list[Any] = []
    for chunk in _chunks(keys):
        found += session.scalars(
            select(m.AuditEntry).where(
                tuple_(m.AuditEntry.table_name, m.AuditEntry.row_pk).in_(chunk)
            )
        )
    return sorted(found, key=lambda e: e.seq)


def patient_audit(session: Session, user: Actor, patient_id: int) -> list[dict[str, Any]]:
    """Every entry on every record that belongs or belonged to the patient, oldest first.

    Refused (AUTH-ROLE) without the audit capability, (AUTH-SITE) for another site's patient;
    a patient id that was never used is a named error.
    """
    _refuse_role(user, Capability.VIEW_AUDIT)
    patient = session.get(m.Patient, patient_id)
    if patient is None:
        raise field_error("patient_id", patient_id, "the id of a patient of this trial")
    _refuse_site(user, patient.site_id, f"Patient {patient.study_id}")
    owners = record_owners(session, {patient_id})
    return [entry_view(e, patient_id) for e in _entries_of(session, list(owners))]


# ------------------------------------------------------------------------------- trial-wide
def _site_scope(session: Session, site_id: int) -> dict[Key, int | None]:
    """The records of site ``site_id``: its patients' (now or before), its users', the site."""
    from sqlalchemy import select

    pids = set(session.scalars(select(m.Patient.id).where(m.Patient.site_id == site_id)))
    users = {str(u) for u in session.scalars(select(m.User.id).where(m.User.site_id == site_id))}
    for table, pk, state in _former_states(session, {"patients", "users"}):
        if state.get("site_id") == site_id:
            if table == "patients":
                pids.add(int(pk))
            else:
                users.add(pk)
    scope: dict[Key, int | None] = dict(record_owners(session, pids))
    scope[("sites", str(site_id))] = None
    scope.update({("users", pk): None for pk in users})
    return scope


def _scope(session: Session, user: Actor, filt: AuditFilter) -> dict[Key, int | None] | None:
    """The records the filter and the user's site restrict the view to (None: every record)."""
    site = filt.site_id
    if not spans_sites(user):
        if user.site_id is None:
            return {}
        if site is not None:
            _refuse_site(user, site, f"Site {site}")
        site = user.site_id
    if filt.study_id is not None:
        from sqlalchemy import select

        found = session.scalars(
            select(m.Patient).where(m.Patient.study_id == filt.study_id)
        ).first()
        if found is None:
            raise field_error("patient", filt.study_id, "the study id of a patient of this trial")
        filt = replace(filt, patient_id=found.id)
    if filt.patient_id is not None:
        patient = session.get(m.Patient, filt.patient_id)
        if patient is None:
            raise field_error("patient_id", filt.patient_id, "the id of a patient of this trial")
        _refuse_site(user, patient.site_id, f"Patient {patient.study_id}")
        if site is not None and patient.site_id != site:
            return {}
        return dict(record_owners(session, {filt.patient_id}))
    return None if site is None else _site_scope(session, site)


def _conditions(filt: AuditFilter) -> list[Any]:
    audit = m.table_of(m.AuditEntry)
    where: list[Any] = []
    if filt.user:
        where.append(audit.c.actor == filt.user)
    if filt.action:
        where.append(audit.c.action == m.AuditAction(filt.action))
    if filt.record_type:
        where.append(audit.c.table_name == filt.record_type)
    if filt.date_from:
        where.append(audit.c.at >= datetime.combine(filt.date_from, time(), UTC))
    if filt.date_to:
        where.append(audit.c.at < datetime.combine(filt.date_to + timedelta(days=1), time(), UTC))
    return where


def _owner_of(session: Session, table: str, pk: str, state: dict[str, Any]) -> int | None:
    """The patient a record of an entry belongs to (None: not a patient's record)."""
    if table == "patients":
        return int(pk)
    pid = state.get("patient_id")
    if isinstance(pid, int):
        return pid
    children = _structure()[1]
    if table not in children:
        return None
    fk, parent = children[table]
    parent_id = state.get(fk)
    if not isinstance(parent_id, int):
        return None
    model = next(t for t in _audited_models() if t.__tablename__ == parent)
    row: Any = session.get(model, parent_id)
    if row is not None:
        return int(row.patient_id)
    from sqlalchemy import select

    last = session.scalars(
        select(m.AuditEntry.old_values)
        .where(m.AuditEntry.table_name == parent, m.AuditEntry.row_pk == str(parent_id))
        .order_by(m.AuditEntry.seq.desc())
        .limit(1)
    ).first()
    owner = _loads(last).get("patient_id")
    return owner if isinstance(owner, int) else None


def trial_audit(
    session: Session, user: Actor, filt: AuditFilter, *, page: int = 1, per_page: int = 50
) -> AuditPage:
    """One page (newest first) of the entries matching ``filt`` that ``user`` may see.

    Refused (AUTH-ROLE) unless the role has the trial-wide audit view (monitor, admin); a site
    monitor sees only the site's records (AUTH-SITE for another site or its patient).
    """
    from sqlalchemy import func, select

    _refuse_role(user, Capability.VIEW_TRIAL_AUDIT)
    if page < 1:
        raise field_error("page", page, "a page number from 1")
    if not 1 <= per_page <= 1000:
        raise field_error("per_page", per_page, "1 to 1000 entries per page")
    filt = filt.checked()
    scope = _scope(session, user, filt)
    audit = m.table_of(m.AuditEntry)
    where = _conditions(filt)
    offset = (page - 1) * per_page
    if scope is None:
        total = int(
            session.execute(select(func.count()).select_from(audit).where(*where)).scalar_one()
        )
        rows = list(
            session.scalars(
                select(m.AuditEntry)
                .where(*where)
                .order_by(m.AuditEntry.seq.desc())
                .limit(per_page)
                .offset(offset)
            )
        )
    else:
        matching = [
            seq
            for seq, table, pk in session.execute(
                select(audit.c.seq, audit.c.table_name, audit.c.row_pk)
                .where(*where)
                .order_by(audit.c.seq.desc())
            )
            if (table, pk) in scope
        ]
        total = len(matching)
        wanted = matching[offset : offset + per_page]
        rows = list(
            session.scalars(
                select(m.AuditEntry)
                .where(m.AuditEntry.seq.in_(wanted))
                .order_by(m.AuditEntry.seq.desc())
            )
        )
    entries = []
    for e in rows:
        key = (e.table_name, e.row_pk)
        if scope is not None and key in scope:
            owner = scope[key]
        else:
            owner = _owner_of(session, e.table_name, e.row_pk, _loads(e.new_values or e.old_values))
        entries.append(entry_view(e, owner))
    _name_patients(session, entries)
    return AuditPage(entries, total, page, per_page)


def _name_patients(session: Session, entries: list[dict[str, Any]]) -> None:
    """Add each entry's patient study id (``patient``; ``#<id>`` for a deleted patient)."""
    from sqlalchemy import select

    ids = sorted({e["patient_id"] for e in entries if e["patient_id"] is not None})
    names = (
        dict(
            session.execute(
                select(m.Patient.id, m.Patient.study_id).where(m.Patient.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    for e in entries:
        pid = e["patient_id"]
        e["patient"] = None if pid is None else names.get(pid, f"#{pid}")


def trial_audit_entries(
    session: Session, user: Actor, filt: AuditFilter
) -> Iterator[dict[str, Any]]:
    """Every entry matching ``filt`` that ``user`` may see, newest first (the CSV export)."""
    page = 1
    while True:
        found = trial_audit(session, user, filt, page=page, per_page=1000)
        yield from found.entries
        if page >= found.pages:
            return
        page += 1
