"""Result types of the course engine (:mod:`hcctrial.protocol.course`) and the rule helpers its
TACE-HAIC and sorafenib parts share: the actions, the reasons with their quotes, and the seed
paper's words the rules rest on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from hcctrial.protocol.dosing import DoseSheet

__all__ = [
    "DEFAULT_SOURCE",
    "PAPER",
    "PAPER_SOURCE",
    "CourseAction",
    "CourseDecision",
    "HaicStep",
    "OverdueItem",
    "Reason",
    "SorafenibLevel",
    "SorafenibStep",
]

SorafenibLevel = int | Literal["start"]

#: The seed paper's words the rules rest on (Methods; Discussion for the myelosuppression rule).
PAPER: dict[str, str] = {
    "cycle": "Patients were treated on a 4- to 6-wk cycle regimen, in which one cycle consisted of "
    "sorafenib 400 mg twice daily, and then TACE-HAIC was performed on days 1-2.",
    "max_haic": "A maximum of eight consecutive cycles of HAIC were used for patients without "
    "disease progression during the treatments.",
    "cr": "If the patients demonstrated stable conditions with a CR, sorafenib was continued, and "
    "TACE-HAIC treatment was stopped.",
    "pd": "If there was a new tumor node > 5 mm, this was considered the first instance of PD, and "
    "treatment was continued until PD was identified twice. Then, the patient was excluded from "
    "the study. The PFS was recorded from the first instance of PD",
    "death": "Sorafenib and TACE-HAIC were continued until progressive disease (PD) ..., "
    "intolerable toxicity, or death.",
    "refusal": "Treatment was discontinued because of disease progression, unacceptable "
    "toxicity, or treatment refusal.",
    "intolerable": "When a participant suffered an intolerable toxicity, treatment was suspended, "
    "and the drug dose was adjusted. If the patient still could not tolerate treatment, the "
    "treatment was discontinued.",
    "myelosuppression": "If a participant exhibited grade 3-4 myelosuppression, we decreased the "
    "dose of oxaliplatin and 5-FU or sorafenib.",
    "labs": "laboratory tests [blood examinations, biochemical tests, coagulation testing, and "
    "measurement of serum alpha-fetoprotein (AFP) levels] were performed before each cycle of "
    "therapy",
    "imaging": "The tumor response was evaluated after every two cycles of treatment and every 3 "
    "mo during maintenance treatment",
    "after_cr": "AFP levels were reevaluated every 3 mo, and contrast-enhanced MRI or CT "
    "evaluations were conducted.",
    "child_pugh": "oxaliplatin [60-75 mg/m2 (Child-Pugh A, 75 mg/m2 and Child-Pugh B, 60 mg/m2)]",
}
PAPER_SOURCE = "paper (Methods)"
DEFAULT_SOURCE = "hcctrial default; paper silent"


class CourseAction(StrEnum):
    """The headline of the decision (the most consequential of the TACE-HAIC and sorafenib steps)."""

    GIVE_CYCLE = "give_cycle"
    GIVE_CYCLE_REDUCED = "give_cycle_reduced"
    DELAY_CYCLE = "delay_cycle"
    PAUSE_SORAFENIB = "pause_sorafenib"
    REDUCE_SORAFENIB = "reduce_sorafenib"
    STOP_SORAFENIB = "stop_sorafenib"
    STOP_HAIC_CONTINUE_SORAFENIB = "stop_haic_continue_sorafenib"
    STOP_ALL = "stop_all"
    FOLLOW_UP_ONLY = "follow_up_only"


class HaicStep(StrEnum):
    """What happens to TACE-HAIC next."""

    GIVE = "give"
    GIVE_REDUCED = "give_reduced"
    DELAY = "delay"
    STOP = "stop"


class SorafenibStep(StrEnum):
    """What happens to sorafenib next (``none``: the regimen has no sorafenib)."""

    NONE = "none"
    START = "start"
    CONTINUE = "continue"
    ESCALATE = "escalate"
    PAUSE = "pause"
    RESUME = "resume"
    REDUCE = "reduce"
    STOP = "stop"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Reason:
    """One reason: the rule, what in the record triggered it, the rule's words and their source."""

    rule: str
    finding: str
    quote: str
    source: str
    #: True where the engine chose between readings the paper leaves open; ``alternative`` names
    #: the other reading (the regimen file holds the choice)
    interpretation: bool = False
    alternative: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "rule": self.rule,
            "finding": self.finding,
            "quote": self.quote,
            "source": self.source,
            "interpretation": self.interpretation,
            "alternative": self.alternative,
        }


@dataclass(frozen=True)
class OverdueItem:
    """Something past due on ``today``: what, the date it was due, and how many days late."""

    item: str
    due_date: date
    days_overdue: int


@dataclass(frozen=True)
class CourseDecision:
    """The protocol's next step for one patient (see the module docstring)."""

    action: CourseAction
    haic: HaicStep
    sorafenib: SorafenibStep
    reasons: tuple[Reason, ...]
    decision_date: date
    cycles_given: int
    cycle_number: int | None
    haic_level: int | None
    dose_sheet: DoseSheet | None
    sorafenib_level: SorafenibLevel | None
    sorafenib_daily_mg: float | None
    child_pugh: str | None
    due_date: date | None
    due_latest: date | None
    recheck_date: date | None
    next_imaging_date: date | None
    next_afp_date: date | None
    pfs_event_date: date | None
    confirmed_pd_date: date | None
    overdue: tuple[OverdueItem, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form printed by ``hcctrial next --json``."""

        def iso(d: date | None) -> str | None:
            return None if d is None else d.isoformat()

        return {
            "action": self.action.value,
            "haic": self.haic.value,
            "sorafenib": self.sorafenib.value,
            "reasons": [r.to_dict() for r in self.reasons],
            "decision_date": iso(self.decision_date),
            "cycles_given": self.cycles_given,
            "cycle_number": self.cycle_number,
            "haic_level": self.haic_level,
            "dose_sheet": None if self.dose_sheet is None else self.dose_sheet.to_dict(),
            "sorafenib_level": self.sorafenib_level,
            "sorafenib_daily_mg": self.sorafenib_daily_mg,
            "child_pugh": self.child_pugh,
            "due_date": iso(self.due_date),
            "due_latest": iso(self.due_latest),
            "recheck_date": iso(self.recheck_date),
            "next_imaging_date": iso(self.next_imaging_date),
            "next_afp_date": iso(self.next_afp_date),
            "pfs_event_date": iso(self.pfs_event_date),
            "confirmed_pd_date": iso(self.confirmed_pd_date),
            "overdue": [
                {"item": o.item, "due_date": iso(o.due_date), "days_overdue": o.days_overdue}
                for o in self.overdue
            ],
            "warnings": list(self.warnings),
            "interpretation": any(r.interpretation for r in self.reasons),
            "interpretations": [
                {"rule": r.rule, "choice": r.finding, "alternative": r.alternative}
                for r in self.reasons
                if r.interpretation
            ],
        }
