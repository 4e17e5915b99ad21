"""Pages: the patient list, the patient page, the audit trail, and editing a saved record."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from hcctrial.services.permissions import Actor, Capability, can, spans_sites
from hcctrial.services.states import offers_new
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
from hcctrial.web.page_cache import cached_page
from hcctrial.web.patient_file import PatientFile, load_patient_file
from hcctrial.web.patient_memo import patient_memo
from hcctrial.web.patient_view import patient_view, timeline_groups
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
    """The patient list of the user's site(s): search, filters, sorting, paging."""
    from hcctrial.web.patient_list import SORTS, ListQuery, patient_page_of

    state = state_of(request)
    lq = ListQuery.of(request.query_params)
    today = state.today()
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_PATIENTS)

        def build() -> HTMLResponse:
            memo = patient_memo(request.app.state)
            page = patient_page_of(session, user, lq, state.regimen, today, memo)
            sites = [
                s
                for s in session.scalars(select(m.Site).order_by(m.Site.code))
                if spans_sites(user) or s.id == user.site_id
            ]
            ctx = {"page": page, "sites": sites, "sorts": SORTS, "statuses": list(m.PatientStatus)}
            return render(request, "patients.html", ctx, user=user)

        return cached_page(request, session, user, today, build)


@router.get("/patients/{patient_id:int}")
def patient_page(request: Request, patient_id: int) -> Response:
    """The patient page: timeline, computed results, the next step and what is overdue."""
    state = state_of(request)
    today = state.today()
    with db_session(request) as session:
        user = signed_in_user(request, session)
        patient = load_patient(session, user, patient_id)

        def build() -> HTMLResponse:
            from hcctrial.web.routes_part11 import part11_of

            memo = patient_memo(request.app.state)
            head = memo.sync(session)
            pf = load_patient_file(session, patient)
            view = memo.get(
                head, "view", patient.id, today, lambda: patient_view(pf, state.regimen, today)
            )
            ctx = {
                "v": view,
                "pf": pf,
                "dm": data_management(session, pf),
                "offers": offers_new,
                "groups": timeline_groups(view),
                "part11": part11_of(session, patient.id, view.timeline),
            }
            return render(request, "patient.html", ctx, user=user)

        return cached_page(request, session, user, today, build)


def data_management(session: Any, pf: PatientFile) -> dict[str, Any]:
    """The forms' status and open queries of one patient, for the patient page (issue 19):
    ``status[(slug, id)]`` and ``queries[(slug, id)]`` for the timeline's rows, ``forms`` for the
    single forms (screening, baseline, withdrawal), ``open`` the patient's open queries."""
    from hcctrial.services.form_status import form_views
    from hcctrial.services.queries import queries_of
    from hcctrial.store.models_datamgmt import QueryStatus

    records = [
        *(x for x in (pf.screening, pf.baseline, pf.withdrawal) if x is not None),
        *pf.labs,
        *pf.cycles,
        *pf.adverse_events,
        *pf.imaging,
        *pf.followups,
        *pf.deviations,
    ]
    views = form_views(session, records)
    slug_of = {rt.model.__tablename__: slug for slug, rt in RECORD_TYPES.items()}
    status = {(slug_of.get(k[0], k[0]), k[1]): v for k, v in views.items()}
    open_queries: dict[tuple[str, int], int] = {}
    queries = [q for q in queries_of(session, pf.patient.id) if q.status is not QueryStatus.CLOSED]
    for q in queries:
        key = (slug_of.get(q.form, q.form), q.record_id)
        open_queries[key] = open_queries.get(key, 0) + 1
    singles = [
        (title, x, slug_of.get(type(x).__tablename__))
        for title, x in (
            ("Screening", pf.screening),
            ("Baseline", pf.baseline),
            ("Withdrawal", pf.withdrawal),
        )
        if x is not None
    ]
    verified, total = sum(1 for v in views.values() if v.verified), len(views)
    fields = (
        sum(v.fields_verified for v in views.values()),
        sum(v.fields_total for v in views.values()),
    )
    return {
        "status": status,
        "queries": open_queries,
        "open": len(queries),
        "singles": singles,
        "table_of": {slug: rt.model.__tablename__ for slug, rt in RECORD_TYPES.items()},
        "sdv": (verified, total),
        "sdv_fields": fields,
    }


def audit_entries(session: Any, user: Actor, patient_id: int) -> list[dict[str, Any]]:
    """Every audit entry of the patient's records, now and before (deleted, moved away), oldest
    first, with the changed fields (:func:`hcctrial.services.audit_trail.patient_audit`)."""
    from hcctrial.services.audit_trail import patient_audit

    return patient_audit(session, user, patient_id)


@router.get("/patients/{patient_id:int}/audit")
def audit_page(request: Request, patient_id: int) -> Response:
    """The audit trail of every record of one patient (monitors, investigators, admins)."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        patient = load_patient(session, user, patient_id)
        entries = audit_entries(session, user, patient_id)
        pf = load_patient_file(session, patient)
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
