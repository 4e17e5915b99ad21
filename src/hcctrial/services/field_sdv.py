"""Source-data verification of single fields (issue 19): a monitor marks fields of a form verified
against source; a later change of *that field's value* clears its mark, a change of another field
does not.

A *field* of a form is one of its data columns (:func:`sdv_fields`: not the id, the patient, the
version stamps, nor a value the application derives -- a lab's canonical value). The marks are rows
of :class:`~hcctrial.store.models_datamgmt.FieldVerification` (who, when, the record's version);
a mark *stands* while its ``cleared_at`` is empty.

How form and field verification relate (one definition, :func:`form_verified`):

- **a field is verified** when its own mark stands;
- **a form is verified against source** when its form mark stands (verified at the record's
  current version, :func:`hcctrial.services.form_status.verify_form`) **or** every one of its
  fields is verified. Its status shows *verified* only once it is also complete;
- verifying the whole form marks every field not yet marked, so a later change of one field
  clears that field's mark and the form's mark (a new version) but keeps the other fields': the
  monitor re-verifies the changed field only, and the form is verified again (every field);
- un-marking a field withdraws the form's mark too (the form is no longer verified as a whole).

Form marks written before migration ``i19_sdv_fields`` have no field marks: such a form counts as
verified while its form mark stands, its fields once they are verified again.

The one keeper of "a change clears the mark" is :func:`clear_changed_fields`, which the unit of work
(:mod:`hcctrial.services.unit_of_work`) calls after writing every plan's changes -- the web forms,
the query answers, the JSON API, the command line and the imports all write through it. It
compares each changed record's values before and after: a field whose value differs loses its
mark (``cleared_by`` / ``cleared_at`` / ``cleared_version``, audited, in the same transaction);
a deleted record loses every mark. A change back to the verified value does not restore a mark.

Writes go through :mod:`hcctrial.services.persistence` (audited, optimistic versions) on behalf of
the unit of work's actor, after AUTH-ROLE (the *manage data* capability), DM-SITE,
DATABASE-LOCKED and SDV-FIELD (each field named is a field of the form). Progress per patient (and per site, summed by the pages): :func:`sdv_counts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from hcctrial.services import persistence as db
from hcctrial.services.permissions import Capability
from hcctrial.store import models as m
from hcctrial.store.models_datamgmt import FieldVerification, FormState
from hcctrial.store.values import MANAGED_COLUMNS, column_specs

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.services.plan import Plan
    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = [
    "DERIVED",
    "FieldMark",
    "SdvCounts",
    "clear_changed_fields",
    "field_marks",
    "form_verified",
    "mark_every_field",
    "sdv_counts",
    "sdv_fields",
    "unverify_fields",
    "verify_fields",
]

#: Columns the application derives (not on any source document): not verified against source.
DERIVED: dict[str, frozenset[str]] = {"lab_results": frozenset({"canonical_value"})}

_CHUNK = 500


@cache
def sdv_fields(form: str) -> tuple[str, ...]:
    """The fields of ``form`` a monitor verifies against source, in column order."""
    from hcctrial.services.form_status import FORMS

    skip = {*MANAGED_COLUMNS, "id", "patient_id", *DERIVED.get(form, ())}
    return tuple(n for n in column_specs(FORMS[form][0]) if n not in skip)


@dataclass(frozen=True)
class FieldMark:
    """One field's source verification as the pages show it: standing (``verified``) with who
    and when, or cleared by a later change of its value (who changed it, when)."""

    field: str
    verified: bool
    by: str
    at: datetime
    cleared_by: str | None
    cleared_at: datetime | None


def _mark(row: FieldVerification) -> FieldMark:
    return FieldMark(
        row.field,
        row.cleared_at is None,
        row.verified_by,
        row.verified_at,
        row.cleared_by,
        row.cleared_at,
    )


def form_verified(form_mark_stands: bool, form: str, marks: Mapping[str, FieldMark]) -> bool:
    """Whether a form counts as verified against source: its form mark stands, or every field of
    :func:`sdv_fields` has a standing mark (the one definition; :func:`sdv_counts` counts the
    same in SQL)."""
    return form_mark_stands or all(f in marks and marks[f].verified for f in sdv_fields(form))


# ----------------------------------------------------------------------------------- reading
def _rows(session: Session, keys: Sequence[tuple[str, int]]) -> list[FieldVerification]:
    from sqlalchemy import select, tuple_

    out: list[FieldVerification] = []
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        stmt = select(FieldVerification).where(
            tuple_(FieldVerification.form, FieldVerification.record_id).in_(chunk)
        )
        out.extend(session.scalars(stmt))
    return out


def field_marks(
    session: Session, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], dict[str, FieldMark]]:
    """``{(form, record id): {field: mark}}`` of the forms ``keys`` (standing and cleared marks;
    a field never verified, or un-marked, has none)."""
    wanted = sorted(set(keys))
    out: dict[tuple[str, int], dict[str, FieldMark]] = {k: {} for k in wanted}
    for row in _rows(session, wanted):
        if row.field in sdv_fields(row.form):
            out[(row.form, row.record_id)][row.field] = _mark(row)
    return out


# ----------------------------------------------------------------------------------- writing
def _checked_fields(form: str, record_id: int, fields: Iterable[str]) -> list[str]:
    """``fields`` as a list, each a field of ``form`` (SDV-FIELD names the one that is not)."""
    from hcctrial.services.form_status import FORMS
    from hcctrial.services.rules import finding, refusal

    given = list(fields) if not isinstance(fields, str) else [fields]
    allowed, what = sdv_fields(form), FORMS[form][1].lower()
    if not given:
        expected = f"at least one field of the {what}"
        raise refusal(
            [finding("SDV-FIELD", form, record_id, "fields", value=given, expected=expected)]
        )
    found = [
        finding(
            "SDV-FIELD",
            form,
            record_id,
            "fields",
            value=name,
            expected=f"a field of the {what}: {', '.join(allowed)}",
        )
        for name in given
        if name not in allowed
    ]
    if found:
        raise refusal(found)
    return list(dict.fromkeys(given))


def _prepare(uow: UnitOfWork, form: str, record_id: int) -> tuple[Any, int]:
    """The record and its patient, after AUTH-ROLE, DM-SITE and DATABASE-LOCKED."""
    from hcctrial.services.form_status import FORMS, check_access, form_record
    from hcctrial.services.part11_gate import refuse_while_database_locked

    obj, pid = form_record(uow.session, form, record_id)
    title = f"{FORMS[form][1]} {record_id}"
    check_access(uow.session, uow.actor, Capability.MANAGE_DATA, pid, title)
    refuse_while_database_locked(uow.session)
    return obj, pid


def _write_marks(
    uow: UnitOfWork, obj: Any, pid: int, fields: Sequence[str], *, reason: str
) -> None:
    """Mark ``fields`` of the saved record ``obj`` verified by the actor now (a standing mark is
    left as it is; a cleared one is set again)."""
    form, record_id = type(obj).__tablename__, int(obj.id)
    rows = {r.field: r for r in _rows(uow.session, [(form, record_id)])}
    stamp = {
        "verified_by": uow.actor.username,
        "verified_at": datetime.now(UTC),
        "verified_version": int(obj.version),
    }
    cleared = {"cleared_by": None, "cleared_at": None, "cleared_version": None}
    actor = uow.actor.username
    for name in fields:
        row = rows.get(name)
        if row is None:
            values = {"patient_id": pid, "form": form, "record_id": record_id, "field": name}
            db.create(
                uow.session, FieldVerification, {**values, **stamp}, actor=actor, reason=reason
            )
        elif row.cleared_at is not None:
            db.update(
                uow.session,
                FieldVerification,
                row.id,
                {**stamp, **cleared},
                expected_version=row.version,
                actor=actor,
                reason=reason,
            )


def verify_fields(
    uow: UnitOfWork,
    form: str,
    record_id: int,
    fields: Iterable[str],
    *,
    reason: str = "field verified against source",
) -> dict[str, FieldMark]:
    """Mark ``fields`` of a saved form verified against source (monitor, data manager, admin);
    return the form's marks. A field already verified keeps its mark (who, when)."""
    obj, pid = _prepare(uow, form, record_id)
    names = _checked_fields(form, record_id, fields)
    _write_marks(uow, obj, pid, names, reason=reason)
    return field_marks(uow.session, [(form, record_id)])[(form, record_id)]


