"""CTCAE laboratory grading, v4.03 (the trial's) and v5.0: which grade a lab value is, and why.

The criteria live in versioned data files next to this module (``criteria/ctcae_v4.03.toml``,
``criteria/ctcae_v5.0.toml``): each grade quotes the CTCAE text and carries plain machine-readable
bounds (``value > 5.0 x ULN``, ``value < 50 x 10^9/L``). This module only reads those files and
applies them; it holds no threshold of its own.

Why hand-written rather than a library: the one maintained implementation, pharmaverse admiral's
``derive_var_atoxgr_dir()``, is R. Its metadata were transcribed term by term into the data files
(see their headers), and its own test vectors are this module's acceptance tests
(``tests/assess/test_ctcae.py``). So hcctrial follows admiral's reading of CTCAE, including:

- grades are tried from 4 down to 1, the first matching criterion wins; cut-offs are strict on the
  worse side ("<LLN - 75" means 75 <= value < LLN);
- both sides of a comparison are rounded to 15 significant digits;
- an input a grade needs but that is missing (no ULN, no LLN for grade 1, no baseline where grade 0
  depends on it) gives "cannot grade" with the reason -- never a silent grade 0 -- while the
  absolute grades that do not need it are still assigned;
- where CTCAE needs clinical context a lab value lacks (symptomatic hypokalemia, anticoagulation for
  INR, symptoms for lipase/amylase and for hyponatremia in v5.0), admiral's documented worst-case
  assumption is applied and named in :attr:`LabGrade.convention`.

One reading of ours: CTCAE v5.0's "baseline was abnormal" (liver tests) is taken as baseline above
ULN -- admiral's ``BNRIND == "HIGH"`` -- because hcctrial records the baseline value, not its
reference-range flag. A baseline that is not given counts as normal (admiral's behaviour and the
worse case); the result says so.

Units: the value is converted with :mod:`hcctrial.clinical.units` to the unit the criterion uses;
LLN, ULN and baseline are taken to be in the value's unit. CDISC spellings are read case-insensitively
as admiral does ("MMOL/L"; "G/L" is giga/L for cell counts and g/L for hemoglobin and albumin). A unit
that does not fit the term gives "cannot grade". Terms graded only as a multiple of ULN/baseline may
be graded without a unit, since the ratio does not depend on it (admiral does not check their unit).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from hcctrial.assess.ctcae_criteria import (
    _INPUT_LABEL,
    LAB_TERMS,
    VERSIONS,
    GradeRule,
    LabCriteria,
    LabCriterion,
    lab_criteria,
    lab_terms,
    normalize_version,
    resolve_lab_term,
)
from hcctrial.errors import DataValidationError, UnitError

__all__ = [
    "LAB_TERMS",
    "VERSIONS",
    "GradeRule",
    "LabCriteria",
    "LabCriterion",
    "LabGrade",
    "grade_lab",
    "lab_criteria",
    "lab_terms",
    "normalize_version",
    "resolve_lab_term",
    "symptom_convention_note",
]


@dataclass(frozen=True)
class LabGrade:
    """The CTCAE grade of one lab value.

    ``grade`` is 0-4, or None when the inputs cannot decide it (``reason`` says why and ``missing``
    lists the absent inputs: "value", "uln", "lln", "baseline", "unit"). ``rule`` quotes the CTCAE text of the
    grade that matched (for grade 0, what "normal" means for the term); ``detail`` shows the
    comparison that decided it; ``value`` is the value converted to ``unit``, the unit the criterion
    compares in (None for a term graded only as a ratio and given without a unit); ``convention``
    names the admiral worst-case assumption(s) the grade rests on, if any.
    """

    term: str
    version: str
    grade: int | None
    rule: str | None
    convention: str | None = None
    reason: str | None = None
    detail: str | None = None
    missing: tuple[str, ...] = ()
    value: float | None = None
    unit: str | None = None
    #: for a term whose grade depends on symptoms: "assumed symptomatic (admiral worst case)",
    #: "symptomatic" or "asymptomatic" (None for the other terms)
    symptoms: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the result as a JSON-ready dict."""
        return {
            "term": self.term,
            "version": self.version,
            "grade": self.grade,
            "rule": self.rule,
            "convention": self.convention,
            "reason": self.reason,
            "detail": self.detail,
            "missing": list(self.missing),
            "value": self.value,
            "unit": self.unit,
            "symptoms": self.symptoms,
        }


