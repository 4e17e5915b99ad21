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

import difflib
import math
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

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
]

#: CTCAE versions with bundled criteria files.
VERSIONS: tuple[str, ...] = ("4.03", "5.0")

#: The lab terms graded (CTCAE's own names; the same set in v4.03 and v5.0).
LAB_TERMS: tuple[str, ...] = (
    "Platelet count decreased",
    "Neutrophil count decreased",
    "White blood cell decreased",
    "Anemia",
    "Lymphocyte count decreased",
    "Alanine aminotransferase increased",
    "Aspartate aminotransferase increased",
    "Blood bilirubin increased",
    "Alkaline phosphatase increased",
    "GGT increased",
    "Creatinine increased",
    "Hypoalbuminemia",
    "INR increased",
    "Hyponatremia",
    "Hypokalemia",
    "Hyperkalemia",
    "Lipase increased",
    "Serum amylase increased",
)

#: Common short names accepted for a CTCAE lab term (lower case -> CTCAE term).
_TERM_ALIASES: dict[str, str] = {
    "alt increased": "Alanine aminotransferase increased",
    "ast increased": "Aspartate aminotransferase increased",
    "alp increased": "Alkaline phosphatase increased",
    "bilirubin increased": "Blood bilirubin increased",
    "amylase increased": "Serum amylase increased",
    "gamma-glutamyl transferase increased": "GGT increased",
    "wbc decreased": "White blood cell decreased",
}

_INPUT_LABEL = {
    "value": "value",
    "uln": "ULN",
    "lln": "LLN",
    "baseline": "baseline",
    "unit": "unit",
}
Compare = Literal[">", ">=", "<", "<="]


@dataclass(frozen=True)
class LabCriterion:
    """One machine-readable reading of a CTCAE grade: ``value <compare> bound`` or
    ``value <compare> times x of`` (of = uln | lln | baseline), optionally only when the baseline
    is ``"normal"`` or ``"abnormal"``; ``convention`` names the worst-case assumption it rests on."""

    compare: Compare
    bound: float | None = None
    times: float | None = None
    of: str | None = None
    baseline: str | None = None
    convention: str | None = None


@dataclass(frozen=True)
class GradeRule:
    """One CTCAE grade of a term: its quoted ``text``, the inputs it ``needs`` and its criteria."""

    grade: int
    text: str
    needs: tuple[str, ...]
    criteria: tuple[LabCriterion, ...]


@dataclass(frozen=True)
class LabCriteria:
    """The grading rules of one CTCAE lab term in one version."""

    term: str
    version: str
    soc: str
    direction: Literal["increased", "decreased"]
    analyte: str | None
    unit: str
    normal: str
    normal_needs: tuple[str, ...]
    grades: tuple[GradeRule, ...]
    conventions: tuple[tuple[str, str], ...]

    @property
    def has_absolute_bounds(self) -> bool:
        """Whether any grade compares against a fixed value in :attr:`unit` (so units matter)."""
        return any(c.bound is not None for g in self.grades for c in g.criteria)

    @property
    def uses_baseline_status(self) -> bool:
        """Whether some criterion applies only for a normal or an abnormal baseline (v5.0 liver)."""
        return any(c.baseline is not None for g in self.grades for c in g.criteria)

    def convention_text(self, key: str) -> str:
        """Return the text of convention ``key`` of this version's criteria file."""
        return dict(self.conventions)[key]

    def grade_text(self, grade: int) -> str:
        """Return the quoted CTCAE text of ``grade`` (``"-"``: the grade does not exist)."""
        for g in self.grades:
            if g.grade == grade:
                return g.text
        return "-"


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
        }


def normalize_version(version: str) -> str:
    """Return the canonical CTCAE version ("4.03" or "5.0") for ``version`` ("v5", "5.0", ...)."""
    text = str(version).strip().lower().removeprefix("ctcae").strip().removeprefix("v").strip()
    canonical = {"4.03": "4.03", "5": "5.0", "5.0": "5.0", "5.0.0": "5.0"}.get(text)
    if canonical is None:
        raise DataValidationError(
            f"version: got {version!r}; expected a CTCAE version with bundled criteria: "
            f"{', '.join(VERSIONS)}",
            field="version",
        )
    return canonical


@cache
def lab_criteria(version: str = "4.03") -> dict[str, LabCriteria]:
    """Return the lab grading rules of CTCAE ``version``, by term, read from its criteria file."""
    version = normalize_version(version)
    path = Path(__file__).with_name("criteria") / f"ctcae_v{version}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    conventions = tuple((k, str(v)) for k, v in data["conventions"].items())
    result: dict[str, LabCriteria] = {}
    for t in data["term"]:
        grades = tuple(
            GradeRule(
                grade=int(g["grade"]),
                text=str(g["text"]),
                needs=tuple(g.get("needs", ())),
                criteria=tuple(
                    LabCriterion(
                        compare=c["compare"],
                        bound=c.get("bound"),
                        times=c.get("times"),
                        of=c.get("of"),
                        baseline=c.get("baseline"),
                        convention=c.get("convention"),
                    )
                    for c in g["criteria"]
                ),
            )
            for g in t["grade"]
        )
        result[t["name"]] = LabCriteria(
            term=t["name"],
            version=version,
            soc=t["soc"],
            direction=t["direction"],
            analyte=t.get("analyte"),
            unit=t["unit"],
            normal=t["normal"],
            normal_needs=tuple(t.get("normal_needs", ())),
            grades=grades,
            conventions=conventions,
        )
    return result


