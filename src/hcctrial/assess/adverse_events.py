"""Clinical adverse events: a CTCAE term with its grade, dates and attribution; worst grades.

A research nurse records an adverse event as a CTCAE term, a grade 1-5, onset and resolution dates
and the investigator's attribution to the study treatment. The term is checked against the bundled
CTCAE term list of the version in use -- ``criteria/ctcae_v4.03_terms.json`` (all 790 terms of NCI's
v4.03 list) or ``criteria/ctcae_v5.0_terms.json`` (all 837 terms of v5.0), each term with its SOC,
MedDRA code and the text of every grade; provenance in the files' headers and docs/ctcae.md -- and
stored under its CTCAE name; common names the paper uses are accepted as synonyms ("hand-foot skin
reaction" -> "Palmar-plantar erythrodysesthesia syndrome"). A grade the term does not have in CTCAE
(nausea grade 4; hand-foot skin reaction grade 4) is refused.

Summaries follow CTCAE's rule that per-patient tables use the worst grade: each patient counts once
per term, at the highest grade recorded (the shape of the paper's Table 3).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from hcctrial.errors import DataValidationError

__all__ = [
    "GRADE_TEXT_NOT_BUNDLED",
    "AdverseEvent",
    "Attribution",
    "CtcaeTerm",
    "TermGradeCounts",
    "canonical_adverse_event",
    "count_patients_by_worst_grade",
    "ctcae_terms",
    "validate_term",
    "worst_grade_by_patient_and_term",
]


class Attribution(StrEnum):
    """The investigator's judgement of whether the study treatment caused the event (NCI scale)."""

    UNRELATED = "unrelated"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    PROBABLE = "probable"
    DEFINITE = "definite"

    @property
    def related(self) -> bool:
        """Whether the event counts as treatment-related (possible, probable or definite, as NCI
        expedited reporting counts it)."""
        return self in (Attribution.POSSIBLE, Attribution.PROBABLE, Attribution.DEFINITE)


#: Grade text shown for a grade CTCAE defines but whose text is not bundled (see the JSON header).
GRADE_TEXT_NOT_BUNDLED = "defined in CTCAE v4.03 (grade text not bundled; see the NCI document)"


@dataclass(frozen=True)
class CtcaeTerm:
    """One CTCAE term of the bundled list: its system organ class, grades and synonyms.

    ``grades`` maps 1-5 to the CTCAE text of the grade, or None where CTCAE has no such grade; for
    a term whose grade text is not bundled, a defined grade maps to :data:`GRADE_TEXT_NOT_BUNDLED`.
    ``defined_grades`` lists the grades CTCAE defines; ``meddra_code`` is the term's MedDRA v12.0
    code (None if unknown).
    """

    term: str
    soc: str
    grades: dict[int, str | None]
    synonyms: tuple[str, ...]
    meddra_code: int | None = None
    defined_grades: tuple[int, ...] = ()

    @property
    def valid_grades(self) -> tuple[int, ...]:
        """The grades CTCAE defines for this term."""
        if self.defined_grades:
            return self.defined_grades
        return tuple(g for g, text in sorted(self.grades.items()) if text)

    @property
    def grade_text_bundled(self) -> bool:
        """Whether the CTCAE text of the grades is bundled (else only which grades exist)."""
        return GRADE_TEXT_NOT_BUNDLED not in self.grades.values()


def _terms_file(version: str) -> Path:
    return Path(__file__).with_name("criteria") / f"ctcae_v{version}_terms.json"


_TERMS_FILE = _terms_file("4.03")


def _term_from_entry(entry: dict[str, Any]) -> CtcaeTerm:
    """Build one :class:`CtcaeTerm` from its JSON entry, checking that the entry agrees with itself."""
    name = entry["term"]
    text: dict[int, str | None] | None = (
        {int(g): t for g, t in entry["grades"].items()} if "grades" in entry else None
    )
    defined = tuple(sorted(int(g) for g in entry.get("defined_grades", ())))
    if not defined and text is not None:
        defined = tuple(g for g, t in sorted(text.items()) if t)
    if not defined or any(g not in range(1, 6) for g in defined):
        raise ValueError(
            f"{_TERMS_FILE.name}: term {name!r}: defined grades {defined!r}; expected grades 1-5"
        )
    if text is None:
        text = {g: (GRADE_TEXT_NOT_BUNDLED if g in defined else None) for g in range(1, 6)}
    elif tuple(g for g, t in sorted(text.items()) if t) != defined:
        raise ValueError(
            f"{_TERMS_FILE.name}: term {name!r}: grade text for grades "
            f"{[g for g, t in sorted(text.items()) if t]} but defined grades {list(defined)}"
        )
    code = entry.get("meddra_code")
    return CtcaeTerm(
        term=name,
        soc=entry["soc"],
        grades=text,
        synonyms=tuple(entry.get("synonyms", ())),
        meddra_code=int(code) if code is not None else None,
        defined_grades=defined,
    )


