"""The case report forms: screening (enrolment), cycles, imaging and the generic record forms.

Every form has a ``.../preview`` endpoint the page calls as values are typed (``static/app.js``)
to show the engines' results live: eligibility verdicts, CTCAE grades, the dose sheet, Child-Pugh/
ALBI/BCLC, the mRECIST response. Saving calls one trial action of :mod:`hcctrial.services`
(screen and enrol, start cycle, record scan, ...), which decides who may save, what the patient's
state allows and whether the records agree, and writes all rows in one transaction: nothing is
saved half-way. A refusal is shown on the form with its rule's id and status (422 values, 409
state); the form itself only reads what was typed.

Concurrency: an ``async`` endpoint only reads the request body on the event loop; the database
work and the engines run in the thread pool (:func:`starlette.concurrency.run_in_threadpool`), so
one slow request never stalls the others. Saves take the process's write lock
(``db_session(request, write=True)``) for their one short transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from hcctrial.errors import HcctrialError
from hcctrial.protocol.regimen import trial_ctcae_version
from hcctrial.services.permissions import Actor, Capability, spans_sites
from hcctrial.store import models as m
from hcctrial.web.clinical import (
    SCREENING_LABS,
    UNIT_CHOICES,
    FormProblems,
    adverse_event_check,
    baseline_scores,
    lab_grades,
    parse_date,
    parse_float,
    parse_int,
    run_screening,
    screening_input,
)
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
from hcctrial.web.exam_preview import exam_form_preview
from hcctrial.web.patient_file import PatientFile, cycle_bsa, decision_for, load_patient_file
from hcctrial.web.records import NEW_RECORD, RECORD_TYPES, field_problems, record_values

router = APIRouter(include_in_schema=False)

CREATED = "entered via web form"
LESION_ROWS = 6


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


def _editor(request: Request, session: Any) -> Actor:
    user = signed_in_user(request, session)
    require(user, Capability.EDIT_RECORDS)
    return user


# ------------------------------------------------------------------------------- screening


def _screening_context(session: Any, user: Actor, form: dict[str, str]) -> dict[str, Any]:
    sites = list(session.scalars(select(m.Site).order_by(m.Site.code)))
    if not spans_sites(user):
        sites = [s for s in sites if s.id == user.site_id]
    return {"form": form, "labs": SCREENING_LABS, "units": UNIT_CHOICES, "sites": sites}


@router.get("/patients/new")
def screening_page(request: Request) -> Response:
    """The screening form: enrol a patient, with each criterion's verdict shown live."""
    with db_session(request) as session:
        user = _editor(request, session)
        ctx = _screening_context(session, user, {"screening_date": date.today().isoformat()})
        return render(request, "screening.html", {**ctx, "errors": {}, "result": None}, user=user)


@router.post("/patients/new/preview")
async def screening_preview(request: Request) -> Response:
    """The verdicts of the screening form as typed so far (an HTML fragment)."""
    return await run_in_threadpool(_screening_preview, request, await _form(request))


def _screening_preview(request: Request, form: dict[str, str]) -> Response:
    with db_session(request) as session:
        user = _editor(request, session)
    result, problems = run_screening(form, state_of(request).regimen)
    problems = typed_only(problems, form)
    return render(request, "_verdicts.html", {"result": result, "errors": problems}, user=user)


def typed_only(errors: dict[str, str], form: dict[str, str]) -> dict[str, str]:
    """The live preview's problems of the fields already typed: a blank form opens without
    errors (saving still names every required field left empty)."""
    return {k: v for k, v in errors.items() if k == "_form" or str(form.get(k, "")).strip()}


@router.post("/patients/new")
async def screening_save(request: Request) -> Response:
    """Save the screening: the patient, the visit, each criterion and the screening labs."""
    return await run_in_threadpool(_screening_save, request, await _form(request))


def _screening_labs(form: dict[str, str]) -> list[dict[str, Any]]:
    labs = []
    for analyte in SCREENING_LABS:
        value = parse_float(form, f"lab_{analyte}", {})
        if value is not None:
            unit = (form.get(f"unit_{analyte}") or UNIT_CHOICES[analyte][0]).strip()
            labs.append({"analyte": analyte, "value_entered": value, "unit_entered": unit})
    return labs


_SCREENING_FIELDS = frozenset({"study_id", "site_id", "screening_date"})


