"""TACE-HAIC part of the course engine: stop, delay, reduce or give the next cycle.

See :mod:`hcctrial.protocol.course` for the rules; every number comes from the regimen file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from hcctrial.protocol import schedule
from hcctrial.protocol.course_result import (
    DEFAULT_SOURCE,
    PAPER,
    PAPER_SOURCE,
    HaicStep,
    Reason,
    acts_on,
    haic_terms,
    ongoing,
)
from hcctrial.protocol.record import PatientRecord
from hcctrial.protocol.schema import HaicToxicityRule, Regimen

__all__ = ["HaicOutcome", "haic_step"]

_LAB_TERM = {
    "anc": "Neutrophil count decreased",
    "platelets": "Platelet count decreased",
    "wbc": "White blood cell decreased",
    "lymphocytes": "Lymphocyte count decreased",
    "hemoglobin": "Anemia",
    "alt": "Alanine aminotransferase increased",
    "ast": "Aspartate aminotransferase increased",
    "bilirubin": "Blood bilirubin increased",
    "alp": "Alkaline phosphatase increased",
    "ggt": "GGT increased",
    "creatinine": "Creatinine increased",
    "albumin": "Hypoalbuminemia",
    "inr": "INR increased",
    "sodium": "Hyponatremia",
}


def _compare(x: float, op: str, y: float) -> bool:
    return {">": x > y, ">=": x >= y, "<": x < y, "<=": x <= y}[op]


@dataclass
class HaicOutcome:
    step: HaicStep
    level: int | None
    reasons: list[Reason]
    stop_all: Reason | None = None
    child_pugh: str | None = None
    child_pugh_class: str | None = None


@dataclass(frozen=True)
class _Event:
    """A toxicity seen after the last cycle: from a graded lab value or a recorded adverse event."""

    term: str
    grade: int
    day: date
    finding: str
    from_lab: bool


def _graded_labs(
    rec: PatientRecord, regimen: Regimen, after: date | None, until: date, warnings: list[str]
) -> list[_Event]:
    """The labs after ``after`` (up to ``until``) whose CTCAE term a HAIC rule names, graded."""
    from hcctrial.assess.ctcae import grade_lab

    terms = haic_terms(regimen)
    first_cycle = rec.cycles[0].date if rec.cycles else until
    out = []
    for i, lab in enumerate(rec.labs):
        term = _LAB_TERM.get(lab.analyte)
        if term not in terms or lab.date > until or (after is not None and lab.date <= after):
            continue
        # CTCAE v5.0 liver terms grade against the baseline: the last value before cycle 1
        before = [x.value for x in rec.labs if x.analyte == lab.analyte and x.date <= first_cycle]
        g = grade_lab(
            term,
            lab.value,
            lab.unit,
            uln=lab.uln,
            lln=lab.lln,
            baseline=before[-1] if before else None,
            version=regimen.assessment.ctcae_version,
        )
        if g.grade is None:
            warnings.append(f"labs[{i}] ({lab.analyte} {lab.value:g}): cannot grade: {g.reason}")
            continue
        unit = f" {lab.unit}" if lab.unit else ""
        finding = (
            f"labs[{i}] {lab.analyte} {lab.value:g}{unit} on {lab.date}: {term} grade "
            f"{g.grade} (CTCAE v{g.version} '{g.rule}')"
        )
        out.append(_Event(term, g.grade, lab.date, finding, from_lab=True))
    return out


def _rule_text(rule: HaicToxicityRule) -> str:
    """The rule in words, from the regimen file (for rules whose numbers the paper does not give)."""
    what = {
        "reduce_one_level": "one HAIC dose level lower (oxaliplatin and 5-FU)",
        "discontinue_haic": "discontinue HAIC",
    }[rule.action]
    resume = (
        f"; delay until grade <= {rule.resume_when_grade_at_most}"
        if rule.resume_when_grade_at_most is not None
        else ""
    )
    grades = (
        f"grade {rule.min_grade}"
        if rule.min_grade == rule.max_grade
        else f"grade {rule.min_grade}-{rule.max_grade}"
    )
    return f"{' / '.join(rule.terms)} {grades}: {what}{resume}"


def _rule_reason(rule: HaicToxicityRule, finding: str) -> Reason:
    """A HAIC rule's reason: the paper's words where it speaks (myelosuppression), else the file's."""
    if "Neutrophil count decreased" in rule.terms or "Platelet count decreased" in rule.terms:
        quote = PAPER["myelosuppression"] + " [" + _rule_text(rule) + "]"
        return Reason(rule.id, finding, quote, "paper (Discussion); amount: " + rule.source)
    return Reason(rule.id, finding, _rule_text(rule), rule.source)


