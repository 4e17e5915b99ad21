"""Eligibility screening of one patient against a regimen's criteria.

:func:`screen_patient` checks the diagnosis requirement, the inclusion criteria (age, ECOG PS,
Child-Pugh, BCLC stage, labs, LVEF) and the exclusion criteria of the regimen file. Each criterion
returns a :class:`CriterionResult`: ``met`` / ``not_met`` / ``not_evaluable``, the value used, the
threshold and the reason. Rules:

- Every criterion is phrased as a requirement the patient must satisfy; an exclusion "other
  malignancy" is reported as ``no_other_malignancy`` (``met`` = the patient has none).
- Lab thresholds are compared in the analyte's canonical unit (``hcctrial.clinical.units``) with
  the operator of the file; the paper's cut-offs are strict, so a value exactly on the line fails
  (WBC 3.0 x10^9/L is not > 3.0).
- Age is taken in completed years and the range 18-75 is inclusive ("Age 18-75 years": a 75-year-
  old qualifies, a 76-year-old does not); ``age_inclusive = false`` in the file makes it strict.
- Child-Pugh class and BCLC stage are computed from the raw inputs with
  :mod:`hcctrial.clinical.scores`, never typed in.
- Missing data make a criterion ``not_evaluable`` and name what is missing; nothing passes
  silently. Overall ``eligible`` is False if any criterion is not met, else None if any is not
  evaluable, else True.
- Malformed input (unknown key, a lab with an unknown unit, an impossible value) is an error
  (:class:`~hcctrial.errors.DataValidationError`), not a verdict.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from hcctrial.clinical.scores import (
    BclcResult,
    ChildPughResult,
    bclc_stage,
    child_pugh,
)
from hcctrial.clinical.units import ANALYTES, canonical_value, convert
from hcctrial.errors import DataValidationError
from hcctrial.protocol.patient import PatientScreeningInput, parse_patient
from hcctrial.protocol.schema import ExclusionCriterion, LabCriterion, Regimen

__all__ = [
    "CriterionResult",
    "PatientScreeningInput",
    "ScreeningResult",
    "Verdict",
    "failure_label",
    "parse_patient",
    "screen_patient",
]


class Verdict(StrEnum):
    """Outcome of one criterion."""

    MET = "met"
    NOT_MET = "not_met"
    NOT_EVALUABLE = "not_evaluable"


# --------------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's verdict with the value used, the threshold and the reason."""

    id: str
    kind: Literal["diagnosis", "inclusion", "exclusion"]
    paper_item: str
    verdict: Verdict
    value: str | float | int | bool | None
    threshold: str
    reason: str
    missing: tuple[str, ...] = ()
    unit: str | None = None
    quote: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (``id``, ``verdict``, ``value``, ``threshold``, ``reason``, ...)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "paper_item": self.paper_item,
            "verdict": self.verdict.value,
            "value": self.value,
            "unit": self.unit,
            "threshold": self.threshold,
            "reason": self.reason,
            "missing": list(self.missing),
            "quote": self.quote,
        }