def _screening_save(request: Request, form: dict[str, str]) -> Response:
    from hcctrial.services.patients import screen_and_enrol

    regimen = state_of(request).regimen

    def write(session: Any, user: Actor) -> Response:
        data, errors = screening_input(form)
        _, engine_errors = run_screening(form, regimen)
        errors.update(engine_errors)
        screening_date = parse_date(form, "screening_date", errors, required=True)
        site_id = parse_int(form, "site_id", errors) if form.get("site_id") else user.site_id
        if site_id is None:
            errors["site_id"] = "Please choose your site."
        if errors or screening_date is None or site_id is None:
            raise InvalidForm(errors)
        outcome = screen_and_enrol(
            unit_of_work(request, session, user),
            study_id=form.get("study_id", "").strip(),
            site_id=site_id,
            screening_date=screening_date,
            patient=data,
            labs=_screening_labs(form),
            notes=form.get("notes") or None,
            reason=CREATED,
        )
        return RedirectResponse(f"/patients/{outcome.patient_id}", status_code=303)

    def show_form(session: Any, user: Actor, errors: dict[str, str], status: int) -> Response:
        ctx = _screening_context(session, user, form)
        result, _ = run_screening(form, regimen)
        ctx = {**ctx, "errors": errors, "result": result}
        return render(request, "screening.html", ctx, user=user, status_code=status)

    return save_or_refuse(request, write, show_form, _SCREENING_FIELDS)  # type: ignore[no-any-return]


# ------------------------------------------------------------------------- generic records


def _new_context(
    rt: Any, patient: Any, form: dict[str, str], errors: FormProblems, regimen: Any
) -> dict[str, Any]:
    from hcctrial.assess.adverse_events import ctcae_terms
    from hcctrial.clinical.units import ANALYTES

    units = sorted({u for us in UNIT_CHOICES.values() for u in us})
    return {
        "rt": rt,
        "patient": patient,
        "values": form,
        "errors": errors,
        "analytes": sorted(ANALYTES),
        "units": units,
        # the AE form's term list: the trial's CTCAE version
        "terms": sorted(ctcae_terms(trial_ctcae_version(regimen))),
    }


def _generic(slug: str) -> Any:
    rt = RECORD_TYPES.get(slug)
    if rt is None or rt.parent is not None or slug in ("cycles", "imaging"):
        raise HTTPException(status_code=404, detail=f"No form {slug!r}.")
    return rt


@router.get("/patients/{patient_id:int}/{slug}/new")
def record_page(request: Request, patient_id: int, slug: str) -> Response:
    """A new record of kind ``slug`` (labs, adverse_events, baseline, followups, ...)."""
    if slug == "cycles":
        return cycle_page(request, patient_id)
    if slug == "imaging":
        return imaging_page(request, patient_id)
    rt = _generic(slug)
    with db_session(request) as session:
        user = _editor(request, session)
        patient = load_patient(session, user, patient_id)
        ctx = _new_context(rt, patient, {}, {}, state_of(request).regimen)
        return render(request, "record_form.html", ctx, user=user)


@router.post("/patients/{patient_id:int}/{slug}/preview")
async def record_preview(request: Request, patient_id: int, slug: str) -> Response:
    """Live results of a form: CTCAE grades (labs), scores (baseline), dose sheet, response."""
    form = await _form(request)
    return await run_in_threadpool(_record_preview, request, patient_id, slug, form)


def _record_preview(request: Request, patient_id: int, slug: str, form: dict[str, str]) -> Response:
    if slug == "cycles":
        return _cycle_preview(request, patient_id, form)
    if slug == "imaging":
        return _imaging_preview(request, patient_id, form)
    rt = _generic(slug)
    with db_session(request) as session:
        user = _editor(request, session)
        patient = load_patient(session, user, patient_id)
        version = trial_ctcae_version(state_of(request).regimen)
        values = {**record_values(rt, form), "patient_id": patient.id}
        errors = typed_only(field_problems(rt.model, values, ctcae_version=version), form)
        labels = {f.name: f.label for f in rt.fields}
        ctx: dict[str, Any] = {
            "slug": slug,
            "errors": errors,
            "labels": labels,
            "ctcae_version": version,
        }
        if slug == "labs":
            ctx["grades"] = _preview_grades(form, errors, version)
        elif slug == "baseline":
            pf = load_patient_file(session, patient)
            ctx["scores"] = _preview_scores(rt, pf, form, errors)
        elif slug == "adverse_events":
            ctx["ae"] = adverse_event_check(
                form.get("term", ""), form.get("grade", ""), version=version
            )
        elif slug == "exams" and not errors:
            ctx["exam"] = exam_form_preview(session, patient, state_of(request), form)
        return render(request, "_record_preview.html", ctx, user=user)


