"""The results of one run of the plan: frozen, typed, made of the statistics engine's own result
objects (:mod:`hcctrial.stats`), which every output renders and none recomputes.

Times are in the plan's unit (months); rates and proportions are fractions; each CI is the one the
plan declares for its quantity (S(t): ``conventions.survival_ci``; medians: ``conventions.median``;
proportions: the rate's ``ci``). ``None`` means not reached or not estimable, with a ``note``.
:func:`hcctrial.analysis.results_json.results_json` gives the JSON form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hcctrial.analysis.schema import Plan
from hcctrial.stats.cox import CoxResult
from hcctrial.stats.kaplan_meier import KaplanMeierCurve, SurvivalAt
from hcctrial.stats.km_quantiles import FollowUp, SurvivalQuantile
from hcctrial.stats.landmark import LandmarkTestResult
from hcctrial.stats.logrank import LogRankResult
from hcctrial.stats.one_sample_logrank import OneSampleLogRankResult
from hcctrial.stats.proportions import ProportionCI

__all__ = [
    "AdverseEventRow",
    "AdverseEventTable",
    "AnalysisResults",
    "CoxFit",
    "CumulativeIncidence",
    "EndpointResult",
    "IncidenceAt",
    "PopulationResult",
    "PrimaryResult",
    "ResponseRateResult",
    "ResponseResult",
    "SensitivityResult",
    "SubgroupResult",
]


@dataclass(frozen=True)
class PopulationResult:
    """An analysis population: its patients, and how many enrolled patients it leaves out
    because a condition fails (``n_failed``) or a variable it needs is missing (``n_missing``)."""

    key: str
    label: str
    study_ids: tuple[str, ...]
    n_failed: int
    n_missing: int

    @property
    def n(self) -> int:
        """Patients in the population."""
        return len(self.study_ids)


@dataclass(frozen=True)
class EndpointResult:
    """A Kaplan-Meier endpoint over its population.

    ``curve``: the KM curve in months with the plan's pointwise CI; ``median``: by the plan's rule
    and CI; ``median_spss``/``median_r``: both rules (R's CI on the plan's median band);
    ``rates``: S(t) at the plan's landmarks with the plan's CI; ``followup``: simple and reverse-KM
    median of the observed times; ``n_without_row``: population patients the endpoint has no row
    for (e.g. no response for the duration of response).
    """

    key: str
    label: str
    short: str
    definition: str
    population: str
    curve: KaplanMeierCurve
    median: SurvivalQuantile
    median_spss: SurvivalQuantile
    median_r: SurvivalQuantile
    rates: tuple[SurvivalAt, ...]
    followup: FollowUp
    n_without_row: int = 0

    @property
    def n(self) -> int:
        """Patients analysed."""
        return self.curve.n

    @property
    def events(self) -> int:
        """Events observed."""
        return self.curve.events

    @property
    def censored(self) -> int:
        """Patients censored."""
        return self.curve.n - self.curve.events

    def rate_at(self, months: float) -> SurvivalAt | None:
        """S(``months``) if it is one of the plan's landmarks, else None."""
        return next((r for r in self.rates if r.time == months), None)


@dataclass(frozen=True)
class IncidenceAt:
    """The cumulative incidence of the event of interest at one time, with its CI."""

    time: float
    cif: float
    se: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class CumulativeIncidence:
    """A competing-risks endpoint: the data (months, status 0/1/2) and the Aalen-Johansen
    estimate at the landmarks (``at``; a landmark after the last follow-up is left out and
    named in ``note``)."""

    key: str
    label: str
    short: str
    definition: str
    population: str
    months: tuple[float, ...]
    status: tuple[int, ...]
    landmarks: tuple[float, ...]
    at: tuple[IncidenceAt, ...]
    note: str = ""

    @property
    def n(self) -> int:
        """Patients analysed."""
        return len(self.status)

    def count(self, status: int) -> int:
        """Patients with ``status`` (0 censored, 1 event of interest, 2 competing event)."""
        return sum(1 for s in self.status if s == status)


