"""The patient page's content: the timeline with each record's computed result, and the decision.

Results shown beside the records are the engines' (CTCAE grade of each lab value by the trial's
CTCAE version -- its regimen file's --, mRECIST response
of each scan, the course engine's next step); this module only collects them for the template and
the JSON API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from hcctrial.derive.scans import protocol_rules
from hcctrial.errors import HcctrialError
from hcctrial.protocol.regimen import trial_ctcae_version
from hcctrial.web.clinical import BaselineScores, baseline_scores, lab_grades
from hcctrial.web.dose_history_view import dose_history_view
from hcctrial.web.patient_file import DecisionOutcome, PatientFile, course_input, decision_for
from hcctrial.web.wording import analyte_label

__all__ = [
    "PatientView",
    "TimelineGroup",
    "TimelineItem",
    "patient_view",
    "protocol_rules",
    "response_with_scan",
    "scan_responses",
    "timeline_groups",
]


@dataclass(frozen=True)
class TimelineItem:
    """One dated entry of the timeline: its kind, a summary, the computed result, edit target."""

    day: date
    kind: str
    summary: str
    result: str
    severe: bool
    slug: str
    record_id: int


@dataclass(frozen=True)
class PatientView:
    patient_file: PatientFile
    scores: BaselineScores
    timeline: tuple[TimelineItem, ...]
    outcome: DecisionOutcome
    responses: dict[int, str]
    response_problem: str | None
    #: cumulative doses and relative dose intensity (:mod:`hcctrial.web.dose_history_view`)
    dose_history: Any = None


def response_with_scan(pf: PatientFile, regimen: Any, scan: Any) -> tuple[Any | None, str | None]:
    """Return the mRECIST time-point result of a new ``scan`` (ImagingRecord) after the
    patient's saved scans, or a problem in words (None result for a baseline scan)."""
    from hcctrial.assess.mrecist import patient_response
    from hcctrial.web.patient_file import mrecist_dict

    earlier = [i for i in pf.imaging if i.assessment_date < scan.assessment_date]
    if not earlier:
        return None, "This is the baseline scan: the response is measured against it later."
    try:
        result = patient_response(mrecist_dict(pf, regimen, (scan,)), protocol_rules(regimen))
    except HcctrialError as exc:
        return None, str(exc)
    for tp in result.time_points:
        if tp.date == scan.assessment_date:
            return tp, None
    return None, "No response at this date."


def scan_responses(pf: PatientFile, regimen: Any) -> tuple[dict[int, str], str | None]:
    """Return {imaging id: mRECIST response (protocol rules)} and a problem text, if any."""
    from hcctrial.assess.mrecist import patient_response
    from hcctrial.web.patient_file import mrecist_dict

    if len(pf.imaging) < 2:
        return ({pf.imaging[0].id: "baseline"} if pf.imaging else {}), None
    try:
        result = patient_response(mrecist_dict(pf, regimen), protocol_rules(regimen))
    except HcctrialError as exc:
        return {}, str(exc)
    out = {pf.imaging[0].id: "baseline"}
    by_date = {tp.date: tp.response.value for tp in result.time_points}
    for scan in pf.imaging[1:]:
        out[scan.id] = by_date.get(scan.assessment_date, "NE")
    return out, None


def _lab_summary(lab: Any) -> str:
    """The lab row's summary: the analyte in words and the value with the unit as entered
    ("White blood cells 5.2 x10^9/L"; the unit "1" of a ratio such as the INR left out)."""
    unit = "" if lab.unit_entered in ("1", "", None) else f" {lab.unit_entered}"
    return f"{analyte_label(lab.analyte)} {lab.value_entered:g}{unit}"


def _lab_item(lab: Any, version: str) -> TimelineItem:
    """A lab's timeline entry with its grades by CTCAE ``version`` (the trial's)."""
    try:
        grades = lab_grades(
            lab.analyte,
            lab.value_entered,
            lab.unit_entered,
            uln=lab.uln,
            lln=lab.lln,
            version=version,
        )
        parts = [
            f"{g.term}: grade {g.grade}" if g.grade is not None else f"{g.term}: cannot grade"
            for g in grades
        ]
        worst = max((g.grade for g in grades if g.grade is not None), default=0)
    except HcctrialError as exc:
        parts, worst = [str(exc)], 0
    return TimelineItem(
        lab.sample_date,
        "lab",
        _lab_summary(lab),
        "; ".join(parts) or "not graded by CTCAE",
        worst >= 3,
        "labs",
        lab.id,
    )


