"""Pages of one saved record: a scan with its lesions, a cycle with its dose lines, and deleting a
record.

- ``/records/imaging/{id}``: the scan, its lesion measurements and the mRECIST response of this
  time point (recomputed from every saved scan of the patient by the mRECIST engine); a form adds
  a lesion measurement, with the response the scan would have shown live.
- ``/records/cycles/{id}``: the cycle, its dose lines (planned, given, given/planned) and the
  protocol's dose sheet for the cycle's dose levels (BSA, Child-Pugh, dosing layer); a form adds a
  dose line (planned dose defaulting to the dose sheet's).
- ``/records/{type}/{id}/delete``: delete a record with a reason, if it is still at the version
  the user saw (optimistic lock) and no other record refers to it (a scan's lesions, a cycle's
  doses: delete those first). Refused (403) to roles without the edit capability.

Adding to or deleting from a saved record is a change of a signed record: it asks for the reason,
which goes into the audit entry. Saving calls the trial action (:mod:`hcctrial.services`: add
lesion, record dose line, delete a record), which checks access, the patient's state and the
rules; a refusal is shown on the page with its rule's id.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hcctrial.errors import HcctrialError
from hcctrial.services.permissions import Actor, Capability
from hcctrial.store import models as m
from hcctrial.web.clinical import FormProblems, baseline_scores, parse_float
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
from hcctrial.web.records import RECORD_TYPES, field_problems, patient_id_of
from hcctrial.web.routes_pages import editable_record

router = APIRouter(include_in_schema=False)

REASON_NEEDED = "Please say why (the reason goes into the audit trail)."
LESION_FIELDS = ("lesion_id", "kind", "organ", "diameter_mm", "status", "typical_pattern")


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


def _record_of(
    request: Request, session: Any, model: type[m.Record], record_id: int, *, edit: bool
) -> tuple[Actor, Any, Any]:
    """(user, record, patient) — 404 when absent, 403 for another site or a missing role."""
    user = signed_in_user(request, session)
    if edit:
        require(user, Capability.EDIT_RECORDS)
    obj = session.get(model, record_id)
    if obj is None:
        raise HTTPException(status_code=404, detail=f"No record with id {record_id}.")
    return user, obj, load_patient(session, user, patient_id_of(session, model, obj))


# ----------------------------------------------------------------------------------- scans


def _lesion_record(values: dict[str, Any]) -> Any:
    from hcctrial.derive.scans import lesion_record
    from hcctrial.services.previews import checked_values as prepare_row

    v, _ = prepare_row(m.LesionMeasurement, values, partial=True)
    return lesion_record(v)


def _time_point(
    pf: PatientFile, regimen: Any, scan: Any, added: Any | None = None
) -> tuple[Any | None, str | None]:
    """The mRECIST time point of saved ``scan`` (with the LesionRecord ``added``, if given)."""
    from dataclasses import replace

    from hcctrial.assess.mrecist import patient_response
    from hcctrial.derive.scans import protocol_rules
    from hcctrial.web.patient_file import imaging_records, mrecist_dict

    if scan.assessment_date == min(i.assessment_date for i in pf.imaging):
        return None, "This is the baseline scan: the response is measured against it later."
    records = imaging_records(pf)
    if added is not None:
        records = [
            replace(r, lesions=(*r.lesions, added))
            if r.assessment_date == scan.assessment_date
            else r
            for r in records
        ]
    try:
        result = patient_response(mrecist_dict(pf, regimen, scans=records), protocol_rules(regimen))
    except HcctrialError as exc:
        return None, str(exc)
    tp = next((t for t in result.time_points if t.date == scan.assessment_date), None)
    return tp, None if tp is not None else "No response at this date."


def _lesion_values(scan: Any, form: dict[str, str]) -> dict[str, Any]:
    raw = {k: (form.get(k, "").strip() or None) for k in LESION_FIELDS}
    raw["kind"] = raw["kind"] or "target"
    raw["organ"] = raw["organ"] or "liver"
    return {**raw, "imaging_id": scan.id}


def _lesion_problems(pf: PatientFile, scan: Any, values: dict[str, Any]) -> FormProblems:
    """The column checks of a typed lesion, for the live preview (the save runs every rule)."""
    return field_problems(m.LesionMeasurement, values)


def _scan_page(
    request: Request,
    session: Any,
    user: Actor,
    scan: Any,
    patient: Any,
    *,
    form: dict[str, str] | None = None,
    errors: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    pf = load_patient_file(session, patient)
    tp, note = _time_point(pf, state_of(request).regimen, scan)
    ctx = {
        "patient": patient,
        "scan": scan,
        "lesions": pf.lesions.get(scan.id, []),
        "tp": tp,
        "note": note,
        "form": form or {},
        "errors": errors or {},
    }
    return render(request, "scan.html", ctx, user=user, status_code=status_code)


@router.get("/records/imaging/{scan_id:int}")
def scan_page(request: Request, scan_id: int) -> Response:
    """A scan with its lesions and its mRECIST response; editors may add a lesion."""
    with db_session(request) as session:
        user, scan, patient = _record_of(request, session, m.ImagingAssessment, scan_id, edit=False)
        return _scan_page(request, session, user, scan, patient)


@router.post("/records/imaging/{scan_id:int}/lesions/preview")
async def lesion_preview(request: Request, scan_id: int) -> Response:
    """The response of the scan as it would be with the typed lesion added (nothing is saved)."""
    return await run_in_threadpool(_lesion_preview, request, scan_id, await _form(request))


def _lesion_preview(request: Request, scan_id: int, form: dict[str, str]) -> Response:
    with db_session(request) as session:
        user, scan, patient = _record_of(request, session, m.ImagingAssessment, scan_id, edit=True)
        pf = load_patient_file(session, patient)
        values = _lesion_values(scan, form)
        errors = _lesion_problems(pf, scan, values) if values["lesion_id"] else {}
        regimen = state_of(request).regimen
        if not values["lesion_id"]:  # nothing typed yet: the saved scan's response
            tp, note = _time_point(pf, regimen, scan)
        elif errors:
            tp, note = None, None
        else:
            tp, note = _time_point(pf, regimen, scan, _lesion_record(values))
        ctx = {"tp": tp, "note": note, "errors": errors}
        return render(request, "_response.html", ctx, user=user)


@router.post("/records/imaging/{scan_id:int}/lesions/new")
async def lesion_save(request: Request, scan_id: int) -> Response:
    """Add a lesion measurement to a saved scan (with a reason); back to the scan page."""
    return await run_in_threadpool(_lesion_save, request, scan_id, await _form(request))


def _record_or_404(session: Any, model: type[m.Record], record_id: int) -> Any:
    obj = session.get(model, record_id)
    if obj is None:
        raise HTTPException(status_code=404, detail=f"No record with id {record_id}.")
    return obj


def _lesion_save(request: Request, scan_id: int, form: dict[str, str]) -> Response:
    from hcctrial.services.scans import add_lesion

    def write(session: Any, user: Actor) -> Response:
        scan = _record_or_404(session, m.ImagingAssessment, scan_id)
        reason = form.get("reason", "").strip()
        if not reason:
            raise InvalidForm({"reason": REASON_NEEDED})
        values = _lesion_values(scan, form)
        values.pop("imaging_id")
        add_lesion(unit_of_work(request, session, user), scan.id, values, reason=reason)
        return RedirectResponse(f"/records/imaging/{scan_id}", status_code=303)

    def show_form(session: Any, user: Actor, errors: dict[str, str], status: int) -> Response:
        _, scan, patient = _record_of(request, session, m.ImagingAssessment, scan_id, edit=False)
        return _scan_page(
            request, session, user, scan, patient, form=form, errors=errors, status_code=status
        )

    fields = frozenset({*LESION_FIELDS, "reason"})
    return save_or_refuse(request, write, show_form, fields)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------- cycles


def cycle_sheet(pf: PatientFile, regimen: Any, cycle: Any) -> tuple[Any | None, str | None]:
    """The protocol's dose sheet of a saved cycle (its HAIC level from the planned oxaliplatin,
    its sorafenib level), or why it cannot be computed."""
    from dataclasses import replace

    from hcctrial.protocol.dosing import dose_sheet
    from hcctrial.web.patient_file import _haic_level, _sorafenib_level, cycle_bsa

    if pf.baseline is None:
        return None, "Record the baseline (height and weight): the doses need the BSA."
    scores = baseline_scores(pf.baseline, pf.labs)
    if scores.child_pugh is None:
        return None, "Child-Pugh cannot be computed (missing: " + ", ".join(scores.missing) + ")."
    cp = scores.child_pugh.child_class.value
    level = _sorafenib_level(cycle, regimen)
    sor: int | Literal["start"] = level if isinstance(level, int) else "start"
    try:
        # the BSA of that cycle: the regimen's weight rule over the examinations before it
        before = replace(pf, cycles=[c for c in pf.cycles if c.cycle_number < cycle.cycle_number])
        bsa, basis = cycle_bsa(before, regimen, cp, cycle.cycle_date)
        if bsa is None:
            return None, basis
        return dose_sheet(
            regimen,
            bsa_m2=bsa,
            child_pugh_class=cp,
            level=_haic_level(pf, cycle, regimen, cp),
            sorafenib_level=sor,
            bsa_note=basis,
        ), None
    except HcctrialError as exc:
        return None, str(exc)


def _dose_lines(pf: PatientFile, cycle: Any) -> list[dict[str, Any]]:
    return [
        {
            "dose": d,
            "pct": None if not d.planned_mg else 100.0 * d.given_mg / d.planned_mg,
        }
        for d in sorted(pf.doses.get(cycle.id, []), key=lambda d: d.drug)
    ]


def _cycle_page(
    request: Request,
    session: Any,
    user: Actor,
    cycle: Any,
    patient: Any,
    *,
    form: dict[str, str] | None = None,
    errors: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    pf = load_patient_file(session, patient)
    sheet, note = cycle_sheet(pf, state_of(request).regimen, cycle)
    have = {d.drug for d in pf.doses.get(cycle.id, [])}
    missing = (
        []
        if sheet is None
        else [d.name for d in sheet.drugs if d.component != "sorafenib" and d.name not in have]
    )
    ctx = {
        "patient": patient,
        "cycle": cycle,
        "lines": _dose_lines(pf, cycle),
        "sheet": sheet,
        "sheet_note": note,
        "missing": missing,
        "form": form or {},
        "errors": errors or {},
    }
    return render(request, "cycle_record.html", ctx, user=user, status_code=status_code)


@router.get("/records/cycles/{cycle_id:int}")
def cycle_record_page(request: Request, cycle_id: int) -> Response:
    """A cycle with its dose lines and the protocol's dose sheet; editors may add a dose line."""
    with db_session(request) as session:
        user, cycle, patient = _record_of(request, session, m.TreatmentCycle, cycle_id, edit=False)
        return _cycle_page(request, session, user, cycle, patient)


