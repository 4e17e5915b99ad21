"""The JSON API beside the pages, described at ``/openapi.json``.

Same session, same access rules, same CSRF protection as the pages (send the session's token in
the ``X-CSRF-Token`` header; ``GET /api/me`` returns it). Every record type of
:data:`hcctrial.web.records.RECORD_TYPES` has::

    POST /api/patients/{patient_id}/{type}     create (201)   [lesions, doses: POST /api/{type}]
    GET  /api/{type}/{id}                      read (with its version)
    PUT  /api/{type}/{id}                      {"version", "reason", "changes"}: change (409 when
                                               someone else saved first)

plus the patient list and file, the protocol's next step, the audit trail, the live previews
(eligibility, CTCAE grade, dose sheet) and the dashboard numbers. Request bodies are pydantic
models generated from the store's column specifications, so the schema and the checks agree.
"""

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from hcctrial.store import models as m
from hcctrial.store.values import column_specs, row_state
from hcctrial.web.clinical import lab_grades
from hcctrial.web.deps import db_session, load_patient, require, signed_in_user, state_of
from hcctrial.web.patient_file import load_patient_file
from hcctrial.web.patient_view import patient_view
from hcctrial.web.permissions import Capability
from hcctrial.web.records import RECORD_TYPES, RecordType, patient_id_of
from hcctrial.web.routes_pages import audit_entries, visible_patients
from hcctrial.web.security import csrf_token

router = APIRouter(prefix="/api", tags=["api"])

CREATED = "entered via API"


def _py_type(spec: Any) -> Any:
    base: Any = {
        "int": int,
        "float": float,
        "bool": bool,
        "date": dt.date,
        "str": str,
    }.get(spec.kind, str)
    if spec.kind == "enum":
        assert spec.enum_class is not None
        base = spec.enum_class
    return base


def _body_model(rt: RecordType, *, partial: bool) -> type[BaseModel]:
    specs = column_specs(rt.model)
    names = [f.name for f in rt.fields]
    if rt.parent is not None:
        names.insert(0, rt.parent[1])
    fields: dict[str, Any] = {}
    for name in names:
        spec = specs[name]
        t = _py_type(spec)
        extra: dict[str, Any] = {"description": spec.doc}
        if spec.minimum is not None:
            extra["ge"] = spec.minimum
        if spec.maximum is not None:
            extra["le"] = spec.maximum
        if spec.max_length is not None:
            extra["max_length"] = spec.max_length
        if partial or spec.nullable:
            fields[name] = (t | None, Field(default=None, **extra))
        else:
            fields[name] = (t, Field(**extra))
    suffix = "Changes" if partial else "In"
    name = "".join(p.title() for p in rt.slug.split("_")) + suffix
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


class Me(BaseModel):
    username: str
    role: str
    site_id: int | None
    csrf_token: str


class PatientOut(BaseModel):
    id: int
    version: int
    study_id: str
    site_id: int
    status: str
    enrolment_date: dt.date | None


class LabGradeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    analyte: str = Field(description="analyte name of the unit layer, e.g. platelets")
    value: float = Field(ge=0)
    unit: str | None = Field(default=None, description="unit of value, uln and lln")
    uln: float | None = Field(default=None, gt=0)
    lln: float | None = Field(default=None, ge=0)


class ScreeningIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patient: dict[str, Any] = Field(
        description="the patient screening input of `hcctrial screen` (examples/README.md)"
    )


def _state(model: type[m.Record], obj: Any) -> dict[str, Any]:
    return row_state(model, {c: getattr(obj, c) for c in column_specs(model)})


