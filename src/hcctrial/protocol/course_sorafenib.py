"""Sorafenib part of the course engine: start, escalate, continue, pause, reduce, resume, stop.

See :mod:`hcctrial.protocol.course` for the rules; every number comes from the regimen file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from hcctrial.protocol.course_result import (
    DEFAULT_SOURCE,
    PAPER,
    PAPER_SOURCE,
    Reason,
    SorafenibLevel,
    SorafenibStep,
    acts_on,
    ongoing,
)
from hcctrial.protocol.record import PatientRecord
from hcctrial.protocol.schema import Regimen

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


def _hfsr_rule(regimen: Regimen, grade: int, occurrence: int) -> Any:
    rows = [r for r in regimen.dose_modifications.hfsr_rules if r.grade == min(grade, 3)]
    for r in rows:
        if not r.occurrences or occurrence in r.occurrences:
            return r
    return max(rows, key=lambda r: max(r.occurrences or [0])) if rows else None


def sorafenib_step(rec: PatientRecord, regimen: Regimen, on: date) -> SorafenibOutcome:
    s = regimen.sorafenib
    if s is None:
        return SorafenibOutcome(SorafenibStep.NONE, None, [])
    dm, st = regimen.dose_modifications, regimen.stopping
    timeline = _timeline(rec)
    current = timeline[-1][1] if timeline else "start"
    seen: dict[int, int] = {}
    opened: list[tuple[int, Reason, SorafenibLevel | None]] = []  # (severity, reason, target)
    for i, ae in enumerate(rec.adverse_events):
        if ae.onset > on or not acts_on(ae, "sorafenib", regimen):
            continue
        where = f"adverse_events[{i}] {ae.term} grade {ae.grade} (onset {ae.onset})"
        if ae.term == dm.hfsr_term:
            seen[ae.grade] = seen.get(ae.grade, 0) + 1
            rule = _hfsr_rule(regimen, ae.grade, seen[ae.grade])
            where += f", occurrence {seen[ae.grade]} at this grade"
        else:
            rule = next(
                (r for r in dm.sorafenib_other_rules if r.min_grade <= ae.grade <= r.max_grade),
                None,
            )
        if rule is None:
            continue
        action = rule.action
        days_n = getattr(rule, "no_improvement_days", None)
        if action == "continue" and days_n is not None:
            end = on if ae.resolution is None or ongoing(ae, on) else ae.resolution
            elapsed = (end - ae.onset).days
            if (ongoing(ae, on) and elapsed >= days_n) or (
                not ongoing(ae, on) and elapsed > days_n
            ):
                action = "interrupt_then_reduce"
                where += f", no improvement within {days_n} days"
        if action == "continue":
            continue
        at_onset = _level_at(timeline, ae.onset)
        if at_onset == "stopped":
            continue
        level0: SorafenibLevel = at_onset if isinstance(at_onset, int) else "start"
        reduced_before = isinstance(level0, int) and level0 < 0
        later = [v for d, v in timeline if d >= ae.onset]
        if "stopped" in later:
            continue
        if action == "discontinue":
            why = Reason("sorafenib_discontinue", where, PAPER["intolerable"], rule.source)
            if reduced_before and st.stop_on_intolerable_toxicity_after_reduction:
                opened.append((4, replace(why, rule="intolerable_after_reduction"), None))
            else:
                opened.append((3, why, None))
            continue
        lower_done = any(
            isinstance(v, int) and daily_mg(regimen, v) < daily_mg(regimen, level0) for v in later
        )
        if lower_done:
            continue
        if ongoing(ae, on):
            resume = rule.resume_when_grade_at_most
            opened.append(
                (
                    2,
                    Reason(
                        "sorafenib_interrupt",
                        f"{where}: ongoing; resume when grade <= {resume}",
                        PAPER["intolerable"],
                        rule.source,
                    ),
                    None,
                )
            )
            continue
        target = _lower(regimen, level0)
        if target is None:
            why = Reason(
                "below_lowest_sorafenib_level",
                f"{where}, at {daily_mg(regimen, level0):g} mg/day, the lowest sorafenib dose",
                PAPER["intolerable"],
                rule.source,
            )
            if reduced_before and st.stop_on_intolerable_toxicity_after_reduction:
                opened.append((4, replace(why, rule="intolerable_after_reduction"), None))
            else:
                opened.append((3, why, None))
            continue
        opened.append(
            (
                1,
                Reason(
                    "sorafenib_reduce",
                    f"{where}: resolved on {ae.resolution}; resume one level lower, level "
                    f"{at_onset} -> {target} ({daily_mg(regimen, target):g} mg/day)",
                    s.levels[-1].quote,
                    rule.source,
                ),
                target,
            )
        )
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
        started = rec.treatment_start or (timeline[0][0] if timeline else None)
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
        ongoing_aes = [
            f"{ae.term} grade {ae.grade}"
            for ae in rec.adverse_events
            if acts_on(ae, "sorafenib", regimen)
            and ae.onset <= on
            and ongoing(ae, on)
            and ae.grade > s.escalate_max_grade
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
