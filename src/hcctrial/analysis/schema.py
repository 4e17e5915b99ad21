"""The pydantic model of a statistical analysis plan file (``analysis/plans/*.toml``).

A plan holds every choice of the trial's statistical analysis, written before the data exist:
the populations (rules over the derived data), the endpoints (origin, events, censoring,
competing events), the primary analysis and the design it was powered on, the conventions (time
unit, CI level and types, median rule and CI, follow-up, p-value format), landmarks, response
rates, the adverse-event table, subgroups, Cox models and sensitivity analyses. Code never
hard-wires these; :func:`hcctrial.analysis.run.analyse` reads them from a :class:`Plan`.

As in the regimen file, every model forbids unknown keys, is strict about types (a string where a
number belongs is an error, not a conversion) and is frozen; every entry says where it comes from:
``source = "paper"`` with the paper's words in ``quote``, or ``source = "hcctrial default; paper
silent"``, and a ``note`` where the choice needs a reason. :func:`hcctrial.analysis.plan.load_plan`
turns validation errors into a :class:`~hcctrial.errors.DataValidationError` naming the key path
(``endpoints.os.landmarks_months[1]: ...``) and checks the cross references (an endpoint, a
population or a variable named somewhere must exist).

Times in a plan are in months (key names end in ``_months``); ``conventions.time`` says how many
days a month has.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hcctrial.analysis.datasets import SUBJECT_VARIABLES
from hcctrial.analysis.word_fonts import DEFAULT_WORD_FONTS, word_fonts

__all__ = [
    "PAPER_SILENT",
    "AdverseEventTerm",
    "AdverseEvents",
    "CILevel",
    "Condition",
    "Conventions",
    "Covariate",
    "CoxModel",
    "Design",
    "Endpoint",
    "FollowUpConvention",
    "LabTerm",
    "Level",
    "MedianConvention",
    "OneSampleLogrankDesign",
    "Outputs",
    "PValues",
    "Plan",
    "Population",
    "Primary",
    "Response",
    "ResponseRate",
    "Sensitivity",
    "SingleArmDesign",
    "Software",
    "Subgroup",
    "SubgroupMethods",
    "SurvivalCI",
    "TimeUnit",
]

#: The ``source`` of an entry the paper does not state (as in the regimen file).
PAPER_SILENT = "hcctrial default; paper silent"

PositiveFloat = Annotated[float, Field(gt=0)]
Probability = Annotated[float, Field(gt=0, lt=1)]
Scalar = bool | int | float | str
BandType = Literal["log", "log-log", "plain"]
EventKind = Literal["progression", "death", "withdrawal"]
BestResponse = Literal["CR", "PR", "SD", "PD", "NE"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Sourced(_Model):
    """An entry with its provenance: the paper's words, or hcctrial's default where it is silent."""

    source: Literal["paper", "hcctrial default; paper silent"]
    quote: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _check_source(self) -> _Sourced:
        if self.source == "paper" and not self.quote.strip():
            raise ValueError("source 'paper' needs the paper's words in quote")
        if self.source == PAPER_SILENT and self.quote.strip():
            raise ValueError(
                f"source {PAPER_SILENT!r} cannot carry a quote; give the paper's words with "
                "source 'paper', or the reason in note"
            )
        return self


def _ascending(values: list[float], what: str) -> list[float]:
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError(f"{what} must be strictly increasing")
    return values


def _unique(values: list[str], what: str) -> list[str]:
    dup = sorted({v for v in values if values.count(v) > 1})
    if dup:
        raise ValueError(f"{what} must be unique; repeated: {dup}")
    return values


def _known_variable(name: str) -> str:
    if name not in SUBJECT_VARIABLES:
        raise ValueError(
            f"unknown subject variable {name!r}; expected one of {sorted(SUBJECT_VARIABLES)}"
        )
    return name


# --------------------------------------------------------------------------------- conventions
class TimeUnit(_Sourced):
    """Times are reported in months of ``days_per_month`` days (30.4375 = 365.25 / 12)."""

    unit: Literal["months"]
    days_per_month: PositiveFloat


class CILevel(_Sourced):
    """The confidence level of every interval of the plan (0.95 = 95 %)."""

    level: Annotated[float, Field(ge=0.5, lt=1)]


class SurvivalCI(_Sourced):
    """The pointwise CI of S(t): landmark rates, the KM bands drawn, and the primary estimate --
    one CI per quantity everywhere the quantity is shown."""

    type: BandType


class MedianConvention(_Sourced):
    """How the median (and its CI) of a survival curve is taken.

    ``rule = "spss"``: the first event time with S(t) <= 0.5 (|S - 0.5| < sqrt(eps) counting as
    equal), CI ``wald``: median -/+ z SE, SE by Collett's density estimate (SPSS). ``rule = "r"``:
    R survival's midpoint of a flat S = 0.5 stretch, CI ``brookmeyer-crowley``: the times where the
    ``band`` of the curve crosses 0.5. ``band`` is also the band R's CI inverts when the other
    rule is shown beside (``r_*`` keys).
    """

    rule: Literal["spss", "r"]
    ci: Literal["wald", "brookmeyer-crowley"]
    band: BandType

    @model_validator(mode="after")
    def _combination(self) -> MedianConvention:
        expected = {"spss": "wald", "r": "brookmeyer-crowley"}[self.rule]
        if self.ci != expected:
            raise ValueError(
                f"median rule {self.rule!r} goes with ci {expected!r} (the engine's two "
                f"conventions: SPSS's Wald interval is centred on SPSS's median); got {self.ci!r}"
            )
        return self


class FollowUpConvention(_Sourced):
    """Median follow-up: ``simple-median`` of all observed times of ``endpoint`` or the
    ``reverse-km`` median (censoring as the event; its CI on ``reverse_km_band``); both are
    reported, ``method`` says which one is *the* follow-up."""

    method: Literal["simple-median", "reverse-km"]
    endpoint: str
    reverse_km_band: BandType


class PValues(_Sourced):
    """p values print with ``digits`` decimals, below ``below`` as "< below"; ``significance``
    is the level called statistically significant."""

    digits: Annotated[int, Field(ge=1, le=6)]
    below: Probability
    significance: Probability


class Software(_Sourced):
    """The software the paper's analysis used (hcctrial states its own version in the methods)."""

    paper: str


