"""Survival tables: the summary (medians by the R and SPSS rules, landmark rates, follow-up),
subgroups, the multivariable Cox model and the primary-endpoint test.

Only formatting: every value is a field of a :mod:`hcctrial.stats` result object collected in
:class:`hcctrial.report.results.ReportResults`.
"""

from __future__ import annotations

from hcctrial.report.results import (
    LANDMARKS,
    PRIMARY_P0,
    PRIMARY_TIME,
    EndpointResult,
    ReportResults,
    SubgroupResult,
)
from hcctrial.report.tables import DASH, Row, Table, fmt_ci, fmt_num, fmt_p
from hcctrial.stats.km_quantiles import SurvivalQuantile

__all__ = [
    "cox_table",
    "fmt_median",
    "primary_endpoint_table",
    "subgroup_table",
    "survival_summary_table",
]

_ABBREV = (
    "CI, confidence interval; HR, hazard ratio; KM, Kaplan–Meier; NR, not reached; OS, "
    "overall survival; PFS, progression-free survival."
)


def fmt_median(q: SurvivalQuantile, *, with_ci: bool = True) -> str:
    """Return ``"13.1 (9.5–16.7)"``; "NR" for a median or bound not reached / not estimable."""
    est = "NR" if q.estimate is None else fmt_num(q.estimate)
    if not with_ci:
        return est
    return f"{est} ({fmt_ci(q.lower, q.upper)})"


def _rate(ep: EndpointResult, t: float) -> str:
    for at in ep.rates:
        if at.time == t:
            return f"{fmt_num(100 * at.surv)} ({fmt_ci(at.lower, at.upper, scale=100.0)})"
    return DASH


def survival_summary_table(results: ReportResults) -> Table:
    """The survival summary: events, medians (SPSS and R), landmark rates, follow-up."""
    eps = list(results.endpoints.values())
    cols = ("", *(e.label for e in eps))
    rows: list[Row] = [
        Row("Patients, n", tuple(str(e.n) for e in eps)),
        Row("Events, n", tuple(str(e.events) for e in eps)),
        Row("Censored, n", tuple(str(e.n - e.events) for e in eps)),
        Row("Median, months (95 % CI)", ("",) * len(eps), heading=True),
        Row("SPSS rule and CI (as the paper)", tuple(fmt_median(e.median_spss) for e in eps), 1),
        Row("R rule and CI (log band)", tuple(fmt_median(e.median_r) for e in eps), 1),
        Row("Rate, % (95 % CI)", ("",) * len(eps), heading=True),
    ]
    times = sorted({t for e in eps for t in LANDMARKS[e.endpoint]})
    for t in times:
        rows.append(Row(f"{t:g} months", tuple(_rate(e, t) for e in eps), 1))
    os_ep = results.endpoints.get("os")
    if os_ep is not None:
        fu = os_ep.followup
        rk = fu.reverse_km
        cells = [DASH] * len(eps)
        j = eps.index(os_ep)
        rows.append(Row("Follow-up, months", ("",) * len(eps), heading=True))
        cells[j] = (
            f"{fmt_num(fu.simple_median)} (range {fmt_num(fu.minimum)}–{fmt_num(fu.maximum)})"
        )
        rows.append(Row("Simple median of observed times (as the paper)", tuple(cells), 1))
        cells = [DASH] * len(eps)
        cells[j] = fmt_median(rk)
        rows.append(Row("Reverse Kaplan–Meier median (95 % CI)", tuple(cells), 1))
    return Table(
        "survival",
        "Survival summary",
        cols,
        tuple(rows),
        footnotes=(
            "Times in months from the first TACE-HAIC (days / 30.4375). KM estimates; rates with "
            "95 % pointwise CIs on the log scale (R survfit default).",
            "SPSS rule: median = first event time with S(t) ≤ 0.5; CI = median ± 1.96 SE, SE from "
            "Greenwood's SE of S and the slope of S between 0.55 and 0.45 (the paper used SPSS 22). "
            "R rule: midpoint of a flat S = 0.5 stretch; CI inverts the log-scale band "
            "(Brookmeyer–Crowley type).",
            "PFS as the paper defined it counts progression only (deaths without progression are "
            "censored; strictly a time to progression); standard PFS counts progression or death.",
            _ABBREV,
        ),
    )


def _hr(sg: SubgroupResult) -> tuple[str, str]:
    if sg.cox is None:
        return DASH, DASH
    return (
        f"{fmt_num(sg.cox.hr[0], 2)} ({fmt_ci(sg.cox.lower[0], sg.cox.upper[0], 2)})",
        fmt_p(sg.logrank.p if sg.logrank is not None else None),
    )


