"""The JSON form of :class:`~hcctrial.analysis.results.AnalysisResults` (the ``analysis`` key of
``hcctrial analyze --json``, ``results.json`` of the demo and ``GET /api/dashboard``).

Only formatting: every number is a field of an engine result object. Times in months, rates and
proportions as fractions, ``null`` for not reached / not estimable (never ``inf``/``nan``).
"""

from __future__ import annotations

import math
from typing import Any

from hcctrial.analysis.results import (
    AnalysisResults,
    CoxFit,
    CumulativeIncidence,
    EndpointResult,
    PrimaryResult,
    SensitivityResult,
    SubgroupResult,
)
from hcctrial.stats.cox import CoxResult
from hcctrial.stats.kaplan_meier import SurvivalAt
from hcctrial.stats.km_quantiles import SurvivalQuantile

__all__ = [
    "at_json",
    "endpoint_json",
    "primary_json",
    "quantile_json",
    "results_json",
    "subgroup_json",
]


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def quantile_json(q: SurvivalQuantile) -> dict[str, Any]:
    """A median with its CI: the rule (``spss``/``r``), the band R's CI inverts, SE (SPSS)."""
    return {
        "estimate": _num(q.estimate),
        "lower": _num(q.lower),
        "upper": _num(q.upper),
        "se": _num(q.se),
        "rule": q.method.value,
        "ci": "wald" if q.method.value == "spss" else "brookmeyer-crowley",
        "band": None if q.conf_type is None else q.conf_type.value,
        "conf_level": q.conf_level,
        "note": q.note,
    }


def at_json(a: SurvivalAt) -> dict[str, Any]:
    """S(t) at one time with its CI (on the scale ``ci``) and the number at risk."""
    return {
        "time": a.time,
        "surv": a.surv,
        "se": _num(a.std_err),
        "lower": _num(a.lower),
        "upper": _num(a.upper),
        "ci": a.conf_type.value,
        "n_risk": a.n_risk,
    }


def endpoint_json(ep: EndpointResult) -> dict[str, Any]:
    """One Kaplan-Meier endpoint: counts, the plan's median, both rules, landmark rates,
    follow-up."""
    fu = ep.followup
    return {
        "key": ep.key,
        "label": ep.label,
        "definition": ep.definition,
        "population": ep.population,
        "n": ep.n,
        "events": ep.events,
        "censored": ep.censored,
        "n_without_row": ep.n_without_row,
        "median": quantile_json(ep.median),
        "median_spss": quantile_json(ep.median_spss),
        "median_r": quantile_json(ep.median_r),
        "rates": [at_json(a) for a in ep.rates],
        "followup": {
            "simple_median": fu.simple_median,
            "min": fu.minimum,
            "max": fu.maximum,
            "reverse_km": quantile_json(fu.reverse_km),
        },
        "unit": "months",
    }


def _incidence_json(c: CumulativeIncidence) -> dict[str, Any]:
    return {
        "key": c.key,
        "label": c.label,
        "definition": c.definition,
        "population": c.population,
        "estimator": "aalen-johansen",
        "n": c.n,
        "events": c.count(1),
        "competing_events": c.count(2),
        "censored": c.count(0),
        "landmarks": list(c.landmarks),
        "at": [
            {"time": a.time, "cif": a.cif, "se": a.se, "lower": a.lower, "upper": a.upper}
            for a in c.at
        ],
        "note": c.note,
        "unit": "months",
    }


def subgroup_json(sg: SubgroupResult) -> dict[str, Any]:
    """One subgroup of one endpoint: levels with their medians and rates, log-rank, HRs."""
    return {
        "subgroup": sg.key,
        "label": sg.label,
        "variable": sg.variable,
        "endpoint": sg.endpoint,
        "levels": [
            {
                "label": lv,
                "n": c.n,
                "events": c.events,
                "median": quantile_json(m),
                "rates": [at_json(a) for a in r],
            }
            for lv, c, m, r in zip(sg.levels, sg.curves, sg.medians, sg.rates, strict=True)
        ],
        "logrank": None
        if sg.logrank is None
        else {"chisq": sg.logrank.chisq, "df": sg.logrank.df, "p": sg.logrank.p},
        "hazard_ratios": [
            {"level": lv, "reference": sg.levels[0], "hr": hr, "lower": lo, "upper": up, "p": p}
            for lv in sg.levels[1:]
            if (h := sg.hazard_ratio(lv)) is not None
            for hr, lo, up, p in [h]
        ],
        "n_missing": sg.n_missing,
        "note": sg.note,
    }


def cox_terms_json(r: CoxResult) -> list[dict[str, Any]]:
    """The terms of a Cox fit: coefficient, SE, HR with CI, Wald p."""
    return [
        {
            "name": r.names[j],
            "coef": r.coef[j],
            "se": r.se[j],
            "hr": r.hr[j],
            "lower": r.lower[j],
            "upper": r.upper[j],
            "p": r.p[j],
        }
        for j in range(len(r.names))
    ]