@dataclass(frozen=True)
class SubgroupResult:
    """One subgroup factor for one endpoint: per-level curves, medians (the plan's rule and both
    rules), S(t) at the endpoint's landmarks, the log-rank test over the observed levels and the
    univariable Cox hazard ratio of each non-reference level against the first observed one
    (``cox.names`` are the level labels). ``cox``/``logrank`` None with ``note`` when not
    estimable; ``n_missing``: patients without a level."""

    key: str
    label: str
    variable: str
    endpoint: str
    levels: tuple[str, ...]
    curves: tuple[KaplanMeierCurve, ...]
    medians: tuple[SurvivalQuantile, ...]
    medians_spss: tuple[SurvivalQuantile, ...]
    medians_r: tuple[SurvivalQuantile, ...]
    rates: tuple[tuple[SurvivalAt, ...], ...]
    logrank: LogRankResult | None
    cox: CoxResult | None
    n_missing: int
    note: str = ""

    def hazard_ratio(self, level: str) -> tuple[float, float, float, float] | None:
        """(HR, lower, upper, Wald p) of ``level`` against the reference, or None."""
        if self.cox is None or level not in self.cox.names:
            return None
        j = self.cox.names.index(level)
        return self.cox.hr[j], self.cox.lower[j], self.cox.upper[j], self.cox.p[j]


@dataclass(frozen=True)
class CoxFit:
    """A multivariable Cox model of the plan for one endpoint (complete cases), or why not."""

    model: str
    label: str
    endpoint: str
    population: str
    result: CoxResult | None
    n_excluded: int
    note: str = ""


@dataclass(frozen=True)
class PrimaryResult:
    """The primary analysis: ``estimate`` (S(t) with the plan's CI) and ``landmark`` (the Wald
    test on the plan's scale) for a landmark test, or ``logrank`` for a one-sample log-rank test;
    ``p`` for the plan's alternative and whether H0 is ``rejected`` at ``alpha``."""

    endpoint: str
    title: str
    test: str
    alternative: str
    alpha: float
    population: str
    estimate: SurvivalAt | None
    landmark: LandmarkTestResult | None
    logrank: OneSampleLogRankResult | None
    p: float | None
    rejected: bool | None
    note: str = ""


@dataclass(frozen=True)
class ResponseRateResult:
    """A response rate of the plan with its CI (fractions)."""

    key: str
    label: str
    responses: tuple[str, ...]
    ci: ProportionCI


@dataclass(frozen=True)
class ResponseResult:
    """Best overall response counts (CR, PR, SD, PD, NE) over the population, and the rates."""

    population: str
    criteria: str
    n: int
    counts: Mapping[str, int]
    rates: Mapping[str, ResponseRateResult]


@dataclass(frozen=True)
class AdverseEventRow:
    """A row of the adverse-event table: patients by worst grade 1-4 (``by_grade``), any grade
    1-4, grade >= 3, and patients whose lab values could not be graded."""

    key: str
    label: str
    category: str
    by_grade: tuple[int, int, int, int]
    any_grade: int
    grade3_or_more: int
    not_gradable: int


@dataclass(frozen=True)
class AdverseEventTable:
    """The adverse-event table over its population (``n`` = the denominator)."""

    population: str
    ctcae_version: str
    n: int
    rows: tuple[AdverseEventRow, ...]
    grade5_patients: int
    #: Patients by their worst grade over every row of the table (the "any adverse event" row).
    any_event: AdverseEventRow | None = None


@dataclass(frozen=True)
class SensitivityResult:
    """A sensitivity analysis of the plan: what it changes (in words), the primary analysis and
    the endpoint summaries run with the change."""

    key: str
    label: str
    changes: tuple[str, ...]
    primary: PrimaryResult | None
    endpoints: tuple[EndpointResult, ...]


@dataclass(frozen=True)
class AnalysisResults:
    """Everything the plan computes on one set of analysis datasets (see the module docstring).

    ``plan_file``/``plan_sha256`` name the plan file followed; ``software`` the versions that
    computed it; ``missing_endpoints``: endpoints of the plan the datasets have no rows for.
    """

    plan: Plan
    plan_file: str
    plan_sha256: str
    software: str
    source: str
    n_screened: int | None
    n_enrolled: int
    populations: Mapping[str, PopulationResult]
    endpoints: Mapping[str, EndpointResult]
    incidence: Mapping[str, CumulativeIncidence]
    missing_endpoints: tuple[str, ...]
    followup: EndpointResult | None
    response: ResponseResult
    adverse_events: AdverseEventTable
    primary: PrimaryResult
    subgroups: tuple[SubgroupResult, ...]
    cox: tuple[CoxFit, ...]
    sensitivity: tuple[SensitivityResult, ...]
    notes: tuple[str, ...] = ()

    def subgroups_of(self, endpoint: str) -> tuple[SubgroupResult, ...]:
        """The subgroup results of ``endpoint`` in the plan's order."""
        return tuple(s for s in self.subgroups if s.endpoint == endpoint)
