"""Data management pages (issue 19): one form's status, its source-data verification (of the
form, and field by field) and its queries (``/forms/{form}/{id}``), the list of open queries and
the SDV progress per site (``/queries``).

Thin: every write is an action of :mod:`hcctrial.services.form_status`,
:mod:`hcctrial.services.field_sdv` or :mod:`hcctrial.services.queries` (which check the role, the site and the rules); this module reads
the form, shows it in words and answers refusals beside the fields.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hcctrial.services import field_sdv as fsdv
from hcctrial.services import form_status as fs
from hcctrial.services import queries as qs
from hcctrial.services.permissions import Actor, Capability, can
from hcctrial.store import models as m
from hcctrial.store.models_datamgmt import DataQuery, QueryStatus
from hcctrial.store.values import MANAGED_COLUMNS, column_specs
from hcctrial.web.deps import (
    db_session,
    load_patient,
    render,
    require,
    save_or_refuse,
    signed_in_user,
    unit_of_work,
)
from hcctrial.web.records import RECORD_TYPES

router = APIRouter(include_in_schema=False)

#: table name -> the web's record type (slug and field labels), where the web edits it.
_BY_TABLE = {rt.model.__tablename__: rt for rt in RECORD_TYPES.values()}

#: Labels of the fields the record types do not list (the screening).
_EXTRA_LABELS = {
    "screening_date": "Date of the screening visit",
    "eligible": "Eligible",
    "notes": "Notes",
}


def field_labels(form: str) -> dict[str, str]:
    """``{column: label in words}`` of a form's fields (the web's labels; else the column's
    description)."""
    model = fs.FORMS[form][0]
    rt = _BY_TABLE.get(form)
    labels = {f.name: f.label for f in rt.fields} if rt is not None else {}
    out = {}
    for name, spec in column_specs(model).items():
        if name in MANAGED_COLUMNS or name in ("id", "patient_id"):
            continue
        out[name] = labels.get(name) or _EXTRA_LABELS.get(name) or spec.doc or name
    return out


def edit_link(form: str, record_id: int) -> str | None:
    """The page changing this saved record (None for a form the web does not edit)."""
    rt = _BY_TABLE.get(form)
    return None if rt is None else f"/records/{rt.slug}/{record_id}/edit"


def display(value: object) -> str:
    """A stored value in words (yes/no, enum values without underscores, an em dash for none)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    value = getattr(value, "value", value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def _form_context(session: Any, user: Actor, form: str, record_id: int) -> dict[str, Any]:
    from sqlalchemy import select

    if form not in fs.FORMS:
        raise HTTPException(status_code=404, detail=f"No form {form!r}.")
    obj = session.get(fs.FORMS[form][0], record_id)
    if obj is None:
        raise HTTPException(status_code=404, detail=f"No {fs.FORMS[form][1].lower()} {record_id}.")
    patient = load_patient(session, user, int(obj.patient_id))
    view = fs.form_views(session, [obj])[(form, record_id)]
    labels = field_labels(form)
    required = fs.required_fields(form, {n: getattr(obj, n) for n in labels})
    queries = list(
        session.scalars(
            select(DataQuery)
            .where(DataQuery.form == form, DataQuery.record_id == record_id)
            .order_by(DataQuery.id.desc())
        )
    )
    marks = fsdv.field_marks(session, [(form, record_id)])[(form, record_id)]
    rows: list[dict[str, Any]] = [
        {
            "name": n,
            "label": lbl,
            "value": display(getattr(obj, n)),
            "empty": getattr(obj, n) in (None, ""),
            "required": n in required,
            "code": view.missing_codes.get(n),
            "mark": marks.get(n),
        }
        for n, lbl in labels.items()
    ]
    sdv_rows = [r for r in rows if r["name"] in fsdv.sdv_fields(form)]
    return {
        "form": form,
        "title": fs.FORMS[form][1],
        "sdv_rows": sdv_rows,
        "sdv_shown": ",".join(n for n, k in marks.items() if k.verified),
        "obj": obj,
        "patient": patient,
        "view": view,
        "rows": rows,
        "labels": labels,
        "queries": queries,
        "codes": fs.MISSING_LABELS,
        "edit_link": edit_link(form, record_id),
        "values": {},
    }


@router.get("/forms/{form}/{record_id:int}")
def form_page(request: Request, form: str, record_id: int) -> Response:
    """One form: its values in words, its status (who, when), missing-data codes, queries."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        ctx = _form_context(session, user, form, record_id)
        return render(request, "form_status.html", {**ctx, "errors": {}}, user=user)


def _post(request: Request, form: str, record_id: int, data: dict[str, str], act: Any) -> Response:
    """Run ``act(uow, data)`` in one transaction; back to the form page, or the page again with
    the refusal beside its field."""

    def write(session: Any, user: Actor) -> Response:
        act(unit_of_work(request, session, user), data)
        return RedirectResponse(f"/forms/{form}/{record_id}", status_code=303)

    def show(session: Any, user: Actor, errors: dict[str, str], status: int) -> Response:
        ctx = _form_context(session, user, form, record_id)
        ctx["values"] = data
        return render(
            request, "form_status.html", {**ctx, "errors": errors}, user=user, status_code=status
        )

    fields = (
        frozenset({*field_labels(form), "text", "answer", "field", "fields"})
        if form in fs.FORMS
        else frozenset()
    )
    return save_or_refuse(request, write, show, fields)  # type: ignore[no-any-return]


async def _form_data(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


@router.post("/forms/{form}/{record_id:int}/complete")
async def complete(request: Request, form: str, record_id: int) -> Response:
    """Mark the form complete, with the missing-data codes chosen (``missing_<field>``)."""
    data = await _form_data(request)
    codes = {k.removeprefix("missing_"): v for k, v in data.items() if k.startswith("missing_")}

    def act(uow: Any, _: dict[str, str]) -> None:
        fs.mark_complete(uow, form, record_id, codes)

    return await run_in_threadpool(_post, request, form, record_id, data, act)


@router.post("/forms/{form}/{record_id:int}/verify")
async def verify(request: Request, form: str, record_id: int) -> Response:
    """Mark the form verified against source (monitor)."""
    data = await _form_data(request)
    return await run_in_threadpool(
        _post, request, form, record_id, data, lambda uow, _: fs.verify_form(uow, form, record_id)
    )


@router.post("/forms/{form}/{record_id:int}/verify-fields")
async def verify_fields(request: Request, form: str, record_id: int) -> Response:
    """Save the monitor's checklist of fields verified against source: the boxes checked now
    (``verified``, one per field) against those shown checked (``shown``, comma-separated) --
    newly checked fields are marked, unchecked ones un-marked, the others left as they are (a
    mark another monitor set meanwhile is not withdrawn by a page that did not show it)."""
    posted = await request.form()
    data = {k: str(v) for k, v in posted.items()}
    checked = {str(v) for v in posted.getlist("verified")}
    shown = {f for f in data.get("shown", "").split(",") if f}

    def act(uow: Any, _: dict[str, str]) -> None:
        if checked - shown:
            fsdv.verify_fields(uow, form, record_id, sorted(checked - shown))
        if shown - checked:
            fsdv.unverify_fields(uow, form, record_id, sorted(shown - checked))

    return await run_in_threadpool(_post, request, form, record_id, data, act)


@router.post("/forms/{form}/{record_id:int}/queries")
async def raise_query(request: Request, form: str, record_id: int) -> Response:
    """Raise a query on one field of the form (monitor, data manager)."""
    data = await _form_data(request)

    def act(uow: Any, d: dict[str, str]) -> None:
        qs.raise_query(uow, form, record_id, d.get("field", ""), d.get("text", ""))

    return await run_in_threadpool(_post, request, form, record_id, data, act)


def _query_form(request: Request, query_id: int) -> tuple[str, int]:
    with db_session(request) as session:
        signed_in_user(request, session)
        q = session.get(DataQuery, query_id)
        if q is None:
            raise HTTPException(status_code=404, detail=f"No query {query_id}.")
        return q.form, q.record_id


@router.post("/queries/{query_id:int}/{step}")
async def query_step(request: Request, query_id: int, step: str) -> Response:
    """Answer (site), close or re-open (monitor) a query."""
    data = await _form_data(request)
    form, record_id = await run_in_threadpool(_query_form, request, query_id)

    def act(uow: Any, d: dict[str, str]) -> None:
        if step == "answer":
            change = d.get("change_value") == "yes"
            qs.answer_query(
                uow,
                query_id,
                d.get("answer", ""),
                new_value=d.get("new_value"),
                change_value=change,
            )
        elif step == "close":
            qs.close_query(uow, query_id)
        elif step == "reopen":
            qs.reopen_query(uow, query_id, d.get("text", ""))
        else:
            raise HTTPException(status_code=404, detail=f"No step {step!r} of a query.")

    return await run_in_threadpool(_post, request, form, record_id, data, act)


def sdv_per_site(session: Any, user: Actor) -> dict[int, fsdv.SdvCounts]:
    """site id -> forms verified against source of forms, fields verified of fields, over the
    user's patients (:func:`hcctrial.services.field_sdv.sdv_counts`)."""
    from hcctrial.web.routes_pages import visible_patients

    patients = visible_patients(session, user)
    site_of = {p.id: p.site_id for p in patients}
    out: dict[int, fsdv.SdvCounts] = {}
    for pid, counts in fsdv.sdv_counts(session, list(site_of)).items():
        out[site_of[pid]] = out.get(site_of[pid], fsdv.SdvCounts()) + counts
    return out


@router.get("/queries")
def queries_page(request: Request) -> Response:
    """The queries not yet closed over the patients the user sees, with counts per site."""
    from sqlalchemy import select

    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_PATIENTS)
        counts = qs.open_query_counts(session, user)
        ids = list(counts.per_patient)
        rows: list[Any] = []
        for start in range(0, len(ids), 500):
            stmt = (
                select(DataQuery, m.Patient.study_id, m.Patient.site_id)
                .join(m.Patient, m.Patient.id == DataQuery.patient_id)
                .where(
                    DataQuery.patient_id.in_(ids[start : start + 500]),
                    DataQuery.status != QueryStatus.CLOSED,
                )
            )
            rows += list(session.execute(stmt))
        rows.sort(key=lambda r: (r[0].status is not QueryStatus.OPEN, r[0].id))
        sites = {s.id: s.code for s in session.scalars(select(m.Site))}
        sdv = sdv_per_site(session, user)
        ctx = {
            "sdv": sdv,
            "rows": [
                {
                    "q": q,
                    "study_id": sid,
                    "site": sites.get(site, ""),
                    "label": field_labels(q.form).get(q.field, q.field),
                    "title": fs.FORMS[q.form][1] if q.form in fs.FORMS else q.form,
                }
                for q, sid, site in rows
            ],
            "counts": counts,
            "sites": sites,
            "manage": can(user, Capability.MANAGE_DATA),
        }
        return render(request, "queries.html", ctx, user=user)


