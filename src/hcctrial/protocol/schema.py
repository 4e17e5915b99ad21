"""The pydantic model of a regimen file (``protocol/regimens/*.toml``).

A regimen file holds every number of a treatment protocol: eligibility thresholds, the drugs with
their dose per m² by Child-Pugh class, route, duration and order, sorafenib's dose levels, the cycle
and imaging calendar, dose-modification rules, response-assessment parameters and stopping rules.
Code never hard-wires these numbers; it reads them from a :class:`Regimen`.

Every model forbids unknown keys (``extra="forbid"``), is strict about types (a string where a
number belongs is an error, not a conversion) and is frozen. :func:`hcctrial.protocol.regimen.
load_regimen` turns validation errors into a :class:`~hcctrial.errors.ProtocolError` naming the
key path, e.g. ``drugs[2].dose_per_m2.B``.

Units are in the key names: ``_mg``, ``_h``, ``_mm``, ``_days``, ``_weeks``, ``_months``, ``_m2``.
Where the seed paper is silent, the file says so in a ``source`` field
(``"hcctrial default; paper silent"``) and ``docs/protocol.md`` explains the choice.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hcctrial.protocol.schema_rules import (
    DoseModifications,
    LabAnalyte,
    PreCycle,
    StartCycleLab,
    ToxicityRule,
)

__all__ = [
    "Assessment",
    "CycleSettings",
    "DoseLevel",
    "DoseModifications",
    "DosingSettings",
    "Drug",
    "Eligibility",
    "ExclusionCriterion",
    "FixedDose",
    "LabCriterion",
    "PerClassDose",
    "PreCycle",
    "Regimen",
    "ScheduleSettings",
    "SorafenibLevel",
    "SorafenibSettings",
    "StartCycleLab",
    "Stopping",
    "TaceSettings",
    "ToxicityRule",
]

PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
PositiveInt = Annotated[int, Field(gt=0)]
Comparison = Literal[">", ">=", "<", "<="]
Route = Literal["intra-arterial", "intravenous", "oral"]
ChildPughKey = Literal["A", "B"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --------------------------------------------------------------------------------------------------
# eligibility
# --------------------------------------------------------------------------------------------------


class LabCriterion(_Model):
    """A lab or measurement threshold: ``value op threshold`` in ``unit`` (e.g. wbc > 3.0 10^9/L)."""

    id: str
    analyte: LabAnalyte
    op: Comparison
    value: float
    unit: str
    paper_item: str
    quote: str
    note: str = ""


class ExclusionCriterion(_Model):
    """An exclusion criterion, phrased in the screening result as a requirement ("no ...")."""

    id: str
    field: Literal[
        "other_malignancy",
        "uncontrolled_infection",
        "pregnant_or_breastfeeding",
        "prior_sorafenib",
        "severe_allergy_contrast_or_drugs",
    ]
    paper_item: str
    quote: str
    #: uncontrolled infection only: an infection whose CTCAE grade is above this is excluding
    infection_grade_above: int | None = None


class Eligibility(_Model):
    """Inclusion and exclusion criteria of the protocol."""

    diagnosis_methods: list[Literal["pathology", "aasld_noninvasive"]] = Field(min_length=1)
    diagnosis_quote: str
    age_min_years: int = Field(ge=0)
    age_max_years: int = Field(ge=0)
    age_inclusive: bool
    age_quote: str
    ecog_max: int = Field(ge=0, le=4)
    ecog_quote: str
    #: Child-Pugh "class + points" labels that are admitted, e.g. ["A5", "A6", "B7"]
    child_pugh_allowed: list[Literal["A5", "A6", "B7", "B8", "B9"]] = Field(min_length=1)
    child_pugh_quote: str
    bclc_allowed: list[Literal["0", "A", "B", "C", "D"]] = Field(min_length=1)
    bclc_quote: str
    labs: list[LabCriterion] = Field(min_length=0)
    exclusions: list[ExclusionCriterion]

    @model_validator(mode="after")
    def _check(self) -> Eligibility:
        if self.age_min_years > self.age_max_years:
            raise ValueError("age_min_years is above age_max_years")
        ids = [c.id for c in self.labs] + [c.id for c in self.exclusions]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"criterion ids must be unique; repeated: {dup}")
        for c in self.exclusions:
            if c.field == "uncontrolled_infection" and c.infection_grade_above is None:
                raise ValueError(
                    f"exclusion {c.id!r} (uncontrolled_infection) needs infection_grade_above"
                )
        return self


# --------------------------------------------------------------------------------------------------
# drugs and dosing
# --------------------------------------------------------------------------------------------------


class PerClassDose(_Model):
    """A dose per m² for Child-Pugh class A and for class B (in the drug's ``dose_unit``)."""

    A: PositiveFloat
    B: PositiveFloat


class FixedDose(_Model):
    """A fixed (not BSA-based) dose range in mg, and the dose the dose sheet prints."""

    min_mg: PositiveFloat
    max_mg: PositiveFloat
    default_mg: PositiveFloat
    default_source: str

    @model_validator(mode="after")
    def _check(self) -> FixedDose:
        if not self.min_mg <= self.default_mg <= self.max_mg:
            raise ValueError("default_mg must lie within min_mg..max_mg")
        return self


class Drug(_Model):
    """One drug given on days 1-2 of a cycle (TACE or HAIC).

    Exactly one of ``dose_per_m2`` (BSA-based, in ``dose_unit`` per m²) or ``fixed_dose``.
    Timing: the first drug (``start_after`` and ``start_with`` both empty) starts on the first
    TACE-HAIC day of the cycle at ``cycle.start_clock``; ``start_after = "x"`` starts when drug x ends; ``start_with = "x"`` starts
    when drug x starts.
    """

    name: str
    component: Literal["tace", "haic"]
    route: Route
    duration_h: PositiveFloat
    duration_source: str = "paper"
    dose_per_m2: PerClassDose | None = None
    dose_unit: Literal["mg", "g"] = "mg"
    fixed_dose: FixedDose | None = None
    vehicle: str = ""
    start_after: str = ""
    start_with: str = ""
    #: True: the HAIC dose level (reduction factor) applies to this drug
    reducible: bool
    quote: str
    #: lifetime cumulative dose limit in mg/m² (epirubicin: cardiotoxicity), and its source
    cumulative_limit_mg_m2: PositiveFloat | None = None
    cumulative_limit_source: str = ""
    #: the report counts a patient "near the limit" from this % of it (below the limit itself)
    cumulative_near_pct: float | None = Field(default=None, gt=0, lt=100)
    cumulative_near_source: str = ""

    @model_validator(mode="after")
    def _check(self) -> Drug:
        if (self.dose_per_m2 is None) == (self.fixed_dose is None):
            raise ValueError("give exactly one of dose_per_m2 or fixed_dose")
        if self.start_after and self.start_with:
            raise ValueError("give at most one of start_after or start_with")
        if self.cumulative_near_pct is not None and self.cumulative_limit_mg_m2 is None:
            raise ValueError("cumulative_near_pct needs cumulative_limit_mg_m2 (near what?)")
        return self


class DoseLevel(_Model):
    """An HAIC dose level: ``factor`` times the full dose for every drug with ``reducible = true``."""

    level: int = Field(le=0)
    factor: float = Field(gt=0, le=1)
    source: str


class DosingSettings(_Model):
    """How BSA and doses are computed and rounded."""

    bsa_formula: Literal["mosteller", "dubois", "haycock"]
    bsa_decimals: int = Field(ge=0, le=4)
    #: a number caps the BSA used for dosing at that many m²; "none" = no cap (the paper sets none)
    bsa_cap_m2: PositiveFloat | Literal["none"]
    round_to_mg: PositiveFloat
    rounding: Literal["half_up"]
    source: str
    haic_levels: list[DoseLevel] = Field(min_length=1)
    #: the BSA is recomputed from the latest weight when it differs from the weight of the BSA in
    #: use by more than this many percent
    bsa_recompute_weight_change_pct: PositiveFloat
    bsa_recompute_source: str

    @model_validator(mode="after")
    def _check(self) -> DosingSettings:
        levels = [lv.level for lv in self.haic_levels]
        if 0 not in levels:
            raise ValueError("haic_levels needs level 0 (full dose)")
        if len(set(levels)) != len(levels):
            raise ValueError("haic_levels repeats a level")
        by_level = sorted(self.haic_levels, key=lambda lv: -lv.level)
        if by_level[0].factor != 1.0:
            raise ValueError("level 0 must have factor 1.0")
        for hi, lo in pairwise(by_level):
            if lo.factor >= hi.factor:
                raise ValueError("a lower level must have a smaller factor")
            if hi.level - lo.level != 1:
                raise ValueError("haic_levels must be consecutive (0, -1, -2, ...)")
        return self


class SorafenibLevel(_Model):
    """A sorafenib dose level: total daily dose and how it is split."""

    level: int = Field(le=0)
    daily_mg: PositiveFloat
    schedule: str
    quote: str


class SorafenibSettings(_Model):
    """Oral sorafenib: starting dose, full dose and reduced levels."""

    route: Literal["oral"]
    start_daily_mg: PositiveFloat
    start_schedule: str
    start_quote: str
    escalate_when: str
    #: course engine: escalate from the starting dose to level 0 once the start dose has been
    #: taken this many days with no ongoing sorafenib-related adverse event above
    #: ``escalate_max_grade`` (the paper: "if the drug tolerance was acceptable", no number)
    escalate_after_days: PositiveInt = 14
    escalate_max_grade: int = Field(default=1, ge=0, le=4)
    escalate_source: str = (
        "hcctrial default; paper silent (escalate after 14 days on the starting dose when no "
        "sorafenib-related adverse event above grade 1 is ongoing)"
    )
    levels: list[SorafenibLevel] = Field(min_length=1)
    continue_after_cr: bool

    @model_validator(mode="after")
    def _check(self) -> SorafenibSettings:
        levels = [lv.level for lv in self.levels]
        if 0 not in levels:
            raise ValueError("levels needs level 0 (full dose)")
        if len(set(levels)) != len(levels):
            raise ValueError("levels repeats a level")
        by_level = sorted(self.levels, key=lambda lv: -lv.level)
        for hi, lo in pairwise(by_level):
            if lo.daily_mg >= hi.daily_mg:
                raise ValueError("a lower level must have a smaller daily dose")
        return self


class TaceSettings(_Model):
    """TACE materials (numbers carried for the record; the dose sheet prints the lipiodol limit)."""

    lipiodol_max_ml: PositiveFloat
    lipiodol_max_strict: bool
    embospheres_um: list[list[PositiveFloat]]
    gelatin_sponge_um: list[PositiveFloat]
    microcatheter_fr: PositiveFloat
    puncture_compression_h: PositiveFloat
    quote: str


# --------------------------------------------------------------------------------------------------
# cycle and calendar
# --------------------------------------------------------------------------------------------------


class CycleSettings(_Model):
    """Cycle length, treatment days and the cap on HAIC cycles."""

    min_weeks: PositiveInt
    max_weeks: PositiveInt
    tace_haic_days: list[PositiveInt] = Field(min_length=1)
    max_haic_cycles: PositiveInt
    start_clock: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    start_clock_source: str
    quote: str

    @model_validator(mode="after")
    def _check(self) -> CycleSettings:
        if self.min_weeks > self.max_weeks:
            raise ValueError("min_weeks is above max_weeks")
        return self


class ScheduleSettings(_Model):
    """Labs, AFP and imaging calendar."""

    labs_before_each_cycle: bool
    afp_before_each_cycle: bool
    imaging_every_n_cycles: PositiveInt
    maintenance_imaging_every_months: PositiveInt
    afp_after_cr_every_months: PositiveInt
    imaging_after_cr_every_months: PositiveInt
    quote: str
    #: The visit calendar of the data managers' schedule (issue 19): follow-up contacts after
    #: treatment ends, and the window (days either side) of a visit set by the month.
    follow_up_every_months: PositiveInt = 3
    visit_window_days: PositiveInt = 14
    calendar_source: str | None = None


# --------------------------------------------------------------------------------------------------
# dose modifications, assessment, stopping
# --------------------------------------------------------------------------------------------------


class Assessment(_Model):
    """Response-assessment parameters (mRECIST plus the protocol's own overlays)."""

    criteria: Literal["mRECIST"]
    ctcae_version: Literal["4.03", "5.0"]
    imaging_modalities: list[Literal["CT", "MRI"]] = Field(min_length=1)
    cr_requires_normal_afp: bool
    cr_with_raised_afp_becomes: Literal["PR"]
    afp_uln_ng_ml: PositiveFloat
    afp_uln_source: str
    new_node_pd_threshold_mm: PositiveFloat
    new_node_pd_strict: bool
    new_node_quote: str
    min_sd_days: PositiveInt
    confirmation_required: bool
    confirm_days: PositiveInt
    max_ne_between: int = Field(ge=0)
    accept_sd_between: bool
    source: str


class Stopping(_Model):
    """When parts of the treatment, or all of it, stop."""

    stop_tace_haic_at_cr: bool
    continue_sorafenib_after_cr: bool
    #: treatment stops when PD has been seen this many times (the paper: twice)
    stop_all_at_pd_count: PositiveInt
    pfs_event: Literal["first_pd"]
    stop_on_intolerable_toxicity_after_reduction: bool
    #: what "the treatment was discontinued" stops when a drug is not tolerated after reduction:
    #: all treatment, or the drug that was not tolerated (an interpretation; the other is named)
    intolerable_after_reduction_stops: Literal["all", "the_drug"]
    intolerable_reading_source: str
    stop_on_refusal: bool
    stop_on_death: bool
    #: "stable conditions with a CR": a CR confirmed by a later assessment at least
    #: ``cr_confirm_weeks`` after it ("confirmed"), or a single CR scan ("single_scan")
    cr_reading: Literal["confirmed", "single_scan"]
    cr_confirm_weeks: PositiveInt
    cr_reading_source: str
    quote: str


# --------------------------------------------------------------------------------------------------
# the regimen
# --------------------------------------------------------------------------------------------------


class Regimen(_Model):
    """A whole regimen file."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    version: str
    source: str
    notes: list[str] = Field(default_factory=list)
    eligibility: Eligibility
    drugs: list[Drug] = Field(min_length=1)
    dosing: DosingSettings
    sorafenib: SorafenibSettings | None = None
    tace: TaceSettings | None = None
    cycle: CycleSettings
    schedule: ScheduleSettings
    pre_cycle: PreCycle
    dose_modifications: DoseModifications
    assessment: Assessment
    stopping: Stopping

    @model_validator(mode="after")
    def _check(self) -> Regimen:
        names = [d.name for d in self.drugs]
        if len(set(names)) != len(names):
            raise ValueError(f"drug names must be unique; got {names}")
        if "sorafenib" in names:
            raise ValueError("sorafenib belongs in the [sorafenib] section, not in [[drugs]]")
        first = [d.name for d in self.drugs if not d.start_after and not d.start_with]
        if len(first) != 1:
            raise ValueError(
                "exactly one drug must start the timetable (no start_after / start_with); "
                f"got {first}"
            )
        for i, d in enumerate(self.drugs):
            ref = d.start_after or d.start_with
            if ref and ref not in names[:i]:
                raise ValueError(
                    f"drugs[{i}] ({d.name}): start_after/start_with {ref!r} must name a drug "
                    "listed before it"
                )
        if self.sorafenib is None and self.stopping.continue_sorafenib_after_cr:
            raise ValueError(
                "stopping.continue_sorafenib_after_cr is true but there is no sorafenib"
            )
        self._check_toxicity_rules(names)
        return self

    def _check_toxicity_rules(self, names: list[str]) -> None:
        from hcctrial.assess.adverse_events import ctcae_terms

        known = set(ctcae_terms(self.assessment.ctcae_version))
        socs = {t.soc for t in ctcae_terms(self.assessment.ctcae_version).values()}
        drugs = {*names, "all"} | ({"sorafenib"} if self.sorafenib is not None else set())
        for i, rule in enumerate(self.dose_modifications.toxicity_rules):
            where = f"dose_modifications.toxicity_rules[{i}] ({rule.id})"
            bad = [d for d in rule.drugs if d not in drugs]
            if bad:
                raise ValueError(f"{where}: drugs {bad}: expected names of {sorted(drugs)}")
            unknown = [t for t in (*rule.terms, *rule.except_terms) if t not in known]
            if unknown:
                raise ValueError(
                    f"{where}: {unknown} not CTCAE v{self.assessment.ctcae_version} terms "
                    "(write CTCAE's own spelling)"
                )
            if rule.soc is not None and rule.soc not in socs:
                raise ValueError(f"{where}: soc {rule.soc!r} is not a CTCAE system organ class")

    def component_of(self, drug: str) -> Literal["tace_haic", "sorafenib"]:
        """Return the part of the treatment a drug of the toxicity table belongs to."""
        return "sorafenib" if drug == "sorafenib" else "tace_haic"

    def components_of(self, rule: ToxicityRule) -> frozenset[str]:
        """Return the treatment parts ("tace_haic", "sorafenib") a toxicity rule acts on."""
        if "all" in rule.drugs:
            parts = {"tace_haic"} | ({"sorafenib"} if self.sorafenib is not None else set())
            return frozenset(parts)
        return frozenset(self.component_of(d) for d in rule.drugs)

    def drug(self, name: str) -> Drug:
        """Return the drug called ``name`` (KeyError when the regimen has none)."""
        for d in self.drugs:
            if d.name == name:
                return d
        raise KeyError(name)

    def haic_level(self, level: int) -> DoseLevel:
        """Return HAIC dose level ``level`` (KeyError when the file has no such level)."""
        for lv in self.dosing.haic_levels:
            if lv.level == level:
                return lv
        raise KeyError(level)
