"""What the forms show live: the domain engines called on what a nurse has typed so far.

No clinical rule lives here. Each function turns form values (text) into the input of one engine
and returns its result object: eligibility (:func:`hcctrial.protocol.eligibility.screen_patient`),
CTCAE grades (:func:`hcctrial.assess.ctcae.grade_lab`), the dose sheet
(:func:`hcctrial.protocol.dosing.dose_sheet`), Child-Pugh/ALBI/BCLC
(:mod:`hcctrial.clinical.scores`), the mRECIST response of a time point
(:func:`hcctrial.assess.mrecist.patient_response`) and the adverse-event term and grade against the
bundled CTCAE list (:func:`hcctrial.assess.adverse_events.validate_term`). The CTCAE version is
the trial's, from its regimen file (:func:`hcctrial.protocol.regimen.trial_ctcae_version`): each
caller passes it, so no door grades by a version of its own.

Form problems are returned as ``{field: message}`` in words a nurse understands; an engine's
:class:`~hcctrial.errors.HcctrialError` becomes the message of the field it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from hcctrial.errors import HcctrialError

__all__ = [
    "ANALYTE_TERMS",
    "SCREENING_LABS",
    "UNIT_CHOICES",
    "AdverseEventCheck",
    "BaselineScores",
    "FormProblems",
    "adverse_event_check",
    "baseline_scores",
    "lab_grades",
    "parse_bool",
    "parse_date",
    "parse_float",
    "parse_int",
    "screening_input",
]

FormProblems = dict[str, str]

#: Lab analytes -> the CTCAE terms a value of it is graded under (potassium: both directions).
ANALYTE_TERMS: dict[str, tuple[str, ...]] = {
    "anc": ("Neutrophil count decreased",),
    "platelets": ("Platelet count decreased",),
    "wbc": ("White blood cell decreased",),
    "lymphocytes": ("Lymphocyte count decreased",),
    "hemoglobin": ("Anemia",),
    "alt": ("Alanine aminotransferase increased",),
    "ast": ("Aspartate aminotransferase increased",),
    "bilirubin": ("Blood bilirubin increased",),
    "alp": ("Alkaline phosphatase increased",),
    "ggt": ("GGT increased",),
    "creatinine": ("Creatinine increased",),
    "albumin": ("Hypoalbuminemia",),
    "inr": ("INR increased",),
    "sodium": ("Hyponatremia",),
    "potassium": ("Hypokalemia", "Hyperkalemia"),
}

#: Units offered per analyte on the forms (any unit the unit layer reads is accepted by the API).
UNIT_CHOICES: dict[str, tuple[str, ...]] = {
    "wbc": ("x10^9/L", "/uL"),
    "anc": ("x10^9/L", "/uL"),
    "lymphocytes": ("x10^9/L", "/uL"),
    "platelets": ("x10^9/L", "/uL"),
    "hemoglobin": ("g/dL", "g/L", "mmol/L"),
    "creatinine": ("mg/dL", "umol/L"),
    "albumin": ("g/dL", "g/L"),
    "bilirubin": ("mg/dL", "umol/L"),
    "inr": ("1",),
    "pt_prolongation": ("s",),
    "afp": ("ng/mL",),
    "alt": ("U/L",),
    "ast": ("U/L",),
    "alp": ("U/L",),
    "ggt": ("U/L",),
    "sodium": ("mmol/L",),
    "potassium": ("mmol/L",),
    "lvef": ("%",),
}

#: The labs of the screening form, in the order shown.
SCREENING_LABS: tuple[str, ...] = (
    "wbc",
    "anc",
    "platelets",
    "hemoglobin",
    "creatinine",
    "albumin",
    "bilirubin",
    "inr",
    "afp",
    "lvef",
)


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_float(
    form: dict[str, str], name: str, problems: FormProblems, *, required: bool = False
) -> float | None:
    """Return the number in ``form[name]`` (None if blank); note a problem when it is not one."""
    raw = form.get(name)
    if _blank(raw):
        if required:
            problems[name] = "Please enter a number here."
        return None
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        problems[name] = f"“{raw}” is not a number; type digits, e.g. 4.2."
        return None
    if value != value or value in (float("inf"), float("-inf")):
        problems[name] = "Please enter a finite number."
        return None
    return value


def parse_int(
    form: dict[str, str], name: str, problems: FormProblems, *, required: bool = False
) -> int | None:
    """Return the whole number in ``form[name]`` (None if blank); note a problem otherwise."""
    raw = form.get(name)
    if _blank(raw):
        if required:
            problems[name] = "Please enter a whole number here."
        return None
    try:
        return int(str(raw).strip())
    except ValueError:
        problems[name] = f"“{raw}” is not a whole number."
        return None


def parse_date(
    form: dict[str, str], name: str, problems: FormProblems, *, required: bool = False
) -> date | None:
    """Return the date in ``form[name]`` (YYYY-MM-DD; None if blank); note a problem otherwise."""
    raw = form.get(name)
    if _blank(raw):
        if required:
            problems[name] = "Please enter the date (YYYY-MM-DD)."
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        problems[name] = f"“{raw}” is not a date; use the date picker or YYYY-MM-DD."
        return None


def parse_bool(form: dict[str, str], name: str, problems: FormProblems) -> bool | None:
    """Return yes/no of ``form[name]`` ("yes"/"no"; None if blank)."""
    raw = (form.get(name) or "").strip().lower()
    if raw == "":
        return None
    if raw in ("yes", "true", "1", "on"):
        return True
    if raw in ("no", "false", "0", "off"):
        return False
    problems[name] = "Please choose yes or no."
    return None


# --------------------------------------------------------------------------------- screening


def screening_input(form: dict[str, str]) -> tuple[dict[str, Any], FormProblems]:
    """Return the eligibility engine's patient input built from the screening form, and problems.

    Lab values go in as text with their unit ("5.2 x10^9/L"), converted by the unit layer.
    """
    p: FormProblems = {}
    data: dict[str, Any] = {}
    age = parse_int(form, "age_years", p)
    if age is not None:
        data["age_years"] = age
    for name in ("sex", "diagnosis_method"):
        if not _blank(form.get(name)):
            data[name] = form[name].strip()
    ecog = parse_int(form, "ecog", p)
    if ecog is not None:
        data["ecog"] = ecog
    sd = parse_date(form, "screening_date", p)
    if sd is not None:
        data["screening_date"] = sd
    labs: dict[str, Any] = {}
    for analyte in SCREENING_LABS:
        value = parse_float(form, f"lab_{analyte}", p)
        if value is None:
            continue
        unit = (form.get(f"unit_{analyte}") or UNIT_CHOICES[analyte][0]).strip()
        labs[analyte] = value if unit in ("1", "") else f"{value:g} {unit}"
    data["labs"] = labs
    liver = {k: form[k].strip() for k in ("ascites", "encephalopathy") if not _blank(form.get(k))}
    data["liver"] = liver
    tumour: dict[str, Any] = {}
    n = parse_int(form, "n_nodules", p)
    if n is not None:
        tumour["n_nodules"] = n
    largest = parse_float(form, "largest_cm", p)
    if largest is not None:
        tumour["largest_cm"] = largest
    for name in ("vascular_invasion", "portal_vein_invasion", "extrahepatic_spread"):
        b = parse_bool(form, name, p)
        if b is not None:
            tumour[name] = b
    data["tumour"] = tumour
    history: dict[str, Any] = {}
    for name in (
        "other_malignancy",
        "prior_sorafenib",
        "severe_allergy_contrast_or_drugs",
        "pregnant_or_breastfeeding",
    ):
        b = parse_bool(form, name, p)
        if b is not None:
            history[name] = b
    infection = parse_bool(form, "infection_present", p)
    if infection is not None:
        history["infection"] = {"present": infection}
    data["history"] = history
    return data, p


def form_field_of(error: HcctrialError) -> str:
    """Return the form field an engine error is about (``labs.wbc`` -> ``lab_wbc``)."""
    name = (error.field or "").strip()
    for prefix, to in (("labs.", "lab_"), ("liver.", ""), ("tumour.", ""), ("history.", "")):
        if name.startswith(prefix):
            name = to + name[len(prefix) :].split(".")[0].split("[")[0]
            break
    if name == "infection":
        return "infection_present"
    return name or "_form"


def run_screening(form: dict[str, str], regimen: Any) -> tuple[Any | None, FormProblems]:
    """Return (screening result or None, problems) for the screening form."""
    from hcctrial.protocol.eligibility import screen_patient

    data, problems = screening_input(form)
    if problems:
        return None, problems
    try:
        return screen_patient(data, regimen), {}
    except HcctrialError as exc:
        return None, {form_field_of(exc): exc.message if hasattr(exc, "message") else str(exc)}


# ---------------------------------------------------------------------------------- labs


def lab_grades(
    analyte: str,
    value: float,
    unit: str | None,
    *,
    uln: float | None = None,
    lln: float | None = None,
    version: str,
) -> tuple[Any, ...]:
    """Return the CTCAE :class:`~hcctrial.assess.ctcae.LabGrade` of ``value`` for each term of
    ``analyte`` (empty for an analyte CTCAE does not grade, such as AFP) by CTCAE ``version``
    (the trial's: :func:`hcctrial.protocol.regimen.trial_ctcae_version`)."""
    from hcctrial.assess.ctcae import grade_lab

    unit_arg = None if unit in (None, "", "1") else unit
    return tuple(
        grade_lab(term, value, unit_arg, uln=uln, lln=lln, version=version)
        for term in ANALYTE_TERMS.get(analyte, ())
    )


# ------------------------------------------------------------------------------ baseline scores


@dataclass(frozen=True)
class BaselineScores:
    """Child-Pugh, ALBI and BCLC at baseline (None where inputs are missing; ``missing`` says)."""

    child_pugh: Any | None
    albi: Any | None
    bclc: Any | None
    missing: tuple[str, ...]
    problems: tuple[str, ...] = ()


def latest_canonical(labs: list[Any], analyte: str, on: date | None = None) -> float | None:
    """The canonical value of ``analyte``'s latest lab row (up to ``on``), None if there is none.

    ``labs`` are rows with ``sample_date``, ``analyte`` and ``canonical_value``.
    """
    rows = [r for r in labs if r.analyte == analyte and (on is None or r.sample_date <= on)]
    if not rows:
        return None
    return float(max(rows, key=lambda r: (r.sample_date, r.id)).canonical_value)


def baseline_scores(baseline: Any | None, labs: list[Any]) -> BaselineScores:
    """Return Child-Pugh (from the latest bilirubin, albumin, INR and the baseline's ascites and
    encephalopathy), ALBI (bilirubin, albumin) and BCLC (tumour burden, ECOG, Child-Pugh)."""
    from hcctrial.clinical.scores import albi, bclc_stage, child_pugh

    on = baseline.assessment_date if baseline is not None else None
    bili = latest_canonical(labs, "bilirubin", on)
    alb = latest_canonical(labs, "albumin", on)
    inr = latest_canonical(labs, "inr", on)
    missing = [n for n, v in (("bilirubin", bili), ("albumin", alb), ("inr", inr)) if v is None]
    if baseline is None:
        missing.append("baseline form")
    problems: list[str] = []
    cp = ab = bc = None
    try:
        if bili is not None and alb is not None:
            # ALBI takes umol/L and g/L: 17.1 umol/L per mg/dL, 10 g/L per g/dL
            ab = albi(bili * 17.1, alb * 10.0)
        if bili is not None and alb is not None and inr is not None and baseline is not None:
            cp = child_pugh(
                bili, alb, str(baseline.ascites.value), str(baseline.encephalopathy.value), inr=inr
            )
            if baseline.n_nodules >= 1:
                bc = bclc_stage(
                    baseline.n_nodules,
                    baseline.largest_cm,
                    baseline.ecog,
                    cp.child_class,
                    bool(baseline.vascular_invasion or baseline.portal_vein_invasion),
                    bool(baseline.extrahepatic_spread),
                )
    except HcctrialError as exc:
        problems.append(str(exc))
    return BaselineScores(cp, ab, bc, tuple(missing), tuple(problems))


@dataclass(frozen=True)
class AdverseEventCheck:
    """An adverse event's term and grade checked against the bundled CTCAE list of ``version``.

    ``ctcae_term`` is the CTCAE name (None when the term is not on the list: ``term_problem`` then
    says so, with close matches on a typo). ``grade_text`` is CTCAE's text of the grade (the
    "not bundled" note of :data:`hcctrial.assess.adverse_events.GRADE_TEXT_NOT_BUNDLED` for a term
    whose grade text is not bundled); ``grade_problem`` names a grade the term does not have.
    """

    ctcae_term: str | None
    term_problem: str | None
    soc: str | None
    grade: int | None
    grade_text: str | None
    grade_problem: str | None
    valid_grades: tuple[int, ...]
    #: the CTCAE version checked against (the trial's)
    version: str = ""


def adverse_event_check(term: str, grade: str = "", *, version: str) -> AdverseEventCheck | None:
    """Check a typed term (and grade 1-5, as typed) against CTCAE ``version`` (the trial's:
    :func:`hcctrial.protocol.regimen.trial_ctcae_version`); None while the term is blank."""
    from hcctrial.assess.adverse_events import ctcae_terms, validate_term

    if not term.strip():
        return None
    try:
        name = validate_term(term, version)
    except HcctrialError as exc:
        return AdverseEventCheck(None, str(exc), None, None, None, None, (), version)
    entry = ctcae_terms(version)[name]
    g = int(grade) if grade.strip().isdigit() else None
    text = problem = None
    if g is not None:
        text = entry.grades.get(g)
        if text is None:
            allowed = ", ".join(str(x) for x in entry.valid_grades)
            problem = f"CTCAE v{version} has no grade {g} for {name} (grades {allowed})."
    return AdverseEventCheck(name, None, entry.soc, g, text, problem, entry.valid_grades, version)
