"""The subject-level analysis dataset: one row per enrolled patient, derived from raw records.

Each derivation is one function, and each value comes from a domain engine, never from a stored
result (``docs/derivations.md`` explains them):

- **Child-Pugh, ALBI** (:mod:`hcctrial.clinical.scores`) from the last value of each baseline lab
  taken before day 0 (canonical units: bilirubin mg/dL -> x 17.1 umol/L for ALBI, albumin g/dL
  -> x 10 g/L) and the recorded ascites/encephalopathy;
- **BCLC** (:func:`hcctrial.clinical.scores.bclc_stage`) from nodules, largest diameter, ECOG,
  the derived Child-Pugh class, vascular invasion and extrahepatic spread;
- **best overall response and the first PD date** (:func:`hcctrial.assess.mrecist.patient_response`
  with the regimen's rules) from the lesion measurements and AFP of every scan, the first scan being
  the baseline;
- **worst grade per row of the plan's adverse-event table** (``[adverse_events]`` of the analysis
  plan, :mod:`hcctrial.analysis.schema`; the seed plan's rows are the paper's Table 3): lab terms by
  :func:`hcctrial.assess.ctcae.grade_lab` (v4.03) on every lab drawn on or after day 0
  (treatment-emergent; screening labs excluded), ALT and AST pooled as the paper pooled them;
  clinical terms from the recorded grades (nausea and vomiting pooled); 0 when nothing was
  recorded, ``None`` when lab values exist but none could be graded;
- **number of cycles** and **relative dose intensity** per drug = given mg / planned mg summed
  over the cycles given (planned = the protocol's full-level dose for the patient's BSA and
  Child-Pugh class: reductions and omissions lower it; the time dimension is not included).

A :class:`~hcctrial.store.models.DerivedOverride` of field ``best_overall_response``,
``child_pugh_class`` or ``bclc_stage`` replaces the engine's value; the row then names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from hcctrial.derive.records import PatientRecords

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

    from hcctrial.analysis.schema import AdverseEventTerm

__all__ = [
    "SubjectRow",
    "best_response_of",
    "derive_subject",
    "derive_subjects",
    "first_day",
    "worst_grades_of",
]

#: HBV DNA > 2 x 10^3 copies/mL (Table 1) in IU/mL, at 5.6 copies per IU (a common conversion).
HBV_DNA_HIGH_IU_ML = 2_000 / 5.6


@dataclass(frozen=True)
class SubjectRow:
    """One enrolled patient's analysis values (see the module docstring for each derivation)."""

    study_id: str
    first_treatment_date: date
    age_years: int
    sex: str
    ecog: int
    n_nodules: int
    largest_cm: float
    vascular_invasion: bool
    portal_vein_invasion: bool
    extrahepatic_spread: bool
    hbv: bool
    hbv_dna_high: bool
    cirrhosis: bool
    afp_baseline_ng_ml: float | None
    imaging_modality: str
    child_pugh_score: int
    child_pugh_class: str
    albi_score: float
    albi_grade: int
    bclc_stage: str
    best_response: str
    best_response_date: date | None
    first_pd_date: date | None
    last_adequate_assessment: date | None
    n_cycles: int
    dose_intensity: dict[str, float] = field(default_factory=dict)
    worst_grades: dict[str, int | None] = field(default_factory=dict)
    overridden: tuple[str, ...] = ()
    first_response_date: date | None = None

    def as_flat_dict(self) -> dict[str, Any]:
        """Return the row as one flat mapping (CSV columns): ``rdi_<drug>``, ``worst_<term>``."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name == "dose_intensity":
                out.update({f"rdi_{k}": v for k, v in sorted(value.items())})
            elif name == "worst_grades":
                out.update({f"worst_{k}": v for k, v in value.items()})
            elif name == "overridden":
                out[name] = ";".join(value)
            else:
                out[name] = value
        return out


def _value(x: Any) -> Any:
    """An enum's value, or the value itself."""
    return getattr(x, "value", x)


def first_day(rec: PatientRecords) -> date:
    """Day 0 of a patient: the first TACE-HAIC (cycle 1), else the enrolment date."""
    if rec.cycles:
        return min(c.cycle_date for c in rec.cycles)
    if rec.enrolment_date is None:
        from hcctrial.errors import field_error

        raise field_error(f"{rec.study_id}.enrolment_date", None, "a date (patient not enrolled)")
    return rec.enrolment_date