@router.get("/me", response_model=Me)
def me(request: Request) -> Me:
    """The signed-in user and the CSRF token to send with writes (``X-CSRF-Token``)."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
    return Me(
        username=user.username,
        role=user.role.value,
        site_id=user.site_id,
        csrf_token=csrf_token(request.session),
    )


@router.get("/patients", response_model=list[PatientOut])
def list_patients(request: Request) -> list[PatientOut]:
    """The patients of the user's site(s)."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_PATIENTS)
        return [
            PatientOut(
                id=p.id,
                version=p.version,
                study_id=p.study_id,
                site_id=p.site_id,
                status=p.status.value,
                enrolment_date=p.enrolment_date,
            )
            for p in visible_patients(session, user)
        ]


@router.get("/patients/{patient_id}")
def get_patient(request: Request, patient_id: int) -> dict[str, Any]:
    """One patient with every record (each with its ``id`` and ``version``)."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        patient = load_patient(session, user, patient_id)
        pf = load_patient_file(session, patient)
        out: dict[str, Any] = {"patient": _state(m.Patient, patient)}
        out["screening"] = None if pf.screening is None else _state(m.Screening, pf.screening)
        out["criteria"] = [_state(m.ScreeningCriterion, c) for c in pf.criteria]
        out["baseline"] = None if pf.baseline is None else _state(m.Baseline, pf.baseline)
        out["labs"] = [_state(m.LabResult, x) for x in pf.labs]
        out["cycles"] = [_state(m.TreatmentCycle, x) for x in pf.cycles]
        out["doses"] = [_state(m.CycleDose, d) for ds in pf.doses.values() for d in ds]
        out["adverse_events"] = [_state(m.AdverseEvent, x) for x in pf.adverse_events]
        out["imaging"] = [_state(m.ImagingAssessment, x) for x in pf.imaging]
        out["lesions"] = [_state(m.LesionMeasurement, x) for xs in pf.lesions.values() for x in xs]
        out["followups"] = [_state(m.Followup, x) for x in pf.followups]
        out["withdrawal"] = None if pf.withdrawal is None else _state(m.Withdrawal, pf.withdrawal)
        out["deviations"] = [_state(m.ProtocolDeviation, x) for x in pf.deviations]
        return out


@router.get("/patients/{patient_id}/next-step")
def next_step(request: Request, patient_id: int) -> dict[str, Any]:
    """The protocol's next step (course engine), or why it cannot be decided yet."""
    state = state_of(request)
    with db_session(request) as session:
        user = signed_in_user(request, session)
        patient = load_patient(session, user, patient_id)
        view = patient_view(load_patient_file(session, patient), state.regimen, state.today())
    d = view.outcome.decision
    return {
        "decision": None if d is None else d.to_dict(),
        "problem": view.outcome.problem,
        "mrecist": {str(k): v for k, v in view.responses.items()},
    }


@router.get("/patients/{patient_id}/audit")
def patient_audit(request: Request, patient_id: int) -> list[dict[str, Any]]:
    """The audit trail of the patient's records, oldest first."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_AUDIT)
        patient = load_patient(session, user, patient_id)
        entries = audit_entries(session, load_patient_file(session, patient))
    for e in entries:
        e["at"] = e["at"].isoformat()
        e["changes"] = [{"field": f, "old": o, "new": n} for f, o, n in e["changes"]]
    return entries


@router.post("/preview/screening")
def preview_screening(request: Request, body: ScreeningIn) -> dict[str, Any]:
    """Each eligibility criterion's verdict for a patient input (nothing is saved)."""
    from hcctrial.protocol.eligibility import screen_patient

    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.EDIT_RECORDS)
    return screen_patient(body.patient, state_of(request).regimen).to_dict()


@router.post("/preview/lab-grade")
def preview_lab_grade(request: Request, body: LabGradeIn) -> list[dict[str, object]]:
    """The CTCAE v4.03 grade(s) of one lab value (nothing is saved)."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_PATIENTS)
    grades = lab_grades(body.analyte, body.value, body.unit, uln=body.uln, lln=body.lln)
    return [g.as_dict() for g in grades]


@router.get("/dashboard")
def dashboard(request: Request) -> dict[str, Any]:
    """Enrolment, screen failures, KM curves with numbers at risk, responses, grade >= 3 rates."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_ANALYSIS)
        return state_of(request).dashboard_cache.data(session).to_dict()


