"""``analyse(plan, datasets) -> AnalysisResults``: the statistical plan run once on the analysis
datasets -- the only place that calls the statistics engine for the trial.

``analyze --json``, the demo's printout, the report's tables, figures and methods, the dashboard and
the web API all render the one frozen :class:`~hcctrial.analysis.results.AnalysisResults` this
returns; none of them computes a statistic of its own. What is computed, in the plan's words:

- the populations (rules over the subject variables);
- every Kaplan-Meier endpoint over its population: the curve with the plan's pointwise CI,
  medians by the plan's rule (SPSS's and R's beside), S(t) at its landmarks, follow-up medians;
- cumulative-incidence endpoints: the data (time, status 0/1/2) and the Aalen-Johansen estimate
  at the landmarks -- see :func:`cumulative_incidence_at`, where the estimator is connected;
- best-response counts and response rates with their CIs; the adverse-event table;
- the primary analysis (landmark Wald test or one-sample log-rank test) against alpha;
- subgroups (log-rank, univariable Cox HRs), multivariable Cox models;
- every sensitivity analysis of the plan, as the primary analysis and endpoint summaries re-run
  with the settings it changes.

A part that cannot be estimated on the data (an empty population, an endpoint the datasets lack,
a Cox model that does not converge) is reported with a note, never silently dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import replace

from hcctrial.analysis.datasets import (
    AnalysisDatasets,
    SubjectData,
    TimeToEvent,
    check_datasets,
    select_population,
)
from hcctrial.analysis.plan import PlanFile
from hcctrial.analysis.results import (
    AdverseEventRow,
    AdverseEventTable,
    AnalysisResults,
    CumulativeIncidence,
    EndpointResult,
    IncidenceAt,
    PopulationResult,
    PrimaryResult,
    ResponseRateResult,
    ResponseResult,
    SensitivityResult,
)
from hcctrial.analysis.schema import Plan, Sensitivity
from hcctrial.analysis.survival import (
    Estimation,
    cox_fit,
    kaplan_meier_endpoint,
    subgroup_result,
    times_of,
)
from hcctrial.errors import DataValidationError, HcctrialError

__all__ = ["analyse", "cumulative_incidence_at", "software_versions"]

_RESPONSES = ("CR", "PR", "SD", "PD", "NE")


def software_versions() -> str:
    """hcctrial's version and those of the libraries its statistics engine uses."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    def v(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:  # pragma: no cover - installed with hcctrial
            return "?"

    return (
        f"hcctrial {v('hcctrial')} (Python {platform.python_version()}, numpy {v('numpy')}, "
        f"scipy {v('scipy')})"
    )


def _populations(plan: Plan, subjects: Sequence[SubjectData]) -> dict[str, PopulationResult]:
    out = {}
    for key, pop in plan.populations.items():
        kept, failed, missing = select_population(subjects, pop.all_of)
        out[key] = PopulationResult(
            key, pop.label, tuple(s.study_id for s in kept), failed, missing
        )
    return out


def cumulative_incidence_at(
    months: Sequence[float], status: Sequence[int], landmarks: Sequence[float], conf_level: float
) -> tuple[tuple[IncidenceAt, ...], str]:
    """Return the Aalen-Johansen cumulative incidence of cause 1 (status 2: the competing event)
    at ``landmarks`` (months) with its SE and CI, and a note ("" when every landmark is estimated).

    THE ONE PLACE where the competing-risks estimator of the survival engine is connected:
    :func:`hcctrial.stats.competing_risks.cumulative_incidence` -- the estimate of R ``survfit``
    multi-state and ``cmprsk::cuminc``, ``cuminc``'s variance, the log(-log) CI at ``conf_level``.
    A landmark after the last follow-up time is not estimated (``cmprsk::timepoints`` gives NA):
    it is left out and the note names it. Before the first event the estimate is 0 (SE 0, no CI).
    """
    from hcctrial.stats.competing_risks import cumulative_incidence, incidence_at

    if not months:
        return (), "no patient of the population has a row for this endpoint"
    curve = cumulative_incidence(months, status, 1, conf_level=conf_level)
    out = []
    beyond = []
    for a in incidence_at(curve, landmarks):
        if a.cif is None:
            beyond.append(f"{a.time:g}")
            continue
        out.append(IncidenceAt(a.time, a.cif, a.std_err, a.lower, a.upper))
    note = (
        f"not estimated at {', '.join(beyond)} months: after the last follow-up time "
        f"({curve.last_time:.4g} months)"
        if beyond
        else ""
    )
    return tuple(out), note


