"""Pages: the patient list, the patient page, the audit trail, and editing a saved record."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select, tuple_
from starlette.concurrency import run_in_threadpool

from hcctrial.services.permissions import Actor, Capability, can, spans_sites
from hcctrial.store import models as m
from hcctrial.web.deps import (
    InvalidForm,
    db_session,
    load_patient,
    render,
    require,
    save_or_refuse,
    signed_in_user,
    state_of,
    unit_of_work,
)
from hcctrial.web.patient_file import PatientFile, load_patient_file
from hcctrial.web.patient_view import patient_view
from hcctrial.web.records import RECORD_TYPES, patient_id_of, record_values

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request) -> Response:
    """Patients for those who see them, the dashboard for the statistician."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
    target = "/patients" if can(user, Capability.VIEW_PATIENTS) else "/dashboard"
    return RedirectResponse(target, status_code=303)


def visible_patients(session: Any, user: Actor) -> list[Any]:
    """The patients ``user`` may see, by study id."""
    stmt = select(m.Patient).order_by(m.Patient.study_id)
    if not spans_sites(user):
        if user.site_id is None:
            return []
        stmt = stmt.where(m.Patient.site_id == user.site_id)
    return list(session.scalars(stmt))


@router.get("/patients")
def patients_page(request: Request) -> Response:
    """The patient list of the user's site(s)."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_PATIENTS)
        patients = visible_patients(session, user)
        sites = {s.id: s for s in session.scalars(select(m.Site))}
        return render(request, "patients.html", {"patients": patients, "sites": sites}, user=user)


@router.get("/patients/{patient_id:int}")
def patient_page(request: Request, patient_id: int) -> Response:
    """The patient page: timeline, computed results, the next step and what is overdue."""
    state = state_of(request)
    with db_session(request) as session:
        user = signed_in_user(request, session)
        patient = load_patient(session, user, patient_id)
        pf = load_patient_file(session, patient)
        view = patient_view(pf, state.regimen, state.today())
        from hcctrial.web.routes_part11 import part11_of

        ctx = {"v": view, "pf": pf, "part11": part11_of(session, patient.id, view.timeline)}
        return render(request, "patient.html", ctx, user=user)


def _audit_keys(pf: PatientFile) -> list[tuple[str, str]]:
    keys = [(m.Patient.__tablename__, str(pf.patient.id))]
    singles = [pf.screening, pf.baseline, pf.withdrawal]
    lists = [
        pf.criteria,
        pf.labs,
        pf.cycles,
        pf.adverse_events,
        pf.imaging,
        pf.followups,
        pf.deviations,
        *pf.doses.values(),
        *pf.lesions.values(),
    ]
    for obj in [*(x for x in singles if x is not None), *(x for lst in lists for x in lst)]:
        keys.append((type(obj).__tablename__, str(obj.id)))
    return keys


def audit_entries(session: Any, pf: PatientFile) -> list[dict[str, Any]]:
    """Every audit entry of the patient's records, oldest first, with the changed fields."""
    from hcctrial.web.routes_part11 import part11_audit_keys

    keys = _audit_keys(pf) + part11_audit_keys(session, pf.patient.id)
    entries = []
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        entries += list(
            session.scalars(
                select(m.AuditEntry).where(
                    tuple_(m.AuditEntry.table_name, m.AuditEntry.row_pk).in_(chunk)
                )
            )
        )
    out = []
    for e in sorted(entries, key=lambda e: e.seq):
        old = json.loads(e.old_values) if e.old_values else {}
        new = json.loads(e.new_values) if e.new_values else {}
        skip = {"version", "created_at", "updated_at"}
        changed = [
            (k, old.get(k), new.get(k))
            for k in sorted(set(old) | set(new))
            if k not in skip
            and old.get(k) != new.get(k)
            and (k != "id" or not old)
            and k != "password_hash"
        ]
        out.append(
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "table": e.table_name,
                "row": e.row_pk,
                "action": e.action.value,
                "reason": e.reason,
                "changes": changed,
            }
        )
    return out