def mark_every_field(uow: UnitOfWork, obj: Any, pid: int, *, reason: str) -> None:
    """Mark every field of the saved record ``obj`` verified (the form's verification; its
    caller has checked the role, the site and the lock)."""
    _write_marks(uow, obj, pid, sdv_fields(type(obj).__tablename__), reason=reason)


def unverify_fields(
    uow: UnitOfWork,
    form: str,
    record_id: int,
    fields: Iterable[str],
    *,
    reason: str = "field verification withdrawn",
) -> dict[str, FieldMark]:
    """Withdraw the marks of ``fields`` (standing or cleared; a field without one is left);
    the form's own mark is withdrawn too while it stands. Return the form's marks."""
    from hcctrial.services.form_status import withdraw_form_mark

    obj, pid = _prepare(uow, form, record_id)
    names = set(_checked_fields(form, record_id, fields))
    for row in _rows(uow.session, [(form, record_id)]):
        if row.field in names:
            db.delete(
                uow.session,
                FieldVerification,
                row.id,
                expected_version=row.version,
                actor=uow.actor.username,
                reason=reason,
            )
    withdraw_form_mark(uow, obj, pid, reason=reason)
    return field_marks(uow.session, [(form, record_id)])[(form, record_id)]


# ---------------------------------------------------------------------- the one keeper
def _same(a: object, b: object) -> bool:
    return getattr(a, "value", a) == getattr(b, "value", b)


