"""The pydantic model of a regimen's treatment-decision rules: pre-cycle checks and toxicity rules.

Part of the regimen schema (:mod:`hcctrial.protocol.schema`), kept apart because it is the table
the course engine (:mod:`hcctrial.protocol.course`) reads and nothing else:

- ``[pre_cycle]``: the labs required before each cycle, their window, and the pre-cycle
  examination (ECOG performance status, weight). A required lab missing in the window, or not
  gradable, holds the cycle.
- ``[[dose_modifications.toxicity_rules]]``: one row per (AE term, or system organ class, or "any
  other"), grade range, state (ongoing / resolved since the last cycle) and occurrence: which drugs
  it acts on, the action (continue, hold, stop), the grade at which treatment may resume, whether
  it resumes one dose level lower, and the source (the paper's words, or "hcctrial default; paper
  silent"). A row the paper does not settle says so (``interpretation = true``) and names the
  other reading (``alternative``); the engine passes both on to its decision.

Rows are matched most specific first: rows naming the term, then rows naming its SOC, then the
"any other" row; within each, the first row in file order whose grade, state and occurrence fit.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "LAB_ANALYTES",
    "DoseModifications",
    "LabAnalyte",
    "PreCycle",
    "StartCycleLab",
    "ToxicityRule",
]

PositiveInt = Annotated[int, Field(gt=0)]
Comparison = Literal[">", ">=", "<", "<="]
LabAnalyte = Literal[
    "wbc",
    "anc",
    "platelets",
    "lymphocytes",
    "hemoglobin",
    "creatinine",
    "albumin",
    "bilirubin",
    "inr",
    "alt",
    "ast",
    "alp",
    "ggt",
    "lvef",
]
LAB_ANALYTES: tuple[str, ...] = LabAnalyte.__args__  # type: ignore[attr-defined]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PreCycle(_Model):
    """What must be known before each cycle, and how recent it must be."""

    #: analytes whose value must lie in the window and be gradable by CTCAE (limits of normal given)
    labs: list[LabAnalyte] = Field(min_length=1)
    #: a value counts when taken at most this many days before the decision date (and after the
    #: last cycle)
    window_days: PositiveInt
    #: the pre-cycle examination: ECOG performance status and/or weight, in the same window
    exam: list[Literal["ecog", "weight_kg"]] = Field(default_factory=list)
    quote: str
    source: str


class StartCycleLab(_Model):
    """A lab value that must hold on the day a cycle starts, else the cycle is delayed."""

    analyte: LabAnalyte
    op: Comparison
    value: float
    unit: str
    source: str


class ToxicityRule(_Model):
    """One row of the toxicity table (see the module docstring)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    #: CTCAE terms this row names (their CTCAE spelling), or
    terms: list[str] = Field(default_factory=list)
    #: a MedDRA system organ class, or
    soc: str | None = None
    #: every term no other row names (``except_terms`` left out: e.g. the haematological counts)
    any_other: bool = False
    except_terms: list[str] = Field(default_factory=list)
    min_grade: int = Field(ge=1, le=5)
    max_grade: int = Field(ge=1, le=5)
    #: "ongoing": the event is unresolved; "resolved": resolved since the last cycle; "any": both
    state: Literal["ongoing", "resolved", "any"] = "any"
    #: occurrence number of the term at this grade (1 = first time); max None = no upper bound
    min_occurrence: PositiveInt = 1
    max_occurrence: PositiveInt | None = None
    #: drug names of the regimen, "sorafenib", or "all"
    drugs: list[str] = Field(min_length=1)
    action: Literal["continue", "hold", "stop"]
    #: hold: the drugs wait until the event is back to this grade (a recorded resolution counts)
    resume_when_grade_at_most: int | None = Field(default=None, ge=0, le=4)
    #: hold: on resumption, the same dose level or one level lower
    on_resume: Literal["same_level", "one_level_lower"] = "same_level"
    #: continue: becomes hold (one level lower) if the event is still there after this many days
    no_improvement_days: PositiveInt | None = None
    #: the paper's words the row rests on ("" where the paper is silent)
    quote: str = ""
    source: str
    interpretation: bool = False
    alternative: str = ""

    @model_validator(mode="after")
    def _check(self) -> ToxicityRule:
        kinds = sum([bool(self.terms), self.soc is not None, self.any_other])
        if kinds != 1:
            raise ValueError("give exactly one of terms, soc or any_other = true")
        if self.except_terms and not self.any_other:
            raise ValueError("except_terms belongs to an any_other row")
        if self.min_grade > self.max_grade:
            raise ValueError("min_grade is above max_grade")
        if self.max_occurrence is not None and self.max_occurrence < self.min_occurrence:
            raise ValueError("max_occurrence is below min_occurrence")
        if self.action == "hold" and self.resume_when_grade_at_most is None:
            raise ValueError("a hold row needs resume_when_grade_at_most")
        if self.action != "hold" and self.on_resume != "same_level":
            raise ValueError("on_resume applies to hold rows only")
        if self.no_improvement_days is not None and self.action != "continue":
            raise ValueError("no_improvement_days applies to continue rows only")
        if self.interpretation and not self.alternative:
            raise ValueError("an interpretation row must name the alternative reading")
        return self

    def grade_text(self) -> str:
        """The grades the row covers, in words: ``"grade 3-4"``."""
        if self.min_grade == self.max_grade:
            return f"grade {self.min_grade}"
        return f"grade {self.min_grade}-{self.max_grade}"

    def describe(self) -> str:
        """The row in words (what triggers it and what it does), for the engine's reasons."""
        other = "any other non-haematological AE" if self.except_terms else "any other AE"
        what = " / ".join(self.terms) or (f"any {self.soc} term" if self.soc else other)
        occ = ""
        if self.max_occurrence is None and self.min_occurrence > 1:
            occ = f", occurrence {self.min_occurrence} or later"
        elif self.max_occurrence is not None:
            span = (
                str(self.min_occurrence)
                if self.max_occurrence == self.min_occurrence
                else f"{self.min_occurrence}-{self.max_occurrence}"
            )
            occ = f", occurrence {span}"
        drugs = ", ".join(self.drugs)
        if self.action == "continue":
            act = f"continue {drugs}"
            if self.no_improvement_days:
                act += (
                    f"; if not improved within {self.no_improvement_days} days, hold until grade "
                    f"<= {self.resume_when_grade_at_most or 1} and resume one level lower"
                )
        elif self.action == "stop":
            act = f"stop {drugs}"
        else:
            lower = (
                "one level lower" if self.on_resume == "one_level_lower" else "at the same level"
            )
            act = f"hold {drugs} until grade <= {self.resume_when_grade_at_most}, resume {lower}"
        return f"{what} {self.grade_text()}{occ}: {act}"


class DoseModifications(_Model):
    """Dose-modification rules for the course engine (the paper is largely silent on them)."""

    quote: str
    start_cycle_labs: list[StartCycleLab]
    delay_recheck_days: PositiveInt
    max_delay_days: PositiveInt
    delay_source: str
    #: no TACE-HAIC day 1 while any toxicity of at least this grade is unresolved, whatever drug
    #: it is attributed to
    hold_cycle_while_grade_at_least: int = Field(ge=1, le=5)
    hold_cycle_source: str
    toxicity_rules: list[ToxicityRule] = Field(min_length=1)
    below_lowest_haic_level: Literal["discontinue_haic"]
    below_lowest_sorafenib_level: Literal["discontinue_sorafenib"]

    @model_validator(mode="after")
    def _check(self) -> DoseModifications:
        ids = [r.id for r in self.toxicity_rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"toxicity rule ids must be unique; repeated: {dup}")
        if sum(r.any_other for r in self.toxicity_rules) > 1:
            raise ValueError("at most one any_other row")
        return self