def _child_pugh(rec: PatientRecord, until: date) -> tuple[str | None, str | None, str]:
    """(class letter, label "A6", finding) from the latest labs and clinical exam up to ``until``."""
    from hcctrial.clinical.scores import child_pugh
    from hcctrial.clinical.units import canonical_value

    latest: dict[str, float] = {}
    for lab in rec.labs:
        if lab.date <= until and lab.analyte in ("bilirubin", "albumin", "inr", "pt_prolongation"):
            latest[lab.analyte] = canonical_value(lab.analyte, lab.value, lab.unit)
    missing = [a for a in ("bilirubin", "albumin") if a not in latest]
    if "inr" not in latest and "pt_prolongation" not in latest:
        missing.append("inr (or pt_prolongation)")
    if missing:
        return None, None, f"no {', '.join(missing)} recorded up to {until}"
    ascites, enceph = rec.patient.ascites, rec.patient.encephalopathy
    for ex in rec.liver_exams:
        if ex.date <= until:
            ascites, enceph = ex.ascites, ex.encephalopathy
    inr = latest.get("inr")
    cp = child_pugh(
        latest["bilirubin"],
        latest["albumin"],
        ascites,
        enceph,
        inr=inr,
        pt_prolongation_s=None if inr is not None else latest["pt_prolongation"],
    )
    finding = (
        f"Child-Pugh {cp.label} (points {cp.points}) from the latest labs and exam up to {until}"
    )
    return cp.child_class.value, cp.label, finding


