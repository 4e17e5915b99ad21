"""The JSON API of data management (issue 19), beside the pages of
:mod:`hcctrial.web.routes_datamgmt`: the status of a patient's forms, the queries (lists, raise,
answer, close, re-open), marking a form complete and verifying it against source.

Same session, same CSRF header and same answers to refusals as the rest of the JSON API
(:mod:`hcctrial.web.routes_api`): ``{"detail", "field", "rule", "findings"}`` with 403
(authorization: AUTH-ROLE, DM-SITE), 409 (state: QUERY-FLOW, FORM-VERIFY, a locked database or
record, a stale version) or 422 (values: QUERY-TEXT, FORM-COMPLETE, FIELD-VALUE and every rule of
a changed value); 404 for a form, record, query or patient that does not exist; 400 for another
bad input (an unknown status filter or site), its message naming the field, the value and what
was expected. Endpoints::

    GET  /api/patients/{patient_id}/forms          every form of the patient with its status
    GET  /api/patients/{patient_id}/queries        the patient's queries [?status=open,answered]
    GET  /api/queries                              the queries of the sites you see
                                                   [?status=...&site_id=N]
    GET  /api/queries/{query_id}                   one query
    GET  /api/forms/{form}/{record_id}             one form's status and its queries
    POST /api/forms/{form}/{record_id}/queries     {"field", "text"}: raise a query (201)
    POST /api/queries/{query_id}/answer            {"answer", "change_value", "new_value"}
    POST /api/queries/{query_id}/close             close (monitor, data manager)
    POST /api/queries/{query_id}/reopen            {"text"}: re-open with a new question
    POST /api/forms/{form}/{record_id}/complete    {"missing_codes": {field: code}}
    POST /api/forms/{form}/{record_id}/verify      source-data verification (monitor)
    GET  /api/forms/{form}/{record_id}/fields      each field's source verification
    POST /api/forms/{form}/{record_id}/fields/verify    {"fields": [...]}: mark fields verified
    POST /api/forms/{form}/{record_id}/fields/unverify  {"fields": [...]}: withdraw their marks

Thin, like the pages: every write is the same function of :mod:`hcctrial.services.queries`,
:mod:`hcctrial.services.form_status` or :mod:`hcctrial.services.field_sdv` the pages call, with the same defaults (so the audit trail
says the same whichever door was used); those functions check the role and the site
(:mod:`hcctrial.services.permissions`) and the rules. An answer that changes the value is the
action "amend a record" with every rule of the trial, its reason naming the query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from hcctrial.services import field_sdv as fsdv
from hcctrial.services import form_status as fs
from hcctrial.services import queries as qs
from hcctrial.store.models_datamgmt import DataQuery
from hcctrial.store.values import column_specs, row_state
from hcctrial.web.deps import db_session, load_patient, signed_in_user, unit_of_work

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["data management"])


class RaiseQueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str = Field(description="the column queried, e.g. weight_kg (a field of the form)")
    text: str = Field(description="what should be checked (1-4000 characters)")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(description="the site's answer (1-4000 characters)")
    change_value: bool = Field(
        default=False, description="true: change the queried field to new_value as well"
    )
    new_value: Any = Field(
        default=None, description="the field's new value (with change_value; null empties it)"
    )


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="the new question (1-4000 characters)")


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    missing_codes: dict[str, str] = Field(
        default_factory=dict,
        description="field -> why it is empty: not_done, not_applicable or unknown",
    )


class FieldsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: list[str] = Field(description='fields of the form, e.g. ["weight_kg", "ecog"]')


class FieldMarkOut(BaseModel):
    field: str
    verified: bool = Field(
        description="a standing mark: verified against source, not changed since"
    )
    by: str | None = Field(description="who verified it (null: never verified, or un-marked)")
    at: dt.datetime | None = Field(description="when it was verified (UTC)")
    cleared_by: str | None = Field(description="who changed the value after it was verified")
    cleared_at: dt.datetime | None = Field(description="when that change was made (UTC)")


class FormStatusOut(BaseModel):
    form: str
    record_id: int
    title: str = Field(description="the form in words, e.g. Baseline")
    status: str = Field(description="incomplete, complete, verified, signed or locked")
    by: str | None = Field(description="who gave the status")
    at: dt.datetime | None = Field(description="when (UTC)")
    missing_codes: dict[str, str]
    verified: bool = Field(description="verified against source at the record's current version")


def _form_out(view: fs.FormView) -> FormStatusOut:
    return FormStatusOut(
        form=view.form,
        record_id=view.record_id,
        title=fs.FORMS[view.form][1],
        status=view.status.value,
        by=view.by,
        at=view.at,
        missing_codes=view.missing_codes,
        verified=view.verified,
    )


def _query_out(q: DataQuery) -> dict[str, Any]:
    """A query as the audit trail stores it (every column, with its id and version)."""
    return row_state(DataQuery, {c: getattr(q, c) for c in column_specs(DataQuery)})


def _statuses(status: str | None) -> list[str] | None:
    """``?status=open,answered`` -> the statuses (checked by the service)."""
    if status is None:
        return None
    return [s for s in status.split(",") if s.strip()]


def _form_or_404(session: Any, form: str, record_id: int) -> Any:
    if form not in fs.FORMS:
        raise HTTPException(404, f"form: got {form!r}; expected one of {', '.join(fs.FORMS)}")
    obj = session.get(fs.FORMS[form][0], record_id)
    if obj is None:
        title = fs.FORMS[form][1].lower()
        raise HTTPException(404, f"record_id: got {record_id}; expected the id of a saved {title}")
    return obj


def _query_or_404(session: Any, query_id: int) -> DataQuery:
    q = session.get(DataQuery, query_id)
    if q is None:
        raise HTTPException(404, f"query_id: got {query_id}; expected the id of a query")
    return q


# ----------------------------------------------------------------------------------- reading
@router.get("/patients/{patient_id}/forms", response_model=list[FormStatusOut])
def patient_forms(request: Request, patient_id: int) -> list[FormStatusOut]:
    """Every form of the patient (screening, baseline, each lab, cycle, ...) with its status."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        load_patient(session, user, patient_id)
        return [_form_out(v) for v in fs.patient_forms(session, patient_id)]