class Conventions(_Model):
    """Every estimation convention of the plan."""

    time: TimeUnit
    ci_level: CILevel
    survival_ci: SurvivalCI
    median: MedianConvention
    followup: FollowUpConvention
    p_values: PValues
    software: Software


# ------------------------------------------------------------------------------- populations
class Condition(_Model):
    """``variable op value``: one comparison with a constant (``in``/``not in`` take a list)."""

    variable: str
    op: Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
    value: Scalar | list[Scalar]

    _variable = field_validator("variable")(_known_variable)

    @model_validator(mode="after")
    def _check(self) -> Condition:
        kind = SUBJECT_VARIABLES[self.variable][0]
        if self.op in ("in", "not in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"op {self.op!r} needs a non-empty list as value")
        elif isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} compares with one value, not a list")
        if self.op in ("<", "<=", ">", ">="):
            if kind != "number":
                raise ValueError(
                    f"op {self.op!r} needs a numeric variable; {self.variable!r} is a {kind}"
                )
            if isinstance(self.value, bool | str):
                raise ValueError(f"op {self.op!r} needs a number as value")
        return self


class Population(_Sourced):
    """An analysis population: the enrolled patients meeting every condition of ``all_of``
    (an empty list: every enrolled patient)."""

    label: str
    all_of: list[Condition] = Field(default_factory=list)


# --------------------------------------------------------------------------------- endpoints
class Endpoint(_Sourced):
    """A time-to-event endpoint and how it is derived from the patient's dates.

    Time runs from ``origin`` (the first TACE-HAIC, enrolment, or the first CR/PR -- patients
    without one have no row) to the first of ``events`` (status 1); the first of ``competing``
    before it ends the time as a competing event (status 2; cumulative incidence only); without
    either the patient is censored at ``censor_at``. An event kind in neither list (e.g. death for
    time to progression) is not an event: the patient is censored at ``censor_at``.
    """

    label: str
    short: str
    definition: str
    origin: Literal["first_treatment", "enrolment", "first_response"]
    events: list[EventKind] = Field(min_length=1)
    competing: list[EventKind] = Field(default_factory=list)
    censor_at: Literal["last_adequate_assessment", "last_contact"]
    estimator: Literal["kaplan-meier", "cumulative-incidence"]
    population: str
    landmarks_months: list[PositiveFloat] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Endpoint:
        _unique(list(self.events), "events")
        _unique(list(self.competing), "competing")
        _ascending(list(self.landmarks_months), "landmarks_months")
        both = sorted(set(self.events) & set(self.competing))
        if both:
            raise ValueError(f"{both} listed both as events and as competing events")
        if self.estimator == "cumulative-incidence" and not self.competing:
            raise ValueError("estimator 'cumulative-incidence' needs at least one competing event")
        if self.estimator == "kaplan-meier" and self.competing:
            raise ValueError(
                "competing events need estimator 'cumulative-incidence' (Kaplan-Meier would "
                "treat them as censored)"
            )
        return self