def haic_step(
    rec: PatientRecord, regimen: Regimen, cr_date: date | None, on: date, warnings: list[str]
) -> HaicOutcome:
    """Return what happens to TACE-HAIC next (see :mod:`hcctrial.protocol.course`)."""
    n = len(rec.cycles)
    last = rec.cycles[-1] if n else None
    st, dm = regimen.stopping, regimen.dose_modifications
    if cr_date is not None and st.stop_tace_haic_at_cr:
        why = Reason("cr_stops_tace_haic", f"CR on {cr_date}", PAPER["cr"], PAPER_SOURCE)
        return HaicOutcome(HaicStep.STOP, None, [why])
    if n >= regimen.cycle.max_haic_cycles:
        finding = f"{n} cycles given (maximum {regimen.cycle.max_haic_cycles})"
        why = Reason("max_haic_cycles", finding, PAPER["max_haic"], PAPER_SOURCE)
        return HaicOutcome(HaicStep.STOP, None, [why])
    level = last.haic_level if last is not None else 0
    reasons: list[Reason] = []
    delays: list[Reason] = []
    after = last.date if last is not None else None
    events = _graded_labs(rec, regimen, after, on, warnings)
    for i, ae in enumerate(rec.adverse_events):
        if (
            acts_on(ae, "tace_haic", regimen)
            and ae.onset <= on
            and (after is None or ae.onset > after)
        ):
            finding = f"adverse_events[{i}] {ae.term} grade {ae.grade} from {ae.onset}"
            events.append(_Event(ae.term, ae.grade, ae.onset, finding, from_lab=False))
    triggered: list[tuple[HaicToxicityRule, _Event]] = []
    if last is not None:
        for rule in dm.haic_rules:
            hits = [
                e
                for e in events
                if e.term in rule.terms and rule.min_grade <= e.grade <= rule.max_grade
            ]
            if hits:
                triggered.append((rule, max(hits, key=lambda e: e.grade)))
    stop = [(r, e) for r, e in triggered if r.action == "discontinue_haic"]
    if stop:
        r, e = stop[0]
        return HaicOutcome(HaicStep.STOP, None, [_rule_reason(r, f"{e.finding}, after cycle {n}")])
    reduce_now = [(r, e) for r, e in triggered if r.action == "reduce_one_level"]
    if reduce_now:
        levels = {lv.level for lv in regimen.dosing.haic_levels}
        if level - 1 not in levels:
            finding = "; ".join(e.finding for _, e in reduce_now)
            finding += f", after cycle {n} given at the lowest HAIC level {level}"
            why = Reason("intolerable_after_reduction", finding, PAPER["intolerable"], PAPER_SOURCE)
            if st.stop_on_intolerable_toxicity_after_reduction and level < 0:
                return HaicOutcome(HaicStep.STOP, None, [why], stop_all=why)
            below = replace(why, rule="below_lowest_haic_level", source=dm.below_lowest_haic_level)
            return HaicOutcome(HaicStep.STOP, None, [below])
        level -= 1
        factor = regimen.haic_level(level).factor
        for r, e in reduce_now:
            finding = (
                f"{e.finding}, after cycle {n}: HAIC level {level + 1} -> {level} "
                f"({factor:g} x the full dose of the reducible drugs)"
            )
            reasons.append(_rule_reason(r, finding))
    elif last is not None and level < 0:
        reasons.append(
            Reason(
                "reduction_persists",
                f"HAIC level {level} of cycle {n} is kept",
                PAPER["intolerable"],
                f"{DEFAULT_SOURCE} (a reduced dose is not re-escalated)",
            )
        )
    # before the cycle, each matched toxicity must be back to its rule's resume grade
    for rule in dm.haic_rules:
        resume = rule.resume_when_grade_at_most
        if resume is None or last is None:
            continue
        latest: dict[str, _Event] = {}
        for e in events:
            if e.from_lab and e.term in rule.terms:
                latest[e.term] = e  # labs are in date order: the last one wins
        late = [
            e.finding for e in latest.values() if rule.min_grade <= e.grade and e.grade > resume
        ]
        late += [
            f"adverse_events[{i}] {ae.term} grade {ae.grade} ongoing since {ae.onset}"
            for i, ae in enumerate(rec.adverse_events)
            if ae.term in rule.terms
            and acts_on(ae, "tace_haic", regimen)
            and rule.min_grade <= ae.grade
            and ae.grade > resume
            and ae.onset <= on
            and ongoing(ae, on)
        ]
        for f in late:
            delays.append(_rule_reason(rule, f"{f}: not yet back to grade <= {resume}"))
    cp_class, cp_label, cp_finding = _child_pugh(rec, on)
    if cp_class is None:
        delays.append(
            Reason("child_pugh_for_dosing", cp_finding, PAPER["child_pugh"], PAPER_SOURCE)
        )
    elif cp_class == "C":
        delays.append(
            Reason(
                "child_pugh_c",
                cp_finding + ": the regimen doses Child-Pugh A and B only",
                PAPER["child_pugh"],
                f"{DEFAULT_SOURCE} (Child-Pugh C has no dose: delay and re-check)",
            )
        )
    delays += _pre_cycle_labs(rec, regimen, after, n, on)
    if delays:
        if last is not None:
            window = schedule.next_cycle_window(last.date, regimen)
            limit_day = window.latest + timedelta(days=dm.max_delay_days)
            if on > limit_day:
                why = Reason(
                    "max_delay",
                    f"cycle {n + 1} could not be given by {limit_day} ({dm.max_delay_days} days "
                    f"after its latest due day {window.latest})",
                    PAPER["intolerable"],
                    dm.delay_source,
                )
                return HaicOutcome(HaicStep.STOP, None, [*delays, why], child_pugh=cp_label)
        return HaicOutcome(HaicStep.DELAY, level, reasons + delays, None, cp_label, cp_class)
    step = HaicStep.GIVE_REDUCED if reduce_now else HaicStep.GIVE
    return HaicOutcome(step, level, reasons, None, cp_label, cp_class)


def _pre_cycle_labs(
    rec: PatientRecord, regimen: Regimen, after: date | None, n: int, on: date
) -> list[Reason]:
    """Delays for start-of-cycle lab thresholds that fail or have no value since the last cycle."""
    from hcctrial.clinical.units import canonical_value

    out = []
    for req in regimen.dose_modifications.start_cycle_labs:
        vals = [
            x
            for x in rec.labs
            if x.analyte == req.analyte and x.date <= on and (after is None or x.date > after)
        ]
        rule = f"pre_cycle_{req.analyte}"
        if not vals:
            since = f"since cycle {n} ({after})" if after is not None else "before cycle 1"
            out.append(
                Reason(rule, f"no {req.analyte} recorded {since}", PAPER["labs"], PAPER_SOURCE)
            )
            continue
        x = vals[-1]
        value = canonical_value(x.analyte, x.value, x.unit)
        limit = canonical_value(req.analyte, req.value, req.unit)
        if not _compare(value, req.op, limit):
            unit = f" {x.unit}" if x.unit else ""
            out.append(
                Reason(
                    rule,
                    f"{req.analyte} {x.value:g}{unit} on {x.date}; the cycle needs {req.analyte} "
                    f"{req.op} {req.value:g} {req.unit}",
                    f"{req.analyte} {req.op} {req.value:g} {req.unit} on day 1 of a cycle",
                    req.source,
                )
            )
    return out