def _preview_grades(form: dict[str, str], errors: FormProblems, version: str) -> Any:
    p: FormProblems = {}
    value = parse_float(form, "value_entered", p)
    uln, lln = parse_float(form, "uln", p), parse_float(form, "lln", p)
    analyte = form.get("analyte", "")
    if value is None or p or "analyte" in errors or "unit_entered" in errors:
        return None
    try:
        return lab_grades(
            analyte, value, form.get("unit_entered"), uln=uln, lln=lln, version=version
        )
    except HcctrialError as exc:
        errors["value_entered"] = str(exc)
        return None


def _preview_scores(rt: Any, pf: PatientFile, form: dict[str, str], errors: FormProblems) -> Any:
    from hcctrial.services.previews import checked_values as prepare_row

    values, _ = prepare_row(rt.model, record_values(rt, form), partial=True)
    needed = ("assessment_date", "ascites", "encephalopathy", "n_nodules", "largest_cm", "ecog")
    if any(values.get(k) is None for k in needed):
        return None

    class _B:  # the form's values in the shape baseline_scores reads
        pass

    b: Any = _B()
    for k in ("vascular_invasion", "portal_vein_invasion", "extrahepatic_spread"):
        values.setdefault(k, False)
    for k, v in values.items():
        setattr(b, k, v)
    return baseline_scores(b, pf.labs)


@router.post("/patients/{patient_id:int}/{slug}/new")
async def record_save(request: Request, patient_id: int, slug: str) -> Response:
    """Save a new record of kind ``slug``."""
    form = await _form(request)
    return await run_in_threadpool(_record_save, request, patient_id, slug, form)


def _patient_or_404(session: Any, patient_id: int) -> Any:
    patient = session.get(m.Patient, patient_id)
    if patient is None:
        raise HTTPException(status_code=404, detail=f"No patient with id {patient_id}.")
    return patient


def _record_save(request: Request, patient_id: int, slug: str, form: dict[str, str]) -> Response:
    if slug == "cycles":
        return _cycle_save(request, patient_id, form)
    if slug == "imaging":
        return _imaging_save(request, patient_id, form)
    rt = _generic(slug)

    def write(session: Any, user: Actor) -> Response:
        patient = _patient_or_404(session, patient_id)
        save = NEW_RECORD[slug]
        save(
            unit_of_work(request, session, user),
            patient.id,
            record_values(rt, form),
            reason=CREATED,
        )
        return RedirectResponse(f"/patients/{patient.id}", status_code=303)

    def show_form(session: Any, user: Actor, errors: dict[str, str], status: int) -> Response:
        patient = load_patient(session, user, patient_id)
        ctx = _new_context(rt, patient, form, errors, state_of(request).regimen)
        return render(request, "record_form.html", ctx, user=user, status_code=status)

    return save_or_refuse(request, write, show_form, frozenset(rt.specs()))  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------- cycles


def _cycle_defaults(pf: PatientFile, regimen: Any, today: date) -> dict[str, str]:
    scores = baseline_scores(pf.baseline, pf.labs)
    cp = scores.child_pugh.child_class.value if scores.child_pugh is not None else None
    outcome = decision_for(pf, regimen, cp, today)
    d = outcome.decision
    level = "0" if d is None or d.haic_level is None else str(d.haic_level)
    sor = "start" if not pf.cycles else ""
    if d is not None and d.sorafenib_level is not None:
        sor = str(d.sorafenib_level)
    return {
        "cycle_number": str(len(pf.cycles) + 1),
        "cycle_date": today.isoformat(),
        "haic_level": level,
        "sorafenib_level": sor,
    }


def _sheet(pf: PatientFile, regimen: Any, form: dict[str, str], errors: FormProblems) -> Any:
    from hcctrial.protocol.dosing import dose_sheet

    if pf.baseline is None:
        errors["_form"] = "Record the baseline (height and weight) first: the doses need the BSA."
        return None
    scores = baseline_scores(pf.baseline, pf.labs)
    if scores.child_pugh is None:
        errors["_form"] = (
            "Child-Pugh cannot be computed (missing: " + ", ".join(scores.missing) + "); "
            "record bilirubin, albumin and INR first."
        )
        return None
    level = parse_int(form, "haic_level", errors, required=True)
    sor_raw = form.get("sorafenib_level", "").strip()
    sor: int | Literal["start"] = "start"
    if sor_raw and sor_raw != "start":
        sor_int = parse_int(form, "sorafenib_level", errors)
        sor = 0 if sor_int is None else sor_int
    if level is None or errors:
        return None
    try:
        day = parse_date(form, "cycle_date", {}) or date.max  # BSA by the weight rule, stated:
        bsa, basis = cycle_bsa(pf, regimen, scores.child_pugh.child_class.value, day)
        if bsa is None:
            errors["_form"] = basis
            return None
        return dose_sheet(
            regimen,
            bsa_m2=bsa,
            child_pugh_class=scores.child_pugh.child_class,
            level=level,
            sorafenib_level=sor,
            bsa_note=basis,
        )
    except HcctrialError as exc:
        known = {"level": "haic_level", "sorafenib_level": "sorafenib_level"}
        errors[known.get(exc.field or "", "_form")] = str(exc)
        return None


