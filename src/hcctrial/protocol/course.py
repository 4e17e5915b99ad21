"""The patient's course through the protocol: the next step, with its reasons.

:func:`next_step` reads a patient's record so far (:mod:`hcctrial.protocol.record`) and a regimen
(:mod:`hcctrial.protocol.schema`) and returns a frozen :class:`CourseDecision`: the action, the
TACE-HAIC step and the sorafenib step, each reason quoting the protocol rule and its source (the
seed paper's words, or the regimen file's ``source`` "hcctrial default; paper silent (...)"), the
next cycle's number, HAIC level and dose sheet (from :func:`hcctrial.protocol.dosing.dose_sheet`;
no dose is computed here), the sorafenib level, and the dates of the next cycle, imaging and AFP.

Rules, in the order they are applied (numbers from the regimen file):

1. **Off study** — death, withdrawal (refusal), or PD seen ``stopping.stop_all_at_pd_count``
   times (the paper: twice) stop everything. The first PD is the PFS event; treatment goes on.
2. **TACE-HAIC** — stops after a CR (``stopping.stop_tace_haic_at_cr``; sorafenib goes on) and
   after ``cycle.max_haic_cycles`` cycles. Otherwise toxicities after the last cycle (lab values
   graded by :func:`hcctrial.assess.ctcae.grade_lab` from their ULN/LLN, and recorded adverse
   events) are matched with ``dose_modifications.haic_rules``: a match lowers the HAIC level by one
   (once per cycle; levels persist), ``discontinue_haic`` stops HAIC. A reduction needed at the
   lowest level is intolerable toxicity after reduction: everything stops
   (``stopping.stop_on_intolerable_toxicity_after_reduction``). The cycle is delayed while a
   matched toxicity is above the rule's ``resume_when_grade_at_most``, while a
   ``start_cycle_labs`` threshold fails or the pre-cycle value is missing, or while Child-Pugh
   (from the latest labs, :func:`hcctrial.clinical.scores.child_pugh`) is C or cannot be computed;
   a cycle delayed more than ``max_delay_days`` past its window is not given and HAIC stops.
3. **Sorafenib** — the starting dose is escalated to level 0 after ``escalate_after_days`` with no
   related adverse event above ``escalate_max_grade`` ongoing, and no toxicity of the grade that
   holds the cycle (``hold_cycle_while_grade_at_least``, whichever drug it is blamed on) not yet
   back to ``escalate_max_grade`` (fail safe: never a higher dose while the rest of the treatment
   waits for a toxicity to settle); the hand-foot skin reaction follows
   ``hfsr_rules`` (grade and occurrence number), other related toxicities
   ``sorafenib_other_rules``. ``interrupt_then_reduce``: pause while the event is ongoing, then
   resume one level lower; the step counts as done once a lower level is recorded after the onset.
   A reduction below the lowest level, or a ``discontinue`` rule, stops sorafenib; when the
   patient had already been reduced this is intolerable toxicity after reduction (stop all).
   The starting dose counts as the level of the same daily dose (seed: 400 mg/day = level -2):
   a reduction from it is below the lowest level.

Readings of ours (the paper is silent; also in ``examples/records/README.md``): an adverse event
recorded as resolved counts as resolved to grade 0-1; a grade-2 first hand-foot skin reaction
"without improvement within 7 days" is one still ongoing on day 7 or resolved after day 7; lab
toxicities act on TACE-HAIC only (record an adverse event attributed to sorafenib to act on it).

Dates: the next cycle is due ``cycle.min_weeks``-``max_weeks`` after the last; imaging after
every ``imaging_every_n_cycles``-th cycle (``min_weeks`` after it, before the next one; later
ones projected at ``min_weeks`` per cycle), every ``maintenance_imaging_every_months`` months in
maintenance; after CR, AFP and imaging every 3 months. ``overdue`` lists what is past due on
``today``. Without ``today`` the decision date is the latest date in the record and no item is
reported overdue (the function stays pure: no clock).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from hcctrial.errors import DataValidationError, HcctrialError
from hcctrial.protocol import schedule
from hcctrial.protocol.course_haic import HaicOutcome, haic_step
from hcctrial.protocol.course_result import (
    PAPER,
    PAPER_SOURCE,
    CourseAction,
    CourseDecision,
    HaicStep,
    OverdueItem,
    Reason,
    SorafenibLevel,
    SorafenibStep,
)
from hcctrial.protocol.course_sorafenib import SorafenibOutcome, daily_mg, sorafenib_step
from hcctrial.protocol.dosing import dose_sheet
from hcctrial.protocol.pre_cycle import pre_cycle_check
from hcctrial.protocol.record import PatientRecord, parse_record
from hcctrial.protocol.schema import Regimen
from hcctrial.protocol.toxicity import events as toxicity_events
from hcctrial.protocol.toxicity import graded_labs

__all__ = [
    "PAPER",
    "CourseAction",
    "CourseDecision",
    "HaicStep",
    "OverdueItem",
    "Reason",
    "SorafenibStep",
    "next_step",
]

# --------------------------------------------------------------------------------------------------
# tumour response
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tumour:
    points: tuple[tuple[date, str], ...]  # follow-up time points (date, response code)
    imaging_dates: tuple[date, ...]  # baseline included
    afp_dates: tuple[date, ...]


def _tumour(rec: PatientRecord, regimen: Regimen) -> _Tumour:
    afp = [x.date for x in rec.labs if x.analyte == "afp"]
    if rec.mrecist is not None:
        from hcctrial.assess.mrecist import ProtocolRules, patient_response

        a = regimen.assessment
        rules = ProtocolRules(
            afp_normalisation_for_cr=a.cr_requires_normal_afp,
            new_nodule_threshold_mm=a.new_node_pd_threshold_mm,
            min_sd_days=a.min_sd_days,
            confirmation=a.confirmation_required,
            confirm_days=a.confirm_days,
        )
        data = dict(rec.mrecist)
        if rec.treatment_start is not None and "treatment_start" not in data:
            data["treatment_start"] = (
                rec.treatment_start.isoformat()
            )  # the SD interval counts from it
        try:
            res = patient_response(data, rules)
        except HcctrialError as exc:
            raise DataValidationError(f"mrecist: {exc}", field=f"mrecist.{exc.field}") from exc
        pts = tuple((tp.date, tp.response.value) for tp in res.time_points)
        imaging = (res.baseline_date, *(d for d, _ in pts))
        for item in rec.mrecist.get("assessments", []):
            if item.get("afp_ng_ml") is not None:
                afp.append(date.fromisoformat(item["date"]))
        return _Tumour(pts, imaging, tuple(sorted(afp)))
    pts = tuple((r.date, r.response) for r in rec.responses)
    return _Tumour(pts, tuple(d for d, _ in pts), tuple(sorted(afp)))


# --------------------------------------------------------------------------------------------------
# the decision
# --------------------------------------------------------------------------------------------------


def _check_against_regimen(rec: PatientRecord, regimen: Regimen, today: date | None) -> None:
    haic = {lv.level for lv in regimen.dosing.haic_levels}
    sor = None if regimen.sorafenib is None else {lv.level for lv in regimen.sorafenib.levels}
    for i, c in enumerate(rec.cycles):
        if c.haic_level not in haic:
            raise DataValidationError(
                f"cycles[{i}].haic_level: got {c.haic_level}; expected one of the HAIC levels of "
                f"regimen {regimen.id!r}: {sorted(haic, reverse=True)}",
                field=f"cycles[{i}].haic_level",
            )
    levels: list[tuple[str, object]] = [
        (f"cycles[{i}].sorafenib_level", c.sorafenib_level)
        for i, c in enumerate(rec.cycles)
        if c.sorafenib_level is not None
    ] + [(f"sorafenib_changes[{i}].level", c.level) for i, c in enumerate(rec.sorafenib_changes)]
    for where, v in levels:
        if sor is None:
            raise DataValidationError(
                f"{where}: got {v!r}; regimen {regimen.id!r} has no sorafenib", field=where
            )
        if isinstance(v, int) and v not in sor:
            raise DataValidationError(
                f"{where}: got {v}; expected 'start' or one of the sorafenib levels of regimen "
                f"{regimen.id!r}: {sorted(sor, reverse=True)}",
                field=where,
            )
    if today is not None:
        from hcctrial.protocol.record import _all_dates

        for where, d in _all_dates(rec):
            if d > today:
                raise DataValidationError(f"{where}: {d} is after today {today}", field=where)


def _cr(tumour: _Tumour, regimen: Regimen) -> tuple[date, date | None] | None:
    """(first CR date, date a later assessment confirmed it or None), or None without a CR.

    Confirmed: a later CR at least ``stopping.cr_confirm_weeks`` after it, with nothing but CR or
    NE in between ("stable conditions with a CR")."""
    points = list(tumour.points)
    weeks = timedelta(weeks=regimen.stopping.cr_confirm_weeks)
    first = None
    for i, (day, resp) in enumerate(points):
        if resp != "CR":
            continue
        first = first or day
        for later, r2 in points[i + 1 :]:
            if r2 not in ("CR", "NE"):
                break
            if r2 == "CR" and later >= day + weeks:
                return day, later
    return (first, None) if first is not None else None


def _stop_all_reason(rec: PatientRecord, regimen: Regimen, tumour: _Tumour) -> Reason | None:
    st = rec.status
    stop = regimen.stopping
    if st.death_date is not None and stop.stop_on_death:
        return Reason("death", f"died on {st.death_date}", PAPER["death"], PAPER_SOURCE)
    if st.withdrawal_date is not None and (
        stop.stop_on_refusal or st.withdrawal_reason != "refusal"
    ):
        return Reason(
            "withdrawal",
            f"withdrawn on {st.withdrawal_date} ({st.withdrawal_reason})",
            PAPER["refusal"],
            PAPER_SOURCE,
        )
    pd = [d for d, r in tumour.points if r == "PD"]
    k = stop.stop_all_at_pd_count
    if len(pd) >= k:
        return Reason(
            "confirmed_pd",
            f"PD seen {len(pd)} times ({', '.join(str(d) for d in pd)}); PD number {k} on {pd[k - 1]}",
            PAPER["pd"],
            PAPER_SOURCE,
        )
    return None


def _action(haic: HaicStep, sor: SorafenibStep) -> CourseAction:
    if haic is HaicStep.DELAY:
        return CourseAction.DELAY_CYCLE
    if haic is HaicStep.GIVE_REDUCED:
        return CourseAction.GIVE_CYCLE_REDUCED
    if sor is SorafenibStep.PAUSE:
        return CourseAction.PAUSE_SORAFENIB
    if sor is SorafenibStep.REDUCE:
        return CourseAction.REDUCE_SORAFENIB
    sorafenib_on = sor not in (SorafenibStep.NONE, SorafenibStep.STOP, SorafenibStep.STOPPED)
    if haic is HaicStep.STOP and sor is SorafenibStep.STOP:
        return CourseAction.STOP_ALL
    if haic is HaicStep.STOP:
        return (
            CourseAction.STOP_HAIC_CONTINUE_SORAFENIB
            if sorafenib_on
            else CourseAction.FOLLOW_UP_ONLY
        )
    if sor is SorafenibStep.STOP:
        return CourseAction.STOP_SORAFENIB
    return CourseAction.GIVE_CYCLE


def next_step(
    record: PatientRecord | dict[str, Any], regimen: Regimen, *, today: date | None = None
) -> CourseDecision:
    """Return the protocol's next step for the patient of ``record`` under ``regimen``.

    ``today`` is the decision date (default: the latest date in the record); with it, items past
    due are listed in ``overdue`` and a record dated after it is an error. Raises
    :class:`~hcctrial.errors.DataValidationError` naming the item for a malformed record.

    >>> from hcctrial.protocol.regimen import default_regimen
    >>> rec = {"patient": {"bsa_m2": 1.8}, "labs": [
    ...     {"date": "2026-01-10", "analyte": a, "value": v, "unit": u} for a, v, u in [
    ...         ("anc", 3.0, "10^9/L"), ("platelets", 150, "10^9/L"), ("bilirubin", 1.0, "mg/dL"),
    ...         ("albumin", 4.0, "g/dL"), ("inr", 1.1, None)]]}
    >>> d = next_step(rec, default_regimen())
    >>> d.action.value, d.cycle_number, d.dose_sheet.drug("oxaliplatin").dose_mg
    ('give_cycle', 1, 135.0)
    """
    rec = parse_record(record, ctcae_version=regimen.assessment.ctcae_version)
    _check_against_regimen(rec, regimen, today)
    on = today or rec.latest_date()
    if on is None:
        raise DataValidationError(
            "record: no date anywhere and no today given; expected at least the screening labs",
            field="record",
        )
    warnings: list[str] = []
    tumour = _tumour(rec, regimen)
    pd = [d for d, r in tumour.points if r == "PD"]
    k = regimen.stopping.stop_all_at_pd_count
    pfs = pd[0] if pd else None
    confirmed = pd[k - 1] if len(pd) >= k else None
    n = len(rec.cycles)
    last = rec.cycles[-1] if n else None
    pfs_reason = (
        [
            Reason(
                "first_pd_pfs_event",
                f"first PD on {pfs}: the PFS event; treatment continues until PD is seen {k} times",
                PAPER["pd"],
                PAPER_SOURCE,
            )
        ]
        if pfs is not None and confirmed is None
        else []
    )

    def decision(
        action: CourseAction,
        haic: HaicOutcome,
        sor: SorafenibOutcome,
        reasons: list[Reason],
        **dates: Any,
    ) -> CourseDecision:
        sheet = dates.pop("sheet", None)
        return CourseDecision(
            action=action,
            haic=haic.step,
            sorafenib=sor.step,
            reasons=tuple(reasons),
            decision_date=on,
            cycles_given=n,
            cycle_number=n + 1
            if haic.step in (HaicStep.GIVE, HaicStep.GIVE_REDUCED, HaicStep.DELAY)
            else None,
            haic_level=haic.level if haic.step is not HaicStep.STOP else None,
            dose_sheet=sheet,
            sorafenib_level=sor.level,
            sorafenib_daily_mg=None if sor.level is None else daily_mg(regimen, sor.level),
            child_pugh=haic.child_pugh,
            pfs_event_date=pfs,
            confirmed_pd_date=confirmed,
            due_date=dates.get("due"),
            due_latest=dates.get("latest"),
            recheck_date=dates.get("recheck"),
            next_imaging_date=dates.get("imaging"),
            next_afp_date=dates.get("afp"),
            overdue=tuple(dates.get("overdue", ())),
            warnings=tuple(warnings),
        )

    stop = _stop_all_reason(rec, regimen, tumour)
    cr = _cr(tumour, regimen)
    if stop is None:
        graded = graded_labs(rec, regimen, on)
        for g in graded:
            if g.grade is None and g.lab.date > (last.date if last is not None else date.min):
                warnings.append(
                    f"labs[{g.row}] ({g.lab.analyte} {g.lab.value:g}): cannot grade as "
                    f"{g.term}: {g.text}"
                )
        events = toxicity_events(rec, regimen, graded, on)
        check = pre_cycle_check(rec, regimen, graded, on)
        haic = haic_step(rec, regimen, events, check, cr, on)
        sor = sorafenib_step(rec, regimen, events, on)
        stop = haic.stop_all or sor.stop_all
    if stop is not None:
        off = HaicOutcome(HaicStep.STOP, None, [])
        none = SorafenibOutcome(
            SorafenibStep.NONE if regimen.sorafenib is None else SorafenibStep.STOP, None, []
        )
        return decision(CourseAction.STOP_ALL, off, none, [stop])

    action = _action(haic.step, sor.step)
    reasons = [*haic.reasons, *sor.reasons, *pfs_reason]
    if cr is not None and cr[1] is None and regimen.stopping.cr_reading == "confirmed":
        st = regimen.stopping
        reasons.append(
            Reason(
                "cr_not_yet_confirmed",
                f"CR on {cr[0]} not yet confirmed by an assessment >= {st.cr_confirm_weeks} "
                "weeks later: TACE-HAIC goes on until it is",
                PAPER["cr"],
                st.cr_reading_source,
                interpretation=True,
                alternative="stop TACE-HAIC at the first CR scan (stopping.cr_reading = "
                "'single_scan')",
            )
        )
    active = haic.step in (HaicStep.GIVE, HaicStep.GIVE_REDUCED, HaicStep.DELAY)
    if active and not haic.reasons and haic.step is HaicStep.GIVE:
        reasons.insert(
            0,
            Reason(
                "give_cycle",
                f"cycle {n + 1}: pre-cycle labs adequate"
                + (f", Child-Pugh {haic.child_pugh}" if haic.child_pugh else ""),
                PAPER["cycle"],
                PAPER_SOURCE,
            ),
        )
    dates: dict[str, Any] = {}
    window = schedule.next_cycle_window(last.date, regimen) if last is not None else None
    if active and window is not None:
        dates["due"], dates["latest"] = window.earliest, window.latest
    if haic.step is HaicStep.DELAY:
        dates["recheck"] = on + timedelta(days=regimen.dose_modifications.delay_recheck_days)
    if haic.step in (HaicStep.GIVE, HaicStep.GIVE_REDUCED):
        assert haic.level is not None and haic.child_pugh_class is not None
        assert haic.bsa_m2 is not None
        sl: SorafenibLevel = sor.level if sor.level is not None else "start"
        sheet = dose_sheet(
            regimen,
            bsa_m2=haic.bsa_m2,
            child_pugh_class=haic.child_pugh_class,
            level=haic.level,
            sorafenib_level=sl,
            bsa_note=haic.bsa_note,
        )
        if regimen.sorafenib is not None and sor.step in (
            SorafenibStep.PAUSE,
            SorafenibStep.STOP,
            SorafenibStep.STOPPED,
        ):
            sheet = replace(
                sheet,
                drugs=tuple(d for d in sheet.drugs if d.name != "sorafenib"),
                sorafenib_level=None,
            )
        dates["sheet"] = sheet

    # imaging and AFP
    sc = regimen.schedule
    last_img = max(tumour.imaging_dates) if tumour.imaging_dates else None
    cr_seen = any(r.rule == "cr_stops_tace_haic" for r in haic.reasons)
    pending = (
        last is not None
        and schedule.imaging_due_after_cycle(n, regimen)
        and (last_img is None or last_img <= last.date)
    )
    if cr_seen:
        ref = last_img or on
        dates["imaging"] = schedule.next_imaging_after_cr(ref, regimen)
        afp_ref = max([*tumour.afp_dates, *(d for d, r in tumour.points if r == "CR")])
        dates["afp"] = schedule.next_afp_after_cr(afp_ref, regimen)
        reasons.append(
            Reason(
                "after_cr_follow_up",
                f"CR: AFP last measured {afp_ref}, imaging last {ref}",
                PAPER["after_cr"],
                PAPER_SOURCE,
            )
        )
    elif pending:
        assert last is not None
        dates["imaging"] = schedule.imaging_due_date(n, last.date, regimen)
    elif active:
        every = sc.imaging_every_n_cycles
        target = min((n // every + 1) * every, regimen.cycle.max_haic_cycles)
        start_next = window.earliest if window is not None else on
        weeks = regimen.cycle.min_weeks * (target - n)
        dates["imaging"] = start_next + timedelta(weeks=weeks)
    else:
        ref = last_img or (last.date if last is not None else on)
        dates["imaging"] = schedule.next_maintenance_imaging(ref, regimen)
    if (
        active
        and sc.afp_before_each_cycle
        and not cr_seen
        and last is not None
        and window is not None
    ):
        # AFP is one of the pre-cycle labs: due with the next cycle, unless already measured
        # since the last one (then with the cycle after it)
        done = any(d > last.date for d in tumour.afp_dates)
        due_afp = window.earliest + timedelta(weeks=regimen.cycle.min_weeks) if done else None
        dates["afp"] = due_afp or dates.get("recheck") or window.earliest

    if today is not None:
        overdue = []
        if (
            active
            and haic.step is not HaicStep.DELAY
            and window is not None
            and today > window.latest
        ):
            overdue.append(
                OverdueItem(f"cycle {n + 1}", window.latest, (today - window.latest).days)
            )
        for key, label in (("imaging", "imaging"), ("afp", "AFP")):
            due = dates.get(key)
            if due is not None and today > due:
                overdue.append(OverdueItem(label, due, (today - due).days))
        dates["overdue"] = overdue
    return decision(action, haic, sor, reasons, **dates)