def _baseline_lab(rec: PatientRecords, analyte: str, day0: date) -> float | None:
    values = [lab for lab in rec.labs if lab.analyte == analyte and lab.sample_date < day0]
    return values[-1].canonical_value if values else None


def _regimen_rules() -> tuple[Any, float]:
    from hcctrial.derive.scans import protocol_rules
    from hcctrial.protocol.regimen import default_regimen

    regimen = default_regimen()
    return protocol_rules(regimen), float(regimen.assessment.afp_uln_ng_ml)


def mrecist_input(rec: PatientRecords, afp_uln_ng_ml: float) -> dict[str, Any]:
    """Return the patient's scans in the mRECIST engine's documented input format
    (:func:`hcctrial.derive.scans.scans_input`)."""
    from hcctrial.derive.scans import scans_input

    return scans_input(rec.imaging, afp_uln_ng_ml)


def best_response_of(
    rec: PatientRecords,
) -> tuple[str, date | None, date | None, date | None, date | None]:
    """Return (best overall response, its date, first PD date, last adequate assessment date,
    date of the first CR or PR time point).

    ``NE`` when the patient has no follow-up scan. The last adequate assessment is the last
    follow-up scan whose response is not NE, up to the first PD.
    """
    from hcctrial.assess.mrecist import patient_response

    if len(rec.imaging) < 2:
        return "NE", None, None, None, None
    rules, afp_uln = _regimen_rules()
    result = patient_response(mrecist_input(rec, afp_uln), rules)
    adequate = [
        tp.date
        for tp in result.time_points
        if tp.response.value != "NE"
        and (result.first_pd_date is None or tp.date <= result.first_pd_date)
    ]
    responses = [tp.date for tp in result.time_points if tp.response.value in ("CR", "PR")]
    return (
        result.best_overall_response.value,
        result.best_overall_response_date,
        result.first_pd_date,
        adequate[-1] if adequate else None,
        responses[0] if responses else None,
    )


def _worst_lab_grade(rec: PatientRecords, term: str, analyte: str, day0: date) -> int | None:
    """Worst CTCAE grade of ``analyte``'s treatment-emergent values (None: none gradable).

    CTCAE grading is monotone in the value for fixed limits (the engine's property tests check
    it), so within each group of equal (unit, ULN, LLN) only the most extreme value -- the lowest
    for a "decreased" term, the highest for an "increased" one -- needs grading; when it cannot be
    graded, every value of the group is graded.
    """
    from hcctrial.assess.ctcae import grade_lab, lab_criteria

    decreasing = lab_criteria("4.03")[term].direction == "decreased"
    groups: dict[tuple[str, float | None, float | None], list[float]] = {}
    for lab in rec.labs:
        if lab.analyte == analyte and lab.sample_date >= day0:
            groups.setdefault((lab.unit, lab.uln, lab.lln), []).append(lab.value)
    worst: int | None = None
    for (unit, uln, lln), values in groups.items():
        extreme = min(values) if decreasing else max(values)
        g = grade_lab(term, extreme, unit, uln=uln, lln=lln).grade
        candidates = (
            [g]
            if g is not None
            else [grade_lab(term, v, unit, uln=uln, lln=lln).grade for v in values]
        )
        for c in candidates:
            if c is not None:
                worst = c if worst is None else max(worst, c)
    return worst


def _plan_terms() -> Sequence[AdverseEventTerm]:
    from hcctrial.analysis.plan import default_plan

    return default_plan().plan.adverse_events.terms


def worst_grades_of(
    rec: PatientRecords, day0: date, terms: Sequence[AdverseEventTerm] | None = None
) -> dict[str, int | None]:
    """Return the worst grade (0-4; None = lab values but none gradable) per row of the plan's
    adverse-event table ``terms`` (default: the seed plan's, the paper's Table 3)."""
    from hcctrial.assess.adverse_events import validate_term

    clinical: dict[str, int] = {}
    for ae in rec.adverse_events:
        term = validate_term(ae.term)
        clinical[term] = max(clinical.get(term, 0), ae.grade)
    out: dict[str, int | None] = {}
    for row in _plan_terms() if terms is None else terms:
        key = row.key
        lab_terms = [(t.term, t.analyte) for t in row.lab_terms]
        clinical_terms = row.clinical_terms
        worst: int | None = max((clinical.get(t, 0) for t in clinical_terms), default=0)
        if lab_terms:
            graded = [_worst_lab_grade(rec, term, analyte, day0) for term, analyte in lab_terms]
            if all(g is None for g in graded) and any(
                lab.analyte in {a for _, a in lab_terms} and lab.sample_date >= day0
                for lab in rec.labs
            ):
                worst = None
            else:
                worst = max([worst or 0, *(g for g in graded if g is not None)])
        out[key] = worst
    return out


