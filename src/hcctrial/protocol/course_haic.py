"""TACE-HAIC part of the course engine: stop, hold (delay), reduce or give the next cycle.

See :mod:`hcctrial.protocol.course` for the order of the rules. Every number and every toxicity
action comes from the regimen file: the toxicity table (:mod:`hcctrial.protocol.toxicity`), the
pre-cycle checks (:mod:`hcctrial.protocol.pre_cycle`) and the stopping readings.
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
)
from hcctrial.protocol.pre_cycle import PreCycleCheck
from hcctrial.protocol.record import PatientRecord
from hcctrial.protocol.schema import Regimen, ToxicityRule
from hcctrial.protocol.toxicity import Event, acting_components, rule_for

__all__ = ["HaicOutcome", "haic_step", "intolerable_reason", "rule_reason"]


@dataclass
class HaicOutcome:
    step: HaicStep
    level: int | None
    reasons: list[Reason]
    stop_all: Reason | None = None
    child_pugh: str | None = None
    child_pugh_class: str | None = None
    bsa_m2: float | None = None
    bsa_note: str | None = None


def rule_reason(rule: ToxicityRule, finding: str) -> Reason:
    """A toxicity rule's reason: the rule in words, the paper's words where it speaks, the source."""
    quote = rule.describe() if not rule.quote else f"{rule.quote} [{rule.describe()}]"
    return Reason(
        rule.id,
        finding,
        quote,
        rule.source,
        interpretation=rule.interpretation,
        alternative=rule.alternative or None,
    )


def intolerable_reason(regimen: Regimen, finding: str, drug: str) -> tuple[Reason, bool]:
    """The reason for a toxicity not tolerated after reduction, and whether it stops everything.

    "If the patient still could not tolerate treatment, the treatment was discontinued": the
    regimen's ``stopping.intolerable_after_reduction_stops`` says whether "the treatment" is all of
    it or the drug not tolerated; either way the decision says it chose.
    """
    st = regimen.stopping
    stop_all = st.stop_on_intolerable_toxicity_after_reduction and (
        st.intolerable_after_reduction_stops == "all"
    )
    if stop_all:
        alternative = f"stop {drug} only; the other drugs go on"
        finding += ": stop all treatment"
    else:
        alternative = "stop all treatment"
        finding += f": stop {drug}; the other drugs go on"
    why = Reason(
        "intolerable_after_reduction",
        finding,
        PAPER["intolerable"],
        st.intolerable_reading_source,
        interpretation=True,
        alternative=alternative,
    )
    return why, stop_all


@dataclass(frozen=True)
class _Hit:
    event: Event
    rule: ToxicityRule
    ongoing: bool
    since_last: bool


def _hits(events: list[Event], regimen: Regimen, last: date | None, on: date) -> list[_Hit]:
    """Events whose rule acts on TACE-HAIC, with their state on ``on``."""
    out = []
    for e in events:
        rule = rule_for(e, regimen, on)
        if rule is None or "tace_haic" not in acting_components(e, rule, regimen):
            continue
        resume = rule.resume_when_grade_at_most
        res = e.resolved_on(resume)
        ongoing = res is None or res > on
        since_last = last is not None and (e.onset > last or res is None or res > last)
        out.append(_Hit(e, rule, ongoing, since_last))
    return out


def _effective_action(hit: _Hit, on: date) -> tuple[str, str]:
    """(action, on_resume) of a hit: a continue row with ``no_improvement_days`` turns into hold
    one level lower once the event has lasted that long without resolving."""
    rule = hit.rule
    if rule.action == "continue" and rule.no_improvement_days is not None:
        end = hit.event.resolved_on(rule.resume_when_grade_at_most) or on
        if (end - hit.event.onset).days >= rule.no_improvement_days and (
            hit.ongoing or (end - hit.event.onset).days > rule.no_improvement_days
        ):
            return "hold", "one_level_lower"
    return rule.action, rule.on_resume


def _global_holds(events: list[Event], regimen: Regimen, on: date) -> list[Reason]:
    """Every unresolved toxicity of at least the regimen's hold grade holds the cycle."""
    dm = regimen.dose_modifications
    g = dm.hold_cycle_while_grade_at_least
    out = []
    for e in events:
        if e.grade >= g and e.ongoing(on, g - 1):
            out.append(
                Reason(
                    "unresolved_grade_3_toxicity" if g == 3 else f"unresolved_grade_{g}_toxicity",
                    f"{e.finding}: not yet below grade {g}",
                    PAPER["intolerable"],
                    dm.hold_cycle_source,
                )
            )
    return out