@router.post("/records/cycles/{cycle_id:int}/doses/new")
async def dose_save(request: Request, cycle_id: int) -> Response:
    """Add a dose line to a saved cycle (with a reason); back to the cycle page."""
    return await run_in_threadpool(_dose_save, request, cycle_id, await _form(request))


def _dose_save(request: Request, cycle_id: int, form: dict[str, str]) -> Response:
    from hcctrial.services.cycles import record_dose_line

    regimen = state_of(request).regimen

    def write(session: Any, user: Actor) -> Response:
        cycle = _record_or_404(session, m.TreatmentCycle, cycle_id)
        errors: FormProblems = {}
        drug = form.get("drug", "").strip().lower()
        planned = parse_float(form, "planned_mg", errors)
        given = parse_float(form, "given_mg", errors)
        if drug and planned is None and "planned_mg" not in errors:
            patient = session.get(m.Patient, cycle.patient_id)
            sheet, _ = cycle_sheet(load_patient_file(session, patient), regimen, cycle)
            found = (
                None
                if sheet is None
                else next(
                    (d for d in sheet.drugs if d.name == drug and d.component != "sorafenib"), None
                )
            )
            if found is None:
                errors["planned_mg"] = "Please enter the planned dose (mg)."
            else:
                planned = found.dose_mg  # the protocol's dose for this cycle's level
        reason = form.get("reason", "").strip()
        if not reason:
            errors["reason"] = REASON_NEEDED
        if errors:
            raise InvalidForm(errors)
        values = {
            "drug": drug or None,
            "planned_mg": planned,
            "given_mg": planned if given is None else given,
        }
        record_dose_line(unit_of_work(request, session, user), cycle.id, values, reason=reason)
        return RedirectResponse(f"/records/cycles/{cycle_id}", status_code=303)

    def show_form(session: Any, user: Actor, errors: dict[str, str], status: int) -> Response:
        _, cycle, patient = _record_of(request, session, m.TreatmentCycle, cycle_id, edit=False)
        return _cycle_page(
            request, session, user, cycle, patient, form=form, errors=errors, status_code=status
        )

    fields = frozenset({"drug", "planned_mg", "given_mg", "reason"})
    return save_or_refuse(request, write, show_form, fields)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------- delete


