"""The JSON API beside the pages, described at ``/openapi.json``.

Same session, same CSRF protection as the pages (send the session's token in the
``X-CSRF-Token`` header; ``GET /api/me`` returns it). Every write is a trial action of
:mod:`hcctrial.services`, which checks access, the patient's state and the rules exactly as for the
forms and the import; a refusal answers ``{"detail", "field", "rule"}`` with 403 (authorization),
409 (state, stale version) or 422 (values). Endpoints::

    POST   /api/patients                          screen and enrol (201)
    POST   /api/patients/{patient_id}/{type}      the action recording a new record (201):
                                                  baseline, labs, cycles (start a cycle, with
                                                  its dose lines), adverse_events, imaging (a
                                                  scan with its lesions), followups, withdrawals,
                                                  deviations, exams (pre-cycle examination:
                                                  ECOG, weight)    [lesions, doses: POST /api/{type}]
    POST   /api/patients/{patient_id}/end-treatment   end the treatment
    GET    /api/{type}/{id}                       read (with its version)
    PUT    /api/{type}/{id}                       {"version", "reason", "changes"}: amend
    DELETE /api/{type}/{id}                       {"version", "reason"}: delete

plus the patient list and file, the protocol's next step, the audit trail, the live previews
(eligibility, CTCAE grade, dose sheet) and the dashboard numbers. Request bodies are pydantic
models generated from the store's column specifications (types; the values are checked by the
services, so that the API refuses what the forms and the import refuse, with the same rule).
"""

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from hcctrial.protocol.regimen import trial_ctcae_version
from hcctrial.services.permissions import Capability
from hcctrial.store import models as m
from hcctrial.store.values import column_specs, row_state
from hcctrial.web.clinical import lab_grades
from hcctrial.web.deps import (
    db_session,
    load_patient,
    require,
    signed_in_user,
    state_of,
    unit_of_work,
)
from hcctrial.web.patient_file import load_patient_file
from hcctrial.web.patient_view import patient_view
from hcctrial.web.records import NEW_RECORD, RECORD_TYPES, RecordType, patient_id_of
from hcctrial.web.routes_pages import audit_entries, visible_patients
from hcctrial.web.security import csrf_token

router = APIRouter(prefix="/api", tags=["api"])

CREATED = "entered via API"
#: the trial action behind each create endpoint
ACTION_SUMMARY = {
    "baseline": "Record the baseline",
    "labs": "Record a lab result",
    "exams": "Record a pre-cycle examination (ECOG performance status, weight)",
    "cycles": "Start the next cycle (with its dose lines)",
    "adverse_events": "Record an adverse event",
    "imaging": "Record a scan (with its lesion measurements)",
    "followups": "Record a follow-up contact (vital status dead: the death)",
    "withdrawals": "Withdraw the patient",
    "deviations": "Record a protocol deviation",
    "doses": "Add a dose line to a cycle",
    "lesions": "Add a lesion measurement to a scan",
}


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


def _body_model(
    rt_model: type[m.Record],
    names: list[str],
    *,
    partial: bool,
    name: str,
    optional: frozenset[str] = frozenset(),
) -> type[BaseModel]:
    """A request body of the columns ``names`` of ``rt_model``, typed from the store's column
    specifications. Ranges and lengths are stated, not enforced here: the services check every
    value (FIELD-VALUE), so the API refuses exactly what a form and an import refuse."""
    specs = column_specs(rt_model)
    fields: dict[str, Any] = {}
    for column in names:
        spec = specs[column]
        t = _py_type(spec)
        extra: dict[str, Any] = {"description": f"{spec.doc}; expected {spec.expected()}"}
        if partial or spec.nullable or column in optional:
            fields[column] = (t | None, Field(default=None, **extra))
        else:
            fields[column] = (t, Field(**extra))
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


def _names(rt: RecordType) -> list[str]:
    names = [f.name for f in rt.fields]
    return [rt.parent[1], *names] if rt.parent is not None else names


def _title(slug: str) -> str:
    return "".join(p.title() for p in slug.split("_"))