@dataclass(frozen=True)
class ScreeningResult:
    """All criteria of one patient and the overall verdict (None = cannot decide yet)."""

    regimen_id: str
    patient_id: str | None
    eligible: bool | None
    criteria: tuple[CriterionResult, ...]
    child_pugh: ChildPughResult | None = None
    bclc: BclcResult | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def criterion(self, criterion_id: str) -> CriterionResult:
        """Return the criterion called ``criterion_id`` (KeyError if absent)."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    @property
    def missing(self) -> tuple[str, ...]:
        """Every input whose absence left a criterion not evaluable."""
        return tuple(dict.fromkeys(m for c in self.criteria for m in c.missing))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of the ``screen`` command."""
        return {
            "regimen": self.regimen_id,
            "patient_id": self.patient_id,
            "eligible": self.eligible,
            "criteria": [c.to_dict() for c in self.criteria],
            "child_pugh": None
            if self.child_pugh is None
            else {
                "points": dict(self.child_pugh.points),
                "total": self.child_pugh.total,
                "class": self.child_pugh.child_class.value,
            },
            "bclc": None
            if self.bclc is None
            else {
                "stage": self.bclc.stage.value,
                "reason": self.bclc.reason,
                "interpretation": self.bclc.interpretation,
                "alternative": self.bclc.alternative,
            },
            "missing": list(self.missing),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------------
# criteria
# --------------------------------------------------------------------------------------------------

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_UNIT_SHOWN = {"giga_per_liter": "10^9/L", "percent": "%", "dimensionless": ""}


def _not_evaluable(
    cid: str, kind: Any, item: str, threshold: str, missing: list[str], quote: str
) -> CriterionResult:
    return CriterionResult(
        cid,
        kind,
        item,
        Verdict.NOT_EVALUABLE,
        None,
        threshold,
        "missing: " + ", ".join(missing),
        tuple(missing),
        quote=quote,
    )


def _age(p: PatientScreeningInput) -> int | None:
    from_dates = None
    if p.birth_date is not None and p.screening_date is not None:
        b, s = p.birth_date, p.screening_date
        if s < b:
            raise DataValidationError(
                f"screening_date: got {s.isoformat()}; expected a date after birth_date "
                f"{b.isoformat()}",
                field="screening_date",
            )
        from_dates = s.year - b.year - ((s.month, s.day) < (b.month, b.day))
    if from_dates is not None and p.age_years is not None and from_dates != p.age_years:
        raise DataValidationError(
            f"age_years: got {p.age_years}; birth_date and screening_date give {from_dates} "
            "completed years; give one or make them agree",
            field="age_years",
        )
    return from_dates if from_dates is not None else p.age_years


def _check_diagnosis(p: PatientScreeningInput, r: Regimen) -> CriterionResult:
    e = r.eligibility
    threshold = "one of " + ", ".join(e.diagnosis_methods)
    if p.diagnosis_method is None:
        return _not_evaluable(
            "diagnosis",
            "diagnosis",
            "diagnosis",
            threshold,
            ["diagnosis_method"],
            e.diagnosis_quote,
        )
    ok = p.diagnosis_method in e.diagnosis_methods
    return CriterionResult(
        "diagnosis",
        "diagnosis",
        "diagnosis",
        Verdict.MET if ok else Verdict.NOT_MET,
        p.diagnosis_method,
        threshold,
        f"diagnosed by {p.diagnosis_method}" + ("" if ok else f"; required {threshold}"),
        quote=e.diagnosis_quote,
    )


def _check_age(p: PatientScreeningInput, r: Regimen) -> CriterionResult:
    e = r.eligibility
    lo, hi = e.age_min_years, e.age_max_years
    threshold = f"{lo}-{hi} years" + (" inclusive" if e.age_inclusive else " exclusive")
    age = _age(p)
    if age is None:
        return _not_evaluable(
            "age", "inclusion", "inclusion 1", threshold, ["age_years"], e.age_quote
        )
    ok = lo <= age <= hi if e.age_inclusive else lo < age < hi
    return CriterionResult(
        "age",
        "inclusion",
        "inclusion 1",
        Verdict.MET if ok else Verdict.NOT_MET,
        age,
        threshold,
        f"age {age} years is {'within' if ok else 'outside'} {threshold}",
        unit="years",
        quote=e.age_quote,
    )


def _check_ecog(p: PatientScreeningInput, r: Regimen) -> CriterionResult:
    e = r.eligibility
    threshold = f"0-{e.ecog_max}"
    if p.ecog is None:
        return _not_evaluable("ecog", "inclusion", "inclusion 2", threshold, ["ecog"], e.ecog_quote)
    ok = p.ecog <= e.ecog_max
    return CriterionResult(
        "ecog",
        "inclusion",
        "inclusion 2",
        Verdict.MET if ok else Verdict.NOT_MET,
        p.ecog,
        threshold,
        f"ECOG PS {p.ecog} is {'within' if ok else 'above'} {threshold}",
        quote=e.ecog_quote,
    )


def _child_pugh_of(p: PatientScreeningInput) -> tuple[ChildPughResult | None, list[str], str]:
    labs, liver = p.labs, p.liver
    missing = [
        name
        for name, v in (
            ("labs.bilirubin", labs.bilirubin),
            ("labs.albumin", labs.albumin),
            ("liver.ascites", liver.ascites),
            ("liver.encephalopathy", liver.encephalopathy),
        )
        if v is None
    ]
    if labs.inr is None and labs.pt_prolongation is None:
        missing.append("labs.inr (or labs.pt_prolongation)")
    if missing:
        return None, missing, ""
    note = ""
    inr = pt = None
    if labs.inr is not None:
        inr = canonical_value("inr", labs.inr, field="labs.inr")
        if labs.pt_prolongation is not None:
            note = "INR used; the prothrombin-time prolongation was also given and not used"
    else:
        assert labs.pt_prolongation is not None
        pt = canonical_value("pt_prolongation", labs.pt_prolongation, field="labs.pt_prolongation")
    assert liver.ascites is not None and liver.encephalopathy is not None
    result = child_pugh(
        canonical_value("bilirubin", labs.bilirubin, field="labs.bilirubin"),  # type: ignore[arg-type]
        canonical_value("albumin", labs.albumin, field="labs.albumin"),  # type: ignore[arg-type]
        liver.ascites,
        liver.encephalopathy,
        inr=inr,
        pt_prolongation_s=pt,
    )
    return result, [], note


def _check_child_pugh(
    cp: ChildPughResult | None, missing: list[str], note: str, r: Regimen
) -> CriterionResult:
    e = r.eligibility
    threshold = "one of " + ", ".join(e.child_pugh_allowed)
    if cp is None:
        return _not_evaluable(
            "child_pugh", "inclusion", "inclusion 3", threshold, missing, e.child_pugh_quote
        )
    label = f"{cp.child_class.value}{cp.total}"
    ok = label in e.child_pugh_allowed
    pts = ", ".join(f"{k} {v}" for k, v in cp.points.items())
    return CriterionResult(
        "child_pugh",
        "inclusion",
        "inclusion 3",
        Verdict.MET if ok else Verdict.NOT_MET,
        label,
        threshold,
        f"Child-Pugh {label} ({pts}) is {'' if ok else 'not '}{threshold}"
        + (f"; {note}" if note else ""),
        quote=e.child_pugh_quote,
    )


def _check_bclc(
    p: PatientScreeningInput, cp: ChildPughResult | None, cp_missing: list[str], r: Regimen
) -> tuple[CriterionResult, BclcResult | None]:
    e = r.eligibility
    threshold = "one of " + ", ".join(e.bclc_allowed)
    t = p.tumour
    vi = t.vascular_invasion
    if t.portal_vein_invasion is True:
        if vi is False:
            raise DataValidationError(
                "tumour.vascular_invasion: got false with portal_vein_invasion true; portal vein "
                "invasion is a vascular invasion, expected true",
                field="tumour.vascular_invasion",
            )
        vi = True
    missing = [
        name
        for name, v in (
            ("tumour.n_nodules", t.n_nodules),
            ("tumour.largest_cm", t.largest_cm),
            ("ecog", p.ecog),
            ("tumour.vascular_invasion", vi),
            ("tumour.extrahepatic_spread", t.extrahepatic_spread),
        )
        if v is None
    ]
    if cp is None:
        missing.append("child_pugh (" + ", ".join(cp_missing) + ")")
    if missing:
        return (
            _not_evaluable("bclc", "inclusion", "inclusion 4", threshold, missing, e.bclc_quote),
            None,
        )
    assert cp is not None and t.n_nodules is not None and t.largest_cm is not None
    assert p.ecog is not None and vi is not None and t.extrahepatic_spread is not None
    res = bclc_stage(
        t.n_nodules,
        t.largest_cm,
        p.ecog,
        cp.child_class,
        vi,
        t.extrahepatic_spread,
        ps_cancer_related=p.ecog_cancer_related,
        ps_attributed_by=p.ecog_attributed_by,
    )
    ok = res.stage.value in e.bclc_allowed
    return (
        CriterionResult(
            "bclc",
            "inclusion",
            "inclusion 4",
            Verdict.MET if ok else Verdict.NOT_MET,
            res.stage.value,
            threshold,
            f"BCLC {res.stage.value} ({res.reason}) is {'' if ok else 'not '}{threshold}",
            quote=e.bclc_quote,
        ),
        res,
    )


def _check_lab(p: PatientScreeningInput, c: LabCriterion) -> CriterionResult:
    analyte = ANALYTES[c.analyte]
    unit = _UNIT_SHOWN.get(analyte.canonical_unit, analyte.canonical_unit)
    limit = convert(c.value, c.unit, analyte.canonical_unit, analyte=c.analyte)
    threshold = f"{c.op} {limit:g} {unit}".strip()
    raw = getattr(p.labs, c.analyte)
    if raw is None:
        return _not_evaluable(
            c.id, "inclusion", c.paper_item, threshold, [f"labs.{c.analyte}"], c.quote
        )
    value = canonical_value(c.analyte, raw, field=f"labs.{c.analyte}")
    ok = _OPS[c.op](value, limit)
    on_line = value == limit
    reason = f"{c.id} {value:g} {unit} ({raw}) is {'' if ok else 'not '}{threshold}".replace(
        "  ", " "
    )
    if on_line and not ok:
        reason += " (a value exactly on the line fails: the cut-off is strict)"
    if c.note:
        reason += f"; {c.note}"
    return CriterionResult(
        c.id,
        "inclusion",
        c.paper_item,
        Verdict.MET if ok else Verdict.NOT_MET,
        value,
        threshold,
        reason,
        unit=unit or None,
        quote=c.quote,
    )


def _check_exclusion(p: PatientScreeningInput, c: ExclusionCriterion) -> CriterionResult:
    h = p.history
    threshold = f"no {c.field.replace('_', ' ')}"

    def verdict(present: bool, value: Any, reason: str) -> CriterionResult:
        return CriterionResult(
            c.id,
            "exclusion",
            c.paper_item,
            Verdict.NOT_MET if present else Verdict.MET,
            value,
            threshold,
            reason,
            quote=c.quote,
        )

    if c.field == "uncontrolled_infection":
        limit = c.infection_grade_above
        threshold = (
            f"no infection of CTCAE grade > {limit}, needing antibiotics or surgery, "
            "or life-threatening"
        )
        inf = h.infection
        if inf is None:
            return _not_evaluable(
                c.id, "exclusion", c.paper_item, threshold, ["history.infection"], c.quote
            )
        if not inf.present:
            return verdict(False, False, "no infection at screening")
        causes = []
        if inf.ctcae_grade is not None and limit is not None and inf.ctcae_grade > limit:
            causes.append(f"CTCAE grade {inf.ctcae_grade} > {limit}")
        if inf.needs_antibiotics_or_surgery:
            causes.append("needs antibiotics or surgery")
        if inf.life_threatening:
            causes.append("life-threatening")
        if causes:
            return verdict(True, True, "uncontrolled infection: " + ", ".join(causes))
        unknown = [
            f"history.infection.{k}"
            for k, v in (
                ("ctcae_grade", inf.ctcae_grade),
                ("needs_antibiotics_or_surgery", inf.needs_antibiotics_or_surgery),
                ("life_threatening", inf.life_threatening),
            )
            if v is None
        ]
        if unknown:
            return _not_evaluable(c.id, "exclusion", c.paper_item, threshold, unknown, c.quote)
        return verdict(
            False,
            False,
            f"infection of CTCAE grade {inf.ctcae_grade} (<= {limit}), no antibiotics or "
            "surgery needed, not life-threatening: controlled",
        )

    value: bool | None = getattr(h, c.field)
    if c.field == "pregnant_or_breastfeeding" and value is None and p.sex == "male":
        return verdict(False, False, "not applicable: male patient")
    if value is None:
        missing = [f"history.{c.field}"]
        return _not_evaluable(c.id, "exclusion", c.paper_item, threshold, missing, c.quote)
    text = c.field.replace("_", " ")
    return verdict(value, value, f"{text}: {'yes (excluded)' if value else 'no'}")


def _overall(criteria: tuple[CriterionResult, ...]) -> bool | None:
    verdicts = {c.verdict for c in criteria}
    if Verdict.NOT_MET in verdicts:
        return False
    if Verdict.NOT_EVALUABLE in verdicts:
        return None
    return True


#: How a failed criterion is named in a CONSORT diagram or a screen-failure count: by what the
#: patient had ("prior sorafenib"), not by the requirement's id ("no_prior_sorafenib").
_FAILURE_LABELS = {
    "diagnosis": "diagnosis not confirmed",
    "age": "age outside 18-75",
    "ecog": "ECOG PS > 2",
    "child_pugh": "Child-Pugh worse than B7",
    "bclc": "BCLC stage not B/C",
    "wbc": "WBC too low",
    "anc": "ANC too low",
    "creatinine": "creatinine too high",
    "albumin": "albumin too low",
    "lvef": "LVEF too low",
    "no_other_malignancy": "other malignancy",
    "no_uncontrolled_infection": "uncontrolled infection",
    "not_pregnant_or_breastfeeding": "pregnant or breastfeeding",
    "no_prior_sorafenib": "prior sorafenib",
    "no_severe_allergy": "severe contrast or drug allergy",
}


def failure_label(criterion_id: str) -> str:
    """Return the words for a patient who failed ``criterion_id``: ``"prior sorafenib"``.

    Criterion ids a sister regimen adds are shown with underscores as spaces.
    """
    return _FAILURE_LABELS.get(criterion_id, criterion_id.replace("_", " "))


def screen_patient(
    patient: PatientScreeningInput | dict[str, Any], regimen: Regimen
) -> ScreeningResult:
    """Return the eligibility of ``patient`` under ``regimen``, criterion by criterion.

    Criterion ids (seed regimen): ``diagnosis``, ``age``, ``ecog``, ``child_pugh``, ``bclc``,
    the lab ids of the file (``wbc``, ``anc``, ``creatinine``, ``albumin``, ``lvef``) and the
    exclusion ids (``no_other_malignancy``, ``no_uncontrolled_infection``,
    ``not_pregnant_or_breastfeeding``, ``no_prior_sorafenib``, ``no_severe_allergy``).
    """
    p = parse_patient(patient)
    cp, cp_missing, cp_note = _child_pugh_of(p)
    bclc_result, bclc = _check_bclc(p, cp, cp_missing, regimen)
    criteria = (
        _check_diagnosis(p, regimen),
        _check_age(p, regimen),
        _check_ecog(p, regimen),
        _check_child_pugh(cp, cp_missing, cp_note, regimen),
        bclc_result,
        *(_check_lab(p, c) for c in regimen.eligibility.labs),
        *(_check_exclusion(p, c) for c in regimen.eligibility.exclusions),
    )
    notes = tuple(bclc.notes) if bclc is not None else ()
    return ScreeningResult(
        regimen_id=regimen.id,
        patient_id=p.patient_id,
        eligible=_overall(criteria),
        criteria=criteria,
        child_pugh=cp,
        bclc=bclc,
        notes=notes,
    )