def _cr_stop(regimen: Regimen, cr: tuple[date, date | None] | None) -> Reason | None:
    """TACE-HAIC stops at a CR read as the regimen says (confirmed, or a single scan)."""
    st = regimen.stopping
    if cr is None or not st.stop_tace_haic_at_cr:
        return None
    first, confirmed = cr
    if st.cr_reading == "single_scan":
        return Reason(
            "cr_stops_tace_haic",
            f"CR on {first} (a single scan: stopping.cr_reading)",
            PAPER["cr"],
            st.cr_reading_source,
            interpretation=True,
            alternative=f"wait for a CR confirmed at >= {st.cr_confirm_weeks} weeks",
        )
    if confirmed is None:
        return None
    return Reason(
        "cr_stops_tace_haic",
        f"CR on {first} confirmed on {confirmed} (>= {st.cr_confirm_weeks} weeks later)",
        PAPER["cr"],
        st.cr_reading_source,
        interpretation=True,
        alternative="stop TACE-HAIC at the first CR scan",
    )


def haic_step(
    rec: PatientRecord,
    regimen: Regimen,
    events: list[Event],
    check: PreCycleCheck,
    cr: tuple[date, date | None] | None,
    on: date,
) -> HaicOutcome:
    """Return what happens to TACE-HAIC next (see :mod:`hcctrial.protocol.course`)."""
    n = len(rec.cycles)
    last = rec.cycles[-1] if n else None
    last_day = last.date if last is not None else None
    dm = regimen.dose_modifications
    stop_cr = _cr_stop(regimen, cr)
    if stop_cr is not None:
        return HaicOutcome(HaicStep.STOP, None, [stop_cr])
    if n >= regimen.cycle.max_haic_cycles:
        finding = f"{n} cycles given (maximum {regimen.cycle.max_haic_cycles})"
        why = Reason("max_haic_cycles", finding, PAPER["max_haic"], PAPER_SOURCE)
        return HaicOutcome(HaicStep.STOP, None, [why])
    level = last.haic_level if last is not None else 0
    reasons: list[Reason] = []
    delays: list[Reason] = []
    reduce_now: list[_Hit] = []
    for hit in _hits(events, regimen, last_day, on):
        action, on_resume = _effective_action(hit, on)
        if action == "stop" and (hit.ongoing or hit.since_last or last is None):
            why = rule_reason(hit.rule, f"{hit.event.finding}, after cycle {n}")
            return HaicOutcome(HaicStep.STOP, None, [why])
        if action != "hold":
            continue
        if hit.ongoing:
            resume = hit.rule.resume_when_grade_at_most
            delays.append(
                rule_reason(hit.rule, f"{hit.event.finding}: not yet back to grade <= {resume}")
            )
        if hit.since_last and on_resume == "one_level_lower":
            reduce_now.append(hit)
    if reduce_now:
        levels = {lv.level for lv in regimen.dosing.haic_levels}
        if level - 1 not in levels:
            finding = "; ".join(h.event.finding for h in reduce_now)
            finding += f", after cycle {n} given at the lowest HAIC level {level}"
            if level < 0:
                why, stop_all = intolerable_reason(regimen, finding, "TACE-HAIC")
                return HaicOutcome(HaicStep.STOP, None, [why], stop_all=why if stop_all else None)
            below = Reason(
                "below_lowest_haic_level", finding, PAPER["intolerable"], dm.below_lowest_haic_level
            )
            return HaicOutcome(HaicStep.STOP, None, [below])
        level -= 1
        factor = regimen.haic_level(level).factor
        for h in {id(h.rule): h for h in reduce_now}.values():
            finding = (
                f"{h.event.finding}, after cycle {n}: HAIC level {level + 1} -> {level} "
                f"({factor:g} x the full dose of the reducible drugs)"
            )
            reasons.append(rule_reason(h.rule, finding))
    elif last is not None and level < 0:
        reasons.append(
            Reason(
                "reduction_persists",
                f"HAIC level {level} of cycle {n} is kept",
                PAPER["intolerable"],
                f"{DEFAULT_SOURCE} (a reduced dose is not re-escalated)",
            )
        )
    delays += _global_holds(events, regimen, on)
    delays += check.holds
    out = HaicOutcome(
        HaicStep.GIVE,
        level,
        reasons,
        None,
        check.child_pugh_label,
        check.child_pugh_class,
        check.bsa_m2,
        check.bsa_note,
    )
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
                return HaicOutcome(
                    HaicStep.STOP, None, [*delays, why], child_pugh=check.child_pugh_label
                )
        return replace(out, step=HaicStep.DELAY, reasons=reasons + _unique(delays))
    return replace(out, step=HaicStep.GIVE_REDUCED if reduce_now else HaicStep.GIVE)


def _unique(reasons: list[Reason]) -> list[Reason]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in reasons:
        if (r.rule, r.finding) not in seen:
            seen.add((r.rule, r.finding))
            out.append(r)
    return out
