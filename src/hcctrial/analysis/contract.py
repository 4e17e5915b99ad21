"""The JSON of ``hcctrial analyze --json`` (and the demo's ``results.json``) from the one result.

The fixed contract of issue 6 -- ``n_enrolled``, ``best_response``, ``orr``, ``dcr``,
``adverse_events``, ``pfs``, ``os``, ``followup`` with their sub-keys -- keeps its shape and, with
the seed plan, its values exactly (tests/analysis/test_fixed_json.py compares them with the output
of the code before the plan became a data file). The plan decides what fills them: ``pfs``/``os``
are the endpoints named in ``[outputs]``, medians follow ``conventions.median`` (the ``r_*`` keys
stay R's rule), follow-up ``conventions.followup``. Beside them: ``pfs_standard``,
``primary_endpoint``, ``subgroups`` (the plan's subgroups), ``conventions`` (in words), and new:
``plan`` (file, SHA-256, id, version) and ``analysis`` (the whole result,
:func:`hcctrial.analysis.results_json.results_json`).
"""

from __future__ import annotations

from typing import Any

from hcctrial.analysis.results import AnalysisResults, EndpointResult, PrimaryResult
from hcctrial.analysis.results_json import results_json
from hcctrial.stats.kaplan_meier import KaplanMeierCurve, SurvivalAt
from hcctrial.stats.km_quantiles import SurvivalQuantile

__all__ = ["analyze_json"]

_CI_NAMES = {"clopper-pearson": "exact Clopper-Pearson", "wilson": "Wilson score"}


def _surv(
    label: str,
    definition: str,
    curve: KaplanMeierCurve,
    median: SurvivalQuantile,
    r: SurvivalQuantile,
    rates: tuple[SurvivalAt, ...],
    band: str,
) -> dict[str, Any]:
    return {
        "definition": definition,
        "endpoint": label,
        "events": curve.events,
        "n": curve.n,
        "median": median.estimate,
        "lower": median.lower,
        "upper": median.upper,
        "median_method": median.method.value,
        "median_se": median.se,
        "r_median": r.estimate,
        "r_lower": r.lower,
        "r_upper": r.upper,
        "r_method": f"R survival: midpoint rule, Brookmeyer-Crowley {band} CI",
        "rates": {f"{a.time:g}": a.surv for a in rates},
        "unit": "months",
    }


def _endpoint(ep: EndpointResult, band: str) -> dict[str, Any]:
    return _surv(ep.key, ep.definition, ep.curve, ep.median, ep.median_r, ep.rates, band)


def _primary(p: PrimaryResult, r: AnalysisResults) -> dict[str, Any]:
    pr = r.plan.primary
    sign = {"greater": ">", "less": "<", "two-sided": "!="}[p.alternative]
    if pr.test == "landmark":
        t, p0 = pr.time_months or 0.0, pr.null_rate or 0.0
        text = f"{p.title}, H0: S({t:g}) = {p0:.2f} vs H1: {sign} {p0:.2f}"
    else:
        text = (
            f"{p.title}, H0: the hazard of the null curve (median {pr.null_median_months:g} "
            f"months) vs H1: survival {p.alternative} than the null"
        )
    one_sided = None
    out: dict[str, Any] = {"endpoint": text}
    if p.landmark is not None and p.estimate is not None:
        lt = p.landmark
        one_sided = {"greater": lt.p_greater, "less": lt.p_less}.get(p.alternative)
        out.update(
            estimate=p.estimate.surv,
            se=lt.std_err,
            lower=p.estimate.lower,
            upper=p.estimate.upper,
            z=lt.z,
            p_one_sided=one_sided,
            scale=lt.scale.value,
        )
    elif p.logrank is not None:
        lr = p.logrank
        one_sided = {"greater": lr.p_greater, "less": lr.p_less}.get(p.alternative)
        out.update(
            observed=lr.observed,
            expected=lr.expected,
            ratio=lr.ratio,
            z=lr.z,
            p_one_sided=one_sided,
            scale="one-sample log-rank",
        )
    out[f"rejected_at_{p.alpha:g}"] = p.rejected
    out.update(p=p.p, alternative=p.alternative, alpha=p.alpha, note=p.note)
    return out


def _subgroups(r: AnalysisResults, band: str) -> list[dict[str, Any]]:
    out = []
    for sg in r.subgroups:
        ep = r.plan.endpoints[sg.endpoint]
        groups = [
            _surv(lv, ep.definition, c, m, q_r, rates, band) | {"label": lv}
            for lv, c, m, q_r, rates in zip(
                sg.levels, sg.curves, sg.medians, sg.medians_r, sg.rates, strict=True
            )
        ]
        for g in groups:
            del g["definition"], g["endpoint"]
        hr = sg.hazard_ratio(sg.levels[1]) if len(sg.levels) > 1 else None
        out.append(
            {
                "endpoint": sg.endpoint,
                "variable": sg.variable,
                "subgroup": sg.key,
                "groups": groups,
                "logrank_chisq": None if sg.logrank is None else sg.logrank.chisq,
                "logrank_p": None if sg.logrank is None else sg.logrank.p,
                "hazard_ratio": None if hr is None else hr[0],
                "hr_lower": None if hr is None else hr[1],
                "hr_upper": None if hr is None else hr[2],
                "hr_p": None if hr is None else hr[3],
                "hr_contrast": f"{sg.levels[1]} vs {sg.levels[0]}" if len(sg.levels) > 1 else "",
            }
        )
    return out