def dose_intensity_of(rec: PatientRecords) -> dict[str, float]:
    """Return given / planned mg per drug, summed over the cycles given."""
    planned: dict[str, float] = {}
    given: dict[str, float] = {}
    for c in rec.cycles:
        for drug, (p, g) in c.doses.items():
            planned[drug] = planned.get(drug, 0.0) + p
            given[drug] = given.get(drug, 0.0) + g
    return {d: given[d] / planned[d] for d in sorted(planned) if planned[d] > 0}


def derive_subject(
    rec: PatientRecords, ae_terms: Sequence[AdverseEventTerm] | None = None
) -> SubjectRow:
    """Return the subject row of one enrolled patient (raises if baseline data are missing).

    ``ae_terms``: the rows of the plan's adverse-event table (default: the seed plan's)."""
    from hcctrial.clinical.scores import albi, bclc_stage, child_pugh
    from hcctrial.errors import DataValidationError

    b = rec.baseline
    if b is None:
        raise DataValidationError(
            f"{rec.study_id}: baseline: got none; expected a baseline record of an enrolled "
            "patient",
            field="baseline",
        )
    day0 = first_day(rec)
    labs = {a: _baseline_lab(rec, a, day0) for a in ("bilirubin", "albumin", "inr", "afp")}
    missing = [a for a in ("bilirubin", "albumin", "inr") if labs[a] is None]
    if missing:
        raise DataValidationError(
            f"{rec.study_id}: baseline labs: got none of {', '.join(missing)} before day 0 "
            f"({day0}); expected them for Child-Pugh",
            field=missing[0],
        )
    bili, alb, inr = (float(labs[a] or 0.0) for a in ("bilirubin", "albumin", "inr"))
    cp = child_pugh(bili, alb, _value(b["ascites"]), _value(b["encephalopathy"]), inr=inr)
    albi_result = albi(bili * 17.1, alb * 10.0)
    cp_class = rec.overrides.get("child_pugh_class", cp.child_class.value)
    bclc = bclc_stage(
        int(b["n_nodules"]),
        float(b["largest_cm"]),
        int(b["ecog"]),
        cp_class,
        bool(b["vascular_invasion"]),
        bool(b["extrahepatic_spread"]),
    )
    bor, bor_date, first_pd, last_adequate, first_response = best_response_of(rec)
    overridden = tuple(
        k for k in ("best_overall_response", "child_pugh_class", "bclc_stage") if k in rec.overrides
    )
    dna = b.get("hbv_dna_iu_ml")
    return SubjectRow(
        study_id=rec.study_id,
        first_treatment_date=day0,
        age_years=int(b["age_years"]),
        sex=_value(b["sex"]),
        ecog=int(b["ecog"]),
        n_nodules=int(b["n_nodules"]),
        largest_cm=float(b["largest_cm"]),
        vascular_invasion=bool(b["vascular_invasion"]),
        portal_vein_invasion=bool(b["portal_vein_invasion"]),
        extrahepatic_spread=bool(b["extrahepatic_spread"]),
        hbv=bool(b["hbv"]),
        hbv_dna_high=dna is not None and float(dna) > HBV_DNA_HIGH_IU_ML,
        cirrhosis=bool(b["cirrhosis"]),
        afp_baseline_ng_ml=labs["afp"],
        imaging_modality=str(_value(b["imaging_modality"])).upper(),
        child_pugh_score=cp.total,
        child_pugh_class=cp_class,
        albi_score=albi_result.score,
        albi_grade=albi_result.grade,
        bclc_stage=rec.overrides.get("bclc_stage", bclc.stage.value),
        best_response=rec.overrides.get("best_overall_response", bor),
        best_response_date=bor_date,
        first_pd_date=first_pd,
        last_adequate_assessment=last_adequate,
        n_cycles=len(rec.cycles),
        dose_intensity=dose_intensity_of(rec),
        worst_grades=worst_grades_of(rec, day0, ae_terms),
        overridden=overridden,
        first_response_date=first_response,
    )


def derive_subjects(
    records: tuple[PatientRecords, ...], ae_terms: Sequence[AdverseEventTerm] | None = None
) -> tuple[SubjectRow, ...]:
    """Return the subject rows of every enrolled patient, in study-id order."""
    return tuple(derive_subject(r, ae_terms) for r in records if r.enrolled)
