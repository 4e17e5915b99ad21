"""The course decision in words (:mod:`hcctrial.web.decision_words`): every value of the
decision's enums has a sentence (iterated, so a new engine value without words fails here), every
rule id the engine and the bundled regimens use has a name, and the engine's findings lose their
record paths, analyte codes, settings keys and reprs. Expected words are written out by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest

from hcctrial.protocol.course_result import CourseAction, HaicStep, SorafenibStep
from hcctrial.web.decision_words import (
    ACTION_WORDS,
    HAIC_WORDS,
    RULE_WORDS,
    SORAFENIB_WORDS,
    finding_in_words,
    next_step_words,
    rule_in_words,
)

SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


@dataclass(frozen=True)
class _Decision:
    """The fields of a CourseDecision the sentences read."""

    action: CourseAction
    haic: HaicStep
    sorafenib: SorafenibStep
    cycle_number: int | None = 3
    haic_level: int | None = 0
    sorafenib_daily_mg: float | None = 400.0


@pytest.mark.parametrize(
    ("table", "enum"),
    [(ACTION_WORDS, CourseAction), (HAIC_WORDS, HaicStep), (SORAFENIB_WORDS, SorafenibStep)],
)
def test_every_enum_value_has_words(table: dict[object, str], enum: type) -> None:
    missing = [v for v in enum if v not in table]  # type: ignore[attr-defined]
    assert missing == []


def test_every_action_step_reads_as_a_sentence_without_codes() -> None:
    for action in CourseAction:
        for haic in HaicStep:
            for sor in SorafenibStep:
                for level, mg in ((0, 800.0), (-1, 600.0), (None, None)):
                    w = next_step_words(_Decision(action, haic, sor, 3, level, mg))
                    for text in (w.headline, w.haic, w.sorafenib):
                        assert text and not SNAKE.search(text), text
                        assert "{" not in text and "None" not in text, text
                        assert text not in {x.value for x in (action, haic, sor)}, text


@pytest.mark.parametrize(
    ("decision", "headline", "haic", "sorafenib"),
    [
        (
            _Decision(CourseAction.GIVE_CYCLE, HaicStep.GIVE, SorafenibStep.CONTINUE, 3, 0, 800),
            "Give cycle 3 at full dose",
            "Give TACE-HAIC cycle 3 at full dose",
            "Continue sorafenib at 800 mg/day",
        ),
        (
            _Decision(
                CourseAction.GIVE_CYCLE_REDUCED,
                HaicStep.GIVE_REDUCED,
                SorafenibStep.ESCALATE,
                2,
                -1,
            ),
            "Give cycle 2 at a reduced dose (HAIC dose level -1)",
            "Give TACE-HAIC cycle 2 at a reduced dose (HAIC dose level -1)",
            "Increase sorafenib to 400 mg/day",
        ),
        (
            _Decision(CourseAction.PAUSE_SORAFENIB, HaicStep.GIVE, SorafenibStep.PAUSE, 2, 0, 800),
            "Hold sorafenib",
            "Give TACE-HAIC cycle 2 at full dose",
            "Hold sorafenib until the side effect settles, then resume at 800 mg/day",
        ),
        (
            _Decision(
                CourseAction.REDUCE_SORAFENIB, HaicStep.GIVE, SorafenibStep.REDUCE, 2, 0, 400
            ),
            "Reduce sorafenib to 400 mg/day",
            "Give TACE-HAIC cycle 2 at full dose",
            "Reduce sorafenib to 400 mg/day",
        ),
        (
            _Decision(CourseAction.STOP_ALL, HaicStep.STOP, SorafenibStep.STOP, None, None, None),
            "Stop all study treatment",
            "Stop TACE-HAIC (no more cycles)",
            "Stop sorafenib",
        ),
    ],
)
def test_sentences_of_a_decision(
    decision: _Decision, headline: str, haic: str, sorafenib: str
) -> None:
    w = next_step_words(decision)
    assert (w.headline, w.haic, w.sorafenib) == (headline, haic, sorafenib)


def test_every_rule_of_the_engine_and_the_bundled_regimens_has_a_name() -> None:
    from pathlib import Path

    from hcctrial.protocol.regimen import load_regimen

    src = Path(__file__).resolve().parents[2] / "src" / "hcctrial" / "protocol"
    engine = set()
    for path in src.glob("*.py"):
        text = path.read_text()
        engine |= set(re.findall(r'Reason\(\s*"([a-z_0-9]+)"', text))
        engine |= set(re.findall(r'rule="([a-z_0-9]+)"', text))
    assert {"death", "give_cycle", "sorafenib_reduce", "max_delay"} <= engine  # the scan works
    regimens = {
        r.id
        for name in ("tace_haic_folfox", "sorafenib_tace_haic_folfox")
        for r in load_regimen(name).dose_modifications.toxicity_rules
    }
    computed = {"pre_cycle_anc", "pre_cycle_alt", "pre_cycle_ecog", "pre_cycle_weight_kg"}
    missing = sorted((engine | regimens | computed) - set(RULE_WORDS))
    assert missing == []
    assert rule_in_words("pre_cycle_anc") == "Pre-cycle lab: Neutrophils (ANC)"
    assert rule_in_words("myelosuppression_grade_3_4") == "Low blood counts, grade 3-4"


def test_an_unknown_rule_id_still_reads_as_words() -> None:
    assert rule_in_words("rash_grade_3_4") == "Rash grade 3-4"
    assert rule_in_words("unresolved_grade_2_toxicity") == "Unresolved grade 2 toxicity"


@pytest.mark.parametrize(
    ("engine", "words"),
    [
        (
            "labs[9] anc 0.8 10^9/L on 2026-01-26: Neutrophil count decreased grade 3 (CTCAE "
            "v4.03 '<1000 - 500/mm3; <1.0 - 0.5 x 10e9 /L'), after cycle 1: HAIC level 0 -> -1",
            "Neutrophils (ANC) 0.8 10^9/L on 2026-01-26: Neutrophil count decreased grade 3 "
            "(CTCAE v4.03 “<1000 - 500/mm3; <1.0 - 0.5 x 10e9 /L”), after cycle 1: HAIC level "
            "0 → -1",
        ),
        (
            "adverse_events[1] Palmar-plantar erythrodysesthesia syndrome (entered as 'HFSR') "
            "grade 2 from 2026-02-07, ongoing: ongoing; resume when grade <= 1",
            "Adverse event: Palmar-plantar erythrodysesthesia syndrome (entered as “HFSR”) "
            "grade 2 from 2026-02-07, ongoing: ongoing; resume when grade ≤ 1",
        ),
        (
            "ECOG performance status 3 (exams[1] on 2026-02-06): above the entry limit 0-2",
            "ECOG performance status 3 (pre-cycle examination on 2026-02-06): above the entry "
            "limit 0-2",
        ),
        (
            "ECOG performance status 3 (cycles[1] on 2026-02-06): above the entry limit 0-2",
            "ECOG performance status 3 (cycle 2 on 2026-02-06): above the entry limit 0-2",
        ),
        (
            "no bilirubin, inr (or pt_prolongation) recorded between 2026-03-08 and 2026-03-15",
            "No bilirubin, INR (or prothrombin time prolongation) recorded between 2026-03-08 and "
            "2026-03-15",
        ),
        (
            "Child-Pugh C10 (points {'bilirubin': 3, 'albumin': 3, 'inr': 1, 'ascites': 2, "
            "'encephalopathy': 1}) from the labs",
            "Child-Pugh C10 (points bilirubin 3, albumin 3, INR 1, ascites 2, encephalopathy 1) "
            "from the labs",
        ),
        (
            "CR on 2026-03-06 (a single scan: stopping.cr_reading)",
            "CR on 2026-03-06 (a single scan: how the regimen reads a complete response)",
        ),
        (
            "the BSA must be recomputed, but the record has no height_cm",
            "The BSA must be recomputed, but the record has no height",
        ),
        (
            "labs[15] (alt 1000): cannot grade as Alanine aminotransferase increased",
            "ALT 1000: cannot grade as Alanine aminotransferase increased",
        ),
        (
            "anc 1.2 10^9/L on 2026-02-06; the cycle needs anc >= 1.5 10^9/L",
            "Neutrophils (ANC) 1.2 10^9/L on 2026-02-06; the cycle needs neutrophils (ANC) ≥ 1.5 "
            "10^9/L",
        ),
        (
            "sorafenib_changes[0].level: got 7; expected 'start'",
            "Sorafenib changes level: got 7; expected “start”",
        ),
    ],
)
def test_a_finding_loses_paths_codes_and_reprs(engine: str, words: str) -> None:
    assert finding_in_words(engine) == words


def test_sources_in_words_keep_the_apostrophes_and_can_stay_lower_case() -> None:
    source = (
        "hcctrial default; paper silent (the paper's reading; lymphopenia alone: "
        "hold_cycle_while_grade_at_least)"
    )
    assert finding_in_words(source, False) == (
        "this trial's default where the paper is silent (the paper's reading; lymphopenia "
        "alone: the rule that holds a cycle while a side effect is severe)"
    )
    assert finding_in_words("paper (Methods)") == "The trial paper (Methods)"


def test_next_step_words_of_a_real_decision() -> None:
    """The seed regimen's decision for a first cycle (examples/records/first_cycle.json)."""
    import json
    from pathlib import Path

    from hcctrial.protocol.course import next_step
    from hcctrial.protocol.regimen import load_regimen

    path = Path(__file__).resolve().parents[2] / "examples" / "records" / "first_cycle.json"
    data = json.loads(path.read_text())
    d = next_step(data, load_regimen(data.get("regimen") or "sorafenib_tace_haic_folfox"))
    w = next_step_words(d)
    assert w.headline == "Give cycle 1 at full dose"
    assert w.sorafenib == "Continue sorafenib at 400 mg/day"
    assert isinstance(d.decision_date, date)