def _conventions(r: AnalysisResults) -> dict[str, str]:
    c = r.plan.conventions
    level = f"{100 * c.ci_level.level:g}%"
    if c.median.rule == "spss":
        z = "1.96" if c.ci_level.level == 0.95 else f"z({level})"
        median = (
            f"SPSS: min t with S(t) <= 0.5 (tolerance sqrt(eps)); CI median -/+ {z} SE "
            "(Collett); r_* keys: R survival"
        )
    else:
        median = (
            "R survival: midpoint of a flat S(t) = 0.5 stretch; CI where the "
            f"{c.median.band} band crosses 0.5 (Brookmeyer-Crowley); r_* keys: R survival"
        )
    orr = r.plan.response.rates["orr"]
    return {
        "months": f"days / {c.time.days_per_month:g}",
        "median": median,
        "rates": "Kaplan-Meier S(t), fractions",
        "rates_ci": f"{c.survival_ci.type} pointwise {level} CI (analysis.endpoints.*.rates)",
        "proportions": f"{_CI_NAMES[orr.ci]} {level} CI, fractions; pct in percent",
    }


def _followup(r: AnalysisResults) -> dict[str, Any]:
    ep = r.followup
    if ep is None:
        return {"median": None, "min": None, "max": None, "method": "not estimable"}
    fu, c = ep.followup, r.plan.conventions.followup
    rk = fu.reverse_km
    median: float | None
    if c.method == "simple-median":
        paper = " (the paper's method)" if c.source == "paper" else ""
        median, method = fu.simple_median, f"simple median of all observed {ep.short} times{paper}"
    else:
        median = rk.estimate
        method = f"reverse Kaplan-Meier median of the {ep.short} times (censoring as the event)"
    return {
        "median": median,
        "min": fu.minimum,
        "max": fu.maximum,
        "method": method,
        "reverse_km_median": rk.estimate,
        "reverse_km_lower": rk.lower,
        "reverse_km_upper": rk.upper,
        "simple_median": fu.simple_median,
        "unit": "months",
    }


def _proportion(r: AnalysisResults, key: str) -> dict[str, Any]:
    ci = r.response.rates[key].ci
    return {
        "n": ci.count,
        "pct": ci.percent,
        "lower": ci.lower,
        "upper": ci.upper,
        "proportion": ci.count / ci.n,
        "lower_pct": 100.0 * ci.lower,
        "upper_pct": 100.0 * ci.upper,
        "denominator": ci.n,
        "method": ci.method.value,
    }


def analyze_json(r: AnalysisResults) -> dict[str, Any]:
    """Return the JSON of ``hcctrial analyze --json`` (see the module docstring)."""
    o, band = r.plan.outputs, r.plan.conventions.median.band
    counts = {k: r.response.counts[k] for k in ("CR", "PR", "SD", "PD")}
    if r.response.counts.get("NE"):
        counts["NE"] = r.response.counts["NE"]
    out: dict[str, Any] = {
        "n_screened": r.n_enrolled if r.n_screened is None else r.n_screened,
        "n_enrolled": r.n_enrolled,
        "best_response": counts,
        "orr": _proportion(r, "orr"),
        "dcr": _proportion(r, "dcr"),
        "adverse_events": [
            {
                "term": a.key,
                "label": a.label,
                "worst_grade_counts": {str(g): a.by_grade[g - 1] for g in (1, 2, 3, 4)},
                "any_grade": a.any_grade,
                "not_gradable": a.not_gradable,
                "grade_3_or_more": a.grade3_or_more,
            }
            for a in r.adverse_events.rows
        ],
    }
    for key, endpoint in (("pfs", o.json_pfs), ("pfs_standard", o.json_pfs_standard)):
        if endpoint is not None and endpoint in r.endpoints:
            out[key] = _endpoint(r.endpoints[endpoint], band)
    if o.json_os in r.endpoints:
        os_ = _endpoint(r.endpoints[o.json_os], band)
        del os_["endpoint"]
        out["os"] = os_
    out["followup"] = _followup(r)
    out["primary_endpoint"] = _primary(r.primary, r)
    out["subgroups"] = _subgroups(r, band)
    out["conventions"] = _conventions(r)
    out["plan"] = results_json(r)["plan"] | {"title": r.plan.title}
    out["analysis"] = results_json(r)
    return out