def _incidence(
    plan: Plan, key: str, rows: Mapping[str, TimeToEvent], population: PopulationResult
) -> CumulativeIncidence:
    ep = plan.endpoints[key]
    _, t, s = times_of(rows, population.study_ids, plan.days_per_month())
    at, note = cumulative_incidence_at(
        t, s, list(ep.landmarks_months), plan.conventions.ci_level.level
    )
    return CumulativeIncidence(
        key,
        ep.label,
        ep.short,
        ep.definition,
        ep.population,
        tuple(t),
        tuple(s),
        tuple(ep.landmarks_months),
        at,
        note,
    )


def _response(
    plan: Plan, subjects: Mapping[str, SubjectData], pop: PopulationResult
) -> ResponseResult:
    from hcctrial.stats.proportions import proportion_ci

    counts = dict.fromkeys(_RESPONSES, 0)
    for i in pop.study_ids:
        v = subjects[i].value("best_response")
        counts[str(v) if v in _RESPONSES else "NE"] += 1
    n = pop.n
    if n == 0:
        raise DataValidationError(
            f"response.population: population {pop.key!r} is empty; expected patients to count "
            "responses in",
            field="response.population",
        )
    rates = {
        key: ResponseRateResult(
            key,
            rate.label,
            tuple(rate.responses),
            proportion_ci(
                sum(counts[r] for r in rate.responses),
                n,
                method=rate.ci,
                conf_level=plan.conventions.ci_level.level,
            ),
        )
        for key, rate in plan.response.rates.items()
    }
    return ResponseResult(pop.key, plan.response.criteria, n, counts, rates)


def _adverse_events(
    plan: Plan, subjects: Mapping[str, SubjectData], pop: PopulationResult
) -> AdverseEventTable:
    people = [subjects[i] for i in pop.study_ids]
    rows = []
    for term in plan.adverse_events.terms:
        worst = [s.worst_grades.get(term.key, 0) for s in people]
        graded = [int(w) for w in worst if w is not None]
        by = tuple(sum(1 for w in graded if w == g) for g in (1, 2, 3, 4))
        rows.append(
            AdverseEventRow(
                term.key,
                term.label,
                term.category,
                (by[0], by[1], by[2], by[3]),
                sum(1 for w in graded if w >= 1),
                sum(1 for w in graded if w >= 3),
                sum(1 for w in worst if w is None),
            )
        )
    g5 = sum(1 for s in people if any((g or 0) >= 5 for g in s.worst_grades.values()))
    keys = [t.key for t in plan.adverse_events.terms]
    overall = [max((s.worst_grades.get(k) or 0 for k in keys), default=0) for s in people]
    by_any = tuple(sum(1 for w in overall if w == g) for g in (1, 2, 3, 4))
    any_event = AdverseEventRow(
        "any_adverse_event",
        "Any adverse event in the table",
        "",
        (by_any[0], by_any[1], by_any[2], by_any[3]),
        sum(1 for w in overall if w >= 1),
        sum(1 for w in overall if w >= 3),
        0,
    )
    return AdverseEventTable(
        pop.key, plan.adverse_events.ctcae_version, len(people), tuple(rows), g5, any_event
    )


def _primary(
    plan: Plan,
    rows: Mapping[str, TimeToEvent],
    populations: Mapping[str, PopulationResult],
    est: Estimation,
    *,
    endpoint: str | None = None,
    population: str | None = None,
    scale: str | None = None,
) -> PrimaryResult:
    from hcctrial.stats.kaplan_meier import kaplan_meier, survival_at
    from hcctrial.stats.landmark import landmark_test
    from hcctrial.stats.one_sample_logrank import one_sample_logrank_test

    pr = plan.primary
    key = endpoint or pr.endpoint
    pop = population or plan.endpoints[key].population
    title = pr.title if key == pr.endpoint else f"primary analysis on {plan.endpoints[key].label}"
    base = PrimaryResult(
        key, title, pr.test, pr.alternative, pr.alpha, pop, None, None, None, None, None
    )
    _, t, e = times_of(rows, populations[pop].study_ids, est.days_per_month)
    try:
        if pr.test == "landmark":
            assert pr.time_months is not None and pr.null_rate is not None
            curve = kaplan_meier(t, e, conf_type=est.survival_ci, conf_level=est.conf_level)
            (at,) = survival_at(curve, [pr.time_months])
            lt = landmark_test(
                curve,
                pr.time_months,
                pr.null_rate,
                scale=scale or pr.scale or "log-log",
                alternative=pr.alternative,
                conf_level=est.conf_level,
            )
            return replace(base, estimate=at, landmark=lt, p=lt.p, rejected=lt.p < pr.alpha)
        assert pr.null_median_months is not None
        lr = one_sample_logrank_test(
            t,
            e,
            null_median=pr.null_median_months,
            null_shape=pr.null_shape,
            alternative=pr.alternative,
        )
        return replace(base, logrank=lr, p=lr.p, rejected=lr.p < pr.alpha)
    except HcctrialError as exc:
        return replace(base, note=str(exc))