def _cox_json(f: CoxFit) -> dict[str, Any]:
    r = f.result
    return {
        "model": f.model,
        "label": f.label,
        "endpoint": f.endpoint,
        "population": f.population,
        "terms": [] if r is None else cox_terms_json(r),
        "n": None if r is None else r.n,
        "events": None if r is None else r.n_events,
        "lr_test": None
        if r is None
        else {"chisq": r.lr_test.chisq, "df": r.lr_test.df, "p": r.lr_test.p},
        "concordance": None if r is None else r.concordance,
        "ties": None if r is None else r.ties,
        "n_excluded": f.n_excluded,
        "note": f.note,
    }


def primary_json(p: PrimaryResult) -> dict[str, Any]:
    """The primary analysis: estimate with the plan's CI, the test, p, and the decision."""
    out: dict[str, Any] = {
        "endpoint": p.endpoint,
        "title": p.title,
        "test": p.test,
        "alternative": p.alternative,
        "alpha": p.alpha,
        "population": p.population,
        "estimate": None if p.estimate is None else at_json(p.estimate),
        "p": p.p,
        "rejected": p.rejected,
        "note": p.note,
    }
    if p.landmark is not None:
        lt = p.landmark
        out["landmark"] = {
            "time": lt.time,
            "null_rate": lt.p0,
            "scale": lt.scale.value,
            "se": lt.std_err,
            "z": lt.z,
            "p_greater": lt.p_greater,
            "p_less": lt.p_less,
            "p_two_sided": lt.p_two_sided,
        }
    if p.logrank is not None:
        lr = p.logrank
        out["one_sample_logrank"] = {
            "observed": lr.observed,
            "expected": lr.expected,
            "ratio": lr.ratio,
            "z": lr.z,
            "chisq": lr.chisq,
            "null_median": lr.null_median,
            "null_shape": lr.null_shape,
            "p_greater": lr.p_greater,
            "p_less": lr.p_less,
            "p_two_sided": lr.p_two_sided,
        }
    return out


def _sensitivity_json(s: SensitivityResult) -> dict[str, Any]:
    return {
        "key": s.key,
        "label": s.label,
        "sensitivity": True,
        "changes": list(s.changes),
        "primary": None if s.primary is None else primary_json(s.primary),
        "endpoints": [endpoint_json(e) for e in s.endpoints],
    }


def results_json(r: AnalysisResults) -> dict[str, Any]:
    """Return the whole result of the plan as one JSON-ready mapping."""
    c = r.plan.conventions
    return {
        "plan": {
            "file": r.plan_file,
            "sha256": r.plan_sha256,
            "id": r.plan.id,
            "version": r.plan.version,
        },
        "software": r.software,
        "source": r.source,
        "conventions": {
            "days_per_month": c.time.days_per_month,
            "ci_level": c.ci_level.level,
            "survival_ci": c.survival_ci.type,
            "median_rule": c.median.rule,
            "median_ci": c.median.ci,
            "median_band": c.median.band,
            "followup": c.followup.method,
        },
        "populations": {
            k: {"label": p.label, "n": p.n, "n_failed": p.n_failed, "n_missing": p.n_missing}
            for k, p in r.populations.items()
        },
        "endpoints": {k: endpoint_json(e) for k, e in r.endpoints.items()},
        "cumulative_incidence": {k: _incidence_json(c) for k, c in r.incidence.items()},
        "missing_endpoints": list(r.missing_endpoints),
        "response": {
            "population": r.response.population,
            "criteria": r.response.criteria,
            "n": r.response.n,
            "counts": dict(r.response.counts),
            "rates": {
                k: {
                    "label": v.label,
                    "count": v.ci.count,
                    "n": v.ci.n,
                    "estimate": v.ci.estimate,
                    "lower": v.ci.lower,
                    "upper": v.ci.upper,
                    "method": v.ci.method.value,
                }
                for k, v in r.response.rates.items()
            },
        },
        "adverse_events": {
            "population": r.adverse_events.population,
            "ctcae_version": r.adverse_events.ctcae_version,
            "n": r.adverse_events.n,
            "grade5_patients": r.adverse_events.grade5_patients,
            "rows": [
                {
                    "key": a.key,
                    "label": a.label,
                    "category": a.category,
                    "by_grade": list(a.by_grade),
                    "any_grade": a.any_grade,
                    "grade_3_or_more": a.grade3_or_more,
                    "not_gradable": a.not_gradable,
                }
                for a in r.adverse_events.rows
            ],
        },
        "primary": primary_json(r.primary),
        "subgroups": [subgroup_json(s) for s in r.subgroups],
        "cox": [_cox_json(f) for f in r.cox],
        "sensitivity": [_sensitivity_json(s) for s in r.sensitivity],
        "notes": list(r.notes),
    }
