"""Survival tables: the summary (medians, landmark rates, follow-up), the cumulative incidence,
subgroups, the multivariable Cox models, the primary analysis and the sensitivity analyses.

Only formatting: every value is a field of a :mod:`hcctrial.stats` result object gathered in the
plan's one result (:class:`hcctrial.analysis.results.AnalysisResults`); the footnotes say which
convention of the plan each number follows (one CI per quantity: S(t) everywhere with the plan's
``survival_ci``, medians with the plan's rule and CI).
"""

from __future__ import annotations

from hcctrial.analysis.results import (
    AnalysisResults,
    EndpointResult,
    PrimaryResult,
    SubgroupResult,
)
from hcctrial.report.tables import DASH, Row, Table, ci_header, fmt_ci, fmt_num, fmt_p_plan
from hcctrial.stats.km_quantiles import SurvivalQuantile

__all__ = [
    "cox_table",
    "fmt_median",
    "incidence_table",
    "median_convention",
    "primary_endpoint_table",
    "sensitivity_table",
    "subgroup_table",
    "survival_ci_text",
    "survival_summary_table",
]

_ABBREV = (
    "CI, confidence interval; HR, hazard ratio; KM, Kaplan–Meier; NR, not reached; OS, "
    "overall survival; PFS, progression-free survival."
)
_BAND = {"log": "log", "log-log": "log–log", "plain": "plain (linear)"}


def fmt_median(q: SurvivalQuantile, *, with_ci: bool = True) -> str:
    """Return ``"13.1 (9.5–16.7)"``; "NR" for a median or bound not reached / not estimable.

    A lower bound the engine truncated at 0 (SPSS's Wald interval below zero,
    ``q.lower_truncated``) prints as 0 marked † -- never a plain 0.0 that hides the truncation.
    """
    est = "NR" if q.estimate is None else fmt_num(q.estimate)
    if not with_ci:
        return est
    return f"{est} ({fmt_ci(q.lower, q.upper, truncated=q.lower_truncated)})"


def median_convention(rule: str, band: str) -> str:
    """The median rule and its CI in words (for footnotes)."""
    if rule == "spss":
        return (
            "SPSS rule: median = first event time with S(t) ≤ 0.5; CI = median ± z·SE, SE from "
            "Greenwood's SE of S and the slope of S between 0.55 and 0.45 (SPSS's Wald interval)"
        )
    return (
        "R rule: midpoint of a flat S = 0.5 stretch; CI where the "
        f"{_BAND[band]} band crosses 0.5 (Brookmeyer–Crowley)"
    )


def survival_ci_text(results: AnalysisResults, ci_type: str | None = None) -> str:
    """The CI of S(t) in words: level and scale (the plan's, or ``ci_type``)."""
    c = results.plan.conventions
    return f"{ci_header(results)} pointwise on the {_BAND[ci_type or c.survival_ci.type]} scale"


def _rate(ep: EndpointResult, t: float) -> str:
    at = ep.rate_at(t)
    if at is None:
        return DASH
    return f"{fmt_num(100 * at.surv)} ({fmt_ci(at.lower, at.upper, scale=100.0)})"


def _median_label(results: AnalysisResults) -> str:
    return f"Median, months ({ci_header(results)})"