# ------------------------------------------------------------------------ primary and design
class Primary(_Sourced):
    """The primary analysis of ``endpoint``.

    ``landmark``: the Kaplan-Meier S(``time_months``) against ``null_rate``, Wald z on ``scale``
    (``log-log`` or ``plain``) with Greenwood's variance. ``one-sample-logrank``: observed events
    against those expected under an exponential (Weibull ``null_shape``) curve with median
    ``null_median_months``. ``alternative``: ``greater`` = survival better than the null;
    H0 is rejected when the p value for the alternative is below ``alpha``.
    """

    endpoint: str
    title: str
    test: Literal["landmark", "one-sample-logrank"]
    alternative: Literal["greater", "less", "two-sided"]
    alpha: Annotated[float, Field(gt=0, lt=0.5)]
    time_months: PositiveFloat | None = None
    null_rate: Probability | None = None
    scale: Literal["log-log", "plain"] | None = None
    null_median_months: PositiveFloat | None = None
    null_shape: PositiveFloat = 1.0

    @model_validator(mode="after")
    def _check(self) -> Primary:
        need = {
            "landmark": ("time_months", "null_rate", "scale"),
            "one-sample-logrank": ("null_median_months",),
        }[self.test]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"test {self.test!r} needs {', '.join(missing)}")
        other = {
            "landmark": ("null_median_months",),
            "one-sample-logrank": ("time_months", "null_rate", "scale"),
        }[self.test]
        extra = [k for k in other if getattr(self, k) is not None]
        if extra:
            raise ValueError(f"test {self.test!r} does not use {', '.join(extra)}")
        return self


class SingleArmDesign(_Sourced):
    """A single-arm binary (landmark-rate) design by the normal approximation
    (``hcctrial design single-arm``); ``n_evaluable``/``n_enrolled`` as the protocol states them."""

    method: Literal["single-arm-normal"]
    p0: Probability
    p1: Probability
    alpha: Annotated[float, Field(gt=0, lt=0.5)]
    power: Annotated[float, Field(gt=0.5, lt=1)]
    sides: Literal[1, 2]
    dropout: Annotated[float, Field(ge=0, lt=1)]
    dropout_rule: Literal["divide", "multiply"]
    variance: Literal["null_alt", "null", "alt"]
    n_evaluable: Annotated[int, Field(gt=0)] | None = None
    n_enrolled: Annotated[int, Field(gt=0)] | None = None


class OneSampleLogrankDesign(_Sourced):
    """A one-sample log-rank design (Wu 2015; ``hcctrial design one-sample-logrank``)."""

    method: Literal["one-sample-logrank"]
    median0_months: PositiveFloat
    hr: PositiveFloat
    accrual_months: PositiveFloat
    follow_up_months: PositiveFloat
    shape: PositiveFloat
    alpha: Annotated[float, Field(gt=0, lt=0.5)]
    power: Annotated[float, Field(gt=0.5, lt=1)]
    n_enrolled: Annotated[int, Field(gt=0)] | None = None


Design = Annotated[SingleArmDesign | OneSampleLogrankDesign, Field(discriminator="method")]


# ---------------------------------------------------------------------- response and safety
class ResponseRate(_Sourced):
    """A response rate: patients whose best response is one of ``responses``, with its CI."""

    label: str
    responses: list[Literal["CR", "PR", "SD", "PD"]] = Field(min_length=1)
    ci: Literal["clopper-pearson", "wilson"]


class Response(_Sourced):
    """Best overall response counts and the response rates, over ``population``.
    ``orr`` and ``dcr`` are required: they are fixed keys of ``hcctrial analyze --json``."""

    criteria: Literal["mRECIST", "RECIST 1.1"]
    population: str
    rates: dict[str, ResponseRate]

    @model_validator(mode="after")
    def _check(self) -> Response:
        missing = [k for k in ("orr", "dcr") if k not in self.rates]
        if missing:
            raise ValueError(
                f"rates needs {missing} (fixed keys of hcctrial analyze --json); got "
                f"{sorted(self.rates)}"
            )
        return self


class LabTerm(_Model):
    """A CTCAE lab term graded from the lab values of ``analyte``."""

    term: str
    analyte: str