def _create_model(rt: RecordType) -> type[BaseModel]:
    """The body of a new record: the record's fields; a cycle also takes its dose lines (and
    its number is optional: the next one), a scan its lesion measurements."""
    if rt.slug == "cycles":
        line = _body_model(
            m.CycleDose, ["drug", "planned_mg", "given_mg"], partial=False, name="DoseLineIn"
        )
        base = _body_model(
            rt.model,
            _names(rt),
            partial=False,
            name="CycleFields",
            optional=frozenset({"cycle_number"}),
        )
        return create_model(
            "CyclesIn",
            __base__=base,
            doses=(list[line] | None, Field(default=None)),  # type: ignore[valid-type,arg-type]
        )
    if rt.slug == "imaging":
        lesion_fields = [f.name for f in RECORD_TYPES["lesions"].fields]
        line = _body_model(m.LesionMeasurement, lesion_fields, partial=False, name="LesionLineIn")
        base = _body_model(rt.model, _names(rt), partial=False, name="ImagingFields")
        return create_model(
            "ImagingIn",
            __base__=base,
            lesions=(list[line] | None, Field(default=None)),  # type: ignore[valid-type,arg-type]
        )
    return _body_model(rt.model, _names(rt), partial=False, name=_title(rt.slug) + "In")


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


class ScreeningLabIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    analyte: str
    value_entered: float
    unit_entered: str
    uln: float | None = None
    lln: float | None = None


class EnrolIn(BaseModel):
    """Screen a new patient: enrolled when eligible, a screen failure when not."""

    model_config = ConfigDict(extra="forbid")
    study_id: str = Field(description="pseudonymous study id")
    site_id: int | None = Field(default=None, description="sites.id (default: your site)")
    screening_date: dt.date
    patient: dict[str, Any] = Field(
        description="the patient screening input of `hcctrial screen` (examples/README.md)"
    )
    labs: list[ScreeningLabIn] = Field(default_factory=list, description="screening labs")
    notes: str | None = None


class DeleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(description="the version you read (optimistic lock)")
    reason: str = Field(description="why the record is deleted (required)")


class EndTreatmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(description="why the treatment ends (required)")


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


@router.post("/patients", status_code=201)
def screen_and_enrol(request: Request, body: EnrolIn) -> dict[str, Any]:
    """Screen a new patient under the protocol; enrol when eligible (the criteria are saved)."""
    from hcctrial.services.patients import screen_and_enrol as enrol

    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        site_id = body.site_id if body.site_id is not None else user.site_id
        if site_id is None:
            raise HTTPException(422, "site_id: got None; expected the id of the patient's site")
        outcome = enrol(
            unit_of_work(request, session, user),
            study_id=body.study_id,
            site_id=site_id,
            screening_date=body.screening_date,
            patient=body.patient,
            labs=[lab.model_dump() for lab in body.labs],
            notes=body.notes,
            reason=CREATED,
        )
        patient = session.get(m.Patient, outcome.patient_id)
        return {"patient": _state(m.Patient, patient), "screening": outcome.result.to_dict()}


@router.post("/patients/{patient_id}/end-treatment")
def end_treatment(request: Request, patient_id: int, body: EndTreatmentIn) -> dict[str, Any]:
    """End the patient's protocol treatment (on treatment -> off treatment)."""
    from hcctrial.services.cycles import end_treatment as end

    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        if session.get(m.Patient, patient_id) is None:
            raise HTTPException(404, f"No patient with id {patient_id}.")
        end(unit_of_work(request, session, user), patient_id, reason=body.reason)
        patient = session.get(m.Patient, patient_id, populate_existing=True)
        return _state(m.Patient, patient)


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
        out["exams"] = [_state(m.CycleExam, x) for x in pf.exams]
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
        load_patient(session, user, patient_id)
        entries = audit_entries(session, user, patient_id)
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
    """The CTCAE grade(s) of one lab value by the trial's CTCAE version (its regimen file's
    ``assessment.ctcae_version``; each grade names its version); nothing is saved."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_PATIENTS)
    version = trial_ctcae_version(state_of(request).regimen)
    grades = lab_grades(
        body.analyte, body.value, body.unit, uln=body.uln, lln=body.lln, version=version
    )
    return [g.as_dict() for g in grades]


@router.get("/dashboard")
def dashboard(request: Request) -> dict[str, Any]:
    """Enrolment, screen failures, KM curves with numbers at risk, responses, grade >= 3 rates."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        require(user, Capability.VIEW_ANALYSIS)
        return state_of(request).dashboard_cache.data(session).to_dict()