def survival_summary_table(results: AnalysisResults) -> Table:
    """The survival summary of every Kaplan-Meier endpoint of the plan: events, the median by the
    plan's rule, landmark rates and the follow-up."""
    eps = list(results.endpoints.values())
    conv = results.plan.conventions
    cols = ("", *(e.label for e in eps))
    rows: list[Row] = [
        Row("Population", tuple(results.plan.populations[e.population].label for e in eps)),
        Row("Patients, n", tuple(str(e.n) for e in eps)),
        Row("Events, n", tuple(str(e.events) for e in eps)),
        Row("Censored, n", tuple(str(e.censored) for e in eps)),
        Row(_median_label(results), tuple(fmt_median(e.median) for e in eps)),
        Row(f"Rate, % ({ci_header(results)})", ("",) * len(eps), heading=True),
    ]
    times = sorted({a.time for e in eps for a in e.rates})
    for t in times:
        rows.append(Row(f"{t:g} months", tuple(_rate(e, t) for e in eps), 1))
    fu_ep = results.followup
    if fu_ep is not None and fu_ep in eps:
        fu = fu_ep.followup
        j = eps.index(fu_ep)
        simple = [DASH] * len(eps)
        simple[j] = (
            f"{fmt_num(fu.simple_median)} (range {fmt_num(fu.minimum)}–{fmt_num(fu.maximum)})"
        )
        reverse = [DASH] * len(eps)
        reverse[j] = fmt_median(fu.reverse_km)
        first = "simple" if conv.followup.method == "simple-median" else "reverse"
        rows.append(Row("Follow-up, months", ("",) * len(eps), heading=True))
        lines = {
            "simple": Row("Simple median of observed times (range)", tuple(simple), 1),
            "reverse": Row(
                f"Reverse Kaplan–Meier median ({ci_header(results)})", tuple(reverse), 1
            ),
        }
        rows += [lines[first], lines["reverse" if first == "simple" else "simple"]]
    definitions = [f"{e.label}: {e.definition}." for e in eps]
    return Table(
        "survival",
        "Survival summary",
        cols,
        tuple(rows),
        footnotes=(
            f"Times in months from each endpoint's origin (days / {conv.time.days_per_month:g}). "
            f"KM estimates; rates with {survival_ci_text(results)}.",
            f"Medians: {median_convention(conv.median.rule, conv.median.band)}.",
            f"Follow-up: {'the simple median of the observed times' if conv.followup.method == 'simple-median' else 'the reverse Kaplan–Meier median'} "
            "is the plan's measure; the other is shown beside it.",
            *definitions,
            _ABBREV,
        ),
    )


def incidence_table(results: AnalysisResults) -> Table:
    """Cumulative-incidence endpoints: counts by cause and the Aalen-Johansen estimate at the
    landmarks (a footnote says why when it is not available)."""
    rows: list[Row] = []
    notes: list[str] = []
    for c in results.incidence.values():
        est = {a.time: a for a in c.at}
        marks = "; ".join(
            f"{t:g} mo: "
            + (
                f"{fmt_num(100 * est[t].cif)} ({fmt_ci(est[t].lower, est[t].upper, scale=100.0)})"
                if t in est
                else DASH
            )
            for t in c.landmarks
        )
        rows.append(
            Row(c.label, (str(c.n), str(c.count(1)), str(c.count(2)), str(c.count(0)), marks))
        )
        notes.append(f"{c.label}: {c.definition}." + (f" {c.note}." if c.note else ""))
    return Table(
        "incidence",
        "Cumulative incidence with competing events",
        (
            "Endpoint",
            "n",
            "Events",
            "Competing events",
            "Censored",
            f"Cumulative incidence, % ({ci_header(results)})",
        ),
        tuple(rows),
        footnotes=(*notes, "Aalen–Johansen estimator (competing events are not censored)."),
    )


def _hr_cell(sg: SubgroupResult, level: str) -> str:
    h = sg.hazard_ratio(level)
    if h is None:
        return DASH
    return f"{fmt_num(h[0], 2)} ({fmt_ci(h[1], h[2], 2)})"