@router.get("/patients/{patient_id}/queries")
def patient_queries(
    request: Request,
    patient_id: int,
    status: str | None = Query(None, description="open, answered, closed (comma-separated)"),
) -> list[dict[str, Any]]:
    """The patient's queries, open ones first, newest first."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        load_patient(session, user, patient_id)
        found = qs.find_queries(session, user, patient_id=patient_id, statuses=_statuses(status))
        return [_query_out(q) for q in found]


@router.get("/queries")
def list_queries(
    request: Request,
    status: str | None = Query(None, description="open, answered, closed (comma-separated)"),
    site_id: int | None = Query(None, description="one site (default: every site you see)"),
) -> list[dict[str, Any]]:
    """The queries of the patients you see (your site, or every site for a central monitor,
    a data manager or an admin), open ones first, newest first."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        found = qs.find_queries(session, user, site_id=site_id, statuses=_statuses(status))
        return [_query_out(q) for q in found]


@router.get("/queries/{query_id}")
def read_query(request: Request, query_id: int) -> dict[str, Any]:
    """One query (with its version)."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        q = _query_or_404(session, query_id)
        load_patient(session, user, q.patient_id)
        return _query_out(q)


@router.get("/forms/{form}/{record_id}")
def read_form(request: Request, form: str, record_id: int) -> dict[str, Any]:
    """One form's status and its queries (newest first)."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        obj = _form_or_404(session, form, record_id)
        load_patient(session, user, int(obj.patient_id))
        view = fs.form_views(session, [obj])[(form, record_id)]
        found = qs.find_queries(session, user, patient_id=int(obj.patient_id))
        mine = sorted(
            (q for q in found if (q.form, q.record_id) == (form, record_id)), key=lambda q: -q.id
        )
        return {
            "status": _form_out(view).model_dump(mode="json"),
            "queries": [_query_out(q) for q in mine],
        }


# ----------------------------------------------------------------------------------- writing
@router.post("/forms/{form}/{record_id}/queries", status_code=201)
def raise_query(request: Request, form: str, record_id: int, body: RaiseQueryIn) -> dict[str, Any]:
    """Raise a query on one field of the form (monitor, data manager)."""
    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        _form_or_404(session, form, record_id)
        uow = unit_of_work(request, session, user)
        qid = qs.raise_query(uow, form, record_id, body.field, body.text)
        return _query_out(_query_or_404(session, qid))