def _register(rt: RecordType) -> None:
    from hcctrial.store.services import create, update

    body_in = _body_model(rt, partial=False)
    changes_model = _body_model(rt, partial=True)
    update_model = create_model(
        "".join(p.title() for p in rt.slug.split("_")) + "Update",
        __config__=ConfigDict(extra="forbid"),
        version=(int, Field(description="the version you read (optimistic lock)")),
        reason=(str, Field(min_length=1, description="why the saved record is changed")),
        changes=(changes_model, ...),
    )

    def _create(request: Request, patient_id: int | None, body: BaseModel) -> dict[str, Any]:
        values = body.model_dump(exclude_unset=True)
        with db_session(request, write=True) as session:
            user = signed_in_user(request, session)
            require(user, Capability.EDIT_RECORDS)
            if rt.parent is not None:
                parent_model, fk = rt.parent
                parent = session.get(parent_model, values.get(fk))
                if parent is None:
                    raise HTTPException(404, f"No {parent_model.__tablename__} {values.get(fk)}.")
                load_patient(session, user, patient_id_of(session, parent_model, parent))
            else:
                assert patient_id is not None
                load_patient(session, user, patient_id)
                values["patient_id"] = patient_id
            obj = create(session, rt.model, values, actor=user.username, reason=CREATED)
            return _state(rt.model, obj)

    if rt.parent is None:

        def create_for_patient(request: Request, patient_id: int, body: body_in) -> dict[str, Any]:  # type: ignore[valid-type]
            return _create(request, patient_id, body)

        router.add_api_route(
            f"/patients/{{patient_id}}/{rt.slug}",
            create_for_patient,
            methods=["POST"],
            status_code=201,
            summary=f"Create a {rt.title.lower()}",
            name=f"create_{rt.slug}",
        )
    else:

        def create_child(request: Request, body: body_in) -> dict[str, Any]:  # type: ignore[valid-type]
            return _create(request, None, body)

        router.add_api_route(
            f"/{rt.slug}",
            create_child,
            methods=["POST"],
            status_code=201,
            summary=f"Create a {rt.title.lower()}",
            name=f"create_{rt.slug}",
        )

    def read_record(request: Request, record_id: int) -> dict[str, Any]:
        with db_session(request) as session:
            user = signed_in_user(request, session)
            obj = session.get(rt.model, record_id)
            if obj is None:
                raise HTTPException(404, f"No {rt.title.lower()} with id {record_id}.")
            load_patient(session, user, patient_id_of(session, rt.model, obj))
            return _state(rt.model, obj)

    def update_record(request: Request, record_id: int, body: update_model) -> dict[str, Any]:  # type: ignore[valid-type]
        data = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        with db_session(request, write=True) as session:
            user = signed_in_user(request, session)
            require(user, Capability.EDIT_RECORDS)
            obj = session.get(rt.model, record_id)
            if obj is None:
                raise HTTPException(404, f"No {rt.title.lower()} with id {record_id}.")
            load_patient(session, user, patient_id_of(session, rt.model, obj))
            if not data.get("reason", "").strip():
                raise HTTPException(422, "reason: a reason is required to change a saved record")
            new = update(
                session,
                rt.model,
                record_id,
                data.get("changes") or {},
                expected_version=data["version"],
                actor=user.username,
                reason=data["reason"],
            )
            return _state(rt.model, new)

    router.add_api_route(
        f"/{rt.slug}/{{record_id}}",
        read_record,
        methods=["GET"],
        summary=f"Read a {rt.title.lower()}",
        name=f"read_{rt.slug}",
    )
    router.add_api_route(
        f"/{rt.slug}/{{record_id}}",
        update_record,
        methods=["PUT"],
        summary=f"Change a {rt.title.lower()}",
        name=f"update_{rt.slug}",
    )


for _rt in RECORD_TYPES.values():
    _register(_rt)
