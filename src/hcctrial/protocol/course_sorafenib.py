"""Sorafenib part of the course engine: start, escalate, continue, pause, reduce, resume, stop.

See :mod:`hcctrial.protocol.course` for the rules; every number comes from the regimen file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from hcctrial.protocol.course_haic import intolerable_reason, rule_reason
from hcctrial.protocol.course_result import (
    DEFAULT_SOURCE,
    PAPER,
    PAPER_SOURCE,
    Reason,
    SorafenibLevel,
    SorafenibStep,
)
from hcctrial.protocol.record import PatientRecord
from hcctrial.protocol.schema import Regimen, ToxicityRule
from hcctrial.protocol.toxicity import Event, acting_components, parts_for_term, rule_for

__all__ = ["SorafenibOutcome", "daily_mg", "sorafenib_step"]

# --------------------------------------------------------------------------------------------------
# sorafenib
# --------------------------------------------------------------------------------------------------


@dataclass
class SorafenibOutcome:
    step: SorafenibStep
    level: SorafenibLevel | None
    reasons: list[Reason]
    stop_all: Reason | None = None


def daily_mg(regimen: Regimen, level: SorafenibLevel) -> float:
    s = regimen.sorafenib
    assert s is not None
    if level == "start":
        return s.start_daily_mg
    return next(lv.daily_mg for lv in s.levels if lv.level == level)


def _lower(regimen: Regimen, level: SorafenibLevel) -> int | None:
    """The next level below ``level`` by daily dose (None: ``level`` is the lowest)."""
    s = regimen.sorafenib
    assert s is not None
    current = daily_mg(regimen, level)
    below = [lv for lv in s.levels if lv.daily_mg < current]
    return max(below, key=lambda lv: lv.daily_mg).level if below else None


def _timeline(rec: PatientRecord) -> list[tuple[date, SorafenibLevel | str]]:
    """Recorded sorafenib states by date: levels, "paused", "stopped" (cycles before changes)."""
    out: list[tuple[date, int, SorafenibLevel | str]] = []
    for c in rec.cycles:
        if c.sorafenib_level is not None:
            out.append((c.date, 0, c.sorafenib_level))
    for ch in rec.sorafenib_changes:
        out.append((ch.date, 1, ch.level))
    out.sort(key=lambda t: (t[0], t[1]))
    return [(d, v) for d, _, v in out]


def _level_at(timeline: list[tuple[date, SorafenibLevel | str]], on: date) -> SorafenibLevel | str:
    """The dose level in effect on ``on`` ("paused" looks through to the level before it)."""
    level: SorafenibLevel | str = "start"
    for d, v in timeline:
        if d > on:
            break
        if v != "paused":
            level = v
    return level


def _action(rule: ToxicityRule, event: Event, on: date) -> tuple[str, str]:
    """The sorafenib action of a rule for an event: continue, interrupt (then resume the same
    level), interrupt_then_reduce, or discontinue; and a note on a continue row that escalated."""
    if rule.action == "stop":
        return "discontinue", ""
    if rule.action == "hold":
        lower = rule.on_resume == "one_level_lower"
        return ("interrupt_then_reduce" if lower else "interrupt"), ""
    days_n = rule.no_improvement_days
    if days_n is not None:
        ongoing = event.ongoing(on, rule.resume_when_grade_at_most)
        end = on if ongoing else event.resolved_on(rule.resume_when_grade_at_most) or on
        elapsed = (end - event.onset).days
        if (ongoing and elapsed >= days_n) or (not ongoing and elapsed > days_n):
            return "interrupt_then_reduce", f", no improvement within {days_n} days"
    return "continue", ""


def _opened(
    regimen: Regimen,
    rule: ToxicityRule,
    event: Event,
    action: str,
    where: str,
    timeline: list[tuple[date, SorafenibLevel | str]],
    on: date,
) -> list[tuple[int, Reason, SorafenibLevel | None]]:
    """What one toxicity still asks of sorafenib on ``on``: (severity, reason, target level).

    Severity 4 stops all treatment (a toxicity not tolerated after reduction, when the regimen
    reads "the treatment was discontinued" as all of it), 3 stops sorafenib, 2 interrupts it,
    1 resumes it one level lower; nothing once a lower level (or a stop) is recorded after onset.
    """
    at_onset = _level_at(timeline, event.onset)
    later = [v for d, v in timeline if d >= event.onset]
    if at_onset == "stopped" or "stopped" in later:
        return []
    level0: SorafenibLevel = at_onset if isinstance(at_onset, int) else "start"
    reduced_before = isinstance(level0, int) and level0 < 0

    def stop(why: Reason) -> list[tuple[int, Reason, SorafenibLevel | None]]:
        if reduced_before:
            text = f"{why.finding}, after a reduction to {daily_mg(regimen, level0):g} mg/day"
            intolerable, stop_all = intolerable_reason(regimen, text, "sorafenib")
            return [(4 if stop_all else 3, intolerable, None)]
        return [(3, why, None)]

    if action == "discontinue":
        return stop(replace(rule_reason(rule, where), rule="sorafenib_discontinue"))
    lower_done = any(
        isinstance(v, int) and daily_mg(regimen, v) < daily_mg(regimen, level0) for v in later
    )
    if lower_done:
        return []
    resume = rule.resume_when_grade_at_most
    if event.ongoing(on, resume):
        why = rule_reason(rule, f"{where}: ongoing; resume when grade <= {resume}")
        return [(2, replace(why, rule="sorafenib_interrupt"), None)]
    if action == "interrupt":
        return []  # resumed at the same level (sorafenib_resume when recorded as paused)
    target = _lower(regimen, level0)
    if target is None:
        why = rule_reason(
            rule, f"{where}, at {daily_mg(regimen, level0):g} mg/day, the lowest sorafenib dose"
        )
        return stop(replace(why, rule="below_lowest_sorafenib_level"))
    why = rule_reason(
        rule,
        f"{where}: resolved on {event.resolved_on(resume)}; resume one level lower, level "
        f"{at_onset} -> {target} ({daily_mg(regimen, target):g} mg/day)",
    )
    return [(1, replace(why, rule="sorafenib_reduce"), target)]


def sorafenib_step(
    rec: PatientRecord, regimen: Regimen, events: list[Event], on: date
) -> SorafenibOutcome:
    """Return what happens to sorafenib next (see :mod:`hcctrial.protocol.course`)."""
    s = regimen.sorafenib
    if s is None:
        return SorafenibOutcome(SorafenibStep.NONE, None, [])
    timeline = _timeline(rec)
    current = timeline[-1][1] if timeline else "start"
    started = rec.treatment_start or (timeline[0][0] if timeline else None)
    opened: list[tuple[int, Reason, SorafenibLevel | None]] = []  # (severity, reason, target)
    for event in events:
        if event.onset > on or (event.from_lab and (started is None or event.onset < started)):
            continue
        rule = rule_for(event, regimen, on)
        if rule is None or "sorafenib" not in acting_components(event, rule, regimen):
            continue
        action, note = _action(rule, event, on)
        where = event.finding
        if not event.from_lab and (rule.min_occurrence > 1 or rule.max_occurrence is not None):
            where += f", occurrence {event.occurrence} at this grade"
        where += note
        if action == "continue":
            continue
        opened += _opened(regimen, rule, event, action, where, timeline, on)
    if opened:
        severity = max(o[0] for o in opened)
        top = [o for o in opened if o[0] == severity]
        reasons = [o[1] for o in top]
        if severity == 4:
            return SorafenibOutcome(SorafenibStep.STOP, None, reasons, stop_all=reasons[0])
        if severity == 3:
            return SorafenibOutcome(SorafenibStep.STOP, None, reasons)
        if severity == 2:
            held = _level_at(timeline, on)
            resume_at: SorafenibLevel = held if isinstance(held, int) else "start"
            return SorafenibOutcome(SorafenibStep.PAUSE, resume_at, reasons)
        targets = [t for t in (o[2] for o in top) if t is not None]
        chosen = min(targets, key=lambda t: daily_mg(regimen, t))
        return SorafenibOutcome(SorafenibStep.REDUCE, chosen, reasons)
    if current == "stopped":
        d = next(d for d, v in reversed(timeline) if v == "stopped")
        return SorafenibOutcome(
            SorafenibStep.STOPPED,
            None,
            [
                Reason(
                    "sorafenib_stopped",
                    f"sorafenib recorded as stopped on {d}",
                    PAPER["intolerable"],
                    PAPER_SOURCE,
                )
            ],
        )
    if current == "paused":
        lv = _level_at(timeline, on)
        assert lv != "stopped"
        return SorafenibOutcome(
            SorafenibStep.RESUME,
            lv,  # type: ignore[arg-type]
            [
                Reason(
                    "sorafenib_resume",
                    f"paused with no open toxicity rule: resume level {lv}",
                    PAPER["intolerable"],
                    DEFAULT_SOURCE,
                )
            ],
        )
    if current == "start":
        if started is None:
            return SorafenibOutcome(
                SorafenibStep.START,
                "start",
                [
                    Reason(
                        "sorafenib_start",
                        f"start {s.start_schedule} before TACE-HAIC",
                        s.start_quote,
                        PAPER_SOURCE,
                    )
                ],
            )
        days = (on - started).days
        # a toxicity that holds the cycle (grade >= the regimen's hold grade, whichever drug the
        # rules blame) is no "acceptable tolerance" either: the starting dose is kept, never raised
        # while the engine holds the rest of the treatment for it (fail safe)
        severe = regimen.dose_modifications.hold_cycle_while_grade_at_least
        ongoing_aes = [
            f"{e.term} grade {e.grade}"
            for e in events
            if e.grade > s.escalate_max_grade
            and e.onset <= on
            and not (e.from_lab and e.onset < started)
            and e.ongoing(on, s.escalate_max_grade)
            and (e.grade >= severe or "sorafenib" in parts_for_term(e, regimen))
        ]
        if days >= s.escalate_after_days and not ongoing_aes:
            return SorafenibOutcome(
                SorafenibStep.ESCALATE,
                0,
                [
                    Reason(
                        "sorafenib_escalate",
                        f"{days} days on the starting dose since {started} with no related "
                        f"adverse event above grade {s.escalate_max_grade} ongoing: "
                        f"{daily_mg(regimen, 'start'):g} -> {daily_mg(regimen, 0):g} mg/day",
                        s.escalate_when,
                        s.escalate_source,
                    )
                ],
            )
        why_text = (
            f"{days} of {s.escalate_after_days} days on the starting dose"
            if not ongoing_aes
            else "ongoing " + ", ".join(ongoing_aes)
        )
        return SorafenibOutcome(
            SorafenibStep.CONTINUE,
            "start",
            [
                Reason(
                    "sorafenib_no_escalation",
                    f"starting dose kept: {why_text}",
                    s.escalate_when,
                    s.escalate_source,
                )
            ],
        )
    assert isinstance(current, int)
    return SorafenibOutcome(SorafenibStep.CONTINUE, current, [])
