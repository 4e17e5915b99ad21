"""The status of each form: incomplete, complete (with missing-data codes), verified against source
by a monitor -- and signed or locked once the signature issue adds them (:data:`STATUS_HOOKS`).

A *form* is one saved record of a table in :data:`FORMS` (the baseline, a lab result, a cycle...).
Its status is derived, never typed in:

- **complete**: the site marked it complete and every field it requires (:func:`required_fields`)
  has a value or a missing-data code (:class:`MissingCode`); a field emptied later makes it
  incomplete again;
- **verified**: complete, and verified against source: a monitor verified the form at the
  record's current version (any later change of the record -- a new version -- clears that mark;
  nothing has to remember to clear it), or every field of it has a standing field mark
  (:mod:`hcctrial.services.field_sdv`, whose docstring says how form and field marks relate:
  verifying the form marks every field; a change clears only the changed field's mark);
- **signed** / **locked**: given by the providers registered in :data:`STATUS_HOOKS` (helper 16c:
  electronic signatures and locks); the strongest status wins (:data:`RANK`).

Writes go through :mod:`hcctrial.services.persistence` (audited, optimistic versions) on behalf
of the unit of work's actor, after the rules here: FORM-COMPLETE, FORM-VERIFY, DM-SITE and
AUTH-ROLE (:mod:`hcctrial.services.rules`).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hcctrial.services import persistence as db
from hcctrial.services.field_sdv import (
    field_marks,
    form_verified,
    mark_every_field,
    sdv_counts,
    sdv_fields,
)
from hcctrial.services.permissions import Actor, Capability, can, sees_site
from hcctrial.services.rules import Finding, finding, refusal
from hcctrial.store import models as m
from hcctrial.store.models_datamgmt import FormState
from hcctrial.store.values import MANAGED_COLUMNS, column_specs

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.services.unit_of_work import UnitOfWork

__all__ = [
    "FORMS",
    "MISSING_LABELS",
    "RANK",
    "STATUS_HOOKS",
    "FormStatus",
    "FormView",
    "MissingCode",
    "check_access",
    "check_access_role",
    "form_record",
    "form_views",
    "mark_complete",
    "patient_forms",
    "required_fields",
    "sdv_progress",
    "verify_form",
    "withdraw_form_mark",
]


class FormStatus(enum.StrEnum):
    INCOMPLETE = "incomplete"
    COMPLETE = "complete"
    VERIFIED = "verified"
    SIGNED = "signed"
    LOCKED = "locked"


#: Strength of a status: the strongest one a form has is shown.
RANK: dict[FormStatus, int] = {s: i for i, s in enumerate(FormStatus)}


class MissingCode(enum.StrEnum):
    """Why a required field is empty (CDASH's ND / NA / UNK)."""

    NOT_DONE = "not_done"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"


MISSING_LABELS: dict[MissingCode, str] = {
    MissingCode.NOT_DONE: "Not done",
    MissingCode.NOT_APPLICABLE: "Not applicable",
    MissingCode.UNKNOWN: "Unknown",
}

#: The forms (tables with a patient_id) and their name in words.
FORMS: dict[str, tuple[type[m.Record], str]] = {
    "screenings": (m.Screening, "Screening"),
    "baselines": (m.Baseline, "Baseline"),
    "lab_results": (m.LabResult, "Lab result"),
    "treatment_cycles": (m.TreatmentCycle, "Treatment cycle"),
    "adverse_events": (m.AdverseEvent, "Adverse event"),
    "imaging_assessments": (m.ImagingAssessment, "Imaging"),
    "followups": (m.Followup, "Follow-up"),
    "protocol_deviations": (m.ProtocolDeviation, "Protocol deviation"),
    "withdrawals": (m.Withdrawal, "Withdrawal"),
}

#: Fields the database lets be empty but a complete form needs (value or missing-data code),
#: with their label in words. The protocol reads them: HBV DNA (hepatitis B status), the lab's
#: upper limit of normal (CTCAE grades of liver tests), the sorafenib dose in force, the AFP at
#: each scan (AFP response), the cause of a death.
EXPECTED: dict[str, dict[str, str]] = {
    "baselines": {"hbv_dna_iu_ml": "HBV DNA"},
    "lab_results": {"uln": "Upper limit of normal"},
    "treatment_cycles": {"sorafenib_daily_mg": "Sorafenib daily dose"},
    "imaging_assessments": {"afp_ng_ml": "AFP"},
    "followups": {"cause_of_death": "Cause of death"},
}


def _applies(form: str, field: str, values: Mapping[str, Any]) -> bool:
    """Whether an expected field applies to this record (cause of death: only for a death)."""
    if form == "followups" and field == "cause_of_death":
        return _plain(values.get("vital_status")) == m.VitalStatus.DEAD.value
    return True


def _plain(value: object) -> object:
    return getattr(value, "value", value)


def required_fields(form: str, values: Mapping[str, Any]) -> dict[str, str]:
    """``{field: label}`` of the fields a complete ``form`` with ``values`` must have: every
    column the database requires (always filled) and the expected ones of :data:`EXPECTED`."""
    model = FORMS[form][0]
    out = {
        name: spec.doc or name
        for name, spec in column_specs(model).items()
        if not spec.nullable and name not in MANAGED_COLUMNS and name not in ("id", "patient_id")
    }
    out.update({f: lbl for f, lbl in EXPECTED.get(form, {}).items() if _applies(form, f, values)})
    return out


@dataclass(frozen=True)
class FormView:
    """A form's status as the pages show it: status, who and when, missing-data codes."""

    form: str
    record_id: int
    status: FormStatus
    by: str | None
    at: datetime | None
    missing_codes: dict[str, str]
    state_id: int | None
    state_version: int | None
    #: verified against source (whatever stronger status): the form mark stands at the record's
    #: current version, or every field is verified (:func:`~.field_sdv.form_verified`)
    verified: bool = False
    #: fields with a standing source-verification mark, of the form's fields
    fields_verified: int = 0
    fields_total: int = 0


#: Providers of stronger statuses (signed, locked): ``(session, [(form, record id)]) ->
#: {(form, record id): (status, who, when)}``. Helper 16c (signatures, locks) appends its own.
StatusHook = Callable[
    ["Session", Sequence[tuple[str, int]]],
    Mapping[tuple[str, int], tuple[FormStatus, str, datetime]],
]
STATUS_HOOKS: list[StatusHook] = []


# ----------------------------------------------------------------------------------- reading
def form_record(session: Session, form: str, record_id: int) -> tuple[Any, int]:
    """The record ``record_id`` of ``form`` and its patient id (named errors when absent)."""
    from hcctrial.errors import field_error

    if form not in FORMS:
        raise field_error("form", form, "one of " + ", ".join(FORMS))
    obj: Any = session.get(FORMS[form][0], record_id)
    if obj is None:
        raise field_error("record_id", record_id, f"the id of a saved {FORMS[form][1].lower()}")
    return obj, int(obj.patient_id)


def _codes(state: FormState | None) -> dict[str, str]:
    if state is None or not state.missing_codes:
        return {}
    return dict(json.loads(state.missing_codes))


def _values(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in column_specs(type(obj))}


def _gaps(form: str, values: Mapping[str, Any], codes: Mapping[str, str]) -> list[str]:
    """Required fields empty without a missing-data code."""
    return [
        f for f in required_fields(form, values) if values.get(f) in (None, "") and f not in codes
    ]


def form_views(session: Session, records: Iterable[Any]) -> dict[tuple[str, int], FormView]:
    """The status of each record of ``records`` (saved rows of :data:`FORMS` tables)."""
    from sqlalchemy import select, tuple_

    objs = {(type(o).__tablename__, int(o.id)): o for o in records}
    objs = {k: o for k, o in objs.items() if k[0] in FORMS}
    states: dict[tuple[str, int], FormState] = {}
    keys = list(objs)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        stmt = select(FormState).where(tuple_(FormState.form, FormState.record_id).in_(chunk))
        states.update({(s.form, s.record_id): s for s in session.scalars(stmt)})
    stronger: dict[tuple[str, int], tuple[FormStatus, str, datetime]] = {}
    for hook in STATUS_HOOKS:
        for key, found in hook(session, keys).items():
            if key not in stronger or RANK[found[0]] > RANK[stronger[key][0]]:
                stronger[key] = found
    marks = field_marks(session, keys)
    out = {}
    for key, obj in objs.items():
        st = states.get(key)
        codes = _codes(st)
        mark_stands = st is not None and st.verified_version == obj.version
        verified = form_verified(mark_stands, key[0], marks[key])
        status, by, at = FormStatus.INCOMPLETE, None, None
        if (
            st is not None
            and st.completed_at is not None
            and not _gaps(key[0], _values(obj), codes)
        ):
            status, by, at = FormStatus.COMPLETE, st.completed_by, st.completed_at
            if mark_stands:
                status, by, at = FormStatus.VERIFIED, st.verified_by, st.verified_at
            elif verified:  # every field verified: the latest field mark says who and when
                last = max(marks[key].values(), key=lambda f: f.at)
                status, by, at = FormStatus.VERIFIED, last.by, last.at
        if key in stronger and RANK[stronger[key][0]] > RANK[status]:
            status, by, at = stronger[key]
        out[key] = FormView(
            key[0],
            key[1],
            status,
            by,
            at,
            codes,
            None if st is None else st.id,
            None if st is None else st.version,
            verified,
            sum(1 for f in marks[key].values() if f.verified),
            len(sdv_fields(key[0])),
        )
    return out


def patient_forms(session: Session, patient_id: int) -> list[FormView]:
    """The status of every form of one patient (each saved record of the :data:`FORMS` tables),
    in the order of :data:`FORMS`, then by record id (the JSON API's list; the caller has
    checked that the user sees the patient)."""
    from sqlalchemy import select

    records: list[Any] = []
    for model, _ in FORMS.values():
        t = m.table_of(model)
        stmt = select(model).where(t.c.patient_id == patient_id).order_by(t.c.id)
        records += list(session.scalars(stmt))
    views = form_views(session, records)
    return [views[(type(r).__tablename__, int(r.id))] for r in records]


# ----------------------------------------------------------------------------------- writing
def check_access_role(actor: Actor, capability: Capability) -> None:
    """AUTH-ROLE: ``actor``'s role grants ``capability``."""
    if not can(actor, capability):
        raise refusal(
            [
                finding(
                    "AUTH-ROLE",
                    "",
                    None,
                    None,
                    role=actor.role.value,
                    capability=capability.value.replace("_", " "),
                )
            ]
        )


def check_access(
    session: Session, actor: Actor, capability: Capability, patient_id: int, what: str
) -> None:
    """AUTH-ROLE (``capability``) and DM-SITE (the patient's site) for ``actor``."""
    check_access_role(actor, capability)
    patient = session.get(m.Patient, patient_id)
    if patient is None or not sees_site(actor, patient.site_id):
        yours = "every site" if actor.site_id is None else f"site {actor.site_id}"
        raise refusal([finding("DM-SITE", "patients", patient_id, None, what=what, yours=yours)])


def _save_state(
    uow: UnitOfWork, key: tuple[str, int], pid: int, changes: dict[str, Any], *, reason: str
) -> None:
    from sqlalchemy import select

    from hcctrial.services.part11_gate import refuse_while_database_locked

    session, actor = uow.session, uow.actor.username
    refuse_while_database_locked(session)
    st = session.scalars(
        select(FormState).where(FormState.form == key[0], FormState.record_id == key[1])
    ).one_or_none()
    if st is None:
        db.create(
            session,
            FormState,
            {"patient_id": pid, "form": key[0], "record_id": key[1], **changes},
            actor=actor,
            reason=reason,
        )
    else:
        db.update(
            session,
            FormState,
            st.id,
            changes,
            expected_version=st.version,
            actor=actor,
            reason=reason,
        )


def mark_complete(
    uow: UnitOfWork,
    form: str,
    record_id: int,
    missing_codes: Mapping[str, str] | None = None,
    *,
    reason: str = "form marked complete",
) -> FormView:
    """Mark a form complete (site staff): FORM-COMPLETE refuses a required field left empty
    without a missing-data code, an unknown code and a code given for a field that has a value.
    """
    session = uow.session
    obj, pid = form_record(session, form, record_id)
    title = f"{FORMS[form][1]} {record_id}"
    check_access(session, uow.actor, Capability.EDIT_RECORDS, pid, title)
    values = _values(obj)
    required = required_fields(form, values)
    codes = {k: v for k, v in (missing_codes or {}).items() if v not in (None, "")}
    found: list[Finding] = []
    allowed = ", ".join(MISSING_LABELS[c].lower() for c in MissingCode)
    for field, code in codes.items():
        label = required.get(field, field)
        if code not in {c.value for c in MissingCode}:
            problem = f"the missing-data code {code!r} is not one of: {allowed}"
        elif field not in required:
            problem = "this field is not required, so it takes no missing-data code"
        elif values.get(field) not in (None, ""):
            problem = "has a value, so it takes no missing-data code"
        else:
            continue
        found.append(
            finding(
                "FORM-COMPLETE", form, record_id, field, label=label, problem=problem, value=code
            )
        )
    for field in _gaps(form, values, codes):
        found.append(
            finding(
                "FORM-COMPLETE",
                form,
                record_id,
                field,
                label=required[field],
                problem=f"is empty: enter it, or say why it is missing ({allowed})",
            )
        )
    if found:
        raise refusal(found)
    now = datetime.now(UTC)
    changes = {
        "completed_by": uow.actor.username,
        "completed_at": now,
        "missing_codes": json.dumps(codes, sort_keys=True) if codes else None,
    }
    _save_state(uow, (form, record_id), pid, changes, reason=reason)
    return form_views(session, [obj])[(form, record_id)]


def verify_form(
    uow: UnitOfWork, form: str, record_id: int, *, reason: str = "verified against source"
) -> FormView:
    """Mark a complete form verified against source at the record's current version (monitor,
    data manager), and every field of it not yet verified (:func:`~.field_sdv.mark_every_field`);
    FORM-VERIFY refuses a form that is not complete."""
    session = uow.session
    obj, pid = form_record(session, form, record_id)
    title = f"{FORMS[form][1]} {record_id}"
    check_access(session, uow.actor, Capability.MANAGE_DATA, pid, title)
    view = form_views(session, [obj])[(form, record_id)]
    if view.status is FormStatus.INCOMPLETE:
        raise refusal([finding("FORM-VERIFY", form, record_id, None, what=title)])
    changes = {
        "verified_by": uow.actor.username,
        "verified_at": datetime.now(UTC),
        "verified_version": obj.version,
    }
    _save_state(uow, (form, record_id), pid, changes, reason=reason)
    mark_every_field(uow, obj, pid, reason=reason)
    return form_views(session, [obj])[(form, record_id)]


def withdraw_form_mark(uow: UnitOfWork, obj: Any, pid: int, *, reason: str) -> None:
    """Withdraw the form mark of the saved record ``obj`` while it stands (a field of it is
    un-marked: :func:`~.field_sdv.unverify_fields`, which has checked role, site and lock)."""
    from sqlalchemy import select

    key = (type(obj).__tablename__, int(obj.id))
    st = uow.session.scalars(
        select(FormState).where(FormState.form == key[0], FormState.record_id == key[1])
    ).one_or_none()
    if st is not None and st.verified_version == obj.version:
        changes = {"verified_by": None, "verified_at": None, "verified_version": None}
        _save_state(uow, key, pid, changes, reason=reason)


def sdv_progress(session: Session, patient_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """patient id -> (forms verified against source, forms) over :data:`FORMS` (a form's mark
    stands or every field is verified; the fields' counts: :func:`~.field_sdv.sdv_counts`)."""
    return {pid: (c.forms_verified, c.forms) for pid, c in sdv_counts(session, patient_ids).items()}
