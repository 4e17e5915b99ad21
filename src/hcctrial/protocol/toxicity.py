"""Toxicity events of a patient's record and the toxicity rule each one falls under.

The course engine (:mod:`hcctrial.protocol.course`) sees a toxicity as an :class:`Event`: either a
recorded adverse event (CTCAE term and grade, onset, resolution) or a lab value graded by CTCAE
(:func:`hcctrial.assess.ctcae.grade_lab`, in the regimen's CTCAE version). :func:`rule_for` finds
the row of the regimen's toxicity table (``dose_modifications.toxicity_rules``) an event falls
under; nothing here knows a threshold or a drug of its own.

Readings (the paper is silent; also in docs/protocol.md):

- an adverse event recorded as resolved counts as back to grade 0-1;
- a lab toxicity is resolved on the date of the first later value of the same analyte graded at
  or below the rule's resume grade, and unresolved until then;
- lab values are graded against the baseline of CTCAE v5.0's liver terms: the last value of the
  analyte before the first cycle (or the value itself before any cycle), converted to the unit of
  the value graded;
- occurrence numbers count a term's adverse events at the same grade, in order of onset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from hcctrial.protocol.record import LabEntry, PatientRecord
from hcctrial.protocol.schema import Regimen, ToxicityRule

__all__ = [
    "LAB_TERMS",
    "Event",
    "GradedLab",
    "acting_components",
    "events",
    "graded_labs",
    "parts_for_term",
    "rule_for",
    "term_soc",
]

#: analyte -> the CTCAE lab terms it is graded under (those the grading data files carry)
LAB_TERMS: dict[str, tuple[str, ...]] = {
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
    "sodium": ("Hyponatremia", "Hypernatremia"),
    "potassium": ("Hypokalemia", "Hyperkalemia"),
    "calcium": ("Hypocalcemia", "Hypercalcemia"),
    "magnesium": ("Hypomagnesemia", "Hypermagnesemia"),
    "phosphate": ("Hypophosphatemia",),
    "glucose": ("Hypoglycemia", "Hyperglycemia"),
    "lipase": ("Lipase increased",),
    "amylase": ("Serum amylase increased",),
}


class GradedLab(NamedTuple):
    """One lab value graded under one CTCAE term (grade None: cannot grade, ``text`` says why)."""

    row: int
    lab: LabEntry
    term: str
    grade: int | None
    text: str


@dataclass(frozen=True)
class Event:
    """A toxicity: a recorded adverse event or a graded lab value.

    ``resolution`` is the recorded resolution of an adverse event; for a lab value, ``later`` holds
    the grades of the later values of the same term, from which :meth:`resolved_on` reads when it
    came back to a rule's resume grade.
    """

    term: str
    grade: int
    onset: date
    finding: str
    from_lab: bool
    resolution: date | None = None
    later: tuple[tuple[date, int], ...] = ()
    occurrence: int = 1
    attributed_to: frozenset[str] | None = None

    def resolved_on(self, resume: int | None) -> date | None:
        """The date the event was back to grade <= ``resume`` (None: not yet)."""
        if not self.from_lab:
            return self.resolution
        limit = 1 if resume is None else resume
        return next((d for d, g in self.later if g <= limit), None)

    def ongoing(self, on: date, resume: int | None) -> bool:
        """Whether the event is still above grade ``resume`` on ``on``."""
        res = self.resolved_on(resume)
        return res is None or res > on


def term_soc(term: str, version: str) -> str | None:
    """The system organ class of a CTCAE term (None if the term is not in the bundled list)."""
    from hcctrial.assess.adverse_events import ctcae_terms

    entry = ctcae_terms(version).get(term)
    return None if entry is None else entry.soc


def _fits(rule: ToxicityRule, event: Event, on: date) -> bool:
    if not rule.min_grade <= event.grade <= rule.max_grade:
        return False
    if event.occurrence < rule.min_occurrence:
        return False
    if rule.max_occurrence is not None and event.occurrence > rule.max_occurrence:
        return False
    if rule.state == "any":
        return True
    ongoing = event.ongoing(on, rule.resume_when_grade_at_most)
    return ongoing if rule.state == "ongoing" else not ongoing


def rule_for(event: Event, regimen: Regimen, on: date) -> ToxicityRule | None:
    """Return the toxicity rule ``event`` falls under on ``on`` (most specific first), or None."""
    rules = regimen.dose_modifications.toxicity_rules
    soc = term_soc(event.term, regimen.assessment.ctcae_version)
    tiers = (
        [r for r in rules if event.term in r.terms],
        [r for r in rules if r.soc is not None and r.soc == soc],
        [r for r in rules if r.any_other and event.term not in r.except_terms],
    )
    for tier in tiers:
        for rule in tier:
            if _fits(rule, event, on):
                return rule
    return None


def acting_components(event: Event, rule: ToxicityRule, regimen: Regimen) -> frozenset[str]:
    """The treatment parts ("tace_haic", "sorafenib") ``rule`` acts on for ``event``.

    The investigator's attribution narrows the rule's parts when it names some of them; an
    attribution outside the rule's parts is not allowed to lift the rule (the safer reading).
    """
    parts = regimen.components_of(rule)
    if event.attributed_to:
        narrowed = parts & event.attributed_to
        if narrowed:
            return narrowed
    return parts


def parts_for_term(event: Event, regimen: Regimen) -> frozenset[str]:
    """The treatment parts an event's term concerns at any grade: those of the rows naming the
    term, else those of the any-other row (narrowed by the investigator's attribution)."""
    rules = regimen.dose_modifications.toxicity_rules
    named = [r for r in rules if event.term in r.terms]
    if not named:
        named = [r for r in rules if r.any_other and event.term not in r.except_terms]
    parts: frozenset[str] = frozenset().union(*(regimen.components_of(r) for r in named))
    if event.attributed_to and parts & event.attributed_to:
        return parts & event.attributed_to
    return parts


def _baseline(rec: PatientRecord, lab: LabEntry) -> float | None:
    """The analyte's baseline (last value before the first cycle) in ``lab``'s unit."""
    from hcctrial.clinical.units import convert

    first = rec.cycles[0].date if rec.cycles else lab.date
    before = [x for x in rec.labs if x.analyte == lab.analyte and x.date <= first]
    if not before:
        return None
    b = before[-1]
    if (b.unit or "") == (lab.unit or "") or lab.unit is None or b.unit is None:
        return b.value
    return convert(b.value, b.unit, lab.unit, analyte=lab.analyte)


def graded_labs(rec: PatientRecord, regimen: Regimen, until: date) -> list[GradedLab]:
    """Every lab value up to ``until`` graded under each of its CTCAE terms:
    ``(index, lab, term, grade or None, reason/rule text)``."""
    from hcctrial.assess.ctcae import grade_lab, lab_terms

    version = regimen.assessment.ctcae_version
    known = set(lab_terms(version))
    out = []
    for i, lab in enumerate(rec.labs):
        if lab.date > until:
            continue
        for term in LAB_TERMS.get(lab.analyte, ()):
            if term not in known:
                continue
            g = grade_lab(
                term,
                lab.value,
                lab.unit,
                uln=lab.uln,
                lln=lab.lln,
                baseline=_baseline(rec, lab),
                version=version,
            )
            text = (g.reason or "") if g.grade is None else f"CTCAE v{g.version} '{g.rule}'"
            out.append(GradedLab(i, lab, term, g.grade, text))
    return out


def events(rec: PatientRecord, regimen: Regimen, graded: list[GradedLab], on: date) -> list[Event]:
    """The toxicity events of ``rec`` up to ``on``: adverse events, then lab values of grade >= 1."""
    out: list[Event] = []
    seen: dict[tuple[str, int], int] = {}
    for i, ae in enumerate(rec.adverse_events):
        if ae.onset > on:
            continue
        seen[(ae.term, ae.grade)] = seen.get((ae.term, ae.grade), 0) + 1
        typed = f" (entered as {ae.term_entered!r})" if ae.term_entered else ""
        res = f", resolved {ae.resolution}" if ae.resolution is not None else ", ongoing"
        out.append(
            Event(
                term=ae.term,
                grade=ae.grade,
                onset=ae.onset,
                finding=f"adverse_events[{i}] {ae.term}{typed} grade {ae.grade} from {ae.onset}{res}",
                from_lab=False,
                resolution=ae.resolution,
                occurrence=seen[(ae.term, ae.grade)],
                attributed_to=None if ae.attributed_to is None else frozenset(ae.attributed_to),
            )
        )
    for k, (i, lab, term, grade, text) in enumerate(graded):
        if lab.date > on:
            continue
        if grade is None or grade < 1:
            continue
        later = tuple(
            (x.date, g)
            for _, x, t, g, _ in graded[k + 1 :]
            if t == term and g is not None and lab.date < x.date <= on
        )
        unit = f" {lab.unit}" if lab.unit else ""
        out.append(
            Event(
                term=term,
                grade=grade,
                onset=lab.date,
                finding=f"labs[{i}] {lab.analyte} {lab.value:g}{unit} on {lab.date}: {term} "
                f"grade {grade} ({text})",
                from_lab=True,
                later=later,
            )
        )
    return out