def patient_view(pf: PatientFile, regimen: Any, today: date) -> PatientView:
    """Return everything the patient page shows."""
    scores = baseline_scores(pf.baseline, pf.labs)
    cp = scores.child_pugh.child_class.value if scores.child_pugh is not None else None
    responses, response_problem = scan_responses(pf, regimen)
    course = course_input(pf, regimen, cp) if pf.baseline is not None else None
    items: list[TimelineItem] = []
    for c in pf.cycles:
        doses = ", ".join(f"{d.drug} {d.given_mg:g} mg" for d in pf.doses.get(c.id, []))
        sor = "" if c.sorafenib_daily_mg is None else f"; sorafenib {c.sorafenib_daily_mg:g} mg/day"
        items.append(
            TimelineItem(
                c.cycle_date, "cycle", f"Cycle {c.cycle_number}{sor}", doses, False, "cycles", c.id
            )
        )
    version = trial_ctcae_version(regimen)  # once per page: 100+ labs read it
    items += [_lab_item(x, version) for x in pf.labs]
    for x in pf.exams:
        found = [f"ECOG {x.ecog}"] if x.ecog is not None else []
        found += [f"weight {x.weight_kg:g} kg"] if x.weight_kg is not None else []
        items.append(
            TimelineItem(
                x.exam_date,
                "examination",
                "Pre-cycle examination: " + ", ".join(found),
                "ECOG 3 or more holds the next cycle" if (x.ecog or 0) >= 3 else "",
                (x.ecog or 0) >= 3,
                "exams",
                x.id,
            )
        )
    for a in pf.adverse_events:
        end = "ongoing" if a.resolution_date is None else f"resolved {a.resolution_date}"
        items.append(
            TimelineItem(
                a.onset_date,
                "adverse event",
                f"{a.term} ({end})",
                f"grade {a.grade}" + (", serious" if a.serious else ""),
                a.grade >= 3,
                "adverse_events",
                a.id,
            )
        )
    for i in pf.imaging:
        n = len(pf.lesions.get(i.id, []))
        afp = "" if i.afp_ng_ml is None else f"; AFP {i.afp_ng_ml:g} ng/mL"
        resp = responses.get(i.id, "—")
        items.append(
            TimelineItem(
                i.assessment_date,
                "imaging",
                f"{i.modality.value.upper()}, {n} lesion(s){afp}",
                f"mRECIST: {resp}",
                resp == "PD",
                "imaging",
                i.id,
            )
        )
    for f in pf.followups:
        items.append(
            TimelineItem(
                f.contact_date,
                "follow-up",
                f"vital status {f.vital_status.value}",
                f.cause_of_death or "",
                False,
                "followups",
                f.id,
            )
        )
    items.sort(key=lambda t: (t.day, t.kind, t.record_id))
    return PatientView(
        pf,
        scores,
        tuple(items),
        decision_for(pf, regimen, cp, today, course),
        responses,
        response_problem,
        dose_history_view(pf, regimen, cp, course),
    )


@dataclass(frozen=True)
class TimelineGroup:
    """The timeline's entries of one treatment period: before the first cycle, then from each
    cycle's day 1 to the next (``open``: shown unfolded -- the latest period)."""

    title: str
    items: tuple[TimelineItem, ...]
    open: bool


def timeline_groups(view: PatientView) -> list[TimelineGroup]:
    """The timeline grouped by cycle, oldest first (the page folds all but the latest)."""
    starts = sorted((c.cycle_date, c.cycle_number) for c in view.patient_file.cycles)
    groups: dict[int, list[TimelineItem]] = {0: []}
    for _, n in starts:
        groups[n] = []
    for item in view.timeline:
        number = 0
        for day, n in starts:
            if item.day >= day:
                number = n
        groups[number].append(item)
    out = []
    keys = [k for k in groups if groups[k] or k]
    for k in keys:
        title = "Before treatment" if k == 0 else f"Cycle {k}"
        out.append(TimelineGroup(title, tuple(groups[k]), k == keys[-1]))
    return out
