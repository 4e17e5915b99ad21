"""The CTCAE laboratory grading criteria, read from the versioned data files.

``criteria/ctcae_v4.03.toml`` and ``criteria/ctcae_v5.0.toml`` hold, term by term, the CTCAE text of
each grade and its machine-readable reading; this module reads them into frozen dataclasses
(:func:`lab_criteria`) and resolves term names. The grading itself is
:func:`hcctrial.assess.ctcae.grade_lab`.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from hcctrial.errors import DataValidationError

__all__ = [
    "ADMIRAL_TERMS",
    "LAB_TERMS",
    "VERSIONS",
    "GradeRule",
    "LabCriteria",
    "LabCriterion",
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
#: The terms pharmaverse admiral carries grading metadata for (its test vectors are ours).
ADMIRAL_TERMS: tuple[str, ...] = LAB_TERMS
#: Terms added for sorafenib and HCC (issue 13), read from the NCI text by hcctrial.
LAB_TERMS = (
    *ADMIRAL_TERMS,
    "Hypernatremia",
    "Hypocalcemia",
    "Hypercalcemia",
    "Hypomagnesemia",
    "Hypermagnesemia",
    "Hypoglycemia",
    "Hypophosphatemia",
    "Hyperglycemia",
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
    is ``"normal"`` or ``"abnormal"``; ``convention`` names the worst-case assumption it rests on.

    ``alt`` holds the same cut-off as the CTCAE text writes it in other units (``(("mmol/L", 4.9),
    ("g/dL", 8.0))`` beside 80 g/L for anemia): a value given in one of those units is compared
    with the text's own number, so "<4.9 mmol/L" is grade 3 and 4.9 mmol/L is not, whatever the
    molar mass says. ``when = "asymptomatic"`` marks a criterion that applies only when the
    patient is recorded as asymptomatic (the grade CTCAE gives without symptoms).
    """

    compare: Compare
    bound: float | None = None
    times: float | None = None
    of: str | None = None
    baseline: str | None = None
    convention: str | None = None
    alt: tuple[tuple[str, float], ...] = ()
    when: Literal["asymptomatic"] | None = None


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
    #: CTCAE grades the term by its clinical consequences, not by the value (v5.0 hypophosphatemia)
    clinical_only: bool = False

    @property
    def has_absolute_bounds(self) -> bool:
        """Whether any grade compares against a fixed value in :attr:`unit` (so units matter)."""
        return any(c.bound is not None for g in self.grades for c in g.criteria)

    @property
    def alt_units(self) -> tuple[str, ...]:
        """The other units the CTCAE text writes this term's cut-offs in."""
        return tuple(dict.fromkeys(u for g in self.grades for c in g.criteria for u, _ in c.alt))

    @property
    def symptom_dependent(self) -> bool:
        """Whether a grade depends on symptoms the lab value does not carry."""
        return any(
            c.when == "asymptomatic" or (c.convention or "").startswith("symptomatic_")
            for g in self.grades
            for c in g.criteria
        )

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
                        alt=tuple((str(u), float(b)) for u, b in c.get("alt", {}).items()),
                        when=c.get("when"),
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
            clinical_only=bool(t.get("clinical_only", False)),
        )
    return result


def lab_terms(version: str = "4.03") -> tuple[str, ...]:
    """Return the CTCAE lab terms graded in ``version``."""
    return tuple(lab_criteria(version))


@cache
def _terms_by_lower(version: str) -> dict[str, str]:
    """{lower-case name: CTCAE name} of ``version``'s lab terms (built once: every graded lab
    value resolves its term)."""
    return {n.lower(): n for n in lab_terms(version)}


def resolve_lab_term(term: str, version: str = "4.03") -> str:
    """Return the CTCAE name of lab ``term`` (case-insensitive; a few short names accepted).

    Raises :class:`DataValidationError` naming the term and suggesting close matches.
    """
    names = lab_terms(version)
    text = " ".join(str(term).split())
    by_lower = _terms_by_lower(version)
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
