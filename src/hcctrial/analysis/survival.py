"""The survival parts of the plan's run: Kaplan-Meier endpoints, subgroups and Cox models, each a
call of :mod:`hcctrial.stats` with the plan's conventions (:class:`Estimation`).

Conventions named at the call: KM, its pointwise CIs, log-rank and Cox follow R ``survival``
(see :mod:`hcctrial.stats`); SPSS's median rule and Wald CI follow SPSS 22 (the seed paper's
software); follow-up medians are the simple median of the observed times and R's reverse
Kaplan-Meier. Patients are taken in study-id order, so that every output of the same data gives
the same floating-point numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hcctrial.analysis.datasets import (
    SubjectData,
    TimeToEvent,
    covariate_value,
    subgroup_levels,
)
from hcctrial.analysis.results import CoxFit, EndpointResult, SubgroupResult
from hcctrial.analysis.schema import CoxModel, Endpoint, Plan, Subgroup
from hcctrial.errors import HcctrialError
from hcctrial.stats.cox import CoxResult

__all__ = ["Estimation", "cox_fit", "kaplan_meier_endpoint", "subgroup_result", "times_of"]


@dataclass(frozen=True)
class Estimation:
    """The estimation conventions of one run (the plan's, or a sensitivity analysis' variant)."""

    days_per_month: float
    conf_level: float
    survival_ci: str
    median_rule: str
    median_band: str
    reverse_km_band: str
    ties: str

    @classmethod
    def of(cls, plan: Plan) -> Estimation:
        """The plan's conventions."""
        c = plan.conventions
        return cls(
            c.time.days_per_month,
            c.ci_level.level,
            c.survival_ci.type,
            c.median.rule,
            c.median.band,
            c.followup.reverse_km_band,
            plan.subgroup_methods.ties,
        )


def times_of(
    rows: Mapping[str, TimeToEvent], ids: Sequence[str], days_per_month: float
) -> tuple[list[str], list[float], list[int]]:
    """Return (study ids, months, status) of the patients of ``ids`` that have a row, sorted by id."""
    have = sorted(i for i in ids if i in rows)
    return have, [rows[i].days / days_per_month for i in have], [rows[i].status for i in have]


def kaplan_meier_endpoint(
    key: str,
    endpoint: Endpoint,
    rows: Mapping[str, TimeToEvent],
    population: Sequence[str],
    est: Estimation,
    population_key: str | None = None,
) -> EndpointResult:
    """Return the Kaplan-Meier summary of ``endpoint`` over the ``population`` patients.

    Raises :class:`~hcctrial.errors.DataValidationError` when no patient of the population has a
    row (the engine's input check).
    """
    from hcctrial.stats.kaplan_meier import kaplan_meier, survival_at
    from hcctrial.stats.km_quantiles import median_survival, reverse_km_followup

    ids, t, e = times_of(rows, population, est.days_per_month)
    curve = kaplan_meier(
        t, e, conf_type=est.survival_ci, conf_level=est.conf_level, label=endpoint.label
    )
    band = curve
    if est.median_band != est.survival_ci:
        band = kaplan_meier(t, e, conf_type=est.median_band, conf_level=est.conf_level, label=key)
    spss = median_survival(curve, "spss")
    r = median_survival(band, "r")
    fu = reverse_km_followup(t, e, conf_type=est.reverse_km_band, conf_level=est.conf_level)[0]
    return EndpointResult(
        key,
        endpoint.label,
        endpoint.short,
        endpoint.definition,
        population_key or endpoint.population,
        curve,
        spss if est.median_rule == "spss" else r,
        spss,
        r,
        survival_at(curve, list(endpoint.landmarks_months)),
        fu,
        len(population) - len(ids),
    )


def _fit_quietly(
    t: list[float],
    e: list[int],
    x: list[list[float]],
    names: list[str],
    ties: str,
    conf_level: float,
    strata: list[str] | None = None,
) -> CoxResult:
    """R coxph's fit (its warnings are kept in the result, not issued), with the HR's CI at the
    plan's level: exp(coef -/+ z se), as R's ``confint``/``summary.coxph(conf.int = level)``
    (the engine's own interval is the 95 % one)."""
    import math
    from dataclasses import replace

    from hcctrial.stats.cox import cox_ph
    from hcctrial.stats.distributions import normal_ppf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = cox_ph(t, e, x, names=names, ties=ties, strata=strata)
    if conf_level == 0.95:
        return fit
    z = float(normal_ppf(1.0 - (1.0 - conf_level) / 2.0))
    return replace(
        fit,
        lower=tuple(math.exp(b - z * se) for b, se in zip(fit.coef, fit.se, strict=True)),
        upper=tuple(math.exp(b + z * se) for b, se in zip(fit.coef, fit.se, strict=True)),
    )