def _signif15(x: float) -> float:
    """Round to 15 significant digits (admiral's ``signif_dig``), hiding float noise."""
    return float(f"{x:.15g}")


def _compare(value: float, op: str, threshold: float) -> bool:
    a, b = _signif15(value), _signif15(threshold)
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    raise ValueError(f"unknown comparison {op!r} in the CTCAE criteria file")  # pragma: no cover


_COUNT_ANALYTES = frozenset({"wbc", "anc", "lymphocytes", "platelets"})

# Lab-report spellings read case-insensitively (keys: lower case, no spaces), as admiral compares
# units case-insensitively. 10^3/mL is exactly one per microliter.
_CASELESS_UNITS: dict[str, str] = {
    "mmol/l": "mmol/L",
    "meq/l": "mmol/L",
    "umol/l": "umol/L",
    "µmol/l": "umol/L",
    "mg/dl": "mg/dL",
    "g/dl": "g/dL",
    "10^3/ml": "/uL",
    "x10^3/ml": "/uL",
    "u/l": "U/L",
    "iu/l": "U/L",
    "inr": "1",
}


def _unit_spelling(unit: str, analyte: str | None) -> str:
    """Return ``unit`` as :mod:`hcctrial.clinical.units` reads it (CDISC "G/L" by analyte)."""
    key = unit.strip().replace(" ", "").lower()
    if key == "g/l":
        return "10^9/L" if analyte in _COUNT_ANALYTES else "g/L"
    return _CASELESS_UNITS.get(key, unit.strip())


def _conversion_factor(unit: str, crit: LabCriteria) -> float:
    """Return the factor taking a value in ``unit`` to ``crit.unit``; UnitError if it does not fit."""
    return _factor(unit, crit.analyte, crit.unit)


@lru_cache(maxsize=1024)
def _factor(unit: str, analyte: str | None, criterion_unit: str) -> float:
    """:func:`_conversion_factor` by its inputs, kept (a page of 100+ labs asks for the same few
    units again and again; errors are not kept, they are raised each time)."""
    from hcctrial.clinical.units import convert, parse_quantity

    spelled = _unit_spelling(unit, analyte)
    if analyte is not None:
        return convert(1.0, spelled, criterion_unit, analyte=analyte)
    quantity = parse_quantity(1.0, spelled, field="unit")
    try:
        return float(quantity.to(criterion_unit).magnitude)
    except Exception as exc:
        raise UnitError(
            f"unit: {unit!r} is not convertible to {criterion_unit}", field="unit"
        ) from exc


def _cannot_grade(
    crit: LabCriteria,
    reason: str,
    missing: tuple[str, ...],
    *,
    convention: str | None = None,
    value: float | None = None,
    unit: str | None = None,
) -> LabGrade:
    return LabGrade(
        term=crit.term,
        version=crit.version,
        grade=None,
        rule=None,
        convention=convention,
        reason=reason,
        missing=missing,
        value=value,
        unit=unit,
    )


def _check_number(name: str, x: float | None, *, positive: bool = False) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise DataValidationError(f"{name}: got {x!r}; expected a finite number", field=name)
    if x < 0 or (positive and x == 0):
        expected = "a positive number" if positive else "a number >= 0"
        raise DataValidationError(f"{name}: got {x!r}; expected {expected}", field=name)
    return float(x)


def _describe(
    value: float, c: LabCriterion, refs: dict[str, float | None], unit_shown: str, threshold: float
) -> str:
    u = f" {unit_shown}" if unit_shown else ""
    if c.bound is not None:
        return f"{value:g}{u} {c.compare} {threshold:g}{u}"
    assert c.of is not None and c.times is not None
    label = _INPUT_LABEL[c.of]
    return f"{value:g}{u} {c.compare} {c.times:g} x {label} ({threshold:g}{u})"