def cycle_page(request: Request, patient_id: int) -> Response:
    state = state_of(request)
    with db_session(request) as session:
        user = _editor(request, session)
        patient = load_patient(session, user, patient_id)
        pf = load_patient_file(session, patient)
        form = _cycle_defaults(pf, state.regimen, state.today())
        errors: FormProblems = {}
        sheet = _sheet(pf, state.regimen, form, errors)
        ctx = {"patient": patient, "form": form, "errors": errors, "sheet": sheet}
        return render(request, "cycle.html", ctx, user=user)


def _cycle_preview(request: Request, patient_id: int, form: dict[str, str]) -> Response:
    with db_session(request) as session:
        user = _editor(request, session)
        patient = load_patient(session, user, patient_id)
        pf = load_patient_file(session, patient)
        errors: FormProblems = {}
        sheet = _sheet(pf, state_of(request).regimen, form, errors)
        return render(request, "_dose_sheet.html", {"sheet": sheet, "errors": errors}, user=user)


def _cycle_save(request: Request, patient_id: int, form: dict[str, str]) -> Response:
    from hcctrial.services.cycles import start_cycle

    regimen = state_of(request).regimen

    def write(session: Any, user: Actor) -> Response:
        patient = _patient_or_404(session, patient_id)
        pf = load_patient_file(session, patient)
        errors: FormProblems = {}
        sheet = _sheet(pf, regimen, form, errors)  # the protocol's doses, proposed on the form
        cycle_date = parse_date(form, "cycle_date", errors, required=True)
        number = parse_int(form, "cycle_number", errors)
        doses = []
        for d in sheet.drugs if sheet is not None else ():
            if d.component == "sorafenib":
                continue
            g = parse_float(form, f"given_{d.name}", errors)
            doses.append(
                {"drug": d.name, "planned_mg": d.dose_mg, "given_mg": d.dose_mg if g is None else g}
            )
        if errors or sheet is None:
            raise InvalidForm(errors)
        sor_level = sheet.sorafenib_level
        start_cycle(
            unit_of_work(request, session, user),
            patient.id,
            cycle_date=cycle_date,  # type: ignore[arg-type]
            cycle_number=number,
            doses=doses,
            sorafenib_daily_mg=next(
                (d.dose_mg for d in sheet.drugs if d.component == "sorafenib"), None
            ),
            sorafenib_level=None if sor_level in (None, "start") else sor_level,  # type: ignore[arg-type]
            change_reason=form.get("change_reason") or None,
            reason=CREATED,
        )
        return RedirectResponse(f"/patients/{patient.id}", status_code=303)

    def show_form(session: Any, user: Actor, errors: dict[str, str], status: int) -> Response:
        patient = load_patient(session, user, patient_id)
        pf = load_patient_file(session, patient)
        sheet = _sheet(pf, regimen, form, {})
        ctx = {"patient": patient, "form": form, "errors": errors, "sheet": sheet}
        return render(request, "cycle.html", ctx, user=user, status_code=status)

    fields = frozenset({"cycle_date", "cycle_number", "sorafenib_level", "change_reason"})
    return save_or_refuse(request, write, show_form, fields)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------- imaging


def _scan(form: dict[str, str], errors: FormProblems) -> tuple[Any | None, list[dict[str, Any]]]:
    """Return the new scan as an ImagingRecord (for the response) and its lesion rows."""
    from hcctrial.derive.records import ImagingRecord

    day = parse_date(form, "assessment_date", errors, required=True)
    afp = parse_float(form, "afp_ng_ml", errors)
    lesions: list[dict[str, Any]] = []
    for i in range(LESION_ROWS):
        label = form.get(f"lesion_id_{i}", "").strip()
        if not label:
            continue
        row = {
            "lesion_id": label,
            "kind": form.get(f"kind_{i}") or "target",
            "organ": form.get(f"organ_{i}", "").strip() or "liver",
            "diameter_mm": form.get(f"diameter_mm_{i}") or None,
            "status": form.get(f"status_{i}") or None,
            "typical_pattern": form.get(f"typical_pattern_{i}") or None,
        }
        problems = field_problems(m.LesionMeasurement, row, partial=True)
        for col, msg in problems.items():
            errors[f"{col}_{i}"] = msg
        lesions.append(row)
    if day is None or errors:
        return None, lesions
    from hcctrial.derive.scans import lesion_record
    from hcctrial.services.previews import checked_values as prepare_row

    records = [
        lesion_record(prepare_row(m.LesionMeasurement, row, partial=True)[0]) for row in lesions
    ]
    modality = (form.get("modality") or "mri").strip()
    return ImagingRecord(day, modality, afp, tuple(records)), lesions


