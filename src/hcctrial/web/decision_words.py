"""The course engine's next step in words a research nurse reads (issue 19, "Words a nurse
understands"): the action, the TACE-HAIC and sorafenib steps as sentences, each reason's rule by
name, and the engine's findings without record paths (``labs[3]``), analyte codes (``anc``),
settings keys (``stopping.cr_reading``) or Python reprs (``{'bilirubin': 3}``).

Why here and not in the engine: :class:`hcctrial.protocol.course_result.CourseDecision` is also
the JSON of ``hcctrial next --json`` and of the web API, whose codes scripts and tests rely on.
This module only translates for display; the rule ids stay on the page (in a ``title``) because
investigators cite them. Every mapping is a dict lookup; the finding rewrite is memoised, so a
re-render of a patient page costs no more regex work than its first render.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hcctrial.protocol.course_result import CourseAction, HaicStep, SorafenibStep
from hcctrial.web.wording import ANALYTE_IN_SENTENCE, ANALYTE_WORDS, analytes_in_words

__all__ = [
    "ACTION_WORDS",
    "HAIC_WORDS",
    "RULE_WORDS",
    "SORAFENIB_WORDS",
    "NextStepWords",
    "finding_in_words",
    "next_step_words",
    "rule_in_words",
]

#: The headline of a decision. Placeholders: ``{cycle}`` (the next cycle's number), ``{dose}``
#: ("full dose" or "HAIC dose level -1"), ``{to_mg}`` (" to 600 mg/day" or "").
ACTION_WORDS: dict[CourseAction, str] = {
    CourseAction.GIVE_CYCLE: "Give cycle {cycle} at {dose}",
    CourseAction.GIVE_CYCLE_REDUCED: "Give cycle {cycle} at a reduced dose ({dose})",
    CourseAction.DELAY_CYCLE: "Delay cycle {cycle}: do not give it yet",
    CourseAction.PAUSE_SORAFENIB: "Hold sorafenib",
    CourseAction.REDUCE_SORAFENIB: "Reduce sorafenib{to_mg}",
    CourseAction.STOP_SORAFENIB: "Stop sorafenib",
    CourseAction.STOP_HAIC_CONTINUE_SORAFENIB: "Stop TACE-HAIC; continue sorafenib",
    CourseAction.STOP_ALL: "Stop all study treatment",
    CourseAction.FOLLOW_UP_ONLY: "No more study treatment: follow-up only",
}

#: What happens to TACE-HAIC (same placeholders as :data:`ACTION_WORDS`).
HAIC_WORDS: dict[HaicStep, str] = {
    HaicStep.GIVE: "Give TACE-HAIC cycle {cycle} at {dose}",
    HaicStep.GIVE_REDUCED: "Give TACE-HAIC cycle {cycle} at a reduced dose ({dose})",
    HaicStep.DELAY: "Delay TACE-HAIC cycle {cycle} (then give it at {dose})",
    HaicStep.STOP: "Stop TACE-HAIC (no more cycles)",
}

#: What happens to sorafenib. Placeholders: ``{at_mg}`` (" at 800 mg/day" or ""), ``{to_mg}``.
SORAFENIB_WORDS: dict[SorafenibStep, str] = {
    SorafenibStep.NONE: "No sorafenib in this regimen",
    SorafenibStep.START: "Start sorafenib{at_mg}",
    SorafenibStep.CONTINUE: "Continue sorafenib{at_mg}",
    SorafenibStep.ESCALATE: "Increase sorafenib{to_mg}",
    SorafenibStep.PAUSE: "Hold sorafenib until the side effect settles, then resume{at_mg}",
    SorafenibStep.RESUME: "Resume sorafenib{at_mg}",
    SorafenibStep.REDUCE: "Reduce sorafenib{to_mg}",
    SorafenibStep.STOP: "Stop sorafenib",
    SorafenibStep.STOPPED: "Sorafenib stays stopped (stopped earlier)",
}

#: The rules of the engine (:mod:`hcctrial.protocol.course` and the modules it uses) and of the
#: bundled regimens' toxicity tables, by id. An id not listed reads as its words (see
#: :func:`rule_in_words`); ``pre_cycle_<analyte>`` ids are added below from the analytes.
RULE_WORDS: dict[str, str] = {
    "give_cycle": "Ready for the next cycle",
    "death": "Patient died",
    "withdrawal": "Patient withdrawn",
    "confirmed_pd": "Progression seen twice",
    "first_pd_pfs_event": "First progression",
    "cr_not_yet_confirmed": "Complete response not yet confirmed",
    "cr_stops_tace_haic": "Complete response: TACE-HAIC stops",
    "after_cr_follow_up": "Follow-up after a complete response",
    "max_haic_cycles": "Maximum number of TACE-HAIC cycles",
    "below_lowest_haic_level": "No lower TACE-HAIC dose left",
    "reduction_persists": "A reduced dose stays reduced",
    "max_delay": "Cycle delayed too long",
    "unresolved_grade_3_toxicity": "Side effect of grade 3 or more not yet settled",
    "intolerable_after_reduction": "Side effect not tolerated after a dose reduction",
    "pre_cycle_ecog": "Pre-cycle examination: performance status",
    "pre_cycle_weight_kg": "Pre-cycle examination: weight",
    "ecog_above_entry_limit": "Performance status above the entry limit",
    "bsa_recompute_needs_height": "Body surface area needs the height",
    "child_pugh_for_dosing": "Child-Pugh class for the dose",
    "child_pugh_c": "Child-Pugh class C",
    "child_pugh_outside_entry": "Child-Pugh score outside the entry classes",
    "sorafenib_discontinue": "Sorafenib stopped for a side effect",
    "sorafenib_interrupt": "Sorafenib held for a side effect",
    "below_lowest_sorafenib_level": "No lower sorafenib dose left",
    "sorafenib_reduce": "Sorafenib reduced after a side effect",
    "sorafenib_stopped": "Sorafenib recorded as stopped",
    "sorafenib_resume": "Sorafenib resumed",
    "sorafenib_start": "Starting sorafenib",
    "sorafenib_escalate": "Sorafenib increased to the full dose",
    "sorafenib_no_escalation": "Sorafenib stays at the starting dose",
    # the toxicity tables of the bundled regimens (src/hcctrial/protocol/regimens/*.toml)
    "myelosuppression_grade_3_4": "Low blood counts, grade 3-4",
    "anemia_grade_3_4": "Anaemia, grade 3-4",
    "lymphopenia": "Low lymphocytes",
    "neuropathy_grade_3": "Nerve damage (neuropathy), grade 3",
    "neuropathy_grade_4": "Nerve damage (neuropathy), grade 4",
    "liver_tests_grade_3": "Liver tests raised, grade 3",
    "liver_tests_grade_4": "Liver tests raised, grade 4",
    "hepatic_failure_grade_3": "Liver failure, grade 3",
    "hepatic_failure_grade_4": "Liver failure, grade 4",
    "diarrhea_grade_3_4": "Diarrhoea, grade 3-4",
    "mucositis_grade_3_4": "Sore mouth (mucositis), grade 3-4",
    "hfsr_grade_1": "Hand-foot skin reaction, grade 1",
    "hfsr_grade_2_first": "Hand-foot skin reaction, grade 2, first time",
    "hfsr_grade_2_second_third": "Hand-foot skin reaction, grade 2, second or third time",
    "hfsr_grade_2_fourth": "Hand-foot skin reaction, grade 2, fourth time",
    "hfsr_grade_3_first_second": "Hand-foot skin reaction, grade 3, first or second time",
    "hfsr_grade_3_third": "Hand-foot skin reaction, grade 3, third time",
    "any_other_non_haematological_grade_3_4": "Other side effect (not blood counts), grade 3-4",
}
RULE_WORDS.update(
    {f"pre_cycle_{code}": f"Pre-cycle lab: {label}" for code, label in ANALYTE_WORDS.items()}
)

#: Settings keys of the regimen file some findings and sources name, in words.
SETTING_WORDS: dict[str, str] = {
    "stopping.cr_reading": "how the regimen reads a complete response",
    "dosing.bsa_recompute_weight_change_pct": "the regimen's weight-change rule",
    "hold_cycle_while_grade_at_least": "the rule that holds a cycle while a side effect is severe",
    "discontinue_haic": "stop TACE-HAIC",
    "height_cm": "height",
    "weight_kg": "weight",
}

#: Sources in words (the engine's own phrases for them).
SOURCE_WORDS: dict[str, str] = {
    "paper (Methods)": "the trial paper (Methods)",
    "paper (Discussion)": "the trial paper (Discussion)",
    "hcctrial default; paper silent": "this trial's default where the paper is silent",
}


_RECORD_LAB_WARNING = re.compile(r"\blabs\[\d+\] \(([a-z_]+ [^)]*)\)")
_RECORD_LAB = re.compile(r"\blabs\[\d+\] ")
_RECORD_AE = re.compile(r"\badverse_events\[\d+\] ")
_RECORD_CYCLE = re.compile(r"\bcycles\[(\d+)\]")
_RECORD_EXAM = re.compile(r"\bexams\[\d+\]")
_OTHER_PATH = re.compile(r"\b([a-z]+(?:_[a-z]+)*)\[\d+\](?:\.([a-z_]+))?")
_POINTS = re.compile(r"\{('[a-z_]+': -?\d+(?:, )?)+\}")
_QUOTED = re.compile(r"(?<![A-Za-z])'([^']*)'(?![A-Za-z])")  # a repr's quotes, not "paper's"
_SETTING = re.compile(r"\b(" + "|".join(re.escape(k) for k in SETTING_WORDS) + r")\b")
_SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
_SYMBOLS = ((" -> ", " → "), (">=", "≥"), ("<=", "≤"))


def _points(match: re.Match[str]) -> str:
    """``{'bilirubin': 3, 'inr': 1}`` -> ``bilirubin 3, INR 1``."""
    pairs = re.findall(r"'([a-z_]+)': (-?\d+)", match.group(0))
    return ", ".join(f"{ANALYTE_IN_SENTENCE.get(k, k)} {v}" for k, v in pairs)


@lru_cache(maxsize=8192)
def finding_in_words(text: str, sentence: bool = True) -> str:
    """An engine text (finding, quote, source, warning, problem) in words: record paths, analyte
    codes, settings keys and reprs replaced; any snake_case left becomes words. ``sentence``:
    capitalise the first letter (False inside a sentence, e.g. after "source:")."""
    out = text
    for phrase, words in SOURCE_WORDS.items():
        out = out.replace(phrase, words)
    out = _RECORD_LAB_WARNING.sub(r"\1", out)
    out = _RECORD_LAB.sub("", out)
    out = _RECORD_AE.sub("adverse event: ", out)
    out = _RECORD_CYCLE.sub(lambda m: f"cycle {int(m.group(1)) + 1}", out)
    out = _RECORD_EXAM.sub("pre-cycle examination", out)
    out = out.replace("patient.ecog (baseline)", "baseline")
    out = _OTHER_PATH.sub(lambda m: " ".join(x for x in m.groups() if x), out)
    out = _POINTS.sub(_points, out)
    out = _SETTING.sub(lambda m: SETTING_WORDS[m.group(1)], out)
    out = analytes_in_words(out)
    out = _QUOTED.sub(lambda m: f"“{m.group(1)}”", out)
    for symbol, words in _SYMBOLS:
        out = out.replace(symbol, words)
    out = _SNAKE.sub(lambda m: m.group(0).replace("_", " "), out)
    return out[:1].upper() + out[1:] if sentence else out


@lru_cache(maxsize=1024)
def rule_in_words(rule: str) -> str:
    """A reason's rule by name ("Low blood counts, grade 3-4"); an unknown id in words."""
    known = RULE_WORDS.get(rule)
    if known is not None:
        return known
    text = re.sub(r"grade_(\d)_(\d)", r"grade \1-\2", rule).replace("_", " ")
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class NextStepWords:
    """The headline and the TACE-HAIC and sorafenib steps of a decision, as sentences."""

    headline: str
    haic: str
    sorafenib: str


def _mg(value: float | None, word: str) -> str:
    return "" if value is None else f" {word} {value:g} mg/day"


def next_step_words(decision: Any) -> NextStepWords:
    """The sentences of a :class:`~hcctrial.protocol.course_result.CourseDecision`."""
    level = decision.haic_level
    dose = "full dose" if level in (0, None) else f"HAIC dose level {level}"
    values = {
        "cycle": decision.cycle_number if decision.cycle_number is not None else "",
        "dose": dose,
        "at_mg": _mg(decision.sorafenib_daily_mg, "at"),
        "to_mg": _mg(decision.sorafenib_daily_mg, "to"),
    }
    return NextStepWords(
        ACTION_WORDS[decision.action].format(**values),
        HAIC_WORDS[decision.haic].format(**values),
        SORAFENIB_WORDS[decision.sorafenib].format(**values),
    )