def lab_terms(version: str = "4.03") -> tuple[str, ...]:
    """Return the CTCAE lab terms graded in ``version``."""
    return tuple(lab_criteria(version))


def resolve_lab_term(term: str, version: str = "4.03") -> str:
    """Return the CTCAE name of lab ``term`` (case-insensitive; a few short names accepted).

    Raises :class:`DataValidationError` naming the term and suggesting close matches.
    """
    names = lab_terms(version)
    text = " ".join(str(term).split())
    by_lower = {n.lower(): n for n in names}
    found = by_lower.get(text.lower()) or _TERM_ALIASES.get(text.lower())
    if found is not None:
        return found
    candidates = list(by_lower) + list(_TERM_ALIASES)
    close = difflib.get_close_matches(text.lower(), candidates, n=3, cutoff=0.5)
    suggestions = list(dict.fromkeys(by_lower.get(c) or _TERM_ALIASES[c] for c in close))
    hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    raise DataValidationError(
        f"term: got {term!r}; expected a CTCAE v{normalize_version(version)} lab term "
        f"({', '.join(names)}){hint}",
        field="term",
    )


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
    from hcctrial.clinical.units import convert, parse_quantity

    spelled = _unit_spelling(unit, crit.analyte)
    if crit.analyte is not None:
        return convert(1.0, spelled, crit.unit, analyte=crit.analyte)
    quantity = parse_quantity(1.0, spelled, field="unit")
    try:
        return float(quantity.to(crit.unit).magnitude)
    except Exception as exc:
        raise UnitError(f"unit: {unit!r} is not convertible to {crit.unit}", field="unit") from exc


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


def _describe(value: float, c: LabCriterion, refs: dict[str, float | None], unit_shown: str) -> str:
    u = f" {unit_shown}" if unit_shown else ""
    if c.bound is not None:
        return f"{value:g}{u} {c.compare} {c.bound:g}{u}"
    assert c.of is not None and c.times is not None
    ref = refs[c.of]
    assert ref is not None
    label = _INPUT_LABEL[c.of]
    return f"{value:g}{u} {c.compare} {c.times:g} x {label} ({c.times * ref:g}{u})"


def grade_lab(
    term: str,
    value: float | None,
    unit: str | None,
    *,
    uln: float | None = None,
    lln: float | None = None,
    baseline: float | None = None,
    version: str = "4.03",
) -> LabGrade:
    """Return the CTCAE grade of a lab ``value`` measured in ``unit`` for ``term``.

    ``uln``/``lln``/``baseline`` are in the same unit as ``value``. ``version`` is "4.03" (default,
    the trial's) or "5.0". Grade None with a ``reason`` when the inputs cannot decide the grade;
    grade 0 only when the value is within normal limits by the rules.

    Raises :class:`DataValidationError` for an unknown term (with close matches), an unknown
    version, or a value/limit that is not a finite non-negative number.
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

    # Units: bring the value and its references into the criterion's unit.
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
            unit_shown = ""  # ratio-only term: compared as given, in the value's own unit
    if unit is not None and unit.strip():
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
        v = v * factor
        refs = {k: (None if r is None else r * factor) for k, r in refs.items()}
        if crit.analyte is not None and crit.has_absolute_bounds:
            from hcctrial.clinical.units import ANALYTES, convert

            a = ANALYTES[crit.analyte]
            canonical = convert(v, crit.unit, a.canonical_unit, analyte=crit.analyte)
            if not a.low <= _signif15(canonical) <= a.high:
                return _cannot_grade(
                    crit,
                    f"value {value:g} {unit} is {canonical:.4g} {a.canonical_unit}, outside the "
                    f"physiological range [{a.low:g}, {a.high:g}] {a.canonical_unit} of "
                    f"{a.description or a.name}; check the value and its unit",
                    ("unit",),
                    value=v,
                    unit=crit.unit,
                )

    unit_out = unit_shown or None
    b = refs["baseline"]
    u = refs["uln"]
    baseline_abnormal = b is not None and u is not None and _compare(b, ">", u)
    status_conventions: list[str] = []
    if crit.uses_baseline_status and b is None:
        status_conventions.append(crit.convention_text("baseline_unknown"))

    def conventions(*keys: str | None) -> str | None:
        texts = [crit.convention_text(k) for k in keys if k] + status_conventions
        return "; ".join(dict.fromkeys(texts)) or None

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
            if c.baseline == "abnormal" and not baseline_abnormal:
                continue
            if c.baseline == "normal" and baseline_abnormal:
                continue
            if c.bound is not None:
                threshold = c.bound
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
                    detail=_describe(v, c, refs, unit_shown),
                    value=v,
                    unit=unit_out,
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
    )