@cache
def ctcae_terms(version: str = "4.03") -> dict[str, CtcaeTerm]:
    """Return the bundled CTCAE terms of ``version`` by their CTCAE name: all 790 terms of v4.03
    (the trial's version) or all 837 of v5.0, each with its SOC, MedDRA code and grade text."""
    from hcctrial.assess.ctcae import normalize_version

    path = _terms_file(normalize_version(version))
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    terms: dict[str, CtcaeTerm] = {}
    for entry in data["terms"]:
        term = _term_from_entry(entry)
        if term.term in terms:
            raise ValueError(f"{path.name}: term {term.term!r} listed twice")
        terms[term.term] = term
    return terms


def _key(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).lower()


@cache
def _lookup(version: str) -> dict[str, str]:
    """Map each lower-cased term name and synonym to the CTCAE name.

    A synonym that names two terms is a bug in the bundled file: ValueError, not a user error.
    """
    table: dict[str, str] = {}
    for name, t in ctcae_terms(version).items():
        for written in (name, *t.synonyms):
            key = _key(written)
            if table.get(key, name) != name:
                raise ValueError(
                    f"{_TERMS_FILE.name}: {written!r} names both {table[key]!r} and {name!r}"
                )
            table[key] = name
    return table


def _suggestions(term: str, table: dict[str, str]) -> list[str]:
    """Return up to 3 CTCAE names close to ``term``: spelling neighbours, else names containing it."""
    key = _key(term)
    close = difflib.get_close_matches(key, list(table), n=3, cutoff=0.6)
    found = list(dict.fromkeys(table[c] for c in close))
    if not found and len(key) >= 4:
        found = list(dict.fromkeys(table[k] for k in sorted(table) if key in k))[:3]
    return found


def validate_term(term: str, version: str = "4.03") -> str:
    """Return the CTCAE name of ``term`` (case-insensitive; synonyms such as "hand-foot skin
    reaction" accepted). Raises :class:`DataValidationError` naming the term, with close matches."""
    from hcctrial.assess.ctcae import normalize_version

    v = normalize_version(version)
    if not isinstance(term, str) or not term.strip():
        raise DataValidationError(
            f"term: got {term!r}; expected a CTCAE v{v} term, e.g. 'Nausea'", field="term"
        )
    table = _lookup(v)
    found = table.get(_key(term))
    if found is not None:
        return found
    suggestions = _suggestions(term, table)
    hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    raise DataValidationError(
        f"term: got {term!r}; expected a term of the bundled CTCAE v{v} list "
        f"({len(ctcae_terms(v))} terms: hcctrial/assess/criteria/{_terms_file(v).name})"
        f"{hint}",
        field="term",
    )


def canonical_adverse_event(term: str, grade: object, version: str = "4.03") -> str:
    """Return the CTCAE name of ``term`` after checking that CTCAE defines ``grade`` for it.

    The one check every door that records an adverse event calls (the course engine's record
    parser, the services, the importers): a synonym ("hand-foot skin reaction") comes back as the
    CTCAE name ("Palmar-plantar erythrodysesthesia syndrome"), so that every rule sees one
    spelling; a grade CTCAE does not define for the term (hand-foot skin reaction grade 4, nausea
    grade 4) raises :class:`DataValidationError` naming the field ``grade``.
    """
    from hcctrial.assess.ctcae import normalize_version

    v = normalize_version(version)
    name = validate_term(term, v)
    if isinstance(grade, bool) or not isinstance(grade, int):
        raise DataValidationError(f"grade: got {grade!r}; expected an integer 1-5", field="grade")
    valid = ctcae_terms(v)[name].valid_grades
    if grade not in valid:
        entered = "" if name == term else f" (entered as {term!r})"
        raise DataValidationError(
            f"grade: got {grade}; CTCAE v{v} grades of {name!r}{entered} are "
            f"{', '.join(str(g) for g in valid)}",
            field="grade",
        )
    return name