def symptom_convention_note(
    terms: Iterable[str], version: str = "4.03", symptomatic: bool | None = None
) -> str:
    """The footnote naming the symptom convention behind lab-derived grades of ``terms``.

    Some CTCAE lab grades depend on symptoms a lab value does not carry (hypokalemia; in v5.0
    hyponatremia, lipase and amylase): ``symptomatic`` None assumes symptoms (admiral's worst case,
    which raises those grades), True/False says they were recorded.
    """
    v = normalize_version(version)
    crit = lab_criteria(v)
    names = [resolve_lab_term(t, v) for t in terms]
    dependent = [t for t in names if crit[t].symptom_dependent]
    every = [t for t, c in crit.items() if c.symptom_dependent]
    how = {
        None: "symptoms assumed where CTCAE grades by them (admiral's worst case: the higher grade)",
        True: "symptoms recorded as present",
        False: "symptoms recorded as absent (the grade without symptoms)",
    }[symptomatic]
    if not dependent:
        return (
            f"No lab term of this table is graded by symptoms in CTCAE v{v} (those that are: "
            f"{', '.join(every)}; convention: {how})."
        )
    return f"Lab-derived grades of {', '.join(dependent)} (CTCAE v{v}): {how}."


def _same_unit(unit: str, other: str, crit: LabCriteria) -> bool:
    """Whether ``unit`` and ``other`` are the same unit for the term (conversion factor 1)."""
    try:
        a = _conversion_factor(unit, crit)
        b = _conversion_factor(other, crit)
    except UnitError:
        return False
    return math.isclose(a, b, rel_tol=1e-12)


def _applies(c: LabCriterion, symptomatic: bool | None) -> bool:
    """Whether criterion ``c`` applies given what is known of the patient's symptoms."""
    if c.when == "asymptomatic":
        return symptomatic is False
    if (c.convention or "").startswith("symptomatic_"):
        return symptomatic is not False
    return True


def _convention_text(crit: LabCriteria, key: str | None, symptomatic: bool | None) -> str | None:
    if key is None:
        return None
    if key.startswith("symptomatic_") and symptomatic is True:
        return "symptoms recorded: the grade with symptoms applies (no assumption)"
    return crit.convention_text(key)


_SYMPTOMS = {
    None: "assumed symptomatic (admiral worst case)",
    True: "symptomatic",
    False: "asymptomatic",
}


def _baseline_in(
    crit: LabCriteria, baseline: float | None, baseline_unit: str | None, unit: str | None
) -> float | None:
    """The baseline converted from ``baseline_unit`` to the value's ``unit`` (CTCAE v5.0 compares
    a value with its baseline: both must be in one unit)."""
    if baseline is None or baseline_unit is None or not baseline_unit.strip():
        return baseline
    if unit is None or not unit.strip():
        raise DataValidationError(
            f"baseline_unit: got {baseline_unit!r} but the value has no unit; give the value's "
            "unit so that the baseline can be converted to it",
            field="baseline_unit",
        )
    try:
        return baseline * _conversion_factor(baseline_unit, crit) / _conversion_factor(unit, crit)
    except UnitError as exc:
        raise DataValidationError(
            f"baseline_unit: {baseline_unit!r} does not fit {crit.term}: {exc}",
            field="baseline_unit",
        ) from exc


def _check_plausible(crit: LabCriteria, value: float, unit: str, in_crit_unit: float) -> None:
    """Refuse a value no patient can have (:mod:`hcctrial.clinical.plausibility`), naming the unit
    it would fit."""
    if crit.analyte is None or not crit.has_absolute_bounds:
        return
    from hcctrial.clinical.units import ANALYTES, convert, implausible_value_error

    a = ANALYTES[crit.analyte]
    canonical = convert(in_crit_unit, crit.unit, a.canonical_unit, analyte=crit.analyte)
    if not a.low <= _signif15(canonical) <= a.high:
        spelled = _unit_spelling(unit, crit.analyte)
        raise implausible_value_error(
            a, value, spelled, canonical, field="value", shown=f"{value:g} {unit}"
        )