# ------------------------------------------------------------------------------ visit schedule
@router.get("/patients/{patient_id:int}/schedule")
def schedule_page(request: Request, patient_id: int) -> Response:
    """The patient's grid of expected forms: due date, window, status."""
    from hcctrial.web.deps import state_of
    from hcctrial.web.page_cache import cached_page
    from hcctrial.web.patient_memo import memo_schedules, patient_memo

    state = state_of(request)
    today = state.today()
    with db_session(request) as session:
        user = signed_in_user(request, session)
        patient = load_patient(session, user, patient_id)

        def build() -> HTMLResponse:
            memo = patient_memo(request.app.state)
            head = memo.sync(session)
            items = memo_schedules(memo, head, session, [patient], state.regimen, today)
            ctx = {"patient": patient, "items": items[patient.id], "today": today}
            return render(request, "schedule.html", ctx, user=user)

        return cached_page(request, session, user, today, build)


@router.get("/schedule")
def site_schedule_page(request: Request) -> Response:
    """Per site: the forms due this week (today .. today + 7 days) and the overdue ones, over
    the patients the user sees."""
    from datetime import timedelta

    from sqlalchemy import select

    from hcctrial.protocol.visit_schedule import VisitStatus
    from hcctrial.web.deps import state_of
    from hcctrial.web.patient_memo import memo_schedules, patient_memo
    from hcctrial.web.routes_pages import visible_patients

    state = state_of(request)
    today = state.today()
    week = today + timedelta(days=7)
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_PATIENTS)
        patients = visible_patients(session, user)
        memo = patient_memo(request.app.state)
        head = memo.sync(session)
        grid = memo_schedules(memo, head, session, patients, state.regimen, today)
        sites = {s.id: s.code for s in session.scalars(select(m.Site))}
        due: list[tuple[Any, Any]] = []
        overdue: list[tuple[Any, Any]] = []
        for p in patients:
            for item in grid.get(p.id, []):
                if item.status is VisitStatus.OVERDUE:
                    overdue.append((p, item))
                elif item.status is VisitStatus.DUE or (
                    item.status is VisitStatus.UPCOMING and item.due <= week
                ):
                    due.append((p, item))
        due.sort(key=lambda pi: (pi[1].due, pi[0].study_id))
        overdue.sort(key=lambda pi: (pi[1].latest, pi[0].study_id))
        ctx = {"due": due, "overdue": overdue, "sites": sites, "today": today, "week": week}
        return render(request, "site_schedule.html", ctx, user=user)