def subgroup_table(results: AnalysisResults, endpoint: str) -> Table:
    """Subgroups of one endpoint: n, events, median (plan's rule, CI), HR (CI) of each level
    against the reference, log-rank p."""
    rows: list[Row] = []
    notes: list[str] = []
    conv = results.plan.conventions
    for sg in results.subgroups_of(endpoint):
        p = fmt_p_plan(sg.logrank.p if sg.logrank is not None else None, results)
        rows.append(Row(sg.label, ("", "", "", "", p)))
        for k, (lv, c, med) in enumerate(zip(sg.levels, sg.curves, sg.medians, strict=True)):
            hr = "1 (reference)" if k == 0 and len(sg.levels) > 1 else _hr_cell(sg, lv)
            rows.append(Row(lv, (str(c.n), str(c.events), fmt_median(med), hr, ""), 1))
        if sg.n_missing:
            rows.append(Row("Missing (excluded)", (str(sg.n_missing), "", "", "", ""), 1))
        if sg.note:
            notes.append(f"{sg.label}: {sg.note}")
    label = results.plan.endpoints[endpoint].label
    ties = results.plan.subgroup_methods.ties.capitalize()
    return Table(
        f"subgroups_{endpoint}",
        f"Subgroups: {label}",
        (
            "Subgroup",
            "n",
            "Events",
            _median_label(results),
            f"HR ({ci_header(results)})",
            "Log-rank p",
        ),
        tuple(rows),
        footnotes=(
            f"Medians: {median_convention(conv.median.rule, conv.median.band)}. HR of each level "
            f"against the reference (first level) from a univariable Cox model ({ties} ties); "
            "two-sided log-rank p over the levels.",
            *notes,
            _ABBREV,
        ),
    )


def cox_table(results: AnalysisResults) -> Table:
    """The multivariable Cox models of the plan, one column pair per model and endpoint."""
    fits = list(results.cox)
    names: list[str] = []
    for f in fits:
        if f.result is not None:
            names = list(f.result.names)
            break
    cols: list[str] = ["Covariate"]
    for f in fits:
        lab = results.plan.endpoints[f.endpoint].label
        cols += [f"{lab}: HR ({ci_header(results)})", "p"]
    rows: list[Row] = []
    for name in names:
        cells: list[str] = []
        for f in fits:
            r = f.result
            if r is None or name not in r.names:
                cells += [DASH, DASH]
            else:
                j = r.names.index(name)
                cells += [
                    f"{fmt_num(r.hr[j], 2)} ({fmt_ci(r.lower[j], r.upper[j], 2)})",
                    fmt_p_plan(r.p[j], results),
                ]
        rows.append(Row(name, tuple(cells)))
    foot = []
    for f in fits:
        lab = f"{f.label}, {results.plan.endpoints[f.endpoint].label}"
        if f.result is None:
            foot.append(f"{lab}: not estimable ({f.note}).")
        else:
            r = f.result
            foot.append(
                f"{lab}: n = {r.n}, events = {r.n_events}, likelihood-ratio test "
                f"χ² = {fmt_num(r.lr_test.chisq, 2)} on {r.lr_test.df} df, "
                f"p = {fmt_p_plan(r.lr_test.p, results)}; concordance {fmt_num(r.concordance, 3)}; "
                f"{r.ties.capitalize()} ties"
                + (f"; {f.n_excluded} excluded for missing covariates" if f.n_excluded else "")
                + (f"; {f.note}" if f.note else "")
                + "."
            )
    return Table(
        "cox",
        "Multivariable Cox proportional-hazards models",
        tuple(cols),
        tuple(rows),
        footnotes=(
            "Cox models of the plan on complete cases (as R coxph); Wald p values; exploratory.",
            *foot,
            _ABBREV,
        ),
    )


def _primary_cells(p: PrimaryResult, results: AnalysisResults) -> tuple[str, ...]:
    if p.landmark is not None and p.estimate is not None:
        a, lt = p.estimate, p.landmark
        return (
            f"{fmt_num(100 * a.surv)} ({fmt_ci(a.lower, a.upper, scale=100.0)})",
            fmt_num(100 * lt.std_err),
            fmt_num(lt.z, 2),
            fmt_p_plan(p.p, results),
            "yes" if p.rejected else "no",
        )
    if p.logrank is not None:
        lr = p.logrank
        return (
            f"O = {lr.observed}, E = {fmt_num(lr.expected, 2)} (O/E {fmt_num(lr.ratio, 2)})",
            DASH,
            fmt_num(lr.z, 2),
            fmt_p_plan(p.p, results),
            "yes" if p.rejected else "no",
        )
    return (DASH,) * 5