def _owner_of(session: Any, rt: RecordType, values: dict[str, Any], patient_id: int | None) -> int:
    """The id the new record hangs on (patient, or the cycle/scan of a dose/lesion); 404 when
    that record does not exist (the service checks who may write to it)."""
    if rt.parent is None:
        assert patient_id is not None
        if session.get(m.Patient, patient_id) is None:
            raise HTTPException(404, f"No patient with id {patient_id}.")
        return patient_id
    parent_model, fk = rt.parent
    owner = values.pop(fk, None)
    if not isinstance(owner, int) or session.get(parent_model, owner) is None:
        raise HTTPException(404, f"No {parent_model.__tablename__} {owner}.")
    return owner


def _save_new(rt: RecordType, uow: Any, owner: int, values: dict[str, Any]) -> int:
    """Save a new record of ``rt`` through its trial action; return its id."""
    from hcctrial.services import cycles, scans

    if rt.slug == "cycles":
        return cycles.start_cycle(uow, owner, reason=CREATED, **values)
    if rt.slug == "imaging":
        lesions = values.pop("lesions", None) or []
        return scans.record_scan(uow, owner, values, lesions, reason=CREATED)
    return NEW_RECORD[rt.slug](uow, owner, values, reason=CREATED)


def _register(rt: RecordType) -> None:
    from hcctrial.services.amend import amend_record, delete_record

    body_in = _create_model(rt)
    changes_model = _body_model(
        rt.model, _names(rt), partial=True, name=_title(rt.slug) + "Changes"
    )
    update_model = create_model(
        "".join(p.title() for p in rt.slug.split("_")) + "Update",
        __config__=ConfigDict(extra="forbid"),
        version=(int, Field(description="the version you read (optimistic lock)")),
        reason=(str, Field(description="why the saved record is changed (required)")),
        changes=(changes_model, ...),
    )

    def _create(request: Request, patient_id: int | None, body: BaseModel) -> dict[str, Any]:
        values = body.model_dump(exclude_unset=True)
        with db_session(request, write=True) as session:
            user = signed_in_user(request, session)
            owner = _owner_of(session, rt, values, patient_id)
            pk = _save_new(rt, unit_of_work(request, session, user), owner, values)
            return _state(rt.model, session.get(rt.model, pk))

    if rt.parent is None:

        def create_for_patient(request: Request, patient_id: int, body: body_in) -> dict[str, Any]:  # type: ignore[valid-type]
            return _create(request, patient_id, body)

        summary = ACTION_SUMMARY.get(rt.slug, f"Create a {rt.title.lower()}")
        router.add_api_route(
            f"/patients/{{patient_id}}/{rt.slug}",
            create_for_patient,
            methods=["POST"],
            status_code=201,
            summary=summary,
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
            summary=ACTION_SUMMARY.get(rt.slug, f"Create a {rt.title.lower()}"),
            name=f"create_{rt.slug}",
        )

    def _existing(session: Any, record_id: int) -> Any:
        obj = session.get(rt.model, record_id)
        if obj is None:
            raise HTTPException(404, f"No {rt.title.lower()} with id {record_id}.")
        return obj

    def read_record(request: Request, record_id: int) -> dict[str, Any]:
        with db_session(request) as session:
            user = signed_in_user(request, session)
            obj = _existing(session, record_id)
            load_patient(session, user, patient_id_of(session, rt.model, obj))
            return _state(rt.model, obj)

    def update_record(request: Request, record_id: int, body: update_model) -> dict[str, Any]:  # type: ignore[valid-type]
        data = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        with db_session(request, write=True) as session:
            user = signed_in_user(request, session)
            _existing(session, record_id)
            amend_record(
                unit_of_work(request, session, user),
                rt.model,
                record_id,
                data.get("changes") or {},
                expected_version=data["version"],
                reason=data["reason"],
            )
            return _state(rt.model, session.get(rt.model, record_id, populate_existing=True))

    def delete_record_(request: Request, record_id: int, body: DeleteIn) -> Response:
        with db_session(request, write=True) as session:
            user = signed_in_user(request, session)
            _existing(session, record_id)
            delete_record(
                unit_of_work(request, session, user),
                rt.model,
                record_id,
                expected_version=body.version,
                reason=body.reason,
            )
        return Response(status_code=204)

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
        summary=f"Amend a {rt.title.lower()} (version and reason required)",
        name=f"update_{rt.slug}",
    )
    router.add_api_route(
        f"/{rt.slug}/{{record_id}}",
        delete_record_,
        methods=["DELETE"],
        status_code=204,
        summary=f"Delete a {rt.title.lower()} (version and reason required)",
        name=f"delete_{rt.slug}",
    )


for _rt in RECORD_TYPES.values():
    _register(_rt)