def imaging_page(request: Request, patient_id: int) -> Response:
    with db_session(request) as session:
        user = _editor(request, session)
        patient = load_patient(session, user, patient_id)
        pf = load_patient_file(session, patient)
        form: dict[str, str] = {"assessment_date": state_of(request).today().isoformat()}
        # offer the lesions of the last scan, so the same labels are measured again
        last = pf.lesions.get(pf.imaging[-1].id, []) if pf.imaging else []
        for i, les in enumerate(last[:LESION_ROWS]):
            form.update(
                {
                    f"lesion_id_{i}": les.lesion_id,
                    f"kind_{i}": les.kind.value,
                    f"organ_{i}": les.organ,
                }
            )
        ctx = {
            "patient": patient,
            "form": form,
            "errors": {},
            "rows": range(LESION_ROWS),
            "tp": None,
            "note": None,
        }
        return render(request, "imaging.html", ctx, user=user)


def _imaging_preview(request: Request, patient_id: int, form: dict[str, str]) -> Response:
    with db_session(request) as session:
        user = _editor(request, session)
        patient = load_patient(session, user, patient_id)
        pf = load_patient_file(session, patient)
        errors: FormProblems = {}
        tp, note = _scan_response(pf, request, form, errors)
        return render(
            request, "_response.html", {"tp": tp, "note": note, "errors": errors}, user=user
        )


def _scan_response(
    pf: PatientFile, request: Request, form: dict[str, str], errors: FormProblems
) -> tuple[Any, str | None]:
    from hcctrial.web.patient_view import response_with_scan

    scan, _ = _scan(form, errors)
    if scan is None:
        return None, None
    if not scan.lesions:
        return None, "Add the lesions measured on this scan."
    return response_with_scan(pf, state_of(request).regimen, scan)


def _imaging_save(request: Request, patient_id: int, form: dict[str, str]) -> Response:
    from hcctrial.services.scans import record_scan

    def write(session: Any, user: Actor) -> Response:
        patient = _patient_or_404(session, patient_id)
        errors: FormProblems = {}
        _, lesions = _scan(form, errors)
        if errors:
            raise InvalidForm(errors)
        # a scan without a lesion (SCAN-LESIONS), or one the mRECIST engine cannot assess
        # (SCAN-ASSESSABLE), is refused by the service's rules, as at every door
        values = {
            "assessment_date": form["assessment_date"],
            "modality": form.get("modality") or "mri",
            "afp_ng_ml": form.get("afp_ng_ml") or None,
        }
        record_scan(
            unit_of_work(request, session, user), patient.id, values, lesions, reason=CREATED
        )
        return RedirectResponse(f"/patients/{patient.id}", status_code=303)

    def show_form(session: Any, user: Actor, errors: dict[str, str], status: int) -> Response:
        patient = load_patient(session, user, patient_id)
        pf = load_patient_file(session, patient)
        tp, note = _scan_response(pf, request, form, {})
        ctx = {
            "patient": patient,
            "form": form,
            "errors": errors,
            "rows": range(LESION_ROWS),
            "tp": tp,
            "note": note,
        }
        return render(request, "imaging.html", ctx, user=user, status_code=status)

    fields = frozenset({"assessment_date", "modality", "afp_ng_ml"})
    return save_or_refuse(request, write, show_form, fields)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- end treatment


@router.post("/patients/{patient_id:int}/end-treatment")
async def end_treatment_save(request: Request, patient_id: int) -> Response:
    """End the patient's protocol treatment (the action "end treatment", with a reason)."""
    form = await _form(request)
    return await run_in_threadpool(_end_treatment, request, patient_id, form)


def _end_treatment(request: Request, patient_id: int, form: dict[str, str]) -> Response:
    from hcctrial.services.cycles import end_treatment

    with db_session(request, write=True) as session:
        user = signed_in_user(request, session)
        _patient_or_404(session, patient_id)
        uow = unit_of_work(request, session, user)
        end_treatment(uow, patient_id, reason=form.get("reason", "").strip())
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)
