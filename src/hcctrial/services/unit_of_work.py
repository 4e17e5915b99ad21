"""The one way into the database: a unit of work runs a trial action's writes through every gate.

Every service function builds its writes (:class:`Insert`, :class:`Amend`, :class:`Remove`) and
hands them to :meth:`UnitOfWork.run` with the action and the reason. ``run`` passes them through
:data:`GATES`, in order, and writes only when all pass:

1. who and why -- the acting user is named and a change of a saved record has a reason;
2. the role -- the action needs a capability the role grants (AUTH-ROLE); then the database
   lock -- nothing is written while the database is locked for analysis (DATABASE-LOCKED);
3. the values -- each value fits its column, labs convert, terms are CTCAE terms (FIELD-VALUE,
   LAB-UNIT, LAB-PLAUSIBLE, AE-CTCAE-TERM, AE-CTCAE-GRADE);
4. the versions -- a change applies to the version the user saw (VERSION-STALE);
5. the links -- every record's parents exist, what is unique stays unique, nothing referred to
   is deleted (PARENT-EXISTS, RECORD-UNIQUE, DELETE-REFERENCED);
6. the sites -- the acting user works at the site of every patient the change touches, before
   and after it: the record's and every parent's (AUTH-SITE); a record is not moved to another
   patient or site, the status is not edited (RECORD-MOVE, STATUS-DIRECT);
6b. the locks -- no locked record's form, no record of a locked casebook changes
   (RECORD-LOCKED); the signatures the change invalidates are noted;
7. the charts -- the charts of the patients touched, before and after the change: the state
   machine's transition (STATE-TRANSITION) and every chart check (:mod:`~.checks`); a finding the
   change brings refuses it.

Then :mod:`~.persistence` writes the rows and their audit entries (who, when, old, new, reason) and
the patients' new states, marks the invalidated signatures "changed after signing" and clears the
source-verification marks of the fields whose value changed
(:func:`~hcctrial.services.field_sdv.clear_changed_fields`), in the caller's transaction. A refusal raises before anything is
written. Checks that later issues add to every write (signatures, locks, form status) are one
more gate in :data:`GATES`.

The same path serves one form (a few rows) and an import (hundreds of thousands): every gate works
on all rows of a table at once, and the database is read once per table and 500 patients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from hcctrial.services import persistence as db
from hcctrial.services.checks import RuleContext
from hcctrial.services.gates import GATES
from hcctrial.services.permissions import Actor
from hcctrial.services.plan import (
    MODELS,
    Amend,
    Insert,
    Plan,
    PlannedChange,
    PlannedRows,
    Remove,
    Touch,
    Write,
)
from hcctrial.services.rules import Action
from hcctrial.store import models as m
from hcctrial.store.values import column_specs

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.protocol.schema import Regimen
    from hcctrial.settings import Settings

__all__ = ["Amend", "Insert", "Outcome", "Remove", "Touch", "UnitOfWork", "Write"]

_ORDER = {name: i for i, name in enumerate(MODELS)}


@dataclass
class Outcome:
    """What a unit of work wrote: ``ids`` maps each temporary id to the database's id,
    ``inserted`` lists the ids of each :class:`Insert`'s rows in order, ``statuses`` the patients
    whose state changed."""

    ids: dict[int, int] = field(default_factory=dict)
    inserted: list[list[int]] = field(default_factory=list)
    statuses: dict[int, m.PatientStatus] = field(default_factory=dict)

    def id_of(self, pk: int) -> int:
        """The database's id of ``pk`` (a temporary id, or an id given explicitly)."""
        return self.ids.get(pk, pk)


class UnitOfWork:
    """The acting user's unit of work on a session: the one entry path of every write.

    ``today`` (default: the date today) and ``settings`` (the date tolerance) and ``regimen``
    (default: the bundled regimen) are what the rules read beside the records.
    """

    def __init__(
        self,
        session: Session,
        actor: Actor,
        *,
        today: date | None = None,
        settings: Settings | None = None,
        regimen: Regimen | None = None,
    ) -> None:
        from hcctrial.protocol.regimen import default_regimen

        self.session = session
        self.actor = actor
        self.regimen = regimen or default_regimen()
        tolerance = 1 if settings is None else settings.future_tolerance_days
        self.context = RuleContext.of(self.regimen, today or date.today(), tolerance)
        self._next_temp = 0

    def new_id(self) -> int:
        """A temporary id for a new record (children of the same unit of work may point at it)."""
        self._next_temp -= 1
        return self._next_temp

    def is_temporary_id(self, value: object) -> bool:
        """Whether ``value`` is a temporary id this unit of work gave out (:meth:`new_id`)."""
        return type(value) is int and self._next_temp <= value < 0

    def add(
        self, action: Action, model: type[m.Record], values: dict[str, Any], *, reason: str
    ) -> int:
        """Run ``action`` inserting one record of ``model``; return its id."""
        return self.run(action, [Insert(model, [values])], reason=reason).inserted[0][0]

    def run(self, action: Action, writes: Sequence[Write], *, reason: str) -> Outcome:
        """Check ``writes`` through every gate and write them (audited with ``reason``)."""
        plan = Plan(action, reason)
        for write in writes:
            if isinstance(write, Insert):
                rows: list[Any] = list(write.rows)  # copied only where completed below
                for i, given in enumerate(rows):
                    if given.get("id") in (None, "") or (
                        write.model is m.Patient and given.get("status") is None
                    ):
                        rows[i] = row = dict(given)
                    else:
                        continue
                    if row.get("id") in (None, ""):
                        row["id"] = self.new_id()
                    if write.model is m.Patient and row.get("status") is None:
                        row["status"] = m.PatientStatus.SCREENING  # the state machine decides
                        plan.compute_status.add(int(row["id"]))  # type: ignore[call-overload]
                name = write.model.__tablename__
                plan.inserts.append(PlannedRows(write.model, name, rows, write.lines))
            elif isinstance(write, Touch):
                plan.touched.add(int(write.patient_id))
            else:
                plan.changes.append(_change_stub(write))
        for gate in GATES:
            gate(self, plan)
        out = _persist(self, plan)
        _edit_checks(self, plan, out)
        return out