class AdverseEventTerm(_Model):
    """A row of the adverse-event table: the worst grade over its CTCAE lab and clinical terms."""

    key: str
    label: str
    category: str
    lab_terms: list[LabTerm] = Field(default_factory=list)
    clinical_terms: list[str] = Field(default_factory=list)

    @field_validator("lab_terms")
    @classmethod
    def _lab(cls, terms: list[LabTerm]) -> list[LabTerm]:
        from hcctrial.assess.ctcae import lab_criteria

        known = lab_criteria("4.03")
        for t in terms:
            if t.term not in known:
                raise ValueError(
                    f"lab term {t.term!r} is not a CTCAE v4.03 lab term with grading criteria; "
                    f"expected one of {sorted(known)}"
                )
            if known[t.term].analyte not in (None, t.analyte):
                raise ValueError(
                    f"lab term {t.term!r} grades analyte {known[t.term].analyte!r}, not "
                    f"{t.analyte!r}"
                )
        return terms

    @field_validator("clinical_terms")
    @classmethod
    def _clinical(cls, terms: list[str]) -> list[str]:
        from hcctrial.assess.adverse_events import validate_term
        from hcctrial.errors import DataValidationError

        for t in terms:
            try:
                name = validate_term(t)
            except DataValidationError as exc:
                raise ValueError(str(exc).removeprefix("term: ")) from None
            if name != t:
                raise ValueError(f"write the CTCAE name {name!r}, not {t!r}")
        return terms

    @model_validator(mode="after")
    def _some_term(self) -> AdverseEventTerm:
        if not self.lab_terms and not self.clinical_terms:
            raise ValueError("a row needs at least one lab term or clinical term")
        return self


class AdverseEvents(_Sourced):
    """The adverse-event table: patients by worst CTCAE grade per row, over ``population``."""

    population: str
    ctcae_version: Literal["4.03"]
    terms: list[AdverseEventTerm] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> AdverseEvents:
        _unique([t.key for t in self.terms], "term keys")
        return self


# -------------------------------------------------------------------- subgroups, Cox, others
class Level(_Model):
    """A subgroup level: its label and the values of the variable that fall in it."""

    label: str
    values: list[Scalar] = Field(min_length=1)


class Subgroup(_Sourced):
    """A subgroup factor: levels by values (the reference level first) or by ``cut_points`` of a
    numeric variable, with ``labels`` (default "≤ c1", "> c1 to c2", ..., "> ck")."""

    key: str
    label: str
    variable: str
    levels: list[Level] = Field(default_factory=list)
    cut_points: list[float] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    endpoints: list[str] = Field(min_length=1)

    _variable = field_validator("variable")(_known_variable)

    @model_validator(mode="after")
    def _check(self) -> Subgroup:
        if bool(self.levels) == bool(self.cut_points):
            raise ValueError("give levels or cut_points (exactly one of them)")
        if self.levels:
            if len(self.levels) < 2:
                raise ValueError("levels needs at least two levels")
            if self.labels:
                raise ValueError("labels go with cut_points; levels carry their own label")
            _unique([lv.label for lv in self.levels], "level labels")
        else:
            _ascending(list(self.cut_points), "cut_points")
            kind = SUBJECT_VARIABLES[self.variable][0]
            if kind != "number":
                raise ValueError(
                    f"cut_points need a numeric variable; {self.variable!r} is a {kind}"
                )
            if self.labels and len(self.labels) != len(self.cut_points) + 1:
                raise ValueError(
                    f"labels needs {len(self.cut_points) + 1} entries (one per interval), got "
                    f"{len(self.labels)}"
                )
        _unique(list(self.endpoints), "endpoints")
        return self

    def level_labels(self) -> tuple[str, ...]:
        """The level labels in order (the reference level first)."""
        if self.levels:
            return tuple(lv.label for lv in self.levels)
        if self.labels:
            return tuple(self.labels)
        c = [f"{x:g}" for x in self.cut_points]
        mids = [f"> {a} to {b}" for a, b in itertools.pairwise(c)]
        return (f"≤ {c[0]}", *mids, f"> {c[-1]}")


class SubgroupMethods(_Sourced):
    """How subgroups are compared: the test, and hazard ratios of each level against the
    reference from a univariable Cox model with ``ties``."""

    test: Literal["log-rank"]
    hazard_ratio: Literal["cox"]
    ties: Literal["efron", "breslow"]


