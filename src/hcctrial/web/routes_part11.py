"""Electronic signatures and locks on the web: the patient page's forms and the JSON API.

Pages (forms of the patient page's "Signatures and locks" section; each answers with the patient
page, or with the refusal's page and status)::

    POST /patients/{id}/sign     target (casebook or <type>:<id>), meaning, password
    POST /patients/{id}/lock     target, reason
    POST /patients/{id}/unlock   target, reason

API (JSON; a refusal answers ``{"detail", "field", "rule"}`` with 403 / 409 / 422)::

    GET  /api/patients/{id}/signatures        {"signatures": [...], "locks": [...]}
    POST /api/patients/{id}/sign              {"password", "meaning"}: sign the casebook (201)
    POST /api/patients/{id}/lock | unlock     {"reason"}: lock / unlock the casebook
    POST /api/{type}/{id}/sign                {"password", "meaning"}: sign one record (201)
    POST /api/{type}/{id}/lock | unlock       {"reason"}: lock / unlock one record

Signing re-authenticates: the password of the signed-in user is checked again (21 CFR 11.200).
Every action is a service of :mod:`hcctrial.services.signatures` / :mod:`hcctrial.services.locks`,
which check who may do it; this module only reads the request and shows the result.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hcctrial.services import locks, signatures
from hcctrial.web.deps import db_session, load_patient, signed_in_user, state_of, unit_of_work
from hcctrial.web.records import RECORD_TYPES
from hcctrial.web.security import verify_password

router = APIRouter()

__all__ = ["part11_of", "record_notices", "router"]


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(description="your password, entered again to sign (21 CFR 11.200)")
    meaning: str = Field(description='"reviewed_and_approved" or "authored"')


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(description="why (goes into the audit trail)")


def _verify(request: Request) -> signatures.PasswordCheck:
    hasher = state_of(request).hasher

    def verify(stored: str | None, given: str) -> bool:
        return verify_password(hasher, stored, given)

    return verify


def _table(slug: str) -> str:
    """The table of a record type given by its slug (``labs``) or its table (``lab_results``)."""
    rt = RECORD_TYPES.get(slug)
    if rt is not None:
        return str(rt.model.__tablename__)
    if any(r.model.__tablename__ == slug for r in RECORD_TYPES.values()):
        return slug
    raise HTTPException(status_code=404, detail=f"No record type {slug!r}.")


def part11_of(session: Any, patient_id: int, timeline: Any = ()) -> dict[str, Any]:
    """The signatures (newest first) and the locks in force of one patient's records, the
    database lock's state, ``labels``: ``"table:id"`` -> how the patient page's timeline names
    that record, and ``marks``: ``"slug:id"`` -> what the timeline shows beside it ("signed" or
    "changed after signing" from its latest signature, "locked") (``timeline``: its items, with
    ``slug``, ``record_id``, ``day``, ``kind``, ``summary``)."""
    sigs = signatures.signatures_of(session, patient_id)
    held = locks.active_locks(session, patient_id)
    latest: dict[str, str] = {}
    for sig in sigs:  # newest first: the first seen of a record is its latest signature
        if sig["table_name"] is not None:
            key = f"{sig['table_name']}:{sig['record_id']}"
            latest.setdefault(key, sig["status"].words)
    locked = {f"{x['table_name']}:{x['record_id']}" for x in held if x["table_name"]}
    labels, marks = {}, {}
    for t in timeline:
        rt = RECORD_TYPES.get(t.slug)
        if rt is not None:
            key = f"{rt.model.__tablename__}:{t.record_id}"
            labels[key] = f"{t.day} {t.kind}: {t.summary}"
            shown = [latest[key]] if key in latest else []
            marks[f"{t.slug}:{t.record_id}"] = shown + (["locked"] if key in locked else [])
    return {
        "signatures": sigs,
        "locks": held,
        "database": locks.database_lock_state(session),
        "labels": labels,
        "marks": marks,
    }


def _act(
    request: Request,
    patient_id: int | None,
    slug: str | None,
    record_id: int | None,
    how: str,
    body: dict[str, str],
) -> dict[str, Any]:
    """Run ``how`` (sign / lock / unlock) on a casebook (``slug`` None) or a record, in one
    writing transaction; return what was written (``{"id": ...}`` or ``{}``)."""
    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        uow = unit_of_work(request, session, user)
        if slug is None:
            assert patient_id is not None
            load_patient(session, user, patient_id)
            if how == "sign":
                pk = signatures.sign_casebook(
                    uow,
                    patient_id,
                    password=body.get("password", ""),
                    meaning=body.get("meaning", ""),
                    verify=_verify(request),
                )
                return {"id": pk}
            if how == "lock":
                return {"id": locks.lock_casebook(uow, patient_id, reason=body.get("reason", ""))}
            locks.unlock_casebook(uow, patient_id, reason=body.get("reason", ""))
            return {}
        assert record_id is not None
        table = _table(slug)
        pid, _ = locks.patient_of_record(uow, table, record_id)
        load_patient(session, user, pid)
        if patient_id is not None and pid != patient_id:
            raise HTTPException(status_code=404, detail=f"No {slug} {record_id} of this patient.")
        if how == "sign":
            pk = signatures.sign_record(
                uow,
                table,
                record_id,
                password=body.get("password", ""),
                meaning=body.get("meaning", ""),
                verify=_verify(request),
            )
            return {"id": pk}
        if how == "lock":
            return {"id": locks.lock_record(uow, table, record_id, reason=body.get("reason", ""))}
        locks.unlock_record(uow, table, record_id, reason=body.get("reason", ""))
        return {}


# ------------------------------------------------------------------------------------ pages
async def _page_action(request: Request, patient_id: int, how: str) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    target = form.get("target", "casebook").strip()
    slug: str | None = None
    record_id: int | None = None
    if target != "casebook":
        slug, _, raw = target.partition(":")
        try:
            record_id = int(raw)
        except ValueError:
            raise HTTPException(status_code=404, detail=f"No record {target!r}.") from None
    await run_in_threadpool(_act, request, patient_id, slug, record_id, how, form)
    return RedirectResponse(f"/patients/{patient_id}#part11", status_code=303)


@router.post("/patients/{patient_id:int}/sign", include_in_schema=False)
async def sign_page(request: Request, patient_id: int) -> Response:
    """Sign the casebook or one record (password and meaning from the form)."""
    return await _page_action(request, patient_id, "sign")


@router.post("/patients/{patient_id:int}/lock", include_in_schema=False)
async def lock_page(request: Request, patient_id: int) -> Response:
    """Lock the casebook or one record (reason from the form)."""
    return await _page_action(request, patient_id, "lock")


@router.post("/patients/{patient_id:int}/unlock", include_in_schema=False)
async def unlock_page(request: Request, patient_id: int) -> Response:
    """Unlock the casebook or one record (reason from the form)."""
    return await _page_action(request, patient_id, "unlock")


# -------------------------------------------------------------------------------------- API
@router.get("/api/patients/{patient_id}/signatures", tags=["api"])
def patient_part11(request: Request, patient_id: int) -> dict[str, Any]:
    """The signatures of the patient's records and casebook, and the locks in force."""
    with db_session(request) as session:
        user = signed_in_user(request, session)
        load_patient(session, user, patient_id)
        return part11_of(session, patient_id)