@dataclass(frozen=True)
class AdverseEvent:
    """One clinical adverse event of one patient.

    ``term`` is stored under its CTCAE name (a synonym given is replaced); ``grade`` is 1-5 and must
    exist for the term; ``resolution`` is None while the event is ongoing and never before
    ``onset``. ``attribution`` may be given as its text ("possible").
    """

    patient_id: str
    term: str
    grade: int
    onset: date
    resolution: date | None
    attribution: Attribution
    serious: bool = False

    def __post_init__(self) -> None:
        item = f"adverse event ({self.patient_id!r}, {self.term!r}, onset {self.onset})"
        if not isinstance(self.patient_id, str) or not self.patient_id.strip():
            raise DataValidationError(
                f"patient_id: got {self.patient_id!r}; expected a non-empty patient identifier",
                field="patient_id",
            )
        canonical = validate_term(self.term)
        object.__setattr__(self, "term", canonical)
        if isinstance(self.grade, bool) or not isinstance(self.grade, int):
            raise DataValidationError(
                f"{item}: grade: got {self.grade!r}; expected an integer 1-5", field="grade"
            )
        valid = ctcae_terms()[canonical].valid_grades
        if self.grade not in valid:
            raise DataValidationError(
                f"{item}: grade: got {self.grade!r}; CTCAE v4.03 grades of {canonical!r} are "
                f"{', '.join(str(g) for g in valid)}",
                field="grade",
            )
        if not isinstance(self.onset, date):
            raise DataValidationError(
                f"{item}: onset: got {self.onset!r}; expected a date", field="onset"
            )
        if self.resolution is not None:
            if not isinstance(self.resolution, date):
                raise DataValidationError(
                    f"{item}: resolution: got {self.resolution!r}; expected a date or None",
                    field="resolution",
                )
            if self.resolution < self.onset:
                raise DataValidationError(
                    f"{item}: resolution: got {self.resolution}; expected a date on or after "
                    f"the onset {self.onset}",
                    field="resolution",
                )
        try:
            object.__setattr__(self, "attribution", Attribution(self.attribution))
        except ValueError as exc:
            raise DataValidationError(
                f"{item}: attribution: got {self.attribution!r}; expected one of "
                f"{', '.join(a.value for a in Attribution)}",
                field="attribution",
            ) from exc
        if not isinstance(self.serious, bool):
            raise DataValidationError(
                f"{item}: serious: got {self.serious!r}; expected true or false", field="serious"
            )

    @property
    def ongoing(self) -> bool:
        """Whether the event has not resolved."""
        return self.resolution is None

    @property
    def related(self) -> bool:
        """Whether the event is attributed to the study treatment (possible or stronger)."""
        return self.attribution.related


def worst_grade_by_patient_and_term(events: Iterable[AdverseEvent]) -> dict[tuple[str, str], int]:
    """Return the worst (highest) grade of each (patient_id, CTCAE term) that has an event."""
    worst: dict[tuple[str, str], int] = {}
    for e in events:
        key = (e.patient_id, e.term)
        worst[key] = max(worst.get(key, 0), e.grade)
    return worst


@dataclass(frozen=True)
class TermGradeCounts:
    """Patients by worst grade for one term: one row of a toxicity table like the paper's Table 3.

    ``by_grade[g]`` is the number of patients whose worst grade of the term is ``g`` (1-5); each
    patient counts once. ``n_patients`` is the denominator of the percentages (None: not given).
    """

    term: str
    by_grade: dict[int, int] = field(default_factory=dict)
    n_patients: int | None = None

    @property
    def any_grade(self) -> int:
        """Patients with the term at any grade."""
        return sum(self.by_grade.values())

    @property
    def grade_3_or_worse(self) -> int:
        """Patients whose worst grade is 3, 4 or 5."""
        return sum(n for g, n in self.by_grade.items() if g >= 3)

    def percent(self, grade: int) -> float | None:
        """Return the percentage of ``n_patients`` whose worst grade is ``grade`` (None: no n)."""
        if not self.n_patients:
            return None
        return 100.0 * self.by_grade.get(grade, 0) / self.n_patients


def count_patients_by_worst_grade(
    events: Iterable[AdverseEvent],
    *,
    terms: Sequence[str] | None = None,
    n_patients: int | None = None,
    related_only: bool = False,
) -> tuple[TermGradeCounts, ...]:
    """Return, per term, how many patients had each worst grade (the paper's Table 3 layout).

    ``terms`` fixes the rows and their order (names or synonyms; a term without events gets a row of
    zeros); by default the terms that occur, in order of first appearance. ``n_patients`` is the
    denominator of the percentages (all treated patients: Table 3 uses 66). ``related_only`` keeps
    events attributed possible, probable or definite.
    """
    kept = [e for e in events if e.related or not related_only]
    if n_patients is not None and (isinstance(n_patients, bool) or n_patients < 1):
        raise DataValidationError(
            f"n_patients: got {n_patients!r}; expected a positive number of patients",
            field="n_patients",
        )
    worst = worst_grade_by_patient_and_term(kept)
    if n_patients is not None:
        patients = {p for p, _ in worst}
        if len(patients) > n_patients:
            raise DataValidationError(
                f"n_patients: got {n_patients}; expected at least the {len(patients)} patients "
                "who have events",
                field="n_patients",
            )
    rows = (
        [validate_term(t) for t in terms]
        if terms is not None
        else list(dict.fromkeys(e.term for e in kept))
    )
    result = []
    for term in dict.fromkeys(rows):
        counts = {g: 0 for g in range(1, 6)}
        for (_, t), g in worst.items():
            if t == term:
                counts[g] += 1
        result.append(TermGradeCounts(term=term, by_grade=counts, n_patients=n_patients))
    return tuple(result)