def subgroup_result(
    sg: Subgroup,
    key: str,
    endpoint: Endpoint,
    rows: Mapping[str, TimeToEvent],
    subjects: Mapping[str, SubjectData],
    population: Sequence[str],
    est: Estimation,
) -> SubgroupResult:
    """Return subgroup ``sg`` of endpoint ``key``: per-level KM summaries, the log-rank test and
    univariable Cox hazard ratios of each level against the first observed (reference) level."""
    from hcctrial.stats.kaplan_meier import kaplan_meier, survival_at
    from hcctrial.stats.km_quantiles import median_survival
    from hcctrial.stats.logrank import logrank_test

    ids, t, e = times_of(rows, population, est.days_per_month)
    level = subgroup_levels([subjects[i] for i in ids], sg)
    keep = [j for j, v in enumerate(level) if v is not None]
    tt, ee = [t[j] for j in keep], [e[j] for j in keep]
    gg = [str(level[j]) for j in keep]
    observed = [lv for lv in sg.level_labels() if lv in gg]
    curves, med, spss, r, rates = [], [], [], [], []
    for lv in observed:
        m = [j for j, g in enumerate(gg) if g == lv]
        ct, ce = [tt[j] for j in m], [ee[j] for j in m]
        c = kaplan_meier(ct, ce, conf_type=est.survival_ci, conf_level=est.conf_level, label=lv)
        b = c
        if est.median_band != est.survival_ci:
            b = kaplan_meier(ct, ce, conf_type=est.median_band, conf_level=est.conf_level, label=lv)
        q_spss, q_r = median_survival(c, "spss"), median_survival(b, "r")
        curves.append(c)
        spss.append(q_spss)
        r.append(q_r)
        med.append(q_spss if est.median_rule == "spss" else q_r)
        rates.append(survival_at(c, list(endpoint.landmarks_months)))
    lr = cox = None
    note = ""
    if len(observed) >= 2:
        others = observed[1:]
        try:
            lr = logrank_test(tt, ee, gg)
            x = [[1.0 if g == o else 0.0 for o in others] for g in gg]
            cox = _fit_quietly(tt, ee, x, others, est.ties, est.conf_level)
            if cox.warnings:
                note, cox = "; ".join(cox.warnings), None
        except HcctrialError as exc:
            note = str(exc)
    else:
        note = "only one level observed; no comparison"
    return SubgroupResult(
        sg.key,
        sg.label,
        sg.variable,
        key,
        tuple(observed),
        tuple(curves),
        tuple(med),
        tuple(spss),
        tuple(r),
        tuple(rates),
        lr,
        cox,
        len(ids) - len(keep),
        note,
    )


def cox_fit(
    model: CoxModel,
    key: str,
    rows: Mapping[str, TimeToEvent],
    subjects: Mapping[str, SubjectData],
    population: Sequence[str],
    est: Estimation,
) -> CoxFit:
    """Return the multivariable Cox model ``model`` of endpoint ``key`` on complete cases."""
    ids, t, e = times_of(rows, population, est.days_per_month)
    x_rows, tt, ee, strata = [], [], [], []
    for i, ti, ei in zip(ids, t, e, strict=True):
        x = [covariate_value(subjects[i], c) for c in model.covariates]
        s = [subjects[i].value(v) for v in model.strata]
        if any(v is None for v in x) or any(v is None for v in s):
            continue
        x_rows.append([float(v) for v in x if v is not None])
        tt.append(ti)
        ee.append(ei)
        strata.append("|".join(str(v) for v in s))
    excluded = len(ids) - len(x_rows)
    names = [c.label for c in model.covariates]
    try:
        fit = _fit_quietly(
            tt, ee, x_rows, names, model.ties, est.conf_level, strata if model.strata else None
        )
    except HcctrialError as exc:
        return CoxFit(model.key, model.label, key, model.population, None, excluded, str(exc))
    return CoxFit(
        model.key, model.label, key, model.population, fit, excluded, "; ".join(fit.warnings)
    )