@router.post("/api/patients/{patient_id}/sign", status_code=201, tags=["api"])
def sign_casebook_api(request: Request, patient_id: int, body: SignIn) -> dict[str, Any]:
    """Sign the patient's casebook (re-enter your password; choose the meaning)."""
    return _act(request, patient_id, None, None, "sign", body.model_dump())


@router.post("/api/patients/{patient_id}/lock", status_code=201, tags=["api"])
def lock_casebook_api(request: Request, patient_id: int, body: ReasonIn) -> dict[str, Any]:
    """Lock the patient's casebook (data manager or admin)."""
    return _act(request, patient_id, None, None, "lock", body.model_dump())


@router.post("/api/patients/{patient_id}/unlock", tags=["api"])
def unlock_casebook_api(request: Request, patient_id: int, body: ReasonIn) -> dict[str, Any]:
    """Unlock the patient's casebook (data manager or admin, with a reason)."""
    return _act(request, patient_id, None, None, "unlock", body.model_dump())


@router.post("/api/{slug}/{record_id}/sign", status_code=201, tags=["api"])
def sign_record_api(request: Request, slug: str, record_id: int, body: SignIn) -> dict[str, Any]:
    """Sign one record (its form) -- re-enter your password; choose the meaning."""
    return _act(request, None, slug, record_id, "sign", body.model_dump())


@router.post("/api/{slug}/{record_id}/lock", status_code=201, tags=["api"])
def lock_record_api(request: Request, slug: str, record_id: int, body: ReasonIn) -> dict[str, Any]:
    """Lock one record (its form): data manager or admin."""
    return _act(request, None, slug, record_id, "lock", body.model_dump())


@router.post("/api/{slug}/{record_id}/unlock", tags=["api"])
def unlock_record_api(
    request: Request, slug: str, record_id: int, body: ReasonIn
) -> dict[str, Any]:
    """Unlock one record (data manager or admin, with a reason)."""
    return _act(request, None, slug, record_id, "unlock", body.model_dump())


def record_notices(session: Any, model: Any, obj: Any, patient_id: int) -> list[str]:
    """What the edit page of a record says before a change: the signatures a change would mark
    "changed after signing" (the record's form's and the casebook's) and the locks that would
    refuse it."""
    from hcctrial.services.part11_gate import form_of, when
    from hcctrial.store.values import row_state

    table = str(model.__tablename__)
    forms = {(table, int(obj.id))}
    parent = form_of(table, row_state(model, {c: getattr(obj, c) for c in _columns(model)}))
    if parent is not None:
        forms.add(parent)
    out = []
    for lock in locks.active_locks(session, patient_id):
        if lock["table_name"] is None or (lock["table_name"], lock["record_id"]) in forms:
            what = "The casebook" if lock["table_name"] is None else "This form"
            out.append(
                f"{what} is locked (since {when(lock['locked_at'])}, by {lock['locked_by']}: "
                f"{lock['reason']}); it must be unlocked before a change can be saved."
            )
    for sig in signatures.signatures_of(session, patient_id):
        if sig["status"].value != "signed":
            continue
        if sig["table_name"] is None or (sig["table_name"], sig["record_id"]) in forms:
            what = "the casebook" if sig["table_name"] is None else "this form"
            out.append(
                f"{sig['signer_name']} signed {what} ({sig['meaning'].words}, "
                f"{when(sig['signed_at'])}): saving a change marks that signature "
                "changed after signing, and a new signature is needed."
            )
    return out


def _columns(model: Any) -> list[str]:
    from hcctrial.store.values import column_specs

    return list(column_specs(model))