def _changes(plan: Plan, sa: Sensitivity) -> tuple[str, ...]:
    out = []
    if sa.endpoint:
        out.append(f"endpoint: {plan.endpoints[sa.endpoint].label}")
    if sa.population:
        out.append(f"population: {plan.populations[sa.population].label}")
    if sa.median_rule:
        out.append(
            "median: SPSS's rule with its Wald CI"
            if sa.median_rule == "spss"
            else "median: R's rule with the Brookmeyer-Crowley CI"
        )
    if sa.survival_ci:
        out.append(f"CI of S(t): {sa.survival_ci} scale")
    if sa.test_scale:
        out.append(f"primary test: {sa.test_scale} scale")
    return tuple(out)


def _sensitivity(
    plan: Plan,
    sa: Sensitivity,
    data: AnalysisDatasets,
    populations: Mapping[str, PopulationResult],
    est: Estimation,
) -> SensitivityResult:
    variant = replace(
        est,
        survival_ci=sa.survival_ci or est.survival_ci,
        median_rule=sa.median_rule or est.median_rule,
    )
    endpoints = []
    primary_key = sa.endpoint or plan.primary.endpoint
    for key in sa.endpoints or [primary_key]:
        ep = plan.endpoints[key]
        pop = sa.population or ep.population
        rows = data.endpoint_rows(key)
        if rows:
            with contextlib.suppress(HcctrialError):
                endpoints.append(
                    kaplan_meier_endpoint(key, ep, rows, populations[pop].study_ids, variant, pop)
                )
    primary = None
    if sa.primary:
        primary = _primary(
            plan,
            data.endpoint_rows(primary_key),
            populations,
            variant,
            endpoint=primary_key,
            population=sa.population,
            scale=sa.test_scale,
        )
    return SensitivityResult(sa.key, sa.label, _changes(plan, sa), primary, tuple(endpoints))


def analyse(plan: PlanFile | Plan, datasets: AnalysisDatasets) -> AnalysisResults:
    """Run the statistical ``plan`` on ``datasets`` and return the frozen results.

    Raises :class:`~hcctrial.errors.DataValidationError` on inconsistent datasets or when there
    is no enrolled patient.
    """
    pf = plan if isinstance(plan, PlanFile) else PlanFile(plan, "(in memory)", "")
    p = pf.plan
    check_datasets(datasets)
    if not datasets.subjects:
        raise DataValidationError(
            "subjects: got no enrolled patient; expected at least one to analyse", field="subjects"
        )
    est = Estimation.of(p)
    subjects = {s.study_id: s for s in datasets.subjects}
    populations = _populations(p, datasets.subjects)
    present = datasets.endpoints()
    endpoints: dict[str, EndpointResult] = {}
    incidence: dict[str, CumulativeIncidence] = {}
    notes: list[str] = []
    for key, ep in p.endpoints.items():
        rows = datasets.endpoint_rows(key)
        if key not in present:
            continue
        try:
            if ep.estimator == "cumulative-incidence":
                incidence[key] = _incidence(p, key, rows, populations[ep.population])
            else:
                endpoints[key] = kaplan_meier_endpoint(
                    key, ep, rows, populations[ep.population].study_ids, est
                )
        except HcctrialError as exc:
            notes.append(f"{key}: not estimable ({exc})")
    missing = tuple(k for k in p.endpoints if k not in present)
    subgroups = []
    for sg in p.subgroups:
        for key in sg.endpoints:
            if key in endpoints:
                pop = populations[p.endpoints[key].population].study_ids
                rows = datasets.endpoint_rows(key)
                subgroups.append(
                    subgroup_result(sg, key, p.endpoints[key], rows, subjects, pop, est)
                )
    cox = []
    for model in p.cox_models:
        for key in model.endpoints:
            if key in endpoints:
                rows = datasets.endpoint_rows(key)
                pop = populations[model.population].study_ids
                cox.append(cox_fit(model, key, rows, subjects, pop, est))
    return AnalysisResults(
        plan=p,
        plan_file=pf.path,
        plan_sha256=pf.sha256,
        software=software_versions(),
        source=datasets.source,
        n_screened=datasets.n_screened,
        n_enrolled=len(datasets.subjects),
        populations=populations,
        endpoints=endpoints,
        incidence=incidence,
        missing_endpoints=missing,
        followup=endpoints.get(p.conventions.followup.endpoint),
        response=_response(p, subjects, populations[p.response.population]),
        adverse_events=_adverse_events(p, subjects, populations[p.adverse_events.population]),
        primary=_primary(p, datasets.endpoint_rows(p.primary.endpoint), populations, est),
        subgroups=tuple(subgroups),
        cox=tuple(cox),
        sensitivity=tuple(_sensitivity(p, sa, datasets, populations, est) for sa in p.sensitivity),
        notes=tuple(notes),
    )