def _changed_fields(plan: Plan) -> dict[tuple[str, int], tuple[frozenset[str] | None, int]]:
    """``{(form, id): (fields whose value changed -- None: deleted, version after)}``."""
    from hcctrial.services.form_status import FORMS

    out: dict[tuple[str, int], tuple[frozenset[str] | None, int]] = {}
    for ch in plan.changes:
        if ch.table not in FORMS or not ch.old:
            continue
        version = int(ch.old["version"])
        if ch.new is None:
            out[(ch.table, ch.pk)] = (None, version)
            continue
        names = frozenset(
            f for f in sdv_fields(ch.table) if not _same(ch.old.get(f), ch.new.get(f))
        )
        if names:
            out[(ch.table, ch.pk)] = (names, version + 1)
    return out


def clear_changed_fields(uow: UnitOfWork, plan: Plan) -> None:
    """Clear the standing marks of the fields whose value ``plan`` changed (every mark of a
    deleted record), audited with the plan's reason -- called by the unit of work after it has
    written the plan's changes, in the same transaction."""
    changed = _changed_fields(plan)
    if not changed:
        return
    now, actor = datetime.now(UTC), uow.actor.username
    for row in _rows(uow.session, sorted(changed)):
        names, version = changed[(row.form, row.record_id)]
        if row.cleared_at is not None or (names is not None and row.field not in names):
            continue
        why = "record deleted" if names is None else f"{row.field} changed"
        db.update(
            uow.session,
            FieldVerification,
            row.id,
            {"cleared_by": actor, "cleared_at": now, "cleared_version": version},
            expected_version=row.version,
            actor=actor,
            reason=f"source verification cleared ({why}): {plan.reason}",
        )


# ----------------------------------------------------------------------------------- progress
@dataclass(frozen=True)
class SdvCounts:
    """One patient's source-data verification: forms verified of forms, fields of fields."""

    forms_verified: int = 0
    forms: int = 0
    fields_verified: int = 0
    fields: int = 0

    def __add__(self, other: SdvCounts) -> SdvCounts:
        return SdvCounts(
            self.forms_verified + other.forms_verified,
            self.forms + other.forms,
            self.fields_verified + other.fields_verified,
            self.fields + other.fields,
        )


def _counts_statement(form: str, chunk: Sequence[int]) -> Any:
    """SELECT patient id, forms, forms verified, standing field marks of ``form``'s records of
    the patients ``chunk`` (a form is verified: its mark stands or every field is marked)."""
    from sqlalchemy import and_, case, func, literal, or_, select

    from hcctrial.services.form_status import FORMS

    t, fs = m.table_of(FORMS[form][0]), m.table_of(FormState)
    fv = m.table_of(FieldVerification)
    fields = sdv_fields(form)
    marks = (
        select(fv.c.record_id, func.count(fv.c.id).label("n"))
        .where(
            fv.c.form == form,
            fv.c.patient_id.in_(chunk),
            fv.c.cleared_at.is_(None),
            fv.c.field.in_(fields),
        )
        .group_by(fv.c.record_id)
        .subquery()
    )
    marked = func.coalesce(marks.c.n, 0)
    verified = or_(fs.c.id.is_not(None), marked == literal(len(fields)))
    joined = t.outerjoin(
        fs, and_(fs.c.form == form, fs.c.record_id == t.c.id, fs.c.verified_version == t.c.version)
    ).outerjoin(marks, marks.c.record_id == t.c.id)
    return (
        select(
            t.c.patient_id,
            func.count(t.c.id),
            func.sum(case((verified, 1), else_=0)),
            func.sum(marked),
        )
        .select_from(joined)
        .where(t.c.patient_id.in_(chunk))
        .group_by(t.c.patient_id)
    )


def sdv_counts(session: Session, patient_ids: Sequence[int]) -> dict[int, SdvCounts]:
    """patient id -> forms verified against source (:func:`form_verified`) of forms, and fields
    with a standing mark of fields (:func:`sdv_fields` of each form), over every form table."""
    from hcctrial.services.form_status import FORMS

    out = {pid: SdvCounts() for pid in patient_ids}
    ids = list(out)
    for form in FORMS:
        per_form = len(sdv_fields(form))
        for start in range(0, len(ids), _CHUNK):
            stmt = _counts_statement(form, ids[start : start + _CHUNK])
            for pid, n, verified, marked in session.execute(stmt):
                out[pid] += SdvCounts(int(verified), int(n), int(marked), int(n) * per_form)
    return out
