"""The paper's internal inconsistencies (the seed audit's list) beside the value computed now from
the records: never the audit's own text about a cohort, which may not be the data at hand."""

from __future__ import annotations

from hcctrial.analysis.results import AnalysisResults
from hcctrial.report.inputs import ReportInputs
from hcctrial.report.published import _count, _paper_endpoints, published_data
from hcctrial.report.survival_tables import fmt_median
from hcctrial.report.tables import DASH, Row, Table, fmt_num, fmt_p_plan, fmt_pct

__all__ = ["inconsistencies_table"]


def _p_eq(p: float | None, res: AnalysisResults) -> str:
    """``"= 0.012"`` or ``"< 0.001"``: a p value after "p", as the plan formats it."""
    text = fmt_p_plan(p, res)
    return text if text.startswith("<") else f"= {text}"


def _used(inc_id: str, inputs: ReportInputs, res: AnalysisResults) -> str:
    """The value this report uses for an inconsistency, where the data decide it."""
    import numpy as np

    s = inputs.subjects
    n = res.n_enrolled
    ae = {row.key: row for row in res.adverse_events.rows}
    n_ae = res.adverse_events.n
    paper, std, os_ep = _paper_endpoints(res)
    orr = res.response.rates["orr"].ci
    if inc_id == "INC-01":
        ages = np.array([x.age_years for x in s if x.age_years is not None], dtype=float)
        return f"SD {fmt_num(float(ages.std(ddof=1)))} (n − 1)" if ages.size > 1 else DASH
    if inc_id == "INC-02":
        return f"ORR {orr.count}/{orr.n} = {fmt_num(orr.percent)} %"
    if inc_id == "INC-03":
        m = _count(s, lambda x: (x.sex or "").lower() == "male")
        return f"male {m}/{n} = {fmt_pct(m, n)} %"
    if inc_id in ("INC-04", "INC-05") and "transaminase_increased" in ae:
        row = ae["transaminase_increased"]
        k = row.any_grade if inc_id == "INC-04" else row.grade3_or_more
        return f"{k}/{n_ae} = {fmt_pct(k, n_ae)} %"
    if inc_id == "INC-07" and ae:
        best = max(ae.values(), key=lambda r: r.any_grade)
        return f"{best.label}: {best.any_grade}/{n_ae} = {fmt_pct(best.any_grade, n_ae)} %"
    if inc_id == "INC-08":
        parts = [f"{r.label} {r.grade3_or_more}" for r in ae.values() if r.grade3_or_more]
        return "grade ≥ 3: " + "; ".join(parts) if parts else "no grade ≥ 3 events"
    if inc_id == "INC-09" and res.primary.landmark is not None:
        r = res.primary.landmark
        return (
            f"S({r.time:g}) = {fmt_num(100 * r.surv)} % vs {100 * r.p0:g} %: "
            f"{'two-sided' if res.primary.alternative == 'two-sided' else 'one-sided'} "
            f"p {_p_eq(r.p, res)} ({r.scale.value})"
        )
    if inc_id == "INC-11":
        vi = _count(s, lambda x: x.vascular_invasion is True)
        pvi = _count(s, lambda x: x.portal_vein_invasion is True)
        return f"vascular invasion {vi}, portal-vein invasion {pvi}"
    if inc_id == "INC-12" and os_ep is not None:
        return f"maximum follow-up {fmt_num(os_ep.followup.maximum)} months"
    if inc_id == "INC-13" and paper is not None and std is not None:
        return f"PFS events {paper.events} (paper) and {std.events} (standard)"
    if inc_id == "INC-23" and os_ep is not None:
        for sg in res.subgroups_of(os_ep.key):
            h = sg.hazard_ratio("C") if sg.key == "bclc" else None
            if h is not None and sg.logrank is not None:
                return (
                    f"OS HR C vs B {fmt_num(h[0], 2)} ({fmt_num(h[1], 2)}–{fmt_num(h[2], 2)}), "
                    f"log-rank p {_p_eq(sg.logrank.p, res)} (new result)"
                )
    if inc_id == "INC-06" and "transaminase_increased" in ae:
        return f"one row, '{ae['transaminase_increased'].label}' (worst of ALT and AST)"
    if inc_id == "INC-10":
        from hcctrial.analysis.design import planned_design

        d = planned_design(res.plan)
        need = "" if d.n_evaluable is None else f"{d.n_evaluable} evaluable, "
        return f"{need}{d.n_enrolled} to enrol ({d.method})"
    if inc_id == "INC-14" and os_ep is not None:
        marks = [f"{a.time:g} mo {fmt_num(100 * a.surv)} %" for a in os_ep.rates]
        return "OS rates: " + "; ".join(marks)
    if inc_id == "INC-19":
        return f"CTCAE v{res.adverse_events.ctcae_version}"
    if inc_id == "INC-22":
        ecog2 = _count(s, lambda x: x.ecog == 2)
        cpb = _count(s, lambda x: (x.child_pugh or "").upper().startswith("B"))
        return f"ECOG 2: {ecog2}; Child-Pugh B: {cpb}"
    if inc_id == "INC-26":
        return f"not evaluable: {res.response.counts['NE']}"
    if inc_id == "INC-28" and os_ep is not None:
        fu = os_ep.followup
        return (
            f"simple median {fmt_num(fu.simple_median)}; reverse KM "
            f"{fmt_median(fu.reverse_km, with_ci=False)} months"
        )
    if inc_id == "INC-29" and os_ep is not None and paper is not None:
        return f"OS {fmt_median(os_ep.median_spss)}; PFS {fmt_median(paper.median_spss)} (SPSS)"
    return DASH


def inconsistencies_table(inputs: ReportInputs, results: AnalysisResults) -> Table:
    """The paper's internal inconsistencies (all of them) with the handling and the value used."""
    rows = []
    for inc in published_data()["inconsistencies"]:
        rows.append(
            Row(
                inc["id"],
                (
                    inc["topic"][:1].upper() + inc["topic"][1:],
                    inc["severity"],
                    inc["finding"],
                    _used(inc["id"], inputs, results),
                ),
            )
        )
    return Table(
        "inconsistencies",
        f"The paper's internal inconsistencies ({len(rows)})",
        ("ID", "Topic", "Severity", "What the paper prints", "Computed now from the records"),
        tuple(rows),
        footnotes=(
            "From the seed audit (published.json → inconsistencies). The last column is computed "
            "from the records when this report is built (— : a matter of wording or design with "
            "no number to compute).",
        ),
    )