def _primary_columns(results: AnalysisResults) -> tuple[str, ...]:
    pr = results.plan.primary
    if pr.test == "landmark":
        est = f"{pr.time_months:g}-month rate, % ({ci_header(results)})"
        return (
            "Analysis",
            est,
            "SE, %",
            "z",
            f"p ({pr.alternative})",
            f"H0 rejected at α = {pr.alpha:g}",
        )
    return (
        "Analysis",
        "Observed vs expected events",
        "SE",
        "z",
        f"p ({pr.alternative})",
        f"H0 rejected at α = {pr.alpha:g}",
    )


def primary_endpoint_table(results: AnalysisResults) -> Table:
    """The primary analysis as the plan declares it (one row), with its test and decision."""
    p = results.primary
    pr = results.plan.primary
    conv = results.plan.conventions
    label = (
        f"{_BAND[pr.scale or 'log-log']} scale (planned)"
        if pr.test == "landmark"
        else "One-sample log-rank (planned)"
    )
    rows = (Row(label, _primary_cells(p, results)),)
    if pr.test == "landmark":
        what = (
            f"H0: S({pr.time_months:g} months) = {100 * (pr.null_rate or 0):g} %; Wald test of the "
            f"KM estimate with Greenwood's variance on the {_BAND[pr.scale or 'log-log']} scale; "
            f"the rate's CI is the plan's one CI of S(t) ({survival_ci_text(results)})."
        )
    else:
        what = (
            f"H0: the hazard of the null curve (median {pr.null_median_months:g} months, shape "
            f"{pr.null_shape:g}); z = (E − O)/√E, z > 0 when fewer events occur than expected."
        )
    foot = [
        f"{p.title}: {results.plan.endpoints[p.endpoint].definition}; population: "
        f"{results.plan.populations[p.population].label.lower()}.",
        what,
        f"p for the alternative '{pr.alternative}'; α = {pr.alpha:g}. Design: see the methods.",
    ]
    if p.note:
        foot.append(f"Not computed: {p.note}")
    return Table(
        "primary",
        f"Primary endpoint: {p.title}",
        _primary_columns(results),
        rows,
        footnotes=(*foot, f"Times in months (days / {conv.time.days_per_month:g}).", _ABBREV),
    )


def sensitivity_table(results: AnalysisResults) -> Table:
    """Every sensitivity analysis of the plan, labelled as such: what it changes, the primary
    analysis and the endpoint summaries re-run."""
    rows: list[Row] = []
    for s in results.sensitivity:
        rows.append(Row(f"Sensitivity analysis: {s.label}", ("", "", "", ""), heading=True))
        rows.append(Row("Changes: " + "; ".join(s.changes), ("", "", "", ""), 1))
        if s.primary is not None:
            est, _, z, p, rejected = _primary_cells(s.primary, results)
            rows.append(
                Row(
                    f"Primary: {s.primary.title}",
                    (
                        "",
                        "",
                        est,
                        f"z = {z}, p {p if p.startswith('<') else '= ' + p}, H0 rejected: {rejected}",
                    ),
                    1,
                )
            )
        for e in s.endpoints:
            rates = "; ".join(f"{a.time:g} mo {_rate(e, a.time)}" for a in e.rates)
            pop = results.plan.populations[e.population].label
            rows.append(
                Row(
                    f"{e.label} ({pop.lower()})",
                    (f"{e.n} / {e.events}", fmt_median(e.median), rates, ""),
                    1,
                )
            )
    return Table(
        "sensitivity",
        "Sensitivity analyses (declared in the plan)",
        (
            "Analysis",
            "n / events",
            _median_label(results),
            f"Rate, % ({ci_header(results)})",
            "Test",
        ),
        tuple(rows),
        footnotes=(
            "Each sensitivity analysis re-runs the primary analysis and the listed endpoints with "
            "the plan's settings changed as stated (the CI of a rate on the scale it states); "
            "everything else as planned.",
            _ABBREV,
        ),
    )