def _clinical_only(
    crit: LabCriteria, v: float, refs: dict[str, float | None], unit_out: str | None
) -> LabGrade:
    """A term CTCAE grades by its consequences: grade 0 within the limit of normal, else "cannot
    grade from the value" with the CTCAE text of grade 1."""
    limit = "lln" if crit.direction == "decreased" else "uln"
    ref = refs[limit]
    if ref is None:
        return _cannot_grade(
            crit, f"no {_INPUT_LABEL[limit]} given", (limit,), value=v, unit=unit_out
        )
    beyond = _compare(v, "<" if limit == "lln" else ">", ref)
    if not beyond:
        return LabGrade(crit.term, crit.version, 0, crit.normal, value=v, unit=unit_out)
    return _cannot_grade(
        crit,
        f"CTCAE v{crit.version} grades {crit.term} by its clinical consequences, not by the value "
        f"(grade 1: '{crit.grade_text(1)}'; grade 2: '{crit.grade_text(2)}'): record it as an "
        "adverse event with its grade",
        ("clinical",),
        value=v,
        unit=unit_out,
    )


def grade_lab(
    term: str,
    value: float | None,
    unit: str | None,
    *,
    uln: float | None = None,
    lln: float | None = None,
    baseline: float | None = None,
    version: str = "4.03",
    symptomatic: bool | None = None,
    baseline_unit: str | None = None,
) -> LabGrade:
    """Return the CTCAE grade of a lab ``value`` measured in ``unit`` for ``term``.

    ``uln``/``lln`` are in the same unit as ``value``; ``baseline`` too, unless ``baseline_unit``
    says otherwise (it is then converted first). ``version`` is "4.03" (default, the trial's) or
    "5.0". ``symptomatic``: for the terms whose grade depends on symptoms (hypokalemia; in v5.0
    hyponatremia, lipase and amylase), True or False when recorded; None assumes symptoms
    (admiral's worst case, named in :attr:`LabGrade.convention`). A value in a unit the CTCAE text
    writes its cut-offs in ("<4.9 mmol/L") is compared with the text's own numbers. Grade None
    with a ``reason`` when the inputs cannot decide the grade; grade 0 only when the value is within
    normal limits by the rules.

    Raises :class:`DataValidationError` for an unknown term (with close matches), an unknown
    version, a value/limit that is not a finite non-negative number, and (:class:`UnitError`) a
    value no patient can have in its unit, naming the unit it would fit.
    """
    version = normalize_version(version)
    name = resolve_lab_term(term, version)
    crit = lab_criteria(version)[name]
    v = _check_number("value", value)
    if v is None:
        return _cannot_grade(crit, "no value given", ("value",), unit=unit)
    refs: dict[str, float | None] = {
        "uln": _check_number("uln", uln, positive=True),
        "lln": _check_number("lln", lln),
        "baseline": _check_number("baseline", baseline),
    }
    refs["baseline"] = _baseline_in(crit, refs["baseline"], baseline_unit, unit)
    scaled = _to_criterion_unit(crit, v, unit, refs)
    if isinstance(scaled, LabGrade):
        return scaled
    v, refs, unit_shown, alt_key, factor = scaled
    return _grade(crit, v, refs, unit_shown, alt_key, factor, symptomatic)


def _to_criterion_unit(
    crit: LabCriteria, v: float, unit: str | None, refs: dict[str, float | None]
) -> LabGrade | tuple[float, dict[str, float | None], str, str | None, float]:
    """(value, references, unit shown, CTCAE-text unit used or None, factor to the criterion
    unit), or the "cannot grade" result of a unit that is missing or does not fit."""
    name = crit.term
    unit_shown = crit.unit if crit.unit != "1" else ""
    if unit is None or not unit.strip():
        if crit.unit == "1":
            unit = "1"
        elif crit.has_absolute_bounds:
            return _cannot_grade(
                crit,
                f"no unit given: {name} has absolute cut-offs in {crit.unit}, so the unit of the "
                "value must be known",
                ("unit",),
                value=v,
            )
        else:
            return v, refs, "", None, 1.0  # ratio-only term: compared in the value's own unit
    try:
        factor = _conversion_factor(unit, crit)
    except UnitError:
        return _cannot_grade(
            crit,
            f"unit {unit!r} does not fit {name}: expected a unit convertible to {crit.unit}",
            ("unit",),
            value=v,
            unit=unit,
        )
    _check_plausible(crit, v, unit, v * factor)
    alt_key = next((u for u in crit.alt_units if _same_unit(unit, u, crit)), None)
    if alt_key is not None:
        return v, refs, alt_key, alt_key, factor
    scaled = {k: (None if r is None else r * factor) for k, r in refs.items()}
    return v * factor, scaled, unit_shown, None, factor