def _edit_checks(uow: UnitOfWork, plan: Plan, out: Outcome) -> None:
    """Raise the queries of the edit checks (:mod:`~.edit_checks`) on the patients written, after
    a write of their labs or cycles -- by any action, an import too (one pass over all its
    patients)."""
    from hcctrial.services.edit_checks import TABLES, raise_automatic_queries

    tables = {r.table for r in plan.inserts} | {c.table for c in plan.changes}
    if tables & TABLES:
        raise_automatic_queries(uow, (out.id_of(pid) for pid in plan.after))


def _change_stub(write: Amend | Remove) -> PlannedChange:
    changes = dict(write.changes) if isinstance(write, Amend) else {}
    new: dict[str, Any] | None = {} if isinstance(write, Amend) else None
    name = write.model.__tablename__
    return PlannedChange(write.model, name, int(write.pk), changes, write.expected_version, {}, new)


# ---------------------------------------------------------------------------------- writing
def _persist(uow: UnitOfWork, plan: Plan) -> Outcome:
    """Write the plan's rows (parents first), changes, deletions and new states; audit each."""
    from hcctrial.protocol.regimen import trial_ctcae_version

    out = Outcome(statuses=dict(plan.statuses))
    actor, reason, session = uow.actor.username, plan.reason, uow.session
    by_order = sorted(range(len(plan.inserts)), key=lambda i: _ORDER[plan.inserts[i].table])
    inserted: dict[int, list[int]] = {}
    for i in by_order:
        ins = plan.inserts[i]
        refs = [(n, s.references) for n, s in column_specs(ins.model).items() if s.references]
        rows = ins.rows
        if any(isinstance(r.get(n), int) and r[n] < 0 for r in rows for n, _ in refs):
            rows = [
                {**r, **{n: out.id_of(r[n]) for n, _ in refs if r.get(n) is not None}} for r in rows
            ]
        temp = rows and rows[0]["id"] < 0
        given = [{k: v for k, v in r.items() if k != "id"} for r in rows] if temp else rows
        ids = db.create_many(session, ins.model, given, actor=actor, reason=reason, checked=True)
        if temp:
            out.ids.update({int(r["id"]): pk for r, pk in zip(rows, ids, strict=True)})
        inserted[i] = ids
    out.inserted = [inserted[i] for i in range(len(plan.inserts))]
    for ch in sorted(plan.changes, key=lambda c: -_ORDER[c.table] if c.new is None else 0):
        if ch.new is None:
            db.delete(
                session,
                ch.model,
                ch.pk,
                expected_version=ch.expected_version,
                actor=actor,
                reason=reason,
            )
        else:
            changes = {k: ch.new[k] for k in ch.changes if k in ch.new}
            if ch.model is m.LabResult:
                changes.pop("canonical_value", None)
            db.update(
                session,
                ch.model,
                ch.pk,
                changes,
                expected_version=ch.expected_version,
                actor=actor,
                reason=reason,
                ctcae_version=trial_ctcae_version(uow.regimen),
            )
    for pid, status in plan.statuses.items():
        version = db.current_version(session, m.Patient, pid)
        assert version is not None
        db.update(
            session,
            m.Patient,
            pid,
            {"status": status},
            expected_version=version,
            actor=actor,
            reason=f"status {status.value} after: {plan.action.value}",
        )
    from hcctrial.services.field_sdv import clear_changed_fields
    from hcctrial.services.part11_gate import confirm_database_open, mark_signatures_changed

    if plan.signatures_changed:
        mark_signatures_changed(uow, plan)
    if plan.changes:
        clear_changed_fields(uow, plan)
    confirm_database_open(uow, plan)
    return out