@router.get("/patients/{patient_id:int}/audit")
def audit_page(request: Request, patient_id: int) -> Response:
    """The audit trail of every record of one patient (monitors, investigators, admins)."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_AUDIT)
        patient = load_patient(session, user, patient_id)
        pf = load_patient_file(session, patient)
        entries = audit_entries(session, pf)
        return render(request, "audit.html", {"pf": pf, "entries": entries}, user=user)


def editable_record(request: Request, session: Any, slug: str, record_id: int) -> tuple[Any, ...]:
    """Return (user, record type, record, patient) of a record the signed-in user may change:
    403 without the edit capability or for another site's patient, 404 when absent."""
    user = signed_in_user(request, session)
    require(user, Capability.EDIT_RECORDS)
    rt = RECORD_TYPES.get(slug)
    if rt is None:
        raise HTTPException(status_code=404, detail=f"No record type {slug!r}.")
    obj = session.get(rt.model, record_id)
    if obj is None:
        raise HTTPException(status_code=404, detail=f"No {rt.title.lower()} with id {record_id}.")
    patient = load_patient(session, user, patient_id_of(session, rt.model, obj))
    return user, rt, obj, patient


def _values_of(rt: Any, obj: Any) -> dict[str, str]:
    out = {}
    for f in rt.fields:
        v = getattr(obj, f.name)
        if v is None:
            out[f.name] = ""
        elif isinstance(v, bool):
            out[f.name] = "true" if v else "false"
        else:
            out[f.name] = str(getattr(v, "value", v))
    return out


@router.get("/records/{slug}/{record_id}/edit")
def edit_page(request: Request, slug: str, record_id: int) -> Response:
    """The form to change a saved record (asks for the reason)."""
    with db_session(request) as session:
        user, rt, obj, patient = editable_record(request, session, slug, record_id)
        from hcctrial.web.routes_part11 import record_notices

        ctx = {
            "rt": rt,
            "obj": obj,
            "patient": patient,
            "notices": record_notices(session, rt.model, obj, patient.id),
            "values": _values_of(rt, obj),
            "errors": {},
            "version": obj.version,
            "reason": "",
        }
        return render(request, "edit.html", ctx, user=user)


@router.post("/records/{slug}/{record_id}/edit")
async def edit_save(request: Request, slug: str, record_id: int) -> Response:
    """Save a change with its reason, if nobody changed the record meanwhile."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    return await run_in_threadpool(_edit_save, request, slug, record_id, form)


def _edit_save(request: Request, slug: str, record_id: int, form: dict[str, str]) -> Response:
    from hcctrial.services.amend import amend_record

    rt = RECORD_TYPES.get(slug)
    if rt is None:
        raise HTTPException(status_code=404, detail=f"No record type {slug!r}.")
    reason = form.get("reason", "").strip()
    try:
        version = int(form.get("version", ""))
    except ValueError:
        version = -1

    def write(session: Any, user: Actor) -> Response:
        obj = session.get(rt.model, record_id)
        if obj is None:
            raise HTTPException(
                status_code=404, detail=f"No {rt.title.lower()} with id {record_id}."
            )
        current = _values_of(rt, obj)
        values = record_values(rt, form)
        changes = {k: v for k, v in values.items() if (v or "") != current.get(k, "")}
        if not reason:
            raise InvalidForm({"reason": "Please say why you change this saved record."})
        if not changes:
            raise InvalidForm({"_form": "Nothing was changed."})
        amend_record(
            unit_of_work(request, session, user),
            rt.model,
            record_id,
            changes,
            expected_version=version,
            reason=reason,
        )
        return RedirectResponse(
            f"/patients/{patient_id_of(session, rt.model, obj)}", status_code=303
        )

    def show_form(session: Any, user: Actor, errors: dict[str, str], status: int) -> Response:
        user, rt_, obj, patient = editable_record(request, session, slug, record_id)
        ctx = {
            "rt": rt_,
            "obj": obj,
            "patient": patient,
            "values": {**_values_of(rt_, obj), **form},
            "errors": errors,
            "version": version,
            "reason": reason,
        }
        return render(request, "edit.html", ctx, user=user, status_code=status)

    fields = frozenset({*rt.specs(), "reason"})
    return save_or_refuse(request, write, show_form, fields)  # type: ignore[no-any-return]