def _back_to(session: Any, slug: str, obj: Any, patient: Any) -> str:
    rt = RECORD_TYPES[slug]
    if rt.parent is not None:
        parent_slug = "imaging" if rt.parent[0] is m.ImagingAssessment else "cycles"
        return f"/records/{parent_slug}/{getattr(obj, rt.parent[1])}"
    return f"/patients/{patient.id}"


def _delete_page(
    request: Request,
    user: Actor,
    rt: Any,
    obj: Any,
    patient: Any,
    *,
    version: int,
    reason: str = "",
    errors: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    values = [(f.label, getattr(obj, f.name)) for f in rt.fields]
    ctx = {
        "rt": rt,
        "obj": obj,
        "patient": patient,
        "values": values,
        "version": version,
        "reason": reason,
        "errors": errors or {},
    }
    return render(request, "delete.html", ctx, user=user, status_code=status_code)


@router.get("/records/{slug}/{record_id:int}/delete")
def delete_page(request: Request, slug: str, record_id: int) -> Response:
    """Confirm deleting a record: shows it and asks for the reason."""
    with db_session(request) as session:
        user, rt, obj, patient = editable_record(request, session, slug, record_id)
        return _delete_page(request, user, rt, obj, patient, version=obj.version)


@router.post("/records/{slug}/{record_id:int}/delete")
async def delete_save(request: Request, slug: str, record_id: int) -> Response:
    """Delete the record (audited with the reason) unless it changed or others refer to it."""
    return await run_in_threadpool(_delete_save, request, slug, record_id, await _form(request))


def _delete_save(request: Request, slug: str, record_id: int, form: dict[str, str]) -> Response:
    from hcctrial.services.amend import delete_record

    rt = RECORD_TYPES.get(slug)
    if rt is None:
        raise HTTPException(status_code=404, detail=f"No record type {slug!r}.")
    reason = form.get("reason", "").strip()
    version = int(form["version"]) if form.get("version", "").isdigit() else -1

    def write(session: Any, user: Actor) -> Response:
        obj = _record_or_404(session, rt.model, record_id)
        patient = session.get(m.Patient, patient_id_of(session, rt.model, obj))
        back = _back_to(session, slug, obj, patient)
        if not reason:
            raise InvalidForm({"reason": REASON_NEEDED})
        delete_record(
            unit_of_work(request, session, user),
            rt.model,
            record_id,
            expected_version=version,
            reason=reason,
        )
        return RedirectResponse(back, status_code=303)

    def show_form(session: Any, user: Actor, errors: dict[str, str], status: int) -> Response:
        user, rt_, obj, patient = editable_record(request, session, slug, record_id)
        return _delete_page(
            request,
            user,
            rt_,
            obj,
            patient,
            version=version,
            reason=reason,
            errors=errors,
            status_code=status,
        )

    return save_or_refuse(request, write, show_form, frozenset({"reason"}))  # type: ignore[no-any-return]