def _grade(
    crit: LabCriteria,
    v: float,
    refs: dict[str, float | None],
    unit_shown: str,
    alt_key: str | None,
    factor: float,
    symptomatic: bool | None,
) -> LabGrade:
    """Apply the criteria from grade 4 down (see the module docstring)."""
    name, version = crit.term, crit.version
    unit_out = unit_shown or None
    if crit.clinical_only:
        return _clinical_only(crit, v, refs, unit_out)
    b = refs["baseline"]
    u = refs["uln"]
    baseline_abnormal = b is not None and u is not None and _compare(b, ">", u)
    status_conventions: list[str] = []
    if crit.uses_baseline_status and b is None:
        status_conventions.append(crit.convention_text("baseline_unknown"))
    symptoms = _SYMPTOMS[symptomatic] if crit.symptom_dependent else None

    def conventions(*keys: str | None) -> str | None:
        texts = [t for k in keys if (t := _convention_text(crit, k, symptomatic))]
        return "; ".join(dict.fromkeys(texts + status_conventions)) or None

    baseline_conventions = tuple(
        c.convention for g in crit.grades for c in g.criteria if c.of == "baseline" and c.convention
    )
    for rule in crit.grades:
        absent = tuple(n for n in rule.needs if refs[n] is None)
        if absent:
            labels = " and ".join(_INPUT_LABEL[n] for n in absent)
            if rule is crit.grades[0]:
                why = f"every grade of {name} is defined relative to it"
            else:
                why = "the value is in no grade that can be decided without it"
            return _cannot_grade(
                crit,
                f"no {labels} given; {why} (grade {rule.grade}: '{rule.text}')",
                absent,
                value=v,
                unit=unit_out,
            )
        for c in rule.criteria:
            if not _applies(c, symptomatic):
                continue
            if c.baseline == "abnormal" and not baseline_abnormal:
                continue
            if c.baseline == "normal" and baseline_abnormal:
                continue
            if c.bound is not None:
                threshold = (
                    c.bound if alt_key is None else dict(c.alt).get(alt_key, c.bound / factor)
                )
            else:
                assert c.of is not None and c.times is not None
                ref = refs[c.of]
                if ref is None:
                    continue  # a comparison with a missing operand does not match
                threshold = c.times * ref
            if _compare(v, c.compare, threshold):
                return LabGrade(
                    term=name,
                    version=version,
                    grade=rule.grade,
                    rule=rule.text,
                    convention=conventions(c.convention),
                    detail=_describe(v, c, refs, unit_shown, threshold),
                    value=v,
                    unit=unit_out,
                    symptoms=symptoms,
                )
    absent = tuple(n for n in crit.normal_needs if refs[n] is None)
    if absent:
        labels = " and ".join(_INPUT_LABEL[n] for n in absent)
        return _cannot_grade(
            crit,
            f"no {labels} given; the value meets no grade criterion, but without it grade 0 "
            f"cannot be told from grade 1 ('{crit.grade_text(1)}')",
            absent,
            convention=conventions(*baseline_conventions) if "baseline" in absent else None,
            value=v,
            unit=unit_out,
        )
    return LabGrade(
        term=name,
        version=version,
        grade=0,
        rule=crit.normal,
        convention=conventions(),
        detail=None,
        value=v,
        unit=unit_out,
        symptoms=symptoms,
    )