def subgroup_table(results: ReportResults, endpoint: str, number: str = "5") -> Table:
    """Subgroups of one endpoint: n, events, median (SPSS, 95 % CI), HR (95 % CI), log-rank p."""
    rows: list[Row] = []
    notes: list[str] = []
    for sg in results.subgroups[endpoint]:
        hr, p = _hr(sg)
        rows.append(Row(sg.label, ("", "", "", hr, p), heading=False))
        for k, (c, med) in enumerate(zip(sg.curves, sg.medians_spss, strict=True)):
            ref = " (reference)" if k == 0 and len(sg.curves) == 2 else ""
            rows.append(
                Row(f"{c.label}{ref}", (str(c.n), str(c.events), fmt_median(med), "", ""), 1)
            )
        if sg.n_missing:
            rows.append(Row("Missing (excluded)", (str(sg.n_missing), "", "", "", ""), 1))
        if sg.note:
            notes.append(f"{sg.label}: {sg.note}")
    label = results.endpoints[endpoint].label
    return Table(
        f"subgroups_{endpoint}",
        f"Subgroups: {label}",
        ("Subgroup", "n", "Events", "Median, months (95 % CI)", "HR (95 % CI)", "Log-rank p"),
        tuple(rows),
        footnotes=(
            "Medians by the SPSS rule with the SPSS CI (as the paper). HR of the second level vs "
            "the reference from a univariable Cox model (Efron ties); two-sided log-rank p.",
            *notes,
            _ABBREV,
        ),
    )


def cox_table(results: ReportResults) -> Table:
    """The multivariable Cox model for each endpoint (complete cases)."""
    fits = list(results.cox.values())
    names: list[str] = []
    for f in fits:
        if f.result is not None:
            names = list(f.result.names)
            break
    cols: list[str] = ["Covariate"]
    for f in fits:
        lab = results.endpoints[f.endpoint].label
        cols += [f"{lab}: HR (95 % CI)", "p"]
    rows: list[Row] = []
    for j, name in enumerate(names):
        cells: list[str] = []
        for f in fits:
            r = f.result
            if r is None:
                cells += [DASH, DASH]
            else:
                cells += [
                    f"{fmt_num(r.hr[j], 2)} ({fmt_ci(r.lower[j], r.upper[j], 2)})",
                    fmt_p(r.p[j]),
                ]
        rows.append(Row(name, tuple(cells)))
    foot = []
    for f in fits:
        lab = results.endpoints[f.endpoint].label
        if f.result is None:
            foot.append(f"{lab}: not estimable ({f.note}).")
        else:
            r = f.result
            foot.append(
                f"{lab}: n = {r.n}, events = {r.n_events}, likelihood-ratio test "
                f"χ² = {fmt_num(r.lr_test.chisq, 2)} on {r.lr_test.df} df, "
                f"p = {fmt_p(r.lr_test.p)}; concordance {fmt_num(r.concordance, 3)}"
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
            "Cox model with Efron ties (as R coxph); Wald p values; exploratory.",
            *foot,
            _ABBREV,
        ),
    )


def primary_endpoint_table(results: ReportResults) -> Table:
    """The primary-endpoint test: 12-month PFS (paper's definition) against the null 30 %."""
    rows: list[Row] = []
    for label, r in (
        ("Log–log scale (primary)", results.primary),
        ("Plain (linear) scale", results.primary_plain),
    ):
        if r is None:
            rows.append(Row(label, (DASH,) * 5))
            continue
        rows.append(
            Row(
                label,
                (
                    f"{fmt_num(100 * r.surv)} ({fmt_ci(r.lower, r.upper, scale=100.0)})",
                    fmt_num(100 * r.std_err),
                    fmt_num(r.z, 2),
                    fmt_p(r.p_greater),
                    fmt_p(r.p_two_sided),
                ),
            )
        )
    foot = [
        f"H0: S({PRIMARY_TIME:g} months) = {100 * PRIMARY_P0:g} % against H1: S > "
        f"{100 * PRIMARY_P0:g} % (design: 50 %, power 0.90, α 0.05 two-sided by the normal "
        "approximation → 60 evaluable, 66 recruited). Wald test on the KM estimate with "
        "Greenwood's variance; CI on the same scale.",
        "PFS as the paper defined it (progression only).",
    ]
    if results.primary_note:
        foot.append(f"Not computed: {results.primary_note}")
    return Table(
        "primary",
        f"Primary endpoint: {PRIMARY_TIME:g}-month PFS against {100 * PRIMARY_P0:g} %",
        ("Test", "12-month PFS, % (95 % CI)", "SE, %", "z", "p (one-sided)", "p (two-sided)"),
        tuple(rows),
        footnotes=(*foot, _ABBREV),
    )