class Covariate(_Model):
    """A Cox covariate: ``indicator`` (1 when the value is one of ``values``), ``above`` (1 when
    the value exceeds ``threshold``) or ``continuous`` (the value itself)."""

    label: str
    variable: str
    coding: Literal["indicator", "above", "continuous"]
    values: list[Scalar] = Field(default_factory=list)
    threshold: float | None = None

    _variable = field_validator("variable")(_known_variable)

    @model_validator(mode="after")
    def _check(self) -> Covariate:
        kind = SUBJECT_VARIABLES[self.variable][0]
        if self.coding == "indicator" and not self.values:
            raise ValueError("coding 'indicator' needs values")
        if self.coding == "above" and self.threshold is None:
            raise ValueError("coding 'above' needs threshold")
        if self.coding in ("above", "continuous") and kind != "number":
            raise ValueError(
                f"coding {self.coding!r} needs a numeric variable; {self.variable!r} is a {kind}"
            )
        if self.coding != "indicator" and self.values:
            raise ValueError(f"coding {self.coding!r} takes no values")
        if self.coding != "above" and self.threshold is not None:
            raise ValueError(f"coding {self.coding!r} takes no threshold")
        return self


class CoxModel(_Sourced):
    """A multivariable Cox model fitted on complete cases of ``population`` for each endpoint."""

    key: str
    label: str
    endpoints: list[str] = Field(min_length=1)
    population: str
    ties: Literal["efron", "breslow"]
    strata: list[str] = Field(default_factory=list)
    covariates: list[Covariate] = Field(min_length=1)

    @field_validator("strata")
    @classmethod
    def _strata(cls, names: list[str]) -> list[str]:
        return [_known_variable(n) for n in names]


class Sensitivity(_Sourced):
    """A sensitivity analysis: the primary analysis (``primary = true``) and the summaries of
    ``endpoints`` run again with the given settings changed; unset settings stay as planned.
    ``endpoint`` replaces the primary endpoint."""

    key: str
    label: str
    endpoints: list[str] = Field(default_factory=list)
    primary: bool = True
    endpoint: str | None = None
    population: str | None = None
    median_rule: Literal["spss", "r"] | None = None
    survival_ci: BandType | None = None
    test_scale: Literal["log-log", "plain"] | None = None

    @model_validator(mode="after")
    def _check(self) -> Sensitivity:
        changes = (
            self.endpoint,
            self.population,
            self.median_rule,
            self.survival_ci,
            self.test_scale,
        )
        if all(c is None for c in changes):
            raise ValueError(
                "a sensitivity analysis changes at least one of endpoint, population, "
                "median_rule, survival_ci, test_scale"
            )
        if not self.primary and not self.endpoints:
            raise ValueError("with primary = false, list the endpoints to summarise")
        return self


class Outputs(_Model):
    """Which endpoint each fixed key of ``hcctrial analyze --json`` shows (``pfs``,
    ``pfs_standard``, ``os``: the contract of issue 6), and the endpoints drawn as Kaplan-Meier
    figures (overall and by subgroup) in the report and on the dashboard."""

    json_pfs: str
    json_pfs_standard: str | None = None
    json_os: str
    figures: list[str] = Field(min_length=1)
    #: ``single`` (85 mm), ``double`` (174 mm) or mm (:mod:`hcctrial.analysis.figure_width`).
    figure_width: str = "double"

    @field_validator("figure_width")
    @classmethod
    def _figure_width(cls, value: str) -> str:
        from hcctrial.analysis.figure_width import figure_width_mm

        figure_width_mm(value)
        return value

    #: The Word file's fonts: ``times``, ``arial`` or ``calibri``
    #: (:mod:`hcctrial.analysis.word_fonts`).
    word_fonts: str = DEFAULT_WORD_FONTS

    @field_validator("word_fonts")
    @classmethod
    def _word_fonts(cls, value: str) -> str:
        return word_fonts(value).name


class Plan(_Model):
    """A statistical analysis plan (see the module docstring)."""

    id: str
    title: str
    version: str
    regimen: str
    source: str
    notes: list[str] = Field(default_factory=list)
    conventions: Conventions
    populations: dict[str, Population]
    endpoints: dict[str, Endpoint]
    primary: Primary
    design: Design
    response: Response
    adverse_events: AdverseEvents
    subgroup_methods: SubgroupMethods
    subgroups: list[Subgroup] = Field(default_factory=list)
    cox_models: list[CoxModel] = Field(default_factory=list)
    sensitivity: list[Sensitivity] = Field(default_factory=list)
    outputs: Outputs

    def endpoint(self, key: str) -> Endpoint:
        """Return endpoint ``key`` (KeyError if the plan has none)."""
        return self.endpoints[key]

    def days_per_month(self) -> float:
        """Days per month of the plan's time unit."""
        return self.conventions.time.days_per_month
