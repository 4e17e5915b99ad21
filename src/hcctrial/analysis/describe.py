"""The plan in words: the statistical-methods paragraphs of the report and ``hcctrial sap show``.

Every sentence is generated from the plan (and the software's versions), so that changing the plan
changes the text: endpoints and their definitions, populations, estimators, CI methods, tests,
sidedness, alpha, the design, subgroups, Cox models, sensitivity analyses and the software.
:func:`methods_paragraphs` gives the report's paragraphs; :func:`plan_sections` the same text by
section, each entry followed by where it comes from (the paper's words, or hcctrial's default
where the paper is silent) for ``sap show``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hcctrial.analysis.schema import (
    PAPER_SILENT,
    Condition,
    Endpoint,
    OneSampleLogrankDesign,
    Plan,
    Population,
    SingleArmDesign,
    Subgroup,
)

__all__ = ["condition_text", "endpoint_text", "methods_paragraphs", "plan_sections"]

_OPS = {
    "==": "=",
    "!=": "≠",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "in": "in",
    "not in": "not in",
}
_ORIGIN = {
    "first_treatment": "the first TACE-HAIC",
    "enrolment": "enrolment",
    "first_response": "the first documented CR or PR",
}
_EVENT = {"progression": "progression", "death": "death from any cause", "withdrawal": "withdrawal"}
_CENSOR = {
    "last_adequate_assessment": "the last adequate tumour assessment",
    "last_contact": "the last contact",
}
_BAND = {"log": "log", "log-log": "log–log", "plain": "plain (linear)"}
_SIDES = {
    "greater": "one-sided (H1: above the null)",
    "less": "one-sided (H1: below the null)",
    "two-sided": "two-sided",
}


def _pct(x: float) -> str:
    return f"{100 * x:g} %"


def _join(words: Sequence[str], last: str = "and") -> str:
    w = list(words)
    return w[0] if len(w) == 1 else ", ".join(w[:-1]) + f" {last} " + w[-1]


def condition_text(c: Condition) -> str:
    """One population condition in words, e.g. ``n_cycles ≥ 1``."""
    value = c.value
    shown = "{" + ", ".join(str(v) for v in value) + "}" if isinstance(value, list) else str(value)
    return f"{c.variable} {_OPS[c.op]} {shown}"


def _population_text(key: str, p: Population) -> str:
    rule = (
        "every enrolled patient" if not p.all_of else _join([condition_text(c) for c in p.all_of])
    )
    return f"{p.label} [{key}]: {rule}."


def endpoint_text(ep: Endpoint) -> str:
    """How an endpoint is derived, in words."""
    events = _join([_EVENT[e] for e in ep.events], "or")
    text = f"{ep.label}: time from {_ORIGIN[ep.origin]} to {events}"
    if ep.competing:
        text += f", with {_join([_EVENT[e] for e in ep.competing], 'or')} as a competing event"
    elif "death" not in ep.events:
        text += "; deaths without the event are censored"
    text += f"; censored at {_CENSOR[ep.censor_at]}"
    estimator = (
        "Kaplan–Meier"
        if ep.estimator == "kaplan-meier"
        else "cumulative incidence (Aalen–Johansen)"
    )
    marks = ", ".join(f"{m:g}" for m in ep.landmarks_months)
    text += f". Estimator: {estimator}"
    if marks:
        text += f"; rates at {marks} months"
    return text + "."


def _primary_text(plan: Plan) -> str:
    pr = plan.primary
    ep = plan.endpoints[pr.endpoint]
    if pr.test == "landmark":
        test = (
            f"H0: S({pr.time_months:g} months) = {_pct(pr.null_rate or 0)}, tested with the Wald "
            f"statistic of the Kaplan–Meier estimate on the {_BAND[pr.scale or 'log-log']} scale "
            "(Greenwood's variance)"
        )
    else:
        test = (
            "H0: the hazard of an exponential"
            + (f" (Weibull shape {pr.null_shape:g})" if pr.null_shape != 1 else "")
            + f" curve with median {pr.null_median_months:g} months, tested with the one-sample "
            "log-rank test (observed against expected events)"
        )
    return (
        f"The primary endpoint is {pr.title}; the endpoint is {ep.definition}. {test}; "
        f"{_SIDES[pr.alternative]}, α = {pr.alpha:g}."
    )


def _design_text(plan: Plan) -> str:
    d = plan.design
    if isinstance(d, SingleArmDesign):
        text = (
            f"The sample size was computed for a single-arm binary endpoint by the normal "
            f"approximation: p0 = {_pct(d.p0)}, p1 = {_pct(d.p1)}, power {_pct(d.power)}, "
            f"α = {d.alpha:g} {'two-sided' if d.sides == 2 else 'one-sided'}"
        )
        if d.n_evaluable:
            text += f", giving {d.n_evaluable} evaluable patients"
        if d.dropout:
            rule = "n × (1 + d)" if d.dropout_rule == "multiply" else "n / (1 − d)"
            text += f"; with {_pct(d.dropout)} drop-out ({rule})"
            if d.n_enrolled:
                text += f", {d.n_enrolled} to enrol"
        return text + " (hcctrial design single-arm)."
    assert isinstance(d, OneSampleLogrankDesign)
    text = (
        f"The sample size was computed for the one-sample log-rank test (Wu 2015): null median "
        f"{d.median0_months:g} months (Weibull shape {d.shape:g}), hazard ratio {d.hr:g}, accrual "
        f"{d.accrual_months:g} and follow-up {d.follow_up_months:g} months, power "
        f"{_pct(d.power)}, one-sided α = {d.alpha:g}"
    )
    if d.n_enrolled:
        text += f"; {d.n_enrolled} to enrol"
    return text + " (hcctrial design one-sample-logrank)."


def _estimation_text(plan: Plan, software: str | None) -> list[str]:
    c = plan.conventions
    level = f"{100 * c.ci_level.level:g} %"
    if c.median.rule == "spss":
        median = (
            "Medians follow SPSS's rule (the first event time with S(t) ≤ 0.5) with its Wald CI "
            "(median ± z·SE, SE by Collett's density estimate)"
        )
    else:
        median = (
            "Medians follow R survival's rule (the midpoint of a flat S(t) = 0.5 stretch) with "
            f"the Brookmeyer–Crowley CI from the {_BAND[c.median.band]} band"
        )
    fu_ep = plan.endpoints.get(c.followup.endpoint)
    fu_name = fu_ep.short if fu_ep is not None else c.followup.endpoint
    followup = (
        f"Median follow-up is the simple median of all observed {fu_name} times, with the "
        "reverse Kaplan–Meier median beside it"
        if c.followup.method == "simple-median"
        else f"Median follow-up is the reverse Kaplan–Meier median of the {fu_name} times, with "
        "the simple median beside it"
    )
    paras = [
        f"Times are in months (days / {c.time.days_per_month:g}). Survival curves are "
        f"Kaplan–Meier estimates; every CI is {level}; CIs of S(t) (landmark rates and the "
        f"primary estimate) are pointwise on the {_BAND[c.survival_ci.type]} scale. {median}. "
        f"{followup}. p values are printed with {c.p_values.digits} decimals "
        f"(< {c.p_values.below:g} below); p < {c.p_values.significance:g} is called "
        "statistically significant.",
    ]
    sw = (
        f"Analyses were computed by {software}, whose statistics engine is checked against R "
        "survival"
        if software
        else "Analyses are computed by hcctrial, whose statistics engine is checked against R "
        "survival"
    )
    paras.append(f"{sw}; the paper used {c.software.paper}.")
    return paras


def _subgroup_text(sg: Subgroup) -> str:
    levels = sg.level_labels()
    return f"{sg.label} ({' / '.join(levels)}; reference {levels[0]})"


def _body(plan: Plan, software: str | None) -> list[tuple[str, list[tuple[str, object | None]]]]:
    """(section title, [(sentence, the plan entry it comes from or None)])."""
    r = plan.response
    ae = plan.adverse_events
    sm = plan.subgroup_methods
    sections: list[tuple[str, list[tuple[str, object | None]]]] = [
        (
            "Primary analysis and design",
            [(_primary_text(plan), plan.primary), (_design_text(plan), plan.design)],
        ),
        ("Populations", [(_population_text(k, p), p) for k, p in plan.populations.items()]),
        ("Endpoints", [(endpoint_text(e), e) for e in plan.endpoints.values()]),
        ("Estimation", [(t, None) for t in _estimation_text(plan, software)]),
        (
            "Response and safety",
            [
                (
                    f"Best overall response by {r.criteria} over "
                    f"{plan.populations[r.population].label.lower()}; "
                    + "; ".join(
                        f"{v.label} with the {'exact Clopper–Pearson' if v.ci == 'clopper-pearson' else 'Wilson score'} CI"
                        for v in r.rates.values()
                    )
                    + ".",
                    r,
                ),
                (
                    f"Adverse events graded by CTCAE v{ae.ctcae_version}: patients by their worst "
                    f"grade per term ({len(ae.terms)} terms: "
                    + ", ".join(t.label for t in ae.terms)
                    + f") over {plan.populations[ae.population].label.lower()}.",
                    ae,
                ),
            ],
        ),
    ]
    if plan.subgroups:
        sections.append(
            (
                "Subgroups and Cox models",
                [
                    (
                        "Subgroups: "
                        + "; ".join(_subgroup_text(s) for s in plan.subgroups)
                        + f". Compared by the {sm.test} test; hazard ratios of each level against "
                        f"the reference from a univariable Cox model ({sm.ties.capitalize()} ties).",
                        sm,
                    ),
                    *(
                        (
                            f"{m.label}: "
                            + ", ".join(c.label for c in m.covariates)
                            + f"; {m.ties.capitalize()} ties"
                            + (f"; strata {', '.join(m.strata)}" if m.strata else "")
                            + f"; complete cases of {plan.populations[m.population].label.lower()}.",
                            m,
                        )
                        for m in plan.cox_models
                    ),
                ],
            )
        )
    if plan.sensitivity:
        sections.append(
            (
                "Sensitivity analyses",
                [(f"{s.label}.", s) for s in plan.sensitivity],
            )
        )
    return sections


def _provenance(entry: object | None) -> str | None:
    source = getattr(entry, "source", None)
    if source is None:
        return None
    note = getattr(entry, "note", "")
    if source == PAPER_SILENT:
        return f"[{PAPER_SILENT}]" + (f" {note}" if note else "")
    return f'[paper: "{getattr(entry, "quote", "")}"]' + (f" {note}" if note else "")


def plan_sections(plan: Plan, software: str | None = None) -> list[tuple[str, list[str]]]:
    """The plan in words by section, each sentence followed by its provenance line."""
    out = []
    for title, items in _body(plan, software):
        lines: list[str] = []
        for text, entry in items:
            lines.append(text)
            prov = _provenance(entry)
            if prov:
                lines.append("  " + prov)
        if title == "Estimation":
            for name in type(plan.conventions).model_fields:
                lines.append(f"  {name}: {_provenance(getattr(plan.conventions, name))}")
        out.append((title, lines))
    return out


def methods_paragraphs(plan: Plan, software: str | None = None) -> tuple[str, ...]:
    """The report's statistical-methods paragraphs (one per section of the plan)."""
    return tuple(" ".join(text for text, _ in items) for _, items in _body(plan, software))