@router.post("/queries/{query_id}/answer")
def answer_query(request: Request, query_id: int, body: AnswerIn) -> dict[str, Any]:
    """Answer an open query (site staff); with ``change_value`` the queried field is changed to
    ``new_value`` too, every rule applying, the query as the reason."""
    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        _query_or_404(session, query_id)
        qs.answer_query(
            unit_of_work(request, session, user),
            query_id,
            body.answer,
            new_value=body.new_value,
            change_value=body.change_value,
        )
        return _query_out(session.get(DataQuery, query_id, populate_existing=True))


@router.post("/queries/{query_id}/close")
def close_query(request: Request, query_id: int) -> dict[str, Any]:
    """Close an open or answered query (monitor, data manager)."""
    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        _query_or_404(session, query_id)
        qs.close_query(unit_of_work(request, session, user), query_id)
        return _query_out(session.get(DataQuery, query_id, populate_existing=True))


@router.post("/queries/{query_id}/reopen")
def reopen_query(request: Request, query_id: int, body: ReopenIn) -> dict[str, Any]:
    """Re-open an answered or closed query with a new question (monitor, data manager)."""
    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        _query_or_404(session, query_id)
        qs.reopen_query(unit_of_work(request, session, user), query_id, body.text)
        return _query_out(session.get(DataQuery, query_id, populate_existing=True))


@router.post("/forms/{form}/{record_id}/complete", response_model=FormStatusOut)
def complete_form(
    request: Request, form: str, record_id: int, body: CompleteIn | None = None
) -> FormStatusOut:
    """Mark the form complete (site staff), a missing-data code for each required field left
    empty."""
    codes = {} if body is None else body.missing_codes
    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        _form_or_404(session, form, record_id)
        return _form_out(
            fs.mark_complete(unit_of_work(request, session, user), form, record_id, codes)
        )


@router.post("/forms/{form}/{record_id}/verify", response_model=FormStatusOut)
def verify_form(request: Request, form: str, record_id: int) -> FormStatusOut:
    """Verify a complete form against source at its current version (monitor, data manager)."""
    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        _form_or_404(session, form, record_id)
        return _form_out(fs.verify_form(unit_of_work(request, session, user), form, record_id))


def _fields_out(form: str, marks: dict[str, fsdv.FieldMark]) -> list[FieldMarkOut]:
    """Every field of ``form``, in the form's order, with its mark (or none)."""
    out = []
    for name in fsdv.sdv_fields(form):
        mark = marks.get(name)
        if mark is None:
            out.append(
                FieldMarkOut(
                    field=name, verified=False, by=None, at=None, cleared_by=None, cleared_at=None
                )
            )
        else:
            out.append(
                FieldMarkOut(
                    field=name,
                    verified=mark.verified,
                    by=mark.by,
                    at=mark.at,
                    cleared_by=mark.cleared_by,
                    cleared_at=mark.cleared_at,
                )
            )
    return out


@router.get("/forms/{form}/{record_id}/fields", response_model=list[FieldMarkOut])
def read_field_marks(request: Request, form: str, record_id: int) -> list[FieldMarkOut]:
    """Each field of the form with its source verification (standing, cleared, or none)."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        obj = _form_or_404(session, form, record_id)
        load_patient(session, user, int(obj.patient_id))
        marks = fsdv.field_marks(session, [(form, record_id)])[(form, record_id)]
        return _fields_out(form, marks)


def _write_marks(
    request: Request, form: str, record_id: int, fields: list[str], write: Any
) -> list[FieldMarkOut]:
    """Run ``write(uow, form, record_id, fields)`` (a :mod:`~hcctrial.services.field_sdv`
    function) in one writing transaction; return every field's mark after it."""
    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        _form_or_404(session, form, record_id)
        uow = unit_of_work(request, session, user)
        return _fields_out(form, write(uow, form, record_id, fields))


@router.post("/forms/{form}/{record_id}/fields/verify", response_model=list[FieldMarkOut])
def verify_fields(
    request: Request, form: str, record_id: int, body: FieldsIn
) -> list[FieldMarkOut]:
    """Mark fields of the form verified against source (monitor, data manager)."""
    return _write_marks(request, form, record_id, body.fields, fsdv.verify_fields)


@router.post("/forms/{form}/{record_id}/fields/unverify", response_model=list[FieldMarkOut])
def unverify_fields(
    request: Request, form: str, record_id: int, body: FieldsIn
) -> list[FieldMarkOut]:
    """Withdraw the marks of fields of the form (and the form's own mark while it stands)."""
    return _write_marks(request, form, record_id, body.fields, fsdv.unverify_fields)
